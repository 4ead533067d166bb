//! Mirrors: `mirror` fills a hub's store, and pulls prefer a hub's mirror, falling back to the card's link.

use super::{UID, assert_clean, card, fast_net, hub, write_hub};
use cache::Silent;
use manifest::Profile;
use std::path::Path;
use testserver::{Fault, Server, bytes, sha256};

/// A card at [`UID`] that lets hubs mirror its one asset.
fn mirrorable(link: &str, sha256: &str) -> String {
    card(link, sha256, None).replace(
        "summary: test blob\n",
        "summary: test blob\nallow-cache-ckpt: true\ninput-shape: [1, 8]\n",
    )
}

/// An HTTP hub on `server` whose index names a mirror for the card's asset.
fn http_hub_with_mirror(server: &Server, data: &[u8]) {
    let digest = sha256(data);
    let link = server.url("/origin.bin");
    server.put(
        &format!("/assets/{UID}.md"),
        mirrorable(&link, &digest).into_bytes(),
    );
    let index = serde_json::json!({
        "format": 1,
        "models": [{
            "uid": UID,
            "card": format!("assets/{UID}.md"),
            "title": "Blob",
            "version": "1.0",
            "assets": [{"asset-link": link, "asset-sha256": digest, "mirror": format!("mirror/sha256/{digest}")}],
        }],
    });
    server.put("/index.json", index.to_string().into_bytes());
    server.put("/origin.bin", data.to_vec());
}

#[test]
fn an_http_hub_s_mirror_is_preferred() {
    let data = bytes(40_000);
    let server = Server::start();
    http_hub_with_mirror(&server, &data);
    let mirror = format!("/mirror/sha256/{}", sha256(&data));
    server.put(&mirror, data.clone());
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = hub(cache_dir.path(), &server.url("/"));
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
    assert_eq!(server.requests(&mirror), 1);
    assert_eq!(server.requests("/origin.bin"), 0);
    assert_clean(&hub);
}

#[test]
fn a_broken_or_missing_mirror_falls_back_to_the_card_s_link() {
    let data = bytes(40_000);
    for broken in [Some(Fault::WrongBytes), Some(Fault::Status(404)), None] {
        let server = Server::start();
        http_hub_with_mirror(&server, &data);
        let mirror = format!("/mirror/sha256/{}", sha256(&data));
        if let Some(fault) = broken.clone() {
            server.put(&mirror, data.clone());
            server.fault(&mirror, fault);
        }
        let cache_dir = tempfile::tempdir().expect("temp");
        let hub = hub(cache_dir.path(), &server.url("/"));
        let pulled = hub
            .pull(&UID.parse().expect("uid"), false, &Silent)
            .unwrap_or_else(|e| panic!("{broken:?}: {e}"));
        assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
        assert_eq!(server.requests("/origin.bin"), 1, "{broken:?}");
        assert_clean(&hub);
    }
}

/// A hub tree whose card lets hubs mirror an asset at `link`.
fn mirrorable_hub(link: &str, data: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    write_hub(dir.path(), &mirrorable(link, &sha256(data)));
    dir
}

/// Where the hub's mirror keeps `data`, relative to the hub root.
fn mirror_link(data: &[u8]) -> String {
    hubtree::mirror_link(&manifest::Sha256::of(data))
}

/// The index `mhub mirror --profile mindspore` builds: the valid cards (the test cards
/// link to a loopback server over plain http, an error under the `mhub` rules).
fn index(hub: &Path) -> manifest::Index {
    hubtree::index_tree(hub, Profile::Mindspore, hubtree::Policy::SkipInvalid)
        .expect("index")
        .index
}

fn mirrored(hub: &Path, data: &[u8]) -> std::path::PathBuf {
    hub.join(mirror_link(data))
}

