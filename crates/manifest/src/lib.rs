//! Model cards: reading, validating and indexing the markdown files a hub is made of.
//!
//! A card is markdown with YAML front matter between two lines that are exactly
//! `---`, usually after a `# title`. [`check`] reads a card from a `&str` and
//! returns the [`Card`] it could read plus every [`Diagnostic`] it found, each
//! with a stable rule id, a line and column, a message and a hint. It never
//! fails as a whole and never panics on input.
//!
//! Two profiles decide the rules ([`Profile`]):
//! - `mhub` (default): the current MindSpore rules plus stricter ones: full
//!   sha256 digests, https links, the card's path agreeing with its fields,
//!   unknown keys warned, `labels` accepted as a file format;
//! - `mindspore`: the MindSpore Hub checker's static rules, picking its r1.x rule
//!   set for `publisher/backend/version/` trees and the current one otherwise,
//!   without its crashes and false alarms.
//!
//! [`Index`] is the JSON catalogue of a hub tree that clients and the web app read.
//! [`read_hubconf`] reads a repository's `hubconf.yaml`: its entrypoints, as data.
//!
//! This crate does no I/O: callers read files and pass their text, and tell it
//! where the card sits ([`Options::card_path`]). It compiles to
//! `wasm32-unknown-unknown`. Its schema — the keys, their types and the rule
//! ids — is a user-facing contract.
//!
//! Hostile input is bounded: front matter over 64 KiB, more than 20,000 values
//! or 16 levels of nesting is refused, and YAML anchors, aliases and tags are
//! refused when the parser first meets them, before any value is built.
//!
//! # Example
//!
//! ```
//! use manifest::{check, Options, Profile, Severity};
//!
//! let source = "# Demo\n---\nmodel-name: demo\nmindspore-version: 1.10\nfine-tunable: maybe\n---\n## Usage\n";
//! let report = check(source, &Options { profile: Profile::Mindspore, ..Options::default() });
//! assert_eq!(report.card.mindspore_version.as_deref(), Some("1.10"));
//! let wrong = report.diagnostics.iter().find(|d| d.rule == "wrong-type").unwrap();
//! assert_eq!((wrong.span.line, wrong.span.col), (5, 15));
//! assert_eq!(wrong.severity, Severity::Error);
//! assert!(report.has_errors());
//! assert_eq!(manifest::body(source), "## Usage\n");
//! ```

mod datasets;
mod diagnostic;
mod digest;
mod evaluation;
mod hubconf;
mod index;
mod link;
mod mistune;
mod rules;
mod schema;
mod source;
mod yaml;

pub use diagnostic::{Diagnostic, Severity, Span};
pub use digest::{Expected, Hasher, NotSha256, Sha256, format_size};
pub use hubconf::{Entrypoint, Hubconf, MHUB_VERSION, Tensor, read_hubconf};
pub use index::{BadIndex, INDEX_FORMAT, Index, IndexEntry, SIGNATURE_FILE};
pub use link::{BadLink, Link, is_external_link};
pub use schema::{Asset, Card, ImageSpec, IoSpec, ModuleType};

use std::fmt;
use std::str::FromStr;

/// Which rules a card is held to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// mhub's rules: the current MindSpore rules and stricter ones.
    #[default]
    Mhub,
    /// The MindSpore Hub checker's static rules.
    Mindspore,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Mhub => "mhub",
            Profile::Mindspore => "mindspore",
        })
    }
}

/// An unknown profile name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{0}`, expected `mhub` or `mindspore`")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        match s {
            "mhub" => Ok(Profile::Mhub),
            "mindspore" => Ok(Profile::Mindspore),
            other => Err(UnknownProfile(other.to_owned())),
        }
    }
}

/// What [`check`] needs to know besides the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// The rules to apply.
    pub profile: Profile,
    /// The card's path relative to the hub's `assets/` directory, with `/`
    /// separators (`mindspore/ascend/1.0/alexnet_v1_cifar10.md`), when known.
    /// It gives the card its UID and enables the path rules.
    pub card_path: Option<&'a str>,
    /// For a `_cn.md` card: whether its English sibling (see [`english_sibling`]) exists.
    pub sibling_exists: Option<bool>,
}

/// What [`check`] found: the card as far as it could be read, and every diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The typed card.
    pub card: Card,
    /// The card's UID, when its path was given and is valid.
    pub uid: Option<uid::Uid>,
    /// Diagnostics in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// How many diagnostics have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Every rule id this crate can report, with what it checks.
