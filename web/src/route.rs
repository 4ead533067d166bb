//! The page the URL's hash names, and back: `#/`, `#/?q=…&task=…`, `#/model/<uid>`, `#/validate`.

use crate::catalogue::Filters;

/// A page of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The catalogue, with its filters.
    Catalogue(Filters),
    /// One model's page.
    Model(String),
    /// The card validator.
    Validate,
    /// A hash the app does not know.
    NotFound(String),
}

impl Route {
    /// Reads a `location.hash` (with or without its leading `#`).
    pub fn parse(hash: &str) -> Route {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let path = hash.strip_prefix('/').unwrap_or(hash);
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        match path {
            "" => Route::Catalogue(Filters::from_query(query)),
            "validate" => Route::Validate,
            _ => match path.strip_prefix("model/") {
                Some(uid) if !uid.is_empty() => Route::Model(decode(uid)),
                _ => Route::NotFound(hash.to_owned()),
            },
        }
    }

    /// The hash for this page, with its leading `#`.
    pub fn to_hash(&self) -> String {
        match self {
            Route::Catalogue(filters) => {
                let query = filters.to_query();
                if query.is_empty() {
                    "#/".to_owned()
                } else {
                    format!("#/?{query}")
                }
            }
            Route::Model(uid) => format!("#/model/{}", encode_path(uid)),
            Route::Validate => "#/validate".to_owned(),
            Route::NotFound(hash) => format!("#{hash}"),
        }
    }
}

/// Percent-encodes a query value: everything but unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-encodes a path, keeping its `/` separators.
fn encode_path(text: &str) -> String {
    text.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// Decodes `%XX` escapes and `+` as a space; malformed escapes stay as they are.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        // Both digits are below 16, so the byte fits.
                        out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