#[test]
fn mirror_stores_verified_blobs_and_the_index_points_at_them() {
    let data = bytes(70_000);
    let origin = Server::start();
    origin.put("/origin.bin", data.clone());
    let dir = mirrorable_hub(&origin.url("/origin.bin"), &data);
    let report = cache::mirror(
        dir.path(),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
    .expect("mirror");
    assert_eq!(report.cards, 1);
    assert_eq!(report.assets.len(), 1);
    assert!(report.assets[0].fetched);
    assert_eq!(report.assets[0].size, 70_000);
    let blob = mirrored(dir.path(), &data);
    assert_eq!(report.assets[0].path, blob);
    assert_eq!(std::fs::read(&blob).expect("blob"), data);
    assert!(
        std::fs::metadata(&blob)
            .expect("meta")
            .permissions()
            .readonly()
    );
    let index = index(dir.path());
    assert_eq!(
        index.models[0].assets[0].mirror.as_deref(),
        Some(mirror_link(&data).as_str())
    );
    let again = cache::mirror(
        dir.path(),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
    .expect("mirror again");
    assert!(!again.assets[0].fetched);
    assert_eq!(origin.requests("/origin.bin"), 1);

    // A hub tree with the blob in its store needs no network for it.
    drop(origin);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = hub(cache_dir.path(), &dir.path().display().to_string());
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
    assert_clean(&hub);
}

#[test]
fn mirror_stores_nothing_it_cannot_verify() {
    let data = bytes(20_000);
    let origin = Server::start();
    origin.put("/origin.bin", data.clone());
    origin.fault("/origin.bin", Fault::WrongBytes);
    let dir = mirrorable_hub(&origin.url("/origin.bin"), &data);
    let report = cache::mirror(
        dir.path(),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
    .expect("the run goes on");
    assert!(report.assets.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0]
            .error
            .to_string()
            .contains("does not match its sha256"),
        "{:?}",
        report.failed
    );
    assert!(!mirrored(dir.path(), &data).exists());
    let tmp: Vec<_> = std::fs::read_dir(dir.path().join("mirror/.tmp"))
        .expect("tmp")
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
    assert!(index(dir.path()).models[0].assets[0].mirror.is_none());

    // Cards that do not allow it, or name only a prefix, are not mirrored.
    let quiet = tempfile::tempdir().expect("temp");
    write_hub(
        quiet.path(),
        &card(&origin.url("/origin.bin"), &sha256(&data), None),
    );
    let report = cache::mirror(
        quiet.path(),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
    .expect("mirror");
    assert_eq!((report.cards, report.assets.len()), (0, 0));
    assert!(!quiet.path().join("mirror").exists());
    let prefix = mirrorable_hub(&origin.url("/origin.bin"), &data);
    write_hub(
        prefix.path(),
        &mirrorable(&origin.url("/origin.bin"), &sha256(&data)[..8]),
    );
    let report = cache::mirror(
        prefix.path(),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
    .expect("mirror");
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].reason.contains("prefix"),
        "{:?}",
        report.skipped
    );
    let missing = cache::mirror(
        &quiet.path().join("nowhere"),
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    );
    assert!(missing.is_err());
}

/// A hub tree whose cards each let hubs mirror one asset on `origin`: `(name, data)`.
fn hub_of(origin: &Server, assets: &[(&str, &[u8], bool)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    for (name, data, declare_size) in assets {
        origin.put(&format!("/{name}.bin"), data.to_vec());
        let uid = format!("test/cpu/1.0/{name}_v1.0_cifar10");
        let text = card(
            &origin.url(&format!("/{name}.bin")),
            &sha256(data),
            declare_size.then_some(data.len() as u64),
        )
        .replace("model-name: blob", &format!("model-name: {name}"))
        .replace(
            "summary: test blob\n",
            "summary: test blob\nallow-cache-ckpt: true\ninput-shape: [1, 8]\n",
        );
        let path = dir.path().join("assets").join(format!("{uid}.md"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("card");
    }
    dir
}

fn mirror_with(dir: &Path, limits: &cache::MirrorLimits) -> cache::MirrorReport {
    cache::mirror(dir, Profile::Mindspore, &fast_net(), limits, &Silent).expect("mirror")
}

#[test]
fn a_failing_asset_is_reported_and_the_run_goes_on() {
    let origin = Server::start();
    let (a, b, c) = (bytes(3_000), bytes(3_001), bytes(3_002));
    let dir = hub_of(
        &origin,
        &[("aaa", &a, true), ("bbb", &b, true), ("ccc", &c, true)],
    );
    origin.fault("/bbb.bin", Fault::Status(404));
    let report = mirror_with(dir.path(), &cache::MirrorLimits::default());
    let got: Vec<&str> = report.assets.iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(
        got,
        [
            "test/cpu/1.0/aaa_v1.0_cifar10",
            "test/cpu/1.0/ccc_v1.0_cifar10"
        ]
    );
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].link.ends_with("/bbb.bin"));
    assert!(
        report.failed[0].error.to_string().contains("404"),
        "{:?}",
        report.failed
    );
}

#[test]
fn one_run_fetches_at_most_its_byte_cap() {
    let origin = Server::start();
    let (a, b, c) = (bytes(4_000), bytes(4_001), bytes(4_002));
    // The last one declares no size: it may take only what is left of the budget.
    let dir = hub_of(
        &origin,
        &[("aaa", &a, true), ("bbb", &b, true), ("ccc", &c, false)],
    );
    let limits = cache::MirrorLimits {
        max_bytes: 6_000,
        ..cache::MirrorLimits::default()
    };
    let first = mirror_with(dir.path(), &limits);
    assert_eq!(first.assets.len(), 1, "{first:?}");
    assert_eq!(first.failed.len(), 2, "{first:?}");
    assert!(
        first.failed[0]
            .error
            .to_string()
            .contains("waits for the next run"),
        "{:?}",
        first.failed
    );
    let fetched: u64 = first
        .assets
        .iter()
        .filter(|m| m.fetched)
        .map(|m| m.size)
        .sum();
    assert!(fetched <= 6_000);
    // Each run takes the next part; what is mirrored is not fetched again.
    let second = mirror_with(dir.path(), &limits);
    assert_eq!(
        second.assets.iter().filter(|m| m.fetched).count(),
        1,
        "{second:?}"
    );
    let third = mirror_with(dir.path(), &limits);
    assert_eq!(third.assets.len(), 3, "{third:?}");
    assert!(third.failed.is_empty(), "{third:?}");
}

#[test]
fn stale_partials_are_expired_and_wanted_ones_resumed() {
    let origin = Server::start();
    let data = bytes(50_000);
    let dir = hub_of(&origin, &[("aaa", &data, true)]);
    let tmp = dir.path().join("mirror/.tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    // A partial no card wants any more, and one of the wanted asset.
    let orphan = tmp.join(format!("{}.part", "f".repeat(64)));
    std::fs::write(&orphan, b"left by an old card").expect("write");
    let wanted = tmp.join(format!("{}.part", sha256(&data)));
    std::fs::write(&wanted, &data[..10_000]).expect("write");
    let report = mirror_with(dir.path(), &cache::MirrorLimits::default());
    assert_eq!(report.expired, std::slice::from_ref(&orphan));
    assert!(!orphan.exists());
    assert_eq!(report.assets.len(), 1);
    assert_eq!(std::fs::read(&report.assets[0].path).expect("blob"), data);
    // A wanted partial older than the limit is not resumed but started again.
    std::fs::write(&wanted, b"stale").expect("write");
    let limits = cache::MirrorLimits {
        stale_after: std::time::Duration::ZERO,
        ..cache::MirrorLimits::default()
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let report = mirror_with(dir.path(), &limits);
    assert_eq!(report.expired, [wanted]);
}
