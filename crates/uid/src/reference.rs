//! Telling a model UID, a repository reference, a URL and a local path apart.

use crate::error::Error;
use crate::model::Uid;
use crate::repo::RepoRef;

/// What a user typed to name a model or a hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A model UID, e.g. `mindspore/1.10/resnet50_imagenet2012`.
    Uid(Uid),
    /// A repository reference, e.g. `pytorch/vision:main`.
    Repo(RepoRef),
    /// An `http://` or `https://` URL, kept as typed.
    Url(String),
    /// A local path, kept as typed.
    Path(String),
}

impl Reference {
    /// Classifies `input`, in this order:
    ///
    /// 1. a URL: it has a scheme, `scheme://`;
    /// 2. a local path: it starts with `/`, `./`, `../`, `~`, a drive letter, is
    ///    `.` or `..`, contains a backslash, has a single segment, or ends with a
    ///    file extension mhub reads (`.md`, `.onnx`, `.json`);
    /// 3. a repository reference: it has a `:` or exactly two segments;
    /// 4. otherwise a model UID.
    ///
    /// Only the last two are checked against their grammar, so a typo in a UID
    /// is reported as a UID error rather than mistaken for a path.
    pub fn parse(input: &str) -> Result<Reference, Error> {
        if let Some((scheme, _)) = input.split_once("://")
            && !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Ok(Reference::Url(input.to_owned()));
        }
        if looks_like_path(input) {
            return Ok(Reference::Path(input.to_owned()));
        }
        if input.contains(':') || input.split('/').count() == 2 {
            return RepoRef::parse(input).map(Reference::Repo);
        }
        Uid::parse(input).map(Reference::Uid)
    }
}

fn looks_like_path(input: &str) -> bool {
    let bytes = input.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    input.starts_with('/')
        || input.starts_with("./")
        || input.starts_with("../")
        || input.starts_with('~')
        || input == "."
        || input == ".."
        || drive
        || input.contains('\\')
        || !input.contains('/') && !input.contains(':')
        || [".md", ".onnx", ".json"]
            .iter()
            .any(|ext| input.ends_with(ext))
}
