//! NumPy `.npy` files (format versions 1 to 3, C order): reading inputs and writing outputs.

use crate::error::Error;
use crate::tensor::{Data, Tensor};

const MAGIC: &[u8] = b"\x93NUMPY";

fn bad(reason: impl Into<String>) -> Error {
    Error::Npy(reason.into())
}

/// The value of `key` in the header dictionary, as written.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Reads a `.npy` file's bytes. Floats become `F32`, integers and booleans `I64`.
pub fn read(bytes: &[u8]) -> Result<Tensor, Error> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("missing the \\x93NUMPY magic"))?;
    let (&major, rest) = rest
        .split_first()
        .ok_or_else(|| bad("file ends in its header"))?;
    let rest = rest
        .get(1..)
        .ok_or_else(|| bad("file ends in its header"))?;
    let (len, rest) = match major {
        1 => (
            usize::from(u16::from_le_bytes([
                *rest.first().unwrap_or(&0),
                *rest.get(1).unwrap_or(&0),
            ])),
            rest.get(2..),
        ),
        2 | 3 => {
            let raw: [u8; 4] = rest
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("file ends in its header"))?;
            (
                usize::try_from(u32::from_le_bytes(raw)).unwrap_or(usize::MAX),
                rest.get(4..),
            )
        }
        v => return Err(bad(format!("format version {v} is not supported"))),
    };
    let rest = rest.ok_or_else(|| bad("file ends in its header"))?;
    let header = rest
        .get(..len)
        .ok_or_else(|| bad("file ends in its header"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text"))?;
    let payload = &rest[len..];
    if field(header, "fortran_order") != Some("False") {
        return Err(bad("only C-order arrays are supported"));
    }
    let descr = field(header, "descr")
        .ok_or_else(|| bad("header has no descr"))?
        .trim_matches('\'');
    let shape_text = field(header, "shape").ok_or_else(|| bad("header has no shape"))?;
    let shape: Vec<usize> = shape_text
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| bad(format!("bad dimension `{s}`")))
        })
        .collect::<Result<_, _>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, d| a.checked_mul(*d))
        .ok_or_else(|| bad("shape overflows"))?;
    // `<f4`: byte order, kind, width. Anything shorter, longer or not ASCII is refused
    // here, before a byte of it is used as an index.
    let unsupported = || bad(format!("unsupported dtype `{}`", descr.escape_default()));
    let (order, kind, width) = match descr.as_bytes() {
        [order, kind, width @ ..] if descr.is_ascii() && !width.is_empty() && width.len() <= 2 => {
            let width = std::str::from_utf8(width)
                .ok()
                .and_then(|w| w.parse::<usize>().ok())
                .ok_or_else(unsupported)?;
            (*order, *kind, width)
        }
        _ => return Err(unsupported()),
    };
    let little = match order {
        b'<' | b'|' => true,
        b'>' => return Err(bad("big-endian arrays are not supported")),
        _ => return Err(unsupported()),
    };
    if !little || payload.len() != count.saturating_mul(width) {
        return Err(bad(format!(
            "expected {count} values of {width} bytes, found {} bytes",
            payload.len()
        )));
    }
    let chunks = payload.chunks_exact(width.max(1));
    let data = match (kind, width) {
        (b'f', 4) => Data::F32(
            chunks
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        #[allow(clippy::cast_possible_truncation)]
        (b'f', 8) => Data::F32(
            chunks
                .map(|c| {
                    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
                })
                .collect(),
        ),
        (b'i', 8) => Data::I64(
            chunks
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        (b'i', 4) => Data::I64(
            chunks
                .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        (b'u' | b'b', 1) => Data::I64(chunks.map(|c| i64::from(c[0])).collect()),
        _ => return Err(unsupported()),
    };
    Tensor::new(shape, data)
}

/// Writes a tensor as a version 1 `.npy` file.
pub fn write(tensor: &Tensor) -> Vec<u8> {
    let (descr, body): (&str, Vec<u8>) = match tensor.data() {
        Data::F32(v) => ("<f4", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        Data::I64(v) => ("<i8", v.iter().flat_map(|x| x.to_le_bytes()).collect()),
    };
    let dims: Vec<String> = tensor.shape().iter().map(ToString::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // The header, with the 10-byte preamble and a newline, pads to a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend([1, 0]);
    out.extend(
        u16::try_from(header.len())
            .unwrap_or(u16::MAX)
            .to_le_bytes(),
    );
    out.extend(header.as_bytes());
    out.extend(body);
    out
}
