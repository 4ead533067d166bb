//! Entry points into this crate's request parsers for the fuzz targets in `crates/fuzz`; not an API.

use crate::compress::{self, Coding};
use crate::respond::{Asked, Content, Entity, respond as answer};
use axum::http::Method;
use axum::http::header::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use std::time::{Duration, SystemTime};

/// The tree path a request path names, as the router resolves it; `None` when it is refused.
pub fn request_path(path: &str) -> Option<String> {
    crate::resolve::relative(path).map(|r| r.as_str().to_owned())
}

/// What [`respond`] answered: the status and every header, values as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, in order, lowercase names.
    pub headers: Vec<(String, String)>,
}

impl Answer {
    /// The value of one header, if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The answer to a `GET` (or `HEAD`) with these request headers (each pair that is a valid
/// header is used, others are dropped) for a representation of `len` bytes last modified at
/// `modified` seconds after the epoch, negotiating its coding as the router does.
pub fn respond(head: bool, headers: &[(&[u8], &[u8])], len: u64, modified: u64) -> Answer {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    let method = if head { Method::HEAD } else { Method::GET };
    let asked = Asked {
        method: &method,
        headers: &map,
    };
    let coding = compress::negotiate(asked.header(axum::http::header::ACCEPT_ENCODING));
    let bytes = Bytes::from(vec![b'x'; usize::try_from(len).unwrap_or(0)]);
    let entity = Entity {
        len: bytes.len() as u64,
        content: Content::Bytes(bytes),
        etag: "\"0123abcd\"".to_owned(),
        modified: SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(modified)),
        content_type: "application/octet-stream",
        cache_control: crate::respond::REVALIDATE,
        vary: coding != Coding::Identity,
        coding,
    };
    let response = answer(&asked, entity);
    Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}
