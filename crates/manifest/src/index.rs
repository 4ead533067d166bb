//! The hub index: a JSON catalogue of every card in a hub tree.

use crate::schema::{Asset, Card};
use serde::{Deserialize, Serialize};
use uid::Uid;

/// The version of the index format written by this crate.
pub const INDEX_FORMAT: u32 = 1;

/// The name of a signed index's signature file, beside `index.json` at the hub's root
/// (its format is the `trust` crate's).
pub const SIGNATURE_FILE: &str = "index.json.sig";

/// The catalogue of a hub, served as `index.json` at the hub's root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The format version, [`INDEX_FORMAT`].
    pub format: u32,
    /// A signed index's version: one more than the last one the hub signed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<u64>,
    /// When a signed index stops being valid, in seconds since 1970 (UTC).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires: Option<u64>,
    /// One entry per card, sorted by UID.
    pub models: Vec<IndexEntry>,
}

/// One model of the index: what a catalogue shows and where its card and assets are.
/// Keys are spelt as in cards (`model-version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct IndexEntry {
    /// The model UID.
    pub uid: String,
    /// The card's path relative to the hub root, `assets/<uid>.md`.
    pub card: String,
    /// The card's title, else its model-name, else the UID's name.
    pub title: String,
    /// `module-type` as written, e.g. `cv-classification`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub task: Option<String>,
    /// `train-dataset`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dataset: Option<String>,
    /// The backend directory, else the card's infer-backend list.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub backends: Vec<String>,
    /// The framework version directory.
    pub version: String,
    /// `model-version`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model_version: Option<String>,
    /// `summary`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// `license`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub license: Option<String>,
    /// The card's assets; `mirror` says where the hub serves its own copy of one.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// The card's Chinese twin beside it (`assets/…/<name>_cn.md`), when the hub has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub translation: Option<String>,
    /// The sha256 of the card file's bytes, in a signed index.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card_sha256: Option<String>,
    /// The card file's size in bytes, in a signed index.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card_size: Option<u64>,
}

impl IndexEntry {
    /// Builds the entry for the card at `uid`.
    pub fn new(uid: &Uid, card: &Card) -> IndexEntry {
        let task = card.module_type.as_ref().map(|m| match &m.detail {
            Some(d) => format!("{}-{d}", m.category),
            None => m.category.clone(),
        });
        let backends = match uid.backend() {
            Some(b) => vec![b.to_owned()],
            None => card
                .infer_backend
                .iter()
                .map(|b| b.to_ascii_lowercase())
                .collect(),
        };
        IndexEntry {
            uid: uid.to_string(),
            card: format!("assets/{}", uid.card_path()),
            title: card
                .title
                .clone()
                .or_else(|| card.model_name.clone())
                .unwrap_or_else(|| uid.name().to_owned()),
            task,
            dataset: card.train_dataset.clone(),
            backends,
            version: uid.version().to_owned(),
            model_version: card.model_version.clone(),
            summary: card.summary.clone(),
            license: card.license.clone(),
            assets: card.assets.clone(),
            translation: None,
            card_sha256: None,
            card_size: None,
        }
    }
}

/// Why bytes are not a hub index this crate can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadIndex {
    /// The bytes are not JSON of the index's shape.
    #[error("{0}")]
    Json(String),
    /// The index is of another format version.
    #[error("format {0} is not the supported {INDEX_FORMAT}")]
    Format(u32),
}

impl Index {
    /// Reads an `index.json` as served: JSON of this shape, of format [`INDEX_FORMAT`].
    ///
    /// ```
    /// let index = manifest::Index::from_json(br#"{"format":1,"models":[]}"#).unwrap();
    /// assert!(index.models.is_empty());
    /// assert!(manifest::Index::from_json(br#"{"format":2,"models":[]}"#).is_err());
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Index, BadIndex> {
        let index: Index =
            serde_json::from_slice(bytes).map_err(|e| BadIndex::Json(e.to_string()))?;
        if index.format != INDEX_FORMAT {
            return Err(BadIndex::Format(index.format));
        }
        Ok(index)
    }

    /// The index of these entries, sorted by UID.
    pub fn new(mut models: Vec<IndexEntry>) -> Index {
        models.sort_by(|a, b| a.uid.cmp(&b.uid));
        Index {
            format: INDEX_FORMAT,
            version: None,
            expires: None,
            models,
        }
    }
}
