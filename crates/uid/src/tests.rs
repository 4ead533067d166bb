//! Unit tests: many tiny cases through one `check` helper per parser.

use crate::{Reference, RepoRef, Uid};

/// Parses `input` as a UID and compares either its display or the rendered error.
fn check(input: &str, expected: &str) {
    let actual = match Uid::parse(input) {
        Ok(uid) => uid.to_string(),
        Err(e) => e.render(),
    };
    assert_eq!(actual, expected, "input: {input:?}");
}

fn check_repo(input: &str, expected: &str) {
    let actual = match RepoRef::parse(input) {
        Ok(r) => format!("{}|{}|{:?}", r.owner(), r.repo(), r.git_ref()),
        Err(e) => e.render(),
    };
    assert_eq!(actual, expected, "input: {input:?}");
}

fn kind(input: &str) -> &'static str {
    match Reference::parse(input) {
        Ok(Reference::Uid(_)) => "uid",
        Ok(Reference::Repo(_)) => "repo",
        Ok(Reference::Url(_)) => "url",
        Ok(Reference::Path(_)) => "path",
        Err(_) => "error",
    }
}

#[test]
fn valid_uids() {
    for ok in [
        "mindspore/ascend/1.0/alexnet_v1_cifar10",
        "mindspore/1.10/resnet50_imagenet2012",
        "noah-cvlab/gpu/1.0/ghostnet-600_v1.0_oxford_pets",
        "mindspore/ascend/0.7/resnet50_v1.5_cifar10_cn",
        "mindspore/1.3/3dcnn_brast2017",
        "a/1/b",
    ] {
        check(ok, ok);
    }
}

#[test]
fn empty_segment_points_between_slashes() {
    check(
        "mindspore//1.0/alexnet_v1_cifar10",
        "error: invalid model id: segment 2 is empty\n  mindspore//1.0/alexnet_v1_cifar10\n            ^\n",
    );
    check(
        "mindspore/1.0/",
        "error: invalid model id: segment 3 is empty\n  mindspore/1.0/\n                ^\n",
    );
}

#[test]
fn unsafe_paths_are_rejected() {
    check(
        "mindspore/ascend/../x",
        "error: invalid model id: segment 3 is `.` or `..`, which would leave the hub tree\n  mindspore/ascend/../x\n                   ^^\n",
    );
    check(
        "mindspore/./1.0/x",
        "error: invalid model id: segment 2 is `.` or `..`, which would leave the hub tree\n  mindspore/./1.0/x\n            ^\n",
    );
    check(
        "/etc/1.0/passwd",
        "error: invalid model id: it must not start with `/`\n  /etc/1.0/passwd\n  ^\n",
    );
    check(
        "C:/1.0/x",
        "error: invalid model id: it must not start with a drive letter\n  C:/1.0/x\n  ^^\n",
    );
    check(
        "a\\b/1.0/c",
        "error: invalid model id: backslashes are not allowed, use `/`\n  a\\b/1.0/c\n   ^\n",
    );
    check(
        "a/1.0/%2e%2e",
        "error: invalid model id: percent-encoding is not allowed\n  a/1.0/%2e%2e\n        ^\n",
    );
    check(
        "a/1.0/b\0c",
        "error: invalid model id: control character `\\0` is not allowed\n  a/1.0/b\\0c\n         ^^\n",
    );
    check(
        "a/1.0/b\nc",
        "error: invalid model id: control character `\\n` is not allowed\n  a/1.0/b\\nc\n         ^^\n",
    );
    check(
        "a/1.0/é",
        "error: invalid model id: non-ASCII character `é` is not allowed\n  a/1.0/é\n        ^\n",
    );
    check(
        "a/1.0/b c",
        "error: invalid model id: whitespace is not allowed\n  a/1.0/b c\n         ^\n",
    );
    check(
        "a/1.0/con",
        "error: invalid model id: `con` is a reserved device name on Windows\n  a/1.0/con\n        ^^^\n",
    );
    check(
        "a/1.0/NUL.txt",
        "error: invalid model id: `NUL.txt` is a reserved device name on Windows\n  a/1.0/NUL.txt\n        ^^^^^^^\n",
    );
    check(
        "a/1.0/b.",
        "error: invalid model id: segment 3 must not end with `.`\n  a/1.0/b.\n         ^\n",
    );
    check(
        "a/1.0/.hidden",
        "error: invalid model id: segment 3 must start with an ASCII letter or digit\n  a/1.0/.hidden\n        ^\n",
    );
    check(
        "a/1.0/-x",
        "error: invalid model id: segment 3 must start with an ASCII letter or digit\n  a/1.0/-x\n        ^\n",
    );
}

#[test]
fn shape_errors() {
    check("", "error: invalid model id: it is empty\n  \n  ^\n");
    check(
        "a/b",
        "error: invalid model id: found 2 segments, expected `publisher/backend/version/name` or `publisher/version/name`\n  a/b\n  ^^^\n",
    );
    check(
        "a/b/c/d/e",
        "error: invalid model id: found 5 segments, expected `publisher/backend/version/name` or `publisher/version/name`\n  a/b/c/d/e\n  ^^^^^^^^^\n",
    );
    check(
        "mindspore/ascend/latest/x",
        "error: invalid model id: segment 3 must be a version such as `1.10`\n  mindspore/ascend/latest/x\n                   ^^^^^^\n",
    );
    check(
        "mindspore/1..0/x",
        "error: invalid model id: segment 2 must be a version such as `1.10`\n  mindspore/1..0/x\n            ^^^^\n",
    );
    let long = format!("a/1.0/{}", "x".repeat(129));
    assert!(
        Uid::parse(&long)
            .unwrap_err()
            .to_string()
            .contains("segment 3 is longer than 128 bytes")
    );
    let longer = format!("{0}/1.0/{0}/{0}", "x".repeat(120));
    assert_eq!(
        Uid::parse(&longer).unwrap_err().to_string(),
        "invalid model id: it is longer than 255 bytes"
    );
}

