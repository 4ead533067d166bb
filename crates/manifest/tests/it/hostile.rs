//! Hostile input: every case ends in a clean diagnostic, never a panic, a hang or a memory blow-up.

use manifest::{Options, Profile, Report};
use proptest::prelude::*;

fn card(front_matter: &str) -> String {
    format!("# Hostile\n---\n{front_matter}\n---\nbody\n")
}

fn rules(report: &Report) -> Vec<&'static str> {
    report.diagnostics.iter().map(|d| d.rule).collect()
}

fn check(source: &str) -> Report {
    manifest::check(source, &Options::default())
}

#[test]
fn alias_fan_out_is_refused_before_expansion() {
    // The classic "billion laughs", under the size cap: each level refers to the
    // previous one ten times, after 50 KiB of ordinary keys.
    let mut yaml: String = (0..4_000).map(|i| format!("key{i}: value\n")).collect();
    let first_anchor_line = 4_000 + 3;
    yaml += "a0: &a0 [\"lol\"]\n";
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        yaml += &format!("a{level}: &a{level} [{refs}]\n");
    }
    assert!(yaml.len() > 50_000 && yaml.len() < 64 * 1024);
    let report = check(&card(&yaml));
    assert_eq!(rules(&report), ["yaml-alias"]);
    assert_eq!(report.diagnostics[0].span.line, first_anchor_line);
}

#[test]
fn large_alias_bomb_is_refused_by_size_first() {
    let mut yaml = String::from("a0: &a0 [\"lol\"]\n");
    let mut level = 1;
    while yaml.len() < 140_000 {
        let refs = vec![format!("*a{}", level - 1); 20].join(",");
        yaml += &format!("a{level}: &a{level} [{refs}]\n");
        level += 1;
    }
    assert_eq!(rules(&check(&card(&yaml))), ["front-matter-too-large"]);
}

#[test]
fn nested_flow_maps_are_refused() {
    let depth = 12_000;
    let yaml = format!("a: {}{}", "{a: ".repeat(depth), "}".repeat(depth));
    assert!(yaml.len() < 64 * 1024);
    let report = check(&card(&yaml));
    let r = rules(&report);
    assert!(r == ["yaml-too-deep"] || r == ["yaml-syntax"], "{r:?}");
}

#[test]
fn nested_flow_sequences_are_refused() {
    let yaml = format!("a: {}{}", "[".repeat(30_000), "]".repeat(30_000));
    let r = check(&card(&yaml));
    assert!(
        matches!(rules(&r).as_slice(), ["yaml-too-deep"] | ["yaml-syntax"]),
        "{:?}",
        rules(&r)
    );
}

#[test]
fn deep_block_nesting_is_refused() {
    let yaml: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert_eq!(rules(&check(&card(&yaml))), ["yaml-too-deep"]);
}

#[test]
fn oversized_front_matter_is_refused() {
    let yaml = "summary: x\n".repeat(7_000);
    assert_eq!(rules(&check(&card(&yaml))), ["front-matter-too-large"]);
}

#[test]
fn too_many_values_are_refused() {
    let yaml = format!("a: [{}]", "1,".repeat(25_000));
    assert_eq!(rules(&check(&card(&yaml))), ["front-matter-too-large"]);
}

#[test]
fn tags_and_second_documents_are_refused() {
    assert_eq!(rules(&check(&card("model-name: !custom x"))), ["yaml-tag"]);
    assert_eq!(rules(&check(&card("a: !!binary aGVsbG8="))), ["yaml-tag"]);
    assert_eq!(rules(&check(&card("a: 1\n--- b\nc: 2"))), ["yaml-syntax"]);
}

#[test]
fn odd_keys_and_syntax_are_reported() {
    assert_eq!(rules(&check(&card("{a: 1}: b"))), ["yaml-complex-key"]);
    assert_eq!(rules(&check(&card("? [a]\n: b"))), ["yaml-complex-key"]);
    assert_eq!(rules(&check(&card("a:\n\t- b"))), ["yaml-syntax"]);
    assert_eq!(rules(&check(&card("a: \"unterminated"))), ["yaml-syntax"]);
    assert_eq!(rules(&check(&card("just text"))), ["not-a-mapping"]);
}

#[test]
fn control_characters_and_long_lines_do_not_crash() {
    let nul = check(&card("model-name: a\u{0}b"));
    assert!(nul.has_errors());
    let long = check(&card(&format!("summary: {}", "x".repeat(60_000))));
    assert!(long.diagnostics.iter().all(|d| d.rule != "yaml-syntax"));
    let rendered: String = long
        .diagnostics
        .iter()
        .map(|d| d.render("c.md", ""))
        .collect();
    assert!(!rendered.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_text_is_checked_without_panic(s in "\\PC{0,400}") {
        let source = card(&s);
        for profile in [Profile::Mhub, Profile::Mindspore] {
            let report = manifest::check(&source, &Options { profile, card_path: Some("a/b/1.0/c_v1_d.md"), sibling_exists: None });
            for d in &report.diagnostics {
                let _ = d.render("x.md", &source);
            }
        }
        let _ = manifest::check(&s, &Options::default());
    }

    #[test]
    fn yaml_like_text_is_checked_without_panic(s in "([a-z-]{1,8}: ?[\\[\\]{}&*!|>'\"a-z0-9 ,:-]{0,12}\n {0,4}-? ?){0,20}") {
        let report = manifest::check(&card(&s), &Options::default());
        for d in &report.diagnostics {
            prop_assert!(d.span.line >= 1 && d.span.col >= 1);
        }
    }
}
