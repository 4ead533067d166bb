//! The workspace's crates, the dependency graph cargo resolves for each, and the rules on both.
//!
//! Direct rules read `cargo metadata --no-deps` (every target, every kind). Reach rules read
//! `cargo tree -p CRATE -e normal,no-proc-macro --prefix depth`: the normal edges cargo resolves
//! when that one crate is built, with its own features (not the workspace's unified ones) and for
//! its own target. Proc-macros are left out: they run in the compiler and link into nothing.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// How a crate is built when its graph is taken; this decides its features and target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Build {
    /// For the host, with default features.
    Host,
    /// For the host, without default features.
    NoDefaultFeatures,
    /// For `wasm32-unknown-unknown`, with default features.
    Wasm,
}

impl Build {
    /// The `cargo tree` arguments that select this build.
    pub(crate) fn args(self) -> &'static [&'static str] {
        match self {
            Build::Host => &[],
            Build::NoDefaultFeatures => &["--no-default-features"],
            Build::Wasm => &["--target", "wasm32-unknown-unknown"],
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Build::Host => "",
            Build::NoDefaultFeatures => " without default features",
            Build::Wasm => " on wasm32",
        }
    }
}

/// A rule on what one crate may reach through normal dependencies; it applies once the crate exists.
#[derive(Debug)]
pub(crate) struct Reach {
    /// The crate the graph starts from.
    pub(crate) krate: &'static str,
    /// How that crate is built.
    pub(crate) build: Build,
    /// Crates it must not reach; `tract-*` is every crate whose name starts with `tract-`.
    pub(crate) forbidden: &'static [&'static str],
    /// Why, for the message.
    pub(crate) why: &'static str,
}

/// Crates that do I/O, or only build natively: what a pure crate never reaches.
const IMPURE: &[&str] = &[
    "cache",
    "cap-std",
    "curl",
    "flate2",
    "getrandom",
    "hubtree",
    "hyper",
    "hyper-util",
    "memmap2",
    "mio",
    "native-tls",
    "nix",
    "openssl",
    "rayon",
    "reqwest",
    "runtime",
    "rustix",
    "rustls",
    "server",
    "socket2",
    "tar",
    "tempfile",
    "testserver",
    "tokio",
    "tract-*",
    "ureq",
    "walkdir",
    "zip",
];

/// The reach rules, one per crate and build.
pub(crate) const REACH: &[Reach] = &[
    Reach {
        krate: "uid",
        build: Build::Host,
        forbidden: IMPURE,
        why: "it is pure: no I/O, wasm32-safe",
    },
    Reach {
        krate: "manifest",
        build: Build::Host,
        forbidden: IMPURE,
        why: "it is pure: no I/O, wasm32-safe",
    },
    Reach {
        krate: "trust",
        build: Build::Host,
        forbidden: IMPURE,
        why: "it is pure: no I/O, no randomness, wasm32-safe (the browser verifies with it)",
    },
    Reach {
        krate: "hubtree",
        build: Build::Host,
        forbidden: &[
            "cache", "flate2", "hyper", "reqwest", "runtime", "server", "tar", "tokio", "tract-*",
        ],
        why: "it reads a hub on disk and never downloads",
    },
    Reach {
        krate: "server",
        build: Build::Host,
        forbidden: &[
            "anyhow",
            "cache",
            "clap",
            "hyper-rustls",
            "reqwest",
            "runtime",
            "rustls",
            "tar",
            "testserver",
            "tract-*",
        ],
        why: "it serves a hub tree: no HTTP client, no downloads, no models",
    },
    Reach {
        krate: "web",
        build: Build::Wasm,
        forbidden: &[
            "cache",
            "cap-std",
            "hubtree",
            "reqwest",
            "runtime",
            "rustix",
            "server",
            "testserver",
            "tokio",
            "tract-*",
        ],
        why: "it runs in the browser and the first page never links tract",
    },
    Reach {
        krate: "infer",
        build: Build::NoDefaultFeatures,
        forbidden: &["runtime", "tract-*"],
        why: "the page uses it for the protocol only",
    },
];

