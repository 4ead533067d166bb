//! Files of a tree opened without leaving it: hidden and escaping segments refused, links followed only inside the tree.

use std::fs::{self, File, Metadata};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The most segments a path below a root may have.
const MAX_SEGMENTS: usize = 32;
/// The longest segment, in bytes, as most file systems allow.
const MAX_SEGMENT: usize = 255;

/// A path below a root that may name a file of the tree: `/`-separated segments, each
/// non-empty and at most 255 bytes, at most 32 of them, none starting with `.` (so no
/// dotfile, `.` or `..`), none holding `\\`, NUL or another control character. The root
/// itself is the empty path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Relative(String);

impl Relative {
    /// Checks a path of already-decoded segments; `None` when it could leave the root or
    /// name a hidden file.
    pub fn new(path: &str) -> Option<Relative> {
        if path.is_empty() {
            return Some(Relative(String::new()));
        }
        let mut segments = 0;
        for segment in path.split('/') {
            segments += 1;
            let safe = segments <= MAX_SEGMENTS
                && !segment.is_empty()
                && segment.len() <= MAX_SEGMENT
                && !segment.starts_with('.')
                && !segment.chars().any(|c| c == '\\' || c.is_control());
            if !safe {
                return None;
            }
        }
        Some(Relative(path.to_owned()))
    }

    /// A card's link (`models/x/model.onnx`) as a path below the hub root, if it can be one.
    pub fn link(link: &str) -> Option<Relative> {
        Relative::new(link).filter(|r| !r.is_root())
    }

    /// The path, e.g. `models/digits/model.onnx`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last segment.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

/// Whether a path component would be refused in a request.
fn hidden(component: Component<'_>) -> bool {
    match component {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => true,
    }
}

/// A regular file found below a root.
pub struct Found {
    /// The open file.
    pub file: File,
    /// Its metadata, read from the open file.
    pub meta: Metadata,
    /// Its path, with every link resolved.
    pub path: PathBuf,
}

/// A folder files are served from: the hub tree, or the web app.
pub struct Root {
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
    pub fn open(path: &Path) -> std::io::Result<Root> {
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
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stamp of the regular file at `path`, from one `statx` that does not follow a
    /// final link. Intermediate links are followed, so this only confirms a file already
    /// found through [`Root::find`]: callers compare the inode. `None` off Linux.
    pub fn stat(&self, path: &Relative) -> Option<Stamp> {
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
    pub fn find(&self, path: &Relative) -> Option<Found> {
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
pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
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
pub struct Stamp {
    /// The length in bytes.
    pub len: u64,
    /// The modification time.
    pub modified: Option<SystemTime>,
    /// The inode and its device, where there are: a file renamed over another differs.
    pub inode: u64,
    /// The device the inode is on.
    pub device: u64,
}

impl Stamp {
    /// The stamp of a file's metadata.
    pub fn of(meta: &Metadata) -> Stamp {
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
    pub fn etag(&self) -> String {
        let nanos = self
            .modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("\"{nanos:x}-{:x}\"", self.len)
    }
}

#[cfg(test)]
mod tests;
