//! Writing below a root without following links: real folders only, files opened with `O_NOFOLLOW`, regular files only.

use crate::error::{Error, Result, io};
use std::fs::{self, File, OpenOptions};
use std::path::{Component, Path, PathBuf};

/// The error for a path mhub will not write through.
fn unsafe_path(path: &Path, reason: &'static str) -> Error {
    Error::Unsafe {
        path: path.to_path_buf(),
        reason,
    }
}

/// Creates the folders of `rel` below `root` and returns the last. Every component below
/// `root` must be a real folder: one that exists as a symbolic link (even to a folder), a
/// file, a FIFO or a device is refused, so a tree cloned from someone else cannot steer a
/// write through a link it planted. `root` itself is the caller's and is taken as it is.
pub fn create_dirs_within(root: &Path, rel: &Path) -> Result<PathBuf> {
    let mut path = root.to_path_buf();
    for component in rel.components() {
        let Component::Normal(name) = component else {
            return Err(unsafe_path(
                &root.join(rel),
                "it is not a plain relative path",
            ));
        };
        path.push(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(unsafe_path(
                    &path,
                    "it is a symbolic link, and mhub never writes through one",
                ));
            }
            Ok(_) => return Err(unsafe_path(&path, "it should be a folder")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match fs::create_dir(&path) {
                Ok(()) => {}
                // Another process made it meanwhile: check what it made.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let meta = fs::symlink_metadata(&path).map_err(io("read", &path))?;
                    if !meta.file_type().is_dir() {
                        return Err(unsafe_path(&path, "it should be a folder"));
                    }
                }
                Err(e) => return Err(io("create", &path)(e)),
            },
            Err(e) => return Err(io("read", &path)(e)),
        }
    }
    Ok(path)
}

/// Options that never follow a link at the last component and never wait on a FIFO.
fn nofollow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
        options.custom_flags(flags.bits().cast_signed());
    }
    options
}

/// Checks that an opened file is a regular one (not a FIFO, a device or a folder).
fn regular(file: File, path: &Path) -> Result<File> {
    let meta = file.metadata().map_err(io("read", path))?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(unsafe_path(path, "it is not a regular file"))
    }
}

/// Turns the error of a no-follow open into a clear one when a link was in the way.
fn open_error(path: &Path, action: &'static str, e: std::io::Error) -> Error {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        unsafe_path(
            path,
            "it is a symbolic link, and mhub never writes through one",
        )
    } else {
        io(action, path)(e)
    }
}

/// Opens (creating) the file at `path` for reading and writing, without truncating it:
/// a resumable partial download or a lock file. A link at `path` is refused, not
/// followed; so is anything but a regular file.
pub fn open_writable(path: &Path) -> Result<File> {
    #[cfg(not(target_os = "linux"))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(unsafe_path(
            path,
            "it is a symbolic link, and mhub never writes through one",
        ));
    }
    let file = nofollow(
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true),
    )
    .open(path)
    .map_err(|e| open_error(path, "open", e))?;
    regular(file, path)
}

/// Opens the regular file at `path` for reading, refusing a link at `path`, a FIFO or a device.
pub fn open_regular(path: &Path) -> Result<File> {
    #[cfg(not(target_os = "linux"))]
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(unsafe_path(path, "it is a symbolic link"));
    }
    let file = nofollow(OpenOptions::new().read(true))
        .open(path)
        .map_err(|e| open_error(path, "open", e))?;
    regular(file, path)
}

/// Whether `path` is a regular file itself, not a link to one.
pub fn is_regular_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Creates the folder at `path` (and its parents) readable by its owner only (`0700`), or
/// checks the one there: a world-writable folder is refused, since anyone who can write
/// there can swap a verified file (a group-writable one is the group's choice, as on
/// systems with a private group per user). The parents are the caller's.
pub fn create_private_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        match fs::DirBuilder::new().mode(0o700).create(path) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("create", path)(e)),
        }
        let meta = fs::metadata(path).map_err(io("read", path))?;
        if !meta.is_dir() {
            return Err(unsafe_path(path, "it should be a folder"));
        }
        if meta.permissions().mode() & 0o002 != 0 {
            return Err(unsafe_path(
                path,
                "every user may write to it; make it private with `chmod 700`",
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(path).map_err(io("create", path))
    }
}
