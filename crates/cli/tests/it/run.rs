//! `mhub run` on the demo hub's models, and the demo hub's assets against their cards.

use super::{repo, transcript};
use std::process::Command;

fn mhub(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", cache)
        .env("MHUB_HUB", repo().join("hub"))
        .output()
        .expect("mhub runs")
}

#[test]
fn every_demo_asset_matches_its_card() {
    let cache = tempfile::tempdir().expect("temp");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo().join("hub/index.json")).expect("index"))
            .expect("json");
    let mut pulled = 0;
    for model in index["models"].as_array().expect("models") {
        let local = model["assets"].as_array().expect("assets").iter().all(|a| {
            !a["asset-link"]
                .as_str()
                .unwrap_or_default()
                .starts_with("https://")
        });
        if local {
            let out = mhub(
                cache.path(),
                &["pull", "-q", model["uid"].as_str().expect("uid")],
            );
            assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
            pulled += 1;
        }
    }
    assert!(pulled >= 2, "the demo hub has runnable models");
    let verify = mhub(cache.path(), &["cache", "verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        transcript(&verify, None)
    );
}

#[test]
fn digits_sample_is_a_seven() {
    let cache = tempfile::tempdir().expect("temp");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "mhub/cpu/1.0/digits_v1.0_digits",
            "--input",
            "hub/models/digits/sample.npy",
            "--top-k",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["top"][0]["label"], "7");
    assert!(json["top"][0]["score"].as_f64().expect("score") > 0.9);
}

#[test]
fn digits_from_the_sample_picture() {
    let cache = tempfile::tempdir().expect("temp");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "mhub/cpu/1.0/digits_v1.0_digits",
            "--input",
            "hub/models/digits/sample.png",
            "--top-k",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("7 "),
        "{}",
        transcript(&out, None)
    );
}

#[test]
fn a_card_that_disagrees_with_its_model_is_refused() {
    let hub = tempfile::tempdir().expect("temp");
    let card = std::fs::read_to_string(repo().join("hub/assets/mhub/cpu/1.0/iris_v1.0_iris.md"))
        .expect("card");
    let card = card.replace("- name: measurements", "- name: features");
    let dir = hub.path().join("assets/mhub/cpu/1.0");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("iris_v1.0_iris.md"), card).expect("card");
    std::fs::create_dir_all(hub.path().join("models/iris")).expect("mkdir");
    for file in ["model.onnx", "labels.txt"] {
        std::fs::copy(
            repo().join("hub/models/iris").join(file),
            hub.path().join("models/iris").join(file),
        )
        .expect("copy");
    }
    let cache = tempfile::tempdir().expect("temp");
    let out = Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args([
            "run",
            "mhub/cpu/1.0/iris_v1.0_iris",
            "-i",
            "hub/models/iris/sample.npy",
        ])
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", cache.path())
        .env("MHUB_HUB", hub.path())
        .output()
        .expect("mhub runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the card of `mhub/cpu/1.0/iris_v1.0_iris` declares input `features`, but the model's inputs are `measurements`\n"
    );
}

#[test]
fn iris_from_json_numbers_and_npy_output() {
    let cache = tempfile::tempdir().expect("temp");
    let input = cache.path().join("setosa.json");
    std::fs::write(&input, "[[5.1, 3.5, 1.4, 0.2]]").expect("write");
    let output = cache.path().join("out.npy");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "mhub/cpu/1.0/iris_v1.0_iris",
            "-i",
            input.to_str().expect("utf-8"),
            "-o",
            output.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("setosa"));
    let written = runtime::npy::read(&std::fs::read(&output).expect("npy written")).expect("npy");
    assert_eq!(written.shape(), [1, 3]);
}

#[test]
fn wrong_inputs_are_clear_errors() {
    let cache = tempfile::tempdir().expect("temp");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "mhub/cpu/1.0/iris_v1.0_iris",
            "-i",
            "hub/models/digits/sample.npy",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: input 0 (`measurements`): expected shape [1, 4], got [1, 64]\n"
    );
    let png = mhub(
        cache.path(),
        &[
            "run",
            "mhub/cpu/1.0/iris_v1.0_iris",
            "-i",
            "hub/models/digits/sample.png",
        ],
    );
    assert_eq!(png.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&png.stderr).contains("declares no image preprocessing"));
    let local = mhub(
        cache.path(),
        &[
            "run",
            "hub/models/digits/model.onnx",
            "-i",
            "hub/models/digits/sample.png",
        ],
    );
    assert_eq!(local.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&local.stderr).contains("an image input needs a hub card"));
}

