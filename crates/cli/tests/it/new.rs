//! `mhub new`: a scaffolded card validates clean and runs; a bad one is not written.

use super::{repo, transcript};
use std::process::Command;

fn mhub(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", dir.join("cache"))
        .output()
        .expect("mhub runs")
}

#[test]
fn a_new_card_validates_and_runs() {
    let dir = tempfile::tempdir().expect("temp");
    let hub = dir.path().join("hub");
    std::fs::create_dir_all(hub.join("assets")).expect("mkdir");
    let hub_arg = hub.to_str().expect("utf-8");
    let new = |extra: &[&str]| {
        let mut args = vec![
            "new",
            "hub/models/iris/model.onnx",
            "--uid",
            "me/cpu/1.0/iris_v2.0_iris",
            "--hub",
            hub_arg,
        ];
        args.extend_from_slice(extra);
        mhub(dir.path(), &args)
    };
    let out = new(&[
        "--author",
        "Me: myself",
        "--repo-link",
        "https://example.com/me",
        "--labels",
        "hub/models/iris/labels.txt",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let card = std::fs::read_to_string(hub.join("assets/me/cpu/1.0/iris_v2.0_iris.md"))
        .expect("card written");
    assert!(card.contains("author: \"Me: myself\""), "{card}");
    assert!(
        card.contains("- name: measurements\n  dtype: float32\n  shape: [1, 4]"),
        "{card}"
    );
    assert!(card.contains("kind: classes"), "{card}");
    let validate = mhub(dir.path(), &["validate", hub_arg]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        transcript(&validate, None)
    );
    assert!(String::from_utf8_lossy(&validate.stdout).contains("0 errors, 0 warnings"));
    let run = mhub(
        dir.path(),
        &[
            "run",
            "--hub",
            hub_arg,
            "me/cpu/1.0/iris_v2.0_iris",
            "-i",
            "hub/models/iris/sample.npy",
            "--top-k",
            "1",
        ],
    );
    assert!(
        String::from_utf8_lossy(&run.stdout).starts_with("virginica"),
        "{}",
        transcript(&run, None)
    );
    let again = new(&["--author", "Me", "--repo-link", "https://example.com/me"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force"));
}

#[test]
fn a_card_that_would_not_validate_is_not_written() {
    let dir = tempfile::tempdir().expect("temp");
    let hub = dir.path().join("hub");
    std::fs::create_dir_all(hub.join("assets")).expect("mkdir");
    let out = mhub(
        dir.path(),
        &[
            "new",
            "hub/models/iris/model.onnx",
            "--uid",
            "me/cpu/1.0/iris_v2.0_iris",
            "--hub",
            hub.to_str().expect("utf-8"),
            "--author",
            "Me",
            "--repo-link",
            "http://plain.example.com",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[insecure-link]"));
    let files: Vec<_> = walk(&hub);
    assert_eq!(
        files,
        Vec::<std::path::PathBuf>::new(),
        "nothing is left behind"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
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
fn new_never_writes_through_a_link_planted_in_the_hub() {
    for planted in [
        "assets/me",
        "assets/me/cpu/1.0",
        "models",
        "models/me/cpu/1.0/iris_v2.0_iris",
    ] {
        let dir = tempfile::tempdir().expect("temp");
        let hub = dir.path().join("hub");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(hub.join("assets")).expect("mkdir");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let at = hub.join(planted);
        std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(&outside, &at).expect("link");
        let out = mhub(
            dir.path(),
            &[
                "new",
                "hub/models/iris/model.onnx",
                "--uid",
                "me/cpu/1.0/iris_v2.0_iris",
                "--hub",
                hub.to_str().expect("utf-8"),
                "--author",
                "Me",
                "--repo-link",
                "https://example.com/me",
            ],
        );
        let text = transcript(&out, None);
        assert_eq!(out.status.code(), Some(2), "{planted}: {text}");
        assert!(text.contains("symbolic link"), "{planted}: {text}");
        let written: Vec<_> = std::fs::read_dir(&outside).expect("list").collect();
        assert!(
            written.is_empty(),
            "{planted}: wrote {written:?} outside the hub"
        );
    }
}

#[test]
fn a_new_card_for_sketches_fits_pictures_to_their_ink_and_runs_on_one() {
    let dir = tempfile::tempdir().expect("temp");
    let hub = dir.path().join("hub");
    std::fs::create_dir_all(hub.join("assets")).expect("mkdir");
    let hub_arg = hub.to_str().expect("utf-8");
    let new = |image: &str, uid: &str| {
        mhub(
            dir.path(),
            &[
                "new",
                "hub/models/digits2/model.onnx",
                "--uid",
                uid,
                "--hub",
                hub_arg,
                "--author",
                "me",
                "--repo-link",
                "https://example.com/me",
                "--labels",
                "hub/models/digits2/labels.txt",
                "--image",
                image,
            ],
        )
    };
    let out = new("sketch", "me/cpu/1.0/sketch_v1.0_digits");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let card = std::fs::read_to_string(hub.join("assets/me/cpu/1.0/sketch_v1.0_digits.md"))
        .expect("card written");
    assert!(
        card.contains("  image:\n    size: [28, 28]\n    channels: gray\n    layout: flat\n    scale: 0.00392157\n    fit: ink\n    margin: 4\n"),
        "{card}"
    );
    let run = mhub(
        dir.path(),
        &[
            "run",
            "--hub",
            hub_arg,
            "me/cpu/1.0/sketch_v1.0_digits",
            "--input",
            "hub/models/digits2/sample.png",
            "--top-k",
            "1",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", transcript(&run, None));
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("7 "));
    // 784 values are no RGB picture: said, and nothing written.
    let out = new("photo", "me/cpu/1.0/photo_v1.0_digits");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out, None));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a square picture of 3 channel(s)"));
    assert!(!hub.join("assets/me/cpu/1.0/photo_v1.0_digits.md").exists());
}
