//! `mhub`: validate, index and (in later commands) fetch and run models from a hub.
//!
//! This is the only crate that prints, reads environment variables, picks exit
//! codes and uses `anyhow`; the libraries below it return typed errors.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod index;
mod validate;

/// A model hub: validate cards, index hub trees.
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

/// Prints an error and its causes, one per line.
#[allow(clippy::print_stderr)]
fn report(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("caused by: {cause}");
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

/// Writes `text` to standard output.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("cannot write to standard output")?;
    out.flush().context("cannot write to standard output")
}

/// Writes `text` to standard error, ignoring failures: it is the last resort.
#[allow(clippy::print_stderr)]
pub(crate) fn warn(text: &str) {
    eprint!("{text}");
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
