//! HTTP: a hardened client, small documents, and resumable, verified, bounded downloads.

use crate::Progress;
use crate::error::{Error, Result, io};
use crate::reach::{Reach, origin_of};
use hubtree::CopyError;
use manifest::{Hasher, Sha256};
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_RANGE, RANGE};
use reqwest::{StatusCode, Url, redirect};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Network settings.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Allow plain http to public hosts.
    pub allow_http: bool,
    /// Allow this machine and the local network (loopback, private, link-local
    /// addresses, and names that resolve to them) anywhere, not only at `origin`.
    pub allow_local: bool,
    /// The hub the user typed (its url): its origin may be plain http and local.
    pub origin: Option<Url>,
    /// Longest wait to connect.
    pub connect_timeout: Duration,
    /// Longest wait for response headers or for the next bytes of a body.
    pub read_timeout: Duration,
    /// How many times a failed request is tried again (5xx, reset, timeout, short body).
    pub retries: u32,
    /// The first pause between tries; it doubles each time.
    pub backoff: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Largest download accepted when the card declares no size, in bytes.
    pub max_size: u64,
    /// The slowest a download may be, in bytes per second, averaged over [`NetConfig::rate_window`]:
    /// a server that trickles a byte now and then cannot hold a pull forever.
    pub min_rate: u64,
    /// How long a download may stay below [`NetConfig::min_rate`] before it is stopped.
    pub rate_window: Duration,
}

impl Default for NetConfig {
    fn default() -> NetConfig {
        NetConfig {
            allow_http: false,
            allow_local: false,
            origin: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            retries: 4,
            backoff: Duration::from_millis(250),
            max_redirects: 8,
            max_size: 16 << 30,
            min_rate: 1024,
            rate_window: Duration::from_secs(60),
        }
    }
}

impl NetConfig {
    /// What a fetcher with these settings may reach.
    pub(crate) fn reach(&self) -> Reach {
        Reach {
            origin: self.origin.as_ref().and_then(origin_of),
            allow_http: self.allow_http,
            allow_local: self.allow_local,
        }
    }
}

/// The outcome of one try.
enum Failure {
    /// Worth trying again, resuming where the bytes stopped.
    Retry(String, Option<reqwest::Error>),
    /// Final.
    Fatal(Error),
}

/// A configured HTTP client.
pub(crate) struct Fetcher {
    client: Client,
    config: NetConfig,
}

