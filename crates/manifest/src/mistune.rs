//! The headings mistune 0.8.4 finds in a card's markdown, as the MindSpore checker asks for them.
//!
//! The checker parses every line outside the front matter with `mistune.Markdown().block`
//! and fails a card with a heading whose text ends with `:`. This follows mistune's block
//! grammar as far as headings depend on it: blank lines, rules, indented and fenced code,
//! ATX headings (any indent, no space needed after the `#`s, closing `#`s dropped),
//! setext headings (a line over a run of `=` or `-`), block quotes (parsed again inside,
//! where headings count) and lists (whose items mistune parses without the heading rule).

/// One line of the text after mistune's preprocessing: tabs expanded to 4 columns,
/// no-break spaces made spaces, lines of only spaces made empty.
fn prepare(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                match c {
                    '\t' => {
                        let pad = 4 - out.chars().count() % 4;
                        out.extend(std::iter::repeat_n(' ', pad));
                    }
                    '\u{a0}' => out.push(' '),
                    c => out.push(c),
                }
            }
            if out.bytes().all(|b| b == b' ') {
                out.clear();
            }
            out
        })
        .collect()
}

fn is_hrule(line: &str) -> bool {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    indent <= 3
        && rest.starts_with(['-', '*', '_'])
        && rest.chars().all(|c| matches!(c, '-' | '*' | '_' | ' '))
        && rest.chars().filter(|c| *c != ' ').count() >= 3
}

/// The text of an ATX heading line: ` *#{1,6} *(.+?) *#* *`.
fn atx(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(' ');
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if hashes == 0 {
        return None;
    }
    let rest = &rest[hashes.min(6)..];
    let rest = rest.trim_start_matches(' ');
    let text = rest
        .trim_end_matches(' ')
        .trim_end_matches('#')
        .trim_end_matches(' ');
    match (text.is_empty(), rest.chars().next()) {
        (false, _) => Some(text),
        (true, Some(first)) => Some(&rest[..first.len_utf8()]),
        (true, None) => None,
    }
}

/// Whether a line underlines a setext heading: ` *(=|-)+ *`.
fn is_underline(line: &str) -> bool {
    let t = line.trim_start_matches(' ').trim_end_matches(' ');
    !t.is_empty() && t.bytes().all(|b| b == b'=' || b == b'-')
}

/// An opening code fence: its marker (three or more backticks or tildes, as written).
fn fence(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(' ');
    let c = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(c).len();
    let info = rest[len..].trim_matches(' ');
    (len >= 3 && !info.contains([' ', '`'])).then(|| &rest[..len])
}

/// Whether a line starts a list item: ` *([*+-]|\d+\.) `.
fn is_item(line: &str) -> bool {
    let rest = line.trim_start_matches(' ');
    let after = match rest.strip_prefix(['*', '+', '-']) {
        Some(a) => a,
        None => {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            match rest[digits..].strip_prefix('.') {
                Some(a) if digits > 0 => a,
                _ => return false,
            }
        }
    };
    after.starts_with(' ')
}

/// Quotes nested deeper than this are not looked into: the text is a stranger's, and each
/// level is a recursion (mistune itself gives up at Python's recursion limit).
const MAX_QUOTE_DEPTH: usize = 32;

