//! Safe extraction of repository source archives (`.tar.gz`): regular files and folders only, nothing outside the target, bounded in size and count.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use flate2::read::GzDecoder;
use tar::EntryType;

use crate::error::{Error, Result};
use hubtree::Dir;

/// Caps on what one archive may unpack to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most regular files one archive may hold; folders are capped at the same number.
    pub max_files: usize,
    /// The most bytes the files of one archive may add up to.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_files: 20_000,
            max_bytes: 1 << 30,
        }
    }
}

/// How many decompressed bytes may lie between one entry's data and the next's: padding, the header,
/// and any long-name or pax records, which the tar crate reads into memory.
const HEADERS_PER_ENTRY: u64 = 16 * 1024;

/// How many bytes of headers an archive may hold per file or folder, on average.
const HEADERS_PER_ENTRY_ON_AVERAGE: u64 = 4 * 1024;

/// How many characters of an entry's name an error message quotes.
const SHOWN_NAME_CHARS: usize = 200;

/// Extracts the gzip-compressed tar read from `reader` into the folder `name` of `parent`, which must not
/// exist yet and is created; every folder and file below it is made from directory handles.
///
/// `archive` names the archive (its url) in errors. The first path component of every entry is stripped
/// (GitHub archives wrap everything in `repo-ref/`). Returns the number of files written.
/// On any error, the folder is removed again, so a failed extraction leaves nothing behind.
pub(crate) fn extract_tar_gz(
    reader: impl Read,
    archive: &str,
    parent: &Dir,
    name: &str,
    limits: &Limits,
) -> Result<usize> {
    // This fails when the folder exists, and then it is not ours to remove.
    let dest = parent.create_dir(name)?;
    let result = extract(reader, archive, &dest, limits);
    if result.is_err() {
        // The extraction's error is the one worth reporting, so a failed clean-up is ignored.
        drop(dest);
        let _ = parent.remove_all(name);
    }
    result
}

/// Unpacks every entry into `dest`, which exists and is empty.
fn extract(reader: impl Read, archive: &str, dest: &Dir, limits: &Limits) -> Result<usize> {
    // Files and folders are each capped at `max_files`, and a few entries are skipped.
    let entries_cap = (limits.max_files as u64)
        .saturating_mul(2)
        .saturating_add(16);
    let stream_cap = limits
        .max_bytes
        .saturating_add(entries_cap.saturating_mul(HEADERS_PER_ENTRY_ON_AVERAGE));
    let headers_left = Cell::new(u64::MAX);
    let overrun = Cell::new(None);
    let stream = Capped {
        inner: GzDecoder::new(reader),
        left: stream_cap,
        headers_left: &headers_left,
        overrun: &overrun,
    };
    let source = Source {
        archive,
        overrun: &overrun,
        stream_cap,
    };
    let mut tar = tar::Archive::new(stream);
    let mut entries = tar.entries().map_err(|e| source.read_error(e))?;

    let mut files = 0usize;
    let mut folders = 0usize;
    let mut bytes = 0u64;
    // The data of an entry that is not copied is skipped while the next header is read.
    let mut unread = 0u64;
    loop {
        headers_left.set(HEADERS_PER_ENTRY.saturating_add(unread));
        let next = entries.next();
        headers_left.set(u64::MAX);
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(|e| source.read_error(e))?;
        unread = entry.size();
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let name = entry.path_bytes().into_owned();
        // Old tars mark folders with a trailing slash rather than with their own type.
        let is_dir = kind.is_dir() || (kind.is_file() && name.ends_with(b"/"));
        if !is_dir && !kind.is_file() {
            return Err(source.refuse(format!("entry `{}` {}", shown(&name), kind_reason(kind))));
        }
        let relative = match inner_path(&name) {
            Ok(Some(relative)) => relative,
            Ok(None) => continue,
            Err(why) => return Err(source.refuse(format!("entry `{}` {why}", shown(&name)))),
        };
        let path = dest.join(&relative);

        if is_dir {
            folders += 1;
            if folders > limits.max_files {
                return Err(source.refuse(format!(
                    "archive has more than {} folders",
                    limits.max_files
                )));
            }
            dest.create_dirs(&relative)?;
            continue;
        }

        files += 1;
        if files > limits.max_files {
            return Err(source.refuse(format!("archive has more than {} files", limits.max_files)));
        }
        let size = entry.size();
        let over_bytes = |name: &[u8]| {
            source.refuse(format!(
                "entry `{}` brings the archive over {} bytes",
                shown(name),
                limits.max_bytes
            ))
        };
        if size > limits.max_bytes.saturating_sub(bytes) {
            return Err(over_bytes(&name));
        }
        let folder = match relative.parent() {
            Some(parent) => dest.create_dirs(parent)?,
            None => dest.clone(),
        };
        let file_name = relative
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let mut file = match folder.create_new(file_name) {
            Ok(file) => file,
            Err(hubtree::Error::Io { source: e, .. })
                if e.kind() == io::ErrorKind::AlreadyExists =>
            {
                return Err(source.refuse(format!("entry `{}` appears twice", shown(&name))));
            }
            Err(e) => return Err(e.into()),
        };
        // The copy is spelt out so that a failed read (a broken archive) and a failed write (a full disk)
        // are told apart; the `take` keeps the byte count bounded whatever the entry reports.
        let mut data = (&mut entry).take(size);
        let mut buffer = vec![0u8; 64 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match data.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(source.read_error(e)),
            };
            file.write_all(&buffer[..n])
                .map_err(crate::error::io("write", &path))?;
            copied += n as u64;
        }
        if copied < size {
            return Err(source.refuse(format!("entry `{}` is cut short", shown(&name))));
        }
        unread = 0;
        bytes += copied;
        if bytes > limits.max_bytes {
            return Err(over_bytes(&name));
        }
    }
    // The tar ends before the gzip stream does; reading on to the end makes the decoder check the
    // trailer's CRC and length, which catches a damaged or cut download that still held a whole tar.
    io::copy(&mut tar.into_inner(), &mut io::sink()).map_err(|e| source.read_error(e))?;
    Ok(files)
}

