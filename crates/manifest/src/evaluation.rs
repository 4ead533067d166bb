//! The `evaluation: -` line: the MindSpore checker's rewrite of it, and mhub's warning about it.
//!
//! A plain `-` after a key starts a block sequence, which YAML does not allow there, so
//! `evaluation: -` (162 cards of the real MindSpore Hub) is not valid YAML. The
//! checker reads the front matter line by line and, in every line that contains
//! `evaluation: -`, replaces each `-` by `no` before parsing: the line becomes
//! `evaluation: no`.

use crate::diagnostic::{Diagnostic, Span};
use std::borrow::Cow;

const NEEDLE: &str = "evaluation: -";

/// The checker's rewrite, exactly: every `-` of every line holding `evaluation: -`
/// becomes `no`. Line numbers are kept; columns after a rewritten dash move.
pub(crate) fn checker_rewrite(yaml: &str) -> Cow<'_, str> {
    if !yaml.contains(NEEDLE) {
        return Cow::Borrowed(yaml);
    }
    let mut out = String::with_capacity(yaml.len() + 16);
    for line in crate::source::lines_inclusive(yaml) {
        if line.contains(NEEDLE) {
            out.push_str(&line.replace('-', "no"));
        } else {
            out.push_str(line);
        }
    }
    Cow::Owned(out)
}

/// Whether `line` (its end of line trimmed) is `evaluation:` with a lone `-` for a value,
/// at any indentation, with an optional comment; returns the dash's byte column.
fn lone_dash(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = line[indent..].strip_prefix("evaluation:")?;
    let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if gap == 0 {
        return None;
    }
    let after = rest[gap..].strip_prefix('-')?;
    let tail = after.trim_start_matches([' ', '\t']);
    let ends = tail.is_empty() || (tail.starts_with('#') && tail.len() < after.len());
    ends.then_some(indent + "evaluation:".len() + gap)
}

/// mhub's reading: a lone `-` after `evaluation:` is read as no value, with a warning
/// that says how to write it. `first_line` is the 1-based line of the YAML's first line.
pub(crate) fn mhub_rewrite<'a>(
    yaml: &'a str,
    first_line: usize,
    out: &mut Vec<Diagnostic>,
) -> Cow<'a, str> {
    if !yaml.contains("evaluation:") {
        return Cow::Borrowed(yaml);
    }
    let mut text = String::new();
    let mut changed = false;
    for (i, line) in crate::source::lines_inclusive(yaml).enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        match lone_dash(content) {
            Some(col) => {
                changed = true;
                out.push(
                    Diagnostic::warning(
                        "evaluation-dash",
                        Span::new(first_line + i, col + 1, 1),
                        "`evaluation: -` is not valid YAML: a `-` there starts a list",
                    )
                    .help("remove the line when there is no evaluation, or quote the dash: `evaluation: \"-\"` (the MindSpore Hub reads it as `no`)"),
                );
                text.push_str(&line[..col]);
                text.push(' ');
                text.push_str(&line[col + 1..]);
            }
            None => text.push_str(line),
        }
    }
    if changed {
        Cow::Owned(text)
    } else {
        Cow::Borrowed(yaml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_replaces_every_dash_of_the_line() {
        assert_eq!(
            checker_rewrite("a: 1\nevaluation: -\n"),
            "a: 1\nevaluation: no\n"
        );
        assert_eq!(
            checker_rewrite("evaluation: -1-2\n"),
            "evaluation: no1no2\n"
        );
        assert_eq!(checker_rewrite("x-evaluation: -\n"), "xnoevaluation: no\n");
        assert_eq!(
            checker_rewrite("evaluation: - \r\nb: -c\n"),
            "evaluation: no \r\nb: -c\n"
        );
        assert!(matches!(
            checker_rewrite("evaluation:  -\n"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn mhub_reads_only_a_lone_dash() {
        for (line, col) in [
            ("evaluation: -", Some(12)),
            ("evaluation:\t- ", Some(12)),
            ("  evaluation:   -   # none", Some(16)),
            ("evaluation: -1", None),
            ("evaluation: - x", None),
            ("evaluation: -#x", None),
            ("evaluation:-", None),
            ("myevaluation: -", None),
        ] {
            assert_eq!(lone_dash(line), col, "{line:?}");
        }
        let mut out = Vec::new();
        let text = mhub_rewrite("a: 1\nevaluation: -\r\n", 3, &mut out);
        assert_eq!(text, "a: 1\nevaluation:  \r\n");
        assert_eq!((out[0].span.line, out[0].span.col), (4, 13));
    }
}
