//! A hub's signed index, for a client that trusts a key: fetched with its signature, verified, compared with what this cache saw of the hub, and only then recorded.
//!
//! The order is the one `trust` documents and it matters: nothing about a new index is
//! written before it verified and passed the rollback check (tough's CVE-2025-2888 wrote
//! first). What is kept per hub, in `v2/trust/<flat hub name>/`: `index.json`, the last
//! index accepted (so that `--offline` can still check cached cards against it), then
//! `seen.json`, the highest version seen, that index's sha256 and its expiry, written last.

use super::{Hub, MAX_INDEX, Root};
use crate::error::{Error, Result, io};
use crate::fetch::Fetcher;
use crate::store::Store;
use manifest::Sha256;
use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use trust::{PublicKey, SIGNATURE_FILE, Seen, Verified};
use uid::Uid;

/// The folder of the trust records, below the layout's root.
const TRUST: &str = "trust";

/// Seconds since 1970, now.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How the hub's index stands with this client: what `info` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Signing {
    /// No key was trusted, and the hub publishes no signature.
    Unsigned,
    /// No key was trusted; the hub publishes a signature, which was not checked.
    NotChecked,
    /// No key was trusted, and offline the hub was not asked.
    Unknown,
    /// A trusted key's signature checked out.
    Verified {
        /// The index version.
        version: u64,
        /// Its expiry, seconds since 1970.
        expires: u64,
        /// The ids of the keys whose signatures counted.
        signers: Vec<String>,
    },
}

