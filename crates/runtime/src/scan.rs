//! A pre-scan of the ONNX protobuf that refuses models built to exhaust the machine, before tract sees them.
//!
//! Tract trusts a model's numbers: a `ConstantOfShape` of `[100000, 100000, 100]`
//! asks for 8 TB, a 40,000-node chain takes most of a minute to load, a STRING
//! initializer with raw data makes tract panic. This reader walks the
//! protobuf wire format directly (no schema, no allocation proportional to the
//! claims it reads) and bounds what the model may ask for.

use crate::error::Error;
use std::collections::HashMap;

/// Caps on what a model may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nodes in the graph and all its subgraphs.
    pub max_nodes: usize,
    /// Elements of any tensor whose shape is known before running.
    pub max_elements: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_nodes: 10_000,
            max_elements: 1 << 28,
        }
    }
}

fn refuse(reason: impl Into<String>) -> Error {
    Error::Refused(reason.into())
}

/// A protobuf field: its number and its payload.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Fields<'a> {
    data: &'a [u8],
}

fn varint(data: &mut &[u8]) -> Result<u64, Error> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = data
            .split_first()
            .ok_or_else(|| refuse("the model file is truncated"))?;
        *data = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(refuse("the model file has a malformed number"))
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let mut step = || -> Result<(u64, Value<'a>), Error> {
            let key = varint(&mut self.data)?;
            let value = match key & 7 {
                0 => Value::Varint(varint(&mut self.data)?),
                1 | 5 => {
                    let width = if key & 7 == 1 { 8 } else { 4 };
                    self.data = self
                        .data
                        .get(width..)
                        .ok_or_else(|| refuse("the model file is truncated"))?;
                    Value::Fixed
                }
                2 => {
                    let len = usize::try_from(varint(&mut self.data)?)
                        .map_err(|_| refuse("a field is too long"))?;
                    let bytes = self
                        .data
                        .get(..len)
                        .ok_or_else(|| refuse("the model file is truncated"))?;
                    self.data = &self.data[len..];
                    Value::Bytes(bytes)
                }
                _ => return Err(refuse("the model file is not an ONNX protobuf")),
            };
            Ok((key >> 3, value))
        };
        let item = step();
        if item.is_err() {
            self.data = &[];
        }
        Some(item)
    }
}

fn fields(data: &[u8]) -> Fields<'_> {
    Fields { data }
}

/// Bytes per element of an ONNX data type; `None` for strings and unknown types.
fn element_size(data_type: u64) -> Option<u64> {
    Some(match data_type {
        1 | 6 | 12 => 4,      // float, int32, uint32
        2 | 3 | 9 => 1,       // uint8, int8, bool
        4 | 5 | 10 | 16 => 2, // uint16, int16, float16, bfloat16
        7 | 11 | 13 => 8,     // int64, double, uint64
        14 => 8,              // complex64
        15 => 16,             // complex128
        _ => return None,
    })
}

/// What the scan learns about one tensor.
#[derive(Default)]
struct TensorInfo {
    name: String,
    dims: Vec<u64>,
    data_type: u64,
    raw_len: Option<usize>,
    typed_values: u64,
    ints: Vec<i64>,
    external: bool,
}

fn packed_varints(bytes: &[u8], out: &mut Vec<i64>, count: &mut u64) -> Result<(), Error> {
    let mut data = bytes;
    while !data.is_empty() {
        #[allow(clippy::cast_possible_wrap)]
        let v = varint(&mut data)? as i64;
        *count += 1;
        if out.len() < 64 {
            out.push(v);
        }
    }
    Ok(())
}

