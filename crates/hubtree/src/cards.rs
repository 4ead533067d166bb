//! Finding the cards in files and hub trees, where each sits relative to its `assets/` root, and checking them.

use crate::error::{Error, Result, io};
use crate::root::{Relative, Root};
use manifest::{Options, Profile, Report};
use std::fs;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

/// Markdown files in a hub tree that are not cards.
const NOT_CARDS: &[&str] = &[
    "README.md",
    "README.en.md",
    "README_CN.md",
    "publisher_intro.md",
];

/// The largest card read, in bytes.
const MAX_CARD_BYTES: u64 = 4 * 1024 * 1024;

/// One card file found by [`find_cards`].
#[derive(Debug, Clone)]
pub struct CardFile {
    /// Where to read it.
    pub path: PathBuf,
    /// The path relative to its `assets/` root, with `/` separators, when known.
    pub card_path: Option<String>,
    /// The directory `card_path` is relative to.
    pub root: Option<PathBuf>,
}

impl CardFile {
    /// Whether the English sibling of a `_cn.md` card exists.
    pub fn sibling_exists(&self) -> Option<bool> {
        let sibling = manifest::english_sibling(self.card_path.as_deref()?)?;
        Some(self.root.as_ref()?.join(sibling).is_file())
    }

    /// Reads the card's text; see [`read_card`].
    pub fn read(&self) -> Result<String> {
        read_card(&self.path)
    }
}

/// Reads a card file, refusing files over 4 MiB or not UTF-8.
pub fn read_card(path: &Path) -> Result<String> {
    let file = fs::File::open(path).map_err(io("open", path))?;
    read_card_from(file, path)
}

/// Reads the card at `rel` below `root` without leaving the tree ([`Root::find`]): a
/// card that is a link out of the tree, a folder, a FIFO or a device reads as `None`.
pub fn read_card_in(root: &Root, rel: &Relative) -> Result<Option<String>> {
    match root.find(rel) {
        Some(found) => read_card_from(found.file, &found.path).map(Some),
        None => Ok(None),
    }
}

/// The text of an open card file; `path` names it in errors.
fn read_card_from(file: fs::File, path: &Path) -> Result<String> {
    // Sized from the file's length, so the read does not grow the buffer step by step.
    let len = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_CARD_BYTES + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.take(MAX_CARD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io("read", path))?;
    let invalid = |reason: String| Error::Invalid {
        what: "card",
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() as u64 > MAX_CARD_BYTES {
        return Err(invalid(format!(
            "it is larger than {} MiB",
            MAX_CARD_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|_| invalid("it is not UTF-8 text".to_owned()))
}

/// The path of `path` below its last `assets` component, with `/` separators.
fn below_assets(path: &Path) -> Option<(PathBuf, String)> {
    let components: Vec<Component<'_>> = path.components().collect();
    let at = components.iter().rposition(|c| c.as_os_str() == "assets")?;
    let root: PathBuf = components[..=at].iter().collect();
    let rest: Vec<String> = components[at + 1..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!rest.is_empty()).then(|| (root, rest.join("/")))
}

/// Expands paths into card files: files as given, directories walked in sorted
/// order. A directory with an `assets/` folder is a hub tree and only that
/// folder is walked; card paths are taken relative to the last `assets`
/// component, else to the directory given. `README.md`, `publisher_intro.md`,
/// hidden entries, `static/` folders and symbolic links to folders are skipped.
pub fn find_cards(paths: &[PathBuf]) -> Result<Vec<CardFile>> {
    let mut cards = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(io("read", path))?;
        if meta.is_file() {
            let (root, card_path) =
                below_assets(path).map_or((None, None), |(r, c)| (Some(r), Some(c)));
            cards.push(CardFile {
                path: path.clone(),
                card_path,
                root,
            });
            continue;
        }
        let hub_assets = path.join("assets");
        let root = if hub_assets.is_dir() {
            hub_assets
        } else {
            path.clone()
        };
        let (base, prefix) = match below_assets(&root) {
            Some((base, prefix)) => (base, Some(prefix)),
            None => (root.clone(), None),
        };
        let mut found = Vec::new();
        walk(&root, &mut found)?;
        for file in found {
            // The walk joined plain names with `/`: the rest of the path is the card path.
            let relative = file.strip_prefix(&root).unwrap_or(&file).to_string_lossy();
            let card_path = match &prefix {
                Some(p) => format!("{p}/{relative}"),
                None => relative.into_owned(),
            };
            cards.push(CardFile {
                path: file,
                card_path: Some(card_path),
                root: Some(base.clone()),
            });
        }
    }
    Ok(cards)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    // Each name is read once and sorted with its entry (a key function would allocate
    // two names per comparison).
    let mut entries: Vec<(std::ffi::OsString, fs::DirEntry)> = fs::read_dir(dir)
        .map_err(io("list", dir))?
        .map(|entry| entry.map(|e| (e.file_name(), e)))
        .collect::<std::result::Result<_, _>>()
        .map_err(io("list", dir))?;
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, entry) in entries {
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(io("read", &path))?;
        if kind.is_dir() {
            if name != "static" {
                walk(&path, out)?;
            }
        } else if name.ends_with(".md")
            && !NOT_CARDS.contains(&name.as_ref())
            && (kind.is_file() || path.is_file())
        {
            out.push(path);
        }
    }
    Ok(())
}

/// One card read and checked.
#[derive(Debug)]
pub struct Checked {
    /// The file.
    pub file: CardFile,
    /// Its text (empty when it could not be read).
    pub source: String,
    /// Its diagnostics, or why it could not be read.
    pub result: Result<Report>,
}

impl Checked {
    /// Whether this card can be listed in an index: readable, with no error.
    pub fn is_valid(&self) -> bool {
        self.result.as_ref().is_ok_and(|r| !r.has_errors())
    }

    /// Whether this is a `_cn.md` translation, which indexes leave out.
    pub fn is_translation(&self) -> bool {
        self.file
            .card_path
            .as_deref()
            .and_then(manifest::english_sibling)
            .is_some()
    }
}

/// Reads one card and checks it under `profile`.
pub fn check_card(file: CardFile, profile: Profile) -> Checked {
    match file.read() {
        Ok(source) => {
            let options = Options {
                profile,
                card_path: file.card_path.as_deref(),
                sibling_exists: file.sibling_exists(),
            };
            let report = manifest::check(&source, &options);
            Checked {
                file,
                source,
                result: Ok(report),
            }
        }
        Err(e) => Checked {
            file,
            source: String::new(),
            result: Err(e),
        },
    }
}

/// Reads and checks every card, on every core, keeping the input order.
pub fn check_cards(files: Vec<CardFile>, profile: Profile) -> Vec<Checked> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads == 1 || files.len() < 64 {
        return files.into_iter().map(|f| check_card(f, profile)).collect();
    }
    // Threads take batches of 16 in turn, so they stay busy to the end.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let files = &files;
    let mut out: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let at = next.fetch_add(16, std::sync::atomic::Ordering::Relaxed);
                        if at >= files.len() {
                            break;
                        }
                        for (i, file) in files.iter().enumerate().skip(at).take(16) {
                            done.push((i, check_card(file.clone(), profile)));
                        }
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, c)| c).collect()
}
