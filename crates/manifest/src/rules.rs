//! The validation rules of each profile, applied to a card's fields and typed values.

use crate::Profile;
use crate::diagnostic::{Diagnostic, Span};
use crate::schema::{self, ASSET_KEYS, Card, Fields};
use crate::yaml::{Kind, Node};
use uid::Uid;

mod checker;
mod pyyaml;
mod strict;

use strict::{check_link, strict};

/// Which set of rules applies to one card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleSet {
    /// The MindSpore checker of the r1.x era, for `publisher/backend/version` trees.
    MindsporeR1,
    /// The current MindSpore checker, for `publisher/version` trees.
    MindsporeCurrent,
    /// mhub's own, stricter rules.
    Mhub,
}

impl RuleSet {
    pub(crate) fn select(profile: Profile, uid: Option<&Uid>) -> RuleSet {
        match profile {
            Profile::Mhub => RuleSet::Mhub,
            Profile::Mindspore if uid.is_some_and(|u| u.backend().is_some()) => {
                RuleSet::MindsporeR1
            }
            Profile::Mindspore => RuleSet::MindsporeCurrent,
        }
    }

    fn required(self) -> &'static [&'static str] {
        const CURRENT: &[&str] = &[
            "backbone-name",
            "module-type",
            "fine-tunable",
            "model-version",
            "author",
            "update-time",
            "repo-link",
            "user-id",
            "used-for",
            "mindspore-version",
            "license",
            "summary",
        ];
        match self {
            RuleSet::MindsporeR1 => &[
                "backbone-name",
                "module-type",
                "fine-tunable",
                "input-shape",
                "model-version",
                "author",
                "update-time",
                "repo-link",
                "user-id",
                "used-for",
                "infer-backend",
                "mindspore-version",
                "license",
                "summary",
            ],
            RuleSet::MindsporeCurrent => CURRENT,
            RuleSet::Mhub => &[
                "model-name",
                "backbone-name",
                "module-type",
                "fine-tunable",
                "model-version",
                "author",
                "update-time",
                "repo-link",
                "user-id",
                "used-for",
                "mindspore-version",
                "license",
                "summary",
                "asset",
            ],
        }
    }

    fn categories(self) -> &'static [&'static str] {
        match self {
            RuleSet::MindsporeR1 => &["audio", "cv", "nlp", "recommend", "other"],
            _ => &[
                "gnn",
                "rl",
                "audio",
                "cv",
                "cvtmodel",
                "nlp",
                "recommend",
                "cross",
                "hpc",
                "mm",
                "other",
            ],
        }
    }

    pub(crate) fn is_mindspore(self) -> bool {
        self != RuleSet::Mhub
    }

    /// Keys the MindSpore checker lets contain `:`.
    fn colon_exempt(self) -> &'static [&'static str] {
        match self {
            RuleSet::MindsporeR1 => &["repo-link", "asset"],
            _ => &["repo-link", "asset", "evaluation"],
        }
    }
}

const USED_FOR: &[&str] = &["inference", "extract-feature", "transfer-learning"];
const FILE_FORMATS: &[&str] = &["air", "ckpt", "onnx", "mindir", "mslite"];
/// mhub also publishes class labels (`labels.txt`, one per line) as an asset.
const MHUB_FILE_FORMATS: &[&str] = &["air", "ckpt", "onnx", "mindir", "mslite", "labels"];
const BACKENDS: &[&str] = &["cpu", "gpu", "ascend"];

