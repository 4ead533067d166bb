//! `mhub validate`: exit codes, human and JSON output, trees and single files.

use super::{GOOD, mhub, mhub_in, transcript, tree};

#[test]
fn demo_hub_is_clean() {
    let out = mhub(&["validate", "hub"]);
    insta::assert_snapshot!(transcript(&out, None));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn broken_card_exits_1_with_located_diagnostics() {
    let bad = GOOD
        .replace("fine-tunable: false", "fine-tunable: perhaps")
        .replace("infer-backend: cpu", "infer-backend: gpu");
    let dir = tree(&[
        ("assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md", &bad),
        (
            "assets/mindspore/cpu/1.0/ok_v1.0_cifar10.md",
            &GOOD.replace("tiny", "ok"),
        ),
    ]);
    let out = mhub_in(dir.path(), &["validate", "."]);
    insta::assert_snapshot!(transcript(&out, None));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_format_lists_every_card() {
    let dir = tree(&[
        ("assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md", GOOD),
        ("assets/x/1.0/broken.md", "no front matter\n"),
    ]);
    let out = mhub_in(dir.path(), &["validate", "--format", "json", "assets"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    insta::assert_json_snapshot!(json);
}

#[test]
fn mindspore_profile_applies_its_own_rules() {
    let colon = GOOD.replace("summary: a tiny card", "summary: \"tiny: a card\"");
    let dir = tree(&[("assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md", &colon)]);
    let strict = mhub_in(dir.path(), &["validate", "."]);
    assert_eq!(
        strict.status.code(),
        Some(0),
        "{}",
        transcript(&strict, None)
    );
    let ms = mhub_in(dir.path(), &["validate", "--profile", "mindspore", "."]);
    assert_eq!(ms.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&ms.stdout).contains("error[extra-colon]"));
}

#[test]
fn usage_and_io_problems_exit_2() {
    let missing = mhub(&["validate", "no/such/path"]);
    assert_eq!(missing.status.code(), Some(2));
    insta::assert_snapshot!(transcript(&missing, None));
    let profile = mhub(&["validate", "--profile", "pytorch", "hub"]);
    assert_eq!(profile.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&profile.stderr).contains("unknown profile `pytorch`"));
    assert_eq!(mhub(&["validate"]).status.code(), Some(2));
    let empty = tree(&[("notes.txt", "not a card")]);
    let none = mhub_in(empty.path(), &["validate", "."]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no cards found"));
}

#[test]
fn unreadable_cards_are_reported_and_exit_2() {
    let dir = tree(&[("assets/a/1.0/ok.md", GOOD)]);
    std::fs::write(
        dir.path().join("assets/a/1.0/binary.md"),
        [0xff, 0xfe, 0x00],
    )
    .expect("write");
    let out = mhub_in(dir.path(), &["validate", "assets"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("is not UTF-8 text"), "{stdout}");
    assert!(stdout.contains("1 file unreadable"), "{stdout}");
}

#[test]
fn chinese_cards_need_their_english_sibling() {
    let dir = tree(&[
        ("assets/m/cpu/1.0/tiny_v1.0_cifar10.md", GOOD),
        (
            "assets/m/cpu/1.0/tiny_v1.0_cifar10_cn.md",
            "# 小\n---\n模型名称：tiny\n---\n",
        ),
        (
            "assets/m/cpu/1.0/lost_v1.0_cifar10_cn.md",
            "# 孤\n---\n模型名称：lost\n---\n",
        ),
    ]);
    let out = mhub_in(dir.path(), &["validate", "."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("error[cn-sibling]").count(), 1, "{stdout}");
    assert!(stdout.contains("lost_v1.0_cifar10_cn.md"));
}

#[test]
fn hub_tree_walk_skips_non_cards() {
    let dir = tree(&[
        ("assets/mindspore/cpu/1.0/tiny_v1.0_cifar10.md", GOOD),
        ("assets/mindspore/publisher_intro.md", "# MindSpore\n"),
        ("assets/mindspore/static/images/notes.md", "# not a card\n"),
        ("assets/.hidden/x.md", "junk"),
        ("assets/README.md", "# readme\n"),
        ("README.md", "# readme\n"),
    ]);
    let out = mhub_in(dir.path(), &["validate", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    assert!(String::from_utf8_lossy(&out.stdout).contains("checked 1 card:"));
}

#[test]
fn closed_stdout_is_not_an_error() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args([
            "validate",
            "--format",
            "json",
            "crates/manifest/tests/data/corpus",
        ])
        .current_dir(super::repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
