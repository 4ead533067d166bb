//! Repository archives as GitHub serves them: a gzip-compressed tar with one top folder.

use flate2::{Compression, write::GzEncoder};

/// The top folder of every archive, as GitHub names it for `owner/repo` at `main`.
const REPO_TOP: &str = "repo-main";

/// A GitHub-style source archive (`.tar.gz`) holding `files` (path, contents) under `repo-main/`.
///
/// Every entry is a regular file with mode `0644`; folders are implied by the paths. Hostile
/// archives (links, escaping names) are out of scope: tests that need one build it by hand.
///
/// # Panics
///
/// If a path is one the tar crate refuses to write (absolute, or with `..`): a test bug.
#[allow(clippy::expect_used)]
pub fn repo_archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("{REPO_TOP}/{path}"), *data)
            .expect("append a file to an in-memory tar");
    }
    builder
        .into_inner()
        .and_then(GzEncoder::finish)
        .expect("finish an in-memory tar.gz")
}