impl Signing {
    pub(crate) fn of(verified: &Verified) -> Signing {
        Signing::Verified {
            version: verified.version,
            expires: verified.expires,
            signers: verified.signers.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A file at the hub's root, as the hub serves it: `None` when there is none.
pub(crate) fn fetch_file(
    fetcher: &Fetcher,
    root: &Root,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>> {
    match root {
        Root::Dir(dir) => {
            // Inside the tree only, as a server would serve it.
            let tree = hubtree::Root::open(dir).map_err(io("open", dir))?;
            let Some(found) = hubtree::Relative::link(name).and_then(|rel| tree.find(&rel)) else {
                return Ok(None);
            };
            let mut bytes = Vec::new();
            (&found.file)
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(io("read", &found.path))?;
            if bytes.len() as u64 > limit {
                return Err(Error::TooLarge {
                    url: found.path.display().to_string(),
                    limit,
                });
            }
            Ok(Some(bytes))
        }
        Root::Url(base) => {
            let url = base.join(name).map_err(|e| Error::BadUrl {
                url: base.to_string(),
                reason: e.to_string(),
            })?;
            let url = fetcher.url(url.as_str())?;
            match fetcher.bytes(&url, limit) {
                Err(Error::Status { status: 404, .. }) => Ok(None),
                other => other.map(Some),
            }
        }
    }
}

/// The hub's signature file, if it has one.
pub(crate) fn fetch_signature(fetcher: &Fetcher, root: &Root) -> Result<Option<Vec<u8>>> {
    fetch_file(fetcher, root, SIGNATURE_FILE, trust::MAX_ENVELOPE as u64)
}

/// The index and its signature, as the hub serves them.
pub(crate) fn fetch_pair(
    fetcher: &Fetcher,
    root: &Root,
    hub: &str,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let signature = fetch_signature(fetcher, root)?;
    let index =
        fetch_file(fetcher, root, "index.json", MAX_INDEX)?.ok_or_else(|| Error::Unsigned {
            hub: hub.to_owned(),
            what: "no index.json".to_owned(),
        })?;
    Ok((index, signature))
}

/// The trust records of one hub, in the cache.
pub(crate) struct Records<'a> {
    store: &'a Store,
    name: String,
}

impl<'a> Records<'a> {
    pub(crate) fn of(store: &'a Store, hub: &str) -> Records<'a> {
        Records {
            store,
            name: uid::flat_name(hub),
        }
    }

    fn path(&self, file: &str) -> std::path::PathBuf {
        self.store.root().join(TRUST).join(&self.name).join(file)
    }

    /// What was seen of this hub; nothing yet is the default.
    fn seen(&self) -> Result<Seen> {
        let path = self.path("seen.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
                what: "trust record",
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Seen::default()),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    /// Verifies the hub's index and signature with `keys`, checks it against what was
    /// seen, and only then records it.
    pub(crate) fn accept(
        &self,
        hub: &str,
        index: &[u8],
        signature: Option<&[u8]>,
        keys: &[PublicKey],
    ) -> Result<Verified> {
        let refused = |source| Error::Trust {
            hub: hub.to_owned(),
            source,
        };
        let signature = signature.ok_or_else(|| Error::Unsigned {
            hub: hub.to_owned(),
            what: format!("no {SIGNATURE_FILE}"),
        })?;
        let verified = trust::verify(index, signature, keys, now()).map_err(refused)?;
        let seen = self.seen()?;
        let next = seen.admit(&verified).map_err(refused)?;
        if next != seen {
            let dir = self
                .store
                .root()
                .create_dirs(&Path::new(TRUST).join(&self.name))?;
            let tmp = self.store.tmp();
            if next.sha256 != seen.sha256 {
                dir.write_atomic_via(tmp, &self.store.unique_temp("trust"), "index.json", index)?;
            }
            let json = serde_json::to_vec_pretty(&next).map_err(|e| Error::Invalid {
                what: "trust record",
                path: hub.to_owned(),
                reason: e.to_string(),
            })?;
            // Written last: it names the index kept beside it.
            dir.write_atomic_via(tmp, &self.store.unique_temp("trust"), "seen.json", &json)?;
        }
        Ok(verified)
    }

    /// The last index accepted from this hub, for `--offline`: it must be the one
    /// `seen.json` names, and must not have expired since.
    pub(crate) fn last(&self, hub: &str) -> Result<Verified> {
        let seen = self.seen()?;
        let offline = || Error::Offline {
            what: format!("a signed index of `{hub}` checked before"),
        };
        if seen.version == 0 {
            return Err(offline());
        }
        let path = self.path("index.json");
        let bytes = fs::read(&path).map_err(|_| offline())?;
        if Sha256::of(&bytes) != seen.sha256.as_str() {
            return Err(offline());
        }
        let index = manifest::Index::from_json(&bytes).map_err(|e| Error::Invalid {
            what: "trust record",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let now = now();
        if seen.expires <= now {
            return Err(Error::Trust {
                hub: hub.to_owned(),
                source: trust::Error::Expired {
                    what: "index",
                    at: seen.expires,
                    ago: now - seen.expires,
                },
            });
        }
        Ok(Verified {
            index,
            version: seen.version,
            expires: seen.expires,
            delegation: seen.delegation,
            sha256: Sha256::of(&bytes),
            signers: Vec::new(),
        })
    }
}

impl Hub {
    /// The hub's signed index, verified with the trusted keys once per `Hub`; `None` when
    /// no key is trusted. Offline, the last index this cache accepted from the hub.
    pub(super) fn signed(&self, root: &Root) -> Result<Option<Arc<Verified>>> {
        if self.trust.is_empty() {
            return Ok(None);
        }
        let mut kept = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(verified) = kept.as_ref() {
            return Ok(Some(verified.clone()));
        }
        let hub = root.identity();
        let records = Records::of(&self.cache.store, &hub);
        let verified = if self.offline {
            records.last(&hub)?
        } else {
            let (index, signature) = fetch_pair(&self.fetcher, root, &hub)?;
            let _lock = self
                .cache
                .store
                .lock(&format!("trust.{}", uid::flat_name(&hub)))?;
            records.accept(&hub, &index, signature.as_deref(), &self.trust)?
        };
        let verified = Arc::new(verified);
        *kept = Some(verified.clone());
        Ok(Some(verified))
    }

    /// How the hub's index stands: verified by a trusted key, or signed and not checked,
    /// or unsigned.
    pub(super) fn signing(&self, root: &Root) -> Result<Signing> {
        if let Some(verified) = self.signed(root)? {
            return Ok(Signing::of(&verified));
        }
        if self.offline {
            return Ok(Signing::Unknown);
        }
        Ok(match fetch_signature(&self.fetcher, root) {
            Ok(Some(_)) => Signing::NotChecked,
            _ => Signing::Unsigned,
        })
    }

    /// The signed entry of `uid`, when a key is trusted: a model the signed index does
    /// not list is refused before its card is fetched.
    pub(super) fn signed_entry(
        &self,
        root: &Root,
        uid: &Uid,
    ) -> Result<Option<manifest::IndexEntry>> {
        let Some(verified) = self.signed(root)? else {
            return Ok(None);
        };
        verified
            .card(&uid.to_string())
            .cloned()
            .map(Some)
            .map_err(|source| Error::Trust {
                hub: root.identity(),
                source,
            })
    }
}
