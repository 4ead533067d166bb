//! Front-matter values as PyYAML's `FullLoader` builds them (YAML 1.1), for the MindSpore checker's rules.
//!
//! The checker tests Python types (`isinstance(v, bool)`, `numbers.Number`) and the
//! text `str(v)`; this is the part of PyYAML's resolver and of Python's `str` those
//! tests see.

use crate::yaml::{Kind, Node};

/// A value as the checker sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Py {
    None,
    Bool,
    Int,
    Float,
    /// A `datetime.date`.
    Date,
    /// A `datetime.datetime`; its `str` has `:` in it.
    DateTime,
    /// A timestamp PyYAML cannot build (`2023-02-30`): loading the card fails.
    BadTimestamp,
    Str,
    List,
    Dict,
}

fn all(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(allowed)
}

fn digit_run(text: &str) -> bool {
    all(text, |b| b.is_ascii_digit() || b == b'_')
}

/// `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`, the part before any `.` of a sexagesimal number.
fn sexagesimal(text: &str) -> bool {
    if !text.as_bytes().contains(&b':') {
        return false;
    }
    let mut parts = text.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    let mut rest = parts.peekable();
    if rest.peek().is_none() {
        return false;
    }
    let head_ok = head
        .bytes()
        .next()
        .is_some_and(|b| (b'1'..=b'9').contains(&b))
        && digit_run(head);
    head_ok
        && rest.all(|p| {
            let b = p.as_bytes();
            match b {
                [d] => d.is_ascii_digit(),
                [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
                _ => false,
            }
        })
}

/// PyYAML's int resolver.
fn is_int(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    if let Some(bin) = t.strip_prefix("0b") {
        return all(bin, |b| b == b'0' || b == b'1' || b == b'_');
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return all(hex, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if t == "0" {
        return true;
    }
    if let Some(oct) = t.strip_prefix('0') {
        return all(oct, |b| (b'0'..=b'7').contains(&b) || b == b'_');
    }
    if t.bytes().next().is_some_and(|b| (b'1'..=b'9').contains(&b)) && digit_run(t) {
        return true;
    }
    sexagesimal(t)
}

/// `([eE][-+][0-9]+)?` at the end of a float, whose sign PyYAML requires.
fn strip_exponent(text: &str) -> Option<&str> {
    match text.find(['e', 'E']) {
        None => Some(text),
        Some(at) => {
            let exp = &text[at + 1..];
            let digits = exp.strip_prefix(['-', '+'])?;
            all(digits, |b| b.is_ascii_digit()).then_some(&text[..at])
        }
    }
}

/// PyYAML's float resolver.
fn is_float(text: &str) -> bool {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(t, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `\.[0-9][0-9_]*` with an optional exponent, unsigned.
    if let Some(frac) = text.strip_prefix('.') {
        return strip_exponent(frac)
            .is_some_and(|f| f.bytes().next().is_some_and(|b| b.is_ascii_digit()) && digit_run(f));
    }
    let Some(dot) = crate::source::find_byte(t, b'.') else {
        return false;
    };
    let (int, frac) = (&t[..dot], &t[dot + 1..]);
    if int.contains(':') {
        // `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
        // The head may start with `0` here: check it as if it started with `1`.
        return int.bytes().next().is_some_and(|b| b.is_ascii_digit())
            && sexagesimal(&format!("1{}", &int[1..]))
            && (frac.is_empty() || digit_run(frac));
    }
    let int_ok = int.bytes().next().is_some_and(|b| b.is_ascii_digit()) && digit_run(int);
    int_ok && strip_exponent(frac).is_some_and(|f| f.is_empty() || digit_run(f))
}

fn number_between(text: &str, low: u32, high: u32) -> Option<u32> {
    let n: u32 = text.parse().ok()?;
    (low..=high).contains(&n).then_some(n)
}

fn valid_date(y: &str, m: &str, d: &str) -> bool {
    let (Ok(year), Some(month)) = (y.parse::<u32>(), number_between(m, 1, 12)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    year >= 1 && number_between(d, 1, days).is_some()
}

/// PyYAML's timestamp resolver and constructor.
fn timestamp(text: &str) -> Option<Py> {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    // `YYYY-MM-DD` exactly.
    if b.len() == 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
    {
        return Some(if valid_date(&text[..4], &text[5..7], &text[8..]) {
            Py::Date
        } else {
            Py::BadTimestamp
        });
    }
    // `YYYY-M[M]-D[D]([Tt]|[ \t]+)H[H]:MM:SS(.frac)?([ \t]*(Z|[-+]H[H](:MM)?))?`
    if !(digits(0..4) && b.get(4) == Some(&b'-')) {
        return None;
    }
    let rest = &text[5..];
    let (month, rest) = rest.split_once('-')?;
    let day_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (day, rest) = rest.split_at(day_len);
    if !(1..=2).contains(&month.len())
        || !all(month, |c| c.is_ascii_digit())
        || !(1..=2).contains(&day.len())
    {
        return None;
    }
    let rest = match rest.strip_prefix(['T', 't']) {
        Some(r) => r,
        None => {
            let r = rest.trim_start_matches([' ', '\t']);
            if r.len() == rest.len() {
                return None;
            }
            r
        }
    };
    let hour_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (hour, rest) = rest.split_at(hour_len);
    let rb = rest.as_bytes();
    let two = |at: usize| {
        rb.get(at..at + 2)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if !(1..=2).contains(&hour.len())
        || rb.first() != Some(&b':')
        || !two(1)
        || rb.get(3) != Some(&b':')
        || !two(4)
    {
        return None;
    }
    let mut tail = &rest[6..];
    if let Some(frac) = tail.strip_prefix('.') {
        tail = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let zone = tail.trim_start_matches([' ', '\t']);
    let zone_ok = zone.is_empty() || zone == "Z" || {
        zone.strip_prefix(['-', '+']).is_some_and(|z| {
            let (h, m) = z.split_once(':').unwrap_or((z, "00"));
            (1..=2).contains(&h.len())
                && all(h, |c| c.is_ascii_digit())
                && m.len() == 2
                && all(m, |c| c.is_ascii_digit())
        })
    };
    if !zone_ok {
        return None;
    }
    let time_ok = number_between(hour, 0, 23).is_some()
        && number_between(&rest[1..3], 0, 59).is_some()
        && number_between(&rest[4..6], 0, 59).is_some();
    Some(if valid_date(&text[..4], month, day) && time_ok {
        Py::DateTime
    } else {
        Py::BadTimestamp
    })
}

/// Whether a plain scalar may read as a timestamp (`YYYY-` first): anything else is
/// never [`Py::Date`], [`Py::DateTime`] or [`Py::BadTimestamp`], whatever else it is.
pub(crate) fn may_be_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// The Python type of a node's value.
pub(crate) fn kind(node: &Node) -> Py {
    match &node.kind {
        Kind::Seq(_) => Py::List,
        Kind::Map(_) => Py::Dict,
        Kind::Scalar { plain: false, .. } => Py::Str,
        Kind::Scalar { text, plain: true } => {
            let t = text.as_str();
            if matches!(t, "" | "~" | "null" | "Null" | "NULL") {
                Py::None
            } else if matches!(
                t,
                "yes"
                    | "Yes"
                    | "YES"
                    | "no"
                    | "No"
                    | "NO"
                    | "true"
                    | "True"
                    | "TRUE"
                    | "false"
                    | "False"
                    | "FALSE"
                    | "on"
                    | "On"
                    | "ON"
                    | "off"
                    | "Off"
                    | "OFF"
            ) {
                Py::Bool
            } else if is_int(t) {
                Py::Int
            } else if is_float(t) {
                Py::Float
            } else {
                timestamp(t).unwrap_or(Py::Str)
            }
        }
    }
}

/// Whether the value is one Python calls false (`None`, `False`, `0`, `""`, `[]`, `{}`).
pub(crate) fn is_falsy(node: &Node) -> bool {
    match &node.kind {
        Kind::Seq(items) => items.is_empty(),
        Kind::Map(entries) => entries.is_empty(),
        Kind::Scalar { text, plain: false } => text.is_empty(),
        Kind::Scalar { text, plain: true } => match kind(node) {
            Py::None => true,
            Py::Bool => matches!(
                text.as_str(),
                "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF"
            ),
            Py::Int | Py::Float => text
                .trim_start_matches(['-', '+'])
                .trim_start_matches(['0', 'x', 'b', '_', '.', ':'])
                .bytes()
                .all(|b| b == b'0' || b == b'_' || b == b'.' || b == b':'),
            _ => false,
        },
    }
}

/// Whether `str(value)` has a `:` in it: text with one, a date and time, a non-empty
/// mapping, or a list whose `repr` has one.
pub(crate) fn str_has_colon(node: &Node) -> bool {
    match &node.kind {
        Kind::Map(entries) => !entries.is_empty(),
        Kind::Seq(items) => items.iter().any(repr_has_colon),
        Kind::Scalar { text, .. } => match kind(node) {
            Py::Str => text.contains(':'),
            Py::DateTime => true,
            _ => false,
        },
    }
}

/// Whether `repr(value)` has a `:` in it, as an item of a list: dates print as
/// `datetime.datetime(2023, 2, 17, 10, 0)`, without one.
fn repr_has_colon(node: &Node) -> bool {
    match &node.kind {
        Kind::Scalar { text, .. } => kind(node) == Py::Str && text.contains(':'),
        _ => str_has_colon(node),
    }
}

#[cfg(test)]
mod tests;