/// Crates that must stay pure, with every direct (non-dev) dependency they may have.
const PURE: &[(&str, &[&str])] = &[
    ("uid", &["thiserror"]),
    (
        "manifest",
        &[
            "memchr",
            "saphyr-parser",
            "serde",
            "serde_json",
            "sha2",
            "thiserror",
            "uid",
        ],
    ),
    (
        "trust",
        &[
            "base64",
            "ed25519-dalek",
            "manifest",
            "serde",
            "serde_json",
            "sha2",
            "thiserror",
        ],
    ),
];

/// Direct (non-dev) dependencies only one crate may have.
const EXCLUSIVE: &[(&str, &str)] = &[
    ("anyhow", "cli"),
    ("clap", "cli"),
    ("tracing-subscriber", "cli"),
    ("tract-*", "runtime"),
    ("reqwest", "cache"),
    ("axum", "server"),
    ("hyper", "server"),
    ("hyper-util", "server"),
    ("tower-http", "server"),
];

/// Crates that may only be dev-dependencies, and the crate exempt: xtask ships nothing, and its
/// benches run the misbehaving server.
const DEV_ONLY: &[&str] = &["testserver"];
const DEV_ONLY_EXEMPT: &str = "xtask";

/// Whether `name` matches `pattern`, where a trailing `*` matches any rest.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// What one crate reaches: every crate in its resolved graph, with its dependencies.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    root: String,
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Reads `cargo tree --prefix depth` output: a depth, then `name vVERSION ...`, one a line.
    /// A crate marked `(*)` was expanded further up, so its edges are already known.
    pub(crate) fn parse(tree: &str) -> Result<Graph, String> {
        let mut graph = Graph::default();
        let mut stack: Vec<String> = Vec::new();
        for line in tree.lines().filter(|l| !l.trim().is_empty()) {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            let bad = || format!("unexpected `cargo tree` line `{line}`");
            let depth: usize = line[..line.len() - rest.len()].parse().map_err(|_| bad())?;
            let name = rest.split_whitespace().next().ok_or_else(bad)?;
            if depth > stack.len() {
                return Err(bad());
            }
            stack.truncate(depth);
            match stack.last() {
                Some(parent) => {
                    graph
                        .deps
                        .entry(parent.clone())
                        .or_default()
                        .insert(name.to_owned());
                }
                None if graph.root.is_empty() => name.clone_into(&mut graph.root),
                None => return Err(format!("`cargo tree` printed a second root `{name}`")),
            }
            stack.push(name.to_owned());
        }
        if graph.root.is_empty() {
            return Err("`cargo tree` printed nothing".to_owned());
        }
        Ok(graph)
    }

    /// Every forbidden crate the root reaches without passing through another forbidden one,
    /// each with a shortest path from the root to it.
    fn forbidden_paths(&self, forbidden: &dyn Fn(&str) -> bool) -> Vec<Vec<&str>> {
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([self.root.as_str()]);
        let mut found = Vec::new();
        while let Some(node) = queue.pop_front() {
            for dep in self.deps.get(node).into_iter().flatten() {
                if dep == &self.root || parent.contains_key(dep.as_str()) {
                    continue;
                }
                parent.insert(dep, node);
                if forbidden(dep) {
                    found.push(dep.as_str());
                } else {
                    queue.push_back(dep);
                }
            }
        }
        found.sort_unstable();
        found
            .into_iter()
            .map(|end| {
                let mut path = vec![end];
                while let Some(&up) = parent.get(path[path.len() - 1]) {
                    path.push(up);
                }
                path.reverse();
                path
            })
            .collect()
    }
}

/// Checks one reach rule against the graph of its crate.
pub(crate) fn check_reach(rule: &Reach, graph: &Graph) -> Vec<String> {
    let forbidden = |name: &str| rule.forbidden.iter().any(|p| matches(p, name));
    graph
        .forbidden_paths(&forbidden)
        .into_iter()
        .map(|path| {
            format!(
                "`{}`{} must not reach `{}` ({}): {}",
                rule.krate,
                rule.build.describe(),
                path[path.len() - 1],
                path.join(" → "),
                rule.why
            )
        })
        .collect()
}

