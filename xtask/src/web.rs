//! `cargo xtask web`: builds the web app and its inference worker for the browser into `web/dist`.

use crate::{root, run, run_env};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The static files copied next to the generated ones.
const STATIC: [&str; 5] = [
    "index.html",
    "boot.js",
    "style.css",
    "infer-worker.js",
    "sw.js",
];

/// The binaryen release `cargo xtask web --release` installs when no `wasm-opt` 116+ is found.
const BINARYEN: &str = "binaryen@132.0.0";

/// Where the app is written; `mhub serve` looks here by default.
pub(crate) fn dist() -> PathBuf {
    root().join("web/dist")
}

/// The `wasm-bindgen` version `Cargo.lock` pins; the CLI must match it exactly.
fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock has no wasm-bindgen".to_owned())
}

/// Installs `wasm-bindgen-cli` at the locked version unless that version is on the PATH.
pub(crate) fn ensure_wasm_bindgen() -> Result<(), String> {
    let version = locked_wasm_bindgen()?;
    let installed = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if installed != format!("wasm-bindgen {version}") {
        // `--locked` fails on an index mismatch for this crate; the version pin is what matters.
        run(
            "cargo",
            &["install", "wasm-bindgen-cli", "--version", &version],
        )?;
    }
    Ok(())
}

/// A `wasm-opt` that produces modules browsers can instantiate (binaryen 116 or later), if any.
fn wasm_opt() -> Option<String> {
    let candidates = [
        "wasm-opt".to_owned(),
        root()
            .join("target/tools/node_modules/.bin/wasm-opt")
            .display()
            .to_string(),
    ];
    candidates.into_iter().find(|program| {
        Command::new(program)
            .arg("--version")
            .output()
            .ok()
            .is_some_and(|o| {
                let text = String::from_utf8_lossy(&o.stdout);
                let version = text.split_whitespace().find_map(|w| w.parse::<u32>().ok());
                version.is_some_and(|v| v >= 116)
            })
    })
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |v| v.len())
}

/// One wasm module of the app: a package's binary built with some target features.
struct Module {
    package: &'static str,
    /// Extra features, beside SIMD128 (each build gets a target folder of its own).
    features: Option<&'static str>,
    /// `+relaxed-simd` and the like, beside `+simd128`.
    target_features: &'static str,
    /// The name of its files: `<out_name>.js`, `<out_name>_bg.wasm`.
    out_name: &'static str,
    /// Where cargo builds it, under `target/`.
    target_dir: &'static str,
}

/// The page, and the inference worker twice: with SIMD128, and with relaxed SIMD too
/// (fused multiply-adds in tract's kernels), which `infer-worker.js` picks when the browser
/// validates a relaxed-SIMD instruction. Two cargo builds of the worker, because in one
/// cargo would unify the worker's features into the app's dependencies and link tract into
/// the first page.
const MODULES: [Module; 3] = [
    Module {
        package: "web",
        features: None,
        target_features: "+simd128",
        out_name: "web",
        target_dir: "target/web",
    },
    Module {
        package: "infer",
        features: Some("infer/worker"),
        target_features: "+simd128",
        out_name: "infer",
        target_dir: "target/web",
    },
    Module {
        package: "infer",
        features: Some("infer/worker"),
        target_features: "+simd128,+relaxed-simd",
        out_name: "infer_relaxed",
        target_dir: "target/web-relaxed",
    },
];

