//! A bounded YAML reader that keeps every value's position and raw text.
//!
//! It walks the parser's events and builds a small tree itself, so nothing is
//! ever expanded: anchors, aliases and tags are refused when first seen,
//! nesting and node count are capped, and scalars keep the text as written
//! (`1.10` stays `1.10`).

use crate::diagnostic::{Diagnostic, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};

mod fast;

/// Deepest nesting of sequences and mappings accepted.
const MAX_DEPTH: usize = 16;
/// Most nodes accepted in one front matter.
const MAX_NODES: usize = 20_000;

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Span,
    pub kind: Kind,
}

/// The shape of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar as written; `plain` is false for quoted and block scalars.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in source order; keys are scalars.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text, if this is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is an unquoted scalar.
    pub fn is_plain(&self) -> bool {
        matches!(self.kind, Kind::Scalar { plain: true, .. })
    }

    /// Whether this is YAML's null: nothing, `~` or `null` unquoted.
    pub fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar { text, plain: true } => {
                matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// What the value is, for messages: `` `text` ``, quoted text, a list or a mapping.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "nothing".to_owned(),
            Kind::Scalar { text, plain } => {
                let mut shown: String = text.chars().take(40).collect();
                if shown.len() < text.len() {
                    shown.push_str("...");
                }
                if *plain {
                    format!("`{shown}`")
                } else {
                    format!("quoted text `{shown}`")
                }
            }
            Kind::Seq(_) => "a list".to_owned(),
            Kind::Map(_) => "a mapping".to_owned(),
        }
    }
}

enum Frame {
    Seq {
        span: Span,
        items: Vec<Node>,
    },
    Map {
        span: Span,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Where the YAML sits in the file, to turn parser positions into file positions.
#[derive(Clone, Copy)]
struct Origin {
    first_line: usize,
}

/// The diagnostic for `key` if `entries` already has it.
fn duplicate(entries: &[(Node, Node)], key: &Node) -> Option<Diagnostic> {
    let name = key.scalar().unwrap_or_default();
    let (first, _) = entries.iter().find(|(e, _)| e.scalar() == Some(name))?;
    Some(
        Diagnostic::error(
            "duplicate-key",
            key.span,
            format!("key `{name}` appears twice"),
        )
        .help(format!(
            "the first `{name}` is on line {}; keep one of them",
            first.span.line
        )),
    )
}

impl Origin {
    fn span(self, start: saphyr_parser::Marker, end: saphyr_parser::Marker) -> Span {
        let len = if end.line() == start.line() {
            end.col().saturating_sub(start.col())
        } else {
            usize::MAX / 2
        };
        Span::new(
            self.first_line + start.line() - 1,
            start.col() + 1,
            len.max(1),
        )
    }
}

/// Reads `yaml`, whose first line is line `first_line` of the file. Returns the
/// root node, if the text could be read, and every diagnostic found on the way.
pub(crate) fn read(yaml: &str, first_line: usize) -> (Option<Node>, Vec<Diagnostic>) {
    let origin = Origin { first_line };
    fast::read(yaml, origin).unwrap_or_else(|| full(yaml, origin))
}

/// Reads any YAML with the full parser.
fn full(yaml: &str, origin: Origin) -> (Option<Node>, Vec<Diagnostic>) {
    let first_line = origin.first_line;
    let mut diagnostics = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    for item in Parser::new_from_str(yaml) {
        let (event, marker_span) = match item {
            Ok(pair) => pair,
            Err(e) => {
                let m = e.marker();
                let span = Span::new(first_line + m.line().max(1) - 1, m.col() + 1, 1);
                let d =
                    Diagnostic::error("yaml-syntax", span, format!("invalid yaml: {}", e.info()))
                        .help("front matter must be a yaml mapping of `key: value` lines");
                return (None, vec![d]);
            }
        };
        let span = origin.span(marker_span.start, marker_span.end);
        let fatal = |rule: &'static str, message: &str, help: &str| {
            (
                None,
                vec![Diagnostic::error(rule, span, message).help(help)],
            )
        };
        let (anchor, tagged) = match &event {
            Event::Scalar(_, _, anchor, tag) => (*anchor, tag.is_some()),
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                (*anchor, tag.is_some())
            }
            _ => (0, false),
        };
        if matches!(event, Event::Alias(_)) || anchor != 0 {
            return fatal(
                "yaml-alias",
                "yaml anchors and aliases are not allowed in a card",
                "write each value out in full",
            );
        }
        if tagged {
            return fatal(
                "yaml-tag",
                "yaml tags are not allowed in a card",
                "remove the `!tag` and write a plain value",
            );
        }
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return fatal(
                        "yaml-syntax",
                        "front matter holds more than one yaml document",
                        "keep a single mapping between the two `---` lines",
                    );
                }
                continue;
            }
            Event::Scalar(text, style, _, _) => {
                let plain = matches!(style, ScalarStyle::Plain);
                Node {
                    span,
                    kind: Kind::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return fatal(
                        "yaml-too-deep",
                        &format!("yaml nesting is deeper than {MAX_DEPTH} levels"),
                        "flatten the front matter",
                    );
                }
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return fatal(
                        "yaml-complex-key",
                        "mapping keys must be plain text",
                        "write the key as `name:`",
                    );
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        span,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        span,
                        entries: Vec::new(),
                        key: None,
                    }
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq { span, items }) => Node {
                    span,
                    kind: Kind::Seq(items),
                },
                Some(Frame::Map { span, entries, .. }) => Node {
                    span,
                    kind: Kind::Map(entries),
                },
                None => continue,
            },
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return fatal(
                "front-matter-too-large",
                &format!("front matter has more than {MAX_NODES} values"),
                "a card needs a few dozen values",
            );
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let name = k.scalar().unwrap_or_default();
                    if let Some((first, _)) = entries.iter().find(|(e, _)| e.scalar() == Some(name))
                    {
                        diagnostics.push(
                            Diagnostic::error(
                                "duplicate-key",
                                k.span,
                                format!("key `{name}` appears twice"),
                            )
                            .help(format!(
                                "the first `{name}` is on line {}; keep one of them",
                                first.span.line
                            )),
                        );
                    } else {
                        entries.push((k, node));
                    }
                }
            },
        }
    }
    (root, diagnostics)
}

#[cfg(test)]
mod tests;
