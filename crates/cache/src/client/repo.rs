//! Repositories as sources: `owner/repo[:ref]` fetched as an archive, its `hubconf.yaml` entrypoints, and their models.

use super::{Hub, Root, first_error};
use crate::Progress;
use crate::archive;
use crate::error::{Error, Result, io};
use crate::results::{Info, Pulled};
use manifest::{Entrypoint, Hubconf};
use std::fs;
use std::path::PathBuf;
use uid::{RepoRef, Uid};

/// Largest repository archive accepted.
const MAX_ARCHIVE: u64 = 512 << 20;

/// The default archive url of a repository, GitHub's.
pub const DEFAULT_REPO_URL: &str = "https://github.com/{owner}/{repo}/archive/{ref}.tar.gz";
/// The branch used when a repository reference names none.
pub const DEFAULT_REF: &str = "main";

impl Hub {
    /// The extracted repository and its `hubconf.yaml`.
    pub(super) fn hubconf(
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

    /// The archive url of `repo` in this hub's template ([`RepoRef::archive_url`]).
    fn archive_url(&self, repo: &RepoRef) -> String {
        repo.archive_url(&self.repo_url, &self.default_ref)
    }

    /// The cache's name for `repo`: [`RepoRef::cache_name`], plus a digest of the archive
    /// url template when it is not GitHub's, so two templates never share a folder.
    fn repo_name(&self, repo: &RepoRef) -> String {
        let name = repo.cache_name(&self.default_ref);
        if self.repo_url == DEFAULT_REPO_URL {
            name
        } else {
            let digest = manifest::Sha256::of(self.repo_url.as_bytes());
            format!("{name}@{}", &digest.as_str()[..12])
        }
    }

    /// Fetches and extracts a repository archive once, into `repos/<name>` ([`Hub::repo_name`]).
    fn repo_tree(&self, repo: &RepoRef, force: bool, progress: &dyn Progress) -> Result<PathBuf> {
        let store = &self.cache.store;
        let name = self.repo_name(repo);
        let dir = store.repo_dir(&name);
        let _lock = store.lock(&format!("repo-{name}"))?;
        if dir.is_dir() && !force {
            return Ok(dir);
        }
        if self.offline {
            return Err(self.offline_error(format!("repository `{repo}`")));
        }
        let url = self.archive_url(repo);
        let url = self.fetcher.url(&url)?;
        let tmp = store.tmp();
        let archive_file = store.unique_temp("archive");
        let result = self
            .fetcher
            .download(&url, tmp, &archive_file, None, Some(MAX_ARCHIVE), progress)
            .and_then(|_| {
                let staging = store.unique_temp("repo");
                let file = tmp.open_regular(&archive_file)?.ok_or_else(|| {
                    io("open", tmp.join(&archive_file))(std::io::ErrorKind::NotFound.into())
                })?;
                let limits = archive::Limits::default();
                archive::extract_tar_gz(file, url.as_str(), tmp, &staging, &limits)?;
                let repos = store.repos()?;
                repos.remove_all(&name)?;
                Ok(tmp.rename(&staging, &repos, &name)?)
            });
        let _ = tmp.remove_file(&archive_file);
        result.map(|()| dir)
    }
}
