//! `Hub`: list, inspect and pull models from a source into the verified cache; `Cache`: look after it.

use crate::archive;
use crate::digest::{self, Expected, Hasher};
use crate::error::{Error, Result, io};
use crate::fetch::{Fetcher, NetConfig};
use crate::source::{Location, Source, locate};
use crate::store::{Record, Store, StoredAsset, hash_file};
use crate::{Progress, tree};
use manifest::{
    Card, Diagnostic, Entrypoint, Hubconf, Index, IndexEntry, Options, Profile, Severity,
};
use reqwest::Url;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use uid::{RepoRef, Uid};

/// Largest card accepted from a hub.
const MAX_CARD: u64 = 1 << 20;
/// Largest `index.json` accepted.
const MAX_INDEX: u64 = 64 << 20;
/// Largest repository archive accepted.
const MAX_ARCHIVE: u64 = 512 << 20;

/// The default archive url of a repository, GitHub's.
pub const DEFAULT_REPO_URL: &str = "https://github.com/{owner}/{repo}/archive/{ref}.tar.gz";
/// The branch used when a repository reference names none.
pub const DEFAULT_REF: &str = "main";

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

/// The cache directory: `explicit` (a flag or API call), else `MHUB_DIR`, else
/// `$XDG_CACHE_HOME/mhub`, else `~/.cache/mhub`. Empty values count as unset.
/// The caller reads the environment; this crate never does.
pub fn resolve_dir(
    explicit: Option<&Path>,
    mhub_dir: Option<&str>,
    xdg_cache_home: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    let set = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    explicit
        .map(Path::to_path_buf)
        .or_else(|| set(mhub_dir))
        .or_else(|| set(xdg_cache_home).map(|x| x.join("mhub")))
        .or_else(|| set(home).map(|h| h.join(".cache").join("mhub")))
}

/// What a source offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    /// A hub's models.
    Models(Vec<IndexEntry>),
    /// A repository's entrypoints.
    Entrypoints(Vec<Entrypoint>),
}

/// A model's card as the source has it, and what the cache holds of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The cache key: the UID, or `@repos/<owner>_<repo>_<ref>/<entrypoint>`.
    pub key: String,
    /// The card's UID.
    pub uid: Uid,
    /// The card.
    pub card: Card,
    /// What the `mhub` profile says about the card.
    pub diagnostics: Vec<Diagnostic>,
    /// The entrypoint, for repository models.
    pub entrypoint: Option<Entrypoint>,
    /// The cache record, if the model was pulled.
    pub record: Option<Record>,
}

/// A pulled model: where its card and verified assets are.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// The cache key.
    pub key: String,
    /// The stored card.
    pub card: PathBuf,
    /// The verified assets.
    pub assets: Vec<PulledAsset>,
    /// Problems the `mhub` profile finds in the card (the pull went ahead).
    pub warnings: Vec<String>,
    /// Whether everything came from the cache, without the network.
    pub from_cache: bool,
}

/// One verified asset of a [`Pulled`] model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledAsset {
    /// The card's `file-format`.
    pub format: Option<String>,
    /// The card's `asset-link`.
    pub link: String,
    /// The verified file, read-only, in the cache.
    pub path: PathBuf,
    /// Its full sha256.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the card only declared an 8-digit prefix of the sha256.
    pub prefix_only: bool,
}

/// Builds a [`Hub`].
#[derive(Debug, Clone)]
pub struct HubBuilder {
    dir: Option<PathBuf>,
    source: Option<Source>,
    net: NetConfig,
    offline: bool,
    repo_url: String,
    default_ref: String,
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
}

/// The cache on its own: list, verify, remove, prune.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    store: Store,
}

/// One model in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedModel {
    /// The cache key.
    pub key: String,
    /// Where it was pulled from.
    pub source: String,
    /// Its assets.
    pub assets: Vec<StoredAsset>,
    /// The bytes its assets take.
    pub size: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blobs re-hashed.
    pub blobs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Models checked.
    pub models: usize,
    /// Every inconsistency, one line each; empty when the cache is sound.
    pub problems: Vec<String>,
}

