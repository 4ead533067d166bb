//! Cache identity: an entry is answered only for the hub it came from; keys never share a folder; repository names never collide.

use super::{UID, assert_clean, card, hub};
use cache::{Error, Silent};
use std::path::Path;
use testserver::{Server, bytes, repo_archive, sha256};

/// A hub tree on disk whose card at `uid` names `data` at `models/blob.onnx`, declared by `sha`.
fn tree_at(uid: &str, data: &[u8], sha: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("assets").join(format!("{uid}.md"));
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let text = card("models/blob.onnx", sha, None).replace(
        "model-name: blob",
        &format!("model-name: {}", uid.rsplit('/').next().unwrap_or("blob")),
    );
    std::fs::write(path, text).expect("card");
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    std::fs::write(dir.path().join("models/blob.onnx"), data).expect("model");
    dir
}

fn shown(dir: &Path) -> String {
    dir.display().to_string()
}

#[test]
fn a_model_cached_from_one_hub_is_not_the_answer_for_another() {
    let cache_dir = tempfile::tempdir().expect("temp");
    let (a, b) = (bytes(9_000), bytes(9_001));
    let hub_a = tree_at(UID, &a, &sha256(&a));
    let hub_b = tree_at(UID, &b, &sha256(&b));
    let uid = UID.parse().expect("uid");
    let from_a = hub(cache_dir.path(), &shown(hub_a.path()))
        .pull(&uid, false, &Silent)
        .expect("a");
    assert_eq!(std::fs::read(&from_a.assets[0].path).expect("a"), a);
    let other = hub(cache_dir.path(), &shown(hub_b.path()));
    assert!(
        other.info(&uid).expect("info").record.is_none(),
        "b's info shows a's record"
    );
    let from_b = other.pull(&uid, false, &Silent).expect("b");
    assert!(!from_b.from_cache, "answered from the cache of another hub");
    assert_eq!(std::fs::read(&from_b.assets[0].path).expect("b"), b);
    // The same hub named another way (a relative path, a trailing slash) is the same hub.
    let again = hub(cache_dir.path(), &format!("{}/", shown(hub_b.path())))
        .pull(&uid, false, &Silent)
        .expect("b again");
    assert!(again.from_cache);
    assert_clean(&other);
}

#[test]
fn a_model_cached_from_one_http_hub_is_not_the_answer_for_another() {
    let cache_dir = tempfile::tempdir().expect("temp");
    let uid = UID.parse().expect("uid");
    let mut pulled = Vec::new();
    for data in [bytes(5_000), bytes(5_003)] {
        let server = Server::start();
        server.put("/blob.bin", data.clone());
        let text = card(&server.url("/blob.bin"), &sha256(&data), None);
        server.put(&format!("/assets/{UID}.md"), text.into_bytes());
        let hub = hub(cache_dir.path(), &server.url("/"));
        let got = hub.pull(&uid, false, &Silent).expect("pull");
        assert!(!got.from_cache);
        assert_eq!(std::fs::read(&got.assets[0].path).expect("blob"), data);
        pulled.push(got.assets[0].sha256.clone());
    }
    assert_ne!(pulled[0], pulled[1]);
}

#[test]
fn a_short_hash_matches_only_bytes_from_the_same_source() {
    let cache_dir = tempfile::tempdir().expect("temp");
    let uid = UID.parse().expect("uid");
    let good = bytes(7_000);
    let prefix = &sha256(&good)[..8];
    let hub_a = tree_at(UID, &good, prefix);
    hub(cache_dir.path(), &shown(hub_a.path()))
        .pull(&uid, false, &Silent)
        .expect("a");
    // Hub B declares the same prefix for bytes that do not have it: the blob of A with
    // that prefix is no answer.
    let hub_b = tree_at(UID, &bytes(7_001), prefix);
    let err = hub(cache_dir.path(), &shown(hub_b.path()))
        .pull(&uid, false, &Silent)
        .expect_err("other bytes");
    assert!(matches!(err, Error::Digest { .. }), "{err}");
}

