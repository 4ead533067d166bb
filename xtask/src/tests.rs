//! Unit tests of the automation: tidy passes on this tree, and each tidy rule catches a fixture
//! that breaks it.

use crate::tidy::{self, Build, Graph, REACH, Source};
use serde_json::json;
use std::path::Path;

#[test]
fn tidy_passes_on_the_workspace() {
    if let Err(e) = tidy::check(&crate::root()) {
        panic!("{e}");
    }
}

// Dependency graphs, in `cargo tree --prefix depth` form.

/// The problems `krate`'s reach rule finds in `tree`.
fn reach(krate: &str, build: Build, tree: &str) -> Vec<String> {
    let rule = REACH
        .iter()
        .find(|r| r.krate == krate && r.build == build)
        .unwrap_or_else(|| panic!("no reach rule for `{krate}`"));
    tidy::check_reach(rule, &Graph::parse(tree).expect("tree"))
}

/// Asserts the rule finds exactly `expected` (a substring of each problem, in order).
fn check_reach(krate: &str, build: Build, tree: &str, expected: &[&str]) {
    let problems = reach(krate, build, tree);
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, want) in problems.iter().zip(expected) {
        assert!(problem.contains(want), "{problem}\nwanted: {want}");
    }
}

#[test]
fn graph_parses_cargo_tree_output() {
    // Proc-macro edges are not asked for; a `(*)` crate was expanded above.
    let tree = "\
0server v0.0.0 (/w/crates/server)
1hyper v1.8.1
2tokio v1.48.0
3mio v1.1.0
1cache v0.0.0 (/w/crates/cache)
2tokio v1.48.0 (*)
2reqwest v0.12.28
3hyper v1.8.1 (*)
";
    check_reach(
        "server",
        Build::Host,
        tree,
        &["`server` must not reach `cache` (server → cache)"],
    );
    assert!(Graph::parse("1orphan v1.0.0\n").is_err());
    assert!(Graph::parse("0a v1\n2b v1\n").is_err());
    assert!(Graph::parse("").is_err());
}

#[test]
fn pure_crates_reach_no_io() {
    check_reach("uid", Build::Host, "0uid v0\n1thiserror v2\n", &[]);
    check_reach(
        "uid",
        Build::Host,
        "0uid v0\n1thiserror v2\n1fancy v1\n2rustix v1\n",
        &["`uid` must not reach `rustix` (uid → fancy → rustix): it is pure"],
    );
    check_reach(
        "manifest",
        Build::Host,
        "0manifest v0\n1uid v0\n1saphyr-parser v0.3\n2arraydeque v0.5\n1serde v1\n",
        &[],
    );
    check_reach(
        "manifest",
        Build::Host,
        "0manifest v0\n1loader v1\n2tract-core v0.23\n2tokio v1\n",
        &["`tokio` (manifest → loader → tokio)", "`tract-core`"],
    );
}

#[test]
fn hubtree_reaches_no_download_stack() {
    check_reach(
        "hubtree",
        Build::Host,
        "0hubtree v0\n1manifest v0\n1rustix v1\n1serde_json v1\n",
        &[],
    );
    check_reach(
        "hubtree",
        Build::Host,
        "0hubtree v0\n1cache v0\n2reqwest v0.12\n1unpack v1\n2flate2 v1\n",
        &[
            "`cache` (hubtree → cache)",
            "`flate2` (hubtree → unpack → flate2)",
        ],
    );
}

#[test]
fn server_reaches_no_client_or_cache() {
    check_reach(
        "server",
        Build::Host,
        "0server v0\n1hubtree v0\n1hyper v1\n1tokio v1\n",
        &[],
    );
    // The path through a forbidden crate names that crate only, not what lies behind it.
    check_reach(
        "server",
        Build::Host,
        "0server v0\n1cache v0\n2reqwest v0.12\n1proxy v1\n2hyper-rustls v0.27\n3rustls v0.23\n",
        &[
            "`cache` (server → cache)",
            "`hyper-rustls` (server → proxy → hyper-rustls)",
        ],
    );
}

#[test]
fn web_reaches_no_native_crate() {
    check_reach(
        "web",
        Build::Wasm,
        "0web v0\n1infer v0\n2manifest v0\n1yew v0.23\n",
        &[],
    );
    check_reach(
        "web",
        Build::Wasm,
        "0web v0\n1infer v0\n2runtime v0\n3tract-onnx v0.23\n1yew v0.23\n2tokio v1\n",
        &[
            "`web` on wasm32 must not reach `runtime` (web → infer → runtime)",
            "`tokio` (web → yew → tokio)",
        ],
    );
}