#[test]
fn display_round_trips_and_parts() {
    let uid = Uid::parse("noah-cvlab/gpu/1.0/ghostnet-600_v1.0_oxford_pets").unwrap();
    assert_eq!(uid.publisher(), "noah-cvlab");
    assert_eq!(uid.backend(), Some("gpu"));
    assert_eq!(uid.version(), "1.0");
    let parts = uid.name_parts().unwrap();
    assert_eq!(
        (parts.model, parts.model_version, parts.dataset),
        ("ghostnet-600", "v1.0", "oxford_pets")
    );
    let uid = Uid::parse("mindspore/1.10/resnet50_imagenet2012").unwrap();
    assert_eq!(uid.backend(), None);
    assert_eq!(uid.name_parts(), None);
    assert_eq!(
        Uid::parse("m/1.0/centerface_v1.1").unwrap().name_parts(),
        None
    );
    assert_eq!(Uid::parse("m/1.0/v1_cifar10").unwrap().name_parts(), None);
    assert_eq!(
        Uid::from_card_path("mindspore\\ascend\\1.0\\x_v1_y.md")
            .unwrap()
            .to_string(),
        "mindspore/ascend/1.0/x_v1_y"
    );
}

#[test]
fn repo_refs() {
    check_repo("pytorch/vision", "pytorch|vision|None");
    check_repo("pytorch/vision:v0.10.0", "pytorch|vision|Some(\"v0.10.0\")");
    check_repo("owner/repo:feature/x", "owner|repo|Some(\"feature/x\")");
    check_repo(
        "owner/repo:",
        "error: invalid repository reference: the git ref after `:` is empty\n  owner/repo:\n             ^\n",
    );
    check_repo(
        "owner/repo:a..b",
        "error: invalid repository reference: the git ref contains a sequence git does not allow\n  owner/repo:a..b\n              ^^\n",
    );
    check_repo(
        "owner/repo:x.lock",
        "error: invalid repository reference: the git ref must not end with `.lock`\n  owner/repo:x.lock\n              ^^^^^\n",
    );
    check_repo(
        "owner/repo:-x",
        "error: invalid repository reference: the git ref must not start with `-` or `/`\n  owner/repo:-x\n             ^\n",
    );
    check_repo(
        "owner/../x",
        "error: invalid repository reference: found 3 segments, expected `owner/repo`\n  owner/../x\n  ^^^^^^^^^^\n",
    );
    check_repo(
        "owner/..:x",
        "error: invalid repository reference: segment 2 is `.` or `..`, which would leave the hub tree\n  owner/..:x\n        ^^\n",
    );
    assert_eq!(
        RepoRef::parse("a/b:feat/x").unwrap().cache_name("main"),
        "a_b_feat%2Fx"
    );
    // Names that joined with `_` would collide do not.
    assert_ne!(
        RepoRef::parse("a/b:c_d").unwrap().cache_name("main"),
        RepoRef::parse("a/b_c:d").unwrap().cache_name("main")
    );
    for bad in ["a/b:%2e%2e", "a/b:x%2Fy", "a/b:x#y"] {
        assert!(RepoRef::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        RepoRef::parse("a/b").unwrap().cache_name("main"),
        "a_b_main"
    );
}

#[test]
fn references_are_told_apart() {
    assert_eq!(kind("mindspore/ascend/1.0/alexnet_v1_cifar10"), "uid");
    assert_eq!(kind("mindspore/1.10/resnet50_imagenet2012"), "uid");
    assert_eq!(kind("pytorch/vision"), "repo");
    assert_eq!(kind("pytorch/vision:main"), "repo");
    assert_eq!(kind("https://hub.example/x"), "url");
    assert_eq!(kind("http://127.0.0.1:8080"), "url");
    assert_eq!(kind("./hub"), "path");
    assert_eq!(kind("hub"), "path");
    assert_eq!(kind("/tmp/model.onnx"), "path");
    assert_eq!(kind("models/digits.onnx"), "path");
    assert_eq!(kind("hub/assets/a/1.0/b.md"), "path");
    assert_eq!(kind("C:\\models"), "path");
    assert_eq!(kind("~/hub"), "path");
    assert_eq!(kind("mindspore/latest/x"), "error");
}

/// Undoes [`flat_name`]: shows that no two texts share a flat name.
fn unflat(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn flat_names_are_one_file_name_each_and_never_shared() {
    for (text, name) in [
        ("a/1.0/2", "a%2F1.0%2F2"),
        ("a/1.0/2/x", "a%2F1.0%2F2%2Fx"),
        ("..", "%2E."),
        (".hidden", "%2Ehidden"),
        ("100%", "100%25"),
        ("@repos/a_b_main/x", "@repos%2Fa_b_main%2Fx"),
    ] {
        assert_eq!(crate::flat_name(text), name);
    }
}

proptest::proptest! {
    #[test]
    fn flat_names_round_trip(text in "\\PC{0,40}") {
        let name = crate::flat_name(&text);
        proptest::prop_assert!(!name.contains('/') && name != "." && name != "..");
        proptest::prop_assert!(!name.starts_with('.'));
        proptest::prop_assert_eq!(unflat(&name), text);
    }
}
