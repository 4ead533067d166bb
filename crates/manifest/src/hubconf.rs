//! `hubconf.yaml`: a repository's entrypoints, declared as data and never executed.

use crate::diagnostic::{Diagnostic, Span};
use crate::schema;
use crate::yaml::{self, Kind, Node};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The hub format version this crate implements; `requires-mhub` may not ask for more.
pub const MHUB_VERSION: &str = "0.1";

/// A repository's `hubconf.yaml`: the mhub counterpart of torch.hub's `hubconf.py`
/// and MindSpore's `mindspore_hub_conf.py`, as data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Hubconf {
    /// The oldest hub format that can load this repository, e.g. `0.1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_mhub: Option<String>,
    /// The entrypoints, in file order.
    pub entrypoints: Vec<Entrypoint>,
}

/// One named way to load a model from a repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Entrypoint {
    /// The name users pass, e.g. `resnet18`.
    pub name: String,
    /// The help text (torch.hub shows the function's docstring).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// The UID of the card, inside the repository's `assets/` tree, whose asset this loads.
    pub card: String,
    /// Which asset of the card, by `file-format`; the first asset when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The model's inputs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub inputs: Vec<Tensor>,
    /// The model's outputs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub outputs: Vec<Tensor>,
    /// Default arguments, as written.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub defaults: BTreeMap<String, String>,
}

/// A declared input or output tensor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Its name in the model.
    pub name: String,
    /// Element type, e.g. `float32`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtype: Option<String>,
    /// Dimensions; `-1` for a dynamic one.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub shape: Vec<i64>,
}

fn version_parts(v: &str) -> Option<Vec<u64>> {
    v.split('.').map(|p| p.parse().ok()).collect()
}

fn scalar<'a>(node: &'a Node, what: &str, out: &mut Vec<Diagnostic>) -> Option<&'a str> {
    match node.scalar() {
        Some(t) if !node.is_null() => Some(t.trim()),
        _ => {
            out.push(Diagnostic::error(
                "wrong-type",
                node.span,
                format!("`{what}` must be text, found {}", node.describe()),
            ));
            None
        }
    }
}

fn tensors(node: &Node, what: &str, out: &mut Vec<Diagnostic>) -> Vec<Tensor> {
    let Kind::Seq(items) = &node.kind else {
        out.push(Diagnostic::error(
            "wrong-type",
            node.span,
            format!(
                "`{what}` must be a list of `- name: ...` entries, found {}",
                node.describe()
            ),
        ));
        return Vec::new();
    };
    let mut list = Vec::new();
    for item in items {
        let Kind::Map(entries) = &item.kind else {
            out.push(Diagnostic::error(
                "wrong-type",
                item.span,
                format!(
                    "each of `{what}` must be a mapping, found {}",
                    item.describe()
                ),
            ));
            continue;
        };
        let mut tensor = Tensor::default();
        for (k, v) in entries {
            match k.scalar().unwrap_or_default() {
                "name" => tensor.name = scalar(v, "name", out).unwrap_or_default().to_owned(),
                "dtype" => tensor.dtype = scalar(v, "dtype", out).map(str::to_owned),
                "shape" => match &v.kind {
                    Kind::Seq(dims) => {
                        for d in dims {
                            match d
                                .scalar()
                                .filter(|_| d.is_plain())
                                .and_then(|t| t.parse::<i64>().ok())
                            {
                                Some(n) => tensor.shape.push(n),
                                None => out.push(Diagnostic::error(
                                    "wrong-type",
                                    d.span,
                                    format!(
                                        "a dimension must be an integer, found {}",
                                        d.describe()
                                    ),
                                )),
                            }
                        }
                    }
                    _ => out.push(Diagnostic::error(
                        "wrong-type",
                        v.span,
                        format!(
                            "`shape` must be a list such as `[1, 3, 224, 224]`, found {}",
                            v.describe()
                        ),
                    )),
                },
                other => out.push(
                    Diagnostic::warning(
                        "unknown-key",
                        k.span,
                        format!("unknown tensor key `{other}`"),
                    )
                    .help("tensors know `name`, `dtype` and `shape`"),
                ),
            }
        }
        if tensor.name.is_empty() {
            out.push(Diagnostic::error(
                "required-key",
                item.span,
                format!("an entry of `{what}` has no `name`"),
            ));
        }
        list.push(tensor);
    }
    list
}

