//! What the hub client answers: a listing, a model's info, a pulled model and its assets.

use crate::store::Record;
use manifest::{Card, Diagnostic, Entrypoint, IndexEntry, Sha256};
use std::path::PathBuf;
use uid::Uid;

/// What a source offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    /// A hub's models.
    Models(Vec<IndexEntry>),
    /// A repository's entrypoints.
    Entrypoints(Vec<Entrypoint>),
}

/// A model's card as the source has it, and what the cache holds of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The cache key: the UID, or `@repos/<owner>_<repo>_<ref>/<entrypoint>`.
    pub key: String,
    /// The card's UID.
    pub uid: Uid,
    /// The card.
    pub card: Card,
    /// What the `mhub` profile says about the card.
    pub diagnostics: Vec<Diagnostic>,
    /// The entrypoint, for repository models.
    pub entrypoint: Option<Entrypoint>,
    /// The cache record, if the model was pulled.
    pub record: Option<Record>,
    /// Whether the hub's index is signed, and what a trusted key's check found.
    pub signing: crate::Signing,
}

/// A pulled model: its card, read, and where its card and verified assets are.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// The cache key.
    pub key: String,
    /// The card, as read from the stored copy.
    pub card: Card,
    /// The stored card file.
    pub card_path: PathBuf,
    /// The verified assets.
    pub assets: Vec<PulledAsset>,
    /// Problems the `mhub` profile finds in the card (the pull went ahead).
    pub warnings: Vec<String>,
    /// Whether everything came from the cache, without the network.
    pub from_cache: bool,
}

/// One verified asset of a [`Pulled`] model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledAsset {
    /// The card's `file-format`.
    pub format: Option<String>,
    /// The card's `asset-link`.
    pub link: String,
    /// The verified file, read-only, in the cache.
    pub path: PathBuf,
    /// Its full sha256.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the card only declared an 8-digit prefix of the sha256.
    pub prefix_only: bool,
}
