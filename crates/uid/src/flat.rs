//! Flat names: any text as one safe file name, so that distinct keys never share a folder.

/// `text` as one file name that no other text maps to: ASCII letters, digits and
/// `-_.@+~` are kept, every other byte (`/`, `:`, `%`, a leading `.`, …) becomes `%XX`.
/// Because `%` itself is escaped, the mapping is one-to-one: `a/1.0/2` and `a/1.0/2/x`,
/// or `a_b:c` and `a:b_c`, get distinct names, and none is `.`, `..` or has a `/`.
pub fn flat_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, byte) in text.bytes().enumerate() {
        let keep =
            byte.is_ascii_alphanumeric() || b"-_@+~".contains(&byte) || (byte == b'.' && i > 0);
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
