//! Storing one asset: fetched or copied into a partial file, hashed on the way, checked, then committed to the blob store.

use crate::Progress;
use crate::error::{Error, Result, io};
use crate::fetch::Fetcher;
use crate::source::Location;
use crate::store::Store;
use hubtree::CopyError;
use manifest::{Expected, Sha256};
use std::fs::{self, File};
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
    if !force && let Some((sha, len)) = store.find_blob(expected, size)? {
        let path = store.blob_path(sha.as_str());
        return Ok((sha, len, path));
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
        Location::File(path) => copy_local(path, &part, size),
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
            actual: sha.to_string(),
        });
    }
    let path = store.commit_blob(&part, &sha)?;
    Ok((sha, len, path))
}

/// Copies a local asset into `part`, hashing it; at most `size` bytes when declared.
fn copy_local(src: &Path, part: &Path, size: Option<u64>) -> Result<(Sha256, u64)> {
    let input = File::open(src).map_err(io("open", src))?;
    let mut output = File::create(part).map_err(io("create", part))?;
    let (sha, len) = hubtree::hash_copy(input, &mut output, size).map_err(|e| match e {
        CopyError::Read(e) => io("read", src)(e),
        CopyError::Write(e) => io("write", part)(e),
        CopyError::TooLong { read } => Error::Length {
            url: src.display().to_string(),
            expected: size.unwrap_or_default(),
            got: read,
        },
    })?;
    output.sync_all().map_err(io("sync", part))?;
    Ok((sha, len))
}
