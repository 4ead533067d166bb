//! Diagnostics: what is wrong, where, and how to fix it, rendered like a compiler would.

use serde::Serialize;
use std::fmt::Write as _;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the card is still valid.
    Warning,
    /// The card is invalid.
    Error,
}

/// A position in the card's source: 1-based line and column (in characters),
/// and how many characters the problem covers on that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
    /// Width in characters, at least 1 for rendering.
    pub len: usize,
}

impl Span {
    /// A span at `line:col` covering `len` characters.
    pub const fn new(line: usize, col: usize, len: usize) -> Span {
        Span { line, col, len }
    }
}

/// One finding about a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable rule id, e.g. `required-key`; see [`crate::RULES`].
    pub rule: &'static str,
    /// Where in the source.
    pub span: Span,
    /// One line, lowercase, no trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// `text` on one line: control characters (a value's line break, say) are written as
/// escapes, so that a message quoting a card's value stays one line.
fn one_line(text: String) -> String {
    if !text.chars().any(char::is_control) {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl Diagnostic {
    pub(crate) fn error(rule: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            rule,
            span,
            message: one_line(message.into()),
            help: None,
        }
    }

    pub(crate) fn warning(
        rule: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            rule,
            span,
            message: one_line(message.into()),
            help: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(one_line(help.into()));
        self
    }

    /// Renders the diagnostic the way rustc does: header, `--> path:line:col`,
    /// the quoted source line with carets under the offending part, then the hint.
    pub fn render(&self, path: &str, source: &str) -> String {
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{level}[{}]: {}", self.rule, self.message);
        let line_no = self.span.line.to_string();
        let gutter = " ".repeat(line_no.len());
        let _ = writeln!(
            out,
            "{gutter}--> {path}:{}:{}",
            self.span.line, self.span.col
        );
        let source = crate::source::line_breaks(source);
        if let Some(text) = source.lines().nth(self.span.line.saturating_sub(1)) {
            let text = text.trim_end_matches('\r');
            let shown: String = text
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let line_len = shown.chars().count();
            let start = self.span.col.saturating_sub(1).min(line_len);
            let len = self
                .span
                .len
                .max(1)
                .min(line_len.saturating_sub(start).max(1));
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{line_no} | {shown}");
            let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(start), "^".repeat(len));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} = help: {help}");
        }
        out
    }
}
