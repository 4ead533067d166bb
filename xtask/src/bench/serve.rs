//! `cargo xtask bench serve`: requests per second of `mhub serve` next to nginx, on the same files, under wrk.

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The files served: a name and a size.
const FILES: &[(&str, usize)] = &[("1k.bin", 1 << 10), ("1m.bin", 1 << 20)];
/// How long one wrk run lasts.
const SECONDS: u32 = 4;
/// Runs per server and file, taken in turns so that both see the same machine; the
/// median is reported (a shared machine's speed drifts by a third from run to run).
const ROUNDS: usize = 5;
/// wrk's threads and connections.
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 64;

/// What one wrk run measured.
struct Rate {
    requests: f64,
    errors: u64,
}

/// Whether `program` can be started.
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Installs a Debian package with apt-get, saying so first.
fn apt_install(package: &str) -> Result<(), String> {
    println!("{package}: not found; installing it with `apt-get install -y {package}`");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))
    };
    apt(&["update", "-qq"])?;
    let status = apt(&["install", "-y", "-qq", package])?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`apt-get install -y {package}` failed with {status}"
        ))
    }
}

/// nginx's path: on PATH, else where Debian puts it.
fn nginx_program() -> Option<&'static str> {
    ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|p| installed(p))
}

/// A free loopback port.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Waits for a server to accept connections on `port`.
fn wait_for(port: u16) -> Result<(), String> {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("nothing listens on port {port} after 10 s"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Asks a server to stop as it would be in production (SIGTERM), and waits for it.
fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Runs wrk against `url` for `seconds`.
fn wrk(url: &str, seconds: u32) -> Result<Rate, String> {
    let out = Command::new("wrk")
        .args([
            &format!("-t{THREADS}"),
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            url,
        ])
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
    };
    let requests = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("wrk printed no rate for {url}:\n{text}"))?;
    let errors = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Rate { requests, errors })
}

/// The median of some runs, and its spread.
struct Summary {
    median: f64,
    low: f64,
    high: f64,
    errors: u64,
}

fn summary(rates: &[Rate]) -> Summary {
    let mut sorted: Vec<f64> = rates.iter().map(|r| r.requests).collect();
    sorted.sort_by(f64::total_cmp);
    Summary {
        median: sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN),
        low: sorted.first().copied().unwrap_or(f64::NAN),
        high: sorted.last().copied().unwrap_or(f64::NAN),
        errors: rates.iter().map(|r| r.errors).sum(),
    }
}

/// Runs wrk against each server in turn, [`ROUNDS`] times, after a warm-up of each.
fn measure(bases: &[&str], file: &str) -> Result<Vec<Summary>, String> {
    for base in bases {
        wrk(&format!("{base}/files/{file}"), 1)?;
    }
    let mut rates: Vec<Vec<Rate>> = bases.iter().map(|_| Vec::new()).collect();
    for _ in 0..ROUNDS {
        for (base, rates) in bases.iter().zip(&mut rates) {
            rates.push(wrk(&format!("{base}/files/{file}"), SECONDS)?);
        }
    }
    Ok(rates.iter().map(|r| summary(r)).collect())
}

/// Starts `mhub serve` on the hub, as quiet as nginx with `access_log off`.
fn start_mhub(root: &Path, hub: &Path) -> Result<(Child, String), String> {
    let mut child = Command::new(root.join("target/release/mhub"))
        .args(["serve", "-q", "--addr", "127.0.0.1:0", "--web"])
        .arg(hub.join("no-web-app"))
        .arg(hub)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start mhub serve: {e}"))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    match line.trim().strip_prefix("listening on ") {
        Some(url) => Ok((child, url.to_owned())),
        None => {
            terminate(child);
            Err(format!("mhub serve did not start: {line:?}"))
        }
    }
}

