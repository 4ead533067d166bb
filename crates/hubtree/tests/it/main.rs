//! Integration tests of hubtree: the index policy on real trees, writes from directory handles and hashing on real files and links.

use hubtree::{Policy, build_index, check_cards, find_cards, index_tree};
use manifest::{Profile, Sha256};
use std::fs;
use std::path::Path;

mod dirs;

const GOOD: &str = "mindspore/ascend/1.0/good_v1_cifar10";

/// A card at `uid` whose one asset has this link and sha256.
fn card(uid: &str, link: &str, sha: &str, extra: &str) -> String {
    let mut parts = uid.split('/');
    let (_, backend, version) = (parts.next(), parts.next().unwrap_or(""), parts.next());
    let name = parts.next().unwrap_or("");
    let model = name.split('_').next().unwrap_or("");
    format!(
        "# {model}\n---\nmodel-name: {model}\nbackbone-name: {model}\nmodule-type: cv-classification\n\
         fine-tunable: True\ninput-shape: [224, 224, 3]\nmodel-version: 1.0\ntrain-dataset: cifar10\n\
         accuracy: 0.9\nauthor: MindSpore team\nupdate-time: 2020-09-22\n\
         repo-link: <https://gitee.com/mindspore/models>\nuser-id: MindSpore\nused-for: inference\n\
         train-backend: {backend}\ninfer-backend: {backend}\nmindspore-version: {}\n{extra}\
         asset:\n  - file-format: ckpt\n    asset-link: <{link}>\n    asset-sha256: {sha}\n\
         license: Apache2.0\nsummary: a test card.\n---\n## Introduction\n",
        version.unwrap_or("")
    )
}

fn put(hub: &Path, rel: &str, text: &str) {
    let path = hub.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// A tree with one valid card, one with an unsafe link, one unreadable, and a translation.
fn mixed_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    let sha = "a".repeat(64);
    put(
        dir.path(),
        &format!("assets/{GOOD}.md"),
        &card(GOOD, "https://example.org/good.ckpt", &sha, ""),
    );
    let bad = "mindspore/ascend/1.0/bad_v1_cifar10";
    put(
        dir.path(),
        &format!("assets/{bad}.md"),
        &card(bad, "../../etc/passwd", &sha, ""),
    );
    put(
        dir.path(),
        "assets/mindspore/ascend/1.0/broken_v1_cifar10.md",
        "no front matter at all\n",
    );
    put(
        dir.path(),
        &format!("assets/{GOOD}_cn.md"),
        &card(GOOD, "https://example.org/good.ckpt", &sha, ""),
    );
    dir
}

#[test]
fn the_index_never_lists_a_card_with_errors() {
    let dir = mixed_tree();
    let built = index_tree(dir.path(), Profile::Mhub, Policy::SkipInvalid).expect("index");
    let uids: Vec<&str> = built.index.models.iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(uids, [GOOD]);
    let mut left: Vec<String> = built
        .left_out
        .iter()
        .map(|l| {
            let name = l.path.file_name().expect("name").to_string_lossy();
            format!("{name}: {}", l.reason)
        })
        .collect();
    left.sort();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(
        left[0].starts_with("bad_v1_cifar10.md: it has "),
        "{left:?}"
    );
    assert!(
        left[1].starts_with("broken_v1_cifar10.md: it has "),
        "{left:?}"
    );
    assert_eq!(built.listed.len(), 1);
}

#[test]
fn refusing_is_the_publishers_gate() {
    let dir = mixed_tree();
    let checked = check_cards(
        find_cards(&[dir.path().join("assets")]).expect("cards"),
        manifest::Profile::Mhub,
    );
    let err = build_index(dir.path(), &checked, Policy::RefuseInvalid).expect_err("refused");
    assert!(matches!(err, hubtree::Error::Refused { cards: 2 }), "{err}");
    fs::remove_file(
        dir.path()
            .join("assets/mindspore/ascend/1.0/bad_v1_cifar10.md"),
    )
    .expect("rm");
    fs::remove_file(
        dir.path()
            .join("assets/mindspore/ascend/1.0/broken_v1_cifar10.md"),
    )
    .expect("rm");
    let built = index_tree(dir.path(), Profile::Mhub, Policy::RefuseInvalid).expect("now valid");
    assert_eq!(built.index.models.len(), 1);
    assert!(built.left_out.is_empty());
}

#[test]
fn a_tree_without_assets_is_not_a_hub() {
    let dir = tempfile::tempdir().expect("temp");
    let err = index_tree(dir.path(), Profile::Mhub, Policy::SkipInvalid).expect_err("no assets");
    assert!(matches!(err, hubtree::Error::NotAHub { .. }), "{err}");
}

