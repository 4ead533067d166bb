//! Sha256 digests as cards declare them: all 64 hex digits, or an 8-digit prefix on older cards.

use sha2::{Digest as _, Sha256};
use std::fmt;

/// What a card promises about an asset's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expected {
    /// The full sha256, 64 lowercase hex digits: the bytes are exactly these.
    Full(String),
    /// A prefix of it (8 or more hex digits, fewer than 64): catches corruption, not substitution.
    Prefix(String),
}

impl Expected {
    /// Reads a card's `asset-sha256`; `None` if it is not hex, or shorter than 8 digits.
    pub fn parse(text: &str) -> Option<Expected> {
        let hex = text.trim().to_ascii_lowercase();
        if hex.len() < 8 || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(if hex.len() == 64 {
            Expected::Full(hex)
        } else {
            Expected::Prefix(hex)
        })
    }

    /// The hex digits as declared.
    pub fn hex(&self) -> &str {
        match self {
            Expected::Full(h) | Expected::Prefix(h) => h,
        }
    }

    /// Whether a full digest satisfies this expectation.
    pub fn accepts(&self, full: &str) -> bool {
        match self {
            Expected::Full(h) => h == full,
            Expected::Prefix(p) => full.starts_with(p.as_str()),
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

/// A running sha256 over streamed bytes.
#[derive(Clone, Default)]
pub(crate) struct Hasher(Sha256);

impl Hasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The lowercase hex digest.
    pub(crate) fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The sha256 of `text`, in hex (used to name things after urls).
pub(crate) fn of(text: &[u8]) -> String {
    hex(&Sha256::digest(text))
}
