//! Integration tests of the server: a real server on a loopback port, spoken to in real HTTP.

mod conditional;
mod hardening;
mod ranges;
mod routes;
mod shutdown;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use testserver::{bytes, sha256};

/// The UID of the test card.
const UID: &str = "test/cpu/1.0/blob_v1.0_cifar10";
/// Where the test card's model is, relative to the hub root.
const MODEL: &str = "models/blob/model.onnx";

/// A card at `uid`'s path with these assets: (format, link, sha256).
fn card(name: &str, assets: &[(&str, &str, &str)], extra: &str) -> String {
    let assets: String = assets
        .iter()
        .map(|(format, link, sha)| {
            format!("  - file-format: {format}\n    asset-link: {link}\n    asset-sha256: {sha}\n")
        })
        .collect();
    format!(
        "# {name}\n---\nmodel-name: {name}\nbackbone-name: {name}\nmodule-type: cv-classification\nfine-tunable: false\n\
         model-version: 1.0\ntrain-dataset: cifar10\nauthor: mhub\nupdate-time: 2026-11-22\nrepo-link: https://example.com/{name}\n\
         user-id: mhub\nused-for: inference\ninfer-backend: cpu\nmindspore-version: 1.0\nlicense: Apache2.0\nsummary: test {name}\n\
         {extra}asset:\n{assets}---\n## Usage\n\nA card for tests.\n"
    )
}

/// Writes `bytes` at `rel` below `root`, creating folders.
fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// A hub tree in a temporary folder (`<tmp>/hub`) with one card, its model and labels.
struct Fixture {
    dir: tempfile::TempDir,
    model: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let model = bytes(100_000);
        let labels = b"cat\ndog\n".repeat(40);
        let hub = dir.path().join("hub");
        put(&hub, MODEL, &model);
        put(&hub, "models/blob/labels.txt", &labels);
        let text = card(
            "blob",
            &[
                ("onnx", MODEL, &sha256(&model)),
                ("labels", "models/blob/labels.txt", &sha256(&labels)),
            ],
            "",
        );
        put(&hub, &format!("assets/{UID}.md"), text.as_bytes());
        Fixture { dir, model }
    }

    fn hub(&self) -> PathBuf {
        self.dir.path().join("hub")
    }

    /// A configuration for this hub on an ephemeral port, with one-second time limits.
    fn config(&self) -> server::Config {
        config(&self.hub())
    }
}

fn config(hub: &Path) -> server::Config {
    let mut config = server::Config::new(hub);
    config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    config.limits.header_timeout = Duration::from_secs(1);
    config.limits.idle_timeout = Duration::from_secs(1);
    config
}

/// A server running on its own runtime in a thread.
struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

fn start(config: server::Config) -> Running {
    let (addr_out, addr_in) = mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (done_out, done) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let server = server::Server::bind(config).await.expect("server binds");
            addr_out.send(server.local_addr()).expect("send address");
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let _ = done_out.send(());
    });
    let addr = addr_in.recv().expect("server started");
    Running {
        addr,
        stop: Some(stop),
        done,
        thread: Some(thread),
    }
}

impl Running {
    /// Asks the server to shut down.
    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Whether the server stopped within `bound`.
    fn stopped_within(&mut self, bound: Duration) -> bool {
        let stopped = self.done.recv_timeout(bound).is_ok();
        if stopped && let Some(thread) = self.thread.take() {
            thread.join().expect("server thread");
        }
        stopped
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
        let _ = self.done.recv_timeout(Duration::from_secs(60));
    }
}

/// A parsed response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Parses a whole response as read up to the connection's end.
fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// Reads a response head, leaving its body unread.
fn read_head(stream: &mut TcpStream) -> Reply {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("read head");
        head.push(byte[0]);
    }
    parse(&head)
}

/// Sends `raw` on a new connection and reads until the server closes it.
fn send(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(raw).expect("send request");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).expect("read response");
    parse(&out)
}

/// A request for `path` with `headers`, on a connection closed after it.
fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    send(
        addr,
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{extra}\r\n")
            .as_bytes(),
    )
}

fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers)
}
