//! `cargo xtask bench web`: the catalogue's speed (see `catalogue.rs`), in-page inference latency in headless Chromium, mhub's worker next to onnxruntime-web, and the `.wasm` sizes.
//!
//! The page (`xtask/bench-web/`) is served with the app's `web/dist` and onnxruntime-web's files by
//! `mhub serve` over the demo hub, so page, worker and models are same-origin. This module drives it
//! through chromedriver's W3C WebDriver API with `curl`, then prints what it measured.

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::Digest as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The onnxruntime-web release compared against, installed from npm under `target/bench-web`.
const ORT_VERSION: &str = "1.30.0";

/// Its files the page loads: the wasm-only ES module bundle and the SIMD build it loads (with one
/// thread it runs on the page, without workers).
const ORT_FILES: [&str; 3] = [
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
];

/// The committed small models: folder under `hub/models`, input shape (as each card's
/// `inputs:` says), timed runs.
const SMALL: [(&str, &[usize], u32); 3] = [
    ("digits2", &[1, 784], 200),
    ("digits", &[1, 64], 200),
    ("iris", &[1, 4], 200),
];

/// Timed runs of each real-weight model (`bench::infer::REAL`; input 1x3x224x224): fewer for the
/// slow ones, to keep the whole bench within a few minutes on 2 cores.
const REAL_RUNS: [(&str, u32); 6] = [
    ("squeezenet", 40),
    ("shufflenet", 40),
    ("inception_v1", 10),
    ("densenet121", 8),
    ("resnet50", 8),
    ("alexnet", 15),
];

/// The milliseconds mhub's worker may spend tuning each model at its first load, as the app gives it.
const TUNE_MS: f64 = 5_000.0;

/// Untimed runs before the timed ones, on each side.
const WARMUP: u32 = 3;

/// The longest one WebDriver script may wait for the page, in milliseconds.
const SCRIPT_TIMEOUT_MS: u64 = 15 * 60 * 1000;

/// The first page's files, as `cargo xtask web` reports them.
const FIRST_PAGE: [&str; 4] = ["index.html", "style.css", "web.js", "web_bg.wasm"];

/// The inference worker's files.
const WORKER: [&str; 3] = ["infer-worker.js", "infer.js", "infer_bg.wasm"];

/// The relaxed-SIMD inference worker's files.
const WORKER_RELAXED: [&str; 3] = [
    "infer-worker.js",
    "infer_relaxed.js",
    "infer_relaxed_bg.wasm",
];

/// Builds what is measured (the release app unless `--dev`), measures it, prints the tables.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let usage = "usage: cargo xtask bench web [--dev] [catalogue | infer]";
    let (mut dev, mut part) = (false, None);
    for arg in args {
        match arg.as_str() {
            "--dev" => dev = true,
            "catalogue" | "infer" if part.is_none() => part = Some(arg.as_str()),
            _ => return Err(format!("unknown option `{arg}`; {usage}")),
        }
    }
    let dist = crate::web::dist();
    let build = if !dev {
        crate::web::build(true)?;
        "release (`cargo xtask web`)"
    } else if dist.join("infer_bg.wasm").is_file() {
        "as found (--dev: not rebuilt)"
    } else {
        crate::web::build(false)?;
        "quick (`cargo xtask web --dev`)"
    };
    // Release: a debug build compresses the multi-megabyte `.wasm` files too slowly for the
    // server's 30 s request timeout on a busy machine.
    crate::run("cargo", &["build", "--release", "--locked", "-p", "cli"])?;
    let work = root.join("target/bench-web");
    let mhub = root.join("target/release/mhub");
    if part != Some("infer") {
        super::catalogue::run(
            root,
            &mhub,
            &dist,
            &work.join(format!("profile-c{}", std::process::id())),
            build,
        )?;
    }
    if part == Some("catalogue") {
        return Ok(());
    }
    let ort_dist = ensure_ort(root)?;
    let real = super::infer::real_models(root)?;
    let site = work.join(format!("site-{}", std::process::id()));
    let profile = work.join(format!("profile-{}", std::process::id()));
    let hub = work.join(format!("hub-{}", std::process::id()));
    let result = assemble(root, &dist, &ort_dist, &site)
        .and_then(|()| models_hub(root, &real, &hub))
        .and_then(|config| {
            let measured = measure(&mhub, &hub, &site, &profile, &config)?;
            print_latency(&measured, build);
            print_sizes(&site, &measured)
        });
    for dir in [&site, &profile, &hub] {
        let _ = fs::remove_dir_all(dir);
    }
    result
}