#[test]
fn json_inputs_of_every_wrong_shape_are_clear_errors() {
    let cache = tempfile::tempdir().expect("temp");
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let cases: [(&str, &str, &str); 9] = [
        ("ragged", "[[1, 2], [3]]", "rows of different lengths"),
        (
            "number-after-row",
            "[[1, 2, 3, 4], 5]",
            "a number where an array should be",
        ),
        (
            "row-after-number",
            "[5, [1, 2, 3, 4]]",
            "an array where a number should be",
        ),
        (
            "empty-row-then-number",
            "[[], 1]",
            "a number where an array should be",
        ),
        (
            "string",
            "[[\"5.1\", 3.5, 1.4, 0.2]]",
            "expected numbers and arrays",
        ),
        ("deep", &deep, "is not JSON"),
        ("huge", "[[1e999, 1, 1, 1]]", "is not JSON"),
        ("empty", "", "is not JSON"),
        (
            "object",
            "{\"x\": [1, 2, 3, 4]}",
            "expected numbers and arrays",
        ),
    ];
    for (name, text, says) in cases {
        let input = cache.path().join(format!("{name}.json"));
        std::fs::write(&input, text).expect("write");
        let out = mhub(
            cache.path(),
            &[
                "run",
                "mhub/cpu/1.0/iris_v1.0_iris",
                "-i",
                input.to_str().expect("utf-8"),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[test]
fn local_models_run_in_a_limited_worker() {
    let cache = tempfile::tempdir().expect("temp");
    let info = mhub(cache.path(), &["info", "hub/models/digits/model.onnx"]);
    assert_eq!(info.status.code(), Some(0), "{}", transcript(&info, None));
    insta::assert_snapshot!(String::from_utf8_lossy(&info.stdout));
    let ok = mhub(
        cache.path(),
        &[
            "run",
            "hub/models/iris/model.onnx",
            "-i",
            "hub/models/iris/sample.npy",
            "--labels",
            "hub/models/iris/labels.txt",
            "--top-k",
            "1",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", transcript(&ok, None));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("virginica"));
    // Passes the pre-scan, then asks for 16 GiB: the outer product of a 65,536-wide input.
    let shape = cache.path().join("wide.npy");
    let big = runtime::Tensor::f32(vec![1, 65536], vec![1.0; 65536]).expect("tensor");
    std::fs::write(&shape, runtime::npy::write(&big)).expect("write");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "crates/cli/tests/data/alloc_from_input.onnx",
            "-i",
            shape.to_str().expect("utf-8"),
            "--memory-limit",
            "512",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out, None));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopped its worker") || stderr.contains("failed to allocate"),
        "{stderr}"
    );
    let hostile = mhub(
        cache.path(),
        &[
            "run",
            "crates/runtime/tests/data/hostile/chain_40k.onnx",
            "-i",
            "hub/models/iris/sample.npy",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&hostile.stderr),
        "error: refusing the model: the model has more than 10000 nodes\n"
    );
}

#[test]
fn info_shows_the_model_spec_next_to_the_card() {
    let cache = tempfile::tempdir().expect("temp");
    let before = mhub(cache.path(), &["info", "mhub/cpu/1.0/iris_v1.0_iris"]);
    assert!(
        String::from_utf8_lossy(&before.stdout)
            .contains("  inputs        card\n    measurements    float32 [1, 4]\n"),
        "{}",
        transcript(&before, None)
    );
    let pull = mhub(cache.path(), &["pull", "-q", "mhub/cpu/1.0/iris_v1.0_iris"]);
    assert_eq!(pull.status.code(), Some(0), "{}", transcript(&pull, None));
    let after = mhub(cache.path(), &["info", "mhub/cpu/1.0/iris_v1.0_iris"]);
    assert!(
        String::from_utf8_lossy(&after.stdout).contains(
            "  inputs        card | model\n    measurements    float32 [1, 4] | float32 [1, 4]\n"
        ),
        "{}",
        transcript(&after, None)
    );
}

#[test]
fn models_from_an_http_hub_run_in_the_worker() {
    let server = testserver::Server::start();
    server
        .put_dir(&repo().join("hub"))
        .expect("serve the demo hub");
    let cache = tempfile::tempdir().expect("temp");
    let out = Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args([
            "run",
            "--hub",
            &server.url("/"),
            "mhub/cpu/1.0/digits_v1.0_digits",
            "-i",
            "hub/models/digits/sample.png",
            "--top-k",
            "1",
            "--json",
        ])
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", cache.path())
        .output()
        .expect("mhub runs");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["top"][0]["label"], "7");
    assert_eq!(
        json["isolated"], true,
        "a model from an HTTP hub ran in-process"
    );
}

#[test]
fn an_int64_input_travels_to_the_worker_inline() {
    let cache = tempfile::tempdir().expect("temp");
    let input = cache.path().join("ints.npy");
    let ints =
        runtime::Tensor::new(vec![1, 4], runtime::Data::I64(vec![6, 3, 5, 2])).expect("tensor");
    std::fs::write(&input, runtime::npy::write(&ints)).expect("write");
    let out = mhub(
        cache.path(),
        &[
            "run",
            "hub/models/iris/model.onnx",
            "-i",
            input.to_str().expect("utf-8"),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let last = json["outputs"]
        .as_array()
        .and_then(|o| o.last())
        .expect("outputs");
    assert_eq!(last["shape"], serde_json::json!([1, 3]));
}

#[test]
fn the_worker_reads_one_request_on_stdin_and_writes_one_reply() {
    use std::io::Write as _;
    let ask = |request: &str| -> serde_json::Value {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mhub"))
            .arg("__worker")
            .current_dir(repo())
            .env_clear()
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("mhub runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(request.as_bytes()).expect("write");
        drop(stdin);
        let out = child.wait_with_output().expect("mhub runs");
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
        serde_json::from_slice(&out.stdout).expect("one JSON reply")
    };
    let done = ask(
        r#"{"model":"hub/models/iris/model.onnx","input":{"shape":[1,4],"dtype":"float32","values":[6.1,2.8,4.7,1.2]}}"#,
    );
    assert_eq!(done["kind"], "done", "{done}");
    assert_eq!(done["spec"]["inputs"][0]["name"], "measurements");
    assert_eq!(
        done["spec"]["inputs"][0]["shape"],
        serde_json::json!([1, 4])
    );
    let outputs = done["run"]["outputs"].as_array().expect("outputs");
    assert_eq!(outputs.last().expect("an output")["dtype"], "float32");
    assert!(done["load_ms"].is_f64() && done["run"]["run_ms"].is_f64());
    let spec_only = ask(r#"{"model":"hub/models/iris/model.onnx"}"#);
    assert_eq!(spec_only["kind"], "done", "{spec_only}");
    assert!(spec_only.get("run").is_none());
    let malformed = ask(r#"{"model":"hub/models/iris/model.onnx","input":{"shape":[1,4]}}"#);
    assert_eq!(malformed["kind"], "failed");
    assert!(
        malformed["message"]
            .as_str()
            .expect("message")
            .starts_with("the worker got a malformed request"),
        "{malformed}"
    );
}

/// `mhub` from the repository root with only a cache: no `--hub`, no `MHUB_HUB`.
fn mhub_found_hub(cache: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mhub"))
        .args(args)
        .current_dir(repo())
        .env_clear()
        .env("MHUB_DIR", cache)
        .output()
        .expect("mhub runs")
}

#[test]
fn only_a_hub_the_user_named_runs_in_process() {
    let cache = tempfile::tempdir().expect("temp");
    let run = [
        "run",
        "mhub/cpu/1.0/digits_v1.0_digits",
        "-i",
        "hub/models/digits/sample.png",
        "--json",
    ];
    let isolated = |out: &std::process::Output| -> bool {
        assert_eq!(out.status.code(), Some(0), "{}", transcript(out, None));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(json["top"][0]["label"], "7");
        json["isolated"].as_bool().expect("isolated")
    };
    // The `hub/` folder found in the working directory may be anyone's: the worker runs it.
    assert!(isolated(&mhub_found_hub(cache.path(), &run)));
    // Named with MHUB_HUB (or --hub), the tree is the user's choice and runs in-process.
    assert!(!isolated(&mhub(cache.path(), &run)));
    let flag = [&run[..], &["--hub", "hub"]].concat();
    assert!(!isolated(&mhub_found_hub(cache.path(), &flag)));
    // `mhub info` reads the cached model's spec (in the worker) next to the card's.
    let info = mhub(cache.path(), &["info", "mhub/cpu/1.0/digits_v1.0_digits"]);
    assert!(String::from_utf8_lossy(&info.stdout).contains("| model"));
}

/// The held-out drawn and typed digits `cargo xtask models` wrote (strokes of another seed,
/// and fonts the model never saw), each read by `mhub run`: at least 95% of each set.
#[test]
fn the_digits_model_reads_held_out_drawn_and_typed_digits() {
    let cache = tempfile::tempdir().expect("temp");
    for kind in ["drawn", "typed"] {
        let dir = repo().join("crates/cli/tests/data/digits").join(kind);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("held-out digits")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        assert!(files.len() >= 30, "{kind}: {} pictures", files.len());
        let mut wrong = Vec::new();
        for file in &files {
            let out = mhub(
                cache.path(),
                &[
                    "run",
                    "mhub/cpu/1.0/digits_v2.0_digits",
                    "--input",
                    file.to_str().expect("utf-8 path"),
                    "--top-k",
                    "1",
                    "--json",
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            // Files are named `<n>_<digit>.png`.
            let expected = file
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.rsplit('_').next())
                .expect("label in the name");
            if json["top"][0]["label"] != expected {
                wrong.push(format!(
                    "{} read as {}",
                    file.display(),
                    json["top"][0]["label"]
                ));
            }
        }
        let right = files.len() - wrong.len();
        assert!(
            right * 100 >= files.len() * 95,
            "{kind}: {right} of {} right; {wrong:#?}",
            files.len()
        );
    }
}
