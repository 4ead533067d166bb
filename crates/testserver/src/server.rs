//! A real HTTP/1.1 server on 127.0.0.1 that serves bodies and misbehaves on demand.
//!
//! Each path holds a body and a queue of [`Fault`]s: a request takes the next
//! fault, and once the queue is empty the path is served correctly (`200`, or
//! `206` for `Range: bytes=N-`, with `ETag`-free plain headers).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// One way to answer a request badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Announce the full length, send this many body bytes, then close cleanly.
    Truncate(usize),
    /// Send this many body bytes, then reset the connection.
    Reset(usize),
    /// Send the headers, then wait this long before the body.
    Stall(Duration),
    /// Send bytes other than the stored ones (same length).
    WrongBytes,
    /// Answer a range request with `200` and the whole body.
    IgnoreRange,
    /// Answer a range request with a `206` that starts this many bytes early.
    EarlyRange(u64),
    /// Announce `Content-Length: 1 TiB`, then send the body.
    HugeLength,
    /// Announce this `Content-Length` (any number, up to 2^64 - 1), then send the body.
    Announce(u64),
    /// Redirect to the same path.
    RedirectLoop,
    /// Redirect to this location.
    Redirect(String),
    /// Send the body in pieces of this many bytes, pausing between them.
    Slow(usize, Duration),
}

#[derive(Default)]
struct Route {
    body: Arc<Vec<u8>>,
    faults: VecDeque<Fault>,
    requests: usize,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
}

/// A running server; it stops when dropped.
pub struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Server {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound: a test cannot run without one.
    #[allow(clippy::expect_used)]
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    let state = state2.clone();
                    thread::spawn(move || {
                        let _ = serve(stream, &state);
                    });
                }
            }
        });
        Server { addr, state, stop }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The url of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Serves `body` at `path`.
    pub fn put(&self, path: &str, body: Vec<u8>) {
        lock(&self.state)
            .routes
            .entry(path.to_owned())
            .or_default()
            .body = Arc::new(body);
    }

    /// Serves every file under `dir` at its relative path.
    pub fn put_dir(&self, dir: &Path) -> std::io::Result<()> {
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(dir) {
                    let rel: Vec<String> = rel
                        .iter()
                        .map(|c| c.to_string_lossy().into_owned())
                        .collect();
                    self.put(&format!("/{}", rel.join("/")), std::fs::read(&path)?);
                }
            }
        }
        Ok(())
    }

    /// Queues a fault for the next request to `path`.
    pub fn fault(&self, path: &str, fault: Fault) {
        lock(&self.state)
            .routes
            .entry(path.to_owned())
            .or_default()
            .faults
            .push_back(fault);
    }

    /// How many requests `path` has had.
    pub fn requests(&self, path: &str) -> usize {
        lock(&self.state).routes.get(path).map_or(0, |r| r.requests)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut range_start = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range:") {
            range_start = v
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split('-').next())
                .and_then(|n| n.trim().parse::<u64>().ok());
        }
    }
    let (body, fault) = {
        let mut st = lock(state);
        match st.routes.get_mut(&path) {
            Some(route) => {
                route.requests += 1;
                (Some(route.body.clone()), route.faults.pop_front())
            }
            None => (None, None),
        }
    };
    let mut out = stream;
    let Some(body) = body else {
        return write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    };
    let len = body.len() as u64;
    match fault {
        Some(Fault::Status(code)) => {
            return write!(
                out,
                "HTTP/1.1 {code} Fault\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Fault::RedirectLoop) => {
            return write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Fault::Redirect(to)) => {
            return write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        _ => {}
    }
    let start = match (&fault, range_start) {
        (Some(Fault::IgnoreRange), _) | (_, None) => None,
        (Some(Fault::EarlyRange(early)), Some(s)) => Some(s.saturating_sub(*early)),
        (_, Some(s)) => Some(s),
    };
    if let Some(s) = start.filter(|s| *s >= len && len > 0) {
        let _ = s;
        return write!(
            out,
            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
    let from = start.unwrap_or(0).min(len);
    let slice = &body[usize::try_from(from).unwrap_or(0)..];
    let announced = match fault {
        Some(Fault::HugeLength) => 1u64 << 40,
        Some(Fault::Announce(n)) => n,
        _ => slice.len() as u64,
    };
    match start {
        Some(s) => write!(
            out,
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {s}-{}/{len}\r\n",
            len.saturating_sub(1)
        )?,
        None => write!(out, "HTTP/1.1 200 OK\r\n")?,
    }
    write!(
        out,
        "Content-Length: {announced}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
    )?;
    match fault {
        Some(Fault::Truncate(n)) => out.write_all(&slice[..n.min(slice.len())]),
        Some(Fault::Reset(n)) => {
            out.write_all(&slice[..n.min(slice.len())])?;
            out.flush()?;
            thread::sleep(Duration::from_millis(20));
            reset(&out);
            Ok(())
        }
        Some(Fault::Stall(pause)) => {
            out.flush()?;
            thread::sleep(pause);
            out.write_all(slice)
        }
        Some(Fault::WrongBytes) => {
            out.write_all(&slice.iter().map(|b| b ^ 0x5a).collect::<Vec<u8>>())
        }
        Some(Fault::Slow(piece, pause)) => {
            for chunk in slice.chunks(piece.max(1)) {
                out.write_all(chunk)?;
                out.flush()?;
                thread::sleep(pause);
            }
            Ok(())
        }
        _ => out.write_all(slice),
    }
}
