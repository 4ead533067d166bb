//! The MindSpore Hub checker's header rules, ported one by one from `mindspore_hub/_utils/check.py`.
//!
//! Values are judged as the checker judges them: by their Python type after PyYAML's
//! reading ([`pyyaml`]), a key that appears twice keeps its last value, required keys
//! only need to be present, and every step that makes the checker raise is an error
//! here. Where the checker crashes on a card (a `module-type` that is not text, a
//! `used-for` with no value) the card fails here too, with a message that says why.

use super::pyyaml::{self, Py};
use super::{BACKENDS, FILE_FORMATS, RuleSet, Subject, USED_FOR, list};
use crate::datasets;
use crate::diagnostic::{Diagnostic, Span};
use crate::schema::{self, wrong_type};
use crate::yaml::{Kind, Node};

/// The last value of `key`, as PyYAML's dict keeps it.
fn last<'a>(s: &Subject<'a>, key: &str) -> Option<(&'a Node, &'a Node)> {
    s.fields
        .entries
        .iter()
        .rev()
        .find(|(k, _, _)| *k == key)
        .map(|(_, k, v)| (*k, *v))
}

/// A link as `urllib.request.Request` reads it: `scheme:` first, once `<>` are stripped.
fn has_scheme(link: &str) -> bool {
    let mut t = link.trim_matches(['<', '>']).trim();
    if let Some(inner) = t.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
        t = inner.trim();
    }
    let t = t.strip_prefix("URL:").map_or(t, str::trim);
    t.find(':')
        .is_some_and(|at| at > 0 && !t[..at].contains('/'))
}

fn check_url(key: &str, value: &Node, out: &mut Vec<Diagnostic>) {
    match (pyyaml::kind(value), value.scalar()) {
        (Py::None, _) => {}
        (Py::Str, Some(link)) => {
            if !has_scheme(link) {
                out.push(
                    Diagnostic::error(
                        "invalid-link",
                        value.span,
                        format!("{key} `{link}` is not a url"),
                    )
                    .help("write the full url, e.g. `https://download.mindspore.cn/...`"),
                );
            }
        }
        _ => out.push(wrong_type(key, value, "a link").help(format!("write `{key}: https://...`"))),
    }
}

/// `get_repo_info_from_url`: the repository link's shape the hub reads its uid from.
fn repo_shape_ok(link: &str) -> bool {
    let url = link.trim_matches(['<', '>']).trim_end_matches('/');
    // `.*http[s]?://(.*).com.*` matches exactly once (once per line).
    let matching_lines = url
        .split('\n')
        .filter(|line| {
            ["http://", "https://"].iter().any(|scheme| {
                line.match_indices(scheme).any(|(at, _)| {
                    let rest = &line[at + scheme.len()..];
                    rest.char_indices()
                        .skip(1)
                        .any(|(i, _)| rest[i..].starts_with("com"))
                })
            })
        })
        .count();
    if matching_lines != 1 {
        return false;
    }
    // `http[s]?://(?:[-\w.]|%[\da-fA-F]{2})+` occurs exactly once.
    let mut prefixes = Vec::new();
    let mut from = 0;
    while let Some(at) = url[from..].find("http") {
        let start = from + at;
        let after = &url[start + 4..];
        let after = after.strip_prefix('s').unwrap_or(after);
        if let Some(host) = after.strip_prefix("://") {
            let mut len = 0;
            let bytes = host.as_bytes();
            for (i, c) in host.char_indices() {
                if i < len {
                    continue;
                }
                if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' {
                    len = i + c.len_utf8();
                } else if c == '%'
                    && bytes
                        .get(i + 1..i + 3)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
                {
                    len = i + 3;
                } else {
                    break;
                }
            }
            if len > 0 {
                let end = url.len() - host.len() + len;
                prefixes.push(&url[start..end]);
                from = end;
                continue;
            }
        }
        from = start + 4;
    }
    let [prefix] = prefixes.as_slice() else {
        return false;
    };
    let suffix: String = url.chars().skip(prefix.chars().count()).collect();
    let parts: Vec<&str> = suffix.trim_start_matches('/').splitn(5, '/').collect();
    match parts.len() {
        2 => true,
        4 | 5 => matches!(parts[2], "tree" | "blob"),
        _ => false,
    }
}

/// Splits a `/`-separated value exactly as the checker does and checks each part.
fn check_parts(key: &str, value: &Node, allowed: &[&str], out: &mut Vec<Diagnostic>) {
    let (Py::Str, Some(text)) = (pyyaml::kind(value), value.scalar()) else {
        out.push(wrong_type(key, value, "text").help(format!("write `{key}: {}`", allowed[0])));
        return;
    };
    for part in text.split('/') {
        if !allowed.contains(&part.to_lowercase().as_str()) {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    value.span,
                    format!("{key} `{part}` is not allowed"),
                )
                .help(format!(
                    "use one or more of {}, separated by `/` with no spaces",
                    list(allowed)
                )),
            );
        }
    }
}

