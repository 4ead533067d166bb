//! The page the URL's hash names, and back: `#/`, `#/?q=…&task=…`, `#/model/<uid>`, `#/validate`.

use crate::catalogue::Filters;
use crate::percent::{decode, encode};

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

/// Percent-encodes a path, keeping its `/` separators.
fn encode_path(text: &str) -> String {
    text.split('/').map(encode).collect::<Vec<_>>().join("/")
}