#[test]
fn an_entry_names_its_chinese_twin_when_the_tree_has_one_inside() {
    let dir = mixed_tree();
    let other = "mindspore/ascend/1.0/other_v1_cifar10";
    let sha = "c".repeat(64);
    put(
        dir.path(),
        &format!("assets/{other}.md"),
        &card(other, "https://example.org/o.ckpt", &sha, ""),
    );
    // A twin that is a link out of the tree is not the tree's.
    let outside = tempfile::tempdir().expect("temp");
    put(outside.path(), "away_cn.md", "# 中文\n");
    std::os::unix::fs::symlink(
        outside.path().join("away_cn.md"),
        dir.path().join(format!("assets/{other}_cn.md")),
    )
    .expect("link");
    let built = index_tree(dir.path(), Profile::Mhub, Policy::SkipInvalid).expect("index");
    let twin = |uid: &str| {
        built
            .index
            .models
            .iter()
            .find(|m| m.uid == uid)
            .map(|m| m.translation.clone())
    };
    assert_eq!(twin(GOOD), Some(Some(format!("assets/{GOOD}_cn.md"))));
    assert_eq!(twin(other), Some(None));
}

#[cfg(unix)]
#[test]
fn a_card_that_links_out_of_the_tree_is_never_listed() {
    let dir = tempfile::tempdir().expect("temp");
    let outside = tempfile::tempdir().expect("temp");
    let uid = "mindspore/ascend/1.0/away_v1_cifar10";
    put(
        outside.path(),
        "away.md",
        &card(uid, "https://example.org/a.ckpt", &"b".repeat(64), ""),
    );
    fs::create_dir_all(dir.path().join("assets/mindspore/ascend/1.0")).expect("mkdir");
    std::os::unix::fs::symlink(
        outside.path().join("away.md"),
        dir.path().join(format!("assets/{uid}.md")),
    )
    .expect("link");
    let built = index_tree(dir.path(), Profile::Mhub, Policy::SkipInvalid).expect("index");
    assert!(built.index.models.is_empty());
}

#[test]
fn mirrored_assets_are_named_in_the_index_only_when_the_blob_is_there() {
    let dir = tempfile::tempdir().expect("temp");
    let data = b"mirrored bytes";
    let sha = Sha256::of(data);
    let text = card(
        GOOD,
        "https://example.org/good.ckpt",
        sha.as_str(),
        "allow-cache-ckpt: true\n",
    );
    put(dir.path(), &format!("assets/{GOOD}.md"), &text);
    let mirror = |dir: &Path| {
        index_tree(dir, Profile::Mhub, Policy::RefuseInvalid)
            .expect("index")
            .index
            .models[0]
            .assets[0]
            .mirror
            .clone()
    };
    assert_eq!(mirror(dir.path()), None);
    let blobs = hubtree::mirror_blobs(dir.path());
    fs::create_dir_all(&blobs).expect("mkdir");
    fs::write(blobs.join(sha.as_str()), data).expect("blob");
    assert_eq!(mirror(dir.path()), Some(hubtree::mirror_link(&sha)));
}

#[test]
fn hashing_while_copying_stops_at_the_limit() {
    let data = vec![7u8; 300_000];
    let mut out = Vec::new();
    let (sha, len) = hubtree::hash_copy(&data[..], &mut out, Some(300_000)).expect("copy");
    assert_eq!((sha, len), (Sha256::of(&data), 300_000));
    assert_eq!(out, data);
    let err = hubtree::hash_copy(&data[..], std::io::sink(), Some(299_999)).expect_err("too long");
    assert!(matches!(err, hubtree::CopyError::TooLong { read } if read > 299_999));
}

#[test]
fn an_atomic_write_never_goes_through_a_planted_link() {
    let dir = tempfile::tempdir().expect("temp");
    let victim = dir.path().join("victim");
    fs::write(&victim, "keep me").expect("write");
    let temp = dir.path().join("planted.tmp");
    std::os::unix::fs::symlink(&victim, &temp).expect("link");
    let target = dir.path().join("index.json");
    let folder = hubtree::Dir::open(dir.path()).expect("open");
    let err = folder
        .write_atomic_via(&folder, "planted.tmp", "index.json", b"{}")
        .expect_err("a link at the temp");
    assert!(
        matches!(
            err,
            hubtree::Error::Io {
                action: "create",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "keep me");
    assert!(!target.exists());
    folder.write_atomic("index.json", b"{}").expect("write");
    assert_eq!(fs::read(&target).expect("read"), b"{}");
    let left: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp") && e.path() != temp)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn many_cards_are_checked_in_parallel_in_input_order() {
    let dir = tempfile::tempdir().expect("temp");
    for i in 0..300 {
        let uid = format!("mindspore/ascend/1.0/m{i:03}_v1_cifar10");
        let link = if i % 7 == 0 {
            "../x".to_owned()
        } else {
            format!("https://example.org/{i}.ckpt")
        };
        put(
            dir.path(),
            &format!("assets/{uid}.md"),
            &card(&uid, &link, &"a".repeat(64), ""),
        );
    }
    let files = find_cards(&[dir.path().join("assets")]).expect("cards");
    let paths: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
    let checked = check_cards(files, Profile::Mhub);
    assert_eq!(
        checked
            .iter()
            .map(|c| c.file.path.clone())
            .collect::<Vec<_>>(),
        paths
    );
    let invalid = checked.iter().filter(|c| !c.is_valid()).count();
    assert_eq!(invalid, (0..300).filter(|i| i % 7 == 0).count());
}
