//! Reach: this machine and the local network only at the hub's own origin, checked on every hop and on the address connected.

use super::{UID, card};
use cache::{Error, NetConfig, Silent, Source};
use std::time::Duration;
use testserver::{Fault, Server, bytes, sha256};

/// Default reach, quick timeouts: what a user gets.
fn net() -> NetConfig {
    NetConfig {
        read_timeout: Duration::from_millis(700),
        retries: 1,
        backoff: Duration::from_millis(10),
        ..NetConfig::default()
    }
}

fn hub(cache: &std::path::Path, source: &str) -> cache::Hub {
    cache::Hub::builder()
        .dir(cache)
        .source(Source::parse(source).expect("source"))
        .net(net())
        .build()
        .expect("hub")
}

/// A hub on `server` whose card's one asset is at `link`.
fn serve_card(server: &Server, link: &str, data: &[u8]) {
    let text = card(link, &sha256(data), None);
    server.put(&format!("/assets/{UID}.md"), text.into_bytes());
}

#[test]
fn a_loopback_hub_reaches_its_own_origin() {
    let server = Server::start();
    let data = bytes(4_000);
    server.put("/blob.bin", data.clone());
    serve_card(&server, &server.url("/blob.bin"), &data);
    let cache = tempfile::tempdir().expect("temp");
    let pulled = hub(cache.path(), &server.url("/"))
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("same origin");
    assert_eq!(std::fs::read(&pulled.assets[0].path).expect("blob"), data);
}

#[test]
fn a_card_cannot_send_mhub_to_another_local_address() {
    let hub_server = Server::start();
    let other = Server::start();
    let data = bytes(4_000);
    other.put("/blob.bin", data.clone());
    let port = other
        .url("/")
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or("0")
        .to_owned();
    let cache = tempfile::tempdir().expect("temp");
    // The same service written every way a url can name this machine or the local network.
    for link in [
        format!("http://127.0.0.1:{port}/blob.bin"),
        format!("https://127.0.0.1:{port}/blob.bin"),
        format!("http://localhost:{port}/blob.bin"),
        format!("http://LOCALHOST:{port}/blob.bin"),
        format!("http://[::1]:{port}/blob.bin"),
        format!("http://[::ffff:127.0.0.1]:{port}/blob.bin"),
        format!("http://2130706433:{port}/blob.bin"),
        format!("http://0x7f.1:{port}/blob.bin"),
        format!("http://127.1:{port}/blob.bin"),
        format!("http://0.0.0.0:{port}/blob.bin"),
        format!("http://10.0.0.1:{port}/blob.bin"),
        format!("http://192.168.1.1:{port}/blob.bin"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://[fe80::1]:{port}/blob.bin"),
        format!("http://[fd00::1]:{port}/blob.bin"),
        format!("http://a.localhost:{port}/blob.bin"),
    ] {
        serve_card(&hub_server, &link, &data);
        let err = hub(cache.path(), &hub_server.url("/"))
            .pull(&UID.parse().expect("uid"), false, &Silent)
            .expect_err(&link);
        assert!(matches!(err, Error::LocalAddress { .. }), "{link}: {err}");
    }
    assert_eq!(
        other.requests("/blob.bin"),
        0,
        "another local service was asked"
    );
}

#[test]
fn a_name_that_resolves_to_this_machine_is_checked_where_it_connects() {
    let hub_server = Server::start();
    let other = Server::start();
    let data = bytes(4_000);
    other.put("/blob.bin", data.clone());
    let port = other
        .url("/")
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or("0")
        .to_owned();
    // The machine's own name is not a local name as written; only its address (from
    // /etc/hosts: loopback, or a private container address) shows where it goes.
    let names: Vec<String> = std::fs::read_to_string("/etc/hostname")
        .into_iter()
        .map(|h| h.trim().to_owned())
        .chain(["ip6-localhost".to_owned(), "ip6-loopback".to_owned()])
        .collect();
    let name = names
        .iter()
        .find(|n| {
            use std::net::ToSocketAddrs as _;
            (n.as_str(), 0)
                .to_socket_addrs()
                .is_ok_and(|mut a| a.next().is_some())
        })
        .expect("this machine's name resolves");
    let link = format!("https://{name}:{port}/blob.bin");
    serve_card(&hub_server, &link, &data);
    let cache = tempfile::tempdir().expect("temp");
    let err = hub(cache.path(), &hub_server.url("/"))
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("resolves to loopback");
    let text = format!("{err}: {:?}", std::error::Error::source(&err));
    assert!(
        text.contains("local network") || text.contains("LocalAddress"),
        "{text}"
    );
    assert_eq!(other.requests("/blob.bin"), 0);
}

#[test]
fn a_redirect_to_another_local_address_is_refused_on_the_hop() {
    let hub_server = Server::start();
    let other = Server::start();
    let data = bytes(4_000);
    hub_server.put("/blob.bin", data.clone());
    other.put("/blob.bin", data.clone());
    serve_card(&hub_server, &hub_server.url("/blob.bin"), &data);
    hub_server.fault("/blob.bin", Fault::Redirect(other.url("/blob.bin")));
    let cache = tempfile::tempdir().expect("temp");
    let err = hub(cache.path(), &hub_server.url("/"))
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("a redirect to another port");
    assert!(matches!(err, Error::Fetch { .. }), "{err}");
    assert_eq!(other.requests("/blob.bin"), 0);
}

#[test]
fn a_hub_on_disk_reaches_local_addresses_only_when_allowed() {
    let server = Server::start();
    let data = bytes(4_000);
    server.put("/blob.bin", data.clone());
    let dir = tempfile::tempdir().expect("temp");
    super::write_hub(
        dir.path(),
        &card(&server.url("/blob.bin"), &sha256(&data), None),
    );
    let cache = tempfile::tempdir().expect("temp");
    let err = hub(cache.path(), &dir.path().display().to_string())
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect_err("no origin to trust");
    assert!(matches!(err, Error::LocalAddress { .. }), "{err}");
    let allowed = cache::Hub::builder()
        .dir(cache.path())
        .source(Source::parse(&dir.path().display().to_string()).expect("source"))
        .net(NetConfig {
            allow_local: true,
            ..net()
        })
        .build()
        .expect("hub");
    allowed
        .pull(&UID.parse().expect("uid"), false, &Silent)
        .expect("--allow-local");
}
