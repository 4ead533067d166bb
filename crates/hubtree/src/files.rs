//! The two ways mhub touches file bytes: hashing them while they are read, and writing a file atomically.

use crate::error::{Result, io};
use manifest::{Hasher, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How much is read at a time.
const CHUNK: usize = 1 << 17;

/// Why [`hash_copy`] stopped.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the input failed.
    Read(std::io::Error),
    /// Writing the output failed.
    Write(std::io::Error),
    /// The input went on past the limit; `read` bytes had arrived.
    TooLong {
        /// Bytes read when it stopped.
        read: u64,
    },
}

/// Reads `input` to its end, hashing every byte and writing it to `output` (pass
/// [`std::io::sink`] to only hash); stops once more than `limit` bytes arrived. This is
/// the one hash-while-reading loop: the cache, the mirror, the server and `mhub new` use it.
pub fn hash_copy(
    input: impl Read,
    output: impl Write,
    limit: Option<u64>,
) -> std::result::Result<(Sha256, u64), CopyError> {
    let mut hasher = Hasher::default();
    let len = feed(&mut hasher, input, output, limit)?;
    Ok((hasher.finish(), len))
}

/// [`hash_copy`] into a running `hasher`, for a download that resumes where a partial
/// file ends; returns the bytes read.
pub fn feed(
    hasher: &mut Hasher,
    mut input: impl Read,
    mut output: impl Write,
    limit: Option<u64>,
) -> std::result::Result<u64, CopyError> {
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        len += n as u64;
        if limit.is_some_and(|l| len > l) {
            return Err(CopyError::TooLong { read: len });
        }
        output.write_all(&buf[..n]).map_err(CopyError::Write)?;
        hasher.update(&buf[..n]);
    }
    Ok(len)
}

/// The sha256 and length of the file at `path`.
pub fn hash_file(path: &Path) -> Result<(Sha256, u64)> {
    let file = File::open(path).map_err(io("open", path))?;
    hash_copy(file, std::io::sink(), None).map_err(|e| match e {
        CopyError::Read(e) | CopyError::Write(e) => io("read", path)(e),
        CopyError::TooLong { .. } => io("read", path)(std::io::ErrorKind::FileTooLarge.into()),
    })
}

/// Writes `bytes` to `target` atomically through `temp`, a path on the same file system
/// that must not exist: created exclusively (so never through a planted link), written,
/// synced, then renamed over `target`, and the folder synced. On failure `temp` is
/// removed and `target` is as it was.
pub fn write_atomic_via(temp: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    atomically(temp, target, |file| {
        file.write_all(bytes).map_err(io("write", temp))
    })
}

/// Copies the file at `from` to `target` atomically, through a hidden temporary file
/// beside `target` (as [`write_atomic_via`] writes); returns the bytes copied.
pub fn copy_atomic(from: &Path, target: &Path) -> Result<u64> {
    let input = File::open(from).map_err(io("open", from))?;
    let temp = sibling_temp(target);
    let mut len = 0;
    atomically(&temp, target, |file| {
        len = hash_copy(input, file, None)
            .map_err(|e| match e {
                CopyError::Write(e) => io("write", &temp)(e),
                other => io("read", from)(other.into()),
            })?
            .1;
        Ok(())
    })?;
    Ok(len)
}

/// The one atomic write: `temp` created exclusively, filled by `fill`, synced, renamed
/// over `target`, the folder synced; on failure `temp` is removed.
fn atomically(
    temp: &Path,
    target: &Path,
    fill: impl FnOnce(&mut File) -> Result<()>,
) -> Result<()> {
    let result = (|| {
        let mut file = File::options()
            .write(true)
            .create_new(true)
            .open(temp)
            .map_err(io("create", temp))?;
        fill(&mut file)?;
        file.sync_all().map_err(io("sync", temp))?;
        fs::rename(temp, target).map_err(io("rename", temp))
    })();
    if result.is_err() {
        let _ = fs::remove_file(temp);
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent);
    }
    result
}

/// Writes `bytes` to `target` atomically, through a hidden temporary file beside it
/// (see [`write_atomic_via`]).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_via(&sibling_temp(target), target, bytes)
}

/// A fresh hidden temporary path in `target`'s folder: `.<name>.<pid>.<n>.tmp`.
fn sibling_temp(target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Makes a rename in `dir` durable; best effort, as not every file system can.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl From<CopyError> for std::io::Error {
    fn from(e: CopyError) -> std::io::Error {
        match e {
            CopyError::Read(e) | CopyError::Write(e) => e,
            CopyError::TooLong { .. } => std::io::ErrorKind::FileTooLarge.into(),
        }
    }
}
