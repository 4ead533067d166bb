//! Integration tests of the cache: real hubs on disk and on a loopback HTTP server that misbehaves.

mod compiled;
mod faults;
mod hubs;
mod identity;
mod links;
mod mirrors;
mod reach;
mod repos;

use cache::{Hub, NetConfig, Source};
use std::path::Path;
use std::time::Duration;

/// The UID every test card lives at.
const UID: &str = "test/cpu/1.0/blob_v1.0_cifar10";

/// A card at [`UID`] with one asset.
fn card(link: &str, sha256: &str, size: Option<u64>) -> String {
    let size = size
        .map(|s| format!("    asset-size: {s}\n"))
        .unwrap_or_default();
    format!(
        "# Blob\n---\nmodel-name: blob\nbackbone-name: blob\nmodule-type: cv-classification\nfine-tunable: false\n\
         model-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\nrepo-link: https://example.com/mhub/blob\n\
         user-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\nsummary: test blob\n\
         asset:\n  - file-format: onnx\n    asset-link: {link}\n    asset-sha256: {sha256}\n{size}---\n## Usage\n"
    )
}

/// Writes a hub tree with the card at [`UID`] into `dir`.
fn write_hub(dir: &Path, card_text: &str) {
    let path = dir.join("assets").join(format!("{UID}.md"));
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, card_text).expect("write card");
}

/// Network settings that make failure tests quick.
fn fast_net() -> NetConfig {
    NetConfig {
        read_timeout: Duration::from_millis(700),
        retries: 3,
        backoff: Duration::from_millis(10),
        // The test servers stand for the internet, on this machine: hubs on disk may link
        // them. What is refused without this is tested in `reach`.
        allow_local: true,
        ..NetConfig::default()
    }
}

fn hub(cache_dir: &Path, source: &str) -> Hub {
    Hub::builder()
        .dir(cache_dir)
        .source(Source::parse(source).expect("source"))
        .net(fast_net())
        .build()
        .expect("hub")
}

/// Asserts the cache is sound and holds no temporary files.
fn assert_clean(hub: &Hub) {
    let report = hub.cache().verify().expect("verify runs");
    assert!(
        report.problems.is_empty(),
        "verify found: {:?}",
        report.problems
    );
    let temps = hub.cache().temp_files().expect("list temps");
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
}

/// The blobs visible in the cache.
fn blob_count(cache_dir: &Path) -> usize {
    std::fs::read_dir(cache_dir.join("v2/blobs/sha256"))
        .map(|d| d.count())
        .unwrap_or(0)
}
