//! House rules and crate boundaries, checked on the sources and on the graph cargo resolves.
//!
//! The rules are pure functions over data: `graph.rs` over the workspace's packages and each
//! crate's resolved dependency graph, `sources.rs` over the `.rs` files and ARCHITECTURE.md.
//! This file gathers that data: it reads the files and runs cargo.

mod graph;
mod sources;

pub(crate) use graph::{Build, Graph, REACH, check_packages, check_reach, packages};
pub(crate) use sources::{Source, check_architecture, check_sources};

use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Runs every check, returning all failures at once.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let problems = problems(root);
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

fn problems(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "web"] {
        rust_files(root, &root.join(dir), &mut files, &mut problems);
    }
    problems.extend(check_sources(&files));
    let architecture = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_else(|e| {
        problems.push(format!("ARCHITECTURE.md: cannot read: {e}"));
        String::new()
    });
    problems.extend(check_architecture(&architecture, &|path| {
        root.join(path).exists()
    }));
    // The workspace's members and each reach rule's graph, taken in parallel: each `cargo tree`
    // takes a few tenths of a second.
    let (meta, trees) = std::thread::scope(|scope| {
        let trees: Vec<_> = REACH
            .iter()
            .map(|rule| scope.spawn(move || (rule, tree(root, rule.krate, rule.build))))
            .collect();
        let meta = metadata(root);
        let trees: Vec<_> = trees.into_iter().filter_map(|t| t.join().ok()).collect();
        (meta, trees)
    });
    let meta = match meta {
        Ok(meta) => meta,
        Err(e) => {
            problems.push(e);
            return problems;
        }
    };
    let packages = packages(&meta, root, &|path| {
        fs::read_to_string(path).unwrap_or_default()
    });
    problems.extend(check_packages(&packages, &architecture));
    for (rule, tree) in trees {
        // A rule applies once its crate exists.
        if !packages.iter().any(|p| p.name == rule.krate) {
            continue;
        }
        match tree.and_then(|text| Graph::parse(&text)) {
            Ok(graph) => problems.extend(check_reach(rule, &graph)),
            Err(e) => problems.push(format!("`{}`: {e}", rule.krate)),
        }
    }
    problems
}

fn rust_files(root: &Path, dir: &Path, out: &mut Vec<Source>, problems: &mut Vec<String>) {
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
            rust_files(root, &path, out, problems);
        } else if name.ends_with(".rs") {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match fs::read_to_string(&path) {
                Ok(text) => out.push(Source { path: rel, text }),
                Err(e) => problems.push(format!("{rel}: cannot read: {e}")),
            }
        }
    }
}

/// Runs cargo in the workspace root and returns its standard output.
fn cargo(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run `cargo {}`: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("`cargo {}`: {e}", args.join(" ")))
}

/// The workspace members, their manifests and direct dependencies on every target.
fn metadata(root: &Path) -> Result<Value, String> {
    let text = cargo(
        root,
        &[
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--locked",
        ],
    )?;
    serde_json::from_str(&text).map_err(|e| format!("cannot read cargo metadata: {e}"))
}

/// The normal dependencies cargo resolves when it builds `krate` alone, proc-macros left out.
fn tree(root: &Path, krate: &str, build: Build) -> Result<String, String> {
    let mut args = vec![
        "tree",
        "--offline",
        "--locked",
        "-p",
        krate,
        "-e",
        "normal,no-proc-macro",
        "--prefix",
        "depth",
    ];
    args.extend(build.args());
    cargo(root, &args)
}
