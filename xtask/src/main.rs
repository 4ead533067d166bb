//! `cargo xtask`: the workspace's automation, in Rust instead of shell scripts.
//!
//! - `ci`: exactly what CI runs — installs what a fresh machine lacks, then
//!   format check, clippy with warnings denied, every test, the wasm32 build.
//! - `tidy`: the house rules and crate boundaries (also run by `cargo test`).
//! - `web`: builds the web app and its inference worker into `web/dist` (release; `--dev`: quick).
//! - `bench`: benchmarks with numbers printed, never asserted.
//! - `models`: regenerates the demo hub's models in a pinned Python environment.
//! - `fuzz`: runs every fuzz target of `crates/fuzz` for a while (needs nightly and cargo-fuzz).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod tidy;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "usage: cargo xtask <ci | tidy | web [--dev] | bench [validate|pull|infer|serve|web [--dev] [catalogue|infer]] | models | fuzz [SECONDS] [TARGET...]>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("tidy") => tidy::check(&root()).map(|()| println!("tidy: ok")),
        Some("bench") => bench::run(&root(), args.get(1).map(String::as_str)),
        Some("models") => models(),
        Some("web") => match args.get(1).map(String::as_str) {
            None => web::build(true).map(drop),
            Some("--dev") => web::build(false).map(drop),
            Some(other) => Err(format!("unknown option `{other}`\n{USAGE}")),
        },
        Some("fuzz") => fuzz(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs a command in the workspace root, echoing it, failing on a non-zero exit.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_env(program, args, &[])
}

/// [`run`] with extra environment variables.
pub(crate) fn run_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    eprintln!("$ {shown}{program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed with {status}",
            args.join(" ")
        ))
    }
}

/// Whether a rustup target is installed.
fn has_target(target: &str) -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root())
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == target)
        })
}

