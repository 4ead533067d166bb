//! What mhub prints of strangers' text: no control character reaches the terminal raw.

use super::mhub_in;
use std::process::Output;

/// A hub tree whose one card carries terminal escapes in its title, summary and body.
fn hostile_hub() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    let card = "# \u{1b}]0;pwned\u{7}Title\n---\nmodel-name: evil\nbackbone-name: evil\n\
        module-type: cv-classification\nfine-tunable: false\ninput-shape: [1, 4]\nmodel-version: 1.0\n\
        train-dataset: cifar10\naccuracy: 0.9\nauthor: \"me\\e[2J\\e[31m\"\nupdate-time: 2026-11-22\n\
        repo-link: https://example.com/mhub/evil\nuser-id: mhub\nused-for: inference\ntrain-backend: cpu\n\
        infer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\n\
        summary: \"sum\\rmary \\e[1A\\u202Egnp.exe\"\nasset:\n  - file-format: onnx\n    asset-link: models/evil.onnx\n\
        \x20   asset-sha256: 0000000000000000000000000000000000000000000000000000000000000000\n---\n\
        ## Usage\n\u{1b}[5mblink\u{1b}[0m\n";
    let path = dir.path().join("assets/mhub/cpu/1.0/evil_v1.0_cifar10.md");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, card).expect("card");
    dir
}

fn assert_no_raw_controls(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let raw: Vec<char> = text
            .chars()
            .filter(|c| {
                (c.is_control() && *c != '\n' && *c != '\t')
                    || ('\u{202a}'..='\u{202e}').contains(c)
            })
            .collect();
        assert!(raw.is_empty(), "{what}: raw {raw:?} on {stream}:\n{text}");
    }
}

#[test]
fn card_values_are_printed_with_control_characters_escaped() {
    let hub = hostile_hub();
    let cache = tempfile::tempdir().expect("temp");
    let hub_arg = hub.path().display().to_string();
    let dir_arg = cache.path().display().to_string();
    let uid = "mhub/cpu/1.0/evil_v1.0_cifar10";
    for args in [
        vec!["list", "--hub", &hub_arg, "--dir", &dir_arg],
        vec!["info", uid, "--hub", &hub_arg, "--dir", &dir_arg],
        vec!["validate", &hub_arg],
        vec!["index", &hub_arg, "--output", "-"],
        vec!["pull", uid, "--hub", &hub_arg, "--dir", &dir_arg],
    ] {
        let out = mhub_in(hub.path(), &args);
        assert_no_raw_controls(&args.join(" "), &out);
    }
    // The escapes are shown, not dropped: the user sees what the card holds.
    let out = mhub_in(
        hub.path(),
        &["info", uid, "--hub", &hub_arg, "--dir", &dir_arg],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}