impl Module {
    /// Builds it with cargo, runs `wasm-bindgen` into `staging`, and `wasm-opt` on a release.
    fn build(&self, profile: &str, release: bool, staging: &Path) -> Result<(), String> {
        let target_dir = root().join(self.target_dir).display().to_string();
        let mut args = vec![
            "build",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
            "-p",
            self.package,
            "--bin",
            self.package,
        ];
        args.extend(self.features.iter().flat_map(|f| ["--features", *f]));
        let rustflags = format!("-C target-feature={}", self.target_features);
        run_env(
            "cargo",
            &args,
            &[("RUSTFLAGS", &rustflags), ("CARGO_TARGET_DIR", &target_dir)],
        )?;
        let wasm = root()
            .join(self.target_dir)
            .join("wasm32-unknown-unknown")
            .join(profile)
            .join(format!("{}.wasm", self.package))
            .display()
            .to_string();
        run(
            "wasm-bindgen",
            &[
                &[
                    "--target",
                    "web",
                    "--no-typescript",
                    "--out-name",
                    self.out_name,
                    "--out-dir",
                    &staging.display().to_string(),
                ][..],
                // Function names help read a crash in development; a release ships without them.
                if release {
                    &["--remove-name-section", "--remove-producers-section"][..]
                } else {
                    &[]
                },
                &[&wasm[..]],
            ]
            .concat(),
        )?;
        // wasm-opt takes minutes on the worker and saves under 1% gzipped: releases only.
        match wasm_opt().filter(|_| release) {
            Some(program) => {
                let file = staging
                    .join(format!("{}_bg.wasm", self.out_name))
                    .display()
                    .to_string();
                let mut args = vec![
                    "-Oz",
                    "--enable-simd",
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                    "--enable-sign-ext",
                    "--enable-mutable-globals",
                    "--enable-reference-types",
                    "--enable-multivalue",
                ];
                if self.target_features.contains("relaxed-simd") {
                    args.push("--enable-relaxed-simd");
                }
                args.extend(["-o", &file, &file]);
                run(&program, &args)
            }
            None if release => {
                eprintln!(
                    "web: no wasm-opt 116+ found (npm's `binaryen` has one); the wasm is not size-optimised"
                );
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// Builds the app: `release` with fat LTO and size optimisation, otherwise the quick `wasm-dev` profile.
pub(crate) fn build(release: bool) -> Result<PathBuf, String> {
    ensure_wasm_bindgen()?;
    let profile = if release { "wasm-release" } else { "wasm-dev" };
    let out = dist();
    let staging = root().join("web/dist.tmp");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    // A release gets binaryen from npm when the machine has no good `wasm-opt`
    // (Debian's binaryen 108 writes modules that fail to instantiate).
    if release && wasm_opt().is_none() {
        let tools = root().join("target/tools").display().to_string();
        run(
            "npm",
            &["install", "--prefix", &tools, "--no-save", BINARYEN],
        )?;
    }
    for module in MODULES {
        module.build(profile, release, &staging)?;
    }
    // The service worker's cache is named after the build, so a new build replaces the old files.
    let mut hash = Sha256::new();
    let built: Vec<String> = MODULES
        .iter()
        .flat_map(|m| {
            [
                format!("{}_bg.wasm", m.out_name),
                format!("{}.js", m.out_name),
            ]
        })
        .collect();
    for name in &built {
        hash.update(
            std::fs::read(staging.join(name)).map_err(|e| format!("cannot read {name}: {e}"))?,
        );
    }
    let build_id: String = hash
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    for name in STATIC {
        let from = root().join("web/static").join(name);
        let text = std::fs::read_to_string(&from)
            .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let text = text.replace("__BUILD__", &build_id);
        std::fs::write(staging.join(name), text)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    let _ = std::fs::remove_dir_all(&out);
    std::fs::rename(&staging, &out)
        .map_err(|e| format!("cannot move the build to {}: {e}", out.display()))?;
    report(&out)?;
    Ok(out)
}

/// Prints each file's size raw and gzipped, and what the first page and the inference worker cost.
fn report(out: &Path) -> Result<(), String> {
    let size = |name: &str| -> Result<(usize, usize), String> {
        let bytes =
            std::fs::read(out.join(name)).map_err(|e| format!("cannot read {name}: {e}"))?;
        Ok((bytes.len(), gzipped(&bytes)))
    };
    let kib = |n: usize| format!("{:.1} KiB", n as f64 / 1024.0);
    let group = |title: &str, names: &[&str]| -> Result<(), String> {
        let (mut raw, mut gz) = (0, 0);
        for name in names {
            let (r, g) = size(name)?;
            println!("  {name:<18} {:>12} raw {:>12} gzip", kib(r), kib(g));
            raw += r;
            gz += g;
        }
        println!("  {title:<18} {:>12} raw {:>12} gzip", kib(raw), kib(gz));
        Ok(())
    };
    println!("web: built {}", out.display());
    group(
        "first page",
        &[
            "index.html",
            "boot.js",
            "style.css",
            "web.js",
            "web_bg.wasm",
        ],
    )?;
    group(
        "inference worker",
        &["infer-worker.js", "infer.js", "infer_bg.wasm"],
    )?;
    group(
        "relaxed-SIMD worker",
        &[
            "infer-worker.js",
            "infer_relaxed.js",
            "infer_relaxed_bg.wasm",
        ],
    )?;
    Ok(())
}

/// Installs Debian's Chromium and chromedriver when they are missing (CI machines start bare).
pub(crate) fn ensure_chromium() -> Result<(), String> {
    let present = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if present("chromium") && present("chromedriver") {
        return Ok(());
    }
    run("apt-get", &["update"])?;
    run_env(
        "apt-get",
        &[
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ],
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )
}

/// Runs the web crate's `wasm-bindgen-test` tests in headless Chromium.
pub(crate) fn dom_tests() -> Result<(), String> {
    ensure_wasm_bindgen()?;
    let target_dir = root().join("target/web").display().to_string();
    run_env(
        "cargo",
        &[
            "test",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "web",
            "--test",
            "it",
        ],
        &[
            ("RUSTFLAGS", "-C target-feature=+simd128"),
            ("CARGO_TARGET_DIR", &target_dir),
            ("CHROMEDRIVER", "chromedriver"),
            ("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        ],
    )
}

/// Clippy on the worker's wasm32-only glue, which a native `cargo clippy` never compiles.
pub(crate) fn clippy_worker() -> Result<(), String> {
    let target_dir = root().join("target/web").display().to_string();
    run_env(
        "cargo",
        &[
            "clippy",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "infer",
            "--features",
            "worker",
            "--bins",
            "--",
            "-D",
            "warnings",
        ],
        &[
            ("RUSTFLAGS", "-C target-feature=+simd128"),
            ("CARGO_TARGET_DIR", &target_dir),
        ],
    )
}
