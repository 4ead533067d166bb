//! Pulling from hub trees on disk and over HTTP; listing, info, offline mode and the cache commands.

use super::{UID, assert_clean, blob_count, card, hub, write_hub};
use cache::{Error, Hub, Listing, Silent, Source, resolve_dir};
use std::path::{Path, PathBuf};
use testserver::{bytes, sha256};

fn local(dir: &Path, data: &[u8], link_sha: &str) -> tempfile::TempDir {
    let hub_dir = tempfile::tempdir().expect("temp");
    write_hub(
        hub_dir.path(),
        &card("models/blob.onnx", link_sha, Some(data.len() as u64)),
    );
    std::fs::create_dir_all(hub_dir.path().join("models")).expect("mkdir");
    std::fs::write(hub_dir.path().join("models/blob.onnx"), data).expect("write");
    let _ = dir;
    hub_dir
}

#[test]
fn cache_dir_resolution_follows_the_documented_order() {
    let explicit = PathBuf::from("/flag");
    assert_eq!(
        resolve_dir(Some(&explicit), Some("/env"), Some("/xdg"), Some("/home/u")),
        Some(explicit)
    );
    assert_eq!(
        resolve_dir(None, Some("/env"), Some("/xdg"), Some("/home/u")),
        Some(PathBuf::from("/env"))
    );
    assert_eq!(
        resolve_dir(None, Some(""), Some("/xdg"), Some("/home/u")),
        Some(PathBuf::from("/xdg/mhub"))
    );
    assert_eq!(
        resolve_dir(None, None, None, Some("/home/u")),
        Some(PathBuf::from("/home/u/.cache/mhub"))
    );
    assert_eq!(resolve_dir(None, None, None, None), None);
}

#[test]
fn local_hub_relative_asset_is_copied_and_verified() {
    let data = bytes(50_000);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub_dir = local(cache_dir.path(), &data, &sha256(&data));
    let hub = hub(cache_dir.path(), &hub_dir.path().display().to_string());
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("read"), data);
    assert!(
        std::fs::metadata(&pulled.assets[0].path)
            .expect("meta")
            .permissions()
            .readonly()
    );
    assert!(pulled.card_path.is_file());
    assert_clean(&hub);
    let models = hub.cache().models().expect("ls");
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].key, UID);
    assert_eq!(models[0].size, 50_000);
}

#[test]
fn local_hub_with_a_bad_digest_stores_nothing() {
    let data = bytes(10_000);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub_dir = local(cache_dir.path(), &data, &sha256(b"something else"));
    let hub = hub(cache_dir.path(), &hub_dir.path().display().to_string());
    let err = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("mismatch");
    assert!(matches!(err, Error::Digest { .. }), "{err}");
    assert_eq!(blob_count(cache_dir.path()), 0);
    assert!(hub.cache().models().expect("ls").is_empty());
    assert_clean(&hub);
}

#[test]
fn short_hashes_are_a_prefix_check() {
    let data = bytes(10_000);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub_dir = local(cache_dir.path(), &data, &sha256(&data)[..8]);
    let hub = hub(cache_dir.path(), &hub_dir.path().display().to_string());
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    assert!(pulled.assets[0].prefix_only);
    assert!(
        pulled.warnings.iter().any(|w| w.contains("short-sha256")),
        "{:?}",
        pulled.warnings
    );
    let again = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("cached");
    assert!(again.from_cache && again.assets[0].prefix_only);
    let wrong = tempfile::tempdir().expect("temp");
    let bad_hub = local(wrong.path(), &data, "deadbeef");
    let err = super::hub(wrong.path(), &bad_hub.path().display().to_string())
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("prefix mismatch");
    assert!(matches!(err, Error::Digest { .. }), "{err}");
}

#[test]
fn list_and_info_from_the_demo_hub() {
    let cache_dir = tempfile::tempdir().expect("temp");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub");
    let hub = hub(cache_dir.path(), &demo.display().to_string());
    let Listing::Models(models) = hub.list(&Silent).expect("list") else {
        panic!("a hub lists models")
    };
    assert_eq!(
        models.len(),
        9,
        "the demo hub has 9 models besides a translation"
    );
    let info = hub
        .info(
            &"mindspore/ascend/0.7/googlenet_v1_cifar10"
                .parse()
                .expect("uid"),
        )
        .expect("info");
    assert_eq!(info.card.model_name.as_deref(), Some("GoogleNet"));
    assert!(info.record.is_none());
}