#[test]
fn infer_protocol_reaches_no_tract() {
    check_reach(
        "infer",
        Build::NoDefaultFeatures,
        "0infer v0\n1manifest v0\n1serde_json v1\n",
        &[],
    );
    check_reach(
        "infer",
        Build::NoDefaultFeatures,
        "0infer v0\n1tract-onnx v0.23\n",
        &["`infer` without default features must not reach `tract-onnx` (infer → tract-onnx)"],
    );
}

// Packages, in `cargo metadata --no-deps` form.

/// A member at `crates/NAME` (or `DIR`), well formed unless `extra` overrides a field.
fn member(
    name: &str,
    deps: &[(&str, Option<&str>)],
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut package = json!({
        "name": name,
        "version": "0.0.0",
        "publish": [],
        "manifest_path": format!("/w/crates/{name}/Cargo.toml"),
        "dependencies": deps
            .iter()
            .map(|(dep, kind)| json!({"name": dep, "kind": kind}))
            .collect::<Vec<_>>(),
    });
    for (key, value) in extra.as_object().into_iter().flatten() {
        package[key] = value.clone();
    }
    package
}

/// The problems the package rules find in `members`; every Cargo.toml is `manifest`.
fn package_problems(members: &[serde_json::Value], manifest: &str) -> Vec<String> {
    let meta = json!({ "packages": members });
    let packages = tidy::packages(&meta, Path::new("/w"), &|_| manifest.to_owned());
    let architecture: String = packages
        .iter()
        .map(|p| format!("### `{}/`\n", p.dir))
        .collect();
    tidy::check_packages(&packages, &architecture)
}

fn check_packages(members: &[serde_json::Value], expected: &[&str]) {
    let problems = package_problems(members, "[lints]\nworkspace = true\n");
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, want) in problems.iter().zip(expected) {
        assert!(problem.contains(want), "{problem}\nwanted: {want}");
    }
}

#[test]
fn packages_are_internal_and_described() {
    check_packages(&[member("uid", &[("thiserror", None)], json!({}))], &[]);
    check_packages(
        &[member(
            "uid",
            &[],
            json!({"manifest_path": "/w/crates/ids/Cargo.toml"}),
        )],
        &["crates/ids: package `uid` must live in a folder named `uid`"],
    );
    check_packages(
        &[member("uid", &[], json!({"version": "1.0.0"}))],
        &["version = \"0.0.0\""],
    );
    check_packages(
        &[member("uid", &[], json!({"publish": null}))],
        &["publish = false"],
    );
    let members = [member("uid", &[], json!({}))];
    let problems = package_problems(&members, "[package]\nname = \"uid\"\n");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("[lints]"), "{problems:#?}");
    let meta = json!({ "packages": members });
    let packages = tidy::packages(&meta, Path::new("/w"), &|_| {
        "[lints]\nworkspace = true".into()
    });
    let problems = tidy::check_packages(&packages, "### `crates/manifest/`");
    assert_eq!(problems, ["ARCHITECTURE.md: describe `crates/uid/`"]);
}

#[test]
fn pure_crates_have_only_their_direct_dependencies() {
    check_packages(
        &[member(
            "manifest",
            &[("uid", None), ("serde", None), ("proptest", Some("dev"))],
            json!({}),
        )],
        &[],
    );
    check_packages(
        &[member(
            "manifest",
            &[("uid", None), ("tokio", None), ("cc", Some("build"))],
            json!({}),
        )],
        &[
            "`manifest` is pure and may not depend on `cc`",
            "`manifest` is pure and may not depend on `tokio`",
        ],
    );
}

#[test]
fn exclusive_dependencies_have_one_owner() {
    check_packages(
        &[
            member("cli", &[("anyhow", None), ("clap", None)], json!({})),
            member("runtime", &[("tract-onnx", None)], json!({})),
            member(
                "server",
                &[("axum", None), ("reqwest", Some("dev"))],
                json!({}),
            ),
        ],
        &[],
    );
    check_packages(
        &[member(
            "server",
            &[
                ("anyhow", None),
                ("tract-core", Some("build")),
                ("reqwest", None),
            ],
            json!({}),
        )],
        &[
            "only `cli` may depend on `anyhow`",
            "only `runtime` may depend on `tract-core`",
            "only `cache` may depend on `reqwest`",
        ],
    );
}

#[test]
fn testserver_is_only_a_dev_dependency() {
    check_packages(
        &[
            member("cache", &[("testserver", Some("dev"))], json!({})),
            member(
                "xtask",
                &[("testserver", None)],
                json!({"manifest_path": "/w/xtask/Cargo.toml"}),
            ),
        ],
        &[],
    );
    check_packages(
        &[member("cli", &[("testserver", None)], json!({}))],
        &["crates/cli: `testserver` may only be a dev-dependency"],
    );
}

