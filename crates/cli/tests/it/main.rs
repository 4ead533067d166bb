//! End-to-end tests of the `mhub` binary: exit codes, stdout and stderr.

mod bench;
mod index;
mod new;
mod output;
mod pull;
mod run;
mod serve;
mod signed;
mod validate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// Runs `mhub` with `args` in `dir`.
fn mhub_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("mhub runs")
}

/// Runs `mhub` with `args` from the repository root.
fn mhub(args: &[&str]) -> Output {
    mhub_in(&repo(), args)
}

/// Exit code, stdout and stderr as one text for snapshots, with `tmp` replaced by `[TMP]`.
fn transcript(out: &Output, tmp: Option<&Path>) -> String {
    let mut text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(tmp) = tmp {
        text = text.replace(&tmp.display().to_string(), "[TMP]");
    }
    text
}

/// Writes `files` (path, contents) under a new temporary folder.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    dir
}

/// A card that passes the mhub profile when placed at `mindspore/cpu/1.0/tiny_v1.0_iris.md`.
const GOOD: &str = "# Tiny\n---\nmodel-name: tiny\nbackbone-name: tiny\nmodule-type: cv-classification\nfine-tunable: false\nmodel-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\nrepo-link: https://example.com/mhub/tiny\nuser-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\nsummary: a tiny card\nasset:\n- file-format: onnx\n  asset-link: models/tiny.onnx\n  asset-sha256: 0000000000000000000000000000000000000000000000000000000000000000\n---\n## Usage\n";
