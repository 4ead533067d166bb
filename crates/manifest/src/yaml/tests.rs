//! Differential tests: the fast reader agrees with the full parser wherever it answers.

use super::{Origin, fast, full};
use proptest::prelude::*;
use std::path::Path;

/// Runs both readers; returns whether the fast one answered.
fn agree(yaml: &str) -> bool {
    let origin = Origin { first_line: 2 };
    let slow = full(yaml, origin);
    match fast::read(yaml, origin) {
        Some(quick) => {
            if quick != slow {
                let (a, b) = (format!("{quick:?}"), format!("{slow:?}"));
                let at = a
                    .bytes()
                    .zip(b.bytes())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0)
                    .saturating_sub(120);
                let end = |s: &str| (at + 300).min(s.len());
                panic!(
                    "readers disagree on:\n{yaml}\nfast: ...{}\nfull: ...{}",
                    &a[at..end(&a)],
                    &b[at..end(&b)]
                );
            }
            true
        }
        None => false,
    }
}

fn cards(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            cards(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn readers_agree_on_every_test_card() {
    let mut files = Vec::new();
    cards(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut files,
    );
    let (mut answered, mut plain_cards) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let Ok(split) = crate::source::split(text) else {
            continue;
        };
        let is_corpus_card =
            file.components().any(|c| c.as_os_str() == "corpus") && split.yaml.is_ascii();
        let fast = agree(split.yaml);
        answered += usize::from(fast);
        // The templates use prose as values, and one card spreads a nested flow list over four lines.
        let complex = ["commit_example", "wide_and_deep_multitable"]
            .iter()
            .any(|n| file.to_string_lossy().contains(n));
        if is_corpus_card && !complex {
            plain_cards += 1;
            assert!(fast, "the fast reader should handle {}", file.display());
        }
    }
    assert!(
        plain_cards >= 30 && answered >= plain_cards,
        "{answered} answered, {plain_cards} plain corpus cards"
    );
}

#[test]
fn small_cases_agree() {
    let cases = [
        "a: b\nasset:\n\n-\n    x: 1\n    y: 2\n-  z: 3\nc:\n  - p\n  - q\nd:\ne: [1, 2 , 3]\nf: []\n",
        "a: b # comment\nb:   spaced   \nc: x:y\n",
        "\n\n# lead\n  \nkey: v\n",
        "- a\n- b: c\n  d: e\n",
        "a:\n  b:\n    c: 1\n",
        "a: b\na: c\n",
        "a:\n- x\nb: 1\n",
        "a: <https://x.y/z>\nb: -1\nc: ?x\nd: :x\n",
        "a: [1, 2] # shape\n",
        "a:\n\n  - \n    k: v\n",
        "",
    ];
    for case in cases {
        assert!(agree(case), "fast reader gave up on:\n{case}");
    }
    for fallback in [
        "a: 'q'\n",
        "a: b\n  c\n",
        "a: {x: 1}\n",
        "a: &x 1\n",
        "a: [1, [2]]\n",
        "a:\tb\n",
        "- - a\n",
        "a: |\n  x\n",
        "a: b: c\n",
    ] {
        assert!(
            !agree(fallback),
            "fast reader should leave this to the full parser:\n{fallback}"
        );
    }
}

fn line() -> impl Strategy<Value = String> {
    let word = "[a-z0-9_.<>/:?#,'\" -]{0,8}";
    let key = "[a-z][a-z0-9_-]{0,5}";
    let indent = " {0,5}";
    prop_oneof![
        (indent, key, word).prop_map(|(i, k, w)| format!("{i}{k}: {w}")),
        (indent, key).prop_map(|(i, k)| format!("{i}{k}:")),
        (indent, key, word).prop_map(|(i, k, w)| format!("{i}- {k}: {w}")),
        (indent, word).prop_map(|(i, w)| format!("{i}- {w}")),
        indent.prop_map(|i| format!("{i}-")),
        (indent, key, "[0-9a-z, ]{0,10}").prop_map(|(i, k, w)| format!("{i}{k}: [{w}]")),
        (indent, word).prop_map(|(i, w)| format!("{i}# {w}")),
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn readers_agree_on_generated_yaml(lines in proptest::collection::vec(line(), 0..12)) {
        agree(&lines.join("\n"));
    }
}