fn module_type(set: RuleSet, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, value)) = last(s, "module-type") else {
        return;
    };
    let (Py::Str, Some(text)) = (pyyaml::kind(value), value.scalar()) else {
        out.push(
            wrong_type("module-type", value, "text").help("write `module-type: cv-classification`"),
        );
        return;
    };
    let (category, detail) = text
        .split_once('-')
        .map_or((text, None), |(c, d)| (c, Some(d)));
    if !set.categories().contains(&category.to_lowercase().as_str()) {
        out.push(
            Diagnostic::error(
                "invalid-value",
                value.span,
                format!("module-type `{category}` is not a known category"),
            )
            .help(format!(
                "use one of {}, optionally followed by `-detail`",
                list(set.categories())
            )),
        );
    }
    for part in [Some(category), detail].into_iter().flatten() {
        if part.contains(':') {
            out.push(colon("module-type", value.span));
        }
    }
}

fn colon(key: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "extra-colon",
        span,
        format!("value of `{key}` contains `:`"),
    )
    .help("the MindSpore Hub rejects `:` in values other than links; reword or remove it")
}

fn asset(s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, value)) = last(s, "asset").filter(|(_, v)| !pyyaml::is_falsy(v)) else {
        return;
    };
    let Kind::Seq(items) = &value.kind else {
        out.push(
            wrong_type("asset", value, "a list of entries")
                .help("write `asset:` and one `- file-format: ...` entry per file"),
        );
        return;
    };
    for item in items {
        let Kind::Map(entries) = &item.kind else {
            out.push(
                wrong_type("asset", item, "a list of entries").help(
                    "write each entry as `file-format`, `asset-link` and `asset-sha256` lines",
                ),
            );
            continue;
        };
        let get = |name: &str| entries.iter().rev().find(|(k, _)| k.scalar() == Some(name));
        let mut missing = false;
        for key in ["asset-link", "asset-sha256", "file-format"] {
            if get(key).is_none() {
                missing = true;
                let underscored = key.replace('-', "_");
                let d = Diagnostic::error(
                    "required-key",
                    entries.first().map_or(item.span, |(k, _)| k.span),
                    format!("asset entry is missing `{key}`"),
                );
                out.push(match get(&underscored) {
                    Some((k, _)) => Diagnostic { span: k.span, ..d }
                        .help(format!("rename `{underscored}` to `{key}`")),
                    None => d.help(format!("add `{key}: ...` to this entry")),
                });
            }
        }
        if missing {
            continue;
        }
        if let Some((_, link)) = get("asset-link") {
            check_url("asset-link", link, out);
        }
        if let Some((_, format)) = get("file-format") {
            match (pyyaml::kind(format), format.scalar()) {
                (Py::Str, Some(f)) if FILE_FORMATS.contains(&f.to_lowercase().as_str()) => {}
                (Py::Str, Some(f)) => out.push(
                    Diagnostic::error(
                        "invalid-value",
                        format.span,
                        format!("file-format `{f}` is not allowed"),
                    )
                    .help(format!("use one of {}", list(FILE_FORMATS))),
                ),
                _ => out.push(
                    wrong_type("file-format", format, "text").help("write `file-format: ckpt`"),
                ),
            }
        }
    }
}

/// Any timestamp PyYAML cannot build (`2023-02-30`) makes loading the card fail.
fn bad_timestamps(node: &Node, out: &mut Vec<Diagnostic>) {
    match &node.kind {
        Kind::Scalar { text, .. }
            if pyyaml::may_be_timestamp(text) && pyyaml::kind(node) == Py::BadTimestamp =>
        {
            out.push(
            Diagnostic::error("invalid-value", node.span, format!("`{text}` reads as a date or time that does not exist"))
                .help("the MindSpore checker's yaml reader fails on it; write a real date, or quote the value"),
            );
        }
        Kind::Scalar { .. } => {}
        Kind::Seq(items) => items.iter().for_each(|i| bad_timestamps(i, out)),
        Kind::Map(entries) => entries.iter().for_each(|(k, v)| {
            bad_timestamps(k, out);
            bad_timestamps(v, out);
        }),
    }
}

