//! Integration tests of the `manifest` crate: fixtures, the real corpus, hostile input, the index.

mod checker;
mod corpus;
mod fixtures;
mod hostile;
mod hubconf;
mod index;

use manifest::{Options, Profile, Report};
use std::path::{Path, PathBuf};

/// The folder of test data.
fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// `file` as diagnostics name it in snapshots: relative to the test data folder.
fn shown(file: &Path) -> String {
    file.strip_prefix(data())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// The card path of `file` relative to the `assets` folder it sits in, if any.
fn card_path(file: &Path) -> Option<String> {
    let parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().rposition(|p| p == "assets")?;
    Some(parts[at + 1..].join("/"))
}

/// Checks a card file under `profile`, with its card path and sibling facts filled in as the CLI does.
fn check_file(file: &Path, card_path: Option<&str>, profile: Profile) -> (String, Report) {
    let source = std::fs::read_to_string(file).expect("test data is readable");
    let root = card_path.map(|c| {
        let depth = c.split('/').count();
        file.ancestors()
            .nth(depth)
            .expect("card path fits the file path")
            .to_path_buf()
    });
    let sibling_exists = card_path
        .and_then(manifest::english_sibling)
        .zip(root)
        .map(|(s, r)| r.join(s).is_file());
    let report = manifest::check(
        &source,
        &Options {
            profile,
            card_path,
            sibling_exists,
        },
    );
    (source, report)
}

/// A compact verdict: one line per diagnostic.
fn verdict(report: &Report) -> String {
    let mut out = format!(
        "errors: {}, warnings: {}\n",
        report.count(manifest::Severity::Error),
        report.count(manifest::Severity::Warning)
    );
    for d in &report.diagnostics {
        out += &format!(
            "{}:{} {:?}[{}] {}\n",
            d.span.line, d.span.col, d.severity, d.rule, d.message
        );
    }
    out
}
