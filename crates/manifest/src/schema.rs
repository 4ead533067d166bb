//! The typed card: every field the MindSpore Hub uses, read from the YAML tree.

use crate::diagnostic::{Diagnostic, Span};
use crate::digest::{Expected, Sha256};
use crate::link::{BadLink, Link};
use crate::yaml::{Kind, Node};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod io;

use io::io_specs;

/// A model card's metadata, as far as it could be read.
///
/// Every field is optional here; which ones a card must have is decided by the
/// validation profile. Versions and dates are kept as written (`1.10` stays
/// `1.10`, `2023-2-17` stays as is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Card {
    /// The first `# ` heading before the front matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `model-name`, e.g. `resnet50`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// `backbone-name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backbone_name: Option<String>,
    /// `module-type`, the task: a category and an optional detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_type: Option<ModuleType>,
    /// `fine-tunable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fine_tunable: Option<bool>,
    /// `input-shape`, one shape per input (`[224, 224, 3]` is one input).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub input_shape: Vec<Vec<i64>>,
    /// `model-version`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// `train-dataset`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_dataset: Option<String>,
    /// `accuracy`, a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// `evaluation`, free text such as `top1acc78.69 | top5acc94.3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<String>,
    /// Other numeric keys, taken as metrics (e.g. `mAP: 0.241`), as written.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub metrics: BTreeMap<String, String>,
    /// `author`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// `update-time`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    /// `repo-link`, without the `<...>` that MindSpore cards put around links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo_link: Option<String>,
    /// `user-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `used-for`, split at `/`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub used_for: Vec<String>,
    /// `train-backend`, split at `/`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub train_backend: Vec<String>,
    /// `infer-backend`, split at `/`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub infer_backend: Vec<String>,
    /// `mindspore-version`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mindspore_version: Option<String>,
    /// `allow-cache-ckpt`: whether a hub may mirror the assets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_cache_ckpt: Option<bool>,
    /// `featured-image`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured_image: Option<String>,
    /// `license`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// `summary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `asset`, the model files.
    #[serde(rename = "asset", skip_serializing_if = "Vec::is_empty", default)]
    pub assets: Vec<Asset>,
    /// `inputs`, an mhub extension: what the model takes, and how to make it from an image.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub inputs: Vec<IoSpec>,
    /// `outputs`, an mhub extension: what the model returns, and how to read it.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub outputs: Vec<IoSpec>,
}

/// One declared input or output tensor of a card (`inputs:` / `outputs:`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IoSpec {
    /// The tensor's name in the model.
    pub name: String,
    /// Element type, e.g. `float32`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    /// Dimensions, `-1` for one decided at run time.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub shape: Vec<i64>,
    /// How to turn an image file into this input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSpec>,
    /// For outputs: `classes` (scores in the order of the `labels` asset) or `raw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Image preprocessing for an input: resize, channels, layout, scale, mean and std.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// Width and height to resize to.
    pub size: [u32; 2],
    /// `gray`, `rgb` or `bgr`.
    pub channels: String,
    /// `nchw`, `nhwc` or `flat` (one row of pixels, channels last).
    pub layout: String,
    /// Factor applied to 0..255 pixel values first.
    pub scale: f64,
    /// Subtracted per channel after scaling.
    pub mean: Vec<f64>,
    /// Divided per channel last.
    pub std: Vec<f64>,
    /// How the picture fills `size`: `stretch` (resized as it is, the default) or `ink`
    /// (cropped to its ink, padded to a square, resized into `size` less `margin` on each
    /// side and centred by mass, as MNIST was prepared: for sketches and typed text).
    #[serde(default = "stretch", skip_serializing_if = "is_stretch")]
    pub fit: String,
    /// With `fit: ink`, the blank border kept on each side, in target pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<u32>,
}

fn stretch() -> String {
    "stretch".to_owned()
}

fn is_stretch(fit: &str) -> bool {
    fit == "stretch"
}

/// `module-type`: `cv`, or `cv-classification` with a detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleType {
    /// The part before the first `-`, lowercased, e.g. `cv`.
    pub category: String,
    /// The part after the first `-`, e.g. `classification`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One entry of a card's `asset` list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Asset {
    /// `file-format`, lowercased, e.g. `ckpt` or `onnx`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_format: Option<String>,
    /// `asset-link`: an https URL or a path relative to the hub root, without `<...>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_link: Option<String>,
    /// `asset-sha256`, lowercased: 64 hex digits, or an 8-digit prefix on old cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_sha256: Option<String>,
    /// `asset-size` in bytes, an mhub extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_size: Option<u64>,
    /// Where the hub keeps its own verified copy (`mirror/sha256/<hex>`, relative to the
    /// hub root). Only the index sets it, for assets `mhub mirror` stored; a card never does.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mirror: Option<String>,
}