/// The kind of a direct dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Normal,
    Build,
    Dev,
}

/// A direct dependency, on any target.
#[derive(Debug)]
pub(crate) struct Dep {
    pub(crate) name: String,
    pub(crate) kind: Kind,
}

/// A workspace member, as `cargo metadata --no-deps` describes it.
#[derive(Debug)]
pub(crate) struct Package {
    pub(crate) name: String,
    /// Its folder relative to the workspace root, `/`-separated.
    pub(crate) dir: String,
    pub(crate) version: String,
    /// `publish = false`.
    pub(crate) unpublished: bool,
    /// Its `Cargo.toml`.
    pub(crate) manifest: String,
    pub(crate) deps: Vec<Dep>,
}

/// The workspace members in `cargo metadata` output, each `Cargo.toml` read with `read`.
pub(crate) fn packages(meta: &Value, root: &Path, read: &dyn Fn(&Path) -> String) -> Vec<Package> {
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let manifest_path = Path::new(p["manifest_path"].as_str().unwrap_or_default());
            let dir = manifest_path.parent().unwrap_or(root);
            let dir = dir.strip_prefix(root).unwrap_or(dir);
            let deps = p["dependencies"].as_array().into_iter().flatten();
            Package {
                name: str_of(&p["name"]),
                dir: dir
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
                version: str_of(&p["version"]),
                unpublished: p["publish"].as_array().is_some_and(Vec::is_empty),
                manifest: read(manifest_path),
                deps: deps
                    .map(|d| Dep {
                        name: str_of(&d["name"]),
                        kind: match d["kind"].as_str() {
                            Some("dev") => Kind::Dev,
                            Some("build") => Kind::Build,
                            _ => Kind::Normal,
                        },
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Package rules: folder = package name, the internal settings, described in ARCHITECTURE.md,
/// and the direct-dependency rules (pure crates, exclusive owners, dev-only crates).
pub(crate) fn check_packages(packages: &[Package], architecture: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for package in packages {
        let (name, rel) = (package.name.as_str(), package.dir.as_str());
        if rel.rsplit('/').next() != Some(name) {
            problems.push(format!(
                "{rel}: package `{name}` must live in a folder named `{name}`"
            ));
        }
        if package.version != "0.0.0" {
            problems.push(format!("{rel}: internal crates have `version = \"0.0.0\"`"));
        }
        if !package.unpublished {
            problems.push(format!("{rel}: internal crates have `publish = false`"));
        }
        if !package.manifest.contains("[lints]\nworkspace = true") {
            problems.push(format!(
                "{rel}: add `[lints]\\nworkspace = true` to Cargo.toml"
            ));
        }
        if !architecture.contains(&format!("`{rel}/`")) {
            problems.push(format!("ARCHITECTURE.md: describe `{rel}/`"));
        }
        let shipped: BTreeSet<&str> = package
            .deps
            .iter()
            .filter(|d| d.kind != Kind::Dev)
            .map(|d| d.name.as_str())
            .collect();
        if let Some((_, allowed)) = PURE.iter().find(|(n, _)| *n == name) {
            for dep in shipped.iter().filter(|d| !allowed.contains(d)) {
                problems.push(format!(
                    "{rel}: `{name}` is pure and may not depend on `{dep}`"
                ));
            }
        }
        for (pattern, owner) in EXCLUSIVE {
            for dep in shipped.iter().filter(|d| matches(pattern, d)) {
                if name != *owner {
                    problems.push(format!("{rel}: only `{owner}` may depend on `{dep}`"));
                }
            }
        }
        if name != DEV_ONLY_EXEMPT {
            for dep in shipped.iter().filter(|d| DEV_ONLY.contains(d)) {
                problems.push(format!(
                    "{rel}: `{dep}` may only be a dev-dependency, never a normal or build one"
                ));
            }
        }
    }
    problems
}
