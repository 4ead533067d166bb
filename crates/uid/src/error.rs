//! The error type shared by every parser in this crate, with caret rendering.

use std::fmt;
use std::ops::Range;

/// What was being parsed when an [`Error`] happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A model UID such as `mindspore/ascend/1.0/alexnet_v1_cifar10`.
    ModelId,
    /// A repository reference such as `owner/repo:ref`.
    RepoRef,
    /// Any of the reference forms accepted by [`crate::Reference::parse`].
    Reference,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::ModelId => "model id",
            Subject::RepoRef => "repository reference",
            Subject::Reference => "model reference",
        })
    }
}

/// Why an input was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is empty.
    Empty,
    /// The input is longer than the limit.
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// The input starts with `/`.
    Absolute,
    /// The input starts with a drive letter such as `C:`.
    DriveLetter,
    /// A segment between two slashes is empty.
    EmptySegment {
        /// 1-based segment number.
        index: usize,
    },
    /// A segment is `.` or `..`.
    DotSegment {
        /// 1-based segment number.
        index: usize,
    },
    /// The number of `/`-separated segments is wrong.
    SegmentCount {
        /// How many segments were found.
        found: usize,
        /// A description of what is expected.
        expected: &'static str,
    },
    /// A segment is longer than [`crate::MAX_SEGMENT_LEN`].
    SegmentTooLong {
        /// 1-based segment number.
        index: usize,
    },
    /// A character is not allowed here.
    InvalidChar {
        /// The offending character.
        ch: char,
    },
    /// A segment must start with an ASCII letter or digit.
    BadStart {
        /// 1-based segment number.
        index: usize,
    },
    /// A segment ends with a dot, which Windows silently strips.
    TrailingDot {
        /// 1-based segment number.
        index: usize,
    },
    /// A segment is a Windows device name.
    ReservedName {
        /// The reserved name as written.
        name: String,
    },
    /// The version segment is not dotted digits.
    NotAVersion {
        /// 1-based segment number.
        index: usize,
    },
    /// The git ref after `:` is not a valid ref name.
    BadRef {
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Empty => f.write_str("it is empty"),
            ErrorKind::TooLong { max } => write!(f, "it is longer than {max} bytes"),
            ErrorKind::Absolute => f.write_str("it must not start with `/`"),
            ErrorKind::DriveLetter => f.write_str("it must not start with a drive letter"),
            ErrorKind::EmptySegment { index } => write!(f, "segment {index} is empty"),
            ErrorKind::DotSegment { index } => {
                write!(
                    f,
                    "segment {index} is `.` or `..`, which would leave the hub tree"
                )
            }
            ErrorKind::SegmentCount { found, expected } => {
                write!(f, "found {found} segments, expected {expected}")
            }
            ErrorKind::SegmentTooLong { index } => {
                write!(
                    f,
                    "segment {index} is longer than {} bytes",
                    crate::MAX_SEGMENT_LEN
                )
            }
            ErrorKind::InvalidChar { ch } => match ch {
                '\\' => f.write_str("backslashes are not allowed, use `/`"),
                '%' => f.write_str("percent-encoding is not allowed"),
                c if c.is_control() => {
                    write!(f, "control character `{}` is not allowed", c.escape_debug())
                }
                c if c.is_whitespace() => f.write_str("whitespace is not allowed"),
                c if !c.is_ascii() => write!(f, "non-ASCII character `{c}` is not allowed"),
                c => write!(f, "character `{c}` is not allowed"),
            },
            ErrorKind::BadStart { index } => {
                write!(
                    f,
                    "segment {index} must start with an ASCII letter or digit"
                )
            }
            ErrorKind::TrailingDot { index } => write!(f, "segment {index} must not end with `.`"),
            ErrorKind::ReservedName { name } => {
                write!(f, "`{name}` is a reserved device name on Windows")
            }
            ErrorKind::NotAVersion { index } => {
                write!(f, "segment {index} must be a version such as `1.10`")
            }
            ErrorKind::BadRef { reason } => write!(f, "the git ref {reason}"),
        }
    }
}

/// A rejected input: what was parsed, the input itself, the byte span at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {subject}: {kind}")]
pub struct Error {
    subject: Subject,
    input: String,
    span: Range<usize>,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(subject: Subject, input: &str, span: Range<usize>, kind: ErrorKind) -> Error {
        let end = span.end.min(input.len());
        let start = span.start.min(end);
        Error {
            subject,
            input: input.to_owned(),
            span: start..end,
            kind,
        }
    }

    /// What was being parsed.
    pub fn subject(&self) -> Subject {
        self.subject
    }

    /// The whole input as given.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The byte range of the input at fault; empty when it points between two bytes.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Why the input was rejected.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The error as a compiler would print it: the message, the input, and a caret
    /// line under the offending part. Control characters are shown escaped so the
    /// carets stay aligned on a terminal.
    pub fn render(&self) -> String {
        let mut shown = String::new();
        let mut caret_start = None;
        let mut caret_len = 0usize;
        let mut width = 0usize;
        for (at, ch) in self.input.char_indices() {
            if at == self.span.start {
                caret_start = Some(width);
            }
            let piece: String = if ch.is_control() || ch == '\u{feff}' {
                ch.escape_debug().collect()
            } else {
                ch.to_string()
            };
            let piece_width = piece.chars().count();
            if at >= self.span.start && at < self.span.end {
                caret_len += piece_width;
            }
            width += piece_width;
            shown.push_str(&piece);
        }
        let start = caret_start.unwrap_or(width);
        format!(
            "error: {self}\n  {shown}\n  {}{}\n",
            " ".repeat(start),
            "^".repeat(caret_len.max(1))
        )
    }
}
