//! Splitting a card into its title, YAML front matter and markdown body.

/// The largest front matter read, in bytes. Real cards carry 1 to 3 KiB.
pub(crate) const MAX_FRONT_MATTER: usize = 64 * 1024;

/// A card's source cut at its two `---` lines.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// The text of the first `# ` heading before the front matter.
    pub title: Option<String>,
    /// The YAML between the delimiters.
    pub yaml: &'a str,
    /// 1-based line of the opening `---`.
    pub open_line: usize,
    /// The markdown after the closing `---`.
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// Why a card has no readable front matter.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// No line is exactly `---`.
    Missing,
    /// The opening `---` on this line has no closing partner.
    Unclosed(usize),
}

/// The position of the first `byte` (ASCII) in `text`, by a vectorised search: the
/// standard library's `find(char)` costs more to set up than most of a card's lines take
/// to scan.
pub(crate) fn find_byte(text: &str, byte: u8) -> Option<usize> {
    memchr::memchr(byte, text.as_bytes())
}

/// `text` cut at `\n` as `str::split('\n')` cuts it (an empty last piece after a final
/// newline included), by a vectorised search.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .map(Some)
        .chain([None])
        .map(move |end| {
            let end = end.unwrap_or(text.len());
            // `\n` is ASCII: both cuts are character boundaries.
            let line = &text[start..end];
            start = end + 1;
            line
        })
}

/// `text` cut after each `\n` as `str::split_inclusive('\n')` cuts it (no empty last
/// piece), by a vectorised search.
pub(crate) fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text.as_bytes())
        .map(|at| at + 1)
        .chain([text.len()])
        .filter_map(move |end| {
            let line = text.get(start..end).filter(|l| !l.is_empty());
            start = end;
            line
        })
}

/// `source` with every lone `\r` made a `\n`: a line ends at `\n`, `\r\n` or a lone `\r`,
/// as YAML and the MindSpore checker (Python's universal newlines) read it, so that the
/// lines diagnostics count are the lines the parser saw.
pub(crate) fn line_breaks(source: &str) -> std::borrow::Cow<'_, str> {
    let bytes = source.as_bytes();
    // Only the `\r`s are looked at (nearly every text has none).
    let lone = memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n'));
    if !lone {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end_matches(['\n', '\r', ' ', '\t']) == "---"
}

/// Cuts `source` (BOM already removed) at the first two delimiter lines.
///
/// Only lines that are exactly `---` (trailing whitespace allowed) count, so
/// `----` rules and `---|---` tables in the body are left alone, unlike the
/// MindSpore checker, which toggles on any line that starts with `---`.
pub(crate) fn split(source: &str) -> Result<Split<'_>, SplitError> {
    let mut title = None;
    let mut open: Option<(usize, usize)> = None;
    let mut offset = 0;
    for (index, line) in lines_inclusive(source).enumerate() {
        let line_no = index + 1;
        let next = offset + line.len();
        match open {
            None if is_delimiter(line) => open = Some((line_no, next)),
            None => {
                let text = line.trim();
                if title.is_none()
                    && let Some(rest) = text.strip_prefix("# ")
                {
                    title = Some(rest.trim().to_owned());
                }
            }
            Some((open_line, yaml_start)) if is_delimiter(line) => {
                return Ok(Split {
                    title,
                    yaml: &source[yaml_start..offset],
                    open_line,
                    body: &source[next..],
                    body_line: line_no + 1,
                });
            }
            Some(_) => {}
        }
        offset = next;
    }
    match open {
        Some((line, _)) => Err(SplitError::Unclosed(line)),
        None => Err(SplitError::Missing),
    }
}

/// The ATX headings of a markdown body outside fenced code blocks, with their 1-based lines.
pub(crate) fn headings(body: &str, first_line: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (index, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fence = Some("```");
        } else if trimmed.starts_with("~~~") {
            fence = Some("~~~");
        } else if line.starts_with('#') {
            let text = line.trim_start_matches('#');
            if text.is_empty() || text.starts_with(' ') || text.starts_with('\t') {
                out.push((first_line + index, text.trim()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{find_byte, lines_inclusive, split_lines};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_byte_searches_cut_as_the_standard_library_does(text in "[a:\n\r#é ]{0,40}") {
            prop_assert_eq!(split_lines(&text).collect::<Vec<_>>(), text.split('\n').collect::<Vec<_>>());
            prop_assert_eq!(
                lines_inclusive(&text).collect::<Vec<_>>(),
                text.split_inclusive('\n').collect::<Vec<_>>()
            );
            prop_assert_eq!(find_byte(&text, b':'), text.find(':'));
        }
    }
}