#[test]
fn http_hub_lists_from_its_index() {
    let server = testserver::Server::start();
    server
        .put_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub"))
        .expect("serve demo hub");
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = hub(cache_dir.path(), &server.url("/"));
    let Listing::Models(models) = hub.list(&Silent).expect("list") else {
        panic!("models")
    };
    assert_eq!(
        models.len(),
        9,
        "the demo hub has 9 models besides a translation"
    );
    let info = hub
        .info(
            &"noah-cvlab/gpu/1.3/fdabnn_v1.0_cifar10"
                .parse()
                .expect("uid"),
        )
        .expect("info");
    assert_eq!(info.card.train_dataset.as_deref(), Some("cifar10"));
}

#[test]
fn offline_answers_from_the_cache_or_names_what_is_missing() {
    let data = bytes(20_000);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub_dir = local(cache_dir.path(), &data, &sha256(&data));
    let source = Source::parse(&hub_dir.path().display().to_string()).expect("source");
    let offline = Hub::builder()
        .dir(cache_dir.path())
        .source(source.clone())
        .offline(true)
        .build()
        .expect("hub");
    let err = offline
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("not cached");
    assert_eq!(
        err.to_string(),
        format!("offline, and model `{UID}` is not in the cache")
    );
    let online = Hub::builder()
        .dir(cache_dir.path())
        .source(source)
        .build()
        .expect("hub");
    online
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    let pulled = offline
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("cached");
    assert!(pulled.from_cache);
    let info = offline
        .info(&UID.parse().expect("uid"))
        .expect("info from the cached card");
    assert!(info.record.is_some());
}

#[test]
fn force_reload_fetches_and_verifies_again() {
    let server = testserver::Server::start();
    let data = bytes(40_000);
    server.put(
        &format!("/assets/{UID}.md"),
        card(&server.url("/b"), &sha256(&data), None).into_bytes(),
    );
    server.put("/b", data.clone());
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = hub(cache_dir.path(), &server.url("/"));
    let uid = UID.parse().expect("uid");
    hub.pull(&uid, false, &Silent).expect("pull");
    let again = hub.pull(&uid, true, &Silent).expect("force");
    assert!(!again.from_cache);
    assert_eq!(server.requests("/b"), 2);
    assert_eq!(std::fs::read(&again.assets[0].path).expect("read"), data);
    assert_clean(&hub);
}

#[test]
fn verify_finds_corruption_and_rm_and_prune_clean_up() {
    let data = bytes(30_000);
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub_dir = local(cache_dir.path(), &data, &sha256(&data));
    let hub = hub(cache_dir.path(), &hub_dir.path().display().to_string());
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("pull");
    let blob = &pulled.assets[0].path;
    let mut perms = std::fs::metadata(blob).expect("meta").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(blob, perms).expect("chmod");
    std::fs::write(blob, b"tampered").expect("tamper");
    let report = hub.cache().verify().expect("verify");
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(report.problems[0].contains("is corrupt"));
    // An orphan blob and a stale partial.
    std::fs::write(
        cache_dir
            .path()
            .join("v2/blobs/sha256")
            .join(sha256(b"orphan")),
        b"orphan",
    )
    .expect("orphan");
    std::fs::write(cache_dir.path().join("v2/tmp/abc.part"), b"partial").expect("partial");
    let removed = hub.cache().remove(UID).expect("rm");
    assert_eq!((removed.models, removed.blobs), (1, 2));
    assert!(matches!(
        hub.cache().remove(UID),
        Err(Error::NotFound { .. })
    ));
    let pruned = hub.cache().prune().expect("prune");
    assert_eq!(pruned.temps, 1);
    assert_clean(&hub);
    assert_eq!(blob_count(cache_dir.path()), 0);
}

#[test]
fn uid_as_a_source_is_explained() {
    let err = Source::parse("mindspore/ascend/1.0/alexnet_v1_cifar10").expect_err("not a hub");
    assert!(
        err.to_string().contains("is a model id, not a hub"),
        "{err}"
    );
}
