//! A pre-scan of the ONNX protobuf that refuses models built to exhaust the machine, before tract sees them.
//!
//! Tract trusts a model's numbers: a `ConstantOfShape` of `[100000, 100000, 100]`
//! asks for 8 TB, a 40,000-node chain takes most of a minute to load, a STRING
//! initializer with raw data makes tract panic. This reader walks the
//! protobuf wire format directly (no schema, no allocation proportional to the
//! claims it reads) and bounds what the model may ask for.

use crate::error::Error;

mod shapes;

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
    /// A 4- or 8-byte little-endian value.
    Fixed(&'a [u8]),
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
                    let bytes = self
                        .data
                        .get(..width)
                        .ok_or_else(|| refuse("the model file is truncated"))?;
                    self.data = &self.data[width..];
                    Value::Fixed(bytes)
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
    /// The first values, as numbers (ints and floats alike): enough for shapes and scalars.
    values: Vec<f64>,
    external: bool,
}

/// How many values of a tensor are kept for the shape checks.
const KEPT: usize = 64;

/// A little-endian float of 4 or 8 bytes.
fn float(bytes: &[u8]) -> Option<f64> {
    match bytes.len() {
        4 => Some(f64::from(f32::from_le_bytes(bytes.try_into().ok()?))),
        8 => Some(f64::from_le_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// Packed little-endian floats of `width` bytes.
fn packed_floats(bytes: &[u8], width: usize, out: &mut Vec<f64>, count: &mut u64) {
    for chunk in bytes.chunks_exact(width) {
        *count += 1;
        if out.len() < KEPT {
            out.extend(float(chunk));
        }
    }
}

#[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
fn packed_varints(bytes: &[u8], out: &mut Vec<f64>, count: &mut u64) -> Result<(), Error> {
    let mut data = bytes;
    while !data.is_empty() {
        let v = varint(&mut data)? as i64;
        *count += 1;
        if out.len() < KEPT {
            out.push(v as f64);
        }
    }
    Ok(())
}

fn tensor(bytes: &[u8]) -> Result<TensorInfo, Error> {
    let mut t = TensorInfo::default();
    let mut raw: Option<&[u8]> = None;
    for field in fields(bytes) {
        match field? {
            (1, Value::Varint(d)) => t.dims.push(d),
            (1, Value::Bytes(b)) => {
                let mut data = b;
                while !data.is_empty() {
                    t.dims.push(varint(&mut data)?);
                }
            }
            (2, Value::Varint(dt)) => t.data_type = dt,
            (4, Value::Bytes(b)) => packed_floats(b, 4, &mut t.values, &mut t.typed_values),
            (10, Value::Bytes(b)) => packed_floats(b, 8, &mut t.values, &mut t.typed_values),
            (4 | 10, Value::Fixed(b)) => {
                packed_floats(b, b.len(), &mut t.values, &mut t.typed_values)
            }
            (5 | 7 | 11, Value::Bytes(b)) => packed_varints(b, &mut t.values, &mut t.typed_values)?,
            #[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
            (5 | 7 | 11, Value::Varint(v)) => {
                t.typed_values += 1;
                t.values.push(v as i64 as f64);
            }
            (6, Value::Bytes(_)) => t.typed_values += 1,
            (8, Value::Bytes(b)) => t.name = String::from_utf8_lossy(b).into_owned(),
            (9, Value::Bytes(b)) => {
                t.raw_len = Some(b.len());
                raw = Some(b);
            }
            (13, Value::Bytes(_)) => t.external = true,
            (14, Value::Varint(1)) => t.external = true,
            _ => {}
        }
    }
    // Raw data is read once the type is known, wherever its field came.
    if let Some(b) = raw {
        #[allow(clippy::cast_precision_loss)]
        let int = |chunk: &[u8]| -> Option<f64> {
            Some(match chunk.len() {
                4 => f64::from(i32::from_le_bytes(chunk.try_into().ok()?)),
                _ => i64::from_le_bytes(chunk.try_into().ok()?) as f64,
            })
        };
        let values = b.chunks_exact(match t.data_type {
            1 | 6 => 4,
            _ => 8,
        });
        match t.data_type {
            1 | 11 => t.values.extend(values.take(KEPT).filter_map(float)),
            6 | 7 => t.values.extend(values.take(KEPT).filter_map(int)),
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

/// Scans a serialised ONNX model, refusing what would exhaust the machine.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), Error> {
    let mut scan = shapes::Scan::default();
    let mut has_graph = false;
    for field in fields(bytes) {
        if let (7, Value::Bytes(g)) = field? {
            has_graph = true;
            scan.graph(g, limits, 0)?;
        }
    }
    if !has_graph {
        return Err(refuse("the file holds no ONNX graph"));
    }
    Ok(())
}
