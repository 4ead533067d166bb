//! Hostile clients and trees: traversal, links out of the tree, dotfiles, slow and idle clients, the connection cap.

use super::{Fixture, MODEL, put, send, start};
use std::io::{ErrorKind, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use testserver::{bytes, sha256};

const SECRET: &str = "TOP SECRET";

/// A generous bound for what should take about a second: it must pass on a busy CI machine.
const BOUND: Duration = Duration::from_secs(10);

/// Asserts `raw` gets a refusal that gives nothing away.
fn refused(addr: std::net::SocketAddr, raw: &str) {
    let reply = send(addr, raw.as_bytes());
    assert!(
        matches!(reply.status, 400 | 404),
        "{raw:?} answered {}",
        reply.status
    );
    assert!(!reply.text().contains(SECRET), "{raw:?} leaked the secret");
}

fn get_raw(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
}

#[cfg(unix)]
#[test]
fn nothing_outside_the_tree_hidden_or_a_folder_is_ever_served() {
    use std::os::unix::fs::symlink;
    let fixture = Fixture::new();
    let top = fixture.dir.path();
    let hub = fixture.hub();
    std::fs::write(top.join("secret.txt"), SECRET).expect("secret");
    put(top, "outside/secret.txt", SECRET.as_bytes());
    put(&hub, ".git/config", SECRET.as_bytes());
    put(&hub, "models/.env", SECRET.as_bytes());
    put(&hub, "assets/.hidden.md", SECRET.as_bytes());
    symlink(top.join("secret.txt"), hub.join("models/leak.txt")).expect("link");
    symlink(top.join("outside"), hub.join("outside")).expect("link");
    symlink("../.git/config", hub.join("models/sneaky")).expect("link");
    symlink("blob/model.onnx", hub.join("models/alias.onnx")).expect("link");
    // A named pipe: opening it to read would wait for a writer forever.
    let fifo = std::process::Command::new("mkfifo")
        .arg(hub.join("models/pipe"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success());
    // A mirror store that is a link out of the tree, holding a blob named by its hash.
    put(
        top,
        &format!("elsewhere/sha256/{}", sha256(SECRET.as_bytes())),
        SECRET.as_bytes(),
    );
    symlink(top.join("elsewhere"), hub.join("mirror")).expect("link");
    // A card that is a link to a card outside the tree.
    let outside_card = super::card("leak", &[("onnx", MODEL, &sha256(b"x"))], "");
    put(
        top,
        "leak_v1.0_cifar10.md",
        outside_card.replace("test leak", SECRET).as_bytes(),
    );
    symlink(
        top.join("leak_v1.0_cifar10.md"),
        hub.join("assets/test/cpu/1.0/leak_v1.0_cifar10.md"),
    )
    .expect("link");
    let server = start(fixture.config());
    let addr = server.addr;

    let absolute = top.join("secret.txt").display().to_string();
    let targets = [
        "/../secret.txt",
        "/../../../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/models/..%2f..%2f..%2fsecret.txt",
        "/models%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/models/..%5c..%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/models/blob/model.onnx%00.txt",
        "/secret.txt%00",
        "/./secret.txt",
        "//secret.txt",
        &absolute,
        "/assets/../../secret.txt",
        "http://test/../secret.txt",
        "/models/leak.txt",
        "/outside/secret.txt",
        "/models/sneaky",
        "/.git/config",
        "/%2egit/config",
        "/models/.env",
        "/assets/.hidden.md",
        "/assets/test/cpu/1.0/leak_v1.0_cifar10.md",
        "/mirror/sha256/x",
        "/models/pipe",
        "/models",
        "/models/",
        "/models/blob",
        "/assets",
        "/assets/",
    ];
    for target in targets {
        refused(addr, &get_raw(target));
    }
    refused(
        addr,
        &format!(
            "GET /{} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            "a/".repeat(40)
        ),
    );
    refused(
        addr,
        "GET /..\\secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let by_hash = send(
        addr,
        get_raw(&format!("/sha256/{}", sha256(SECRET.as_bytes()))).as_bytes(),
    );
    assert_eq!(by_hash.status, 404);
    let index = send(addr, get_raw("/index.json").as_bytes());
    assert!(
        !index.text().contains(SECRET),
        "the index read a card outside the tree"
    );
    assert!(!index.text().contains("leak_v1.0"));
    // A link that stays inside the tree is followed.
    let alias = send(addr, get_raw("/models/alias.onnx").as_bytes());
    assert_eq!(alias.status, 200);
    assert_eq!(alias.body, fixture.model);
    let garbage = send(addr, b"NONSENSE\r\n\r\n");
    assert_eq!(garbage.status, 400);
}

/// Reads until the server closes the connection; how long that took, or `None` if it
/// did not within [`BOUND`].
fn closed_within(stream: &mut TcpStream) -> Option<Duration> {
    let start = Instant::now();
    stream.set_read_timeout(Some(BOUND)).expect("timeout");
    let mut sink = [0u8; 4096];
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Some(start.elapsed()),
            Err(_) => return None,
        }
    }
}

