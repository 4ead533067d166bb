//! Planted links and strange files: no write follows a link or leaves its root, local copies stay inside the hub.

use super::{UID, assert_clean, card, fast_net, hub, write_hub};
use cache::{Error, Silent};
use manifest::Profile;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::Path;
use testserver::{Server, bytes, sha256};

/// A hub tree whose one card lets hubs mirror `data`, served by `origin`.
fn mirror_hub(origin: &Server, data: &[u8]) -> tempfile::TempDir {
    origin.put("/origin.bin", data.to_vec());
    let dir = tempfile::tempdir().expect("temp");
    let text = card(&origin.url("/origin.bin"), &sha256(data), None).replace(
        "summary: test blob\n",
        "summary: test blob\nallow-cache-ckpt: true\ninput-shape: [1, 8]\n",
    );
    write_hub(dir.path(), &text);
    dir
}

/// A file outside every root, and what it held.
fn victim() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("victim.txt");
    std::fs::write(&path, "the user's file").expect("write");
    (dir, path)
}

fn assert_untouched(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("victim"),
        "the user's file"
    );
}

fn mirror(hub: &Path) -> cache::Result<cache::MirrorReport> {
    cache::mirror(
        hub,
        Profile::Mindspore,
        &fast_net(),
        &cache::MirrorLimits::default(),
        &Silent,
    )
}

fn is_unsafe(e: &Error) -> bool {
    matches!(e, Error::Tree(hubtree::Error::Unsafe { .. }))
}