impl Asset {
    /// What `asset-sha256` promises, read once; `None` when it is missing or not hex.
    pub fn expected(&self) -> Option<Expected> {
        self.asset_sha256.as_deref().and_then(Expected::parse)
    }

    /// The full sha256 `asset-sha256` declares, if it declares all 64 digits.
    pub fn sha256(&self) -> Option<Sha256> {
        self.asset_sha256.as_deref().and_then(Sha256::parse)
    }

    /// `asset-link`, read by the one link rule ([`Link::parse`]).
    pub fn link(&self) -> Option<Result<Link<'_>, BadLink>> {
        self.asset_link.as_deref().map(Link::parse)
    }
}

/// The top-level keys this crate knows, in the order of the MindSpore template.
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "model-name",
    "backbone-name",
    "module-type",
    "fine-tunable",
    "input-shape",
    "model-version",
    "train-dataset",
    "accuracy",
    "evaluation",
    "author",
    "update-time",
    "repo-link",
    "user-id",
    "used-for",
    "train-backend",
    "infer-backend",
    "mindspore-version",
    "mindspore-lite",
    "allow-cache-ckpt",
    "featured-image",
    "license",
    "summary",
    "asset",
    "inputs",
    "outputs",
];

/// The keys of one `asset` entry.
pub(crate) const ASSET_KEYS: &[&str] = &["file-format", "asset-link", "asset-sha256", "asset-size"];

/// The front matter's top-level entries, looked up by key.
pub(crate) struct Fields<'a> {
    pub entries: Vec<(&'a str, &'a Node, &'a Node)>,
}

impl<'a> Fields<'a> {
    pub fn new(entries: &'a [(Node, Node)]) -> Fields<'a> {
        let entries = entries
            .iter()
            .map(|(k, v)| (k.scalar().unwrap_or_default(), k, v))
            .collect();
        Fields { entries }
    }

    /// The key node and value node of `name`.
    pub fn get(&self, name: &str) -> Option<(&'a Node, &'a Node)> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == name)
            .map(|(_, k, v)| (*k, *v))
    }
}

/// How YAML 1.1 words for booleans (`yes`, `on`) are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Booleans {
    /// Only `true` and `false`, in any case.
    Strict,
    /// Also `yes`/`no`/`on`/`off`, as PyYAML (and so the MindSpore checker) reads them.
    Yaml11,
}

/// Removes the `<...>` that MindSpore cards wrap links in.
pub(crate) fn unwrap_link(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(t)
        .trim()
}

/// `key`'s value is not of the `expected` type.
pub(crate) fn wrong_type(key: &str, node: &Node, expected: &str) -> Diagnostic {
    Diagnostic::error(
        "wrong-type",
        node.span,
        format!("`{key}` must be {expected}, found {}", node.describe()),
    )
}

fn text(key: &str, node: &Node, out: &mut Vec<Diagnostic>) -> Option<String> {
    if node.is_null() {
        return None;
    }
    match node.scalar() {
        Some(t) => Some(t.trim().to_owned()),
        None => {
            out.push(
                wrong_type(key, node, "text").help(format!("write `{key}: value` on one line")),
            );
            None
        }
    }
}

fn boolean(key: &str, node: &Node, booleans: Booleans, out: &mut Vec<Diagnostic>) -> Option<bool> {
    let value = match node.scalar().filter(|_| node.is_plain()) {
        Some(t) => match t.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            "yes" | "on" | "y" if booleans == Booleans::Yaml11 => Some(true),
            "no" | "off" | "n" if booleans == Booleans::Yaml11 => Some(false),
            _ => None,
        },
        None => None,
    };
    if value.is_none() {
        out.push(
            wrong_type(key, node, "`true` or `false`")
                .help(format!("write `{key}: true` or `{key}: false`, unquoted")),
        );
    }
    value
}

