//! A signed hub over a real loopback server: `mhub key`, `index --sign`, and every refusal of `--trust`, with nothing from a refused hub left in the cache.

use super::transcript;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use testserver::{Fault, Server, sha256};

const UID: &str = "test/cpu/1.0/blob_v1.0_cifar10";

fn card(link: &str, digest: &str, summary: &str) -> String {
    format!(
        "# Blob\n---\nmodel-name: blob\nbackbone-name: blob\nmodule-type: cv-classification\nfine-tunable: false\n\
         model-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\nrepo-link: https://example.com/mhub/blob\n\
         user-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\nsummary: {summary}\n\
         asset:\n  - file-format: onnx\n    asset-link: {link}\n    asset-sha256: {digest}\n---\n## Usage\n"
    )
}

/// `mhub` with nothing from the caller's environment.
fn mhub(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mhub"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("mhub runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", transcript(out, None));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The error text of a refused command, which must exit 2.
fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", transcript(out, None));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A publisher's side: a hub tree with one card whose asset the server serves, keys.
struct Publisher {
    dir: tempfile::TempDir,
    server: Server,
}

impl Publisher {
    fn new() -> Publisher {
        let publisher = Publisher {
            dir: tempfile::tempdir().expect("temp"),
            server: Server::start(),
        };
        publisher.set_asset(b"weights v1", "first");
        ok(&publisher.mhub(&["key", "new", "--out", "keys"]));
        publisher
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn mhub(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mhub"));
        cmd.args(args).current_dir(self.dir.path()).env_clear();
        cmd.output().expect("mhub runs")
    }

    /// Writes the card and its asset (`models/blob-<sha>.bin`) into the tree.
    fn set_asset(&self, data: &[u8], summary: &str) {
        let sha = sha256(data);
        let link = format!("models/blob-{sha}.bin");
        let write = |rel: &str, bytes: &[u8]| {
            let path = self.path(&format!("hub/{rel}"));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write");
        };
        write(&link, data);
        write(
            &format!("assets/{UID}.md"),
            card(&link, &sha, summary).as_bytes(),
        );
    }

    /// Signs the tree's index with `args` and serves the whole tree as it now is.
    fn sign(&self, args: &[&str]) {
        let mut all = vec!["index", "hub", "--sign", "keys/mhub.key"];
        all.extend(args);
        ok(&self.mhub(&all));
        self.publish();
    }

    fn publish(&self) {
        self.server.put_dir(&self.path("hub")).expect("serve");
    }

    fn files(&self) -> (Vec<u8>, Vec<u8>) {
        let read = |name: &str| std::fs::read(self.path(name)).expect("read");
        (read("hub/index.json"), read("hub/index.json.sig"))
    }

    fn serve_pair(&self, (index, sig): &(Vec<u8>, Vec<u8>)) {
        self.server.put("/index.json", index.clone());
        self.server.put("/index.json.sig", sig.clone());
    }
}

/// A client with its own cache, trusting `key`.
struct Client {
    cache: tempfile::TempDir,
}

impl Client {
    fn new() -> Client {
        Client {
            cache: tempfile::tempdir().expect("temp"),
        }
    }

    fn run(&self, publisher: &Publisher, key: Option<&Path>, args: &[&str]) -> Output {
        let hub = publisher.server.url("/");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--hub", &hub, "-q"]);
        let mut env = vec![("MHUB_DIR", self.cache.path())];
        if let Some(key) = key {
            env.push(("MHUB_TRUST", key));
        }
        mhub(&all, &env)
    }

    /// Nothing of the hub's in the cache: no model, no blob, and `cache verify` clean.
    fn holds_nothing(&self) {
        let verify = mhub(&["cache", "verify"], &[("MHUB_DIR", self.cache.path())]);
        ok(&verify);
        for folder in ["v2/models", "v2/blobs/sha256", "v2/tmp"] {
            let left: Vec<_> = std::fs::read_dir(self.cache.path().join(folder))
                .map(|d| d.collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "{folder}: {left:?}");
        }
    }
}

#[test]
fn a_trusted_signed_hub_lists_pulls_and_says_so() {
    let publisher = Publisher::new();
    publisher.sign(&[]);
    let key = publisher.path("keys/mhub.pub");
    let secret = std::fs::metadata(publisher.path("keys/mhub.key")).expect("key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    let again = publisher.mhub(&["key", "new", "--out", "keys"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing key is never replaced"
    );

    let client = Client::new();
    let list = ok(&client.run(&publisher, Some(&key), &["list"]));
    assert!(list.contains(UID), "{list}");
    let info = ok(&client.run(&publisher, Some(&key), &["info", UID]));
    assert!(info.contains("verified: index version 1"), "{info}");
    let pull = ok(&client.run(&publisher, Some(&key), &["pull", UID]));
    assert!(pull.starts_with(&format!("pulled {UID}")), "{pull}");
    // The key's text works as well as its file.
    let text = std::fs::read_to_string(&key).expect("key");
    let hub = publisher.server.url("/");
    let cached = mhub(
        &["pull", UID, "--hub", &hub, "--trust", text.trim()],
        &[("MHUB_DIR", client.cache.path())],
    );
    assert!(ok(&cached).starts_with(&format!("cached {UID}")));
    // Offline, the last index checked still vouches for the cached card.
    let offline = mhub(
        &["pull", UID, "--hub", &hub, "--offline"],
        &[("MHUB_DIR", client.cache.path()), ("MHUB_TRUST", &key)],
    );
    assert!(ok(&offline).starts_with(&format!("cached {UID}")));

    // Without a key: as before, and `info` says what it did not check.
    let plain = Client::new();
    let info = ok(&plain.run(&publisher, None, &["info", UID]));
    assert!(info.contains("signed index, not checked"), "{info}");
    let unsigned = Server::start();
    unsigned.put(
        &format!("/assets/{UID}.md"),
        card("x.bin", &sha256(b"x"), "s").into_bytes(),
    );
    let out = mhub(
        &["info", UID, "--hub", &unsigned.url("/")],
        &[("MHUB_DIR", plain.cache.path())],
    );
    assert!(ok(&out).contains("unsigned hub"));
}

#[test]
fn a_missing_tampered_or_foreign_signature_is_refused_and_nothing_is_cached() {
    let publisher = Publisher::new();
    publisher.sign(&[]);
    let key = publisher.path("keys/mhub.pub");
    let (index, sig) = publisher.files();
    let client = Client::new();

    publisher
        .server
        .fault("/index.json.sig", Fault::Status(404));
    let err = refused(&client.run(&publisher, Some(&key), &["pull", UID]));
    assert!(err.contains("no signed index"), "{err}");

    // A tampered signature file: one signature byte changed, then not JSON at all.
    let mut envelope: serde_json::Value = serde_json::from_slice(&sig).expect("json");
    let b64 = envelope["signatures"][0]["sig"]
        .as_str()
        .expect("sig")
        .to_owned();
    let flipped = if b64.starts_with('A') { "B" } else { "A" };
    envelope["signatures"][0]["sig"] = format!("{flipped}{}", &b64[1..]).into();
    publisher.serve_pair(&(index.clone(), serde_json::to_vec(&envelope).expect("json")));
    let err = refused(&client.run(&publisher, Some(&key), &["pull", UID]));
    assert!(err.contains("does not match the index"), "{err}");
    publisher.serve_pair(&(index.clone(), b"<html>".to_vec()));
    let err = refused(&client.run(&publisher, Some(&key), &["list"]));
    assert!(err.contains("signature file is not valid"), "{err}");

    // A changed index under the real signature.
    let changed = String::from_utf8(index.clone())
        .expect("utf8")
        .replace("\"version\": 1", "\"version\": 9");
    publisher.serve_pair(&(changed.into_bytes(), sig.clone()));
    let err = refused(&client.run(&publisher, Some(&key), &["info", UID]));
    assert!(err.contains("does not match the index"), "{err}");

    // Signed by a key the client does not trust.
    publisher.serve_pair(&(index, sig));
    ok(&publisher.mhub(&["key", "new", "--out", "other"]));
    let other = publisher.path("other/mhub.pub");
    let err = refused(&client.run(&publisher, Some(&other), &["pull", UID]));
    assert!(err.contains("not signed by a trusted key"), "{err}");
    client.holds_nothing();
}

#[test]
fn a_card_and_asset_swapped_together_are_refused() {
    let publisher = Publisher::new();
    publisher.sign(&[]);
    let key = publisher.path("keys/mhub.pub");
    // Whoever controls the server swaps the card and its asset; the signed index stays.
    publisher.set_asset(b"evil weights", "first");
    publisher.publish();
    let client = Client::new();
    let err = refused(&client.run(&publisher, Some(&key), &["pull", UID]));
    assert!(err.contains("differs from the signed index"), "{err}");
    let err = refused(&client.run(&publisher, Some(&key), &["info", UID]));
    assert!(err.contains("differs from the signed index"), "{err}");
    client.holds_nothing();
    // A model the signed index does not list is refused before its card is fetched.
    let err = refused(&client.run(
        &publisher,
        Some(&key),
        &["pull", "test/cpu/1.0/other_v1.0_cifar10"],
    ));
    assert!(err.contains("is not in the signed index"), "{err}");
    client.holds_nothing();
}

#[test]
fn an_older_index_replayed_after_a_newer_one_is_refused() {
    let publisher = Publisher::new();
    publisher.sign(&[]);
    let key = publisher.path("keys/mhub.pub");
    let old = publisher.files();
    publisher.set_asset(b"weights v2", "second");
    publisher.sign(&[]);
    let new = publisher.files();
    assert!(String::from_utf8_lossy(&new.0).contains("\"version\": 2"));

    let client = Client::new();
    ok(&client.run(&publisher, Some(&key), &["pull", UID]));
    publisher.serve_pair(&old);
    publisher.set_asset(b"weights v1", "first");
    publisher.server.put(
        &format!("/assets/{UID}.md"),
        std::fs::read(publisher.path(&format!("hub/assets/{UID}.md"))).expect("card"),
    );
    let err = refused(&client.run(&publisher, Some(&key), &["pull", UID, "--force-reload"]));
    assert!(err.contains("version 1, older than version 2"), "{err}");
    let err = refused(&client.run(&publisher, Some(&key), &["list"]));
    assert!(err.contains("replaying"), "{err}");
    // A fresh client that never saw version 2 accepts version 1: rollback is per client.
    ok(&Client::new().run(&publisher, Some(&key), &["list"]));
    // And the publisher cannot go back either.
    let err = refused(&publisher.mhub(&[
        "index",
        "hub",
        "--sign",
        "keys/mhub.key",
        "--index-version",
        "1",
    ]));
    assert!(err.contains("not above"), "{err}");
}

#[test]
fn an_index_that_expires_during_the_test_is_refused() {
    let publisher = Publisher::new();
    publisher.sign(&["--expires", "2s"]);
    let key = publisher.path("keys/mhub.pub");
    let client = Client::new();
    let started = std::time::Instant::now();
    let list = client.run(&publisher, Some(&key), &["list"]);
    if started.elapsed() < Duration::from_secs(1) {
        ok(&list);
    }
    std::thread::sleep(Duration::from_millis(3100));
    let err = refused(&client.run(&publisher, Some(&key), &["pull", UID]));
    assert!(err.contains("expired"), "{err}");
    client.holds_nothing();
    // Offline, the recorded index has expired too.
    let hub = publisher.server.url("/");
    let offline = mhub(
        &["list", "--hub", &hub, "--offline"],
        &[("MHUB_DIR", client.cache.path()), ("MHUB_TRUST", &key)],
    );
    assert!(refused(&offline).contains("expired"));
}

#[test]
fn a_root_key_delegates_and_the_index_key_is_replaced_without_clients_changing() {
    let publisher = Publisher::new();
    ok(&publisher.mhub(&["key", "new", "--out", "root"]));
    ok(&publisher.mhub(&["key", "new", "--out", "second"]));
    let delegate = |to: &str, version: &str, out: &str| {
        ok(&publisher.mhub(&[
            "key",
            "delegate",
            "--root",
            "root/mhub.key",
            "--to",
            to,
            "--delegation-version",
            version,
            "--out",
            out,
        ]))
    };
    delegate("keys/mhub.pub", "1", "first.delegation");
    delegate("second/mhub.pub", "2", "second.delegation");
    let root = publisher.path("root/mhub.pub");
    let client = Client::new();

    publisher.sign(&["--delegation", "first.delegation"]);
    let first = publisher.files();
    ok(&client.run(&publisher, Some(&root), &["pull", UID]));

    // The index key is replaced: the client still trusts only the root.
    ok(&publisher.mhub(&[
        "index",
        "hub",
        "--sign",
        "second/mhub.key",
        "--delegation",
        "second.delegation",
    ]));
    publisher.publish();
    let info = ok(&client.run(&publisher, Some(&root), &["info", UID]));
    assert!(info.contains("verified: index version 2"), "{info}");

    // The old key under its old delegation is refused, even with a higher index version.
    ok(&publisher.mhub(&[
        "index",
        "hub",
        "--sign",
        "keys/mhub.key",
        "--delegation",
        "first.delegation",
    ]));
    publisher.publish();
    let err = refused(&client.run(&publisher, Some(&root), &["list"]));
    assert!(
        err.contains("signed delegation has version 1, older than version 2"),
        "{err}"
    );
    // So is a replay of the first state, and a key signing under a delegation not its own.
    publisher.serve_pair(&first);
    refused(&client.run(&publisher, Some(&root), &["list"]));
    let wrong = publisher.mhub(&[
        "index",
        "hub",
        "--sign",
        "root/mhub.key",
        "--delegation",
        "second.delegation",
    ]);
    assert!(refused(&wrong).contains("does not name this key"));
}

#[test]
fn a_signed_hub_is_not_rewritten_unsigned() {
    let publisher = Publisher::new();
    publisher.sign(&[]);
    let err = refused(&publisher.mhub(&["index", "hub"]));
    assert!(err.contains("--sign KEY"), "{err}");
    let err = refused(&publisher.mhub(&["mirror", "hub", "--allow-local"]));
    assert!(err.contains("--sign KEY"), "{err}");
    let out = publisher.mhub(&[
        "mirror",
        "hub",
        "--allow-local",
        "--sign",
        "keys/mhub.key",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out, None));
    ok(&publisher.mhub(&["index", "hub", "--sign", "keys/mhub.key"]));
    let index = String::from_utf8_lossy(&publisher.files().0).into_owned();
    assert!(index.contains("\"version\": 2"), "{index}");
    let check = publisher.mhub(&["index", "hub", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", transcript(&check, None));
}