fn entrypoint(node: &Node, out: &mut Vec<Diagnostic>) -> Option<Entrypoint> {
    let Kind::Map(entries) = &node.kind else {
        out.push(Diagnostic::error(
            "wrong-type",
            node.span,
            format!("an entrypoint must be a mapping, found {}", node.describe()),
        ));
        return None;
    };
    let mut e = Entrypoint::default();
    let mut card_span = node.span;
    for (k, v) in entries {
        match k.scalar().unwrap_or_default() {
            "name" => e.name = scalar(v, "name", out).unwrap_or_default().to_owned(),
            "doc" => e.doc = scalar(v, "doc", out).map(str::to_owned),
            "card" => {
                card_span = v.span;
                e.card = scalar(v, "card", out).unwrap_or_default().to_owned();
            }
            "asset" => e.asset = scalar(v, "asset", out).map(str::to_ascii_lowercase),
            "inputs" => e.inputs = tensors(v, "inputs", out),
            "outputs" => e.outputs = tensors(v, "outputs", out),
            "defaults" => match &v.kind {
                Kind::Map(pairs) => {
                    for (dk, dv) in pairs {
                        if let (Some(name), Some(value)) = (dk.scalar(), scalar(dv, "defaults", out)) {
                            e.defaults.insert(name.to_owned(), value.to_owned());
                        }
                    }
                }
                _ => out.push(Diagnostic::error("wrong-type", v.span, format!("`defaults` must be a mapping, found {}", v.describe()))),
            },
            other => out.push(
                Diagnostic::warning("unknown-key", k.span, format!("unknown entrypoint key `{other}`"))
                    .help("entrypoints know `name`, `doc`, `card`, `asset`, `inputs`, `outputs` and `defaults`"),
            ),
        }
    }
    if e.name.is_empty() {
        out.push(
            Diagnostic::error("required-key", node.span, "entrypoint has no `name`")
                .help("add `name: ...`, the name users pass to load it"),
        );
        return None;
    }
    if e.card.is_empty() {
        out.push(
            Diagnostic::error(
                "required-key",
                node.span,
                format!("entrypoint `{}` has no `card`", e.name),
            )
            .help("add `card: <uid>`, a card of this repository's `assets/` tree"),
        );
        return None;
    }
    if let Err(err) = uid::Uid::parse(&e.card) {
        out.push(
            Diagnostic::error(
                "invalid-value",
                card_span,
                format!("`card` is not a model id: {}", err.kind()),
            )
            .help("write the UID of a card in `assets/`, e.g. `me/cpu/1.0/digits_v1_digits`"),
        );
        return None;
    }
    Some(e)
}

/// Reads a `hubconf.yaml`, returning what it could read and every diagnostic.
pub fn read_hubconf(source: &str) -> (Hubconf, Vec<Diagnostic>) {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let source = crate::source::line_breaks(source);
    let source = &*source;
    let mut out = Vec::new();
    let mut conf = Hubconf::default();
    if source.len() > crate::source::MAX_FRONT_MATTER {
        out.push(Diagnostic::error(
            "front-matter-too-large",
            Span::new(1, 1, 1),
            "hubconf.yaml is larger than 64 KiB",
        ));
        return (conf, out);
    }
    let (root, found) = yaml::read(source, 1);
    out.extend(found);
    let Some(root) = root else {
        if out.is_empty() {
            out.push(
                Diagnostic::error(
                    "front-matter-empty",
                    Span::new(1, 1, 1),
                    "hubconf.yaml is empty",
                )
                .help("declare `entrypoints:`"),
            );
        }
        return (conf, out);
    };
    let Kind::Map(entries) = &root.kind else {
        out.push(Diagnostic::error(
            "not-a-mapping",
            root.span,
            format!("hubconf.yaml must be a mapping, found {}", root.describe()),
        ));
        return (conf, out);
    };
    let fields = schema::Fields::new(entries);
    if let Some((_, v)) = fields.get("requires-mhub")
        && let Some(req) = scalar(v, "requires-mhub", &mut out)
    {
        match (version_parts(req), version_parts(MHUB_VERSION)) {
            (Some(want), Some(have)) if want > have => out.push(
                Diagnostic::error(
                    "unsupported-version",
                    v.span,
                    format!(
                        "this repository needs mhub format {req}, this mhub reads {MHUB_VERSION}"
                    ),
                )
                .help("update mhub"),
            ),
            (Some(_), _) => conf.requires_mhub = Some(req.to_owned()),
            (None, _) => out.push(Diagnostic::error(
                "invalid-version",
                v.span,
                format!("`requires-mhub` `{req}` is not a version"),
            )),
        }
    }
    match fields.get("entrypoints") {
        Some((
            _,
            Node {
                kind: Kind::Seq(items),
                ..
            },
        )) => {
            for item in items {
                if let Some(e) = entrypoint(item, &mut out) {
                    if conf.entrypoints.iter().any(|other| other.name == e.name) {
                        out.push(Diagnostic::error(
                            "duplicate-entrypoint",
                            item.span,
                            format!("entrypoint `{}` is declared twice", e.name),
                        ));
                    } else {
                        conf.entrypoints.push(e);
                    }
                }
            }
        }
        Some((_, v)) => out.push(Diagnostic::error(
            "wrong-type",
            v.span,
            format!("`entrypoints` must be a list, found {}", v.describe()),
        )),
        None => out.push(
            Diagnostic::error(
                "required-key",
                Span::new(1, 1, 1),
                "missing required key `entrypoints`",
            )
            .help("list the entrypoints as `- name: ...` entries"),
        ),
    }
    for &(key, k, _) in &fields.entries {
        if key != "entrypoints" && key != "requires-mhub" {
            out.push(
                Diagnostic::warning("unknown-key", k.span, format!("unknown key `{key}`"))
                    .help("hubconf.yaml knows `requires-mhub` and `entrypoints`"),
            );
        }
    }
    out.sort_by_key(|d| d.span);
    (conf, out)
}
