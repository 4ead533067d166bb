//! `mhub serve` and `mhub mirror` end to end: a served hub pulled from, and a mirror that outlives its origin.

use super::{repo, transcript};
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use testserver::{Server, sha256};

/// `mhub` with nothing from the caller's environment, run in `cwd`.
fn mhub_cmd(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mhub"));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// A running `mhub serve`.
struct Serving {
    child: Option<Child>,
    url: String,
}

impl Serving {
    /// Starts `mhub serve HUB --addr 127.0.0.1:0` and reads the url from its first line.
    fn start(cwd: &Path, hub: &Path) -> Serving {
        Serving::start_with(cwd, hub, &[])
    }

    /// [`Serving::start`] with more flags.
    fn start_with(cwd: &Path, hub: &Path, flags: &[&str]) -> Serving {
        let mut child = mhub_cmd(cwd, &["serve", "--addr", "127.0.0.1:0"])
            .args(flags)
            .arg(hub)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mhub serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Serving {
            child: Some(child),
            url,
        }
    }

    /// `GET path` over a plain socket: the status line and the body.
    fn get(&self, path: &str) -> String {
        use std::io::{Read as _, Write as _};
        let addr = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        reply
    }

    /// Sends SIGTERM and waits for a graceful exit.
    fn stop(mut self) -> Output {
        let child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        child.wait_with_output().expect("mhub serve exits")
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `mhub` against a hub url with its own cache.
fn with_cache(cwd: &Path, cache: &Path, hub: &str, args: &[&str]) -> Output {
    mhub_cmd(cwd, args)
        .env("MHUB_DIR", cache)
        .env("MHUB_HUB", hub)
        .output()
        .expect("mhub runs")
}

/// Asserts `mhub cache verify` finds the cache sound.
fn verify_clean(cwd: &Path, cache: &Path) {
    let verify = mhub_cmd(cwd, &["cache", "verify"])
        .env("MHUB_DIR", cache)
        .output()
        .expect("mhub runs");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        transcript(&verify, None)
    );
}

/// Replaces the loopback port number of `url` with `[PORT]`.
fn without_port(text: &str, url: &str) -> String {
    text.replace(url.trim_end_matches('/'), "http://127.0.0.1:[PORT]")
}

#[test]
fn serve_the_demo_hub_then_pull_from_it_and_verify() {
    let work = tempfile::tempdir().expect("temp");
    let serving = Serving::start(work.path(), &repo().join("hub"));
    assert!(serving.url.starts_with("http://127.0.0.1:"));
    let cache = work.path().join("cache");
    let uid = "mhub/cpu/1.0/digits_v1.0_digits";
    let pull = with_cache(work.path(), &cache, &serving.url, &["pull", "-q", uid]);
    assert_eq!(pull.status.code(), Some(0), "{}", transcript(&pull, None));
    let list = with_cache(work.path(), &cache, &serving.url, &["list"]);
    assert_eq!(list.status.code(), Some(0), "{}", transcript(&list, None));
    assert!(String::from_utf8_lossy(&list.stdout).contains(uid));
    verify_clean(work.path(), &cache);
    let page = serving.get("/");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("cargo xtask web"), "{page}");

    let url = serving.url.clone();
    let served = serving.stop();
    assert_eq!(
        served.status.code(),
        Some(0),
        "{}",
        transcript(&served, None)
    );
    let logs = String::from_utf8_lossy(&served.stderr);
    for expected in [
        "path=/index.json status=200",
        &format!("path=/assets/{uid}.md status=200"),
        "path=/models/digits/model.onnx status=200 bytes=19547 complete=true",
        "stopped accepting",
    ] {
        assert!(
            logs.contains(expected),
            "`{expected}` not in the logs:\n{logs}"
        );
    }
    let pulled = without_port(&transcript(&pull, Some(work.path())), &url);
    insta::assert_snapshot!(pulled);
}

/// A card at `test/cpu/1.0/blob_v1.0_cifar10` that lets hubs mirror its one asset.
fn mirrorable_card(link: &str, sha256: &str) -> String {
    format!(
        "# Blob\n---\nmodel-name: blob\nbackbone-name: blob\nmodule-type: cv-classification\nfine-tunable: false\n\
         input-shape: [1, 3, 32, 32]\nmodel-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\n\
         repo-link: https://example.com/mhub/blob\nuser-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\n\
         license: Apache2.0\nsummary: test blob\nallow-cache-ckpt: true\nasset:\n  - file-format: ckpt\n    \
         asset-link: {link}\n    asset-sha256: {sha256}\n---\n## Usage\n"
    )
}

#[test]
fn mirror_then_pull_from_the_mirror_when_the_origin_is_gone() {
    let work = tempfile::tempdir().expect("temp");
    let hub = work.path().join("hub");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let digest = sha256(&data);
    let origin = Server::start();
    origin.put("/blob.ckpt", data.clone());
    let uid = "test/cpu/1.0/blob_v1.0_cifar10";
    let card = hub.join(format!("assets/{uid}.md"));
    std::fs::create_dir_all(card.parent().expect("parent")).expect("mkdir");
    std::fs::write(&card, mirrorable_card(&origin.url("/blob.ckpt"), &digest)).expect("card");

    // Plain http to the loopback origin fails the `mhub` profile's link rule, so the
    // index is written with the MindSpore profile.
    let args = [
        "mirror",
        "-q",
        "--allow-local",
        "--profile",
        "mindspore",
        "hub",
    ];
    let first = mhub_cmd(work.path(), &args).output().expect("mhub mirror");
    assert_eq!(first.status.code(), Some(0), "{}", transcript(&first, None));
    assert_eq!(
        std::fs::read(hub.join(format!("mirror/sha256/{digest}"))).expect("blob"),
        data
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(hub.join("index.json")).expect("index"))
            .expect("json");
    assert_eq!(
        index["models"][0]["assets"][0]["mirror"],
        format!("mirror/sha256/{digest}")
    );
    let again = mhub_cmd(work.path(), &args).output().expect("mhub mirror");
    assert_eq!(
        origin.requests("/blob.ckpt"),
        1,
        "the second run fetched again"
    );
    let origin_url = origin.url("/");
    let text = without_port(
        &format!(
            "{}\n{}",
            transcript(&first, Some(work.path())),
            transcript(&again, Some(work.path()))
        ),
        &origin_url,
    )
    .replace(&digest, "[SHA256]");
    insta::assert_snapshot!(text);

    // The origin goes away; clients of the served hub get the asset from the mirror.
    drop(origin);
    // The card links its origin over plain http (a loopback test server): an error under
    // the `mhub` rules, so this hub is served under MindSpore's, as it was mirrored.
    let serving = Serving::start_with(work.path(), &hub, &["--profile", "mindspore"]);
    let cache = work.path().join("cache");
    let pull = with_cache(work.path(), &cache, &serving.url, &["pull", "--json", uid]);
    assert_eq!(pull.status.code(), Some(0), "{}", transcript(&pull, None));
    let json: serde_json::Value = serde_json::from_slice(&pull.stdout).expect("json");
    assert_eq!(json["assets"][0]["sha256"], digest.as_str());
    verify_clean(work.path(), &cache);
    let served = serving.stop();
    assert!(
        String::from_utf8_lossy(&served.stderr)
            .contains(&format!("path=/mirror/sha256/{digest} status=200")),
        "{}",
        transcript(&served, None)
    );
}

#[test]
fn mirror_with_nothing_to_mirror_says_so() {
    let work = tempfile::tempdir().expect("temp");
    let out = mhub_cmd(work.path(), &["mirror"])
        .arg(repo().join("hub"))
        .output()
        .expect("mhub mirror");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let text = transcript(&out, None).replace(&repo().display().to_string(), "[REPO]");
    insta::assert_snapshot!(text);
    assert!(
        !repo().join("hub/mirror").exists(),
        "an empty mirror store was created"
    );
    let missing = mhub_cmd(work.path(), &["mirror", "no-such-hub"])
        .output()
        .expect("mhub mirror");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("has no `assets/` folder"));
}

