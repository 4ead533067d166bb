//! `Hub`: list, inspect and pull models from a source into the verified cache.

mod repo;
mod signed;

use crate::Progress;
use crate::blobs::{Wanted, store_blob};
use crate::error::{Error, Result, io};
use crate::fetch::{Fetcher, NetConfig};
use crate::maintain::Cache;
use crate::results::{Info, Listing, Pulled, PulledAsset};
use crate::source::{Location, Source, locate};
use crate::store::{Record, StoredAsset};
use hubtree::Policy;
use manifest::{
    Card, Diagnostic, Entrypoint, Index, IndexEntry, Options, Profile, Severity, is_external_link,
};
use reqwest::Url;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use trust::{PublicKey, Verified};

pub use signed::Signing;
use uid::Uid;

pub use repo::{DEFAULT_REF, DEFAULT_REPO_URL};

/// Largest card accepted from a hub.
const MAX_CARD: u64 = 1 << 20;
/// Largest `index.json` accepted.
pub(crate) const MAX_INDEX: u64 = 64 << 20;
/// Rules whose failure means a card cannot be read at all.
const UNREADABLE: &[&str] = &[
    "front-matter-missing",
    "front-matter-unclosed",
    "front-matter-too-large",
    "front-matter-empty",
    "yaml-syntax",
    "yaml-alias",
    "yaml-tag",
    "yaml-too-deep",
    "yaml-complex-key",
    "not-a-mapping",
];

/// Builds a [`Hub`].
#[derive(Debug, Clone)]
pub struct HubBuilder {
    dir: Option<PathBuf>,
    source: Option<Source>,
    net: NetConfig,
    offline: bool,
    repo_url: String,
    default_ref: String,
    trust: Vec<PublicKey>,
}

/// A hub source plus the local cache: the mhub counterpart of `torch.hub` and
/// `mindspore_hub`.
///
/// ```no_run
/// use cache::{Hub, Silent, Source};
///
/// let hub = Hub::builder()
///     .dir("/tmp/mhub-cache")
///     .source(Source::parse("https://hub.example.org/")?)
///     .build()?;
/// let uid = "mindspore/ascend/0.7/googlenet_v1_cifar10".parse()?;
/// let pulled = hub.pull(&uid, false, &Silent)?;
/// println!("{}", pulled.assets[0].path.display());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Hub {
    cache: Cache,
    fetcher: Fetcher,
    source: Source,
    offline: bool,
    repo_url: String,
    default_ref: String,
    trust: Vec<PublicKey>,
    /// The signed index, once verified in this process.
    verified: Mutex<Option<Arc<Verified>>>,
}

impl Default for HubBuilder {
    fn default() -> HubBuilder {
        HubBuilder {
            dir: None,
            source: None,
            net: NetConfig::default(),
            offline: false,
            repo_url: DEFAULT_REPO_URL.to_owned(),
            default_ref: DEFAULT_REF.to_owned(),
            trust: Vec::new(),
        }
    }
}

impl HubBuilder {
    /// The cache directory, like torch.hub's `set_dir`; see [`resolve_dir`].
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> HubBuilder {
        self.dir = Some(dir.into());
        self
    }

    /// Where models come from.
    pub fn source(mut self, source: Source) -> HubBuilder {
        self.source = Some(source);
        self
    }

    /// Network settings.
    pub fn net(mut self, net: NetConfig) -> HubBuilder {
        self.net = net;
        self
    }

    /// Never touch the network; answer from the cache or say what is missing.
    pub fn offline(mut self, offline: bool) -> HubBuilder {
        self.offline = offline;
        self
    }

    /// The url template of repository archives, with `{owner}`, `{repo}` and `{ref}`.
    pub fn repo_url(mut self, template: impl Into<String>) -> HubBuilder {
        self.repo_url = template.into();
        self
    }

    /// The branch used for repository references without `:ref`.
    pub fn default_ref(mut self, name: impl Into<String>) -> HubBuilder {
        self.default_ref = name.into();
        self
    }

    /// Keys the hub's index must be signed by (directly, or through a delegation one of
    /// them signed): with any, every listing, card and pull is checked against the
    /// signed index first, and a hub that fails is refused before anything is cached.
    pub fn trust(mut self, keys: Vec<PublicKey>) -> HubBuilder {
        self.trust = keys;
        self
    }