/// Installs the pinned onnxruntime-web unless it is there; returns its `dist` folder.
fn ensure_ort(root: &Path) -> Result<PathBuf, String> {
    let package = root.join("target/bench-web/node_modules/onnxruntime-web");
    let installed = fs::read_to_string(package.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .is_some_and(|v| v["version"] == ORT_VERSION);
    if !installed {
        crate::run(
            "npm",
            &[
                "install",
                "--prefix",
                "target/bench-web",
                "--no-audit",
                "--no-fund",
                &format!("onnxruntime-web@{ORT_VERSION}"),
            ],
        )
        .map_err(|e| format!("{e}\nthe web bench needs Node.js and npm"))?;
    }
    Ok(package.join("dist"))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy `{}`: {e}", from.display()))
}

/// Lays out the web folder `mhub serve` falls back to: the app, the bench page, onnxruntime-web in `ort/`.
fn assemble(root: &Path, dist: &Path, ort_dist: &Path, site: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(site);
    let ort = site.join("ort");
    fs::create_dir_all(&ort).map_err(|e| format!("cannot create `{}`: {e}", ort.display()))?;
    let entries =
        fs::read_dir(dist).map_err(|e| format!("cannot read `{}`: {e}", dist.display()))?;
    for entry in entries.filter_map(Result::ok) {
        if entry.path().is_file() {
            copy(&entry.path(), &site.join(entry.file_name()))?;
        }
    }
    for name in ["bench.html", "bench.js", "bench-sw.js"] {
        copy(&root.join("xtask/bench-web").join(name), &site.join(name))?;
    }
    for name in ORT_FILES {
        copy(&ort_dist.join(name), &ort.join(name))?;
    }
    Ok(())
}

/// Lays out a hub for the page at `hub` (no cards; `models/<name>/model.onnx`, linked to the
/// committed small models and the real-weight ones) and returns what the page runs: each
/// model's path, digest, size, input shape and run counts.
fn models_hub(root: &Path, real: &Path, hub: &Path) -> Result<Value, String> {
    let _ = fs::remove_dir_all(hub);
    fs::create_dir_all(hub.join("assets"))
        .map_err(|e| format!("cannot create `{}`: {e}", hub.display()))?;
    let mut sources: Vec<(String, PathBuf, Vec<usize>, u32)> = SMALL
        .iter()
        .map(|(name, shape, runs)| {
            let path = root.join(format!("hub/models/{name}/model.onnx"));
            ((*name).to_owned(), path, shape.to_vec(), *runs)
        })
        .collect();
    for (name, runs) in REAL_RUNS {
        sources.push((
            name.to_owned(),
            real.join(format!("{name}.onnx")),
            vec![1, 3, 224, 224],
            runs,
        ));
    }
    let mut models = Vec::new();
    for (name, from, shape, runs) in sources {
        let url = format!("models/{name}/model.onnx");
        let to = hub.join(&url);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        }
        // A hard link where the file system allows one: alexnet alone is 233 MiB.
        if fs::hard_link(&from, &to).is_err() {
            copy(&from, &to)?;
        }
        let bytes = fs::read(&to).map_err(|e| format!("cannot read `{}`: {e}", to.display()))?;
        let sha256: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        models.push(json!({
            "name": name, "url": url, "sha256": sha256, "size": bytes.len(),
            "shape": shape, "runs": runs, "warmup": WARMUP,
        }));
    }
    Ok(json!({ "models": models, "tuneMs": TUNE_MS }))
}