impl Fetcher {
    pub(crate) fn new(config: &NetConfig) -> Result<Fetcher> {
        let (reach, max) = (config.reach(), config.max_redirects);
        let resolver = std::sync::Arc::new(reach.resolver());
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= max {
                attempt.error(format!("more than {max} redirects"))
            } else if let Err(e) = reach.check(attempt.url()) {
                attempt.error(e.to_string())
            } else {
                attempt.follow()
            }
        });
        let client = Client::builder()
            .user_agent(concat!("mhub/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.read_timeout)
            .tcp_nodelay(true)
            .redirect(policy)
            .dns_resolver(resolver)
            .build()
            .map_err(|e| Error::Fetch {
                url: String::new(),
                reason: "cannot set up the http client".to_owned(),
                source: Some(e),
            })?;
        Ok(Fetcher {
            client,
            config: config.clone(),
        })
    }

    /// Parses and checks a url against the https rule.
    /// The most bytes one download may bring.
    pub(crate) fn max_size(&self) -> u64 {
        self.config.max_size
    }

    pub(crate) fn url(&self, text: &str) -> Result<Url> {
        let url = Url::parse(text).map_err(|e| Error::BadUrl {
            url: text.to_owned(),
            reason: e.to_string(),
        })?;
        self.config.reach().check(&url)?;
        Ok(url)
    }

    fn pause(&self, attempt: u32) {
        std::thread::sleep(self.config.backoff.saturating_mul(1 << attempt.min(10)));
    }

    fn send(&self, url: &Url, from: u64) -> std::result::Result<Response, Failure> {
        let mut request = self.client.get(url.clone());
        if from > 0 {
            request = request.header(RANGE, format!("bytes={from}-"));
        }
        let response = request.send().map_err(|e| {
            if e.is_redirect() {
                Failure::Fatal(Error::Fetch {
                    url: url.to_string(),
                    reason: "redirects refused".to_owned(),
                    source: Some(e),
                })
            } else {
                let reason = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "cannot connect"
                } else {
                    "request failed"
                };
                Failure::Retry(reason.to_owned(), Some(e))
            }
        })?;
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::Retry(
                format!("server answered {}", status.as_u16()),
                None,
            ));
        }
        if !status.is_success() && status != StatusCode::RANGE_NOT_SATISFIABLE {
            return Err(Failure::Fatal(Error::Status {
                url: url.to_string(),
                status: status.as_u16(),
            }));
        }
        Ok(response)
    }

    /// Runs `once` until it succeeds, fails for good, or runs out of tries.
    fn retrying<T>(
        &self,
        url: &Url,
        mut once: impl FnMut() -> std::result::Result<T, Failure>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            match once() {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(reason, source)) if attempt >= self.config.retries => {
                    let reason = format!("{reason} (after {} tries)", attempt + 1);
                    return Err(Error::Fetch {
                        url: url.to_string(),
                        reason,
                        source,
                    });
                }
                Err(Failure::Retry(..)) => {
                    self.pause(attempt);
                    attempt += 1;
                }
            }
        }
    }

    /// Fetches a small document (an index, a card) whole, at most `limit` bytes.
    pub(crate) fn bytes(&self, url: &Url, limit: u64) -> Result<Vec<u8>> {
        self.retrying(url, || {
            let mut response = self.send(url, 0)?;
            if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
                return Err(Failure::Fatal(Error::Status {
                    url: url.to_string(),
                    status: 416,
                }));
            }
            // Read before the body: reqwest counts it down as bytes arrive.
            let announced = response.content_length();
            if announced.is_some_and(|n| n > limit) {
                return Err(Failure::Fatal(Error::TooLarge {
                    url: url.to_string(),
                    limit,
                }));
            }
            let mut body = Vec::new();
            let read = (&mut response).take(limit + 1).read_to_end(&mut body);
            if let Err(e) = read {
                return Err(Failure::Retry(format!("connection broke: {e}"), None));
            }
            if body.len() as u64 > limit {
                return Err(Failure::Fatal(Error::TooLarge {
                    url: url.to_string(),
                    limit,
                }));
            }
            if let Some(expected) = announced.filter(|n| *n != body.len() as u64) {
                return Err(Failure::Retry(
                    format!("body ended after {} of {expected} bytes", body.len()),
                    None,
                ));
            }
            Ok(body)
        })
    }

    /// Downloads `url` into the file `name` in `dir`, resuming from its current length,
    /// and returns the sha256 and length of the whole file. `size` is the length
    /// the card declares, if any; without one `limit`, else the configured maximum, applies.
    ///
    /// Hashing runs on its own thread and the written bytes are flushed to disk in
    /// the background as they accumulate, so neither waits for the network.
    pub(crate) fn download(
        &self,
        url: &Url,
        dir: &hubtree::Dir,
        name: &str,
        size: Option<u64>,
        limit: Option<u64>,
        progress: &dyn Progress,
    ) -> Result<(Sha256, u64)> {
        let limit = size.or(limit).unwrap_or(self.config.max_size);
        // Never through a link planted at the partial's name (a hub tree's `mirror/.tmp`).
        let mut file = dir.open_writable(name)?;
        let part = &dir.join(name);
        let mut have = file.metadata().map_err(io("read", part))?.len();
        let mut seed = Hasher::default();
        if have > limit {
            file.set_len(0).map_err(io("truncate", part))?;
            have = 0;
        } else if have > 0 {
            // Resume: the partial's bytes seed the hash.
            file.seek(SeekFrom::Start(0)).map_err(io("read", part))?;
            hubtree::feed(&mut seed, (&mut file).take(have), std::io::sink(), None).map_err(
                |e| match e {
                    CopyError::Read(e) | CopyError::Write(e) => io("read", part)(e),
                    CopyError::TooLong { .. } => {
                        io("read", part)(std::io::ErrorKind::FileTooLarge.into())
                    }
                },
            )?;
        }
        let flusher_file = file.try_clone().map_err(io("open", part))?;
        progress.start(url.as_str(), size, have);
        let (result, hasher) = std::thread::scope(|scope| {
            let (chunks, inbox) = mpsc::sync_channel::<Chunk>(32);
            let (spare_out, spare) = mpsc::channel::<Vec<u8>>();
            let hashing = scope.spawn(move || {
                let mut hasher = seed;
                for chunk in inbox {
                    match chunk {
                        Chunk::Data(buf, n) => {
                            hasher.update(&buf[..n]);
                            let _ = spare_out.send(buf);
                        }
                        Chunk::Reset => hasher = Hasher::default(),
                    }
                }
                hasher
            });
            let (flush, flush_requests) = mpsc::sync_channel::<()>(1);
            scope.spawn(move || {
                for () in flush_requests {
                    // Starts writeback early; the final `sync_all` is what counts.
                    let _ = flusher_file.sync_data();
                }
            });
            let mut sink = Sink {
                file: &mut file,
                part,
                chunks,
                spare,
                flush,
                have,
                flushed: have,
            };
            let result = self.retrying(url, || self.stream(url, &mut sink, limit, size, progress));
            have = sink.have;
            drop(sink);
            (result, hashing.join())
        });
        progress.finish();
        result?;
        let hasher = hasher.map_err(|_| Error::Invalid {
            what: "download",
            path: part.display().to_string(),
            reason: "the hashing thread failed".to_owned(),
        })?;
        file.sync_all().map_err(io("sync", part))?;
        Ok((hasher.finish(), have))
    }

    fn stream(
        &self,
        url: &Url,
        sink: &mut Sink<'_>,
        limit: u64,
        size: Option<u64>,
        progress: &dyn Progress,
    ) -> std::result::Result<(), Failure> {
        let fatal = Failure::Fatal;
        let mut response = self.send(url, sink.have)?;
        match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let start = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if start != Some(sink.have) {
                    sink.restart().map_err(fatal)?;
                    progress.reset();
                    return Err(Failure::Retry(
                        "server resumed at the wrong offset".to_owned(),
                        None,
                    ));
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE => {
                sink.restart().map_err(fatal)?;
                progress.reset();
                return Err(Failure::Retry("server refused to resume".to_owned(), None));
            }
            _ if sink.have > 0 => {
                // A full answer to a range request: start again from the first byte.
                sink.restart().map_err(fatal)?;
                progress.reset();
            }
            _ => {}
        }
        let announced = response.content_length();
        // Lengths from the network are added with a check: a lie of 2^64 bytes is only large.
        if let Some(len) = announced
            && sink.have.checked_add(len).is_none_or(|end| end > limit)
        {
            return Err(fatal(Error::TooLarge {
                url: url.to_string(),
                limit,
            }));
        }
        sink.file
            .seek(SeekFrom::Start(sink.have))
            .map_err(|e| fatal(io("seek", sink.part)(e)))?;
        let mut received = 0u64;
        let mut window = (std::time::Instant::now(), 0u64);
        loop {
            // Each window must bring `min_rate` bytes a second on average.
            let elapsed = window.0.elapsed();
            if elapsed >= self.config.rate_window {
                #[allow(
                    clippy::cast_precision_loss,
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss
                )]
                let needed = (self.config.min_rate as f64 * elapsed.as_secs_f64()) as u64;
                if received - window.1 < needed {
                    return Err(fatal(Error::Fetch {
                        url: url.to_string(),
                        reason: format!(
                            "it sent {} bytes in {:.1} s, slower than {} bytes/s; the partial download is kept",
                            received - window.1,
                            elapsed.as_secs_f64(),
                            self.config.min_rate
                        ),
                        source: None,
                    }));
                }
                window = (std::time::Instant::now(), received);
            }
            let mut buf = sink.buffer();
            let n = match response.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Failure::Retry(
                        format!("connection broke after {} bytes: {e}", sink.have),
                        None,
                    ));
                }
            };
            if sink.have.saturating_add(n as u64) > limit {
                return Err(fatal(Error::TooLarge {
                    url: url.to_string(),
                    limit,
                }));
            }
            sink.push(buf, n).map_err(fatal)?;
            received += n as u64;
            progress.advance(n as u64);
        }
        if let Some(len) = announced.filter(|len| received < *len) {
            return Err(Failure::Retry(
                format!("body ended after {received} of {len} bytes"),
                None,
            ));
        }
        if let Some(expected) = size.filter(|s| sink.have < *s) {
            return Err(Failure::Retry(
                format!("got {} of {expected} bytes", sink.have),
                None,
            ));
        }
        Ok(())
    }
}

