//! `mhub`: validate, index, serve and mirror hub trees; list, inspect and pull verified models into the cache.
//!
//! This is the only crate that prints, reads environment variables, picks exit
//! codes and uses `anyhow`; the libraries below it return typed errors.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod bench;
mod cache_cmd;
mod hub;
mod index;
mod key;
mod load;
mod mirror;
mod new;
mod progress;
mod run;
mod serve;
mod validate;
mod worker;

/// A model hub: validate cards, index hub trees, pull verified models into a cache.
#[derive(Parser)]
#[command(name = "mhub", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check model cards and hub trees, printing every problem with its file, line and column.
    ///
    /// Exits 0 when no card has errors, 1 when any has, 2 on usage or I/O problems.
    Validate(validate::Args),
    /// Write `index.json`, the catalogue of a hub tree that clients and the web app read.
    Index(index::Args),
    /// Make signing keys for a hub's index, and delegations from a root key to index keys.
    Key(key::Args),
    /// List the models of a hub, or the entrypoints of a repository.
    List(hub::ListArgs),
    /// Show a model's card, its assets and whether it is cached.
    Info(hub::InfoArgs),
    /// Download a model's card and assets into the cache, verified, and print where they are.
    Pull(hub::PullArgs),
    /// Inspect and clean the cache: `dir`, `ls`, `verify`, `rm KEY`, `prune`.
    Cache(cache_cmd::Args),
    /// Pull a model (verified) and run it on an input: top classes with labels, or raw outputs.
    Run(run::Args),
    /// Time a model on this machine: load and run medians, with the threads and tuning used.
    Bench(bench::Args),
    /// Scaffold a card for an ONNX model in a hub tree: digest, size and IO spec filled in.
    New(new::Args),
    /// Serve a hub tree and the web app over HTTP, read-only, until SIGINT or SIGTERM.
    Serve(serve::Args),
    /// Download the external assets of cards with `allow-cache-ckpt: true` into the hub's own
    /// store, verified, and rewrite its `index.json` to point at them.
    Mirror(mirror::Args),
    /// Runs a local model under limits, for `run` and `info` (internal).
    #[command(name = "__worker", hide = true)]
    Worker(worker::Args),
}

/// How a command ended, short of an error.
pub(crate) enum Outcome {
    /// Everything checked out.
    Clean,
    /// The command ran, and found problems in its input.
    Problems,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Index(args) => index::run(&args),
        Command::Key(args) => key::run(&args),
        Command::List(args) => hub::list(&args),
        Command::Info(args) => hub::info(&args),
        Command::Pull(args) => hub::pull(&args),
        Command::Cache(args) => cache_cmd::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Worker(args) => worker::serve(&args),
        Command::New(args) => new::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Mirror(args) => mirror::run(&args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Prints an error, its causes, and a hint when there is one to give.
#[allow(clippy::print_stderr)]
fn report(e: &anyhow::Error) {
    eprintln!("error: {}", terminal_safe(&e.to_string()));
    for cause in e.chain().skip(1) {
        eprintln!("caused by: {}", terminal_safe(&cause.to_string()));
    }
    let tree = e.downcast_ref::<hubtree::Error>().or_else(|| {
        e.downcast_ref::<cache::Error>().and_then(|c| match c {
            cache::Error::Tree(t) => Some(t),
            _ => None,
        })
    });
    let hint = e
        .downcast_ref::<cache::Error>()
        .and_then(hint)
        .or_else(|| tree.and_then(tree_hint))
        .or_else(|| e.downcast_ref::<server::Error>().and_then(server_hint));
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}

fn hint(e: &cache::Error) -> Option<&'static str> {
    use cache::Error as E;
    Some(match e {
        E::Offline { .. } => "run without --offline (and unset MHUB_OFFLINE) to fetch it",
        E::InsecureUrl { .. } => "use an https url, or pass --allow-http if you trust the network",
        E::LocalAddress { .. } => {
            "a card or a redirect may not send mhub to this machine or the local network; pass --allow-local if you trust this hub"
        }
        E::Digest { .. } => {
            "the file served differs from what the card promises; nothing was stored; tell the publisher"
        }
        E::NotFound { .. } => "`mhub list` shows the models of a hub",
        E::Trust { .. } => {
            "nothing of this hub was stored; whoever serves it sent a changed, old or expired index, or a card it does not vouch for: tell the hub's publisher"
        }
        E::Unsigned { .. } => {
            "the hub's publisher signs it with `mhub index HUB --sign KEY`; without --trust (and MHUB_TRUST) mhub does not check signatures"
        }
        E::NoEntrypoint { .. } => {
            "`mhub list OWNER/REPO[:REF]` shows the entrypoints of a repository"
        }
        E::Fetch { .. } => {
            "check the network; a partial download is kept and resumed on the next try"
        }
        E::TooLarge { .. } => "the server sent more than the card declares; nothing was stored",
        _ => return None,
    })
}

fn tree_hint(e: &hubtree::Error) -> Option<&'static str> {
    match e {
        hubtree::Error::Unsafe { .. } => Some(
            "a link, a FIFO or a shared folder where mhub writes may have been planted by whoever the tree came from; remove it (or make the folder private) and run again",
        ),
        hubtree::Error::Refused { .. } => {
            Some("`mhub validate HUB` lists the errors; `--skip-invalid` indexes the other cards")
        }
        _ => None,
    }
}

fn server_hint(e: &server::Error) -> Option<&'static str> {
    match e {
        server::Error::Bind { .. } => Some(
            "another program may be listening there; pick another port with --addr, or port 0 for a free one",
        ),
        server::Error::NotAHub { .. } => {
            Some("a hub tree holds cards at `assets/<uid>.md`; `mhub validate DIR` checks one")
        }
        _ => None,
    }
}

/// An error and its causes on one line, for lists of per-file failures.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text += &format!(": {c}");
        cause = c.source();
    }
    text
}

/// `text` as a terminal may safely show it: newlines and tabs stay, every other control
/// character (escape sequences, carriage returns, bells) and every bidirectional override
/// is written as `\u{..}`. Card values, model names and file names are strangers' text;
/// everything mhub prints passes through here.
pub(crate) fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    // Printable ASCII, newlines and tabs (nearly all output) need no look at characters.
    let plain = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\n' || *b == b'\t';
    if text.as_bytes().iter().all(plain) || !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Writes `text` to standard output, with control characters escaped ([`terminal_safe`]).
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let text = terminal_safe(text);
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    out.flush().context("cannot write to standard output")
}

/// Writes `text` to standard error, ignoring failures: it is the last resort.
#[allow(clippy::print_stderr)]
pub(crate) fn warn(text: &str) {
    eprint!("{}", terminal_safe(text));
}

/// A path as shown to the user.
pub(crate) fn shown(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// Parses a path argument.
pub(crate) fn path_arg(s: &str) -> Result<PathBuf, String> {
    if s.is_empty() {
        Err("path is empty".to_owned())
    } else {
        Ok(PathBuf::from(s))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