#[test]
fn a_request_head_sent_too_slowly_is_cut_off() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    // Half a head, then nothing.
    let mut silent = TcpStream::connect(server.addr).expect("connect");
    silent
        .write_all(b"GET /index.json HTTP/1.1\r\nHost: test\r\n")
        .expect("write");
    let took = closed_within(&mut silent).expect("closed");
    eprintln!("a half-sent head was closed after {took:?} (header timeout 1 s)");
    // A header byte every 100 ms: bytes keep moving, and the head still has to be done in time.
    let mut trickle = TcpStream::connect(server.addr).expect("connect");
    let start = Instant::now();
    trickle
        .write_all(b"GET /index.json HTTP/1.1\r\n")
        .expect("write");
    let cut_off = loop {
        if trickle.write_all(b"X-Slow: y\r\n").is_err() {
            break start.elapsed();
        }
        assert!(start.elapsed() < BOUND, "a trickled head was never cut off");
        // This pause is the attack: a client that sends its head slowly.
        std::thread::sleep(Duration::from_millis(100));
        trickle.set_nonblocking(true).expect("nonblocking");
        let mut probe = [0u8; 1];
        // Anything but "nothing yet" means the server gave up on this head.
        let gone = !matches!(trickle.read(&mut probe), Err(e) if e.kind() == ErrorKind::WouldBlock);
        trickle.set_nonblocking(false).expect("blocking");
        if gone {
            break start.elapsed();
        }
    };
    eprintln!("a trickled head was closed after {cut_off:?}");
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .write_all(b"GET /models/blob/labels.txt HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("write");
    let reply = super::read_head(&mut stream);
    let len: usize = reply
        .header("content-length")
        .expect("length")
        .parse()
        .expect("number");
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("body");
    // The connection is kept alive; then, idle, it is closed.
    let took = closed_within(&mut stream).expect("an idle connection is closed");
    eprintln!("an idle keep-alive connection was closed after {took:?}");
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let fixture = Fixture::new();
    let big = bytes(32 << 20);
    put(&fixture.hub(), "models/big.bin", &big);
    let server = start(fixture.config());
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .write_all(b"GET /models/big.bin HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("write");
    let mut first = [0u8; 1024];
    stream.read_exact(&mut first).expect("the response starts");
    // The behaviour under test: a client that stops reading, for three idle timeouts.
    std::thread::sleep(Duration::from_secs(3));
    stream.set_read_timeout(Some(BOUND)).expect("timeout");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    // The head alone is more than 100 bytes: fewer bytes than the body means it was cut.
    assert!(
        first.len() + rest.len() < big.len(),
        "the whole file was sent to a client that stopped reading"
    );
}

#[test]
fn connections_over_the_cap_are_answered_503() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.limits.max_connections = 2;
    config.limits.header_timeout = Duration::from_secs(30);
    config.limits.idle_timeout = Duration::from_secs(30);
    let server = start(config);
    let open = || {
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream
            .write_all(b"GET /models/blob/labels.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .expect("write");
        let mut buf = [0u8; 12];
        stream.read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"HTTP/1.1 200");
        stream
    };
    let first = open();
    let _second = open();
    let over = send(server.addr, b"GET /index.json HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(over.status, 503);
    assert_eq!(over.header("retry-after"), Some("1"));
    // Once a connection closes, its place is free again.
    drop(first);
    let start = Instant::now();
    loop {
        let reply = send(
            server.addr,
            b"GET /index.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503);
        assert!(
            start.elapsed() < BOUND,
            "the closed connection's place was never freed"
        );
    }
}

#[test]
fn oversized_heads_are_refused() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let raw = format!(
        "GET /index.json HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(100 << 10)
    );
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    let _ = stream.write_all(raw.as_bytes());
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    assert!(
        out.is_empty() || out.starts_with(b"HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(200)])
    );
}
