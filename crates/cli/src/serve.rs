//! `mhub serve`: host a hub tree and the web app over HTTP until SIGINT or SIGTERM.

use crate::{Outcome, print};
use anyhow::Context as _;
use server::Limits;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tracing_subscriber::filter::LevelFilter;

/// How request logs are written to standard error.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// One line per event, `key=value` fields.
    Text,
    /// One JSON object per event.
    Json,
}

/// Arguments of `mhub serve`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The hub tree to serve: a folder with an `assets/` folder of cards.
    #[arg(value_parser = crate::path_arg)]
    hub: PathBuf,
    /// Where to listen; port 0 picks a free port (the first line printed says which).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    addr: SocketAddr,
    /// The built web app, served for paths the hub tree does not have (`cargo xtask web` writes `web/dist`).
    #[arg(long, env = "MHUB_WEB", value_name = "DIR", default_value = "web/dist")]
    web: PathBuf,
    /// Seconds a client has to send a complete request head; also how long an idle keep-alive connection stays open.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "10")]
    header_timeout: Duration,
    /// Seconds a connection may move no byte in either direction, e.g. a client that stopped reading.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    idle_timeout: Duration,
    /// Seconds a request may spend hashing, compressing or rescanning before it gets 503.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    request_timeout: Duration,
    /// Connections served at once; more are answered 503.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds a shutdown (SIGINT, SIGTERM) waits for downloads under way.
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "30")]
    shutdown_grace: Duration,
    /// How request logs are written to standard error.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Log no requests, only warnings and errors.
    #[arg(short, long)]
    quiet: bool,
    /// Rule set a card must pass to be listed in the index (cards with errors are left out).
    #[arg(long, default_value = "mhub")]
    profile: manifest::Profile,
}

/// Parses a positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 1e6 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 1000000"
        )),
    }
}

/// Sends the server's `tracing` events to standard error.
fn install_logs(format: LogFormat, quiet: bool) {
    let level = if quiet {
        LevelFilter::WARN
    } else {
        LevelFilter::INFO
    };
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    // Another subscriber already installed only means these logs go there.
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().try_init(),
    };
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    install_logs(args.log_format, args.quiet);
    let mut config = server::Config::new(&args.hub);
    config.addr = args.addr;
    config.web_dir = Some(args.web.clone());
    config.profile = args.profile;
    config.limits = Limits {
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        request_timeout: args.request_timeout,
        max_connections: args.max_connections,
        shutdown_grace: args.shutdown_grace,
    };
    // A few threads serve many connections; files are read on the blocking pool.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .max_blocking_threads(64)
        .thread_name("mhub-serve")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = server::Server::bind(config).await?;
        print(&format!("listening on http://{}\n", server.local_addr()))?;
        if !args.web.join("index.html").is_file() {
            crate::warn(&format!(
                "note: no web app in `{}`: `/` says how to build one (`cargo xtask web`)\n",
                args.web.display()
            ));
        }
        server.run(shutdown_signal()).await;
        Ok(Outcome::Clean)
    })
}
