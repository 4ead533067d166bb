//! What the page makes of a hub's signature: the index checked with the key the user trusts, against what this browser saw of the hub before, with the same `trust` code as the cli.

use manifest::{Index, IndexEntry};
use trust::{PublicKey, Seen};

/// The `localStorage` key of the key the user trusts, for every hub this page shows.
pub const TRUST_KEY: &str = "mhub-trust";

/// The `localStorage` key of what was seen of the hub at `hub`.
pub fn seen_key(hub: &str) -> String {
    format!("mhub-seen:{hub}")
}

/// How the index the page shows stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// No key is trusted: nothing was checked.
    NotChecked,
    /// The trusted key's signature checked out, and nothing was older than seen before.
    Verified {
        /// The index's version.
        version: u64,
        /// The ids of the keys whose signatures counted.
        signers: Vec<String>,
    },
}

impl Signing {
    /// Whether the page may call a model verified (and its card must match the index).
    pub fn is_verified(&self) -> bool {
        matches!(self, Signing::Verified { .. })
    }

    /// One line for the page's header.
    pub fn line(&self) -> String {
        match self {
            Signing::NotChecked => "index not checked: no trusted key".to_owned(),
            Signing::Verified { version, signers } => {
                format!(
                    "index verified: version {version}, key {}",
                    signers.join(", ")
                )
            }
        }
    }
}

/// The trusted keys in `text` (one per line, `#` comments allowed).
pub fn trusted_keys(text: &str) -> Result<Vec<PublicKey>, String> {
    let keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PublicKey::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the trusted key is not valid: {e}"))?;
    if keys.is_empty() {
        return Err("the trusted key is empty".to_owned());
    }
    Ok(keys)
}

/// The index the page may show, with the [`Seen`] to store (only once this returned `Ok`).
/// Without a trusted key the index is read as it is. With one, the signature file must
/// be there and verify, the index must not have expired, nor be older than `seen` (the
/// stored JSON of an earlier [`Seen`]).
pub fn check(
    index: &[u8],
    signature: Option<&[u8]>,
    trusted: Option<&str>,
    seen: Option<&str>,
    now: u64,
) -> Result<(Index, Signing, Option<Seen>), String> {
    let Some(trusted) = trusted.filter(|t| !t.trim().is_empty()) else {
        let index =
            Index::from_json(index).map_err(|e| format!("`index.json` is not a hub index: {e}"))?;
        return Ok((index, Signing::NotChecked, None));
    };
    let keys = trusted_keys(trusted)?;
    let signature = signature
        .ok_or("a key is trusted, and the hub has no signed index (`index.json.sig`)".to_owned())?;
    let refused = |e: trust::Error| format!("the hub's index is refused: {e}");
    let verified = trust::verify(index, signature, &keys, now).map_err(refused)?;
    // A stored record that does not read (cleared by hand, say) counts as nothing seen.
    let before: Seen = seen
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let next = before.admit(&verified).map_err(refused)?;
    let signing = Signing::Verified {
        version: verified.version,
        signers: verified.signers.iter().map(ToString::to_string).collect(),
    };
    Ok((verified.index, signing, Some(next)))
}

/// Whether the card text fetched for `entry` is the one a verified index pins.
pub fn check_card(entry: &IndexEntry, text: &str) -> Result<(), String> {
    trust::check_card(entry, text.as_bytes()).map_err(|e| e.to_string())
}