#[test]
fn model_keys_never_share_a_folder() {
    let cache_dir = tempfile::tempdir().expect("temp");
    // `a/1.0/2` (publisher/version/name) would be the folder holding `a/1.0/2/x`.
    let (short, long) = ("a/1.0/2", "a/1.0/2/x");
    let mut hubs = Vec::new();
    for (uid, len) in [(short, 3_000), (long, 3_001)] {
        let data = bytes(len);
        let tree = tree_at(uid, &data, &sha256(&data));
        hub(cache_dir.path(), &shown(tree.path()))
            .pull(&uid.parse().expect("uid"), false, &Silent)
            .expect(uid);
        hubs.push(tree);
    }
    let hub = hub(cache_dir.path(), &shown(hubs[0].path()));
    let keys: Vec<String> = hub
        .cache()
        .models()
        .expect("ls")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, [short, long]);
    hub.cache().remove(short).expect("rm");
    let keys: Vec<String> = hub
        .cache()
        .models()
        .expect("ls")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, [long], "removing one key removed another");
    assert_clean(&hub);
}

#[test]
fn cache_rm_takes_keys_not_paths() {
    let cache_dir = tempfile::tempdir().expect("temp");
    let data = bytes(2_000);
    let tree = tree_at(UID, &data, &sha256(&data));
    let hub = hub(cache_dir.path(), &shown(tree.path()));
    hub.pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    let bystander = cache_dir.path().join("v2/bystander");
    std::fs::create_dir_all(&bystander).expect("mkdir");
    for key in [
        "../bystander",
        "..",
        ".",
        "",
        "/",
        "test/cpu/1.0",
        "test/cpu/../../bystander",
        "%2E%2E",
    ] {
        let err = hub.cache().remove(key).expect_err(key);
        assert!(matches!(err, Error::NotFound { .. }), "{key}: {err}");
    }
    assert!(bystander.is_dir());
    assert_eq!(hub.cache().models().expect("ls").len(), 1);
}

/// A repository source for `reference` on `server`, with its own archive url template.
fn repo(server: &Server, cache: &Path, reference: &str) -> cache::Hub {
    cache::Hub::builder()
        .dir(cache)
        .source(cache::Source::parse(reference).expect("repo ref"))
        .repo_url(server.url("/{owner}/{repo}/archive/{ref}.tar.gz"))
        .net(super::fast_net())
        .build()
        .expect("hub")
}

#[test]
fn repository_names_and_urls_never_collide_or_escape() {
    let server = Server::start();
    let cache_dir = tempfile::tempdir().expect("temp");
    let hubconf = "requires-mhub: 0.1\nentrypoints:\n  - name: blob\n    card: test/cpu/1.0/blob_v1.0_cifar10\n    asset: onnx\n";
    let mut shas = Vec::new();
    // `a/b:c_d` and `a/b_c:d` joined with `_` are both `a_b_c_d`.
    for (reference, path, len) in [
        ("a/b:c_d", "/a/b/archive/c_d.tar.gz", 4_000),
        ("a/b_c:d", "/a/b_c/archive/d.tar.gz", 4_001),
        ("a/b:feat/x+y", "/a/b/archive/feat/x%2By.tar.gz", 4_002),
    ] {
        let data = bytes(len);
        let card_text = card("models/blob.onnx", &sha256(&data), None);
        server.put(
            path,
            repo_archive(&[
                ("hubconf.yaml", hubconf.as_bytes()),
                (&format!("assets/{UID}.md"), card_text.as_bytes()),
                ("models/blob.onnx", &data),
            ]),
        );
        let repo_ref = reference.parse().expect("ref");
        let pulled = repo(&server, cache_dir.path(), reference)
            .pull_entry(&repo_ref, "blob", false, &Silent)
            .expect(reference);
        assert_eq!(
            server.requests(path),
            1,
            "{reference}: asked for another url"
        );
        assert_eq!(
            std::fs::read(&pulled.assets[0].path).expect("blob"),
            data,
            "{reference}"
        );
        shas.push(pulled.assets[0].sha256.clone());
    }
    shas.dedup();
    assert_eq!(shas.len(), 3);
    for bad in ["a/b:x%2F..%2Fy", "a/b:x#y", "a/b:%41"] {
        assert!(cache::Source::parse(bad).is_err(), "{bad}");
    }
}
