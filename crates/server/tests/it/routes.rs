//! The routes: the index, cards, files by path and by sha256, the web app, methods.

use super::{Fixture, MODEL, UID, card, config, get, put, request, start};
use std::io::Read as _;
use std::path::Path;
use std::time::Duration;
use testserver::{bytes, sha256};

fn repo_hub() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub")
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096)
        .read_to_end(&mut out)
        .expect("unbrotli");
    out
}

#[test]
fn the_demo_hub_index_is_served_as_mhub_index_writes_it() {
    let server = start(config(&repo_hub()));
    let reply = get(server.addr, "/index.json", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(reply.header("vary"), Some("accept-encoding"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let committed = std::fs::read_to_string(repo_hub().join("index.json")).expect("index");
    assert_eq!(reply.text(), committed);
    // A client of the cache crate lists the same models through the server.
    let cache = tempfile::tempdir().expect("temp");
    let hub = cache::Hub::builder()
        .dir(cache.path())
        .source(cache::Source::parse(&server.url("/")).expect("source"))
        .build()
        .expect("hub");
    let cache::Listing::Models(models) = hub.list(&cache::Silent).expect("list") else {
        panic!("a hub lists models")
    };
    assert_eq!(models.len(), committed.matches("\"uid\"").count());
}

#[test]
fn the_index_is_compressed_when_the_client_accepts_it() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let plain = get(server.addr, "/index.json", &[]);
    assert_eq!(plain.header("content-encoding"), None);
    let gz = get(server.addr, "/index.json", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("accept-encoding"));
    assert_eq!(gunzip(&gz.body), plain.body);
    let br = get(
        server.addr,
        "/index.json",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(&br.body), plain.body);
    let refused = get(
        server.addr,
        "/index.json",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);
    // Each coding has its own strong tag, and a client revalidates with the one it has.
    let (plain_tag, gz_tag) = (
        plain.header("etag").expect("etag"),
        gz.header("etag").expect("etag"),
    );
    assert_ne!(plain_tag, gz_tag);
    let again = get(
        server.addr,
        "/index.json",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", gz_tag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

/// The UIDs an index lists, in order.
fn uids(index: &serde_json::Value) -> Vec<String> {
    index["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["uid"].as_str().expect("uid").to_owned())
        .collect()
}

/// Serves `fixture` checking the tree on every request for the index, and waiting for a
/// check only when the last one took at most `wait`.
fn rescanning(fixture: &Fixture, wait: Duration) -> super::Running {
    let mut config = fixture.config();
    config.rescan = Duration::ZERO;
    config.rescan_wait = wait;
    start(config)
}

/// The UIDs of the index `server` serves now.
fn served(server: &super::Running) -> Vec<String> {
    uids(&serde_json::from_slice(&get(server.addr, "/index.json", &[]).body).expect("json"))
}

#[test]
fn the_index_follows_changes_to_the_tree() {
    let fixture = Fixture::new();
    let server = rescanning(&fixture, Duration::MAX);
    let before: serde_json::Value =
        serde_json::from_slice(&get(server.addr, "/index.json", &[]).body).expect("json");
    assert_eq!(uids(&before), [UID]);
    assert_eq!(before["models"][0]["assets"][0]["asset-link"], MODEL);
    let other = "test/cpu/1.0/other_v1.0_cifar10";
    let text = card("other", &[("onnx", MODEL, &sha256(&fixture.model))], "");
    put(
        &fixture.hub(),
        &format!("assets/{other}.md"),
        text.as_bytes(),
    );
    assert_eq!(served(&server), [UID, other]);
    std::fs::remove_file(fixture.hub().join(format!("assets/{UID}.md"))).expect("rm");
    assert_eq!(served(&server), [other]);
}

#[test]
fn a_slow_tree_is_checked_in_the_background() {
    let fixture = Fixture::new();
    // Every check counts as slow: requests never wait for one.
    let server = rescanning(&fixture, Duration::ZERO);
    assert_eq!(served(&server), [UID]);
    let other = "test/cpu/1.0/other_v1.0_cifar10";
    let text = card("other", &[("onnx", MODEL, &sha256(&fixture.model))], "");
    put(
        &fixture.hub(),
        &format!("assets/{other}.md"),
        text.as_bytes(),
    );
    // A request that finds a check due is answered from the last check and starts one
    // in the background: the new card shows up in a later answer, and the answers
    // meanwhile are the old index, never anything half built.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = served(&server);
        if now == [UID, other] {
            break;
        }
        assert_eq!(now, [UID], "the index changed to something else");
        assert!(
            std::time::Instant::now() < deadline,
            "the background check never showed the new card"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_served_index_never_lists_a_card_with_errors() {
    let fixture = Fixture::new();
    let server = rescanning(&fixture, Duration::MAX);
    // Each link names something a client or the page must never follow.
    for (i, link) in [
        "../../etc/passwd",
        "javascript:alert(1)",
        "/etc/passwd",
        "models/%2e%2e/x",
        "https://",
    ]
    .into_iter()
    .enumerate()
    {
        let uid = format!("test/cpu/1.0/bad{i}_v1.0_cifar10");
        let text = card(&format!("bad{i}"), &[("onnx", link, &sha256(b"x"))], "");
        put(&fixture.hub(), &format!("assets/{uid}.md"), text.as_bytes());
        assert_eq!(served(&server), [UID], "a card linking `{link}` was listed");
        // The card's file is still a file of the tree; only the index leaves it out.
        assert_eq!(
            get(server.addr, &format!("/assets/{uid}.md"), &[]).status,
            200
        );
    }
}

#[test]
fn cards_by_uid_and_files_by_path() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let card = get(server.addr, &format!("/assets/{UID}.md"), &[]);
    assert_eq!(card.status, 200);
    assert_eq!(
        card.header("content-type"),
        Some("text/markdown; charset=utf-8")
    );
    let on_disk = std::fs::read(fixture.hub().join(format!("assets/{UID}.md"))).expect("card");
    assert_eq!(card.body, on_disk);
    let gz = get(
        server.addr,
        &format!("/assets/{UID}.md"),
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&gz.body), on_disk);

    let model = get(
        server.addr,
        &format!("/{MODEL}"),
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(model.status, 200);
    assert_eq!(model.body, fixture.model);
    assert_eq!(
        model.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(model.header("content-encoding"), None);
    assert_eq!(model.header("content-length"), Some("100000"));
    assert_eq!(model.header("accept-ranges"), Some("bytes"));
    assert!(model.header("last-modified").is_some());
    // The files a card names were hashed when the index was built: the tag is the sha256.
    assert_eq!(
        model.header("etag"),
        Some(format!("\"{}\"", sha256(&fixture.model)).as_str())
    );
    let head = request(server.addr, "HEAD", &format!("/{MODEL}"), &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("100000"));
    assert_eq!(head.header("etag"), model.header("etag"));
    assert!(head.body.is_empty());

    let labels = get(server.addr, "/models/blob/labels.txt", &[]);
    assert_eq!(
        labels.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        get(server.addr, "/models/blob/missing.onnx", &[]).status,
        404
    );
}

#[test]
fn files_by_sha256_only_when_their_bytes_match() {
    let fixture = Fixture::new();
    let hub = fixture.hub();
    let mirrored = bytes(3000);
    let mirrored_sha = sha256(&mirrored);
    put(&hub, &format!("mirror/sha256/{mirrored_sha}"), &mirrored);
    let liar = sha256(b"something else");
    put(&hub, &format!("mirror/sha256/{liar}"), &bytes(10));
    let server = start(fixture.config());

    let model_sha = sha256(&fixture.model);
    let by_hash = get(server.addr, &format!("/sha256/{model_sha}"), &[]);
    assert_eq!(by_hash.status, 200);
    assert_eq!(by_hash.body, fixture.model);
    assert_eq!(
        by_hash.header("etag"),
        Some(format!("\"{model_sha}\"").as_str())
    );
    assert_eq!(
        by_hash.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let blob = get(server.addr, &format!("/sha256/{mirrored_sha}"), &[]);
    assert_eq!(blob.status, 200);
    assert_eq!(blob.body, mirrored);
    assert_eq!(
        get(server.addr, &format!("/sha256/{liar}"), &[]).status,
        404
    );
    assert_eq!(
        get(server.addr, &format!("/sha256/{}", "0".repeat(64)), &[]).status,
        404
    );
    assert_eq!(
        get(
            server.addr,
            &format!("/sha256/{}", model_sha.to_uppercase()),
            &[]
        )
        .status,
        404
    );
    assert_eq!(get(server.addr, "/sha256/xyz", &[]).status, 404);
    assert_eq!(get(server.addr, "/sha256/", &[]).status, 404);

    // A file changed after it was hashed is hashed again, and no longer served by hash.
    std::fs::write(hub.join(MODEL), bytes(100_001)).expect("rewrite");
    assert_eq!(
        get(server.addr, &format!("/sha256/{model_sha}"), &[]).status,
        404
    );
    let by_path = get(server.addr, &format!("/{MODEL}"), &[]);
    assert_eq!(by_path.status, 200);
    assert_ne!(
        by_path.header("etag"),
        Some(format!("\"{model_sha}\"").as_str())
    );
}

#[test]
fn the_web_app_and_the_page_saying_it_is_not_built() {
    let fixture = Fixture::new();
    let web = fixture.dir.path().join("dist");
    let mut config = fixture.config();
    config.web_dir = Some(web.clone());
    let server = start(config);
    let page = get(server.addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("cargo xtask web"), "{}", page.text());
    assert!(page.text().contains("href=\"index.json\""));
    assert_eq!(get(server.addr, "/app.js", &[]).status, 404);

    // The app is built while the server runs.
    let html = "<!doctype html><title>mhub</title><script src=\"app.js\"></script>\n".repeat(20);
    put(&web, "index.html", html.as_bytes());
    let wasm = [b"\0asm\x01\0\0\0".as_slice(), &[0u8; 4000]].concat();
    put(&web, "app_bg.wasm", &wasm);
    put(&web, "app.js", b"export default function init() {}\n");
    let index = get(server.addr, "/", &[]);
    assert_eq!(index.body, html.as_bytes());
    let module = get(server.addr, "/app_bg.wasm", &[("Accept-Encoding", "br")]);
    assert_eq!(module.header("content-type"), Some("application/wasm"));
    assert_eq!(module.header("content-encoding"), Some("br"));
    assert_eq!(unbrotli(&module.body), wasm);
    let script = get(server.addr, "/app.js", &[]);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // Hub files the app does not have are served too.
    assert_eq!(
        get(server.addr, &format!("/{MODEL}"), &[]).body,
        fixture.model
    );
}

#[test]
fn the_app_answers_for_its_own_files_and_hub_bytes_run_in_a_sandbox() {
    let fixture = Fixture::new();
    let web = fixture.dir.path().join("dist");
    put(
        &web,
        "index.html",
        b"<!doctype html><title>the app</title>\n",
    );
    put(&web, "sw.js", b"// the app's service worker\n");
    put(&web, "web.js", b"// the app\n");
    // A hub tree may hold files of the same names, and files a browser would execute.
    let hub = fixture.hub();
    put(&hub, "index.html", b"<script>window.pwned=1</script>\n");
    put(
        &hub,
        "sw.js",
        b"self.addEventListener('fetch', () => {});\n",
    );
    put(&hub, "web.js", b"window.pwned = 1;\n");
    put(
        &hub,
        "static/images/x.svg",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>\n",
    );
    put(&hub, "static/page.html", b"<script>alert(1)</script>\n");
    put(
        &hub,
        "static/a.xhtml",
        b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></html>\n",
    );
    let mut config = fixture.config();
    config.web_dir = Some(web);
    let server = start(config);
    for (path, app) in [
        ("/", "the app"),
        ("/index.html", "the app"),
        ("/sw.js", "the app's service worker"),
        ("/web.js", "the app"),
    ] {
        let reply = get(server.addr, path, &[]);
        assert!(reply.text().contains(app), "{path}: {}", reply.text());
        let policy = reply.header("content-security-policy").unwrap_or_default();
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    let sha = sha256(&fixture.model);
    for path in [
        "/static/images/x.svg",
        "/static/page.html",
        "/static/a.xhtml",
        &format!("/{MODEL}"),
        &format!("/assets/{UID}.md"),
        "/index.json",
        &format!("/sha256/{sha}"),
    ] {
        // Asked twice: the second answer comes from memory and must carry the policy too.
        for _ in 0..2 {
            let reply = get(server.addr, path, &[]);
            assert_eq!(reply.status, 200, "{path}");
            let policy = reply.header("content-security-policy").unwrap_or_default();
            assert!(policy.starts_with("sandbox"), "{path}: {policy:?}");
            assert_eq!(
                reply.header("x-content-type-options"),
                Some("nosniff"),
                "{path}"
            );
        }
    }
}

#[test]
fn only_get_and_head_and_never_a_request_body() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        for path in ["/", "/index.json", &format!("/{MODEL}")] {
            let reply = request(server.addr, method, path, &[("Content-Length", "0")]);
            assert_eq!(reply.status, 405, "{method} {path}");
            assert_eq!(reply.header("allow"), Some("GET, HEAD"));
        }
    }
    let with_body = super::send(
        server.addr,
        b"GET /index.json HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(with_body.status, 413);
    let chunked = super::send(
        server.addr,
        b"GET /index.json HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(chunked.status, 413);
}

#[test]
fn small_files_kept_in_memory_follow_their_file() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let path = "/models/blob/labels.txt";
    let file = fixture.hub().join("models/blob/labels.txt");
    let first = get(server.addr, path, &[]);
    // The second answer comes from memory, the same bytes and tag.
    let second = get(server.addr, path, &[]);
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("etag"), first.header("etag"));
    // Replaced by renaming a new file over it: a new inode.
    let fresh = fixture.hub().join("models/blob/labels.new");
    std::fs::write(&fresh, b"bird\n".repeat(64)).expect("write");
    std::fs::rename(&fresh, &file).expect("rename");
    assert_eq!(get(server.addr, path, &[]).body, b"bird\n".repeat(64));
    // Rewritten in place with another size.
    std::fs::write(&file, b"fish\n").expect("rewrite");
    let rewritten = get(server.addr, path, &[]);
    assert_eq!(rewritten.body, b"fish\n");
    assert_ne!(rewritten.header("etag"), first.header("etag"));
    // Removed.
    std::fs::remove_file(&file).expect("rm");
    assert_eq!(get(server.addr, path, &[]).status, 404);
    // Compressed forms follow too.
    let card = format!("/assets/{UID}.md");
    let gz = get(server.addr, &card, &[("Accept-Encoding", "gzip")]);
    let on_disk = fixture.hub().join(format!("assets/{UID}.md"));
    let replaced = [
        std::fs::read(&on_disk).expect("card"),
        b"\nMore.\n".to_vec(),
    ]
    .concat();
    std::fs::write(&on_disk, &replaced).expect("rewrite");
    let again = get(server.addr, &card, &[("Accept-Encoding", "gzip")]);
    assert_ne!(again.body, gz.body);
    assert_eq!(gunzip(&again.body), replaced);
}

#[test]
fn a_signed_hub_serves_its_own_index_byte_for_byte_and_its_signature() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let built = get(server.addr, "/index.json", &[]);
    assert_eq!(built.status, 200);
    assert_eq!(get(server.addr, "/index.json.sig", &[]).status, 404);
    // What `mhub index --sign` writes: an index that is not what the server would build
    // (its version and card digests), and the signature beside it.
    let signed = b"{\"format\": 1, \"version\": 7, \"expires\": 1, \"models\": []}\n";
    put(&fixture.hub(), "index.json", signed);
    put(
        &fixture.hub(),
        "index.json.sig",
        b"{\"format\": 1, \"signatures\": []}\n",
    );
    for coding in ["identity", "gzip"] {
        let reply = get(server.addr, "/index.json", &[("Accept-Encoding", coding)]);
        assert_eq!(reply.status, 200);
        let body = if reply.header("content-encoding") == Some("gzip") {
            gunzip(&reply.body)
        } else {
            reply.body.clone()
        };
        assert_eq!(body, signed, "{coding}");
    }
    let sig = get(server.addr, "/index.json.sig", &[]);
    assert_eq!(sig.status, 200);
    assert_eq!(sig.text(), "{\"format\": 1, \"signatures\": []}\n");
    // Without the signature, the index is the one built from the cards again.
    std::fs::remove_file(fixture.hub().join("index.json.sig")).expect("rm");
    assert_eq!(get(server.addr, "/index.json", &[]).body, built.body);
}
