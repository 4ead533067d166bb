//! The mhub extension keys `inputs` and `outputs`: tensor specs and the `image:` preprocessing they carry.

use super::{ImageSpec, IoSpec, integer, number, text, wrong_type};
use crate::diagnostic::Diagnostic;
use crate::yaml::{Kind, Node};

fn numbers(key: &str, node: &Node, out: &mut Vec<Diagnostic>) -> Option<Vec<f64>> {
    let Kind::Seq(items) = &node.kind else {
        out.push(wrong_type(
            key,
            node,
            "a list of numbers such as `[0.485, 0.456, 0.406]`",
        ));
        return None;
    };
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        match number(item) {
            Some(n) => values.push(n),
            None => {
                out.push(wrong_type(key, item, "a number"));
                return None;
            }
        }
    }
    Some(values)
}

fn choice(key: &str, node: &Node, allowed: &[&str], out: &mut Vec<Diagnostic>) -> Option<String> {
    let value = text(key, node, out)?.to_ascii_lowercase();
    if allowed.contains(&value.as_str()) {
        Some(value)
    } else {
        let list: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
        out.push(
            Diagnostic::error(
                "invalid-value",
                node.span,
                format!("{key} `{value}` is not allowed"),
            )
            .help(format!("use one of {}", list.join(", "))),
        );
        None
    }
}

fn image_spec(node: &Node, out: &mut Vec<Diagnostic>) -> Option<ImageSpec> {
    let Kind::Map(entries) = &node.kind else {
        out.push(wrong_type(
            "image",
            node,
            "a mapping of `size`, `channels`, `layout`, `scale`, `mean`, `std`, `fit`, `margin`",
        ));
        return None;
    };
    let mut spec = ImageSpec {
        size: [0, 0],
        channels: "rgb".to_owned(),
        layout: "nchw".to_owned(),
        scale: 1.0 / 255.0,
        mean: Vec::new(),
        std: Vec::new(),
        fit: "stretch".to_owned(),
        margin: None,
    };
    let mut margin_node = None;
    let mut fit_node = node;
    let mut has_size = false;
    for (k, v) in entries {
        let key = k.scalar().unwrap_or_default();
        match key {
            "size" => match numbers(key, v, out).as_deref().inspect(|_| has_size = true) {
                Some([w, h]) if *w >= 1.0 && *h >= 1.0 && *w <= 8192.0 && *h <= 8192.0 => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let size = [*w as u32, *h as u32];
                    spec.size = size;
                }
                Some(_) => out.push(wrong_type(key, v, "`[width, height]`, each from 1 to 8192")),
                None => {}
            },
            "channels" => spec.channels = choice(key, v, &["gray", "rgb", "bgr"], out).unwrap_or(spec.channels),
            "layout" => spec.layout = choice(key, v, &["nchw", "nhwc", "flat"], out).unwrap_or(spec.layout),
            "scale" => match number(v) {
                Some(n) => spec.scale = n,
                None => out.push(wrong_type(key, v, "a number")),
            },
            "mean" => spec.mean = numbers(key, v, out).unwrap_or_default(),
            "std" => spec.std = numbers(key, v, out).unwrap_or_default(),
            "fit" => {
                spec.fit = choice(key, v, &["stretch", "ink"], out).unwrap_or(spec.fit);
                fit_node = v;
            }
            "margin" => match integer(v) {
                Some(n) if (0..=4096).contains(&n) => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let n = n as u32;
                    spec.margin = Some(n);
                    margin_node = Some(v);
                }
                _ => out.push(wrong_type(key, v, "a whole number of pixels from 0 to 4096")),
            },
            other => out.push(Diagnostic::warning("unknown-key", k.span, format!("unknown image key `{other}`")).help("image preprocessing knows `size`, `channels`, `layout`, `scale`, `mean`, `std`, `fit` and `margin`")),
        }
    }
    if !has_size {
        out.push(
            Diagnostic::error(
                "required-key",
                node.span,
                "image preprocessing has no `size`",
            )
            .help("add `size: [width, height]`"),
        );
        return None;
    }
    if spec.size.contains(&0) {
        return None;
    }
    if let Some(node) = margin_node {
        let smallest = spec.size[0].min(spec.size[1]);
        if spec.fit != "ink" {
            out.push(
                Diagnostic::warning(
                    "unknown-key",
                    node.span,
                    "`margin` only applies to `fit: ink`",
                )
                .help("add `fit: ink`, or remove `margin`"),
            );
        } else if spec.margin.is_some_and(|m| 2 * m >= smallest) {
            out.push(Diagnostic::error(
                "invalid-value",
                node.span,
                format!(
                    "a margin of {} pixels leaves nothing of a {smallest}-pixel side",
                    spec.margin.unwrap_or(0)
                ),
            ));
            return None;
        }
    }
    if spec.fit == "ink" && spec.channels != "gray" {
        out.push(
            Diagnostic::error(
                "invalid-value",
                fit_node.span,
                "`fit: ink` makes a one-channel picture of the ink",
            )
            .help("use `channels: gray` with `fit: ink`"),
        );
        return None;
    }
    let channels = if spec.channels == "gray" { 1 } else { 3 };
    for (name, list) in [("mean", &spec.mean), ("std", &spec.std)] {
        if !list.is_empty() && list.len() != channels {
            out.push(Diagnostic::error(
                "wrong-type",
                node.span,
                format!(
                    "`{name}` needs {channels} values for `{}` images, found {}",
                    spec.channels,
                    list.len()
                ),
            ));
            return None;
        }
    }
    if spec.std.contains(&0.0) {
        out.push(Diagnostic::error(
            "invalid-value",
            node.span,
            "`std` must not contain 0",
        ));
        return None;
    }
    Some(spec)
}

