//! Tensors as plain vectors and shapes, independent of tract.

use crate::error::Error;
use serde::Serialize;

/// A dense tensor: a shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Data,
}

/// The values of a [`Tensor`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Data {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 64-bit integers.
    I64(Vec<i64>),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }

    /// The element type's ONNX name.
    pub fn dtype(&self) -> &'static str {
        match self {
            Data::F32(_) => "float32",
            Data::I64(_) => "int64",
        }
    }
}

impl Tensor {
    /// A tensor of `shape` holding `data`; the counts must agree.
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Tensor, Error> {
        let expected = shape
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(*d))
            .unwrap_or(usize::MAX);
        if expected != data.len() {
            return Err(Error::Shape {
                shape,
                expected,
                got: data.len(),
            });
        }
        Ok(Tensor { shape, data })
    }

    /// A float tensor.
    pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Result<Tensor, Error> {
        Tensor::new(shape, Data::F32(data))
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values.
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// The values as floats, if they are.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            Data::I64(_) => None,
        }
    }

    /// The values converted to floats (integers are cast).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            Data::F32(v) => v.clone(),
            #[allow(clippy::cast_precision_loss)]
            Data::I64(v) => v.iter().map(|x| *x as f32).collect(),
        }
    }
}