fn tensor(bytes: &[u8]) -> Result<TensorInfo, Error> {
    let mut t = TensorInfo::default();
    for field in fields(bytes) {
        match field? {
            (1, Value::Varint(d)) => t.dims.push(d),
            (1, Value::Bytes(b)) => {
                let mut dims = Vec::new();
                let mut n = 0;
                packed_varints(b, &mut dims, &mut n)?;
                t.dims
                    .extend(dims.iter().map(|d| u64::try_from(*d).unwrap_or(u64::MAX)));
            }
            (2, Value::Varint(dt)) => t.data_type = dt,
            (4, Value::Bytes(b)) => t.typed_values += (b.len() / 4) as u64,
            (10, Value::Bytes(b)) => t.typed_values += (b.len() / 8) as u64,
            (4 | 10, Value::Fixed) => t.typed_values += 1,
            (5 | 7 | 11, Value::Bytes(b)) => packed_varints(b, &mut t.ints, &mut t.typed_values)?,
            (5 | 7 | 11, Value::Varint(v)) => {
                t.typed_values += 1;
                #[allow(clippy::cast_possible_wrap)]
                t.ints.push(v as i64);
            }
            (6, Value::Bytes(_)) => t.typed_values += 1,
            (8, Value::Bytes(b)) => t.name = String::from_utf8_lossy(b).into_owned(),
            (9, Value::Bytes(b)) => {
                t.raw_len = Some(b.len());
                if matches!(t.data_type, 6 | 7) {
                    let width = if t.data_type == 6 { 4 } else { 8 };
                    for chunk in b.chunks_exact(width).take(64) {
                        t.ints.push(if width == 4 {
                            i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
                        } else {
                            i64::from_le_bytes([
                                chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5],
                                chunk[6], chunk[7],
                            ])
                        });
                    }
                }
            }
            (13, Value::Bytes(_)) => t.external = true,
            (14, Value::Varint(1)) => t.external = true,
            _ => {}
        }
    }
    Ok(t)
}

fn elements(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d))
}

/// Checks one initializer or constant: declared size against the data it holds.
fn check_tensor(t: &TensorInfo, limits: &Limits) -> Result<(), Error> {
    let name = if t.name.is_empty() {
        "(unnamed)"
    } else {
        t.name.as_str()
    };
    if t.external {
        return Err(refuse(format!(
            "tensor `{name}` keeps its data in an external file, which mhub does not load"
        )));
    }
    if t.data_type == 8 && t.raw_len.is_some() {
        return Err(refuse(format!(
            "string tensor `{name}` stores raw bytes, which no ONNX runtime defines"
        )));
    }
    let count = elements(&t.dims)
        .ok_or_else(|| refuse(format!("tensor `{name}` has a shape whose size overflows")))?;
    if count > limits.max_elements {
        return Err(refuse(format!(
            "tensor `{name}` declares {count} elements, over the limit of {}",
            limits.max_elements
        )));
    }
    match (t.raw_len, element_size(t.data_type)) {
        (Some(len), Some(size)) if count.checked_mul(size) != Some(len as u64) => Err(refuse(
            format!("tensor `{name}` declares {count} elements but holds {len} bytes"),
        )),
        (None, Some(_)) if t.typed_values != count => Err(refuse(format!(
            "tensor `{name}` declares {count} elements but holds {}",
            t.typed_values
        ))),
        _ => Ok(()),
    }
}

/// What a node needs for the shape checks.
struct NodeInfo {
    op: String,
    inputs: Vec<String>,
}

#[derive(Default)]
struct Scan {
    nodes: usize,
    constants: HashMap<String, Vec<i64>>,
    shaped: Vec<NodeInfo>,
}

const SHAPE_OPS: &[&str] = &[
    "ConstantOfShape",
    "Expand",
    "Tile",
    "Range",
    "Reshape",
    "Resize",
];

