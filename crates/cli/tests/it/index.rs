//! `mhub index`: writes a sorted catalogue, refuses invalid trees, `--check` detects staleness.

use super::{GOOD, mhub, mhub_in, transcript, tree};

#[test]
fn committed_demo_index_is_up_to_date() {
    let out = mhub(&["index", "hub", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
}

#[test]
fn writes_index_and_detects_staleness() {
    let dir = tree(&[
        ("hub/assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md", GOOD),
        (
            "hub/assets/mindspore/cpu/1.0/tiny_v1.0_cifar10_cn.md",
            "# 小\n---\n模型名称：tiny\n---\n",
        ),
    ]);
    let out = mhub_in(dir.path(), &["index", "hub"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("hub/index.json")).expect("index written"),
    )
    .expect("json");
    insta::assert_json_snapshot!(json);
    assert_eq!(
        mhub_in(dir.path(), &["index", "hub", "--check"])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        dir.path()
            .join("hub/assets/mindspore/cpu/1.0/other_v1.0_cifar10.md"),
        GOOD.replace("tiny", "other"),
    )
    .expect("write");
    let stale = mhub_in(dir.path(), &["index", "hub", "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("is out of date"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("hub"))
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn refuses_a_tree_with_errors_and_writes_nothing() {
    let dir = tree(&[(
        "hub/assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md",
        &GOOD.replace("license: Apache2.0\n", ""),
    )]);
    let out = mhub_in(dir.path(), &["index", "hub"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("hub/index.json").exists());
    insta::assert_snapshot!(transcript(&out, Some(dir.path())));
}

#[test]
fn refuses_a_folder_without_assets() {
    let dir = tree(&[("x.md", GOOD)]);
    let out = mhub_in(dir.path(), &["index", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `assets/` folder"));
}

#[test]
fn writes_to_stdout_with_dash() {
    let out = mhub(&["index", "hub", "--output", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let committed =
        std::fs::read_to_string(super::repo().join("hub/index.json")).expect("committed index");
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "stdout differs from the committed index"
    );
}
