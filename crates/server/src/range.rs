//! The `Range` request header: one byte range to send, the whole file, or `416`.

/// What a `Range` header asks of a representation of some length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// Send the whole representation: the header is malformed, not about bytes, or
    /// asks for several ranges (RFC 9110 lets a server ignore any `Range`; sending one
    /// body is simpler and safer than `multipart/byteranges`).
    Full,
    /// Send bytes `start..=end`.
    Part {
        /// The first byte.
        start: u64,
        /// The last byte, included.
        end: u64,
    },
    /// No byte of the range exists: `416` with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// A run of decimal digits; a number too large for 64 bits reads as `u64::MAX`, larger
/// than any file. `None` if `text` is not only digits.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, b| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .unwrap_or(u64::MAX)
    }))
}

/// Reads `header` (`bytes=a-b`, `bytes=a-`, `bytes=-n`) for a representation of `len` bytes.
pub(crate) fn parse(header: &str, len: u64) -> Ranged {
    let Some((unit, set)) = header.split_once('=') else {
        return Ranged::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Ranged::Full;
    }
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return Ranged::Full;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return Ranged::Full;
    };
    if first.is_empty() {
        // A suffix: the last `n` bytes.
        return match number(last) {
            None => Ranged::Full,
            Some(0) => Ranged::Unsatisfiable,
            Some(_) if len == 0 => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        };
    }
    let Some(start) = number(first) else {
        return Ranged::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(end) if end >= start => end,
            _ => return Ranged::Full,
        }
    };
    if start >= len {
        return Ranged::Unsatisfiable;
    }
    Ranged::Part {
        start,
        end: end.min(len - 1),
    }
}

#[cfg(test)]
mod tests;