pub const RULES: &[(&str, &str)] = &[
    (
        "front-matter-missing",
        "the card has front matter between two `---` lines",
    ),
    (
        "front-matter-unclosed",
        "the opening `---` has a closing partner",
    ),
    (
        "front-matter-too-large",
        "front matter is at most 64 KiB and 20,000 values",
    ),
    ("front-matter-empty", "front matter is not empty"),
    (
        "yaml-syntax",
        "front matter is valid yaml holding one document",
    ),
    ("yaml-alias", "no yaml anchors or aliases"),
    ("yaml-tag", "no yaml tags"),
    ("yaml-too-deep", "yaml nesting is at most 16 levels"),
    ("yaml-complex-key", "mapping keys are plain text"),
    (
        "not-a-mapping",
        "front matter is a mapping of keys to values",
    ),
    ("duplicate-key", "no key appears twice"),
    (
        "required-key",
        "the profile's required keys, and each asset's, are present",
    ),
    ("wrong-type", "values have the type of their key"),
    (
        "invalid-value",
        "enumerated values (module-type, used-for, backends, file-format) are allowed ones",
    ),
    (
        "module-type-format",
        "mhub: module-type has at most one `-`",
    ),
    ("empty-value", "mhub: a required key has a value"),
    (
        "evaluation-dash",
        "mhub: `evaluation: -` (not yaml) is flagged; the MindSpore checker reads it as `no`",
    ),
    (
        "unknown-dataset",
        "mindspore: train-dataset is on the MindSpore Hub dataset list",
    ),
    (
        "extra-colon",
        "mindspore: no `:` in values other than links and evaluation",
    ),
    ("heading-colon", "body headings do not end with `:`"),
    ("cn-sibling", "a `_cn.md` card has its English sibling"),
    ("sha256-format", "mhub: asset-sha256 is 64 hex digits"),
    (
        "short-sha256",
        "mhub: an 8-digit asset-sha256 prefix is flagged",
    ),
    (
        "invalid-link",
        "mhub: links are https urls (asset links may be hub-relative paths)",
    ),
    ("insecure-link", "mhub: links do not use plain http"),
    ("invalid-date", "mhub: update-time is a date"),
    (
        "invalid-version",
        "mhub: model-version and mindspore-version are dotted digits",
    ),
    ("unknown-key", "mhub: keys are known, or numeric metrics"),
    ("path-uid", "mhub: the card's path is a valid model UID"),
    (
        "path-backend",
        "mhub: the backend directory is one of infer-backend",
    ),
    (
        "path-version",
        "mhub: the version directory equals mindspore-version",
    ),
    (
        "name-pattern",
        "mhub: the file name is `<model>_v<version>_<dataset>` and agrees with the card",
    ),
];

/// The English sibling of a `_cn.md` card (`x_cn.md` → `x.md`), or `None` for other paths.
pub fn english_sibling(path: &str) -> Option<String> {
    path.strip_suffix("_cn.md")
        .filter(|stem| !stem.is_empty() && !stem.ends_with('/'))
        .map(|stem| format!("{stem}.md"))
}

/// The markdown body of a card: what follows its front matter, or the whole
/// text when it has none.
pub fn body(source: &str) -> &str {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    source::split(source).map_or(source, |split| split.body)
}