fn ci() -> Result<(), String> {
    if !has_target("wasm32-unknown-unknown") {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    run("cargo", &["fmt", "--all", "--check"])
        .map_err(|e| format!("{e}\nfix: run `cargo fmt --all`"))?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The web app's end-to-end tests (part of the workspace tests) need the
    // app built, the `mhub` binary and a browser. Building the app also keeps
    // `uid`, `manifest` and `runtime` (with SIMD128) building for wasm32.
    web::ensure_chromium()?;
    web::build(false)?;
    web::clippy_worker()?;
    run("cargo", &["build", "--locked", "-p", "cli"])?;
    run("cargo", &["test", "--workspace", "--locked"])?;
    // The web app's DOM tests, in headless Chromium.
    web::dom_tests()?;
    // The demo hub validates clean, and the README's first command runs.
    let cli = ["run", "--locked", "--quiet", "-p", "cli", "--"];
    run("cargo", &[&cli[..], &["validate", "hub"]].concat())?;
    let digits = [
        "run",
        "mhub/cpu/1.0/digits_v2.0_digits",
        "--input",
        "hub/models/digits2/sample.png",
    ];
    // A cache of its own, so CI depends on neither $HOME nor what an earlier run left.
    let cache = root().join("target/ci-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let cache = cache.display().to_string();
    run_env(
        "cargo",
        &[&cli[..], &digits].concat(),
        &[("MHUB_DIR", &cache)],
    )?;
    println!("ci: all checks passed");
    Ok(())
}

/// The Python of the virtual environment under `target/` with the pinned packages of
/// `xtask/models/requirements.txt` (onnx, onnxruntime, scikit-learn), made or updated.
pub(crate) fn venv() -> Result<PathBuf, String> {
    let venv = root().join("target/models-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run("python3", &["-m", "venv", &venv.display().to_string()])?;
    }
    let requirements = root().join("xtask/models/requirements.txt");
    run(
        &python.display().to_string(),
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "-r",
            &requirements.display().to_string(),
        ],
    )?;
    Ok(python)
}

/// Trains the demo models into `hub/` with the pinned packages of
/// `xtask/models/requirements.txt`, in a virtual environment under `target/`,
/// then rewrites `hub/index.json`. The outputs are committed.
fn models() -> Result<(), String> {
    let python = venv()?;
    let script = root()
        .join("xtask/models/generate.py")
        .display()
        .to_string();
    let hub = root().join("hub").display().to_string();
    let hostile = root()
        .join("crates/runtime/tests/data/hostile")
        .display()
        .to_string();
    let sandboxed = root().join("crates/cli/tests/data").display().to_string();
    run(
        &python.display().to_string(),
        &[&script, &hub, &hostile, &sandboxed],
    )?;
    run(
        "cargo",
        &["run", "--quiet", "-p", "cli", "--", "index", "hub"],
    )
}

/// The fuzz targets: one `crates/fuzz/fuzz/fuzz_targets/<name>.rs` each, sorted.
fn fuzz_targets(dir: &Path) -> Result<Vec<String>, String> {
    let folder = dir.join("fuzz/fuzz_targets");
    let entries = std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}

/// `cargo xtask fuzz [SECONDS] [TARGET...]`: each target (all by default) for `SECONDS`
/// (60 by default) with cargo-fuzz on nightly, starting from its saved seeds. A crash,
/// timeout or out-of-memory input is written to `crates/fuzz/regressions/<target>/`,
/// where a plain `cargo test -p fuzz` replays it until it is fixed.
fn fuzz(args: &[String]) -> Result<(), String> {
    let dir = root().join("crates/fuzz");
    let (seconds, asked) = match args.first().map(|s| s.parse::<u64>()) {
        Some(Ok(n)) => (n, &args[1..]),
        _ => (60, args),
    };
    let all = fuzz_targets(&dir)?;
    if let Some(unknown) = asked.iter().find(|a| !all.contains(a)) {
        return Err(format!(
            "no fuzz target `{unknown}`; the targets are {}",
            all.join(", ")
        ));
    }
    let targets: Vec<&String> = if asked.is_empty() {
        all.iter().collect()
    } else {
        asked.iter().collect()
    };
    let mut failed = Vec::new();
    for target in targets {
        let corpus = root().join("target/fuzz-corpus").join(target);
        let saved = dir.join("regressions").join(target);
        for folder in [&corpus, &saved] {
            std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        }
        let seeds = dir.join("seeds").join(target);
        let time = format!("-max_total_time={seconds}");
        let prefix = format!("-artifact_prefix={}/", saved.display());
        // The workspace forbids `unsafe`: what a fuzzer finds here is a panic, a hang or
        // a blow-up, which need no sanitizer and build much faster without one.
        let fuzz_args = [
            "+nightly",
            "fuzz",
            "run",
            "--sanitizer",
            "none",
            target.as_str(),
        ];
        let corpora = [corpus.display().to_string(), seeds.display().to_string()];
        let engine = [
            time.as_str(),
            prefix.as_str(),
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=262144",
        ];
        eprintln!(
            "$ cargo {} {} -- {}   (in crates/fuzz)",
            fuzz_args.join(" "),
            corpora.join(" "),
            engine.join(" ")
        );
        let status = Command::new("cargo")
            .args(fuzz_args)
            .args(&corpora)
            .arg("--")
            .args(engine)
            .current_dir(&dir)
            .status()
            .map_err(|e| format!("cannot run cargo fuzz: {e}; it needs `rustup toolchain install nightly` and `cargo install cargo-fuzz`"))?;
        if !status.success() {
            failed.push(target.as_str());
        }
    }
    // An empty regressions folder is not worth keeping.
    for target in &all {
        let _ = std::fs::remove_dir(dir.join("regressions").join(target));
    }
    let _ = std::fs::remove_dir(dir.join("regressions"));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found inputs that break {}: they are saved under crates/fuzz/regressions/, and `cargo test -p fuzz` replays them",
            failed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests;