/// Parses a plain scalar as a YAML number.
pub(crate) fn number(node: &Node) -> Option<f64> {
    let t = node.scalar().filter(|_| node.is_plain())?;
    let looks_numeric = t
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE_".contains(&b))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    t.replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

fn integer(node: &Node) -> Option<i64> {
    node.scalar()
        .filter(|_| node.is_plain())
        .and_then(|t| t.parse::<i64>().ok())
}

fn shape(node: &Node, out: &mut Vec<Diagnostic>) -> Vec<Vec<i64>> {
    let bad = |n: &Node| {
        wrong_type(
            "input-shape",
            n,
            "a list of integers such as `[224, 224, 3]`",
        )
    };
    let Kind::Seq(items) = &node.kind else {
        out.push(bad(node));
        return Vec::new();
    };
    let dims = |items: &[Node], out: &mut Vec<Diagnostic>| -> Option<Vec<i64>> {
        let mut dims = Vec::with_capacity(items.len());
        for item in items {
            match integer(item) {
                Some(d) => dims.push(d),
                None => {
                    out.push(bad(item));
                    return None;
                }
            }
        }
        Some(dims)
    };
    if items.iter().all(|i| matches!(i.kind, Kind::Seq(_))) && !items.is_empty() {
        items
            .iter()
            .filter_map(|i| match &i.kind {
                Kind::Seq(inner) => dims(inner, out),
                _ => None,
            })
            .collect()
    } else {
        dims(items, out).map(|d| vec![d]).unwrap_or_default()
    }
}

fn split_list(text: Option<String>) -> Vec<String> {
    text.map(|t| {
        t.split('/')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn assets(node: &Node, out: &mut Vec<Diagnostic>) -> Vec<Asset> {
    if node.is_null() {
        return Vec::new();
    }
    let Kind::Seq(items) = &node.kind else {
        out.push(wrong_type(
            "asset",
            node,
            "a list of `- file-format: ...` entries",
        ));
        return Vec::new();
    };
    let mut list = Vec::with_capacity(items.len());
    for item in items {
        let Kind::Map(entries) = &item.kind else {
            out.push(
                wrong_type("asset", item, "a list of mappings")
                    .help("each entry needs `file-format`, `asset-link` and `asset-sha256`"),
            );
            continue;
        };
        let mut asset = Asset::default();
        for (k, v) in entries {
            let key = k.scalar().unwrap_or_default();
            match key {
                "file-format" => {
                    asset.file_format = text(key, v, out).map(|t| t.to_ascii_lowercase())
                }
                "asset-link" => {
                    asset.asset_link = text(key, v, out).map(|t| unwrap_link(&t).to_owned())
                }
                "asset-sha256" => {
                    asset.asset_sha256 = text(key, v, out).map(|t| t.to_ascii_lowercase())
                }
                "asset-size" => match integer(v).and_then(|n| u64::try_from(n).ok()) {
                    Some(n) => asset.asset_size = Some(n),
                    None => out.push(wrong_type(key, v, "a size in bytes")),
                },
                _ => {}
            }
        }
        list.push(asset);
    }
    list
}

/// Reads the typed card from the front matter's entries, reporting values of the wrong type.
pub(crate) fn extract(fields: &Fields<'_>, booleans: Booleans, out: &mut Vec<Diagnostic>) -> Card {
    let mut card = Card::default();
    for &(key, _, value) in &fields.entries {
        match key {
            "model-name" => card.model_name = text(key, value, out),
            "backbone-name" => card.backbone_name = text(key, value, out),
            "module-type" => {
                card.module_type = text(key, value, out).map(|t| {
                    let (category, detail) = match t.split_once('-') {
                        Some((c, d)) => (c, Some(d.to_owned())),
                        None => (t.as_str(), None),
                    };
                    ModuleType {
                        category: category.to_ascii_lowercase(),
                        detail,
                    }
                })
            }
            "fine-tunable" => card.fine_tunable = boolean(key, value, booleans, out),
            "input-shape" => card.input_shape = shape(value, out),
            "model-version" => card.model_version = text(key, value, out),
            "train-dataset" => card.train_dataset = text(key, value, out),
            "accuracy" if !value.is_null() => match number(value) {
                Some(n) => card.accuracy = Some(n),
                None => out.push(
                    wrong_type(key, value, "a number")
                        .help("write it as `accuracy: 0.91`, without a unit"),
                ),
            },
            "evaluation" => card.evaluation = text(key, value, out),
            "author" => card.author = text(key, value, out),
            "update-time" => card.update_time = text(key, value, out),
            "repo-link" => {
                card.repo_link = text(key, value, out).map(|t| unwrap_link(&t).to_owned())
            }
            "user-id" => card.user_id = text(key, value, out),
            "used-for" => card.used_for = split_list(text(key, value, out)),
            "train-backend" => card.train_backend = split_list(text(key, value, out)),
            "infer-backend" => card.infer_backend = split_list(text(key, value, out)),
            "mindspore-version" => card.mindspore_version = text(key, value, out),
            "allow-cache-ckpt" => card.allow_cache_ckpt = boolean(key, value, booleans, out),
            "mindspore-lite" => {
                boolean(key, value, booleans, out);
            }
            "featured-image" => card.featured_image = text(key, value, out),
            "license" => card.license = text(key, value, out),
            "summary" => card.summary = text(key, value, out),
            "asset" => card.assets = assets(value, out),
            "inputs" => card.inputs = io_specs(key, value, out),
            "outputs" => card.outputs = io_specs(key, value, out),
            _ => {
                if number(value).is_some() {
                    card.metrics.insert(
                        key.to_owned(),
                        value.scalar().unwrap_or_default().to_owned(),
                    );
                }
            }
        }
    }
    card
}

/// The span of the whole front matter opening line, for problems about missing things.
pub(crate) fn opening(line: usize) -> Span {
    Span::new(line, 1, 3)
}
