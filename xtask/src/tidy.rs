//! House rules and crate boundaries, checked from the sources and `cargo metadata`.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that must stay pure (no I/O, wasm32-safe), with every dependency they may have.
const PURE: &[(&str, &[&str])] = &[
    ("uid", &["thiserror"]),
    ("manifest", &["saphyr-parser", "serde", "thiserror", "uid"]),
];

/// Dependencies only one crate may have.
const EXCLUSIVE: &[(&str, &str)] = &[
    ("anyhow", "cli"),
    ("clap", "cli"),
    ("tract-onnx", "runtime"),
    ("tract-core", "runtime"),
    ("reqwest", "cache"),
    ("axum", "server"),
    ("hyper", "server"),
    ("hyper-util", "server"),
    ("tower-http", "server"),
    ("tracing-subscriber", "cli"),
];

/// What the server may not depend on: it reads a hub tree and runs no model.
const SERVER_FORBIDDEN: &[&str] = &["runtime", "tract-onnx", "testserver"];

/// What the web app may not depend on: it runs in the browser and never links tract.
const WEB_FORBIDDEN: &[&str] = &[
    "runtime",
    "cache",
    "server",
    "tract-onnx",
    "reqwest",
    "tokio",
];

/// File names the house style forbids.
const FORBIDDEN_FILES: &[&str] = &["mod.rs", "utils.rs", "helpers.rs", "common.rs"];

/// Crates allowed to read environment variables.
const ENV_READERS: &[&str] = &["crates/cli", "xtask"];

/// Runs every check, returning all failures at once.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let mut problems = check_sources(root);
    problems.extend(check_manifests(root));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problems:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Source-level rules: a `//!` first line, no forbidden file names, env vars only where allowed.
pub(crate) fn check_sources(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "web"] {
        rust_files(&root.join(dir), &mut files);
    }
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if FORBIDDEN_FILES.contains(&name.as_str()) {
            problems.push(format!(
                "{rel}: `{name}` is not allowed; use `foo.rs` + `foo/` and name the concept"
            ));
        }
        let Ok(text) = fs::read_to_string(&file) else {
            problems.push(format!("{rel}: cannot read"));
            continue;
        };
        if !text.starts_with("//!") {
            problems.push(format!("{rel}: must start with a one-line `//!` doc"));
        }
        let reads_env = text.contains("env::var(")
            || text.contains("env::var_os(")
            || text.contains("env::vars(");
        if reads_env && !ENV_READERS.iter().any(|dir| rel.starts_with(dir)) {
            problems.push(format!(
                "{rel}: only the cli reads environment variables; take the value as a parameter"
            ));
        }
        if name == "lib.rs" && !text.contains("# Example") {
            problems.push(format!("{rel}: the crate docs need a compiled `# Example`"));
        }
    }
    problems
}

fn metadata(root: &Path) -> Result<Value, String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cannot read cargo metadata: {e}"))
}

/// Manifest-level rules: folder = package name, internal settings, dependency boundaries, ARCHITECTURE.md.
fn check_manifests(root: &Path) -> Vec<String> {
    let meta = match metadata(root) {
        Ok(m) => m,
        Err(e) => return vec![e],
    };
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    let mut problems = Vec::new();
    for package in meta["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().unwrap_or(root);
        let rel = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if folder != name {
            problems.push(format!(
                "{rel}: package `{name}` must live in a folder named `{name}`"
            ));
        }
        if package["version"].as_str() != Some("0.0.0") {
            problems.push(format!("{rel}: internal crates have `version = \"0.0.0\"`"));
        }
        if package["publish"].as_array().is_none_or(|p| !p.is_empty()) {
            problems.push(format!("{rel}: internal crates have `publish = false`"));
        }
        let toml = fs::read_to_string(&manifest).unwrap_or_default();
        if !toml.contains("[lints]\nworkspace = true") {
            problems.push(format!(
                "{rel}: add `[lints]\\nworkspace = true` to Cargo.toml"
            ));
        }
        if !architecture.contains(&format!("`{rel}/`")) {
            problems.push(format!("ARCHITECTURE.md: describe `{rel}/`"));
        }
        let deps: Vec<&str> = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .collect();
        if let Some((_, allowed)) = PURE.iter().find(|(n, _)| *n == name) {
            for dep in &deps {
                if !allowed.contains(dep) {
                    problems.push(format!(
                        "{rel}: `{name}` is pure and may not depend on `{dep}`"
                    ));
                }
            }
        }
        let forbidden = match name {
            "web" => WEB_FORBIDDEN,
            "server" => SERVER_FORBIDDEN,
            _ => &[],
        };
        for dep in deps.iter().filter(|d| forbidden.contains(d)) {
            problems.push(format!("{rel}: `{name}` may not depend on `{dep}`"));
        }
        for (dep, owner) in EXCLUSIVE {
            if deps.contains(dep) && name != *owner {
                problems.push(format!("{rel}: only `{owner}` may depend on `{dep}`"));
            }
        }
    }
    problems
}