#[test]
fn a_link_planted_at_a_mirror_partial_is_never_written_through() {
    let data = bytes(30_000);
    let origin = Server::start();
    let dir = mirror_hub(&origin, &data);
    let (_keep, victim) = victim();
    let tmp = dir.path().join("mirror/.tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    symlink(&victim, tmp.join(format!("{}.part", sha256(&data)))).expect("link");
    let report = mirror(dir.path()).expect("the run goes on");
    assert!(report.assets.is_empty());
    assert!(
        report.failed[0].error.to_string().contains("symbolic link"),
        "{:?}",
        report.failed
    );
    assert_untouched(&victim);
    // The link is gone, so the next run mirrors as usual.
    let report = mirror(dir.path()).expect("mirror");
    assert_eq!(report.assets.len(), 1);
    assert_untouched(&victim);
}

#[test]
fn a_link_planted_at_a_mirror_lock_is_never_opened() {
    let data = bytes(10_000);
    let origin = Server::start();
    let dir = mirror_hub(&origin, &data);
    let (_keep, victim) = victim();
    let locks = dir.path().join("mirror/.locks");
    std::fs::create_dir_all(&locks).expect("mkdir");
    symlink(&victim, locks.join(format!("{}.lock", sha256(&data)))).expect("link");
    let report = mirror(dir.path()).expect("the run goes on");
    assert!(report.assets.is_empty());
    assert!(
        report.failed[0].error.to_string().contains("symbolic link"),
        "{:?}",
        report.failed
    );
    assert_untouched(&victim);
}

#[test]
fn the_mirror_folders_themselves_must_be_real_folders() {
    let data = bytes(10_000);
    for planted in ["mirror", "mirror/.tmp", "mirror/sha256", "mirror/.locks"] {
        let origin = Server::start();
        let dir = mirror_hub(&origin, &data);
        let outside = tempfile::tempdir().expect("temp");
        let at = dir.path().join(planted);
        std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
        symlink(outside.path(), &at).expect("link");
        let err = mirror(dir.path()).expect_err(planted);
        assert!(is_unsafe(&err), "{planted}: {err}");
        let written: Vec<_> = walk(outside.path());
        assert!(
            written.is_empty(),
            "{planted}: wrote {written:?} outside the hub"
        );
        assert_eq!(
            origin.requests("/origin.bin"),
            0,
            "{planted}: fetched anyway"
        );
    }
}

#[test]
fn a_link_planted_as_a_mirror_blob_is_not_a_blob() {
    let data = bytes(12_000);
    let origin = Server::start();
    let dir = mirror_hub(&origin, &data);
    let outside = tempfile::tempdir().expect("temp");
    // Another file of the right size, outside the tree, named by the right digest.
    let decoy = outside.path().join("decoy");
    std::fs::write(&decoy, vec![b'x'; data.len()]).expect("write");
    let blobs = dir.path().join("mirror/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    symlink(&decoy, blobs.join(sha256(&data))).expect("link");
    let index = hubtree::index_tree(dir.path(), Profile::Mindspore, hubtree::Policy::SkipInvalid)
        .expect("index");
    assert_eq!(index.index.models[0].assets[0].mirror, None);
    let report = mirror(dir.path()).expect("mirror");
    assert!(
        report.assets[0].fetched,
        "the planted link was taken for the blob"
    );
    let blob = blobs.join(sha256(&data));
    assert!(
        !std::fs::symlink_metadata(&blob)
            .expect("blob")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&blob).expect("blob"), data);
    assert_eq!(
        std::fs::read(&decoy).expect("decoy"),
        vec![b'x'; data.len()]
    );
}

#[test]
fn a_link_planted_at_a_cache_partial_is_never_written_through() {
    let data = bytes(20_000);
    let origin = Server::start();
    origin.put("/blob.bin", data.clone());
    let hub_dir = tempfile::tempdir().expect("temp");
    write_hub(
        hub_dir.path(),
        &card(&origin.url("/blob.bin"), &sha256(&data), None),
    );
    let cache_dir = tempfile::tempdir().expect("temp");
    let (_keep, victim) = victim();
    let tmp = cache_dir.path().join("v2/tmp");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    symlink(&victim, tmp.join(format!("{}.part", sha256(&data)))).expect("link");
    let hub = hub(cache_dir.path(), &hub_dir.path().display().to_string());
    let err = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("a planted partial");
    assert!(is_unsafe(&err), "{err}");
    assert_untouched(&victim);
    let pulled = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("the link was removed, the pull goes on");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
    assert_clean(&hub);
}

/// A hub tree on disk whose card names `models/blob.onnx`, declared as `data`.
fn local_hub(data: &[u8], size: Option<u64>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    write_hub(dir.path(), &card("models/blob.onnx", &sha256(data), size));
    std::fs::create_dir_all(dir.path().join("models")).expect("mkdir");
    dir
}

#[test]
fn local_copies_stay_inside_the_hub_and_read_only_regular_files() {
    let data = bytes(8_000);
    let pull = |hub_dir: &Path| {
        let cache_dir = tempfile::tempdir().expect("temp");
        let hub = hub(cache_dir.path(), &hub_dir.display().to_string());
        let result = hub.pull(&UID.parse().expect("uid"), false, &Silent);
        assert_clean(&hub);
        result
    };
    // A link out of the tree, even to the right bytes.
    let outside = tempfile::tempdir().expect("temp");
    std::fs::write(outside.path().join("blob.onnx"), &data).expect("write");
    let linked = local_hub(&data, None);
    symlink(
        outside.path().join("blob.onnx"),
        linked.path().join("models/blob.onnx"),
    )
    .expect("link");
    let err = pull(linked.path()).expect_err("a link out of the tree");
    assert!(
        err.to_string()
            .contains("not a regular file inside the hub"),
        "{err}"
    );
    // A folder of the path a link out of the tree.
    let folder = local_hub(&data, None);
    std::fs::remove_dir(folder.path().join("models")).expect("rmdir");
    symlink(outside.path(), folder.path().join("models")).expect("link");
    assert!(pull(folder.path()).is_err());
    // A FIFO: refused at once, never waited on.
    let fifo = local_hub(&data, None);
    let made = std::process::Command::new("mkfifo")
        .arg(fifo.path().join("models/blob.onnx"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo");
    assert!(pull(fifo.path()).is_err());
    // A link inside the tree is followed.
    let inside = local_hub(&data, None);
    std::fs::write(inside.path().join("models/real.onnx"), &data).expect("write");
    symlink("real.onnx", inside.path().join("models/blob.onnx")).expect("link");
    let pulled = pull(inside.path()).expect("a link inside the tree");
    assert_eq!(pulled.assets[0].size, data.len() as u64);
    // More bytes than declared stop at the declared size.
    let long = local_hub(&data, Some(data.len() as u64 - 1));
    std::fs::write(long.path().join("models/blob.onnx"), &data).expect("write");
    let err = pull(long.path()).expect_err("longer than declared");
    assert!(matches!(err, Error::Length { .. }), "{err}");
}

#[test]
fn the_cache_folder_is_private_and_a_shared_one_is_refused() {
    let parent = tempfile::tempdir().expect("temp");
    let fresh = parent.path().join("cache");
    let hub_dir = local_hub(b"x", None);
    let _ = hub(&fresh, &hub_dir.path().display().to_string());
    let mode = std::fs::metadata(&fresh)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    for shared in [0o777, 0o703, 0o757] {
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(shared)).expect("chmod");
        let err = cache::Hub::builder()
            .dir(&fresh)
            .source(cache::Source::parse(&hub_dir.path().display().to_string()).expect("source"))
            .build()
            .err()
            .expect("a shared cache folder");
        assert!(err.to_string().contains("chmod 700"), "{shared:o}: {err}");
    }
    // The cache's own folders must be real folders too.
    std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let outside = tempfile::tempdir().expect("temp");
    std::fs::remove_dir_all(fresh.join("v2/blobs")).expect("rm");
    symlink(outside.path(), fresh.join("v2/blobs")).expect("link");
    let err = cache::Hub::builder()
        .dir(&fresh)
        .source(cache::Source::parse(&hub_dir.path().display().to_string()).expect("source"))
        .build()
        .err()
        .expect("a linked blob folder");
    assert!(is_unsafe(&err), "{err}");
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_card_that_links_out_of_the_hub_is_not_the_hubs() {
    let data = bytes(2_000);
    let outside = tempfile::tempdir().expect("temp");
    let secret = outside.path().join("card.md");
    std::fs::write(&secret, card("models/blob.onnx", &sha256(&data), None)).expect("write");
    let card_at = |dir: &Path| dir.join("assets").join(format!("{UID}.md"));
    let uid = UID.parse().expect("uid");
    // A link out of the tree, to a real card: neither read nor stored in the cache.
    let linked = local_hub(&data, None);
    std::fs::write(linked.path().join("models/blob.onnx"), &data).expect("model");
    std::fs::remove_file(card_at(linked.path())).expect("rm");
    symlink(&secret, card_at(linked.path())).expect("link");
    let cache_dir = tempfile::tempdir().expect("temp");
    let hub = hub(cache_dir.path(), &linked.path().display().to_string());
    assert!(matches!(hub.info(&uid), Err(Error::NotFound { .. })));
    assert!(matches!(
        hub.pull(&uid, false, &Silent),
        Err(Error::NotFound { .. })
    ));
    assert!(hub.cache().models().expect("ls").is_empty());
    // A FIFO where the card should be: refused at once, never waited on.
    let fifo = local_hub(&data, None);
    std::fs::remove_file(card_at(fifo.path())).expect("rm");
    let made = std::process::Command::new("mkfifo")
        .arg(card_at(fifo.path()))
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo");
    let hub = super::hub(cache_dir.path(), &fifo.path().display().to_string());
    assert!(matches!(hub.info(&uid), Err(Error::NotFound { .. })));
    // A link inside the tree is followed.
    let inside = local_hub(&data, None);
    std::fs::write(inside.path().join("models/blob.onnx"), &data).expect("model");
    let real = inside.path().join("assets/real.md");
    std::fs::rename(card_at(inside.path()), &real).expect("mv");
    symlink(&real, card_at(inside.path())).expect("link");
    let hub = super::hub(cache_dir.path(), &inside.path().display().to_string());
    hub.pull(&uid, false, &Silent)
        .expect("a link inside the tree");
}
