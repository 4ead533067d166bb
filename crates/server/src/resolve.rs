//! Request paths to tree paths: percent-decoded exactly once, then checked by `hubtree::Relative`.

use hubtree::Relative;

/// The path a request names, percent-decoded exactly once. `None` when it cannot name a
/// servable file: an empty segment (`//`, a trailing `/`), a segment that starts with
/// `.` (dotfiles, `.`, `..`), a broken `%` escape, bytes that are not UTF-8, or a
/// decoded `/`, `\\`, NUL or other control character. A double-encoded `%252e` decodes
/// to the three characters `%2e`, a harmless name.
pub(crate) fn relative(path: &str) -> Option<Relative> {
    let rest = path.strip_prefix('/')?;
    let mut out = String::with_capacity(rest.len());
    for (i, raw) in rest.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let start = out.len();
        decode(raw, &mut out)?;
        // A decoded `/` would join two segments that were checked as one.
        if out[start..].contains('/') {
            return None;
        }
    }
    Relative::new(&out)
}

/// Percent-decodes one segment onto `out`; `None` on a broken escape or bytes that are
/// not UTF-8.
fn decode(raw: &str, out: &mut String) -> Option<()> {
    if !raw.contains('%') {
        out.push_str(raw);
        return Some(());
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    out.push_str(std::str::from_utf8(&decoded).ok()?);
    Some(())
}

#[cfg(test)]
mod tests;