#[test]
fn mirror_reports_a_failing_asset_and_still_rewrites_the_index() {
    let work = tempfile::tempdir().expect("temp");
    let hub = work.path().join("hub");
    let origin = Server::start();
    let good: Vec<u8> = (0..5_000u32).map(|i| (i % 249) as u8).collect();
    origin.put("/good.ckpt", good.clone());
    for (name, link, digest) in [
        ("good", origin.url("/good.ckpt"), sha256(&good)),
        ("gone", origin.url("/gone.ckpt"), sha256(b"never served")),
    ] {
        let card = hub.join(format!("assets/test/cpu/1.0/{name}_v1.0_cifar10.md"));
        std::fs::create_dir_all(card.parent().expect("parent")).expect("mkdir");
        let text = mirrorable_card(&link, &digest)
            .replace("model-name: blob", &format!("model-name: {name}"));
        std::fs::write(&card, text).expect("card");
    }
    let out = mhub_cmd(
        work.path(),
        &[
            "mirror",
            "-q",
            "--allow-local",
            "--profile",
            "mindspore",
            "hub",
        ],
    )
    .output()
    .expect("mhub mirror");
    let text = transcript(&out, None);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("failed:") && text.contains("gone.ckpt"),
        "{text}"
    );
    assert!(text.contains("1 asset not mirrored"), "{text}");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(hub.join("index.json")).expect("index written"))
            .expect("json");
    let models = index["models"].as_array().expect("models");
    assert_eq!(models.len(), 2);
    let mirrors: Vec<bool> = models
        .iter()
        .map(|m| m["assets"][0]["mirror"].is_string())
        .collect();
    assert_eq!(mirrors, [false, true], "{index}");
    // A per-run cap leaves the rest for the next run.
    let capped = mhub_cmd(
        work.path(),
        &[
            "mirror",
            "-q",
            "--allow-local",
            "--max-bytes",
            "1K",
            "--profile",
            "mindspore",
            "hub",
        ],
    )
    .output()
    .expect("mhub mirror");
    assert_eq!(
        capped.status.code(),
        Some(1),
        "{}",
        transcript(&capped, None)
    );
}
