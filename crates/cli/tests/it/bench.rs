//! `mhub bench`, and the plans, tunings and threads `run` and `bench` share through the cache.

use super::{repo, transcript};
use std::path::Path;
use std::process::{Command, Output};

fn mhub(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", cache)
        .env("MHUB_HUB", repo().join("hub"))
        .output()
        .expect("mhub runs")
}

fn json(out: &Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", transcript(out, None));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

const SQUEEZENET: &str = "hub/models/squeezenet/model.onnx";

#[test]
fn bench_tunes_and_keeps_a_plan_at_first_then_reuses_them() {
    let cache = tempfile::tempdir().expect("temp");
    let args = [
        "bench",
        SQUEEZENET,
        "--threads",
        "1",
        "--max-time",
        "0.3",
        "--json",
        "--plan-min-size",
        "0",
    ];
    let first = json(&mhub(cache.path(), &args));
    assert_eq!(first["model"], SQUEEZENET);
    assert_eq!(first["plan"], "written");
    assert_eq!(first["threads"], 1);
    assert!(first["tuning_ms"].as_f64().expect("tuned now") > 0.0);
    for key in ["load_ms", "first_load_ms", "run_ms", "p90_ms"] {
        assert!(first[key].as_f64().expect(key) > 0.0, "{key}: {first}");
    }
    assert!(first["run_ms"].as_f64() <= first["p90_ms"].as_f64());
    assert!(first["runs"].as_u64().expect("runs") >= 3);
    assert_eq!(first["loads"].as_u64().map(|n| n >= 1), Some(true));
    let second = json(&mhub(cache.path(), &args));
    assert_eq!(second["plan"], "cached");
    assert_eq!(
        second["tuning_ms"],
        serde_json::Value::Null,
        "the kept tuning is used"
    );
    assert_eq!(second["tuning"], first["tuning"]);
    // One plan and one tuning (this machine, one thread) for the file.
    let ls = mhub(cache.path(), &["cache", "ls"]);
    assert!(
        String::from_utf8_lossy(&ls.stdout).contains("1 plans and 1 tunings for 1 model files"),
        "{}",
        transcript(&ls, None)
    );
    // Not a model of the cache: prune takes its plan.
    let prune = mhub(cache.path(), &["cache", "prune"]);
    assert!(
        String::from_utf8_lossy(&prune.stdout).contains("and 1 plans"),
        "{}",
        transcript(&prune, None)
    );
    assert_eq!(json(&mhub(cache.path(), &args))["plan"], "written");
}

#[test]
fn bench_of_a_hub_model_prints_load_and_run_medians() {
    let cache = tempfile::tempdir().expect("temp");
    let out = mhub(
        cache.path(),
        &[
            "bench",
            "mhub/cpu/1.0/digits_v1.0_digits",
            "--input",
            "hub/models/digits/sample.png",
            "--max-time",
            "0.2",
            "--threads",
            "2",
            "--tune-budget",
            "0",
            "--plan-min-size",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0], "model    mhub/cpu/1.0/digits_v1.0_digits");
    assert!(lines[1].ends_with(", 2 threads"), "{text}");
    assert_eq!(lines[2], "tuning   default");
    assert!(lines[3].starts_with("load     ") && lines[3].contains("(parsed, plan kept)"));
    assert!(lines[4].starts_with("run      ") && lines[4].contains(" ms p90, "));
    // Removing the model removes its plan.
    let rm = mhub(
        cache.path(),
        &["cache", "rm", "mhub/cpu/1.0/digits_v1.0_digits"],
    );
    assert!(
        String::from_utf8_lossy(&rm.stdout).contains(", 1 plans,"),
        "{}",
        transcript(&rm, None)
    );
}

#[test]
fn run_uses_the_threads_asked_and_the_kept_plan() {
    let cache = tempfile::tempdir().expect("temp");
    let run = [
        "run",
        "mhub/cpu/1.0/digits_v1.0_digits",
        "-i",
        "hub/models/digits/sample.png",
        "--json",
        "--threads",
        "2",
        "--tune-budget",
        "0",
        "--plan-min-size",
        "0",
    ];
    // By default a model this small (19 KB) is parsed each time: no plan is kept.
    let small = json(&mhub(cache.path(), &run[..run.len() - 2]));
    assert_eq!(small["plan"], "none");
    let first = json(&mhub(cache.path(), &run));
    assert_eq!(
        (&first["plan"], &first["threads"]),
        (&"written".into(), &2.into())
    );
    assert_eq!(first["tuning"], "default");
    let second = json(&mhub(cache.path(), &run));
    assert_eq!(second["plan"], "cached");
    assert_eq!(second["top"], first["top"]);
    // A damaged plan is not used: it is made again, and the answer is the same.
    let compiled = cache.path().join("v2/compiled/tract-0.23.9");
    let model = std::fs::read_dir(&compiled)
        .expect("compiled")
        .next()
        .expect("a model")
        .expect("entry")
        .path();
    let plan = model.join("plan");
    let mut bytes = std::fs::read(&plan).expect("plan");
    let at = bytes.len() - 100;
    bytes[at] ^= 0xff;
    std::fs::remove_file(&plan).expect("remove");
    std::fs::write(&plan, bytes).expect("write");
    let verify = mhub(cache.path(), &["cache", "verify"]);
    assert_eq!(
        verify.status.code(),
        Some(1),
        "{}",
        transcript(&verify, None)
    );
    let third = json(&mhub(cache.path(), &run));
    assert_eq!(third["plan"], "written");
    assert_eq!(third["top"], first["top"]);
    let verify = mhub(cache.path(), &["cache", "verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        transcript(&verify, None)
    );
}

#[test]
fn tuning_is_bounded_by_its_budget_and_said() {
    let cache = tempfile::tempdir().expect("temp");
    let out = mhub(
        cache.path(),
        &[
            "bench",
            SQUEEZENET,
            "--threads",
            "1",
            "--tune-budget",
            "0.001",
            "--max-time",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("(tuned now in ") && text.contains(" 1 settings timed"),
        "{text}"
    );
}

#[test]
fn bad_bench_arguments_and_models_are_clear_errors() {
    let cache = tempfile::tempdir().expect("temp");
    let zero = mhub(cache.path(), &["bench", SQUEEZENET, "--max-time", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&zero.stderr),
        "error: --max-time must be a positive number of seconds\n"
    );
    let threads = mhub(cache.path(), &["bench", SQUEEZENET, "--threads", "0"]);
    assert_eq!(
        threads.status.code(),
        Some(2),
        "{}",
        transcript(&threads, None)
    );
    let missing = mhub(cache.path(), &["bench", "no/such/model.onnx"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read `no/such/model.onnx`"));
    let hostile = mhub(
        cache.path(),
        &["bench", "crates/runtime/tests/data/hostile/chain_40k.onnx"],
    );
    assert_eq!(
        String::from_utf8_lossy(&hostile.stderr),
        "error: refusing the model: the model has more than 10000 nodes\n"
    );
    let wrong = mhub(
        cache.path(),
        &["bench", SQUEEZENET, "--input", "hub/models/iris/sample.npy"],
    );
    assert_eq!(wrong.status.code(), Some(2), "{}", transcript(&wrong, None));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("expected 4 dimensions"));
}