/// Starts nginx on the hub with a production configuration: sendfile, no access log,
/// a worker per core, keep-alive.
fn start_nginx(program: &str, work: &Path, hub: &Path) -> Result<(Child, String), String> {
    let port = free_port()?;
    let conf = format!(
        "worker_processes auto;\npid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  tcp_nodelay on;\n\
           keepalive_timeout 65;\n  keepalive_requests 1000000;\n  default_type application/octet-stream;\n\
           client_body_temp_path {work}/tmp;\n  proxy_temp_path {work}/tmp;\n  fastcgi_temp_path {work}/tmp;\n\
           uwsgi_temp_path {work}/tmp;\n  scgi_temp_path {work}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {hub};\n  }}\n}}\n",
        work = work.display(),
        hub = hub.display(),
    );
    let path = work.join("nginx.conf");
    fs::create_dir_all(work.join("tmp")).map_err(|e| format!("cannot create a folder: {e}"))?;
    fs::write(&path, conf).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    let child = Command::new(program)
        .args(["-p", &work.display().to_string(), "-c"])
        .arg(&path)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    if let Err(e) = wait_for(port) {
        terminate(child);
        return Err(e);
    }
    Ok((child, format!("http://127.0.0.1:{port}")))
}

/// Requests per second for 1 KiB and 1 MiB files from `mhub serve` and from nginx, in
/// the same run, with wrk on the same machine.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    crate::run("cargo", &["build", "--release", "--locked", "-p", "cli"])?;
    if !installed("wrk") {
        apt_install("wrk")?;
    }
    let work = root.join("target/bench/serve");
    let _ = fs::remove_dir_all(&work);
    let hub = work.join("hub");
    fs::create_dir_all(hub.join("assets"))
        .and_then(|()| fs::create_dir_all(hub.join("files")))
        .map_err(|e| format!("cannot create `{}`: {e}", hub.display()))?;
    for (name, size) in FILES {
        let data: Vec<u8> = (0..*size).map(|i| (i * 7 % 251) as u8).collect();
        fs::write(hub.join("files").join(name), data)
            .map_err(|e| format!("cannot write a file to serve: {e}"))?;
    }
    let nginx = match nginx_program() {
        Some(p) => Ok(p),
        None => apt_install("nginx").and_then(|()| {
            nginx_program().ok_or_else(|| "nginx is not on PATH after installing it".to_owned())
        }),
    };
    let (mhub, ours) = start_mhub(root, &hub)?;
    let peer = nginx.and_then(|program| start_nginx(program, &work, &hub));
    let mut bases = vec![ours.as_str()];
    if let Ok((_, theirs)) = &peer {
        bases.push(theirs);
    }
    let results: Result<Vec<_>, String> = FILES
        .iter()
        .map(|(name, _)| measure(&bases, name))
        .collect();
    terminate(mhub);
    let peer = match peer {
        Ok((child, _)) => {
            terminate(child);
            Ok(())
        }
        Err(e) => Err(e),
    };
    let results = results?;
    println!(
        "benchmark: static files over loopback, wrk -t{THREADS} -c{CONNECTIONS}, {ROUNDS} runs of {SECONDS} s \
         per server and file taken in turns, median (and range); client and servers share this \
         machine's {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<8} {:<6} {:>12} {:>20} {:>10} {:>8}",
        "file", "server", "requests/s", "range", "MiB/s", "errors"
    );
    for ((name, size), summaries) in FILES.iter().zip(&results) {
        for (server, s) in ["mhub", "nginx"].iter().zip(summaries) {
            println!(
                "{name:<8} {server:<6} {:>12.0} {:>20} {:>10.1} {:>8}",
                s.median,
                format!("{:.0}-{:.0}", s.low, s.high),
                s.median * *size as f64 / f64::from(1 << 20),
                s.errors
            );
        }
    }
    match peer {
        Ok(()) => {
            for ((name, _), s) in FILES.iter().zip(&results) {
                println!("ratio mhub/nginx, {name}: {:.2}", s[0].median / s[1].median);
            }
            let small = results[0][0].median / results[0][1].median;
            let verdict = if small >= 0.8 { "met" } else { "NOT met" };
            println!("target: at least 0.8x nginx's small-file rate: {verdict} ({small:.2}x)");
        }
        Err(e) => println!("nginx: unavailable, so no ratio ({e})"),
    }
    Ok(())
}
