//! Storing one asset: fetched or copied into a partial file, hashed on the way, checked, then committed to the blob store.

use crate::Progress;
use crate::error::{Error, Result, io};
use crate::fetch::Fetcher;
use crate::source::Location;
use crate::store::Store;
use hubtree::{CopyError, Dir, Relative, Root};
use manifest::{Expected, Sha256};
use std::path::{Path, PathBuf};

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
) -> Result<(Sha256, u64, PathBuf)> {
    let Wanted {
        location,
        link,
        expected,
        size,
    } = *wanted;
    let key = match expected {
        Expected::Full(h) => h.to_string(),
        Expected::Prefix(p) => format!("{p}-{}", &Sha256::of(link.as_bytes()).as_str()[..16]),
    };
    let lock = store.lock(&key)?;
    // A prefix only says which bytes this link gave before: a blob with that prefix from
    // another source may be other bytes, so only a full digest finds a stored blob.
    if !force
        && !expected.is_prefix()
        && let Some((sha, len)) = store.find_blob(expected, size)?
    {
        let path = store.blob_path(sha.as_str());
        return Ok((sha, len, path));
    }
    // Without a lock the partial cannot be shared, so it is private and not resumed.
    let part = if lock.is_some() {
        store.partial(&key)
    } else {
        store.unique_temp(&key)
    };
    let tmp = store.tmp();
    let remove = || {
        let _ = tmp.remove_file(&part);
    };
    if force || lock.is_none() {
        remove();
    }
    let fetched = match location {
        Location::Url(text) => {
            let url = fetcher.url(text)?;
            fetcher.download(&url, tmp, &part, size, None, progress)
        }
        Location::InTree { root, path } => {
            copy_local(root, path, tmp, &part, size.unwrap_or(fetcher.max_size()))
        }
    };
    let (sha, len) = match fetched {
        Ok(done) => done,
        Err(e) => {
            // A broken connection leaves a partial to resume; anything else leaves nothing.
            let resumable = tmp.stat(&part).ok().flatten().is_some_and(|m| m.len > 0);
            if lock.is_none() || !matches!(e, Error::Fetch { .. }) || !resumable {
                remove();
            }
            return Err(e);
        }
    };
    let size_ok = size.is_none_or(|s| s == len);
    if !expected.accepts(&sha) || !size_ok {
        remove();
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
            actual: sha.to_string(),
        });
    }
    let path = store.commit_blob(&part, &sha)?;
    Ok((sha, len, path))
}

/// Copies an asset of a hub tree on disk into `part` in `tmp`, hashing it; at most `limit` bytes
/// (the declared size, else the download cap). The file is found with
/// [`hubtree::Root::find`]: a link out of the tree, a folder, a FIFO or a device is refused.
fn copy_local(
    root: &Path,
    path: &Relative,
    tmp: &Dir,
    part: &str,
    limit: u64,
) -> Result<(Sha256, u64)> {
    let shown = root.join(path.as_str());
    let tree = Root::open(root).map_err(io("open", root))?;
    let found = tree.find(path).ok_or_else(|| Error::Invalid {
        what: "asset",
        path: shown.display().to_string(),
        reason: "it is not a regular file inside the hub (missing, a folder, a FIFO or device, or a link out of the tree)".to_owned(),
    })?;
    let mut output = tmp.open_writable(part)?;
    let part = &tmp.join(part);
    output.set_len(0).map_err(io("truncate", part))?;
    let (sha, len) =
        hubtree::hash_copy(&found.file, &mut output, Some(limit)).map_err(|e| match e {
            CopyError::Read(e) => io("read", &shown)(e),
            CopyError::Write(e) => io("write", part)(e),
            CopyError::TooLong { read } => Error::Length {
                url: shown.display().to_string(),
                expected: limit,
                got: read,
            },
        })?;
    output.sync_all().map_err(io("sync", part))?;
    Ok((sha, len))
}