    /// Opens the cache and sets up the client; the directory and the source are required.
    pub fn build(self) -> Result<Hub> {
        let dir = self.dir.ok_or(Error::Config("no cache directory given"))?;
        let source = self.source.ok_or(Error::Config("no source given"))?;
        if !self.trust.is_empty() && matches!(source, Source::Repo(_)) {
            return Err(Error::Config(
                "a repository archive has no signed index: a trusted key applies to hubs",
            ));
        }
        // The hub the user typed is trusted at its own origin: a loopback or LAN hub works,
        // but its cards cannot send mhub to other ports or hosts of the local network.
        let mut net = self.net;
        if net.origin.is_none() {
            net.origin = match &source {
                Source::Http(url) => Some(url.clone()),
                Source::Repo(_) => Url::parse(
                    &self
                        .repo_url
                        .replace("{owner}", "o")
                        .replace("{repo}", "r")
                        .replace("{ref}", "x"),
                )
                .ok(),
                Source::Local(_) => None,
            };
        }
        Ok(Hub {
            cache: Cache::open(&dir)?,
            fetcher: Fetcher::new(&net)?,
            source,
            offline: self.offline,
            repo_url: self.repo_url,
            default_ref: self.default_ref,
            trust: self.trust,
            verified: Mutex::new(None),
        })
    }
}

/// Where a source's cards and relative assets are.
pub(crate) enum Root {
    Dir(PathBuf),
    Url(Url),
}

impl Root {
    /// What names this hub in the cache's records: the canonical path of a tree on disk
    /// (a repository's is its own extracted folder), or the hub's url.
    fn identity(&self) -> String {
        match self {
            Root::Dir(d) => d
                .canonicalize()
                .unwrap_or_else(|_| d.clone())
                .display()
                .to_string(),
            Root::Url(u) => u.to_string(),
        }
    }

    fn base(&self) -> std::result::Result<&Path, &Url> {
        match self {
            Root::Dir(d) => Ok(d),
            Root::Url(u) => Err(u),
        }
    }
}

pub(crate) fn first_error(
    what: &'static str,
    path: &str,
    diagnostics: &[Diagnostic],
) -> Option<Error> {
    diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .map(|d| Error::Invalid {
            what,
            path: path.to_owned(),
            reason: format!("line {}: {}", d.span.line, d.message),
        })
}