/// Applies the checker's rules of `set` (one of the two MindSpore sets).
pub(crate) fn apply(set: RuleSet, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    for (_, k, v) in &s.fields.entries {
        bad_timestamps(k, out);
        bad_timestamps(v, out);
    }
    module_type(set, s, out);
    let missing: Vec<&str> = set
        .required()
        .iter()
        .copied()
        .filter(|k| last(s, k).is_none())
        .collect();
    out.extend(super::missing_keys(&missing, schema::opening(s.open_line)));
    for key in ["fine-tunable", "allow-cache-ckpt"] {
        if let Some((_, v)) = last(s, key)
            && pyyaml::kind(v) != Py::Bool
        {
            out.push(
                wrong_type(key, v, "`true` or `false`")
                    .help(format!("write `{key}: true` or `{key}: false`, unquoted")),
            );
        }
    }
    if set == RuleSet::MindsporeR1
        && let Some((_, v)) = last(s, "input-shape")
    {
        let ok = match &v.kind {
            Kind::Seq(items) => items
                .iter()
                .all(|i| matches!(pyyaml::kind(i), Py::Int | Py::Bool | Py::List)),
            _ => false,
        };
        if !ok {
            out.push(
                wrong_type("input-shape", v, "a list of integers")
                    .help("write `input-shape: [1, 3, 224, 224]`"),
            );
        }
    }
    if let Some((_, v)) = last(s, "repo-link") {
        check_url("repo-link", v, out);
        if let (Py::Str, Some(link)) = (pyyaml::kind(v), v.scalar())
            && has_scheme(link)
            && !repo_shape_ok(link)
        {
            out.push(
                Diagnostic::error("invalid-link", v.span, format!("repo-link `{link}` is not a repository link the MindSpore Hub reads"))
                    .help("link a repository on a `.com` host: `https://gitee.com/<group>/<repo>`, optionally `/tree/<branch>/<path>`"),
            );
        }
    }
    if let Some((_, v)) = last(s, "train-dataset").filter(|(_, v)| !pyyaml::is_falsy(v)) {
        match (pyyaml::kind(v), v.scalar()) {
            (Py::Str, Some(ds)) if datasets::is_known(ds) => {}
            (Py::Str, Some(ds)) => out.push(
                Diagnostic::error(
                    "unknown-dataset",
                    v.span,
                    format!("train-dataset `{ds}` is not on the MindSpore Hub dataset list"),
                )
                .help("use a name from valid-datasets.txt, or ask the MindSpore Hub to add it"),
            ),
            _ => out.push(
                wrong_type("train-dataset", v, "text").help("write `train-dataset: imagenet2012`"),
            ),
        }
    }
    if let Some((_, v)) = last(s, "used-for") {
        check_parts("used-for", v, USED_FOR, out);
    }
    if set == RuleSet::MindsporeR1 {
        for key in ["infer-backend", "train-backend"] {
            if let Some((_, v)) = last(s, key) {
                check_parts(key, v, BACKENDS, out);
            }
        }
    }
    asset(s, out);
    if let Some((_, v)) = last(s, "accuracy")
        && !matches!(pyyaml::kind(v), Py::Int | Py::Float | Py::Bool)
    {
        out.push(
            wrong_type("accuracy", v, "a number")
                .help("write it as `accuracy: 0.91`, without a unit"),
        );
    }
    // From the end, so the first time a key is met is its last value, the one PyYAML keeps.
    let mut seen: Vec<&str> = Vec::new();
    for &(key, _, v) in s.fields.entries.iter().rev() {
        if seen.contains(&key) || key == "module-type" || set.colon_exempt().contains(&key) {
            continue;
        }
        seen.push(key);
        if pyyaml::str_has_colon(v) {
            out.push(colon(key, v.span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{has_scheme, repo_shape_ok};

    #[test]
    fn repository_links_as_the_hub_reads_them() {
        for (link, ok) in [
            ("https://gitee.com/mindspore/models", true),
            (
                "<https://gitee.com/mindspore/models/tree/r1.10/research/cv/3dcnn>",
                true,
            ),
            ("https://github.com/a/b/blob/master/c/d/e/f", true),
            ("https://github.com/a/b/", true),
            ("https://github.com/a/b/x/master", false),
            ("https://gitee.com/mindspore", false),
            ("https://gitee.cn/mindspore/models", false),
            ("ftp://github.com/a/b", false),
            ("https://github.com/a/b?u=https://x.com", false),
            ("http://example.org/welcome/x", true),
        ] {
            assert_eq!(repo_shape_ok(link), ok, "{link}");
        }
    }

    #[test]
    fn urls_need_a_scheme() {
        assert!(has_scheme("<https://x>"));
        assert!(has_scheme("c:/x"));
        assert!(!has_scheme(""));
        assert!(!has_scheme("models/x.onnx"));
        assert!(!has_scheme(":x"));
    }
}
