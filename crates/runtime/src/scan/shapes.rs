//! What the graph's constants imply: every way a constant can be written, folded through shape arithmetic, against the element limit.

use super::{Limits, TensorInfo, Value, check_tensor, fields, float, refuse, tensor, varint};
use crate::error::Error;
use std::collections::HashMap;

/// Ops whose output size comes from a constant input (or attribute).
const SHAPE_OPS: &[&str] = &[
    "ConstantOfShape",
    "Expand",
    "Tile",
    "Range",
    "Reshape",
    "Resize",
    "Upsample",
    "Pad",
];

/// Ops that keep their first input's values, so a constant passes through them.
const PASS_THROUGH: &[&str] = &["Identity", "Cast", "Unsqueeze", "Squeeze", "Flatten", "Abs"];

/// The walk's state: node count, known constant values by name, shapes of named tensors,
/// and the nodes to check once every constant is known.
#[derive(Default)]
pub(super) struct Scan {
    nodes: usize,
    constants: HashMap<String, Vec<f64>>,
    shapes: HashMap<String, Vec<f64>>,
}

/// One attribute of a node, read whatever the order of its fields.
#[derive(Default)]
struct Attribute {
    name: String,
    int: Option<f64>,
    float: Option<f64>,
    ints: Vec<f64>,
    floats: Vec<f64>,
    tensor: Option<TensorInfo>,
}

/// One node, read whatever the order of its fields.
#[derive(Default)]
struct Node {
    op: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
    attributes: Vec<Attribute>,
}

impl Node {
    fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

#[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
fn int_value(v: u64) -> f64 {
    v as i64 as f64
}

impl Scan {
    /// Walks a graph (and its subgraphs), checking every tensor and every shape its
    /// constants imply.
    pub(super) fn graph(
        &mut self,
        bytes: &[u8],
        limits: &Limits,
        depth: usize,
    ) -> Result<(), Error> {
        if depth > 16 {
            return Err(refuse("subgraphs are nested more than 16 deep"));
        }
        // Initializers and inputs first: ONNX does not order a graph's fields.
        for field in fields(bytes) {
            match field? {
                (5, Value::Bytes(initializer)) => {
                    let t = tensor(initializer)?;
                    check_tensor(&t, limits)?;
                    #[allow(clippy::cast_precision_loss)]
                    self.shapes
                        .insert(t.name.clone(), t.dims.iter().map(|d| *d as f64).collect());
                    self.constants.insert(t.name.clone(), t.values);
                }
                (11, Value::Bytes(input)) => self.input_shape(input)?,
                (15, Value::Bytes(_)) => {
                    return Err(refuse("sparse initializers are not supported"));
                }
                _ => {}
            }
        }
        for field in fields(bytes) {
            if let (1, Value::Bytes(node)) = field? {
                self.nodes += 1;
                if self.nodes > limits.max_nodes {
                    return Err(refuse(format!(
                        "the model has more than {} nodes",
                        limits.max_nodes
                    )));
                }
                let node = self.node(node, limits, depth)?;
                self.fold(&node);
                if SHAPE_OPS.contains(&node.op.as_str()) {
                    self.check(&node, limits)?;
                }
            }
        }
        Ok(())
    }

