//! Repository sources: a source archive on a loopback server, `hubconf.yaml` entrypoints, safe extraction.

use super::{UID, assert_clean, card, fast_net};
use cache::{Error, Hub, Listing, Silent, Source};
use flate2::{Compression, write::GzEncoder};
use testserver::{Server, bytes, repo_archive, sha256};

const HUBCONF: &str = "requires-mhub: 0.1\nentrypoints:\n  - name: blob\n    doc: A test blob.\n    card: test/cpu/1.0/blob_v1.0_cifar10\n    asset: onnx\n    inputs:\n      - name: x\n        dtype: float32\n        shape: [1, 64]\n";

fn repo_hub(server: &Server, cache: &std::path::Path) -> Hub {
    Hub::builder()
        .dir(cache)
        .source(Source::parse("owner/repo").expect("repo ref"))
        .repo_url(server.url("/{owner}/{repo}/archive/{ref}.tar.gz"))
        .net(fast_net())
        .build()
        .expect("hub")
}

#[test]
fn entrypoints_are_listed_and_pulled_without_running_anything() {
    let server = Server::start();
    let data = bytes(25_000);
    let card_text = card("models/blob.onnx", &sha256(&data), None);
    let card_path = format!("assets/{UID}.md");
    server.put(
        "/owner/repo/archive/main.tar.gz",
        repo_archive(&[
            ("hubconf.yaml", HUBCONF.as_bytes()),
            (&card_path, card_text.as_bytes()),
            ("models/blob.onnx", &data),
            ("hubconf.py", b"import os; os.system('rm -rf /')"),
        ]),
    );
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = repo_hub(&server, cache_dir.path());
    let Listing::Entrypoints(entries) = hub.list(&Silent).expect("list") else {
        panic!("a repository lists entrypoints")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].doc.as_deref(), Some("A test blob."));
    assert_eq!(entries[0].inputs[0].shape, [1, 64]);
    let repo = "owner/repo".parse().expect("repo");
    let pulled = hub.pull_entry(&repo, "blob", false, &Silent).expect("pull");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("read"), data);
    assert_eq!(pulled.key, "@repos/owner_repo_main/blob");
    let info = hub.entry_info(&repo, "blob", &Silent).expect("info");
    assert!(info.record.is_some());
    assert_eq!(
        server.requests("/owner/repo/archive/main.tar.gz"),
        1,
        "the archive is cached per owner_repo_ref"
    );
    let err = hub
        .pull_entry(&repo, "nope", false, &Silent)
        .expect_err("unknown");
    assert!(matches!(err, Error::NoEntrypoint { .. }), "{err}");
    assert_clean(&hub);
}

#[test]
fn a_malicious_archive_is_refused_and_leaves_nothing() {
    let server = Server::start();
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    header.set_cksum();
    builder
        .append_link(&mut header, "repo-main/assets", "/etc")
        .expect("link");
    server.put(
        "/owner/repo/archive/main.tar.gz",
        builder.into_inner().expect("tar").finish().expect("gz"),
    );
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = repo_hub(&server, cache_dir.path());
    let err = hub.list(&Silent).expect_err("symlink");
    assert!(matches!(err, Error::Archive { .. }), "{err}");
    assert!(
        std::fs::read_dir(cache_dir.path().join("v2/repos"))
            .expect("repos")
            .next()
            .is_none()
    );
    assert_clean(&hub);
}

#[test]
fn a_bad_hubconf_is_reported_with_its_line() {
    let server = Server::start();
    server.put(
        "/owner/repo/archive/main.tar.gz",
        repo_archive(&[(
            "hubconf.yaml",
            b"entrypoints:\n  - name: x\n    card: ../../etc/passwd\n",
        )]),
    );
    let cache_dir = tempfile::tempdir().expect("temp");
    let err = repo_hub(&server, cache_dir.path())
        .list(&Silent)
        .expect_err("bad card");
    assert!(err.to_string().contains("line 3"), "{err}");
}