impl Hub {
    /// A builder with the defaults: GitHub archives, branch `main`, https only.
    pub fn builder() -> HubBuilder {
        HubBuilder::default()
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The source.
    pub fn source(&self) -> &Source {
        &self.source
    }

    fn root(&self) -> Result<Root> {
        match &self.source {
            Source::Local(dir) => Ok(Root::Dir(dir.clone())),
            Source::Http(url) => Ok(Root::Url(url.clone())),
            Source::Repo(r) => Err(Error::BadUrl {
                url: r.to_string(),
                reason: "a repository is loaded by entrypoint: pass `OWNER/REPO[:REF] ENTRY`"
                    .to_owned(),
            }),
        }
    }

    fn offline_error(&self, what: impl Into<String>) -> Error {
        Error::Offline { what: what.into() }
    }

    /// The models of a hub, or the entrypoints of a repository (torch.hub's `list`).
    pub fn list(&self, progress: &dyn Progress) -> Result<Listing> {
        match &self.source {
            Source::Repo(repo) => Ok(Listing::Entrypoints(
                self.hubconf(repo, false, progress)?.1.entrypoints,
            )),
            Source::Local(_) | Source::Http(_) if !self.trust.is_empty() => {
                let verified = self.signed(&self.root()?)?.ok_or(Error::Config("no key"))?;
                Ok(Listing::Models(verified.index.models.clone()))
            }
            Source::Local(dir) => {
                let index = dir.join("index.json");
                if index.is_file() {
                    let bytes = fs::read(&index).map_err(io("read", &index))?;
                    return parse_index(&bytes, &index.display().to_string()).map(Listing::Models);
                }
                Ok(Listing::Models(
                    hubtree::index_tree(dir, Profile::Mhub, Policy::SkipInvalid)?
                        .index
                        .models,
                ))
            }
            Source::Http(base) => {
                if self.offline {
                    return Err(self.offline_error(format!("`{base}index.json`")));
                }
                let url = base.join("index.json").map_err(|e| Error::BadUrl {
                    url: base.to_string(),
                    reason: e.to_string(),
                })?;
                let url = self.fetcher.url(url.as_str())?;
                let bytes = self.fetcher.bytes(&url, MAX_INDEX)?;
                parse_index(&bytes, url.as_str()).map(Listing::Models)
            }
        }
    }

    fn card_text(&self, root: &Root, uid: &Uid, key: &str) -> Result<String> {
        if self.offline {
            let cached = self.cache.store.model_dir(key).join("card.md");
            return hubtree::read_card(&cached)
                .map_err(|_| self.offline_error(format!("card of `{key}`")));
        }
        let not_found = || Error::NotFound {
            uid: uid.to_string(),
            hub: self.source.to_string(),
        };
        match root {
            Root::Dir(dir) => {
                // Inside the tree only: a card that links out of it is not this hub's.
                let tree = hubtree::Root::open(dir).map_err(io("open", dir))?;
                let rel = hubtree::Relative::link(&format!("assets/{}", uid.card_path()))
                    .ok_or_else(not_found)?;
                hubtree::read_card_in(&tree, &rel)?.ok_or_else(not_found)
            }
            Root::Url(base) => {
                let url = base
                    .join(&format!("assets/{}", uid.card_path()))
                    .map_err(|e| Error::BadUrl {
                        url: base.to_string(),
                        reason: e.to_string(),
                    })?;
                let url = self.fetcher.url(url.as_str())?;
                match self.fetcher.bytes(&url, MAX_CARD) {
                    Err(Error::Status { status: 404, .. }) => Err(not_found()),
                    Err(e) => Err(e),
                    Ok(bytes) => String::from_utf8(bytes).map_err(|_| Error::Invalid {
                        what: "card",
                        path: url.to_string(),
                        reason: "it is not UTF-8 text".to_owned(),
                    }),
                }
            }
        }
    }

    /// A model's card text and what the `mhub` profile says of it; a card that
    /// cannot be read at all is an error.
    fn read_card(&self, root: &Root, uid: &Uid, key: &str) -> Result<(String, manifest::Report)> {
        let entry = self.signed_entry(root, uid)?;
        let text = self.card_text(root, uid, key)?;
        if let Some(entry) = &entry {
            trust::check_card(entry, text.as_bytes()).map_err(|source| Error::Trust {
                hub: root.identity(),
                source,
            })?;
        }
        let card_path = uid.card_path();
        let options = Options {
            profile: Profile::Mhub,
            card_path: Some(&card_path),
            sibling_exists: None,
        };
        let report = manifest::check(&text, &options);
        if let Some(d) = report
            .diagnostics
            .iter()
            .find(|d| UNREADABLE.contains(&d.rule))
        {
            return Err(Error::Invalid {
                what: "card",
                path: card_path,
                reason: format!("line {}: {}", d.span.line, d.message),
            });
        }
        Ok((text, report))
    }

    fn info_at(
        &self,
        root: &Root,
        uid: &Uid,
        key: String,
        entrypoint: Option<Entrypoint>,
    ) -> Result<Info> {
        let (_, report) = self.read_card(root, uid, &key)?;
        let signing = self.signing(root)?;
        // What the cache holds of this UID from another hub is not this hub's model.
        let identity = root.identity();
        let record = self
            .cache
            .store
            .record(&key)?
            .filter(|r| r.source == identity);
        Ok(Info {
            key,
            uid: uid.clone(),
            card: report.card,
            diagnostics: report.diagnostics,
            entrypoint,
            record,
            signing,
        })
    }

    /// Where the hub keeps its own verified copies of a card's external assets, by link:
    /// its mirror store on disk, or the `mirror` entries of its index over HTTP. Empty
    /// unless the card allows mirroring; an index that cannot be read offers none.
    fn mirrors(&self, root: &Root, uid: &Uid, card: &Card) -> HashMap<String, Location> {
        let external = card
            .assets
            .iter()
            .any(|a| a.asset_link.as_deref().is_some_and(is_external_link));
        if card.allow_cache_ckpt != Some(true) || !external {
            return HashMap::new();
        }
        let base = match root {
            Root::Dir(dir) => {
                return hubtree::mirrored(dir, card)
                    .into_iter()
                    .map(|(link, path)| {
                        let root = dir.clone();
                        (link, Location::InTree { root, path })
                    })
                    .collect();
            }
            Root::Url(base) => base,
        };
        let signed = self.signed(root).ok().flatten();
        let Some(entries) = signed.map(|v| v.index.models.clone()).or_else(|| {
            base.join("index.json")
                .ok()
                .and_then(|url| self.fetcher.url(url.as_str()).ok())
                .and_then(|url| {
                    let bytes = self.fetcher.bytes(&url, MAX_INDEX).ok()?;
                    parse_index(&bytes, url.as_str()).ok()
                })
        }) else {
            return HashMap::new();
        };
        entries
            .into_iter()
            .filter(|e| e.uid == uid.to_string())
            .flat_map(|e| e.assets)
            .filter_map(|a| {
                let location = locate(a.mirror.as_deref()?, root.base()).ok()?;
                Some((a.asset_link?, location))
            })
            .collect()
    }

    /// A model's card and cache state (torch.hub's `help`, with metadata).
    pub fn info(&self, uid: &Uid) -> Result<Info> {
        self.info_at(&self.root()?, uid, uid.to_string(), None)
    }

    /// Fetches a model's card and every asset into the cache, verifying each
    /// against its sha256 before it becomes visible. A model already complete in
    /// the cache is answered from there without the network, unless `force`.
    pub fn pull(&self, uid: &Uid, force: bool, progress: &dyn Progress) -> Result<Pulled> {
        self.pull_at(&self.root()?, uid, uid.to_string(), force, progress)
    }

    fn pull_at(
        &self,
        root: &Root,
        uid: &Uid,
        key: String,
        force: bool,
        progress: &dyn Progress,
    ) -> Result<Pulled> {
        let _shared = self.cache.store.lock_cache_shared()?;
        let entry = self.signed_entry(root, uid)?;
        if !force && let Some(pulled) = self.cache.complete(&key, &root.identity())? {
            // Under a signed index, only a cached card it pins is answered from the cache.
            let current = entry.as_ref().is_none_or(|entry| {
                fs::read(&pulled.card_path)
                    .is_ok_and(|bytes| trust::check_card(entry, &bytes).is_ok())
            });
            if current {
                return Ok(pulled);
            }
        }
        if self.offline {
            return Err(self.offline_error(format!("model `{key}`")));
        }
        let (text, report) = self.read_card(root, uid, &key)?;
        let card_path = uid.card_path();
        if report.card.assets.is_empty() {
            return Err(Error::Invalid {
                what: "card",
                path: card_path,
                reason: "it lists no assets".to_owned(),
            });
        }
        let warnings = report
            .diagnostics
            .iter()
            .map(|d| format!("{}[{}]: {}", severity(d), d.rule, d.message))
            .collect();
        let mirrors = self.mirrors(root, uid, &report.card);
        let mut assets = Vec::new();
        for asset in &report.card.assets {
            let link = asset.asset_link.clone().ok_or_else(|| Error::Invalid {
                what: "card",
                path: card_path.clone(),
                reason: "an asset has no `asset-link`".to_owned(),
            })?;
            let expected = asset.expected().ok_or_else(|| Error::Invalid {
                what: "card",
                path: card_path.clone(),
                reason: format!("asset `{link}` has no usable `asset-sha256`, and mhub stores nothing it cannot verify"),
            })?;
            let location = locate(&link, root.base())?;
            let wanted = Wanted {
                location: &location,
                link: &link,
                expected: &expected,
                size: asset.asset_size,
            };
            let store = &self.cache.store;
            let mirrored = mirrors.get(&link).map(|mirror| {
                let from_mirror = Wanted {
                    location: mirror,
                    ..wanted
                };
                store_blob(&self.fetcher, store, &from_mirror, force, progress)
            });
            // A mirror that fails for any reason is skipped: the card's own link decides.
            let (sha256, size, path) = match mirrored {
                Some(Ok(done)) => done,
                _ => store_blob(&self.fetcher, store, &wanted, force, progress)?,
            };
            assets.push(PulledAsset {
                format: asset.file_format.clone(),
                link,
                path,
                sha256,
                size,
                prefix_only: expected.is_prefix(),
            });
        }
        let dir = self.cache.store.model_dir(&key);
        self.cache
            .store
            .write_model_file(&key, "card.md", text.as_bytes())?;
        let record = Record {
            uid: key.clone(),
            source: root.identity(),
            assets: assets
                .iter()
                .zip(&report.card.assets)
                .map(|(a, declared)| StoredAsset {
                    link: a.link.clone(),
                    format: a.format.clone(),
                    declared: declared.asset_sha256.clone().unwrap_or_default(),
                    sha256: a.sha256.clone(),
                    size: a.size,
                })
                .collect(),
        };
        let json = serde_json::to_vec_pretty(&record).map_err(|e| Error::Invalid {
            what: "cache record",
            path: key.clone(),
            reason: e.to_string(),
        })?;
        // The record makes the model visible; it is written last.
        self.cache
            .store
            .write_model_file(&key, "record.json", &json)?;
        Ok(Pulled {
            key,
            card: report.card,
            card_path: dir.join("card.md"),
            assets,
            warnings,
            from_cache: false,
        })
    }
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub(crate) fn parse_index(bytes: &[u8], origin: &str) -> Result<Vec<IndexEntry>> {
    Index::from_json(bytes)
        .map(|index| index.models)
        .map_err(|e| Error::Invalid {
            what: "hub index",
            path: origin.to_owned(),
            reason: e.to_string(),
        })
}
