//! How values are shown: sizes, digests, latencies, top-k classes, commands, marked lines.

use manifest::{Diagnostic, Severity};
use std::collections::BTreeMap;

/// A byte count for people: `19.1 KiB` (one formatter, shared with the cli).
pub use manifest::format_size as bytes;

/// Milliseconds with a precision that suits their size: `0.42 ms`, `12.3 ms`, `1520 ms`.
pub fn millis(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// The median of some measurements; `None` for none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// One ranked class.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The class index.
    pub index: usize,
    /// Its label, or `class N` without labels.
    pub label: String,
    /// Its probability, 0 to 1.
    pub probability: f32,
}

/// The `k` most likely classes of a score vector. Scores that are not already
/// probabilities (negative, or not summing to 1) go through a softmax first.
pub fn top_k(scores: &[f32], labels: &[String], k: usize) -> Vec<Ranked> {
    // Scores that are not finite (NaN, infinities) are left out of the ranking.
    let finite = |s: f32| s.is_finite();
    let sum: f32 = scores.iter().copied().filter(|s| finite(*s)).sum();
    let probabilities = scores
        .iter()
        .all(|s| !finite(*s) || (0.0..=1.0).contains(s))
        && (sum - 1.0).abs() < 1e-3;
    let values: Vec<f32> = if probabilities {
        scores.to_vec()
    } else {
        let max = scores
            .iter()
            .copied()
            .filter(|s| finite(*s))
            .fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = scores
            .iter()
            .map(|s| if finite(*s) { (s - max).exp() } else { 0.0 })
            .collect();
        let total: f32 = exp.iter().sum();
        exp.iter().map(|e| e / total).collect()
    };
    let mut order: Vec<usize> = (0..scores.len()).filter(|i| finite(scores[*i])).collect();
    order.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    order
        .into_iter()
        .take(k)
        .map(|index| Ranked {
            index,
            label: labels
                .get(index)
                .cloned()
                .unwrap_or_else(|| format!("class {index}")),
            probability: values[index],
        })
        .collect()
}

/// The labels of a `labels.txt` asset: one per line, blank lines dropped at the end.
pub fn labels(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim().to_owned()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The `mhub pull` and `mhub run` commands for a model of the hub at `hub_url`.
pub fn commands(hub_url: &str, uid: &str, image_input: bool) -> (String, String) {
    let input = if image_input {
        "picture.png"
    } else {
        "input.npy"
    };
    (
        format!("mhub pull --hub {hub_url} {uid}"),
        format!("mhub run --hub {hub_url} {uid} --input {input}"),
    )
}

/// The worst severity found on each line (1-based) that has a diagnostic.
pub fn marked_lines(diagnostics: &[Diagnostic]) -> BTreeMap<usize, Severity> {
    let mut lines = BTreeMap::new();
    for d in diagnostics {
        let worst = lines.entry(d.span.line).or_insert(d.severity);
        if d.severity == Severity::Error {
            *worst = Severity::Error;
        }
    }
    lines
}

/// The byte offset of `line:col` (both 1-based; the column counts characters) in `text`,
/// for selecting a diagnostic's place in the editor. Out-of-range positions clamp to the end.
pub fn offset(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = text[start..].split('\n').next().unwrap_or("");
    let within: usize = line_text
        .chars()
        .take(col.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    start + within
}

/// The values a tabular input field holds: numbers separated by commas or spaces.
pub fn numbers(text: &str, expected: usize) -> Result<Vec<f32>, String> {
    let values = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<f32>()
                .map_err(|_| format!("`{t}` is not a number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() == expected {
        Ok(values)
    } else {
        Err(format!(
            "the model takes {expected} numbers, {} given",
            values.len()
        ))
    }
}

/// A card's declared input shape with its unknown dimensions (`-1`, `0`) set to 1.
pub fn concrete_shape(shape: &[i64]) -> Vec<usize> {
    shape
        .iter()
        .map(|d| usize::try_from(*d).ok().filter(|d| *d > 0).unwrap_or(1))
        .collect()
}

/// Where a card's `featured-image` is: a picture in its publisher's `static/images/`
/// folder (MindSpore Hub's layout: `assets/<publisher>/static/images/<name>`), or an
/// `http(s)` url; `None` for `no-image` and for anything else.
pub fn featured_image(uid: &str, name: &str) -> Option<String> {
    let name = name.trim();
    if name.starts_with("https://") || name.starts_with("http://") {
        return crate::markdown::is_safe_url(name).then(|| name.to_owned());
    }
    let plain = !name.is_empty()
        && name != "no-image"
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let publisher = uid.split('/').next().filter(|p| !p.is_empty())?;
    plain.then(|| format!("assets/{publisher}/static/images/{name}"))
}
