//! Ed25519 keys as mhub writes them: a public key as one line of text, a secret key file, and a key's short id.

use crate::Error;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::Digest as _;

/// The prefix of a public key's text.
const PUBLIC: &str = "mhub-ed25519-public:";
/// The prefix of a secret key's text.
const SECRET: &str = "mhub-ed25519-secret:";

/// A public key that may sign a hub's index or hand that role to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// A secret key. Its text is only ever written to a private file; it is never shown.
pub struct SecretKey(SigningKey);

/// The short name of a public key: the first 8 bytes of its sha256, as 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl KeyId {
    /// The id as written in envelopes.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The meaningful line of a key's text: lines starting with `#` and blank lines are comments.
fn key_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// 32 bytes from standard base64.
fn bytes32(text: &str) -> Option<[u8; 32]> {
    let bytes = STANDARD.decode(text).ok()?;
    bytes.try_into().ok()
}

impl PublicKey {
    /// Reads a public key from its text (what [`PublicKey::to_text`] writes, comment lines
    /// allowed): `mhub-ed25519-public:` and 32 bytes in base64.
    pub fn parse(text: &str) -> Result<PublicKey, Error> {
        let line = key_line(text).ok_or(Error::BadKey("it is empty"))?;
        let body = line.strip_prefix(PUBLIC).ok_or(Error::BadKey(
            "it does not start with `mhub-ed25519-public:`",
        ))?;
        let bytes = bytes32(body).ok_or(Error::BadKey("its key is not 32 bytes of base64"))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| Error::BadKey("it is not a point of the curve"))
    }

    /// The key as one line of text, without a newline.
    pub fn to_text(&self) -> String {
        format!("{PUBLIC}{}", STANDARD.encode(self.0.as_bytes()))
    }

    /// Its short id.
    pub fn id(&self) -> KeyId {
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        KeyId(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
    }

    /// Whether `signature` (64 bytes) is this key's over `message`, checked strictly (no
    /// small-order keys or malleable signatures).
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl SecretKey {
    /// The key of a 32-byte seed, which must come from a cryptographic random source
    /// (the cli takes the operating system's): this crate does no I/O.
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// Reads a secret key from its file's text.
    pub fn parse(text: &str) -> Result<SecretKey, Error> {
        let line = key_line(text).ok_or(Error::BadKey("it is empty"))?;
        let body = line.strip_prefix(SECRET).ok_or(Error::BadKey(
            "it does not start with `mhub-ed25519-secret:`",
        ))?;
        let seed = bytes32(body).ok_or(Error::BadKey("its key is not 32 bytes of base64"))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// The text of its file: a comment line and the key.
    pub fn to_text(&self) -> String {
        format!(
            "# mhub secret key {}: keep this file private\n{SECRET}{}\n",
            self.public().id(),
            STANDARD.encode(self.0.to_bytes())
        )
    }

    /// Its public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Its signature over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}