/// Which cap the decompressed stream ran past.
#[derive(Debug, Clone, Copy)]
enum Overrun {
    /// The whole stream is longer than the archive's files and headers may add up to.
    Stream,
    /// The headers before one entry are longer than [`HEADERS_PER_ENTRY`].
    Headers,
}

/// Where the entries come from, for turning failures into errors that name the archive.
struct Source<'a> {
    archive: &'a str,
    overrun: &'a Cell<Option<Overrun>>,
    stream_cap: u64,
}

impl Source<'_> {
    /// A refusal of the archive, for `reason`.
    fn refuse(&self, reason: String) -> Error {
        Error::Archive {
            archive: self.archive.to_owned(),
            reason,
        }
    }

    /// The error for a failed read, which is a refusal when the stream ran past a cap.
    fn read_error(&self, source: io::Error) -> Error {
        match self.overrun.get() {
            Some(Overrun::Stream) => self.refuse(format!(
                "archive is larger than {} bytes once decompressed",
                self.stream_cap
            )),
            Some(Overrun::Headers) => self.refuse(format!(
                "an entry's headers are larger than {HEADERS_PER_ENTRY} bytes"
            )),
            None => Error::Io {
                action: "read",
                path: PathBuf::from(self.archive),
                source,
            },
        }
    }
}

/// The decompressed stream, which fails once it runs past its own cap or past `headers_left`,
/// and records which in `overrun`.
struct Capped<'a, R> {
    inner: R,
    left: u64,
    headers_left: &'a Cell<u64>,
    overrun: &'a Cell<Option<Overrun>>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = self.left.min(self.headers_left.get());
        if allowed == 0 {
            // One byte more tells a stream that ends exactly at the cap from one that goes on.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            let overrun = if self.left == 0 {
                Overrun::Stream
            } else {
                Overrun::Headers
            };
            self.overrun.set(Some(overrun));
            return Err(io::Error::other(
                "the decompressed archive is larger than allowed",
            ));
        }
        let max = usize::try_from(allowed)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.left = self.left.saturating_sub(n as u64);
        self.headers_left
            .set(self.headers_left.get().saturating_sub(n as u64));
        Ok(n)
    }
}

/// Why an entry of a kind other than file or folder is refused, as the end of a sentence.
fn kind_reason(kind: EntryType) -> String {
    match kind {
        EntryType::Symlink => "is a symlink".to_owned(),
        EntryType::Link => "is a hard link".to_owned(),
        EntryType::Char | EntryType::Block => "is a device".to_owned(),
        EntryType::Fifo => "is a fifo".to_owned(),
        other => format!("has unsupported type `{}`", shown(&[other.as_byte()])),
    }
}

/// Checks an entry's name and returns its path below the top folder, or `None` for the top folder itself.
///
/// The error is the end of a sentence that starts with the entry.
fn inner_path(name: &[u8]) -> Result<Option<PathBuf>, &'static str> {
    if name.is_empty() {
        return Err("has an empty name");
    }
    if name.contains(&0) {
        return Err("contains a nul byte");
    }
    if name.contains(&b'\\') {
        return Err("contains a backslash");
    }
    if name.starts_with(b"/") {
        return Err("is an absolute path");
    }
    let mut components = Vec::new();
    for component in name.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => return Err("leaves the extraction folder"),
            [letter, b':', ..] if letter.is_ascii_alphabetic() => return Err("names a drive"),
            _ => components.push(std::str::from_utf8(component).map_err(|_| "is not utf-8")?),
        }
    }
    if components.is_empty() {
        return Err("has an empty name");
    }
    let inner = &components[1..];
    if inner.is_empty() {
        return Ok(None);
    }
    Ok(Some(inner.iter().collect()))
}

/// An entry's name as an error message quotes it: on one line, and not too long.
fn shown(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    let mut shown = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == SHOWN_NAME_CHARS {
            shown.push('…');
            break;
        }
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

#[cfg(test)]
mod tests;