/// What `remove` or `prune` deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Model records removed.
    pub models: usize,
    /// Blobs removed.
    pub blobs: usize,
    /// Temporary files removed.
    pub temps: usize,
    /// Bytes freed.
    pub bytes: u64,
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

    /// Opens the cache and sets up the client; the directory and the source are required.
    pub fn build(self) -> Result<Hub> {
        let dir = self.dir.ok_or(Error::Config("no cache directory given"))?;
        let source = self.source.ok_or(Error::Config("no source given"))?;
        Ok(Hub {
            cache: Cache::open(&dir)?,
            fetcher: Fetcher::new(&self.net)?,
            source,
            offline: self.offline,
            repo_url: self.repo_url,
            default_ref: self.default_ref,
        })
    }
}

/// Where a source's cards and relative assets are.
enum Root {
    Dir(PathBuf),
    Url(Url),
}

impl Root {
    fn base(&self) -> std::result::Result<&Path, &Url> {
        match self {
            Root::Dir(d) => Ok(d),
            Root::Url(u) => Err(u),
        }
    }
}

fn first_error(what: &'static str, path: &str, diagnostics: &[Diagnostic]) -> Option<Error> {
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
            Source::Local(dir) => {
                let index = dir.join("index.json");
                if index.is_file() {
                    let bytes = fs::read(&index).map_err(io("read", &index))?;
                    return parse_index(&bytes, &index.display().to_string()).map(Listing::Models);
                }
                Ok(Listing::Models(crate::mirror::index_hub(dir)?.models))
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
            return tree::read_card(&cached)
                .map_err(|_| self.offline_error(format!("card of `{key}`")));
        }
        let not_found = || Error::NotFound {
            uid: uid.to_string(),
            hub: self.source.to_string(),
        };
        match root {
            Root::Dir(dir) => {
                let path = dir.join("assets").join(uid.card_path());
                if !path.is_file() {
                    return Err(not_found());
                }
                tree::read_card(&path)
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
        let text = self.card_text(root, uid, key)?;
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
        let record = self.cache.store.record(&key)?;
        Ok(Info {
            key,
            uid: uid.clone(),
            card: report.card,
            diagnostics: report.diagnostics,
            entrypoint,
            record,
        })
    }

    /// Where the hub keeps its own verified copies of a card's external assets, by link:
    /// its mirror store on disk, or the `mirror` entries of its index over HTTP. Empty
    /// unless the card allows mirroring; an index that cannot be read offers none.
    fn mirrors(&self, root: &Root, uid: &Uid, card: &Card) -> HashMap<String, Location> {
        let external = card.assets.iter().any(|a| {
            a.asset_link
                .as_deref()
                .is_some_and(|l| l.starts_with("https://") || l.starts_with("http://"))
        });
        if card.allow_cache_ckpt != Some(true) || !external {
            return HashMap::new();
        }
        let base = match root {
            Root::Dir(dir) => {
                return crate::mirror::local_mirrors(dir, card)
                    .into_iter()
                    .collect();
            }
            Root::Url(base) => base,
        };
        let Some(entries) = base
            .join("index.json")
            .ok()
            .and_then(|url| self.fetcher.url(url.as_str()).ok())
            .and_then(|url| {
                let bytes = self.fetcher.bytes(&url, MAX_INDEX).ok()?;
                parse_index(&bytes, url.as_str()).ok()
            })
        else {
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

    /// The extracted repository and its `hubconf.yaml`.
    fn hubconf(
        &self,
        repo: &RepoRef,
        force: bool,
        progress: &dyn Progress,
    ) -> Result<(PathBuf, Hubconf)> {
        let root = self.repo_tree(repo, force, progress)?;
        let path = root.join("hubconf.yaml");
        let text = fs::read_to_string(&path).map_err(io("read", &path))?;
        let (conf, diagnostics) = manifest::read_hubconf(&text);
        if let Some(e) = first_error(
            "hubconf.yaml",
            &format!("{repo}/hubconf.yaml"),
            &diagnostics,
        ) {
            return Err(e);
        }
        Ok((root, conf))
    }

    fn entry(
        &self,
        repo: &RepoRef,
        name: &str,
        force: bool,
        progress: &dyn Progress,
    ) -> Result<(PathBuf, Entrypoint, Uid, String)> {
        let (root, conf) = self.hubconf(repo, force, progress)?;
        let entry = conf
            .entrypoints
            .into_iter()
            .find(|e| e.name == name)
            .ok_or_else(|| Error::NoEntrypoint {
                repo: repo.to_string(),
                name: name.to_owned(),
            })?;
        let uid = Uid::parse(&entry.card).map_err(|e| Error::Invalid {
            what: "hubconf.yaml",
            path: repo.to_string(),
            reason: e.to_string(),
        })?;
        let safe_name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let key = format!(
            "@repos/{}/{}",
            repo.cache_name(&self.default_ref),
            safe_name.trim_start_matches('.')
        );
        Ok((root, entry, uid, key))
    }

    /// An entrypoint's card and cache state.
    pub fn entry_info(&self, repo: &RepoRef, name: &str, progress: &dyn Progress) -> Result<Info> {
        let (root, entry, uid, key) = self.entry(repo, name, false, progress)?;
        self.info_at(&Root::Dir(root), &uid, key, Some(entry))
    }

    /// Pulls the model an entrypoint loads (torch.hub's `load`, minus running code).
    pub fn pull_entry(
        &self,
        repo: &RepoRef,
        name: &str,
        force: bool,
        progress: &dyn Progress,
    ) -> Result<Pulled> {
        let (root, _, uid, key) = self.entry(repo, name, force, progress)?;
        self.pull_at(&Root::Dir(root), &uid, key, force, progress)
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
        if !force && let Some(pulled) = self.cache.complete(&key)? {
            return Ok(pulled);
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
            let expected = asset.asset_sha256.as_deref().and_then(Expected::parse).ok_or_else(|| Error::Invalid {
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
            .write_atomic(&dir.join("card.md"), text.as_bytes())?;
        let record = Record {
            uid: key.clone(),
            source: self.source.to_string(),
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
            .write_atomic(&dir.join("record.json"), &json)?;
        Ok(Pulled {
            key,
            card: dir.join("card.md"),
            assets,
            warnings,
            from_cache: false,
        })
    }

    /// Fetches and extracts a repository archive once, into `repos/<owner>_<repo>_<ref>`.
    fn repo_tree(&self, repo: &RepoRef, force: bool, progress: &dyn Progress) -> Result<PathBuf> {
        let store = &self.cache.store;
        let name = repo.cache_name(&self.default_ref);
        let dir = store.repo_dir(&name);
        let _lock = store.lock(&format!("repo-{name}"))?;
        if dir.is_dir() && !force {
            return Ok(dir);
        }
        if self.offline {
            return Err(self.offline_error(format!("repository `{repo}`")));
        }
        let url = self
            .repo_url
            .replace("{owner}", repo.owner())
            .replace("{repo}", repo.repo())
            .replace("{ref}", repo.git_ref().unwrap_or(&self.default_ref));
        let url = self.fetcher.url(&url)?;
        let archive_file = store.unique_temp("archive");
        let result = self
            .fetcher
            .download(&url, &archive_file, None, Some(MAX_ARCHIVE), progress)
            .and_then(|_| {
                let staging = store.unique_temp("repo");
                let file = File::open(&archive_file).map_err(io("open", &archive_file))?;
                archive::extract_tar_gz(file, url.as_str(), &staging, &archive::Limits::default())?;
                if dir.exists() {
                    fs::remove_dir_all(&dir).map_err(io("remove", &dir))?;
                }
                fs::rename(&staging, &dir).map_err(io("rename", &staging))
            });
        let _ = fs::remove_file(&archive_file);
        result.map(|()| dir)
    }
}

/// One asset to store: where its bytes are, the card's link, and what they must be.
#[derive(Clone, Copy)]
pub(crate) struct Wanted<'a> {
    pub(crate) location: &'a Location,
    pub(crate) link: &'a str,
    pub(crate) expected: &'a Expected,
    pub(crate) size: Option<u64>,
}

/// Stores one asset, verified, and returns its sha256, size and path.
pub(crate) fn store_blob(
    fetcher: &Fetcher,
    store: &Store,
    wanted: &Wanted<'_>,
    force: bool,
    progress: &dyn Progress,
) -> Result<(String, u64, PathBuf)> {
    let Wanted {
        location,
        link,
        expected,
        size,
    } = *wanted;
    let key = match expected {
        Expected::Full(h) => h.clone(),
        Expected::Prefix(p) => format!("{p}-{}", &digest::of(link.as_bytes())[..16]),
    };
    let lock = store.lock(&key)?;
    if !force && let Some((sha, len)) = store.find_blob(expected, size)? {
        return Ok((sha.clone(), len, store.blob_path(&sha)));
    }
    // Without a lock the partial cannot be shared, so it is private and not resumed.
    let part = if lock.is_some() {
        store.partial(&key)
    } else {
        store.unique_temp(&key)
    };
    if force || lock.is_none() {
        let _ = fs::remove_file(&part);
    }
    let fetched = match location {
        Location::Url(text) => {
            let url = fetcher.url(text)?;
            fetcher.download(&url, &part, size, None, progress)
        }
        Location::File(path) => copy_hashed(path, &part, size),
    };
    let (sha, len) = match fetched {
        Ok(done) => done,
        Err(e) => {
            // A broken connection leaves a partial to resume; anything else leaves nothing.
            let resumable = fs::metadata(&part).is_ok_and(|m| m.len() > 0);
            if lock.is_none() || !matches!(e, Error::Fetch { .. }) || !resumable {
                let _ = fs::remove_file(&part);
            }
            return Err(e);
        }
    };
    let size_ok = size.is_none_or(|s| s == len);
    if !expected.accepts(&sha) || !size_ok {
        let _ = fs::remove_file(&part);
        if !size_ok {
            return Err(Error::Length {
                url: link.to_owned(),
                expected: size.unwrap_or_default(),
                got: len,
            });
        }
        return Err(Error::Digest {
            url: link.to_owned(),
            expected: expected.to_string(),
            actual: sha,
        });
    }
    let path = store.commit_blob(&part, &sha)?;
    Ok((sha, len, path))
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn parse_index(bytes: &[u8], origin: &str) -> Result<Vec<IndexEntry>> {
    let index: Index = serde_json::from_slice(bytes).map_err(|e| Error::Invalid {
        what: "hub index",
        path: origin.to_owned(),
        reason: e.to_string(),
    })?;
    if index.format != manifest::INDEX_FORMAT {
        return Err(Error::Invalid {
            what: "hub index",
            path: origin.to_owned(),
            reason: format!(
                "format {} is not the supported {}",
                index.format,
                manifest::INDEX_FORMAT
            ),
        });
    }
    Ok(index.models)
}

/// Copies a local asset into `part`, hashing it; at most `size` bytes when declared.
fn copy_hashed(src: &Path, part: &Path, size: Option<u64>) -> Result<(String, u64)> {
    let mut input = File::open(src).map_err(io("open", src))?;
    let mut output = File::create(part).map_err(io("create", part))?;
    let mut hasher = Hasher::default();
    let mut buf = vec![0u8; 1 << 17];
    let mut len = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(io("read", src))?;
        if n == 0 {
            break;
        }
        len += n as u64;
        if size.is_some_and(|s| len > s) {
            return Err(Error::Length {
                url: src.display().to_string(),
                expected: size.unwrap_or_default(),
                got: len,
            });
        }
        output.write_all(&buf[..n]).map_err(io("write", part))?;
        hasher.update(&buf[..n]);
    }
    output.sync_all().map_err(io("sync", part))?;
    Ok((hasher.finish(), len))
}

impl Cache {
    /// Opens (creating) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<Cache> {
        Ok(Cache {
            dir: dir.to_path_buf(),
            store: Store::open(dir)?,
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob with this sha256 is stored (it may not exist).
    pub fn blob(&self, sha256: &str) -> PathBuf {
        self.store.blob_path(sha256)
    }

    /// A pulled model whose record and blobs are all present, if any.
    pub fn complete(&self, key: &str) -> Result<Option<Pulled>> {
        let Some(record) = self.store.record(key)? else {
            return Ok(None);
        };
        let card = self.store.model_dir(key).join("card.md");
        if !card.is_file() {
            return Ok(None);
        }
        let mut assets = Vec::new();
        for a in &record.assets {
            let path = self.store.blob_path(&a.sha256);
            // A cheap check on every hit; `verify` re-hashes.
            if fs::metadata(&path).map(|m| m.len()).ok() != Some(a.size) {
                return Ok(None);
            }
            let prefix_only = Expected::parse(&a.declared).is_some_and(|e| e.is_prefix());
            assets.push(PulledAsset {
                format: a.format.clone(),
                link: a.link.clone(),
                path,
                sha256: a.sha256.clone(),
                size: a.size,
                prefix_only,
            });
        }
        Ok(Some(Pulled {
            key: key.to_owned(),
            card,
            assets,
            warnings: Vec::new(),
            from_cache: true,
        }))
    }

    /// Every pulled model.
    pub fn models(&self) -> Result<Vec<CachedModel>> {
        Ok(self
            .store
            .records()?
            .into_iter()
            .map(|(key, r)| CachedModel {
                size: r.assets.iter().map(|a| a.size).sum(),
                key,
                source: r.source,
                assets: r.assets,
            })
            .collect())
    }

    /// Re-hashes every blob and checks every record against the blobs.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        for (name, len) in self.store.blobs()? {
            let path = self.store.blob_path(&name);
            let (sha, read) = hash_file(&path)?;
            report.blobs += 1;
            report.bytes += read;
            if sha != name || read != len {
                report.problems.push(format!(
                    "blob `{name}` is corrupt: its bytes hash to `{sha}`"
                ));
            }
        }
        for (key, record) in self.store.records()? {
            report.models += 1;
            if !self.store.model_dir(&key).join("card.md").is_file() {
                report
                    .problems
                    .push(format!("model `{key}` has lost its card"));
            }
            for a in &record.assets {
                let len = fs::metadata(self.store.blob_path(&a.sha256))
                    .map(|m| m.len())
                    .ok();
                if len != Some(a.size) {
                    report.problems.push(format!(
                        "model `{key}`: asset `{}` is missing or has the wrong size",
                        a.link
                    ));
                }
                if !Expected::parse(&a.declared).is_some_and(|e| e.accepts(&a.sha256)) {
                    report.problems.push(format!(
                        "model `{key}`: asset `{}` does not match its declared sha256",
                        a.link
                    ));
                }
            }
        }
        Ok(report)
    }

    fn referenced(&self) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .store
            .records()?
            .into_iter()
            .flat_map(|(_, r)| r.assets.into_iter().map(|a| a.sha256))
            .collect())
    }

    fn drop_orphans(&self, removed: &mut Removed) -> Result<()> {
        let referenced = self.referenced()?;
        for (name, len) in self.store.blobs()? {
            if !referenced.contains(&name) {
                let path = self.store.blob_path(&name);
                fs::remove_file(&path).map_err(io("remove", &path))?;
                removed.blobs += 1;
                removed.bytes += len;
            }
        }
        Ok(())
    }

    /// Removes a model and the blobs no other model uses.
    pub fn remove(&self, key: &str) -> Result<Removed> {
        let _exclusive = self.store.lock_cache_exclusive()?;
        let dir = self.store.model_dir(key);
        if self.store.record(key)?.is_none() {
            return Err(Error::NotFound {
                uid: key.to_owned(),
                hub: format!("the cache at {}", self.dir.display()),
            });
        }
        fs::remove_dir_all(&dir).map_err(io("remove", &dir))?;
        let mut removed = Removed {
            models: 1,
            ..Removed::default()
        };
        self.drop_orphans(&mut removed)?;
        Ok(removed)
    }

    /// Removes blobs no model uses and temporary files no download owns.
    pub fn prune(&self) -> Result<Removed> {
        let _exclusive = self.store.lock_cache_exclusive()?;
        let mut removed = Removed::default();
        self.drop_orphans(&mut removed)?;
        for path in self.store.stale_temps()? {
            let len = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let gone = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            gone.map_err(io("remove", &path))?;
            removed.temps += 1;
            removed.bytes += len;
        }
        Ok(removed)
    }

    /// Temporary files currently in the cache (for tests and `verify` output).
    pub fn temp_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.store.tmp();
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).map_err(io("list", dir))? {
            out.push(entry.map_err(io("list", dir))?.path());
        }
        out.sort();
        Ok(out)
    }
}
