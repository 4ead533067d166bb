//! Graceful shutdown: downloads under way finish, new connections are refused, and the grace period ends it.

use super::{Fixture, put, start};
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use testserver::bytes;

const BOUND: Duration = Duration::from_secs(20);

/// Connects until the listener is gone: a connection accepted before the server saw the
/// shutdown is answered, one left waiting when the listener closed is reset, and then
/// connecting is refused.
fn wait_until_refused(addr: SocketAddr) {
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < BOUND,
            "the server kept accepting connections"
        );
        let Ok(mut stream) = TcpStream::connect(addr) else {
            break;
        };
        let _ =
            stream.write_all(b"GET /index.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let mut reply = Vec::new();
        match stream.read_to_end(&mut reply) {
            Ok(_) if reply.starts_with(b"HTTP/1.1 200") => continue,
            _ => break,
        }
    }
    let refused = TcpStream::connect(addr).expect_err("a new connection after shutdown");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

/// Sends a GET for `path` and reads the response head.
fn begin(addr: SocketAddr, path: &str) -> (TcpStream, super::Reply) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").expect("write");
    let head = super::read_head(&mut stream);
    (stream, head)
}

#[test]
fn a_download_under_way_finishes_and_new_connections_are_refused() {
    let fixture = Fixture::new();
    let big = bytes(32 << 20);
    put(&fixture.hub(), "models/big.bin", &big);
    let mut config = fixture.config();
    config.limits.idle_timeout = Duration::from_secs(60);
    let mut server = start(config);
    let (mut download, head) = begin(server.addr, "/models/big.bin");
    assert_eq!(head.status, 200);
    let mut body = vec![0u8; 1 << 20];
    download.read_exact(&mut body).expect("the first MiB");
    // An idle keep-alive connection, to be closed by the shutdown.
    let (mut idle, _) = begin(server.addr, "/models/blob/labels.txt");
    let mut labels = [0u8; 320];
    idle.read_exact(&mut labels).expect("labels");

    server.shutdown();
    wait_until_refused(server.addr);
    idle.set_read_timeout(Some(BOUND)).expect("timeout");
    assert_eq!(idle.read(&mut [0u8; 16]).expect("an orderly close"), 0);

    let mut rest = Vec::new();
    download.set_read_timeout(Some(BOUND)).expect("timeout");
    download
        .read_to_end(&mut rest)
        .expect("the rest of the download");
    body.extend_from_slice(&rest);
    assert!(
        body == big,
        "the download finished with other bytes ({} of {})",
        body.len(),
        big.len()
    );
    assert!(server.stopped_within(BOUND));
}

#[test]
fn the_grace_period_bounds_a_stalled_download() {
    let fixture = Fixture::new();
    put(&fixture.hub(), "models/big.bin", &bytes(32 << 20));
    let mut config = fixture.config();
    config.limits.idle_timeout = Duration::from_secs(600);
    config.limits.shutdown_grace = Duration::from_secs(1);
    let mut server = start(config);
    // A client that starts a download and never reads it.
    let (_stalled, head) = begin(server.addr, "/models/big.bin");
    assert_eq!(head.status, 200);
    server.shutdown();
    assert!(
        server.stopped_within(BOUND),
        "the server waited past its grace period"
    );
}