/// Headings of `lines` (1-based line `first` for the first) inside `depth` quotes, with
/// `in_list` meaning the heading rule is off, as in mistune's list items.
fn scan(
    lines: &[String],
    first: usize,
    in_list: bool,
    depth: usize,
    out: &mut Vec<(usize, String)>,
) {
    let mut i = 0;
    let mut in_paragraph = false;
    while i < lines.len() {
        let line = lines[i].as_str();
        if line.is_empty() {
            in_paragraph = false;
            i += 1;
            continue;
        }
        // A paragraph ends before a rule, a fence, a heading, a quote or a list; an
        // indented line only continues it.
        if is_hrule(line) {
            in_paragraph = false;
            i += 1;
            continue;
        }
        // An indented line continues a paragraph, unless it looks like a heading: that
        // ends the paragraph, and at a block's start indented code wins.
        if line.starts_with("    ") && (!in_paragraph || atx(line).is_some()) {
            in_paragraph = false;
            while i < lines.len() && (lines[i].is_empty() || lines[i].starts_with("    ")) {
                i += 1;
            }
            continue;
        }
        if let Some(marker) = fence(line)
            && let Some(close) = lines[i + 1..].iter().position(|l| {
                let t = l.trim_end_matches(' ');
                !t.is_empty() && t.ends_with(marker)
            })
        {
            // The content must not be empty: `[\s\S]+?`.
            if close > 0 || !lines[i + 1].trim().eq(marker) {
                i += close + 2;
                in_paragraph = false;
                continue;
            }
        }
        if !in_list && let Some(text) = atx(line) {
            out.push((first + i, text.to_owned()));
            in_paragraph = false;
            i += 1;
            continue;
        }
        // A paragraph ends before a line that a setext underline follows.
        if let Some(next) = lines.get(i + 1)
            && is_underline(next)
        {
            out.push((first + i, line.to_owned()));
            i += 2;
            continue;
        }
        let trimmed = line.trim_start_matches(' ');
        if trimmed.starts_with('>') && trimmed.len() > 1 {
            in_paragraph = false;
            let start = i;
            while i < lines.len() && !lines[i].is_empty() {
                i += 1;
            }
            let inner: Vec<String> = lines[start..i]
                .iter()
                .map(|l| {
                    let t = l.trim_start_matches(' ');
                    match t.strip_prefix('>') {
                        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest).to_owned(),
                        None => l.clone(),
                    }
                })
                .collect();
            if depth < MAX_QUOTE_DEPTH {
                scan(&inner, first + start, in_list, depth + 1, out);
            }
            continue;
        }
        if is_item(line) {
            in_paragraph = false;
            let start = i;
            i += 1;
            loop {
                let blanks = lines[i.min(lines.len())..]
                    .iter()
                    .take_while(|l| l.is_empty())
                    .count();
                let Some(next) = lines.get(i + blanks) else {
                    i += blanks;
                    break;
                };
                if is_hrule(next) && !is_item(next) {
                    break;
                }
                if blanks >= 1 && !next.starts_with(' ') && !is_item(next) {
                    break;
                }
                i += blanks + 1;
            }
            let inner: Vec<String> = lines[start..i].to_vec();
            // Inside items only quotes reach the heading rule again.
            scan_list(&inner, first + start, depth, out);
            continue;
        }
        in_paragraph = true;
        i += 1;
    }
}

/// A list's lines: headings count only inside block quotes of its items.
fn scan_list(lines: &[String], first: usize, depth: usize, out: &mut Vec<(usize, String)>) {
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start_matches(' ');
        let t = t
            .strip_prefix(['*', '+', '-'])
            .map_or(t, |r| r.trim_start_matches(' '));
        if let Some(quoted) = t.strip_prefix('>') {
            let inner = vec![quoted.strip_prefix(' ').unwrap_or(quoted).to_owned()];
            if depth < MAX_QUOTE_DEPTH {
                scan(&inner, first + i, false, depth + 1, out);
            }
        }
    }
}

/// The headings mistune finds in `text` whose text ends with `:`, the ones the checker
/// rejects. A heading's text is a line less its leading `#`s and trailing spaces and `#`s,
/// so a text with no line that ends so is not parsed at all (nearly every card).
pub(crate) fn colon_headings(text: &str, first_line: usize) -> Vec<(usize, String)> {
    if !line_ends_in_colon(text) {
        return Vec::new();
    }
    let mut found = headings(text, first_line);
    found.retain(|(_, t)| t.ends_with(':'));
    found
}

/// Whether a line of `text` (lines end at `\n`, `\r` or `\u{2424}`) ends in `:` once
/// trailing spaces, tabs, `#`s and no-break spaces are cut: a `:` followed by nothing
/// else up to the end of its line. Each `:` is found with a vectorised byte search, so a
/// card is scanned at memory speed rather than line by line.
fn line_ends_in_colon(text: &str) -> bool {
    memchr::memchr_iter(b':', text.as_bytes()).any(|at| {
        // `:` is ASCII, so `at + 1` is a character boundary.
        let tail = text[at + 1..].trim_start_matches([' ', '\t', '#', '\u{a0}']);
        tail.is_empty() || tail.starts_with(['\n', '\r', '\u{2424}'])
    })
}