fn graph(bytes: &[u8], scan: &mut Scan, limits: &Limits, depth: usize) -> Result<(), Error> {
    if depth > 16 {
        return Err(refuse("subgraphs are nested more than 16 deep"));
    }
    for field in fields(bytes) {
        match field? {
            (1, Value::Bytes(node)) => {
                scan.nodes += 1;
                if scan.nodes > limits.max_nodes {
                    return Err(refuse(format!(
                        "the model has more than {} nodes",
                        limits.max_nodes
                    )));
                }
                let mut info = NodeInfo {
                    op: String::new(),
                    inputs: Vec::new(),
                };
                let mut outputs = Vec::new();
                for f in fields(node) {
                    match f? {
                        (1, Value::Bytes(b)) => {
                            info.inputs.push(String::from_utf8_lossy(b).into_owned())
                        }
                        (2, Value::Bytes(b)) => {
                            outputs.push(String::from_utf8_lossy(b).into_owned())
                        }
                        (4, Value::Bytes(b)) => info.op = String::from_utf8_lossy(b).into_owned(),
                        (5, Value::Bytes(attribute)) => {
                            for a in fields(attribute) {
                                match a? {
                                    (5, Value::Bytes(t)) => {
                                        let t = tensor(t)?;
                                        check_tensor(&t, limits)?;
                                        // Fields come in number order: outputs and op type are known here.
                                        if let (true, Some(out)) =
                                            (info.op == "Constant", outputs.first())
                                        {
                                            scan.constants.insert(out.clone(), t.ints);
                                        }
                                    }
                                    (6, Value::Bytes(g)) | (11, Value::Bytes(g)) => {
                                        graph(g, scan, limits, depth + 1)?
                                    }
                                    (10, Value::Bytes(t)) => check_tensor(&tensor(t)?, limits)?,
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if SHAPE_OPS.contains(&info.op.as_str()) {
                    scan.shaped.push(info);
                }
            }
            (5, Value::Bytes(initializer)) => {
                let t = tensor(initializer)?;
                check_tensor(&t, limits)?;
                scan.constants.insert(t.name.clone(), t.ints);
            }
            (15, Value::Bytes(_)) => return Err(refuse("sparse initializers are not supported")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks the shapes that `ConstantOfShape`, `Expand`, `Tile`, `Range`, `Reshape`
/// and `Resize` would produce from constant inputs.
fn check_shapes(scan: &Scan, limits: &Limits) -> Result<(), Error> {
    let constant = |name: Option<&String>| name.and_then(|n| scan.constants.get(n));
    let too_big = |op: &str, what: String| {
        refuse(format!(
            "`{op}` would make {what}, over the limit of {} elements",
            limits.max_elements
        ))
    };
    for node in &scan.shaped {
        let op = node.op.as_str();
        let product = |values: &[i64]| {
            values.iter().try_fold(1u64, |acc, v| {
                acc.checked_mul(u64::try_from(*v).unwrap_or(1).max(1))
            })
        };
        match op {
            "ConstantOfShape" | "Expand" | "Reshape" => {
                let shape_input = if op == "ConstantOfShape" {
                    node.inputs.first()
                } else {
                    node.inputs.get(1)
                };
                if let Some(shape) = constant(shape_input) {
                    match product(shape) {
                        Some(n) if n <= limits.max_elements => {}
                        n => {
                            return Err(too_big(
                                op,
                                n.map_or_else(
                                    || "an overflowing tensor".to_owned(),
                                    |n| format!("{n} elements"),
                                ),
                            ));
                        }
                    }
                }
            }
            "Tile" => {
                if let Some(repeats) = constant(node.inputs.get(1)) {
                    match product(repeats) {
                        Some(n) if n <= limits.max_elements => {}
                        _ => return Err(too_big(op, "its input repeated too often".to_owned())),
                    }
                }
            }
            "Range" => {
                let scalar =
                    |i: usize| constant(node.inputs.get(i)).and_then(|v| v.first().copied());
                if let (Some(start), Some(limit), Some(delta)) = (scalar(0), scalar(1), scalar(2)) {
                    let span = i128::from(limit) - i128::from(start);
                    let steps = if delta == 0 {
                        i128::MAX
                    } else {
                        (span / i128::from(delta)).abs()
                    };
                    if steps > i128::from(limits.max_elements) {
                        return Err(too_big(op, format!("a range of {steps} elements")));
                    }
                }
            }
            "Resize" => {
                if let Some(sizes) = constant(node.inputs.get(3)) {
                    match product(sizes) {
                        Some(n) if n <= limits.max_elements => {}
                        _ => return Err(too_big(op, "an image that large".to_owned())),
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Scans a serialised ONNX model, refusing what would exhaust the machine.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), Error> {
    let mut scan = Scan::default();
    let mut has_graph = false;
    for field in fields(bytes) {
        if let (7, Value::Bytes(g)) = field? {
            has_graph = true;
            graph(g, &mut scan, limits, 0)?;
        }
    }
    if !has_graph {
        return Err(refuse("the file holds no ONNX graph"));
    }
    check_shapes(&scan, limits)
}
