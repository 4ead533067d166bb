//! Sha256 digests: the full digest that names a blob, and what a card's `asset-sha256` promises.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;
use std::fmt;
use std::str::FromStr;

/// A full sha256 digest: parsed once from 64 hex digits (either case), shown once as
/// 64 lowercase hex digits. Blobs, mirror entries and `/sha256/<hex>` urls are named by it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(String);

impl Sha256 {
    /// Reads 64 hex digits (surrounding whitespace ignored); `None` for anything else.
    pub fn parse(text: &str) -> Option<Sha256> {
        let text = text.trim();
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Sha256(text.to_ascii_lowercase()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        let mut hasher = Hasher::default();
        hasher.update(bytes);
        hasher.finish()
    }

    /// The 64 lowercase hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.0)
    }
}

impl AsRef<str> for Sha256 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Sha256 {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for Sha256 {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for Sha256 {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Why a text is not a sha256.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a sha256: it needs 64 hex digits")]
pub struct NotSha256(pub String);

impl FromStr for Sha256 {
    type Err = NotSha256;
    fn from_str(text: &str) -> Result<Sha256, NotSha256> {
        Sha256::parse(text).ok_or_else(|| NotSha256(text.to_owned()))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sha256, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A running sha256 over bytes that arrive in pieces.
#[derive(Clone, Default)]
pub struct Hasher(sha2::Sha256);

impl Hasher {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything added.
    pub fn finish(self) -> Sha256 {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let digest = self.0.finalize();
        let mut out = String::with_capacity(64);
        for b in digest {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 15)]));
        }
        Sha256(out)
    }
}

/// What a card promises about an asset's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expected {
    /// The full sha256: the bytes are exactly these.
    Full(Sha256),
    /// A prefix of it (8 or more hex digits, fewer than 64), lowercase: catches
    /// corruption, not substitution.
    Prefix(String),
}

impl Expected {
    /// Reads a card's `asset-sha256`; `None` if it is not hex, or shorter than 8 digits.
    pub fn parse(text: &str) -> Option<Expected> {
        if let Some(full) = Sha256::parse(text) {
            return Some(Expected::Full(full));
        }
        let hex = text.trim().to_ascii_lowercase();
        (hex.len() >= 8 && hex.len() < 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Expected::Prefix(hex))
    }

    /// The hex digits as declared.
    pub fn hex(&self) -> &str {
        match self {
            Expected::Full(h) => h.as_str(),
            Expected::Prefix(h) => h,
        }
    }

    /// The full digest, when it is declared.
    pub fn full(&self) -> Option<&Sha256> {
        match self {
            Expected::Full(h) => Some(h),
            Expected::Prefix(_) => None,
        }
    }

    /// Whether a full digest satisfies this expectation.
    pub fn accepts(&self, full: &Sha256) -> bool {
        match self {
            Expected::Full(h) => h == full,
            Expected::Prefix(p) => full.as_str().starts_with(p.as_str()),
        }
    }

    /// Whether only a prefix is known.
    pub fn is_prefix(&self) -> bool {
        matches!(self, Expected::Prefix(_))
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hex())
    }
}

/// A byte count for people, in binary units: `512 B`, `19.1 KiB`, `1.5 GiB`. The cli
/// and the web app show asset sizes with it.
#[allow(clippy::cast_precision_loss)]
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
