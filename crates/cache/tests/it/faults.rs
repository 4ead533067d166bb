//! Every way the network misbehaves ends in a clear error or a correct file, never an unverified one.

use super::{UID, assert_clean, blob_count, card, hub};
use cache::{Error, Silent};
use testserver::{Fault, Server, bytes, sha256};

/// A server with a hub whose card points at `/blob.bin` (absolute url), plus the blob.
fn setup(size_in_card: bool) -> (Server, Vec<u8>, tempfile::TempDir) {
    let server = Server::start();
    let data = bytes(300_000);
    let text = card(
        &server.url("/blob.bin"),
        &sha256(&data),
        size_in_card.then_some(data.len() as u64),
    );
    server.put(&format!("/assets/{UID}.md"), text.into_bytes());
    server.put("/blob.bin", data.clone());
    (server, data, tempfile::tempdir().expect("temp dir"))
}

fn pull(server: &Server, dir: &std::path::Path) -> Result<cache::Pulled, Error> {
    hub(dir, &server.url("/")).pull(&UID.parse().expect("uid"), false, &Silent)
}

fn assert_pulled(server: &Server, dir: &std::path::Path, data: &[u8]) {
    let pulled = pull(server, dir).expect("pull succeeds");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
    assert_eq!(pulled.assets[0].sha256, sha256(data));
    assert_clean(&hub(dir, &server.url("/")));
}

#[test]
fn plain_pull_then_cache_hit() {
    let (server, data, dir) = setup(true);
    assert_pulled(&server, dir.path(), &data);
    let again = pull(&server, dir.path()).expect("cached");
    assert!(again.from_cache);
    assert_eq!(server.requests("/blob.bin"), 1);
}

#[test]
fn truncated_body_is_resumed() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::Truncate(100_000));
    assert_pulled(&server, dir.path(), &data);
    assert_eq!(server.requests("/blob.bin"), 2);
}

#[test]
fn reset_mid_stream_is_resumed() {
    let (server, data, dir) = setup(false);
    server.fault("/blob.bin", Fault::Reset(150_000));
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn stall_after_headers_times_out_then_recovers() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::Stall(std::time::Duration::from_secs(3)));
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn endless_stall_is_a_clear_error() {
    let (server, _, dir) = setup(true);
    for _ in 0..4 {
        server.fault("/blob.bin", Fault::Stall(std::time::Duration::from_secs(3)));
    }
    let err = pull(&server, dir.path()).expect_err("every try stalls");
    assert!(err.to_string().contains("blob.bin"), "{err}");
    assert_eq!(blob_count(dir.path()), 0);
}

#[test]
fn wrong_bytes_are_never_stored() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::WrongBytes);
    let err = pull(&server, dir.path()).expect_err("hash mismatch");
    assert!(matches!(err, Error::Digest { .. }), "{err}");
    assert_eq!(blob_count(dir.path()), 0);
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn full_answer_to_a_range_request_restarts_from_zero() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::Truncate(120_000));
    server.fault("/blob.bin", Fault::IgnoreRange);
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn partial_content_that_starts_early_is_not_spliced() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::Truncate(120_000));
    server.fault("/blob.bin", Fault::EarlyRange(1000));
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn a_terabyte_content_length_is_refused() {
    let (server, _, dir) = setup(true);
    server.fault("/blob.bin", Fault::HugeLength);
    let err = pull(&server, dir.path()).expect_err("too large");
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert_eq!(blob_count(dir.path()), 0);
}

#[test]
fn a_lying_length_cannot_pass_the_size_cap() {
    let server = Server::start();
    let data = bytes(300_000);
    // The card says 1000 bytes; the server sends 300,000.
    server.put(
        &format!("/assets/{UID}.md"),
        card(&server.url("/blob.bin"), &sha256(&data), Some(1000)).into_bytes(),
    );
    server.put("/blob.bin", data);
    let dir = tempfile::tempdir().expect("temp");
    let err = pull(&server, dir.path()).expect_err("over the declared size");
    assert!(matches!(err, Error::TooLarge { limit: 1000, .. }), "{err}");
    assert_eq!(blob_count(dir.path()), 0);
}

