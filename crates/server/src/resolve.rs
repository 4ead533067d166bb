//! Request paths to files: decoded once, hidden and escaping segments refused, links followed only inside the tree.

use std::fs::{self, File, Metadata};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The most segments a request path may have.
const MAX_SEGMENTS: usize = 32;
/// The longest segment, in bytes, as most file systems allow.
const MAX_SEGMENT: usize = 255;

/// A path below a root that a request may name: `/`-separated segments, each non-empty,
/// none starting with `.`, none holding `\\`, NUL or another control character. The
/// root itself is the empty path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relative(String);

impl Relative {
    /// The path, e.g. `models/digits/model.onnx`.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root itself (`/`).
    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last segment.
    pub(crate) fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

/// The path a request names, percent-decoded exactly once. `None` when it cannot name a
/// servable file: an empty segment (`//`, a trailing `/`), a segment that starts with
/// `.` (dotfiles, `.`, `..`), a broken `%` escape, bytes that are not UTF-8, or a
/// decoded `/`, `\\`, NUL or other control character. A double-encoded `%252e` decodes
/// to the three characters `%2e`, a harmless name.
pub(crate) fn relative(path: &str) -> Option<Relative> {
    let rest = path.strip_prefix('/')?;
    let mut out = String::with_capacity(rest.len());
    if rest.is_empty() {
        return Some(Relative(out));
    }
    for (i, raw) in rest.split('/').enumerate() {
        let start = out.len();
        if i == MAX_SEGMENTS {
            return None;
        }
        if i > 0 {
            out.push('/');
        }
        decode(raw, &mut out)?;
        let segment = &out[start + usize::from(i > 0)..];
        let safe = !segment.is_empty()
            && segment.len() <= MAX_SEGMENT
            && !segment.starts_with('.')
            && !segment
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control());
        if !safe {
            return None;
        }
    }
    Some(Relative(out))
}

/// A link of a card (`models/x/model.onnx`) as a path below the hub root, if a request
/// could name it.
pub(crate) fn link(link: &str) -> Option<Relative> {
    relative(&format!("/{link}"))
}

