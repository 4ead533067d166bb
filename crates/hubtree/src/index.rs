//! The one index builder: which cards of a hub tree `index.json` lists, by an explicit policy.

use crate::cards::{Checked, check_cards, find_cards};
use crate::error::{Error, Result, io};
use crate::mirror::mirrored;
use manifest::{Card, Index, IndexEntry, Profile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use uid::Uid;

/// What to do with a tree whose cards have errors. Either way, the index never lists
/// a card with errors: that is how an unsafe link would reach clients and the web app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Refuse the whole tree ([`Error::Refused`]): `mhub index`, a publisher's CI gate.
    RefuseInvalid,
    /// Index the valid cards and report the others: `mhub serve`, `mhub mirror`.
    SkipInvalid,
}

/// A card the index leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// The card file.
    pub path: PathBuf,
    /// Why, in a few words.
    pub reason: String,
}

/// An index and the cards it leaves out.
#[derive(Debug, Clone)]
pub struct Built {
    /// The index, sorted by UID.
    pub index: Index,
    /// The cards the index lists, read, in input order.
    pub listed: Vec<(Uid, Card)>,
    /// The cards left out under [`Policy::SkipInvalid`], in input order.
    pub left_out: Vec<LeftOut>,
}

/// The index entry of a card in the hub tree at `hub`, with `mirror` set on every
/// external asset whose verified copy is in the hub's mirror store (when the card allows it).
pub fn index_entry(hub: &Path, uid: &Uid, card: &Card) -> IndexEntry {
    let mut entry = IndexEntry::new(uid, card);
    for (link, path) in mirrored(hub, card) {
        for asset in &mut entry.assets {
            if asset.asset_link.as_deref() == Some(link.as_str()) {
                asset.mirror = Some(path.as_str().to_owned());
            }
        }
    }
    entry
}

/// Builds the index of the hub tree at `hub` from its checked cards. Translations
/// (`_cn.md`) and cards that are links to files outside the tree are never listed;
/// unreadable cards and cards with errors are left out or refuse the whole tree, as
/// `policy` says.
pub fn build_index(hub: &Path, checked: &[Checked], policy: Policy) -> Result<Built> {
    let root = hub.canonicalize().map_err(io("read", hub))?;
    // Each translation inside the tree, by the card path of the card it translates.
    let twins: HashMap<String, &str> = checked
        .iter()
        .filter(|c| !escapes(&root, &c.file.path))
        .filter_map(|c| {
            let path = c.file.card_path.as_deref()?;
            Some((manifest::english_sibling(path)?, path))
        })
        .collect();
    let mut entries = Vec::new();
    let mut listed = Vec::new();
    let mut left_out = Vec::new();
    let mut refused = 0;
    for c in checked {
        if c.is_translation() || escapes(&root, &c.file.path) {
            continue;
        }
        let reason = match &c.result {
            Err(e) => Some(e.to_string()),
            Ok(report) if report.has_errors() => {
                let n = report.count(manifest::Severity::Error);
                Some(format!("it has {n} error{}", if n == 1 { "" } else { "s" }))
            }
            Ok(report) => match &report.uid {
                Some(uid) => {
                    let mut entry = index_entry(hub, uid, &report.card);
                    entry.translation = twins
                        .get(&uid.card_path())
                        .map(|path| format!("assets/{path}"));
                    entries.push(entry);
                    listed.push((uid.clone(), report.card.clone()));
                    None
                }
                None => Some("it has no valid model id".to_owned()),
            },
        };
        if let Some(reason) = reason {
            refused += 1;
            left_out.push(LeftOut {
                path: c.file.path.clone(),
                reason,
            });
        }
    }
    if policy == Policy::RefuseInvalid && refused > 0 {
        return Err(Error::Refused { cards: refused });
    }
    Ok(Built {
        index: Index::new(entries),
        listed,
        left_out,
    })
}

/// Pins each entry of `index` to the card text it was built from: the sha256 and size of
/// the bytes that were checked, which a signed index carries so that no card can change
/// without breaking the signature.
pub fn pin_cards(index: &mut Index, checked: &[Checked]) {
    let texts: HashMap<String, &str> = checked
        .iter()
        .filter_map(|c| {
            let uid = c.result.as_ref().ok()?.uid.as_ref()?;
            Some((uid.to_string(), c.source.as_str()))
        })
        .collect();
    for entry in &mut index.models {
        if let Some(text) = texts.get(&entry.uid) {
            entry.card_sha256 = Some(manifest::Sha256::of(text.as_bytes()).to_string());
            entry.card_size = Some(text.len() as u64);
        }
    }
}

/// Finds, checks (under `profile`) and indexes every card of the hub tree at `hub`.
pub fn index_tree(hub: &Path, profile: Profile, policy: Policy) -> Result<Built> {
    let assets = hub.join("assets");
    if !assets.is_dir() {
        return Err(Error::NotAHub {
            path: hub.to_path_buf(),
        });
    }
    let checked = check_cards(find_cards(&[assets])?, profile);
    build_index(hub, &checked, policy)
}

/// Whether a card file is a link whose target is outside the tree.
fn escapes(root: &Path, path: &Path) -> bool {
    path.is_symlink() && !path.canonicalize().is_ok_and(|t| t.starts_with(root))
}
