//! `cargo xtask bench infer`: `mhub bench` next to onnxruntime on the same files, one thread and all cores, small demo models and real-weight convnets.
//!
//! The real-weight models are the onnx package's "light" models with their `ConstantOfShape`
//! weights turned into seeded initializers (`xtask/models/real_weights.py`), written under
//! `target/bench/real` and never committed: the light models as committed rebuild their
//! weights on every run in a runtime that does not fold constants over 4 MiB, so they time
//! repacking, not convolution.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The real-weight models, as `real_weights.py` names them.
pub(crate) const REAL: [&str; 6] = [
    "squeezenet",
    "shufflenet",
    "inception_v1",
    "densenet121",
    "resnet50",
    "alexnet",
];

/// The committed small models.
const SMALL: [&str; 3] = ["digits2", "digits", "iris"];

/// Writes the real-weight models unless they are there; returns their folder.
pub(crate) fn real_models(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/bench/real");
    let complete = REAL.iter().all(|name| {
        ["onnx", "json", "input.npy"]
            .iter()
            .all(|ext| dir.join(format!("{name}.{ext}")).is_file())
    });
    if !complete {
        let python = crate::venv()?;
        let script = root.join("xtask/models/real_weights.py");
        crate::run(
            &python.display().to_string(),
            &[&script.display().to_string(), &dir.display().to_string()],
        )?;
    }
    Ok(dir)
}

/// Runs `command` and returns its standard output, failing with its standard error.
fn output(mut command: Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `mhub bench --json` of `model` with `threads`, in a bench cache of its own.
fn mhub_bench(mhub: &Path, cache: &Path, model: &Path, threads: usize) -> Result<Value, String> {
    let mut command = Command::new(mhub);
    command
        .args([
            "bench",
            "--json",
            "--quiet",
            "--threads",
            &threads.to_string(),
        ])
        .arg(model)
        .env("MHUB_DIR", cache);
    let text = output(command)?;
    serde_json::from_str(&text).map_err(|e| format!("mhub bench printed no JSON: {e}"))
}

/// onnxruntime on `models` with `threads`, keyed by model path.
fn ort(python: &Path, root: &Path, models: &[PathBuf], threads: usize) -> HashMap<String, Value> {
    let mut command = Command::new(python);
    command
        .arg(root.join("xtask/models/bench_ort.py"))
        .args(["--threads", &threads.to_string()])
        .args(models);
    match output(command) {
        Ok(text) => text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| Some((v["model"].as_str()?.to_owned(), v)))
            .collect(),
        Err(e) => {
            println!("onnxruntime: not measured ({e})");
            HashMap::new()
        }
    }
}

/// The largest difference between mhub's outputs on the benchmark input and onnxruntime's.
fn agreement(mhub: &Path, cache: &Path, dir: &Path, name: &str) -> Result<f64, String> {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.json")))
            .map_err(|e| format!("cannot read {name}.json: {e}"))?,
    )
    .map_err(|e| format!("{name}.json: {e}"))?;
    let mut command = Command::new(mhub);
    command
        .args(["run", "--json", "--quiet", "--top-k", "1"])
        .arg(dir.join(format!("{name}.onnx")))
        .arg("--input")
        .arg(dir.join(format!("{name}.input.npy")))
        .env("MHUB_DIR", cache);
    let ran: Value = serde_json::from_str(&output(command)?)
        .map_err(|e| format!("mhub run printed no JSON: {e}"))?;
    let got = ran["outputs"][0]["data"]
        .as_array()
        .ok_or("mhub run printed no outputs")?;
    let want = expected["values"].as_array().ok_or("no expected values")?;
    if got.len() != want.len() {
        return Err(format!(
            "{name}: {} outputs, expected {}",
            got.len(),
            want.len()
        ));
    }
    Ok(got
        .iter()
        .zip(want)
        .map(|(g, w)| (g.as_f64().unwrap_or(f64::NAN) - w.as_f64().unwrap_or(f64::NAN)).abs())
        .fold(0.0, f64::max))
}

