//! Checks shared by every slash-separated name: characters, segments, reserved names.

use crate::error::{Error, ErrorKind, Subject};
use crate::{MAX_SEGMENT_LEN, MAX_UID_LEN};
use std::ops::Range;

/// Windows device names, which cannot be file names with or without an extension.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
    "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Whether `c` may appear inside a segment.
pub(crate) fn is_segment_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Whether `s` is dotted decimal digits such as `1.10` or `0.7`.
pub(crate) fn is_version(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks the whole input for problems that do not depend on its segments, and
/// splits it into the byte ranges of its `/`-separated segments.
pub(crate) fn split(subject: Subject, input: &str) -> Result<Vec<Range<usize>>, Error> {
    let fail = |span: Range<usize>, kind| Err(Error::new(subject, input, span, kind));
    if input.is_empty() {
        return fail(0..0, ErrorKind::Empty);
    }
    if input.len() > MAX_UID_LEN {
        return fail(
            MAX_UID_LEN..input.len(),
            ErrorKind::TooLong { max: MAX_UID_LEN },
        );
    }
    if input.starts_with('/') {
        return fail(0..1, ErrorKind::Absolute);
    }
    let bytes = input.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return fail(0..2, ErrorKind::DriveLetter);
    }
    let mut ranges = Vec::with_capacity(4);
    let mut start = 0;
    for (at, ch) in input.char_indices() {
        if ch == '/' {
            ranges.push(start..at);
            start = at + 1;
        } else if !is_segment_char(ch) {
            return fail(at..at + ch.len_utf8(), ErrorKind::InvalidChar { ch });
        }
    }
    ranges.push(start..input.len());
    Ok(ranges)
}

/// Checks one segment, `index` counting from 1.
pub(crate) fn check(
    subject: Subject,
    input: &str,
    range: Range<usize>,
    index: usize,
) -> Result<(), Error> {
    let fail = |span: Range<usize>, kind| Err(Error::new(subject, input, span, kind));
    let seg = &input[range.clone()];
    if seg.is_empty() {
        return fail(range, ErrorKind::EmptySegment { index });
    }
    if seg == "." || seg == ".." {
        return fail(range, ErrorKind::DotSegment { index });
    }
    if seg.len() > MAX_SEGMENT_LEN {
        return fail(range, ErrorKind::SegmentTooLong { index });
    }
    if !seg.as_bytes()[0].is_ascii_alphanumeric() {
        return fail(range.start..range.start + 1, ErrorKind::BadStart { index });
    }
    if seg.ends_with('.') {
        return fail(range.end - 1..range.end, ErrorKind::TrailingDot { index });
    }
    let stem = seg.split('.').next().unwrap_or(seg).to_ascii_lowercase();
    if RESERVED.contains(&stem.as_str()) {
        return fail(
            range,
            ErrorKind::ReservedName {
                name: seg.to_owned(),
            },
        );
    }
    Ok(())
}