// Sources, as (path, text) pairs.

/// Asserts the source rules find exactly one problem in the file, containing `expected`,
/// or none when `expected` is empty.
fn check_source(path: &str, text: &str, expected: &str) {
    let files = [Source {
        path: path.to_owned(),
        text: text.to_owned(),
    }];
    let problems = tidy::check_sources(&files);
    if expected.is_empty() {
        assert!(problems.is_empty(), "{problems:#?}");
    } else {
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].contains(expected), "{problems:#?}");
    }
}

const LIB: &str = "//! A crate.\n//!\n//! # Example\n";

#[test]
fn files_start_with_a_doc_line() {
    check_source("crates/demo/src/lib.rs", LIB, "");
    check_source(
        "crates/demo/src/lib.rs",
        "// # Example\n",
        "crates/demo/src/lib.rs: must start with a one-line `//!` doc",
    );
}

#[test]
fn grab_bag_file_names_are_refused() {
    check_source("web/src/view.rs", "//! The view.\n", "");
    for name in ["mod.rs", "utils.rs", "helpers.rs", "common.rs"] {
        check_source(
            &format!("crates/demo/src/{name}"),
            "//! A module.\n",
            &format!("`{name}` is not allowed"),
        );
    }
}

#[test]
fn only_the_cli_reads_the_environment() {
    let text = "//! Reads.\nfn f() { let _ = std::env::var_os(\"X\"); }\n";
    check_source("crates/cli/src/main.rs", text, "");
    check_source("xtask/src/web.rs", text, "");
    check_source(
        "crates/cache/src/hub.rs",
        text,
        "only the cli reads environment variables",
    );
    check_source(
        "crates/cli-helper/src/run.rs",
        text,
        "only the cli reads environment variables",
    );
}

#[test]
fn crate_docs_have_an_example() {
    check_source("crates/demo/src/main.rs", "//! A binary.\n", "");
    check_source(
        "crates/demo/src/lib.rs",
        "//! A crate.\n",
        "the crate docs need a compiled `# Example`",
    );
}

#[test]
fn library_files_stay_short() {
    let long = format!("//! Long.\n{}", "fn f() {}\n".repeat(600));
    check_source("crates/demo/src/tests.rs", &long, "");
    check_source("crates/demo/src/yaml/tests.rs", &long, "");
    check_source("crates/demo/src/tests/cases.rs", &long, "");
    check_source("crates/demo/tests/it/main.rs", &long, "");
    check_source("xtask/src/bench.rs", &long, "");
    let fits = format!("//! Long.\n{}", "fn f() {}\n".repeat(599));
    check_source("crates/demo/src/hub.rs", &fits, "");
    check_source(
        "crates/demo/src/hub.rs",
        &long,
        "crates/demo/src/hub.rs: 601 lines, over the 600",
    );
}

#[test]
fn architecture_names_only_files_that_exist() {
    let files = [
        "crates",
        "crates/demo/",
        "crates/demo/src/store.rs",
        "crates/demo/src/view/a.rs",
        "crates/demo/src/view/b.rs",
        "crates/demo/tests/data",
        "xtask",
        "xtask/src/tidy.rs",
    ];
    let exists = |path: &str| files.contains(&path);
    let text = "\
# Architecture

```
crates/gone.rs ──► nothing checks a drawing
```

## Code map

### `crates/demo/`

`store.rs` and `view/{a,b}.rs`, data in `tests/data`; the layout is
`<hub>/mirror/sha256/<hex>`, served at `/sha256/{hex}`, for `owner/repo[:ref]`;
`cargo xtask models`, `record.json` and `.rs` are not paths.

## Cross-cutting

Unit tests sit in `src/tests.rs`; `xtask/src/tidy.rs` checks.
";
    assert_eq!(
        tidy::check_architecture(text, &exists),
        Vec::<String>::new()
    );
    let broken = text
        .replace("view/{a,b}.rs", "view/{a,c}.rs")
        .replace("`store.rs`", "`stores.rs`")
        .replace("xtask/src/tidy.rs", "crates/tidy.rs");
    assert_eq!(
        tidy::check_architecture(&broken, &exists),
        [
            "ARCHITECTURE.md:11: `stores.rs` names no file; fix the path or the text",
            "ARCHITECTURE.md:11: `view/{a,c}.rs` names no file; fix the path or the text",
            "ARCHITECTURE.md:17: `crates/tidy.rs` names no file; fix the path or the text",
        ]
    );
}
