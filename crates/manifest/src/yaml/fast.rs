//! A fast reader for the plain block YAML that nearly every card is written in.
//!
//! It understands only a strict subset: ASCII lines of `key: value`, `key:`
//! followed by a nested block, `-` sequence items, one-line flow sequences of
//! simple words such as `[224, 224, 3]`, blank lines and comments. On anything
//! else — quotes, flow mappings, anchors, tags, block or multi-line scalars,
//! tabs, document markers, errors — it gives up and the full parser runs, so it
//! never decides what a card means on its own. A differential test holds its
//! trees, texts and positions equal to the full parser's.

use super::{Kind, MAX_DEPTH, MAX_NODES, Node, Origin, duplicate};
use crate::diagnostic::{Diagnostic, Span};

/// One non-blank, non-comment line: 1-based number, indentation, the text after it
/// without trailing spaces, and whether there were any.
#[derive(Clone, Copy)]
struct Line<'a> {
    no: usize,
    col: usize,
    text: &'a str,
    trailing: bool,
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
    nodes: usize,
    origin: Origin,
    diagnostics: Vec<Diagnostic>,
}

/// Reads `yaml` if it stays inside the subset; `None` means "use the full parser".
pub(super) fn read(yaml: &str, origin: Origin) -> Option<(Option<Node>, Vec<Diagnostic>)> {
    if !yaml.is_ascii() {
        return None;
    }
    let mut lines = Vec::with_capacity(64);
    for (index, raw) in crate::source::split_lines(yaml).enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line
            .bytes()
            .any(|b| b == b'\t' || b == b'\r' || (b < 0x20) || b == 0x7f)
        {
            return None;
        }
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        lines.push(Line {
            no: index + 1,
            col: line.len() - body.len(),
            text: body.trim_end_matches(' '),
            trailing: body.ends_with(' '),
        });
    }
    let mut reader = Reader {
        lines,
        at: 0,
        nodes: 0,
        origin,
        diagnostics: Vec::new(),
    };
    let Some(first) = reader.peek() else {
        return Some((None, Vec::new()));
    };
    if first.col != 0 {
        return None;
    }
    let root = if is_dash(first.text) {
        reader.seq(0, false, 1)?
    } else {
        reader.map(0, 1)?
    };
    if reader.at != reader.lines.len() {
        return None;
    }
    Some((Some(root), reader.diagnostics))
}