#[test]
fn a_redirect_loop_is_a_clear_error() {
    let (server, _, dir) = setup(true);
    for _ in 0..10 {
        server.fault("/blob.bin", Fault::RedirectLoop);
    }
    let err = pull(&server, dir.path()).expect_err("loop");
    assert!(err.to_string().contains("redirects refused"), "{err}");
}

#[test]
fn server_error_then_success() {
    let (server, data, dir) = setup(true);
    server.fault("/blob.bin", Fault::Status(500));
    server.fault("/blob.bin", Fault::Status(503));
    assert_pulled(&server, dir.path(), &data);
    assert_eq!(server.requests("/blob.bin"), 3);
}

#[test]
fn missing_model_and_missing_asset_are_named() {
    let (server, _, dir) = setup(true);
    let err = hub(dir.path(), &server.url("/"))
        .pull(
            &"test/cpu/1.0/nothing_v1_x".parse().expect("uid"),
            false,
            &Silent,
        )
        .expect_err("404");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    server.put("/blob.bin", Vec::new());
    let empty = tempfile::tempdir().expect("temp");
    server.fault("/blob.bin", Fault::Status(404));
    let err = pull(&server, empty.path()).expect_err("asset 404");
    assert!(matches!(err, Error::Status { status: 404, .. }), "{err}");
}

#[test]
fn plain_http_to_other_hosts_is_refused() {
    let dir = tempfile::tempdir().expect("temp");
    let err = cache::Hub::builder()
        .dir(dir.path())
        .source(cache::Source::parse("http://example.com/hub/").expect("source"))
        .build()
        .expect("hub");
    let err = err.list(&Silent).expect_err("insecure");
    assert!(matches!(err, Error::InsecureUrl { .. }), "{err}");
}

#[test]
fn redirect_from_loopback_to_plain_http_elsewhere_is_refused() {
    let (server, _, dir) = setup(true);
    server.fault(
        "/blob.bin",
        Fault::Redirect("http://example.com/blob.bin".to_owned()),
    );
    let err = pull(&server, dir.path()).expect_err("downgrade");
    assert!(err.to_string().contains("redirects refused"), "{err}");
}

#[test]
fn a_server_that_trickles_cannot_hold_a_pull_forever() {
    let (server, data, dir) = setup(true);
    // A few bytes every tenth of a second: never silent long enough for the read timeout.
    server.fault(
        "/blob.bin",
        Fault::Slow(16, std::time::Duration::from_millis(100)),
    );
    let net = cache::NetConfig {
        min_rate: 10_000,
        rate_window: std::time::Duration::from_millis(600),
        ..super::fast_net()
    };
    let hub = cache::Hub::builder()
        .dir(dir.path())
        .source(cache::Source::parse(&server.url("/")).expect("source"))
        .net(net)
        .build()
        .expect("hub");
    let started = std::time::Instant::now();
    let err = hub
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("too slow");
    assert!(
        err.to_string().contains("slower than 10000 bytes/s"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(blob_count(dir.path()), 0);
    // The partial is kept and the next pull, at full speed, resumes it.
    assert_pulled(&server, dir.path(), &data);
}

#[test]
fn lengths_from_the_network_never_overflow() {
    let (server, data, dir) = setup(false);
    // A broken first try leaves a partial; the resumed answer announces a length that,
    // added to the partial's, passes 2^64.
    for fault in [
        Fault::Announce(u64::MAX),
        Fault::Announce(u64::MAX - 1000),
        Fault::Announce(1 << 63),
    ] {
        server.fault("/blob.bin", Fault::Reset(100_000));
        server.fault("/blob.bin", fault.clone());
        // A clear error, or (when the client library refuses the header and the retry is
        // answered well) the right file; never a panic or a wrong file.
        match pull(&server, dir.path()) {
            Err(Error::TooLarge { .. } | Error::Fetch { .. }) => {}
            Ok(pulled) => {
                assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
                hub(dir.path(), &server.url("/"))
                    .cache()
                    .remove(UID)
                    .expect("rm");
            }
            Err(other) => panic!("{fault:?}: {other}"),
        }
    }
    assert_pulled(&server, dir.path(), &data);
}