fn geomean(values: &[f64]) -> f64 {
    (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp()
}

/// Measures and prints the tables.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let real = real_models(root)?;
    crate::run("cargo", &["build", "--release", "--locked", "-p", "cli"])?;
    let mhub = root.join("target/release/mhub");
    let python = crate::venv()?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let models: Vec<(String, PathBuf)> = SMALL
        .iter()
        .map(|n| {
            (
                (*n).to_owned(),
                root.join(format!("hub/models/{n}/model.onnx")),
            )
        })
        .chain(
            REAL.iter()
                .map(|n| ((*n).to_owned(), real.join(format!("{n}.onnx")))),
        )
        .collect();
    let paths: Vec<PathBuf> = models.iter().map(|(_, p)| p.clone()).collect();
    let cache = root.join("target/bench/infer-cache");
    let mut settings = vec![1];
    if cores > 1 {
        settings.push(cores);
    }
    for threads in settings {
        // A cold cache each time: the first load parses and tunes, the reloads use the plan.
        let _ = std::fs::remove_dir_all(&cache);
        let theirs = ort(&python, root, &paths, threads);
        let version = theirs
            .values()
            .find_map(|v| v["version"].as_str())
            .unwrap_or("(not found)");
        println!(
            "\nbenchmark: inference, batch 1, {threads} thread{}, mhub (`mhub bench`, tract, tuned) next to onnxruntime {version}, same files and input",
            if threads == 1 { "" } else { "s" },
        );
        println!(
            "{:<13} {:>10} {:>10} {:>10} {:>6} {:>10} {:>10} {:>10} {:>6}  tuning (mhub)",
            "model", "1st load", "load", "ort load", "ratio", "run", "run p90", "ort run", "ratio",
        );
        let (mut run_ratios, mut load_ratios) = (Vec::new(), Vec::new());
        for (name, path) in &models {
            let ours = mhub_bench(&mhub, &cache, path, threads)?;
            let theirs = theirs.get(&path.display().to_string());
            let get =
                |v: Option<&Value>, key: &str| v.and_then(|v| v[key].as_f64()).unwrap_or(f64::NAN);
            let (run, ort_run) = (get(Some(&ours), "run_ms"), get(theirs, "run_ms"));
            let (load, ort_load) = (get(Some(&ours), "load_ms"), get(theirs, "load_ms"));
            if REAL.contains(&name.as_str()) && ort_run.is_finite() {
                run_ratios.push(run / ort_run);
                load_ratios.push(load / ort_load);
            }
            println!(
                "{name:<13} {:>10.1} {load:>10.1} {ort_load:>10.1} {:>6.2} {run:>10.3} {:>10.3} {ort_run:>10.3} {:>6.2}  {}",
                get(Some(&ours), "first_load_ms"),
                load / ort_load,
                get(Some(&ours), "p90_ms"),
                run / ort_run,
                ours["tuning"].as_str().unwrap_or("?"),
            );
        }
        if !run_ratios.is_empty() {
            let worst = run_ratios.iter().copied().fold(0.0, f64::max);
            println!(
                "real-weight models: run ratio geometric mean {:.2} (target <= 1.3), worst {worst:.2} (target <= 1.6); \
                 load ratio geometric mean {:.2} (target <= 1.0)",
                geomean(&run_ratios),
                geomean(&load_ratios)
            );
        }
    }
    println!(
        "ms; load: median of reloads with the plan and tuning kept in the cache; 1st load: a cold cache (ONNX parsed, plan kept), tuning not included; ratio = mhub / onnxruntime"
    );
    let mut worst = 0.0f64;
    for name in REAL {
        worst = worst.max(agreement(&mhub, &cache, &real, name)?);
    }
    println!(
        "outputs on the benchmark input agree with onnxruntime's within {worst:.2e} (largest difference, real-weight models)"
    );
    Ok(())
}