/// The headings mistune finds in `text`, whose first line is line `first_line`, with their text.
pub(crate) fn headings(text: &str, first_line: usize) -> Vec<(usize, String)> {
    let text = text.replace("\r\n", "\n").replace(['\r', '\u{2424}'], "\n");
    let lines = prepare(&text);
    let mut out = Vec::new();
    scan(&lines, first_line, false, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::{headings, line_ends_in_colon};

    #[test]
    fn the_quick_look_finds_every_line_that_ends_in_a_colon() {
        for text in [
            "# a:",
            "a:\n",
            "x\r# a: #\rb",
            "a: \t#\u{a0}\n",
            "see https://x\nIntro:\u{2424}",
            "a:b\nc:",
            ":",
        ] {
            assert!(line_ends_in_colon(text), "{text:?}");
        }
        for text in [
            "",
            "a:b",
            "https://x\n",
            "a: b\n# c\n",
            "a:\u{a0}x",
            "a:#x\n",
        ] {
            assert!(!line_ends_in_colon(text), "{text:?}");
        }
        // The same answer as the plain line-by-line reading, on every line break.
        for text in ["a:\r\nb", "a :\n", "a:\u{2028}", "a:\u{85}"] {
            let plain = text.split(['\n', '\r', '\u{2424}']).any(|line| {
                line.trim_end_matches([' ', '\t', '#', '\u{a0}'])
                    .ends_with(':')
            });
            assert_eq!(line_ends_in_colon(text), plain, "{text:?}");
        }
    }

    fn texts(md: &str) -> Vec<String> {
        headings(md, 1).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn atx_and_setext_headings_as_mistune_reads_them() {
        assert_eq!(texts("# Intro:\n"), ["Intro:"]);
        assert_eq!(texts("#Intro:\n"), ["Intro:"]);
        assert_eq!(texts("   ## Intro: ##\n"), ["Intro:"]);
        assert_eq!(texts("# Intro: #\n"), ["Intro:"]);
        assert_eq!(texts("####### Intro:\n"), ["# Intro:"]);
        assert_eq!(texts("text\nIntro:\n===\n"), ["Intro:"]);
        assert_eq!(texts("para\n# Intro:\n"), ["Intro:"]);
        assert_eq!(texts("> # Intro:\n"), ["Intro:"]);
        assert_eq!(texts("> a\n> # b:\n"), ["b:"]);
        assert_eq!(texts("para\n> # a:\n"), ["a:"]);
        assert_eq!(texts("para\n***\n# a:\n"), ["a:"]);
        assert_eq!(texts("para\n```\nx\n```\n# b:\n"), ["b:"]);
    }

    #[test]
    fn code_lists_and_html_hide_headings() {
        assert!(texts("```\n# Intro:\n```\n").is_empty());
        assert!(texts("~~~ sh\n# Intro:\n~~~\n").is_empty());
        assert!(texts("\n    # Intro:\n").is_empty());
        assert!(texts("- # Intro:\n").is_empty());
        assert!(texts("- a\n# Intro:\n").is_empty());
        assert!(texts("para\n- x\n# a:\n").is_empty());
        assert!(texts("para\n    # a:\n").is_empty());
        assert!(texts("<h1>Intro:</h1>\n").is_empty());
        // A stranger's nesting is bounded, not followed into a stack overflow.
        assert!(texts(&format!("{}# a:\n", "> ".repeat(200_000))).is_empty());
        assert_eq!(texts(&format!("{}# a:\n", "> ".repeat(3))), ["a:"]);
        assert_eq!(texts("- a\n\n# Intro:\n"), ["Intro:"]);
        assert_eq!(texts("```\n# Intro:\n"), ["Intro:"]);
    }
}