/// A child process killed when dropped, so no server or driver outlives the bench.
pub(super) struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` and reads its stdout up to the line containing `ready`; returns that line.
pub(super) fn start(mut command: Command, ready: &str) -> Result<(Killed, String), String> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let stdout = child.stdout.take();
    let child = Killed(child);
    let mut reader = BufReader::new(stdout.ok_or("no stdout")?);
    let mut line = String::new();
    while !line.contains(ready) {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the output of {shown}: {e}"))?;
        if read == 0 {
            return Err(format!("{shown} exited before saying `{ready}`"));
        }
    }
    // Keep draining its output so that it never blocks on a full pipe.
    std::thread::spawn(move || reader.lines().for_each(drop));
    Ok((child, line.trim().to_owned()))
}

/// Starts `mhub serve` on `hub` with the web folder `site` on a free loopback port; the
/// server (stopped when dropped) and its base url, without a trailing `/`.
pub(super) fn serve(mhub: &Path, hub: &Path, site: &Path) -> Result<(Killed, String), String> {
    let mut command = Command::new(mhub);
    command
        .args(["serve", "--quiet", "--addr", "127.0.0.1:0", "--web"])
        .arg(site)
        .arg(hub);
    let (server, line) = start(command, "listening on ")?;
    let base = line
        .split_once("listening on ")
        .map(|(_, url)| url.trim_end_matches('/').to_owned())
        .ok_or_else(|| format!("unexpected first line from `mhub serve`: {line}"))?;
    Ok((server, base))
}

/// One WebDriver call through `curl`: the answer's `value`, or its error.
fn webdriver(method: &str, url: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--max-time", "1200", "-X", method])
        .args(["-H", "Content-Type: application/json"])
        .args(body.map_or(&[][..], |_| &["--data-binary", "@-"][..]))
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if let (Some(body), Some(mut stdin)) = (body, child.stdin.take()) {
        stdin
            .write_all(body.to_string().as_bytes())
            .map_err(|e| format!("cannot write to curl: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "webdriver {method} {url}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let answer: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("webdriver {method} {url}: not JSON ({e})"))?;
    // A W3C error has a string `error` and a `message`.
    if let Some(error) = answer["value"].get("error").and_then(Value::as_str) {
        return Err(format!(
            "webdriver {method} {url}: {error}: {}",
            answer["value"]["message"]
        ));
    }
    Ok(answer["value"].clone())
}

/// A headless Chromium session behind chromedriver; both end when dropped.
pub(super) struct Browser {
    session: String,
    _chromedriver: Killed,
}

impl Browser {
    /// Starts Chromium with a fresh profile in `profile` (whatever was there is removed).
    pub(super) fn start(profile: &Path) -> Result<Browser, String> {
        let _ = fs::remove_dir_all(profile);
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot find a free port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot find a free port: {e}"))?
            .port();
        drop(listener);
        let mut command = Command::new("chromedriver");
        command.arg(format!("--port={port}"));
        let (chromedriver, _) = start(command, "started successfully")
            .map_err(|e| format!("{e}\nchromium and chromedriver come with `cargo xtask ci`"))?;
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", format!("--user-data-dir={}", profile.display()),
                ]
            },
            "timeouts": {"script": SCRIPT_TIMEOUT_MS, "pageLoad": 120_000}
        }}});
        let answer = webdriver("POST", &format!("{base}/session"), Some(&capabilities))?;
        let id = answer["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver opened no session: {answer}"))?;
        Ok(Browser {
            session: format!("{base}/session/{id}"),
            _chromedriver: chromedriver,
        })
    }

    pub(super) fn goto(&self, url: &str) -> Result<(), String> {
        webdriver(
            "POST",
            &format!("{}/url", self.session),
            Some(&json!({"url": url})),
        )
        .map(drop)
    }

    /// Runs `script` in the page; its last argument is the callback that ends the call.
    pub(super) fn execute_async(&self, script: &str, args: Value) -> Result<Value, String> {
        let body = json!({"script": script, "args": args});
        webdriver(
            "POST",
            &format!("{}/execute/async", self.session),
            Some(&body),
        )
    }

    fn execute(&self, script: &str, args: Value) -> Result<Value, String> {
        let body = json!({"script": script, "args": args});
        webdriver(
            "POST",
            &format!("{}/execute/sync", self.session),
            Some(&body),
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = webdriver("DELETE", &self.session, None);
    }
}

/// Serves the hub and the site, runs the page in Chromium, and returns what the page measured.
fn measure(
    mhub: &Path,
    hub: &Path,
    site: &Path,
    profile: &Path,
    config: &Value,
) -> Result<Value, String> {
    let (_server, base) = serve(mhub, hub, site)?;
    let browser = Browser::start(profile)?;
    let page = format!("{base}/bench.html");
    browser.goto(&page)?;
    let done = "const done = arguments[arguments.length - 1];";
    let isolated = browser.execute_async(
        &format!("{done} benchIsolate().then(done, (e) => done(String(e)));"),
        json!([]),
    )?;
    if isolated != Value::Bool(true) {
        // The service worker is installed now: it serves the page again with COOP and COEP.
        browser.goto(&page)?;
    }
    browser.execute("benchStart(arguments[0]);", json!([config]))?;
    let mut seen = 0;
    loop {
        let answer = browser.execute_async(
            &format!("{done} benchWait(arguments[0]).then(done);"),
            json!([seen]),
        )?;
        for line in answer["lines"].as_array().into_iter().flatten() {
            println!("  {}", line.as_str().unwrap_or_default());
            seen += 1;
        }
        if let Some(error) = answer["failure"].as_str() {
            return Err(format!("the bench page failed: {error}"));
        }
        if !answer["result"].is_null() {
            return Ok(answer["result"].clone());
        }
    }
}

/// Timings of one side of one model, in milliseconds.
struct Stats {
    p50: f64,
    p90: f64,
}

fn stats(side: &Value) -> Stats {
    let mut times: Vec<f64> = side["runMs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    times.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = |p: f64| {
        let i = (p * times.len() as f64).ceil() as usize;
        times.get(i.saturating_sub(1)).copied().unwrap_or(f64::NAN)
    };
    Stats {
        p50: rank(0.5),
        p90: rank(0.9),
    }
}

/// The smallest step between distinct times: how fine the clock that took them was.
fn clock_step(measured: &Value, side: &str) -> f64 {
    let mut times: Vec<f64> = measured["models"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m[side]["runMs"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_f64())
        .collect();
    times.sort_by(f64::total_cmp);
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        // Below a nanosecond is rounding in the float arithmetic, not the clock.
        .filter(|d| *d > 1e-6)
        .fold(f64::INFINITY, f64::min)
}

fn print_latency(measured: &Value, build: &str) {
    let browser = measured["userAgent"]
        .as_str()
        .and_then(|ua| ua.split_whitespace().find(|w| w.contains("Chrome/")))
        .unwrap_or("Chromium");
    let ort_wasm = measured["ortWasm"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    println!(
        "benchmark: in-page inference in headless {browser}, batch 1, one thread, ms per run (input tensor creation included)"
    );
    println!(
        "  mhub: web/dist {build}, in its Web Worker: the relaxed-SIMD build ({}) and the SIMD128 build; each tunes a model at its first load (at most {TUNE_MS} ms)",
        measured["mhubMachine"].as_str().unwrap_or("?")
    );
    println!(
        "  onnxruntime-web {}: wasm backend, numThreads 1, on the page; loaded {ort_wasm}",
        measured["ortVersion"].as_str().unwrap_or(ORT_VERSION)
    );
    println!(
        "  page cross-origin isolated: {}; clock steps seen: page {:.1} us, mhub worker {:.1} us, ort {:.1} us",
        measured["isolated"],
        measured["clockStepMs"].as_f64().unwrap_or(f64::NAN) * 1e3,
        clock_step(measured, "mhub") * 1e3,
        clock_step(measured, "ort") * 1e3,
    );
    println!(
        "  start-up: mhub worker {:.0} ms; onnxruntime-web wasm + first session {:.0} ms",
        measured["mhubStartMs"].as_f64().unwrap_or(f64::NAN),
        measured["ortStartMs"].as_f64().unwrap_or(f64::NAN),
    );
    println!(
        "{:<13} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9} {:>10} {:>9} {:>9}  tuning (relaxed build)",
        "model",
        "runs",
        "mhub p50",
        "mhub p90",
        "simd128",
        "ort p50",
        "ort p90",
        "ratio",
        "max|diff|",
        "mhub load",
        "tune",
        "ort load",
    );
    for model in measured["models"].as_array().into_iter().flatten() {
        let (ours, simd, theirs) = (
            stats(&model["mhub"]),
            stats(&model["simd"]),
            stats(&model["ort"]),
        );
        let diff = model["maxAbsDiff"].as_f64().map_or_else(
            || format!("n/a {}", model["outputLengths"]),
            |d| format!("{d:.1e}"),
        );
        // The load includes the tuning, shown apart.
        let tune = model["mhub"]["tuneMs"].as_f64().unwrap_or(0.0);
        println!(
            "{:<13} {:>5} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7.2} {:>9} {:>10.1} {:>9.1} {:>9.1}  {}",
            model["name"].as_str().unwrap_or("?"),
            model["runs"].as_u64().unwrap_or(0),
            ours.p50,
            ours.p90,
            simd.p50,
            theirs.p50,
            theirs.p90,
            ours.p50 / theirs.p50,
            diff,
            model["mhub"]["loadMs"].as_f64().unwrap_or(f64::NAN) - tune,
            tune,
            model["ort"]["loadMs"].as_f64().unwrap_or(f64::NAN),
            model["mhub"]["tuning"].as_str().unwrap_or("?"),
        );
    }
    println!(
        "ratio = mhub p50 / onnxruntime-web p50; target: at or below 1.0. max|diff|: first output, mhub vs onnxruntime-web"
    );
    println!(
        "load = fetch + parse + optimise one model, ms (same origin, loopback); mhub's tuning at first load apart (tune)"
    );
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |v| v.len())
}

/// Raw and gzipped bytes of files under `dir`, summed.
fn size(dir: &Path, names: &[&str]) -> Result<(usize, usize), String> {
    let (mut raw, mut gz) = (0, 0);
    for name in names {
        let path = dir.join(name);
        let bytes =
            fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        raw += bytes.len();
        gz += gzipped(&bytes);
    }
    Ok((raw, gz))
}

fn print_sizes(site: &Path, measured: &Value) -> Result<(), String> {
    // The wasm onnxruntime-web fetched, as the page saw it; the usual one if it saw none.
    let ort_wasm = measured["ortWasm"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|path| path.strip_prefix("/ort/"))
        .unwrap_or(ORT_FILES[2])
        .to_owned();
    let ort_wasm = format!("ort/{ort_wasm}");
    let ort_all: Vec<String> = ORT_FILES[..2]
        .iter()
        .map(|name| format!("ort/{name}"))
        .chain([ort_wasm.clone()])
        .collect();
    let ort_all: Vec<&str> = ort_all.iter().map(String::as_str).collect();
    let kib = |n: usize| format!("{:.1} KiB", n as f64 / 1024.0);
    let rows: [(&str, &[&str]); 8] = [
        ("web_bg.wasm (first page)", &["web_bg.wasm"]),
        ("first page total", &FIRST_PAGE),
        ("infer_bg.wasm (inference)", &["infer_bg.wasm"]),
        ("inference worker total", &WORKER),
        ("infer_relaxed_bg.wasm", &["infer_relaxed_bg.wasm"]),
        ("relaxed-SIMD worker total", &WORKER_RELAXED),
        (&ort_wasm, &[&ort_wasm]),
        ("onnxruntime-web total", &ort_all),
    ];
    println!("sizes: raw and gzip -9");
    let mut gz = Vec::new();
    for (title, names) in rows {
        let (r, g) = size(site, names)?;
        println!("  {title:<30} {:>12} raw {:>12} gzip", kib(r), kib(g));
        gz.push(g);
    }
    println!(
        "  first page gzip total: {} (target <= 400 KB = 390.6 KiB); files: {}",
        kib(gz[1]),
        FIRST_PAGE.join(" + ")
    );
    println!(
        "  infer_bg.wasm / {ort_wasm}, gzip: {:.2}; infer_relaxed_bg.wasm: {:.2} (target <= 0.5); whole worker / whole onnxruntime-web, gzip: {:.2}",
        gz[2] as f64 / gz[6] as f64,
        gz[4] as f64 / gz[6] as f64,
        gz[5] as f64 / gz[7] as f64,
    );
    Ok(())
}