/// Percent-decodes one segment onto `out`; `None` on a broken escape or bytes that are
/// not UTF-8.
fn decode(raw: &str, out: &mut String) -> Option<()> {
    if !raw.contains('%') {
        out.push_str(raw);
        return Some(());
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    out.push_str(std::str::from_utf8(&decoded).ok()?);
    Some(())
}

/// Whether a path component would be refused in a request.
fn hidden(component: Component<'_>) -> bool {
    match component {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => true,
    }
}

/// A regular file found below a root.
pub(crate) struct Found {
    /// The open file.
    pub(crate) file: File,
    /// Its metadata, read from the open file.
    pub(crate) meta: Metadata,
    /// Its path, with every link resolved.
    pub(crate) path: PathBuf,
}

/// A folder files are served from: the hub tree, or the web app.
pub(crate) struct Root {
    path: PathBuf,
    /// The folder, open, for `openat2`.
    #[cfg(target_os = "linux")]
    dir: Option<std::os::fd::OwnedFd>,
    /// Cleared once the kernel refuses `openat2`.
    #[cfg(target_os = "linux")]
    beneath: std::sync::atomic::AtomicBool,
}

impl Root {
    /// The folder at `path`, canonical.
    pub(crate) fn open(path: &Path) -> std::io::Result<Root> {
        let path = path.canonicalize()?;
        #[cfg(target_os = "linux")]
        let dir = {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            rustix::fs::open(&path, flags, Mode::empty()).ok()
        };
        Ok(Root {
            path,
            #[cfg(target_os = "linux")]
            beneath: std::sync::atomic::AtomicBool::new(dir.is_some()),
            #[cfg(target_os = "linux")]
            dir,
        })
    }

    /// The canonical path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The stamp of the regular file at `path`, from one `statx` that does not follow a
    /// final link. Intermediate links are followed, so this only confirms a file already
    /// found through [`Root::find`]: callers compare the inode. `None` off Linux.
    pub(crate) fn stat(&self, path: &Relative) -> Option<Stamp> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{AtFlags, FileType, StatxFlags};
            use std::time::Duration;
            let dir = self.dir.as_ref()?;
            let flags = AtFlags::SYMLINK_NOFOLLOW;
            let stat =
                rustix::fs::statx(dir, path.as_str(), flags, StatxFlags::BASIC_STATS).ok()?;
            if FileType::from_raw_mode(stat.stx_mode.into()) != FileType::RegularFile {
                return None;
            }
            let seconds = u64::try_from(stat.stx_mtime.tv_sec).ok()?;
            let modified = SystemTime::UNIX_EPOCH
                .checked_add(Duration::new(seconds, stat.stx_mtime.tv_nsec))?;
            Some(Stamp {
                len: stat.stx_size,
                modified: Some(modified),
                inode: stat.stx_ino,
                device: rustix::fs::makedev(stat.stx_dev_major, stat.stx_dev_minor),
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            None
        }
    }

    /// Opens the regular file at `segments` below the root. A symbolic link is followed
    /// only if everything it resolves to stays below the root and is not hidden.
    /// Folders, pipes, devices and anything else that is not a regular file are `None`:
    /// nothing is ever listed, and nothing is opened that could block.
    ///
    /// On Linux the kernel resolves the path in one `openat2` that may neither leave the
    /// root nor follow a link; a path with a link on it is then walked as below. The
    /// walk checks each component, then opens: a process that can rewrite the tree
    /// between the two could still swap a folder for a link. The hub tree belongs to
    /// whoever runs the server; this guards against links committed into it.
    pub(crate) fn find(&self, path: &Relative) -> Option<Found> {
        if path.is_root() {
            return None;
        }
        #[cfg(target_os = "linux")]
        if let Some(decided) = self.beneath(path) {
            return decided;
        }
        self.walk(path)
    }

    /// What the kernel finds when the lookup may neither leave the root nor follow a
    /// link; `None` when a link is on the way or `openat2` is missing: walk instead.
    #[cfg(target_os = "linux")]
    fn beneath(&self, path: &Relative) -> Option<Option<Found>> {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        use rustix::io::Errno;
        use std::sync::atomic::Ordering::Relaxed;
        let dir = self.dir.as_ref().filter(|_| self.beneath.load(Relaxed))?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(dir, path.as_str(), flags, Mode::empty(), resolve) {
            Ok(fd) => {
                let file = File::from(fd);
                match file.metadata() {
                    Ok(meta) if meta.is_file() => Some(Some(Found {
                        file,
                        meta,
                        path: self.path.join(path.as_str()),
                    })),
                    _ => Some(None),
                }
            }
            Err(Errno::LOOP | Errno::AGAIN | Errno::XDEV) => None,
            Err(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::TOOBIG) => {
                // A kernel before 5.6, or a sandbox without `openat2`: walk from now on.
                self.beneath.store(false, Relaxed);
                None
            }
            Err(_) => Some(None),
        }
    }

    /// Looks at each component without following it; a link is followed only if its
    /// target is inside the root and not hidden.
    fn walk(&self, relative: &Relative) -> Option<Found> {
        let mut path = self.path.clone();
        for segment in relative.as_str().split('/') {
            path.push(segment);
            let meta = fs::symlink_metadata(&path).ok()?;
            if meta.file_type().is_symlink() {
                path = fs::canonicalize(&path).ok()?;
                let inside = path.strip_prefix(&self.path).ok()?;
                if inside.components().any(hidden) {
                    return None;
                }
            }
        }
        // Only a regular file is opened: opening a pipe would wait for a writer.
        if !fs::metadata(&path).ok()?.is_file() {
            return None;
        }
        let file = File::open(&path).ok()?;
        let meta = file.metadata().ok()?;
        meta.is_file().then_some(Found { file, meta, path })
    }
}

/// Fills `buf` from `file` at `offset`, without moving the file's position; the bytes
/// read, fewer only at the end of the file.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[done..], offset + done as u64);
        #[cfg(not(unix))]
        let n = {
            use std::io::{Read as _, Seek as _};
            let mut f = file;
            f.seek(std::io::SeekFrom::Start(offset + done as u64))
                .and_then(|_| f.read(&mut buf[done..]))
        };
        match n {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// What identifies one version of a file: if any of it changes, so may the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Stamp {
    /// The length in bytes.
    pub(crate) len: u64,
    /// The modification time.
    pub(crate) modified: Option<SystemTime>,
    /// The inode and its device, where there are: a file renamed over another differs.
    pub(crate) inode: u64,
    pub(crate) device: u64,
}

impl Stamp {
    pub(crate) fn of(meta: &Metadata) -> Stamp {
        #[cfg(unix)]
        let (inode, device) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.ino(), meta.dev())
        };
        #[cfg(not(unix))]
        let (inode, device) = (0, 0);
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
            device,
        }
    }

    /// A strong entity tag made of the modification time and the length, for files
    /// whose sha256 is not known.
    pub(crate) fn etag(&self) -> String {
        let nanos = self
            .modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("\"{nanos:x}-{:x}\"", self.len)
    }
}

#[cfg(test)]
mod tests;