/// Task details listed per category in the MindSpore card template.
fn details(category: &str) -> Option<&'static [&'static str]> {
    Some(match category {
        "cv" => &[
            "classification",
            "object_detection",
            "object_tracking",
            "image_generation",
            "image_denoise",
            "super_resolution",
            "image_enhancement",
            "instance_segmentation",
            "semantic_segmentation",
            "panoptic_segmentation",
            "keypoint_detection",
            "face_recognition",
            "ocr",
            "pose_estimation",
            "medical_imaging",
            "anomaly_detection",
            "metric_learning",
            "others",
        ],
        "nlp" => &[
            "representation_learning",
            "machine_translation",
            "question_answering",
            "language_modelling",
            "text_classification",
            "sentiment_analysis",
            "text_augmentation",
            "text_generation",
            "named_entity_recognition",
            "text_summarization",
            "reading_comprehension",
            "relation_extraction",
            "image_captioning",
            "dependency_parsing",
            "dialogue",
            "semantic_textual_similarity",
            "others",
        ],
        "audio" => &[
            "music_generation",
            "generation",
            "classification",
            "environmental_sound_classification",
            "acoustic_scene_classification",
            "sound_event_detection",
            "tagging",
            "super_resolution",
            "speech_analysis",
            "speech_recognition",
            "emotion_recognition",
            "speech_enhancement",
            "speaker_verification",
            "voice_conversion",
            "speech_separation",
            "spoken_language_understanding",
            "keyword_spotting",
            "speaker_recognition",
            "tts",
            "others",
        ],
        "recommend" => &[
            "click_through_rate_prediction",
            "session_based",
            "next_basket",
            "content_understanding",
            "recall",
            "rank",
            "multi_task",
            "match",
            "re_rank",
            "others",
        ],
        "rl" => &[
            "curriculum_learning",
            "self_paced_learning",
            "temporal_difference_update",
            "monte_carlo_update",
            "offline",
            "online",
            "model_free",
            "model_based",
            "others",
        ],
        _ => return None,
    })
}

fn list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything the rules need to know about one card.
pub(crate) struct Subject<'a> {
    pub fields: &'a Fields<'a>,
    pub card: &'a Card,
    pub uid: Option<&'a Uid>,
    pub open_line: usize,
}

/// Applies `set` to the card, appending to `out`.
pub(crate) fn apply(set: RuleSet, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    if set.is_mindspore() {
        checker::apply(set, s, out);
        return;
    }
    required(set, s, out);
    enums(set, s, out);
    assets(s, out);
    strict(s, out);
}

/// The one diagnostic for required keys that are not there, if any are missing.
fn missing_keys(missing: &[&str], span: Span) -> Option<Diagnostic> {
    Some(match missing {
        [] => return None,
        ["asset"] => Diagnostic::error("required-key", span, "missing required key `asset`")
            .help("add an `asset:` list with `file-format`, `asset-link` and `asset-sha256` for each model file"),
        ["license"] => Diagnostic::error("required-key", span, "missing required key `license`")
            .help("add `license: Apache2.0` (the MindSpore Hub accepts Apache 2.0 models only)"),
        [key] => Diagnostic::error("required-key", span, format!("missing required key `{key}`")).help(format!("add `{key}: ...` between the `---` lines")),
        keys => Diagnostic::error("required-key", span, format!("missing {} required keys: {}", keys.len(), list(keys)))
            .help("add them between the `---` lines; see the card template in the README"),
    })
}

/// Required keys, present and with a value; an empty one is reported as empty, not missing.
/// (The MindSpore checker asks only for presence: `checker.rs`.)
fn required(set: RuleSet, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let is_empty =
        |v: &Node| v.is_null() || matches!(&v.kind, Kind::Seq(items) if items.is_empty());
    let missing: Vec<&str> = set
        .required()
        .iter()
        .copied()
        .filter(|key| s.fields.get(key).is_none())
        .collect();
    out.extend(missing_keys(&missing, schema::opening(s.open_line)));
    for key in set.required() {
        if let Some((k, v)) = s.fields.get(key)
            && is_empty(v)
        {
            out.push(
                Diagnostic::error(
                    "empty-value",
                    k.span,
                    format!("required key `{key}` is empty"),
                )
                .help(format!("give `{key}` a value, e.g. `{key}: ...`")),
            );
        }
    }
}

fn value_span(s: &Subject<'_>, key: &str) -> Span {
    s.fields
        .get(key)
        .map_or(schema::opening(s.open_line), |(_, v)| v.span)
}