/// A piece of work for the hashing thread.
enum Chunk {
    /// These bytes (the first `n` of the buffer) follow the previous ones.
    Data(Vec<u8>, usize),
    /// The download starts again from zero.
    Reset,
}

/// Bytes written between background flushes.
const FLUSH_EVERY: u64 = 128 << 20;
/// Size of one read.
const BUFFER: usize = 256 << 10;

/// Where downloaded bytes go: the partial file, the hashing thread and the flusher.
struct Sink<'a> {
    file: &'a mut File,
    part: &'a Path,
    chunks: mpsc::SyncSender<Chunk>,
    spare: mpsc::Receiver<Vec<u8>>,
    flush: mpsc::SyncSender<()>,
    have: u64,
    flushed: u64,
}

impl Sink<'_> {
    /// A buffer handed back by the hashing thread, or a new one.
    fn buffer(&self) -> Vec<u8> {
        self.spare.try_recv().unwrap_or_else(|_| vec![0u8; BUFFER])
    }

    fn push(&mut self, buf: Vec<u8>, n: usize) -> Result<()> {
        self.file
            .write_all(&buf[..n])
            .map_err(io("write", self.part))?;
        self.have += n as u64;
        self.chunks
            .send(Chunk::Data(buf, n))
            .map_err(|_| Error::Invalid {
                what: "download",
                path: self.part.display().to_string(),
                reason: "the hashing thread stopped".to_owned(),
            })?;
        if self.have - self.flushed >= FLUSH_EVERY {
            self.flushed = self.have;
            let _ = self.flush.try_send(());
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<()> {
        self.file.set_len(0).map_err(io("truncate", self.part))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(io("seek", self.part))?;
        let _ = self.chunks.send(Chunk::Reset);
        self.have = 0;
        self.flushed = 0;
        Ok(())
    }
}