    /// Records a graph input's shape when every dimension is a number.
    fn input_shape(&mut self, info: &[u8]) -> Result<(), Error> {
        let mut name = String::new();
        let mut dims = Some(Vec::new());
        for f in fields(info) {
            match f? {
                (1, Value::Bytes(b)) => name = String::from_utf8_lossy(b).into_owned(),
                (2, Value::Bytes(ty)) => {
                    for t in fields(ty) {
                        let (1, Value::Bytes(tensor_type)) = t? else {
                            continue;
                        };
                        for tt in fields(tensor_type) {
                            let (2, Value::Bytes(shape)) = tt? else {
                                continue;
                            };
                            for d in fields(shape) {
                                let (1, Value::Bytes(dim)) = d? else { continue };
                                let mut value = None;
                                for v in fields(dim) {
                                    if let (1, Value::Varint(n)) = v? {
                                        value = Some(int_value(n));
                                    }
                                }
                                match (value, dims.as_mut()) {
                                    (Some(v), Some(dims)) => dims.push(v),
                                    _ => dims = None,
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(dims) = dims {
            self.shapes.insert(name, dims);
        }
        Ok(())
    }

    /// Reads a node: every field, in any order, then its attributes' tensors and subgraphs.
    fn node(&mut self, bytes: &[u8], limits: &Limits, depth: usize) -> Result<Node, Error> {
        let mut node = Node::default();
        let mut subgraphs = Vec::new();
        for f in fields(bytes) {
            match f? {
                (1, Value::Bytes(b)) => node.inputs.push(String::from_utf8_lossy(b).into_owned()),
                (2, Value::Bytes(b)) => node.outputs.push(String::from_utf8_lossy(b).into_owned()),
                (4, Value::Bytes(b)) => node.op = String::from_utf8_lossy(b).into_owned(),
                (5, Value::Bytes(a)) => node.attributes.push(attribute(a, limits, &mut subgraphs)?),
                _ => {}
            }
        }
        for g in subgraphs {
            self.graph(g, limits, depth + 1)?;
        }
        Ok(node)
    }

    fn values(&self, name: Option<&String>) -> Option<&Vec<f64>> {
        name.and_then(|n| self.constants.get(n))
    }

    /// Learns the values a node makes from constants: `Constant` in each of its forms, and
    /// the shape arithmetic (`Shape`, `Gather`, `Concat`, `Unsqueeze`, `Mul`, …) that
    /// models use to compute a shape from constants.
    fn fold(&mut self, node: &Node) {
        let Some(out) = node.outputs.first().cloned() else {
            return;
        };
        let input = |i: usize| self.values(node.inputs.get(i)).cloned();
        let made = match node.op.as_str() {
            "Constant" => node.attributes.iter().find_map(|a| match a.name.as_str() {
                "value" => a.tensor.as_ref().map(|t| t.values.clone()),
                "value_int" => a.int.map(|v| vec![v]),
                "value_float" => a.float.map(|v| vec![v]),
                "value_ints" => Some(a.ints.clone()),
                "value_floats" => Some(a.floats.clone()),
                _ => None,
            }),
            "Shape" => node
                .inputs
                .first()
                .and_then(|n| self.shapes.get(n))
                .cloned(),
            op if PASS_THROUGH.contains(&op) => input(0),
            "Concat" => node
                .inputs
                .iter()
                .map(|n| self.constants.get(n).cloned())
                .collect::<Option<Vec<_>>>()
                .map(|parts| parts.concat()),
            "Gather" => match (input(0), input(1)) {
                (Some(data), Some(indices)) => indices
                    .iter()
                    .map(|i| {
                        #[allow(clippy::cast_possible_truncation)]
                        let i = *i as i64;
                        let len = i64::try_from(data.len()).ok()?;
                        let at = if i < 0 { i + len } else { i };
                        data.get(usize::try_from(at).ok()?).copied()
                    })
                    .collect(),
                _ => None,
            },
            "Mul" | "Add" | "Sub" | "Div" | "Max" => match (input(0), input(1)) {
                (Some(a), Some(b)) => elementwise(&node.op, &a, &b),
                _ => None,
            },
            _ => None,
        };
        if let Some(values) = made {
            self.constants.insert(out, values);
        }
    }

    /// Refuses a node whose constant inputs would make more than the limit allows.
    fn check(&self, node: &Node, limits: &Limits) -> Result<(), Error> {
        let op = node.op.as_str();
        let max = limits.max_elements;
        #[allow(clippy::cast_precision_loss)]
        // NaN is over too: a size that is not a number is no size.
        let over = |n: f64| {
            n.partial_cmp(&(max as f64)) != Some(std::cmp::Ordering::Less) && n != max as f64
        };
        let too_big = |what: String| {
            refuse(format!(
                "`{op}` would make {what}, over the limit of {max} elements"
            ))
        };
        // Sizes multiply; `-1` and `0` in a shape mean "copy" or "infer" and count as 1.
        let product = |values: &[f64]| values.iter().fold(1.0f64, |acc, v| acc * v.abs().max(1.0));
        let at = |i: usize| self.values(node.inputs.get(i));
        match op {
            "ConstantOfShape" | "Expand" | "Reshape" => {
                let shape = if op == "ConstantOfShape" {
                    at(0)
                } else {
                    at(1)
                };
                if let Some(shape) = shape
                    && over(product(shape))
                {
                    let n = product(shape);
                    return Err(too_big(if n.is_finite() && n < 1e30 {
                        format!("{n:.0} elements")
                    } else {
                        "an overflowing tensor".to_owned()
                    }));
                }
            }
            "Tile" => {
                if let Some(repeats) = at(1)
                    && over(product(repeats))
                {
                    return Err(too_big("its input repeated too often".to_owned()));
                }
            }
            "Range" => {
                let scalar = |i: usize| at(i).and_then(|v| v.first().copied());
                if let (Some(start), Some(limit), Some(delta)) = (scalar(0), scalar(1), scalar(2)) {
                    let steps = ((limit - start) / delta).abs().ceil();
                    if over(steps) {
                        return Err(too_big(format!("a range of {steps} elements")));
                    }
                }
            }
            "Resize" | "Upsample" => {
                // `sizes` (input 3) is the output shape; `scales` (input 2, or 1 for
                // Upsample) multiplies the input's, which is at least one element.
                let sizes = at(3).filter(|v| !v.is_empty());
                let scales = if op == "Upsample" { at(1) } else { at(2) };
                let scales = scales
                    .filter(|v| !v.is_empty())
                    .or_else(|| node.attribute("scales").map(|a| &a.floats));
                let input = node
                    .inputs
                    .first()
                    .and_then(|n| self.shapes.get(n))
                    .map(|s| product(s));
                if let Some(sizes) = sizes
                    && over(product(sizes))
                {
                    return Err(too_big("an image that large".to_owned()));
                }
                if let Some(scales) = scales {
                    let scaled = scales
                        .iter()
                        .fold(input.unwrap_or(1.0), |acc, s| acc * s.abs());
                    if over(scaled) || scales.iter().any(|s| !s.is_finite()) {
                        return Err(too_big("an image that large".to_owned()));
                    }
                }
            }
            "Pad" => {
                // Each padded dimension is at least its two pads long.
                let pads = at(1).or_else(|| node.attribute("pads").map(|a| &a.ints));
                if let Some(pads) = pads {
                    let half = pads.len() / 2;
                    let per_dim: Vec<f64> = (0..half)
                        .map(|i| pads[i].max(0.0) + pads[i + half].max(0.0))
                        .collect();
                    let input = node.inputs.first().and_then(|n| self.shapes.get(n));
                    let grown = match input {
                        Some(dims) if dims.len() == per_dim.len() => dims
                            .iter()
                            .zip(&per_dim)
                            .fold(1.0, |acc, (d, p)| acc * (d.max(1.0) + p)),
                        _ => product(&per_dim),
                    };
                    if over(grown) {
                        return Err(too_big(format!("{grown:.0} padded elements")));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// `a op b` with a single value broadcast, as shape arithmetic writes it.
fn elementwise(op: &str, a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let f = |x: f64, y: f64| match op {
        "Mul" => x * y,
        "Add" => x + y,
        "Sub" => x - y,
        "Div" => (x / y).trunc(),
        _ => x.max(y),
    };
    match (a.len(), b.len()) {
        (_, 1) => Some(a.iter().map(|x| f(*x, b[0])).collect()),
        (1, _) => Some(b.iter().map(|y| f(a[0], *y)).collect()),
        (n, m) if n == m => Some(a.iter().zip(b).map(|(x, y)| f(*x, *y)).collect()),
        _ => None,
    }
}

/// Reads one attribute: its name, every value field (packed or not), its tensors
/// (checked) and its subgraphs (collected for the caller to walk).
fn attribute<'a>(
    bytes: &'a [u8],
    limits: &Limits,
    subgraphs: &mut Vec<&'a [u8]>,
) -> Result<Attribute, Error> {
    let mut a = Attribute::default();
    let mut count = 0u64;
    for f in fields(bytes) {
        match f? {
            (1, Value::Bytes(b)) => a.name = String::from_utf8_lossy(b).into_owned(),
            (2, Value::Fixed(b)) => a.float = float(b),
            (3, Value::Varint(v)) => a.int = Some(int_value(v)),
            (5, Value::Bytes(t)) => {
                let t = tensor(t)?;
                check_tensor(&t, limits)?;
                a.tensor = Some(t);
            }
            (6 | 11, Value::Bytes(g)) => subgraphs.push(g),
            (7, Value::Bytes(b)) => super::packed_floats(b, 4, &mut a.floats, &mut count),
            (7, Value::Fixed(b)) => a.floats.extend(float(b)),
            (8, Value::Bytes(b)) => {
                let mut data = b;
                while !data.is_empty() {
                    let v = varint(&mut data)?;
                    if a.ints.len() < super::KEPT {
                        a.ints.push(int_value(v));
                    }
                }
            }
            (8, Value::Varint(v)) if a.ints.len() < super::KEPT => a.ints.push(int_value(v)),
            (10, Value::Bytes(t)) => check_tensor(&tensor(t)?, limits)?,
            _ => {}
        }
    }
    Ok(a)
}
