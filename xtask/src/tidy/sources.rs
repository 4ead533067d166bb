//! Source rules: over the workspace's `.rs` files, and over the paths ARCHITECTURE.md names.

/// A source file: its path relative to the workspace root (`/`-separated) and its text.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) path: String,
    pub(crate) text: String,
}

/// File names the house style forbids.
const FORBIDDEN_FILES: &[&str] = &["mod.rs", "utils.rs", "helpers.rs", "common.rs"];

/// Folders whose files may read environment variables.
const ENV_READERS: &[&str] = &["crates/cli/", "xtask/"];

/// The most lines a library file under `crates/*/src` may have; tests are not counted.
const MAX_LINES: usize = 600;

/// Paths ARCHITECTURE.md names that a build writes and git ignores.
const GENERATED: &[&str] = &["web/dist"];

/// Runs every per-file rule on every file.
pub(crate) fn check_sources(files: &[Source]) -> Vec<String> {
    let rules: &[fn(&Source) -> Option<String>] =
        &[doc_comment, file_name, env_reads, lib_example, length];
    files
        .iter()
        .flat_map(|file| rules.iter().filter_map(|rule| rule(file)))
        .collect()
}

fn name(file: &Source) -> &str {
    file.path.rsplit('/').next().unwrap_or_default()
}

fn doc_comment(file: &Source) -> Option<String> {
    (!file.text.starts_with("//!"))
        .then(|| format!("{}: must start with a one-line `//!` doc", file.path))
}

fn file_name(file: &Source) -> Option<String> {
    let name = name(file);
    FORBIDDEN_FILES.contains(&name).then(|| {
        format!(
            "{}: `{name}` is not allowed; use `foo.rs` + `foo/` and name the concept",
            file.path
        )
    })
}

fn env_reads(file: &Source) -> Option<String> {
    let reads = ["env::var(", "env::var_os(", "env::vars("]
        .iter()
        .any(|call| file.text.contains(call));
    (reads && !ENV_READERS.iter().any(|dir| file.path.starts_with(dir))).then(|| {
        format!(
            "{}: only the cli reads environment variables; take the value as a parameter",
            file.path
        )
    })
}

fn lib_example(file: &Source) -> Option<String> {
    (name(file) == "lib.rs" && !file.text.contains("# Example"))
        .then(|| format!("{}: the crate docs need a compiled `# Example`", file.path))
}

fn length(file: &Source) -> Option<String> {
    let segments: Vec<&str> = file.path.split('/').collect();
    let library = segments.len() > 3
        && segments[0] == "crates"
        && segments[2] == "src"
        && !segments[3..].contains(&"tests")
        && name(file) != "tests.rs";
    let lines = file.text.lines().count();
    (library && lines > MAX_LINES).then(|| {
        format!(
            "{}: {lines} lines, over the {MAX_LINES} a library file may have; split it by concept",
            file.path
        )
    })
}

/// Every path ARCHITECTURE.md names in backticks exists: under the code map's `### `dir/``
/// headings a name is looked up in that folder, then its `src/`, then the root; elsewhere
/// only names that start with an existing top-level folder are checked (others are patterns,
/// like `src/tests.rs`). A name looks like a path when it has a `/` or ends in `.rs`; names with
/// placeholders (`<hex>`, `[:ref]`, `*`) or spaces, and URL paths, are not paths.
pub(crate) fn check_architecture(text: &str, exists: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    let mut folder: Option<&str> = None;
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if line.starts_with("## ") {
            folder = None;
        }
        if let Some(heading) = line.strip_prefix("### ") {
            folder = heading
                .trim()
                .strip_prefix('`')
                .and_then(|h| h.strip_suffix('`'))
                .filter(|h| h.ends_with('/'));
        }
        for name in line.split('`').skip(1).step_by(2) {
            for path in expand(name).into_iter().flatten() {
                let candidates = match folder {
                    Some(dir) => vec![format!("{dir}{path}"), format!("{dir}src/{path}"), path],
                    None => {
                        let top = path.split('/').next().unwrap_or_default();
                        if !path.contains('/') || !exists(top) {
                            continue;
                        }
                        vec![path]
                    }
                };
                let generated = |c: &String| GENERATED.contains(&c.trim_end_matches('/'));
                if !candidates.iter().any(|c| generated(c) || exists(c)) {
                    problems.push(format!(
                        "ARCHITECTURE.md:{}: `{name}` names no file; fix the path or the text",
                        n + 1
                    ));
                    break;
                }
            }
        }
    }
    problems
}

/// The paths a backticked name stands for (`a/{b,c}.rs` is two), or `None` if it is not a path.
fn expand(name: &str) -> Option<Vec<String>> {
    let pathlike = name.contains('/') || name.strip_suffix(".rs").is_some_and(|s| !s.is_empty());
    let placeholder = name.contains([' ', '<', '>', '[', ']', '*', '$', ':', '=', '"']);
    if !pathlike || placeholder || name.starts_with('/') {
        return None;
    }
    let Some((head, rest)) = name.split_once('{') else {
        return Some(vec![name.to_owned()]);
    };
    let (alternatives, tail) = rest.split_once('}')?;
    if !alternatives.contains(',') || tail.contains('{') {
        return None;
    }
    Some(
        alternatives
            .split(',')
            .map(|a| format!("{head}{a}{tail}"))
            .collect(),
    )
}
