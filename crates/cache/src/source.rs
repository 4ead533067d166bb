//! Hub sources: a hub tree on disk, a hub published over HTTP, or a repository archive.

use crate::error::{Error, Result};
use hubtree::Relative;
use manifest::{BadLink, Link};
use reqwest::Url;
use std::fmt;
use std::path::{Path, PathBuf};
use uid::{Reference, RepoRef};

/// Where models come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A hub tree on disk: a folder with `assets/` (and, optionally, `index.json`).
    Local(PathBuf),
    /// A hub tree published as static files: `index.json` at the base url,
    /// cards at `assets/<uid>.md`, assets where the cards say.
    Http(Url),
    /// A repository with `hubconf.yaml` and an `assets/` tree, fetched as a source archive.
    Repo(RepoRef),
}

impl Source {
    /// Reads a source as a user writes it: a url, a path, or `owner/repo[:ref]`.
    pub fn parse(text: &str) -> Result<Source> {
        let bad = |reason: String| Error::BadUrl {
            url: text.to_owned(),
            reason,
        };
        match Reference::parse(text).map_err(|e| bad(e.to_string()))? {
            Reference::Url(u) => {
                let mut url = Url::parse(&u).map_err(|e| bad(e.to_string()))?;
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(Source::Http(url))
            }
            Reference::Path(p) => Ok(Source::Local(PathBuf::from(p))),
            Reference::Repo(r) => Ok(Source::Repo(r)),
            Reference::Uid(u) => Err(bad(format!(
                "`{u}` is a model id, not a hub; pass it as the model and the hub with --hub"
            ))),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Local(p) => write!(f, "{}", p.display()),
            Source::Http(u) => write!(f, "{u}"),
            Source::Repo(r) => write!(f, "{r}"),
        }
    }
}

/// Where one asset's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A file of a hub tree on disk: opened with `hubtree::Root::find`, so never a link
    /// out of the tree, a folder, a FIFO or a device.
    InTree {
        root: PathBuf,
        path: Relative,
    },
    Url(String),
}

/// Resolves a card's `asset-link` against a hub root on disk or a base url, by the
/// one link rule ([`manifest::Link`]).
pub(crate) fn locate(link: &str, root: Result<&Path, &Url>) -> Result<Location> {
    match Link::parse(link) {
        Ok(Link::Https(url) | Link::Http(url)) => return Ok(Location::Url(url.to_owned())),
        Ok(Link::InHub(_)) => {}
        Err(why) => {
            return Err(Error::BadUrl {
                url: link.to_owned(),
                reason: why.to_string(),
            });
        }
    }
    match root {
        Ok(dir) => Relative::link(link)
            .map(|path| Location::InTree {
                root: dir.to_path_buf(),
                path,
            })
            .ok_or_else(|| Error::BadUrl {
                url: link.to_owned(),
                reason: BadLink::NotInHub.to_string(),
            }),
        Err(base) => base
            .join(link)
            .map(|u| Location::Url(u.to_string()))
            .map_err(|e| Error::BadUrl {
                url: link.to_owned(),
                reason: e.to_string(),
            }),
    }
}
