//! Writing below a root from directory handles: each folder opened once without following a link, every file made or opened relative to it.

use crate::error::{Error, Result, io};
use crate::files::{CopyError, hash_copy};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Why a link is refused.
const LINK: &str = "it is a symbolic link, and mhub never writes through one";

/// A folder, open. Every name below it is looked up from this handle, one component at a
/// time, never following a link; a file is made or opened relative to it, so a folder
/// swapped for a link after it was opened changes nothing: the handle still names the
/// folder that was opened. This is how the cache, a hub's mirror and `mhub new` write.
#[derive(Debug, Clone)]
pub struct Dir {
    fd: Arc<OwnedFd>,
    path: PathBuf,
}

/// What a name in a [`Dir`] is, as seen without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symbolic link, to anywhere.
    Link,
    /// A FIFO, a socket or a device.
    Other,
}

/// One name in a [`Dir`], from [`Dir::stat`] or [`Dir::entries`].
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name.
    pub name: String,
    /// What it is, not following a link.
    pub kind: Kind,
    /// Its length in bytes.
    pub len: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// Turns a system error into an I/O error on `path`.
fn sys(action: &'static str, path: PathBuf) -> impl FnOnce(Errno) -> Error {
    move |e| io(action, path)(e.into())
}

/// The flags every open here takes: never a link, never waiting on a FIFO, never a terminal.
fn confined() -> OFlags {
    OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

impl Dir {
    /// Opens the folder at `path`, which is the caller's: links on the way to it are
    /// followed, as for any path a user types. Everything below it is confined.
    pub fn open(path: &Path) -> Result<Dir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::open(path, flags, Mode::empty())
            .map_err(sys("open", path.to_path_buf()))?;
        Ok(Dir {
            fd: Arc::new(fd),
            path: path.to_path_buf(),
        })
    }

    /// Creates the folder at `path` (and its parents, the caller's) readable by its owner
    /// only (`0700`), or opens the one there, and checks what was opened: a folder every
    /// user may write to is refused, since anyone who can write there can swap a verified
    /// file (a group-writable one is the group's choice, as on systems with a private
    /// group per user).
    pub fn create_private(path: &Path) -> Result<Dir> {
        use std::os::unix::fs::DirBuilderExt as _;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        match std::fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("create", path)(e)),
        }
        let dir = Dir::open(path).map_err(|e| match e {
            Error::Io { ref source, .. }
                if source.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) =>
            {
                unsafe_path(path, "it should be a folder")
            }
            e => e,
        })?;
        let stat = rustix::fs::fstat(&*dir.fd).map_err(sys("read", path.to_path_buf()))?;
        if stat.st_mode & 0o002 != 0 {
            return Err(unsafe_path(
                path,
                "every user may write to it; make it private with `chmod 700`",
            ));
        }
        Ok(dir)
    }

    /// The folder's path, for messages and for readers that take paths.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in this folder, for messages.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Refuses a name that is not one plain component.
    fn plain<'a>(&self, name: &'a str) -> Result<&'a str> {
        let ok = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
        if ok {
            Ok(name)
        } else {
            Err(unsafe_path(&self.join(name), "it is not a plain file name"))
        }
    }

    /// The refusal for `name`, which is not what was wanted: a link, or something else.
    fn refusal(&self, name: &OsStr, otherwise: &'static str) -> Error {
        let is_link = rustix::fs::statat(&*self.fd, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::Symlink);
        unsafe_path(&self.join(name), if is_link { LINK } else { otherwise })
    }

    /// The folder `name` in this one, opened without following a link; `None` when
    /// nothing has that name.
    fn child(&self, name: &OsStr) -> Result<Option<Dir>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | confined();
        match rustix::fs::openat(&*self.fd, name, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                fd: Arc::new(fd),
                path: self.join(name),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => Err(self.refusal(name, "it should be a folder")),
            Err(e) => Err(sys("open", self.join(name))(e)),
        }
    }

    /// Each plain component of `rel`, or the refusal of a path that is not plain.
    fn components<'a>(&self, rel: &'a Path) -> Result<Vec<&'a OsStr>> {
        rel.components()
            .map(|c| match c {
                Component::Normal(name) => Ok(name),
                _ => Err(unsafe_path(
                    &self.join(rel),
                    "it is not a plain relative path",
                )),
            })
            .collect()
    }

    /// Opens the folder at `rel` below this one, creating what is missing. Every component
    /// must be a real folder: one that exists as a symbolic link (even to a folder), a
    /// file, a FIFO or a device is refused, so a tree cloned from someone else cannot
    /// steer a write through a link it planted, and one swapped in later is never
    /// followed.
    pub fn create_dirs(&self, rel: &Path) -> Result<Dir> {
        let mut dir = self.clone();
        for name in self.components(rel)? {
            dir = match dir.child(name)? {
                Some(next) => next,
                // Another process may make it meanwhile: it is opened and checked all the same.
                None => dir.make_child(name, true)?,
            };
        }
        Ok(dir)
    }

    /// Creates the folder `name` in this one, which must not exist yet, and opens it.
    pub fn create_dir(&self, name: &str) -> Result<Dir> {
        self.make_child(self.plain(name)?.as_ref(), false)
    }

    /// Makes the folder `name` (one that exists already is an error unless `exist_ok`) and
    /// opens it as [`Dir::child`] does, so what was opened is checked, not what was made.
    fn make_child(&self, name: &OsStr, exist_ok: bool) -> Result<Dir> {
        match rustix::fs::mkdirat(&*self.fd, name, Mode::from_raw_mode(0o777)) {
            Ok(()) => {}
            Err(Errno::EXIST) if exist_ok => {}
            Err(e) => return Err(sys("create", self.join(name))(e)),
        }
        self.child(name)?
            .ok_or_else(|| io("open", self.join(name))(std::io::ErrorKind::NotFound.into()))
    }

    /// Opens the folder at `rel` below this one, as [`Dir::create_dirs`] does, but only
    /// if it exists.
    pub fn open_dirs(&self, rel: &Path) -> Result<Option<Dir>> {
        let mut dir = self.clone();
        for name in self.components(rel)? {
            match dir.child(name)? {
                Some(next) => dir = next,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// Opens `name` with `flags` (plus [`confined`]) and checks it is a regular file.
    fn file(&self, name: &str, flags: OFlags, action: &'static str) -> Result<File> {
        self.file_mode(name, flags, 0o666, action)
    }

    fn file_mode(
        &self,
        name: &str,
        flags: OFlags,
        mode: u32,
        action: &'static str,
    ) -> Result<File> {
        let name = self.plain(name)?;
        let fd = rustix::fs::openat(
            &*self.fd,
            name,
            flags | confined(),
            Mode::from_raw_mode(mode),
        )
        .map_err(|e| match e {
            Errno::LOOP => self.refusal(name.as_ref(), "it is not a regular file"),
            e => sys(action, self.join(name))(e),
        })?;
        let file = File::from(fd);
        let meta = file.metadata().map_err(io("read", self.join(name)))?;
        if meta.is_file() {
            Ok(file)
        } else {
            Err(unsafe_path(&self.join(name), "it is not a regular file"))
        }
    }

    /// Opens (creating) `name` for reading and writing, without truncating it: a
    /// resumable partial download or a lock file. A link is refused, not followed; so is
    /// anything but a regular file.
    pub fn open_writable(&self, name: &str) -> Result<File> {
        self.file(name, OFlags::RDWR | OFlags::CREATE, "open")
    }

    /// Opens the regular file `name` for reading; `None` when nothing has that name. A
    /// link, a folder, a FIFO or a device is refused.
    pub fn open_regular(&self, name: &str) -> Result<Option<File>> {
        match self.file(name, OFlags::RDONLY, "open") {
            Ok(file) => Ok(Some(file)),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Creates `name`, which must not exist (`O_EXCL`: never through a planted link), for
    /// writing. When it exists the error is an [`Error::Io`] of kind `AlreadyExists`.
    pub fn create_new(&self, name: &str) -> Result<File> {
        self.file(
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            "create",
        )
    }

    /// Writes a secret (a signing key) to `name`, which must not exist: an existing key is
    /// never overwritten. Created exclusively, readable and writable by its owner only
    /// (`0600`) from the start, written and synced.
    pub fn create_secret(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
        let mut file = self.file_mode(name, flags, 0o600, "create")?;
        let shown = self.join(name);
        file.write_all(bytes).map_err(io("write", &shown))?;
        file.sync_all().map_err(io("sync", &shown))?;
        self.sync();
        Ok(())
    }

    /// Writes `bytes` to `name` atomically, through a hidden temporary file beside it
    /// (see [`Dir::write_atomic_via`]).
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.write_atomic_via(self, &sibling_temp(name), name, bytes)
    }

    /// Writes `bytes` to `name` atomically through `temp` in `temps` (a folder on the same
    /// file system), which must not exist: created exclusively, written, synced, then
    /// renamed over `name`, and this folder synced. On failure `temp` is removed and
    /// `name` is as it was.
    pub fn write_atomic_via(
        &self,
        temps: &Dir,
        temp: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<()> {
        self.atomically(temps, temp, name, |file, shown| {
            file.write_all(bytes).map_err(io("write", shown))
        })
    }

    /// Copies the file at `from` (the caller's) to `name` atomically, as
    /// [`Dir::write_atomic`] writes; returns the bytes copied.
    pub fn copy_atomic(&self, from: &Path, name: &str) -> Result<u64> {
        let input = File::open(from).map_err(io("open", from))?;
        let mut len = 0;
        self.atomically(self, &sibling_temp(name), name, |file, shown| {
            len = hash_copy(&input, file, None)
                .map_err(|e| match e {
                    CopyError::Write(e) => io("write", shown)(e),
                    other => io("read", from)(other.into()),
                })?
                .1;
            Ok(())
        })?;
        Ok(len)
    }

    /// The one atomic write: `temp` created exclusively in `temps`, filled by `fill`,
    /// synced, renamed over `name` here, this folder synced; on failure `temp` is removed.
    fn atomically(
        &self,
        temps: &Dir,
        temp: &str,
        name: &str,
        fill: impl FnOnce(&mut File, PathBuf) -> Result<()>,
    ) -> Result<()> {
        let result = (|| {
            let mut file = temps.create_new(temp)?;
            fill(&mut file, temps.join(temp))?;
            file.sync_all().map_err(io("sync", temps.join(temp)))?;
            temps.rename(temp, self, name)
        })();
        if result.is_err() {
            let _ = temps.remove_file(temp);
        }
        self.sync();
        result
    }

    /// Renames `from` in this folder to `to` in the folder `into` (on the same file
    /// system), replacing a file there. Neither name is followed if it is a link.
    pub fn rename(&self, from: &str, into: &Dir, to: &str) -> Result<()> {
        let (from, to) = (self.plain(from)?, into.plain(to)?);
        rustix::fs::renameat(&*self.fd, from, &*into.fd, to).map_err(sys("rename", self.join(from)))
    }

    /// Removes the file (or link) `name`; whether there was one.
    pub fn remove_file(&self, name: &str) -> Result<bool> {
        let name = self.plain(name)?;
        match rustix::fs::unlinkat(&*self.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(sys("remove", self.join(name))(e)),
        }
    }

    /// Removes `name` and, when it is a folder, everything in it, never following a link
    /// (a link inside is removed itself); whether there was anything.
    pub fn remove_all(&self, name: &str) -> Result<bool> {
        let name = self.plain(name)?;
        match self.child(name.as_ref()) {
            Ok(Some(dir)) => {
                for inner in dir.names()? {
                    dir.remove_all(&inner)?;
                }
                drop(dir);
                rustix::fs::unlinkat(&*self.fd, name, AtFlags::REMOVEDIR)
                    .map_err(sys("remove", self.join(name)))?;
                Ok(true)
            }
            Ok(None) => Ok(false),
            // Not a folder: a file, a link, a FIFO.
            Err(Error::Unsafe { .. }) => self.remove_file(name),
            Err(e) => Err(e),
        }
    }

    /// What `name` is, without following it; `None` when nothing has that name.
    pub fn stat(&self, name: &str) -> Result<Option<Entry>> {
        let name = self.plain(name)?;
        let stat = match rustix::fs::statat(&*self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(sys("read", self.join(name))(e)),
        };
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Folder,
            FileType::Symlink => Kind::Link,
            _ => Kind::Other,
        };
        let since_epoch = Duration::new(
            u64::try_from(stat.st_mtime).unwrap_or(0),
            u32::try_from(stat.st_mtime_nsec).unwrap_or(0),
        );
        Ok(Some(Entry {
            name: name.to_owned(),
            kind,
            len: u64::try_from(stat.st_size).unwrap_or(0),
            modified: SystemTime::UNIX_EPOCH + since_epoch,
        }))
    }

    /// Every name in this folder but `.` and `..`, sorted. A name that is not UTF-8 is
    /// left out: mhub never makes one.
    pub fn names(&self) -> Result<Vec<String>> {
        let list = || sys("list", self.path.clone());
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&*self.fd).map_err(list())? {
            let entry = entry.map_err(list())?;
            if let Ok(name) = entry.file_name().to_str()
                && name != "."
                && name != ".."
            {
                out.push(name.to_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// [`Dir::names`], each with what it is ([`Dir::stat`]).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        for name in self.names()? {
            out.extend(self.stat(&name)?);
        }
        Ok(out)
    }

    /// Makes the renames in this folder durable; best effort, as not every file system can.
    pub fn sync(&self) {
        let _ = rustix::fs::fsync(&*self.fd);
    }
}

/// The error for a path mhub will not write through.
fn unsafe_path(path: &Path, reason: &'static str) -> Error {
    Error::Unsafe {
        path: path.to_path_buf(),
        reason,
    }
}

/// A fresh hidden temporary name for a write of `name`: `.<name>.<pid>.<n>.tmp`.
fn sibling_temp(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{}.{n}.tmp", std::process::id())
}