/// Reads and validates one card. See the crate documentation.
pub fn check(source: &str, options: &Options<'_>) -> Report {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let source = source::line_breaks(source);
    let source = &*source;
    let mut diagnostics = Vec::new();
    let mut report = Report {
        card: Card::default(),
        uid: None,
        diagnostics: Vec::new(),
    };
    if let Some(path) = options.card_path {
        match uid::Uid::from_card_path(path) {
            Ok(u) => report.uid = Some(u),
            Err(e) if options.profile == Profile::Mhub => diagnostics.push(
                Diagnostic::error(
                    "path-uid",
                    Span::new(1, 1, 1),
                    format!(
                        "card path `{path}` does not give a valid model id: {}",
                        e.kind()
                    ),
                )
                .help("cards live at `assets/<publisher>/[<backend>/]<version>/<name>.md`"),
            ),
            Err(_) => {}
        }
        if english_sibling(path).is_some() {
            // The MindSpore Hub reads the English card in place of a Chinese one,
            // whose keys are Chinese; so only the sibling is checked.
            if options.sibling_exists == Some(false) {
                let sibling = english_sibling(path).unwrap_or_default();
                diagnostics.push(
                    Diagnostic::error("cn-sibling", Span::new(1, 1, 1), format!("Chinese card has no English sibling `{sibling}`"))
                        .help("publish the English card next to it; the hub shows the English one's metadata"),
                );
            }
            report.diagnostics = diagnostics;
            return report;
        }
    }
    let split = match source::split(source) {
        Ok(split) => split,
        Err(e) => {
            let d = match e {
                source::SplitError::Missing => Diagnostic::error(
                    "front-matter-missing",
                    Span::new(1, 1, 1),
                    "card has no front matter",
                )
                .help("put the metadata between two lines that are exactly `---`"),
                source::SplitError::Unclosed(line) => Diagnostic::error(
                    "front-matter-unclosed",
                    Span::new(line, 1, 3),
                    "front matter is not closed",
                )
                .help("end the metadata with a line that is exactly `---`"),
            };
            diagnostics.push(d);
            report.diagnostics = diagnostics;
            return report;
        }
    };
    report.card.title = split.title.clone();
    if split.yaml.len() > source::MAX_FRONT_MATTER {
        diagnostics.push(
            Diagnostic::error(
                "front-matter-too-large",
                Span::new(split.open_line, 1, 3),
                format!(
                    "front matter is {} bytes, over the limit of {}",
                    split.yaml.len(),
                    source::MAX_FRONT_MATTER
                ),
            )
            .help("a card's metadata fits in a few KiB; move long text to the body"),
        );
    } else {
        read_front_matter(&split, options, &mut report, &mut diagnostics);
    }
    let headings: Vec<(usize, String)> = if options.profile == Profile::Mindspore {
        // The checker parses every line outside the front matter, the title's too, with
        // mistune, and rejects only an ASCII `:`.
        let before: String = source
            .split_inclusive('\n')
            .take(split.open_line - 1)
            .collect();
        let mut found = mistune::colon_headings(&before, 1);
        found.extend(mistune::colon_headings(split.body, split.body_line));
        found
    } else {
        source::headings(split.body, split.body_line)
            .into_iter()
            .filter(|(_, text)| text.ends_with(':') || text.ends_with('：'))
            .map(|(line, text)| (line, text.to_owned()))
            .collect()
    };
    for (line, text) in headings {
        let d = Diagnostic::error(
            "heading-colon",
            Span::new(line, 1, text.chars().count() + 3),
            "heading ends with `:`",
        )
        .help("drop the colon; the MindSpore Hub rejects headings that end with one");
        diagnostics.push(if options.profile == Profile::Mindspore {
            d
        } else {
            Diagnostic {
                severity: Severity::Warning,
                ..d
            }
        });
    }
    diagnostics.sort_by_key(|d| d.span);
    report.diagnostics = diagnostics;
    report
}

fn read_front_matter(
    split: &source::Split<'_>,
    options: &Options<'_>,
    report: &mut Report,
    out: &mut Vec<Diagnostic>,
) {
    let set = rules::RuleSet::select(options.profile, report.uid.as_ref());
    let first_line = split.open_line + 1;
    let text = match set {
        rules::RuleSet::MindsporeCurrent => evaluation::checker_rewrite(split.yaml),
        rules::RuleSet::MindsporeR1 => std::borrow::Cow::Borrowed(split.yaml),
        rules::RuleSet::Mhub => evaluation::mhub_rewrite(split.yaml, first_line, out),
    };
    let (root, found) = yaml::read(&text, first_line);
    if set.is_mindspore() {
        // PyYAML keeps a repeated key's last value without a word.
        out.extend(found.into_iter().map(|d| {
            match d.rule {
                "duplicate-key" => Diagnostic {
                    severity: Severity::Warning,
                    ..d
                }
                .help("the MindSpore checker keeps the last value; keep one of them"),
                _ => d,
            }
        }));
    } else {
        out.extend(found);
    }
    let Some(root) = root else {
        if out.is_empty() {
            out.push(
                Diagnostic::error(
                    "front-matter-empty",
                    Span::new(split.open_line, 1, 3),
                    "front matter is empty",
                )
                .help("add the card's metadata as `key: value` lines"),
            );
        }
        return;
    };
    let entries = match &root.kind {
        yaml::Kind::Map(entries) => entries,
        _ if root.is_null() => {
            out.push(
                Diagnostic::error(
                    "front-matter-empty",
                    Span::new(split.open_line, 1, 3),
                    "front matter is empty",
                )
                .help("add the card's metadata as `key: value` lines"),
            );
            return;
        }
        _ => {
            out.push(
                Diagnostic::error(
                    "not-a-mapping",
                    root.span,
                    format!("front matter must be a mapping, found {}", root.describe()),
                )
                .help("write one `key: value` per line"),
            );
            return;
        }
    };
    let fields = schema::Fields::new(entries);
    let booleans = match options.profile {
        Profile::Mhub => schema::Booleans::Strict,
        Profile::Mindspore => schema::Booleans::Yaml11,
    };
    let title = report.card.title.take();
    // The checker judges values by their Python type, in `rules`; what mhub's typed
    // reading says about them is not its verdict.
    let mut typed = Vec::new();
    report.card = schema::extract(
        &fields,
        booleans,
        if set.is_mindspore() { &mut typed } else { out },
    );
    report.card.title = title;
    let subject = rules::Subject {
        fields: &fields,
        card: &report.card,
        uid: report.uid.as_ref(),
        open_line: split.open_line,
    };
    rules::apply(set, &subject, out);
}
