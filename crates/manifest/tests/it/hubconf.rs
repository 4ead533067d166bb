//! `hubconf.yaml`: entrypoints read as data, with located diagnostics.

use manifest::{Severity, read_hubconf};

#[test]
fn a_full_hubconf_reads() {
    let (conf, diagnostics) = read_hubconf(
        "requires-mhub: 0.1\nentrypoints:\n  - name: digits\n    doc: Handwritten digits.\n    card: me/cpu/1.0/digits_v1_digits\n    asset: ONNX\n    inputs:\n      - name: x\n        dtype: float32\n        shape: [1, 64]\n    outputs:\n      - name: probabilities\n    defaults:\n      top-k: 3\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(conf.requires_mhub.as_deref(), Some("0.1"));
    let e = &conf.entrypoints[0];
    assert_eq!(
        (e.name.as_str(), e.card.as_str(), e.asset.as_deref()),
        ("digits", "me/cpu/1.0/digits_v1_digits", Some("onnx"))
    );
    assert_eq!(e.inputs[0].shape, [1, 64]);
    assert_eq!(e.outputs[0].name, "probabilities");
    assert_eq!(e.defaults.get("top-k").map(String::as_str), Some("3"));
}

#[test]
fn mistakes_are_located() {
    let (conf, diagnostics) = read_hubconf(
        "requires-mhub: 9.0\nentrypoints:\n  - name: a\n    card: ../x\n  - doc: no name\n    card: a/1.0/b\n  - name: c\n    card: a/1.0/c\n    shape: 3\n  - name: c\n    card: a/1.0/c\nextra: 1\n",
    );
    let found: Vec<(usize, &str, Severity)> = diagnostics
        .iter()
        .map(|d| (d.span.line, d.rule, d.severity))
        .collect();
    assert_eq!(
        found,
        [
            (1, "unsupported-version", Severity::Error),
            (4, "invalid-value", Severity::Error),
            (5, "required-key", Severity::Error),
            (9, "unknown-key", Severity::Warning),
            (10, "duplicate-entrypoint", Severity::Error),
            (12, "unknown-key", Severity::Warning),
        ]
    );
    assert_eq!(conf.entrypoints.len(), 1);
}

#[test]
fn hostile_hubconf_is_bounded() {
    let (_, d) = read_hubconf("a: &x [1]\nb: *x\n");
    assert_eq!(d[0].rule, "yaml-alias");
    let (_, d) = read_hubconf(&"k: v\n".repeat(20_000));
    assert_eq!(d[0].rule, "front-matter-too-large");
    let (_, d) = read_hubconf("");
    assert_eq!(d[0].rule, "front-matter-empty");
    let (_, d) = read_hubconf("- a\n");
    assert_eq!(d[0].rule, "not-a-mapping");
}
