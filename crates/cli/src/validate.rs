//! `mhub validate`: check cards (in parallel, by `hubtree`) and report like a compiler.

use crate::{Outcome, print, shown};
use hubtree::Checked;
use manifest::{Profile, Severity};
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `mhub validate`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Rule set: `mhub` (strict, default) or `mindspore` (the MindSpore Hub checker's rules).
    #[arg(long, default_value = "mhub")]
    profile: Profile,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Card files, hub trees (folders with `assets/`) or folders of cards.
    #[arg(required = true, value_parser = crate::path_arg)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Compiler-style text.
    Human,
    /// One JSON document with every card's diagnostics.
    Json,
}

/// Totals over a run.
#[derive(Default, Serialize)]
pub(crate) struct Summary {
    pub cards: usize,
    pub errors: usize,
    pub warnings: usize,
    pub cards_with_errors: usize,
    pub unreadable: usize,
}

impl Summary {
    pub(crate) fn of(checked: &[Checked]) -> Summary {
        let mut s = Summary {
            cards: checked.len(),
            ..Summary::default()
        };
        for c in checked {
            match &c.result {
                Ok(r) => {
                    s.errors += r.count(Severity::Error);
                    s.warnings += r.count(Severity::Warning);
                    s.cards_with_errors += usize::from(r.has_errors());
                }
                Err(_) => s.unreadable += 1,
            }
        }
        s
    }

    pub(crate) fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut line = format!(
            "checked {}: {}, {}",
            plural(self.cards, "card"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        );
        if self.cards_with_errors > 0 {
            line += &format!(" ({} with errors)", plural(self.cards_with_errors, "card"));
        }
        if self.unreadable > 0 {
            line += &format!(", {} unreadable", plural(self.unreadable, "file"));
        }
        line
    }

    pub(crate) fn outcome(&self) -> anyhow::Result<Outcome> {
        if self.unreadable > 0 {
            anyhow::bail!(
                "{} could not be read",
                if self.unreadable == 1 {
                    "1 file"
                } else {
                    "some files"
                }
            );
        }
        Ok(if self.errors > 0 {
            Outcome::Problems
        } else {
            Outcome::Clean
        })
    }
}

/// The human rendering of every diagnostic, in input order.
pub(crate) fn render_human(checked: &[Checked]) -> String {
    let mut out = String::new();
    for c in checked {
        let path = shown(&c.file.path);
        match &c.result {
            Ok(report) => {
                for d in &report.diagnostics {
                    out += &d.render(&path, &c.source);
                    out.push('\n');
                }
            }
            Err(e) => out += &format!("error: {}\n\n", crate::chain(e)),
        }
    }
    out
}

#[derive(Serialize)]
struct JsonCard<'a> {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    diagnostics: &'a [manifest::Diagnostic],
}

#[derive(Serialize)]
struct JsonRun<'a> {
    profile: String,
    summary: &'a Summary,
    cards: Vec<JsonCard<'a>>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let files = hubtree::find_cards(&args.paths)?;
    if files.is_empty() {
        anyhow::bail!(
            "no cards found in {}",
            args.paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let checked = hubtree::check_cards(files, args.profile);
    let summary = Summary::of(&checked);
    match args.format {
        Format::Human => print(&format!("{}{}\n", render_human(&checked), summary.line()))?,
        Format::Json => {
            let cards = checked
                .iter()
                .map(|c| JsonCard {
                    path: shown(&c.file.path),
                    uid: c
                        .result
                        .as_ref()
                        .ok()
                        .and_then(|r| r.uid.as_ref())
                        .map(ToString::to_string),
                    error: c.result.as_ref().err().map(|e| crate::chain(e)),
                    diagnostics: c
                        .result
                        .as_ref()
                        .map(|r| r.diagnostics.as_slice())
                        .unwrap_or_default(),
                })
                .collect();
            let run = JsonRun {
                profile: args.profile.to_string(),
                summary: &summary,
                cards,
            };
            print(&format!("{}\n", serde_json::to_string_pretty(&run)?))?;
        }
    }
    let outcome = summary.outcome();
    // The process ends next: thousands of cards' texts and reports are left to the
    // operating system rather than freed one by one.
    std::mem::forget(checked);
    outcome
}