pub(super) fn io_specs(key: &str, node: &Node, out: &mut Vec<Diagnostic>) -> Vec<IoSpec> {
    let Kind::Seq(items) = &node.kind else {
        out.push(wrong_type(key, node, "a list of `- name: ...` entries"));
        return Vec::new();
    };
    let mut specs = Vec::new();
    for item in items {
        let Kind::Map(entries) = &item.kind else {
            out.push(wrong_type(key, item, "a list of mappings"));
            continue;
        };
        let mut spec = IoSpec::default();
        for (k, v) in entries {
            let field = k.scalar().unwrap_or_default();
            match field {
                "name" => spec.name = text(field, v, out).unwrap_or_default(),
                "dtype" => {
                    spec.dtype = choice(
                        field,
                        v,
                        &["float32", "float64", "int64", "int32", "uint8", "bool"],
                        out,
                    )
                }
                "shape" => match &v.kind {
                    Kind::Seq(dims) => {
                        for d in dims {
                            match integer(d) {
                                Some(n) if n >= -1 => spec.shape.push(n),
                                _ => out.push(wrong_type(
                                    "shape",
                                    d,
                                    "an integer, or -1 for a dimension decided at run time",
                                )),
                            }
                        }
                    }
                    _ => out.push(wrong_type(field, v, "a list such as `[1, 3, 224, 224]`")),
                },
                "image" if key == "inputs" => spec.image = image_spec(v, out),
                "kind" if key == "outputs" => {
                    spec.kind = choice(field, v, &["classes", "raw"], out)
                }
                other => out.push(
                    Diagnostic::warning(
                        "unknown-key",
                        k.span,
                        format!("unknown {key} key `{other}`"),
                    )
                    .help(if key == "inputs" {
                        "inputs know `name`, `dtype`, `shape` and `image`"
                    } else {
                        "outputs know `name`, `dtype`, `shape` and `kind`"
                    }),
                ),
            }
        }
        if spec.name.is_empty() {
            out.push(
                Diagnostic::error(
                    "required-key",
                    item.span,
                    format!("an entry of `{key}` has no `name`"),
                )
                .help("add `name: ...`, the tensor's name in the model"),
            );
            continue;
        }
        specs.push(spec);
    }
    specs
}