fn is_dash(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: rest` or `key:`; `None` when the line is not a simple mapping entry.
fn split_entry(text: &str) -> Option<(&str, &str)> {
    let colon = crate::source::find_byte(text, b':')?;
    let (key, after) = (&text[..colon], &text[colon + 1..]);
    if !after.is_empty() && !after.starts_with(' ') {
        return None;
    }
    let simple_key = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    simple_key.then(|| (key, after.trim_start_matches(' ')))
}

/// The length of a plain scalar at the start of `text`, if `text` is one plain
/// scalar, possibly followed by a comment.
fn plain(text: &str) -> Option<&str> {
    let first = text.bytes().next()?;
    if b",[]{}#&*!|>'\"%@`".contains(&first) {
        return None;
    }
    if b"-?:".contains(&first) && text.as_bytes().get(1).is_none_or(|b| *b == b' ') {
        return None;
    }
    // The first ` #`: a `#` after a space.
    let end = memchr::memchr_iter(b'#', text.as_bytes())
        .find(|&at| at > 0 && text.as_bytes()[at - 1] == b' ')
        .map_or(text.len(), |at| at - 1);
    let value = text[..end].trim_end_matches(' ');
    let colon_space = memchr::memchr_iter(b':', value.as_bytes())
        .any(|at| value.as_bytes().get(at + 1) == Some(&b' '));
    if colon_space || value.ends_with(':') {
        return None;
    }
    Some(value)
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    fn node(&mut self, span: Span, kind: Kind) -> Option<Node> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES / 2).then_some(Node { span, kind })
    }

    fn span(&self, line: usize, col: usize, len: usize) -> Span {
        Span::new(self.origin.first_line + line - 1, col + 1, len.max(1))
    }

    fn scalar(&mut self, line: usize, col: usize, text: &str) -> Option<Node> {
        let span = self.span(line, col, text.len());
        self.node(
            span,
            Kind::Scalar {
                text: text.to_owned(),
                plain: true,
            },
        )
    }

    /// A block mapping whose keys sit at column `col`.
    fn map(&mut self, col: usize, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.peek()?;
        let mut entries: Vec<(Node, Node)> = Vec::new();
        while let Some(line) = self.peek() {
            if line.col < col || (line.col == col && is_dash(line.text)) {
                break;
            }
            if line.col > col {
                return None;
            }
            let (key, rest) = split_entry(line.text)?;
            let key_node = self.scalar(line.no, col, key)?;
            self.at += 1;
            let value = if rest.is_empty() {
                self.nested(line.no, col, key.len(), depth)?
            } else {
                self.inline(line, col + (line.text.len() - rest.len()), rest, col)?
            };
            match duplicate(&entries, &key_node) {
                Some(d) => self.diagnostics.push(d),
                None => entries.push((key_node, value)),
            }
        }
        let span = self.span(start.no, col, 0);
        self.node(span, Kind::Map(entries))
    }

    /// The value of `key:` with nothing after the colon: a nested block, an
    /// indentless sequence, or null.
    fn nested(
        &mut self,
        key_no: usize,
        key_col: usize,
        key_len: usize,
        depth: usize,
    ) -> Option<Node> {
        match self.peek() {
            Some(next) if next.col == key_col && is_dash(next.text) => {
                self.seq(key_col, true, depth + 1)
            }
            Some(next) if next.col > key_col && is_dash(next.text) => {
                self.seq(next.col, false, depth + 1)
            }
            Some(next) if next.col > key_col => {
                split_entry(next.text)?;
                self.map(next.col, depth + 1)
            }
            _ => {
                let span = self.span(key_no, key_col + key_len, 0);
                self.node(
                    span,
                    Kind::Scalar {
                        text: String::new(),
                        plain: true,
                    },
                )
            }
        }
    }

    /// A value on the same line as its key or dash, starting at column `at`;
    /// `owner` is the column of the key or dash, which later lines must not exceed.
    fn inline(&mut self, line: Line<'a>, at: usize, rest: &str, owner: usize) -> Option<Node> {
        let node = if let Some(inner) = rest.strip_prefix('[') {
            self.flow(line.no, at, inner)?
        } else {
            let value = plain(rest)?;
            self.scalar(line.no, at, value)?
        };
        // A deeper line after a scalar would continue it, or be an error.
        if self.peek().is_some_and(|next| next.col > owner) {
            return None;
        }
        Some(node)
    }

    /// A one-line flow sequence of simple words; `inner` follows the `[` at column `at`.
    fn flow(&mut self, no: usize, at: usize, inner: &str) -> Option<Node> {
        let close = inner.find(']')?;
        let after = inner[close + 1..].trim_start_matches(' ');
        if !(after.is_empty() || after.starts_with('#'))
            || (after.starts_with('#') && !inner[close + 1..].starts_with(' '))
        {
            return None;
        }
        let body = &inner[..close];
        let mut items = Vec::new();
        if !body.trim_matches(' ').is_empty() {
            let mut offset = at + 1;
            for part in body.split(',') {
                let word = part.trim_matches(' ');
                let simple = !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
                if !simple || word.starts_with('-') && word.len() == 1 {
                    return None;
                }
                let lead = part.len() - part.trim_start_matches(' ').len();
                items.push(self.scalar(no, offset + lead, word)?);
                offset += part.len() + 1;
            }
        }
        // The full parser's span for `[` runs to the next token.
        let span = self.span(
            no,
            at,
            1 + inner.len() - inner.trim_start_matches(' ').len(),
        );
        self.node(span, Kind::Seq(items))
    }

    /// A block sequence whose dashes sit at column `col`; an indentless one has
    /// its dashes at the column of its parent key.
    fn seq(&mut self, col: usize, indentless: bool, depth: usize) -> Option<Node> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.peek()?;
        // The full parser places an indentless sequence where the token after
        // its first dash begins, and any other at its first dash.
        let first_rest = start.text[1..].trim_start_matches(' ');
        if indentless && first_rest.is_empty() && start.trailing {
            // There the full parser counts the spaces after a lone dash, which are trimmed here.
            return None;
        }
        let span_col = match (indentless, first_rest.is_empty()) {
            (false, _) => col,
            (true, true) => col + 1,
            (true, false) => col + start.text.len() - first_rest.len(),
        };
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.col != col || !is_dash(line.text) {
                if line.col > col {
                    return None;
                }
                break;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            let item_col = col + (line.text.len() - rest.len());
            let item = if rest.is_empty() {
                self.at += 1;
                match self.peek() {
                    Some(next) if next.col > col && is_dash(next.text) => {
                        self.seq(next.col, false, depth + 1)?
                    }
                    Some(next) if next.col > col => {
                        split_entry(next.text)?;
                        self.map(next.col, depth + 1)?
                    }
                    _ => return None,
                }
            } else if is_dash(rest) || rest.starts_with('[') {
                return None;
            } else if split_entry(rest).is_some() {
                // `- key: value`: a mapping that starts on the dash's line.
                self.lines[self.at] = Line {
                    no: line.no,
                    col: item_col,
                    text: rest,
                    trailing: line.trailing,
                };
                self.map(item_col, depth + 1)?
            } else {
                self.at += 1;
                self.inline(line, item_col, rest, col)?
            };
            items.push(item);
        }
        let span = self.span(start.no, span_col, 0);
        self.node(span, Kind::Seq(items))
    }
}
