//! One representation to one response: validators, conditional requests, `Range`, `HEAD`.

use crate::body;
use crate::compress::Coding;
use crate::range::{self, Ranged};
use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
    VARY,
};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use std::fs::File;
use std::time::SystemTime;

/// `Cache-Control` for content that may change: use it, but ask first.
pub(crate) const REVALIDATE: &str = "no-cache";
/// `Cache-Control` for content named by its digest.
pub(crate) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where a representation's bytes are.
pub(crate) enum Content {
    Bytes(Bytes),
    File(File),
}

/// A representation and what describes it.
pub(crate) struct Entity {
    pub(crate) content: Content,
    pub(crate) len: u64,
    /// A strong entity tag, quoted, for the identity coding; see [`Entity::coding`].
    pub(crate) etag: String,
    pub(crate) modified: Option<SystemTime>,
    pub(crate) content_type: &'static str,
    pub(crate) cache_control: &'static str,
    /// Whether the coding depends on `Accept-Encoding`.
    pub(crate) vary: bool,
    /// The coding of `content`; its entity tag gets the coding's name as a suffix, so
    /// that each coding has its own strong tag.
    pub(crate) coding: Coding,
}

/// What the client asked, as far as a representation cares.
pub(crate) struct Asked<'a> {
    pub(crate) method: &'a Method,
    pub(crate) headers: &'a HeaderMap,
}

impl Asked<'_> {
    pub(crate) fn of<B>(request: &axum::http::Request<B>) -> Asked<'_> {
        Asked {
            method: request.method(),
            headers: request.headers(),
        }
    }

    /// A header's value, if it is there and readable as text.
    pub(crate) fn header(&self, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Whether an `If-None-Match` list holds `etag` (weak comparison) or is `*`.
fn none_match(list: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == ours)
}

/// Seconds since the epoch, as HTTP dates have them.
fn seconds(time: SystemTime) -> Option<u64> {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// Whether the client's copy, validated by `If-None-Match` or else `If-Modified-Since`,
/// is current.
fn not_modified(asked: &Asked<'_>, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(list) = asked.header(IF_NONE_MATCH) {
        return none_match(list, etag);
    }
    let since = asked
        .header(IF_MODIFIED_SINCE)
        .and_then(|d| httpdate::parse_http_date(d).ok());
    match (since.and_then(seconds), modified.and_then(seconds)) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// Whether a `Range` still applies under `If-Range`: absent, or naming this exact
/// version (the strong tag, or the modification date).
fn range_applies(asked: &Asked<'_>, etag: &str, modified: Option<SystemTime>) -> bool {
    match asked.header(IF_RANGE).map(str::trim) {
        None => true,
        Some(tag) if tag.starts_with('"') => tag == etag,
        Some(date) => match (
            httpdate::parse_http_date(date).ok().and_then(seconds),
            modified.and_then(seconds),
        ) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// A plain-text answer with no validators, e.g. `404`.
pub(crate) fn status(code: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = code;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A header value made from text this crate wrote, without copying it again.
fn value(text: String) -> HeaderValue {
    HeaderValue::from_maybe_shared(Bytes::from(text))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The response to `asked` for `entity`: `304`, `206`, `416` or `200`, with a body only for `GET`.
pub(crate) fn respond(asked: &Asked<'_>, entity: Entity) -> Response {
    let etag = match entity.coding.name() {
        Some(name) => format!("{}-{name}\"", entity.etag.trim_end_matches('"')),
        None => entity.etag.clone(),
    };
    let mut headers = HeaderMap::with_capacity(12);
    headers.insert(ETAG, value(etag.clone()));
    if let Some(modified) = entity.modified {
        headers.insert(LAST_MODIFIED, value(httpdate::fmt_http_date(modified)));
    }
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(entity.cache_control),
    );
    if entity.vary {
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if not_modified(asked, &etag, entity.modified) {
        return with(StatusCode::NOT_MODIFIED, headers, Body::empty());
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(entity.content_type));
    if let Some(name) = entity.coding.name() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    } else {
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    let len = entity.len;
    let ranged = match asked.header(RANGE) {
        Some(r)
            if entity.coding == Coding::Identity
                && range_applies(asked, &etag, entity.modified) =>
        {
            range::parse(r, len)
        }
        _ => Ranged::Full,
    };
    let (code, start, count) = match ranged {
        Ranged::Full => (StatusCode::OK, 0, len),
        Ranged::Part { start, end } => {
            headers.insert(CONTENT_RANGE, value(format!("bytes {start}-{end}/{len}")));
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        Ranged::Unsatisfiable => {
            headers.insert(CONTENT_RANGE, value(format!("bytes */{len}")));
            headers.insert(CONTENT_LENGTH, HeaderValue::from(0));
            return with(StatusCode::RANGE_NOT_SATISFIABLE, headers, Body::empty());
        }
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from(count));
    if asked.method == Method::HEAD {
        return with(code, headers, Body::empty());
    }
    let body = match entity.content {
        Content::Bytes(bytes) => {
            let from = usize::try_from(start).unwrap_or(usize::MAX);
            let to = usize::try_from(start + count).unwrap_or(usize::MAX);
            Body::from(bytes.slice(from.min(bytes.len())..to.min(bytes.len())))
        }
        Content::File(file) => match body::file_part(file, start, count) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a file being served");
                return status(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file\n");
            }
        },
    };
    with(code, headers, body)
}

fn with(code: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = code;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests;
