//! `mhub list`, `info`, `pull` and `cache` end to end, with many processes and killed ones.

use super::transcript;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use testserver::{Fault, Server, bytes, repo_archive, sha256};

const UID: &str = "test/cpu/1.0/blob_v1.0_cifar10";

fn card(link: &str, digest: &str) -> String {
    format!(
        "# Blob\n---\nmodel-name: blob\nbackbone-name: blob\nmodule-type: cv-classification\nfine-tunable: false\n\
         model-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\nrepo-link: https://example.com/mhub/blob\n\
         user-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\nsummary: test blob\n\
         asset:\n  - file-format: onnx\n    asset-link: {link}\n    asset-sha256: {digest}\n---\n## Usage\n"
    )
}

/// A server with one model whose asset is `data`, served at `/blob.bin`.
fn serve(data: &[u8]) -> Server {
    let server = Server::start();
    server.put(
        &format!("/assets/{UID}.md"),
        card(&server.url("/blob.bin"), &sha256(data)).into_bytes(),
    );
    server.put("/blob.bin", data.to_vec());
    server
}

/// `mhub` with a cache dir and the server as hub, and nothing from the caller's environment.
fn mhub_cmd(cache: &Path, server: &Server, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mhub"));
    cmd.args(args)
        .env_clear()
        .env("MHUB_DIR", cache)
        .env("MHUB_HUB", server.url("/"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

fn run(cache: &Path, server: &Server, args: &[&str]) -> Output {
    mhub_cmd(cache, server, args).output().expect("mhub runs")
}

fn verify_clean(cache: &Path, server: &Server) {
    let out = run(cache, server, &["cache", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let tmp: Vec<_> = std::fs::read_dir(cache.join("v2/tmp"))
        .expect("tmp")
        .collect();
    assert!(tmp.is_empty(), "temporary files left: {tmp:?}");
}

#[test]
fn list_info_pull_and_cache_commands() {
    let data = bytes(200_000);
    let server = serve(&data);
    let dir = tempfile::tempdir().expect("temp");
    server.put("/index.json", br#"{"format": 1, "models": [{"uid": "test/cpu/1.0/blob_v1.0_cifar10", "card": "assets/test/cpu/1.0/blob_v1.0_cifar10.md", "title": "Blob", "version": "1.0"}]}"#.to_vec());
    let list = run(dir.path(), &server, &["list"]);
    assert_eq!(list.status.code(), Some(0), "{}", transcript(&list, None));
    assert!(String::from_utf8_lossy(&list.stdout).contains("1 models in http://127.0.0.1"));
    let info = run(dir.path(), &server, &["info", UID, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).expect("info json");
    assert_eq!(json["card"]["model-name"], "blob");
    assert_eq!(json["cached"], serde_json::Value::Null);
    let pull = run(dir.path(), &server, &["pull", UID, "--json"]);
    assert_eq!(pull.status.code(), Some(0), "{}", transcript(&pull, None));
    let json: serde_json::Value = serde_json::from_slice(&pull.stdout).expect("pull json");
    let path = json["assets"][0]["path"].as_str().expect("path");
    assert_eq!(std::fs::read(path).expect("blob"), data);
    let again = run(dir.path(), &server, &["pull", UID]);
    assert!(String::from_utf8_lossy(&again.stdout).starts_with(&format!("cached {UID}")));
    let ls = run(dir.path(), &server, &["cache", "ls"]);
    assert!(
        String::from_utf8_lossy(&ls.stdout).contains("1 models, 195.3 KiB"),
        "{}",
        transcript(&ls, None)
    );
    verify_clean(dir.path(), &server);
    let rm = run(dir.path(), &server, &["cache", "rm", UID]);
    assert!(
        String::from_utf8_lossy(&rm.stdout).contains("removed"),
        "{}",
        transcript(&rm, None)
    );
    let offline = run(dir.path(), &server, &["pull", "--offline", UID]);
    assert_eq!(offline.status.code(), Some(2));
    insta::assert_snapshot!(transcript(&offline, None));
}

#[test]
fn a_hash_mismatch_is_an_error_with_a_hint() {
    let data = bytes(10_000);
    let server = serve(&data);
    server.fault("/blob.bin", Fault::WrongBytes);
    let dir = tempfile::tempdir().expect("temp");
    let out = run(dir.path(), &server, &["pull", UID]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&server.url(""), "http://[SERVER]");
    insta::assert_snapshot!(stderr);
    verify_clean(dir.path(), &server);
}

#[test]
fn eight_processes_pull_the_same_asset() {
    let data = bytes(4 << 20);
    let server = serve(&data);
    for _ in 0..8 {
        server.fault(
            "/blob.bin",
            Fault::Slow(256 << 10, Duration::from_millis(5)),
        );
    }
    let dir = tempfile::tempdir().expect("temp");
    let children: Vec<_> = (0..8)
        .map(|_| {
            mhub_cmd(dir.path(), &server, &["pull", "-q", UID])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    }
    let blobs: Vec<_> = std::fs::read_dir(dir.path().join("v2/blobs/sha256"))
        .expect("blobs")
        .collect();
    assert_eq!(blobs.len(), 1);
    assert!(server.requests("/blob.bin") >= 1);
    verify_clean(dir.path(), &server);
}

#[test]
fn killed_downloads_leave_nothing_visible_and_resume() {
    let data = bytes(4 << 20);
    let server = serve(&data);
    let dir = tempfile::tempdir().expect("temp");
    // Kill at spread-out points of a slow download, several times over.
    for delay_ms in [40u64, 150, 90, 260, 20] {
        server.fault("/blob.bin", Fault::Slow(64 << 10, Duration::from_millis(8)));
        let mut child = mhub_cmd(dir.path(), &server, &["pull", "-q", UID])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let blobs = std::fs::read_dir(dir.path().join("v2/blobs/sha256"))
            .expect("blobs")
            .count();
        let verify = run(dir.path(), &server, &["cache", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{}",
            transcript(&verify, None)
        );
        if blobs == 1 {
            break;
        }
    }
    let out = run(dir.path(), &server, &["pull", "--json", UID]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        std::fs::read(json["assets"][0]["path"].as_str().expect("path")).expect("blob"),
        data
    );
    verify_clean(dir.path(), &server);
}

#[test]
fn a_full_disk_is_a_clear_error_and_stores_nothing() {
    let data = bytes(1 << 20);
    let server = serve(&data);
    let dir = tempfile::tempdir().expect("temp");
    // The file-size limit (512 KiB in bash's units) makes larger writes fail as on a full disk.
    let script = format!(
        "trap '' XFSZ; ulimit -f 512; exec \"{}\" pull -q {UID}",
        env!("CARGO_BIN_EXE_mhub")
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_clear()
        .env("MHUB_DIR", dir.path())
        .env("MHUB_HUB", server.url("/"))
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out, None));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write") && stderr.contains("File too large"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("v2/blobs/sha256"))
            .expect("blobs")
            .count(),
        0
    );
    let verify = run(dir.path(), &server, &["cache", "verify"]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        transcript(&verify, None)
    );
    let retry = run(dir.path(), &server, &["pull", "-q", UID]);
    assert_eq!(retry.status.code(), Some(0), "{}", transcript(&retry, None));
    verify_clean(dir.path(), &server);
}

#[test]
fn repository_entrypoints_end_to_end() {
    let data = bytes(30_000);
    let server = Server::start();
    let hubconf =
        format!("entrypoints:\n  - name: blob\n    doc: A blob for tests.\n    card: {UID}\n");
    let card_text = card("models/blob.onnx", &sha256(&data));
    let card_path = format!("assets/{UID}.md");
    server.put(
        "/me/models/archive/main.tar.gz",
        repo_archive(&[
            ("hubconf.yaml", hubconf.as_bytes()),
            (&card_path, card_text.as_bytes()),
            ("models/blob.onnx", &data),
        ]),
    );
    let dir = tempfile::tempdir().expect("temp");
    let with_repo = |args: &[&str]| {
        let mut cmd = mhub_cmd(dir.path(), &server, args);
        cmd.env(
            "MHUB_REPO_URL",
            server.url("/{owner}/{repo}/archive/{ref}.tar.gz"),
        );
        cmd.output().expect("mhub runs")
    };
    let list = with_repo(&["list", "me/models"]);
    assert_eq!(list.status.code(), Some(0), "{}", transcript(&list, None));
    let listed = String::from_utf8_lossy(&list.stdout).replace(&server.url(""), "[SERVER]");
    insta::assert_snapshot!(listed);
    let info = with_repo(&["info", "me/models", "blob"]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("A blob for tests."),
        "{}",
        transcript(&info, None)
    );
    let pull = with_repo(&["pull", "me/models", "blob"]);
    assert_eq!(pull.status.code(), Some(0), "{}", transcript(&pull, None));
    assert!(String::from_utf8_lossy(&pull.stdout).starts_with("pulled @repos/me_models_main/blob"));
    let missing = with_repo(&["pull", "me/models"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("name an entrypoint too"));
    verify_clean(dir.path(), &server);
}