fn enums(set: RuleSet, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(mt) = &s.card.module_type {
        let span = value_span(s, "module-type");
        if !set.categories().contains(&mt.category.as_str()) {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    span,
                    format!("module-type `{}` is not a known category", mt.category),
                )
                .help(format!(
                    "use one of {}, optionally followed by `-detail`",
                    list(set.categories())
                )),
            );
        }
        // The checker splits module-type at its first `-` and checks only the category,
        // so its "no more than one `-`" rule is never reached: only mhub applies it.
        if let Some(detail) = &mt.detail {
            if detail.contains('-') {
                out.push(
                    Diagnostic::error("module-type-format", span, "module-type has more than one `-`")
                        .help("write `category-detail`, with `_` inside the detail, e.g. `cv-object_detection`"),
                );
            } else if let Some(known) = details(&mt.category)
                && !known.contains(&detail.to_ascii_lowercase().as_str())
            {
                out.push(
                    Diagnostic::warning(
                        "invalid-value",
                        span,
                        format!("`{detail}` is not a task listed for `{}`", mt.category),
                    )
                    .help(format!("the template lists {}", list(known))),
                );
            }
        }
    }
    let checks: [(&str, &[String], &[&str]); 3] = [
        ("used-for", &s.card.used_for, USED_FOR),
        ("train-backend", &s.card.train_backend, BACKENDS),
        ("infer-backend", &s.card.infer_backend, BACKENDS),
    ];
    for (key, values, allowed) in checks {
        for v in values {
            if !allowed.contains(&v.to_ascii_lowercase().as_str()) {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        value_span(s, key),
                        format!("{key} `{v}` is not allowed"),
                    )
                    .help(format!(
                        "use one or more of {}, separated by `/`",
                        list(allowed)
                    )),
                );
            }
        }
    }
}

fn asset_entries<'a>(s: &Subject<'a>) -> Vec<&'a [(Node, Node)]> {
    match s.fields.get("asset").map(|(_, v)| &v.kind) {
        Some(Kind::Seq(items)) => items
            .iter()
            .filter_map(|i| match &i.kind {
                Kind::Map(entries) => Some(entries.as_slice()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn assets(s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, asset_node)) = s.fields.get("asset") else {
        return;
    };
    for (entries, asset) in asset_entries(s).into_iter().zip(&s.card.assets) {
        let get = |name: &str| entries.iter().find(|(k, _)| k.scalar() == Some(name));
        let entry_span = entries.first().map_or(asset_node.span, |(k, _)| k.span);
        for key in ["asset-link", "asset-sha256", "file-format"] {
            if get(key).is_none_or(|(_, v)| v.is_null()) {
                let mut d = Diagnostic::error(
                    "required-key",
                    entry_span,
                    format!("asset entry is missing `{key}`"),
                );
                d = match get(&key.replace('-', "_")) {
                    Some((k, _)) => {
                        d.span = k.span;
                        d.help(format!("rename `{}` to `{key}`", key.replace('-', "_")))
                    }
                    None => d.help(format!("add `{key}: ...` to this entry")),
                };
                out.push(d);
            }
        }
        let formats = MHUB_FILE_FORMATS;
        if let (Some(format), Some((_, v))) = (&asset.file_format, get("file-format"))
            && !formats.contains(&format.as_str())
        {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    v.span,
                    format!("file-format `{format}` is not allowed"),
                )
                .help(format!("use one of {}", list(formats))),
            );
        }
        if let (Some(sha), Some((_, v))) = (&asset.asset_sha256, get("asset-sha256")) {
            let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
            if hex && sha.len() == 8 {
                out.push(
                    Diagnostic::warning("short-sha256", v.span, "asset-sha256 is an 8-digit prefix, not a full sha256")
                        .help("a prefix catches a corrupt download but not a deliberately swapped file; publish all 64 hex digits"),
                );
            } else if !hex || sha.len() != 64 {
                out.push(
                    Diagnostic::error(
                        "sha256-format",
                        v.span,
                        format!(
                            "asset-sha256 must be 64 hex digits, found {} characters",
                            sha.chars().count()
                        ),
                    )
                    .help("compute it with `sha256sum FILE`"),
                );
            }
        }
        if let (Some(link), Some((_, v))) = (&asset.asset_link, get("asset-link")) {
            check_link("asset-link", link, v.span, true, out);
        }
        for (k, _) in entries {
            let key = k.scalar().unwrap_or_default();
            if !ASSET_KEYS.contains(&key) && !key.contains('_') {
                out.push(
                    Diagnostic::warning(
                        "unknown-key",
                        k.span,
                        format!("unknown asset key `{key}`"),
                    )
                    .help(format!("asset entries know {}", list(ASSET_KEYS))),
                );
            }
        }
    }
}
