//! Hashing file bytes while they are read: the one loop the cache, the mirror, the server and `mhub new` share.

use crate::error::{Result, io};
use manifest::{Hasher, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

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

impl From<CopyError> for std::io::Error {
    fn from(e: CopyError) -> std::io::Error {
        match e {
            CopyError::Read(e) | CopyError::Write(e) => e,
            CopyError::TooLong { .. } => std::io::ErrorKind::FileTooLarge.into(),
        }
    }
}
