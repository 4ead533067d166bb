//! The client's checks, in order: envelope, delegation, index signatures, expiry ([`verify`]); version against what was seen ([`Seen::admit`]); each card against the index ([`check_card`]).

use crate::Error;
use crate::envelope::{Envelope, Grant, Role, Signature};
use crate::keys::{KeyId, PublicKey};
use manifest::{Index, IndexEntry, Sha256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An index whose signature, delegation and expiry checked out. Not yet compared with
/// what this client saw before: that is [`Seen::admit`].
#[derive(Debug, Clone)]
pub struct Verified {
    /// The index, as signed.
    pub index: Index,
    /// Its version.
    pub version: u64,
    /// When it expires, in seconds since 1970.
    pub expires: u64,
    /// The version of the delegation it was signed under, if any.
    pub delegation: Option<u64>,
    /// The sha256 of the index's bytes.
    pub sha256: Sha256,
    /// The keys whose signatures counted.
    pub signers: Vec<KeyId>,
}

/// Checks the signature file `envelope` over the exact bytes `index`, with `trusted`
/// the keys the user trusts (roots) and `now` the time in seconds since 1970.
///
/// Without a delegation, one trusted key must sign the index. With one, a trusted key
/// must sign the delegation, which must not have expired, and `threshold` of the keys
/// it grants must sign the index. Then the index must parse, carry a version and an
/// expiry, pin every card, and not have expired.
pub fn verify(
    index: &[u8],
    envelope: &[u8],
    trusted: &[PublicKey],
    now: u64,
) -> Result<Verified, Error> {
    let envelope = Envelope::from_json(envelope)?;
    let (keys, threshold, delegation) = match &envelope.delegation {
        None => (trusted.to_vec(), 1, None),
        Some(delegation) => {
            let payload = delegation.payload_bytes()?;
            signed_by(
                &delegation.signatures,
                trusted,
                Role::Delegation,
                &payload,
                1,
            )?;
            let grant = Grant::from_payload(&payload)?;
            if grant.expires <= now {
                return Err(expired("delegation", grant.expires, now));
            }
            let keys = grant
                .keys
                .iter()
                .map(|k| PublicKey::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Grant(e.to_string()))?;
            (keys, grant.threshold, Some(grant.version))
        }
    };
    let signers = signed_by(&envelope.signatures, &keys, Role::Index, index, threshold)?;
    let parsed = Index::from_json(index).map_err(|e| Error::Index(e.to_string()))?;
    let missing = |field: &str| {
        Error::Index(format!(
            "it has no `{field}`: sign it with `mhub index --sign`"
        ))
    };
    let version = parsed.version.ok_or_else(|| missing("version"))?;
    let expires = parsed.expires.ok_or_else(|| missing("expires"))?;
    if let Some(entry) = parsed
        .models
        .iter()
        .find(|e| e.card_sha256.is_none() || e.card_size.is_none())
    {
        return Err(Error::Index(format!(
            "`{}` has no `card-sha256` and `card-size`",
            entry.uid
        )));
    }
    if expires <= now {
        return Err(expired("index", expires, now));
    }
    Ok(Verified {
        index: parsed,
        version,
        expires,
        delegation,
        sha256: Sha256::of(index),
        signers,
    })
}

fn expired(what: &'static str, at: u64, now: u64) -> Error {
    Error::Expired {
        what,
        at,
        ago: now - at,
    }
}

/// The distinct `keys` whose signatures among `signatures` are valid over `payload`, if
/// there are at least `threshold` of them. A signature of one of `keys` that does not
/// verify means the bytes were changed: it is reported as such.
fn signed_by(
    signatures: &[Signature],
    keys: &[PublicKey],
    role: Role,
    payload: &[u8],
    threshold: u32,
) -> Result<Vec<KeyId>, Error> {
    let mut valid = BTreeSet::new();
    let mut bad = None;
    for signature in signatures {
        let Some(key) = keys.iter().find(|k| k.id().as_str() == signature.key) else {
            continue;
        };
        if signature.is_by(key, role, payload) {
            valid.insert(key.id());
        } else {
            bad = Some(key.id());
        }
    }
    if valid.len() >= threshold as usize {
        return Ok(valid.into_iter().collect());
    }
    let what = match role {
        Role::Index => "index",
        Role::Delegation => "delegation",
    };
    if let Some(key) = bad {
        return Err(Error::BadSignature {
            key: key.to_string(),
            what,
        });
    }
    if valid.is_empty() {
        let names = |ids: Vec<String>| {
            if ids.is_empty() {
                "no key".to_owned()
            } else {
                ids.join(", ")
            }
        };
        return Err(Error::Untrusted {
            found: names(signatures.iter().map(|s| s.key.clone()).collect()),
            trusted: names(keys.iter().map(|k| k.id().to_string()).collect()),
        });
    }
    Err(Error::Threshold {
        valid: valid.len(),
        threshold,
    })
}

/// What a client last accepted from one hub: kept by the caller (the cache, the page's
/// storage) and written only after a new index passed [`verify`] and [`Seen::admit`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The highest index version accepted.
    pub version: u64,
    /// The highest delegation version accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<u64>,
    /// The sha256 of the index accepted at `version`.
    pub sha256: String,
    /// When that index expires.
    pub expires: u64,
}

impl Seen {
    /// Whether `new` may follow what was seen: its version is not lower (and, if equal,
    /// it is the same index), nor is its delegation's. Returns what to record.
    pub fn admit(&self, new: &Verified) -> Result<Seen, Error> {
        if new.version < self.version {
            return Err(Error::Rollback {
                what: "index",
                got: new.version,
                seen: self.version,
            });
        }
        if new.version == self.version && new.sha256 != self.sha256.as_str() {
            return Err(Error::Equivocation {
                version: new.version,
            });
        }
        if let (Some(got), Some(seen)) = (new.delegation, self.delegation)
            && got < seen
        {
            return Err(Error::Rollback {
                what: "delegation",
                got,
                seen,
            });
        }
        Ok(Seen {
            version: new.version,
            delegation: new.delegation.max(self.delegation),
            sha256: new.sha256.to_string(),
            expires: new.expires,
        })
    }
}

impl Verified {
    /// The signed entry of `uid`.
    pub fn card(&self, uid: &str) -> Result<&IndexEntry, Error> {
        self.index
            .models
            .iter()
            .find(|e| e.uid == uid)
            .ok_or_else(|| Error::NotListed {
                uid: uid.to_owned(),
            })
    }
}

/// Whether a card's bytes are the ones its signed entry pins.
pub fn check_card(entry: &IndexEntry, bytes: &[u8]) -> Result<(), Error> {
    let changed = |why: String| Error::CardChanged {
        uid: entry.uid.clone(),
        why,
    };
    let size = bytes.len() as u64;
    if entry.card_size != Some(size) {
        return Err(changed(format!(
            "it is {size} bytes, the index says {}",
            entry.card_size.unwrap_or_default()
        )));
    }
    let sha = Sha256::of(bytes);
    if entry.card_sha256.as_deref() != Some(sha.as_str()) {
        return Err(changed(format!(
            "its sha256 is `{sha}`, the index says `{}`",
            entry.card_sha256.as_deref().unwrap_or("")
        )));
    }
    Ok(())
}
