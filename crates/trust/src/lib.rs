//! The signed hub index: ed25519 keys, the `index.json.sig` envelope, delegation from a root key to index keys, and the checks a client runs before it believes an index.
//!
//! A hub's publisher signs the exact bytes of `index.json`; the index pins every card by
//! sha256 and size, carries a version and an expiry. A client that trusts a key checks,
//! in this order ([`verify`], then [`Seen::admit`], then [`Verified::card`] and
//! [`check_card`]): the envelope, the delegation (signed by a trusted root, not expired),
//! the index signatures (enough of the index keys), the index's expiry, its version
//! against the highest one this client saw for the hub (rollback), and each card's bytes
//! against the index. What it has seen is recorded only after all of that passed.
//!
//! This crate is pure: no I/O, no clock (callers pass the time), no randomness (a new
//! key's seed is the caller's), no network; it compiles to wasm32 for the web app. The
//! signing and verifying are `ed25519-dalek`'s, never hand-written. It is not a TUF client: there is
//! one signed file, with room for k-of-n and key rotation through delegation.
//!
//! # Example
//!
//! ```
//! use trust::{Envelope, SecretKey, Seen, check_card, verify};
//!
//! let key = SecretKey::from_seed([7; 32]); // a real key's seed is random
//! let card = b"# A card\n";
//! let index = format!(
//!     r#"{{"format":1,"version":1,"expires":4000000000,"models":[{{"uid":"a/1.0/m_v1_d",
//!     "card":"assets/a/1.0/m_v1_d.md","title":"m","version":"1.0",
//!     "card-sha256":"{}","card-size":{}}}]}}"#,
//!     manifest::Sha256::of(card),
//!     card.len()
//! );
//! let signature = Envelope::sign(index.as_bytes(), &key, None).to_json();
//!
//! let now = 1_800_000_000;
//! let verified = verify(index.as_bytes(), &signature, &[key.public()], now)?;
//! let seen = Seen::default().admit(&verified)?; // record this only now
//! assert_eq!(seen.version, 1);
//! check_card(verified.card("a/1.0/m_v1_d")?, card)?;
//! assert!(check_card(verified.card("a/1.0/m_v1_d")?, b"# Another card\n").is_err());
//! # Ok::<(), trust::Error>(())
//! ```

mod envelope;
mod keys;
mod verify;

pub use envelope::{
    Delegation, ENVELOPE_FORMAT, Envelope, Grant, MAX_ENVELOPE, SIGNATURE_FILE, Signature,
};
pub use keys::{KeyId, PublicKey, SecretKey};
pub use verify::{Seen, Verified, check_card, verify};

/// Why a key, a signature file or a signed index is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A key's text is not a key.
    #[error("not an mhub key: {0}")]
    BadKey(&'static str),
    /// The signature file cannot be read.
    #[error("the signature file is not valid: {0}")]
    Envelope(String),
    /// No signature by the keys that may sign.
    #[error("the index is not signed by a trusted key (signed by {found}; trusted: {trusted})")]
    Untrusted {
        /// The ids of the keys that signed, or `no key`.
        found: String,
        /// The ids of the keys that may sign.
        trusted: String,
    },
    /// A signature by a key that may sign does not match the bytes.
    #[error("the signature of key {key} does not match the {what}: it was changed after signing")]
    BadSignature {
        /// The key's id.
        key: String,
        /// `index` or `delegation`.
        what: &'static str,
    },
    /// Fewer valid signatures than the delegation asks for.
    #[error("the index has {valid} valid signature(s) of the {threshold} its delegation asks for")]
    Threshold {
        /// Valid signatures by distinct index keys.
        valid: usize,
        /// How many are needed.
        threshold: u32,
    },
    /// The delegation's grant is not one this crate accepts.
    #[error("the delegation is not valid: {0}")]
    Grant(String),
    /// The signed bytes are not an index, or not a signed one.
    #[error("the signed index is not valid: {0}")]
    Index(String),
    /// The index or its delegation has expired: someone may be freezing the hub.
    #[error("the signed {what} expired {ago} seconds ago (at {at} unix time)")]
    Expired {
        /// `index` or `delegation`.
        what: &'static str,
        /// When, in seconds since 1970.
        at: u64,
        /// How long ago.
        ago: u64,
    },
    /// An older index (or delegation) than one this client already accepted.
    #[error(
        "the signed {what} has version {got}, older than version {seen} seen before: someone may be replaying an old index"
    )]
    Rollback {
        /// `index` or `delegation`.
        what: &'static str,
        /// The version offered.
        got: u64,
        /// The highest version seen.
        seen: u64,
    },
    /// Two different indexes signed with the same version.
    #[error(
        "the signed index has version {version}, as a different index seen before: a new index needs a new version"
    )]
    Equivocation {
        /// The version.
        version: u64,
    },
    /// The card is not in the signed index.
    #[error("`{uid}` is not in the signed index")]
    NotListed {
        /// The UID.
        uid: String,
    },
    /// A card's bytes differ from what the signed index pins.
    #[error("the card of `{uid}` differs from the signed index: {why}")]
    CardChanged {
        /// The UID.
        uid: String,
        /// Size or digest, and both values.
        why: String,
    },
}

#[cfg(test)]
mod tests;
