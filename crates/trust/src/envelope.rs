//! The signature file beside `index.json`: signatures over the index's exact bytes, and an optional delegation from a root key to index keys.
//!
//! ```text
//! index.json.sig
//! {
//!   "format": 1,
//!   "signatures": [{"key": "<key id>", "sig": "<base64>"}],         over index.json's bytes
//!   "delegation": {                                                  optional
//!     "payload": "<base64 of {"role":"index","keys":[…],"threshold":1,"version":n,"expires":t}>",
//!     "signatures": [{"key": "<root key id>", "sig": "<base64>"}]    over the payload's bytes
//!   }
//! }
//! ```
//!
//! Every signature is over exact bytes, never over JSON re-encoded, so no canonical form is
//! needed; and over a domain-separated message (`mhub-signature-v1`, the role, the length,
//! the bytes), so an index signature can never pass for a delegation's or the other way.

use crate::Error;
use crate::keys::{PublicKey, SecretKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The envelope format this crate writes and reads.
pub const ENVELOPE_FORMAT: u32 = 1;

pub use manifest::SIGNATURE_FILE;

/// The largest signature file read.
pub const MAX_ENVELOPE: usize = 64 << 10;

/// What a signature is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The exact bytes of `index.json`.
    Index,
    /// A delegation's payload.
    Delegation,
}

/// The message a key signs for `role` and `payload`.
pub(crate) fn message(role: Role, payload: &[u8]) -> Vec<u8> {
    let role: &[u8] = match role {
        Role::Index => b"index",
        Role::Delegation => b"delegation",
    };
    let mut out = b"mhub-signature-v1\n".to_vec();
    out.extend(role);
    out.push(b'\n');
    out.extend((payload.len() as u64).to_le_bytes());
    out.extend(payload);
    out
}

/// One signature: who signed, and the 64 bytes in base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The signer's [`KeyId`].
    pub key: String,
    /// The signature, base64.
    pub sig: String,
}

impl Signature {
    fn by(key: &SecretKey, role: Role, payload: &[u8]) -> Signature {
        Signature {
            key: key.public().id().to_string(),
            sig: STANDARD.encode(key.sign(&message(role, payload))),
        }
    }

    /// Whether this is `key`'s signature over `payload` in `role`.
    pub(crate) fn is_by(&self, key: &PublicKey, role: Role, payload: &[u8]) -> bool {
        self.key == key.id().as_str()
            && STANDARD
                .decode(&self.sig)
                .is_ok_and(|sig| key.verifies(&message(role, payload), &sig))
    }
}

/// What a delegation says: these keys, `threshold` of them together, sign the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// Always `index`: the role handed over.
    pub role: String,
    /// The keys' texts.
    pub keys: Vec<String>,
    /// How many of them must sign an index (1 today; the format has room for more).
    pub threshold: u32,
    /// Higher than every earlier delegation of this hub's root: an older one replayed is refused.
    pub version: u64,
    /// Seconds since 1970 (UTC) after which the delegation is void.
    pub expires: u64,
}

impl Grant {
    /// Reads a delegation's payload: a grant of the `index` role to at least `threshold`
    /// keys, `threshold` at least 1.
    pub(crate) fn from_payload(payload: &[u8]) -> Result<Grant, Error> {
        let grant: Grant =
            serde_json::from_slice(payload).map_err(|e| Error::Grant(e.to_string()))?;
        if grant.role != "index" {
            return Err(Error::Grant(format!(
                "it grants the role `{}`, not `index`",
                grant.role
            )));
        }
        if grant.threshold == 0 || grant.threshold as usize > grant.keys.len() {
            return Err(Error::Grant(format!(
                "its threshold {} is not between 1 and its {} keys",
                grant.threshold,
                grant.keys.len()
            )));
        }
        Ok(grant)
    }
}

/// A root key's signed grant of the index role to other keys: what lets an index key be
/// replaced while clients keep trusting the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    /// The [`Grant`] as JSON, base64: the exact bytes the root signed.
    pub payload: String,
    /// The root's signatures over those bytes.
    pub signatures: Vec<Signature>,
}

impl Delegation {
    /// `root` grants the index role to `keys`, `threshold` of which must sign.
    pub fn grant(
        root: &SecretKey,
        keys: &[PublicKey],
        threshold: u32,
        version: u64,
        expires: u64,
    ) -> Result<Delegation, Error> {
        let grant = Grant {
            role: "index".to_owned(),
            keys: keys.iter().map(PublicKey::to_text).collect(),
            threshold,
            version,
            expires,
        };
        let payload = serde_json::to_vec(&grant).map_err(|e| Error::Envelope(e.to_string()))?;
        Grant::from_payload(&payload)?;
        Ok(Delegation {
            signatures: vec![Signature::by(root, Role::Delegation, &payload)],
            payload: STANDARD.encode(payload),
        })
    }

    /// Reads a delegation file's JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Delegation, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Envelope(format!("its delegation: {e}")))
    }

    /// What the delegation grants, read from its payload (not checked against a key).
    pub fn grant_of(&self) -> Result<Grant, Error> {
        Grant::from_payload(&self.payload_bytes()?)
    }

    /// The payload's bytes.
    pub(crate) fn payload_bytes(&self) -> Result<Vec<u8>, Error> {
        STANDARD
            .decode(&self.payload)
            .map_err(|_| Error::Envelope("its delegation's payload is not base64".to_owned()))
    }
}

/// The signature file: signatures over the index's bytes, and the delegation that names
/// their keys when the trusted key does not sign the index itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// [`ENVELOPE_FORMAT`].
    pub format: u32,
    /// Signatures over the index's exact bytes.
    pub signatures: Vec<Signature>,
    /// The root's grant to the index keys, when they are not the trusted keys themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<Delegation>,
}

impl Envelope {
    /// Signs the exact bytes `index` with `key`, under `delegation` when `key` is an
    /// index key a root granted the role to.
    pub fn sign(index: &[u8], key: &SecretKey, delegation: Option<Delegation>) -> Envelope {
        Envelope {
            format: ENVELOPE_FORMAT,
            signatures: vec![Signature::by(key, Role::Index, index)],
            delegation,
        }
    }

    /// The envelope as the file's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Reads a signature file: at most [`MAX_ENVELOPE`] bytes of JSON of this shape.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, Error> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(Error::Envelope(format!(
                "it is larger than {MAX_ENVELOPE} bytes"
            )));
        }
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| Error::Envelope(e.to_string()))?;
        if envelope.format != ENVELOPE_FORMAT {
            return Err(Error::Envelope(format!(
                "format {} is not the supported {ENVELOPE_FORMAT}",
                envelope.format
            )));
        }
        Ok(envelope)
    }
}
