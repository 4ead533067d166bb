//! A loaded, optimised model and its declared inputs and outputs.

use crate::error::Error;
use crate::tensor::{Data, Tensor};
use serde::Serialize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use tract_onnx::prelude::{
    DatumType, Framework, InferenceModelExt, IntoTValue, TDim, TValue, TypedModel,
    TypedRunnableModel,
};
use tract_onnx::tract_hir::internal::DimLike;

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// A fixed size.
    Fixed(usize),
    /// A symbol such as `batch` or `N`, decided at run time.
    Symbol(String),
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Symbol(s) => f.write_str(s),
        }
    }
}

/// A shape as `[1, N, 3]`.
pub(crate) fn shape_text(shape: &[Dim]) -> String {
    format!(
        "[{}]",
        shape
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A model input or output as the model declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TensorSpec {
    /// Its name in the graph.
    pub name: String,
    /// Its element type, e.g. `float32`.
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<Dim>,
}

/// An optimised model, ready to run many times.
pub struct Model {
    plan: Arc<TypedRunnableModel>,
    inputs: Vec<TensorSpec>,
    outputs: Vec<TensorSpec>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned())
}

fn dtype_name(dt: DatumType) -> String {
    match dt {
        DatumType::F32 => "float32".to_owned(),
        DatumType::F64 => "float64".to_owned(),
        DatumType::I64 => "int64".to_owned(),
        DatumType::I32 => "int32".to_owned(),
        DatumType::U8 => "uint8".to_owned(),
        DatumType::Bool => "bool".to_owned(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

fn specs(
    model: &TypedModel,
    outlets: &[tract_onnx::prelude::OutletId],
) -> Result<Vec<TensorSpec>, Error> {
    outlets
        .iter()
        .map(|outlet| {
            let fact = model
                .outlet_fact(*outlet)
                .map_err(|e| Error::Load(format!("{e:#}")))?;
            let shape = fact
                .shape
                .iter()
                .map(|d: &TDim| {
                    d.to_usize()
                        .map_or_else(|_| Dim::Symbol(d.to_string()), Dim::Fixed)
                })
                .collect();
            Ok(TensorSpec {
                name: model.node(outlet.node).name.clone(),
                dtype: dtype_name(fact.datum_type),
                shape,
            })
        })
        .collect()
}

fn one_line(e: &tract_onnx::prelude::TractError) -> String {
    format!("{e:#}").replace('\n', " ")
}

impl Model {
    /// Loads and optimises an ONNX model after the pre-scan with default
    /// [`crate::Limits`]. Panics inside tract become [`Error::Panicked`].
    pub fn load(bytes: &[u8]) -> Result<Model, Error> {
        Model::load_with(bytes, &crate::Limits::default())
    }

    /// [`Model::load`] with explicit limits.
    pub fn load_with(bytes: &[u8], limits: &crate::Limits) -> Result<Model, Error> {
        crate::scan::check(bytes, limits)?;
        let loaded = catch_unwind(AssertUnwindSafe(|| -> Result<Model, Error> {
            let mut reader = bytes;
            let inference = tract_onnx::onnx()
                .model_for_read(&mut reader)
                .map_err(|e| Error::Load(one_line(&e)))?;
            let typed = inference
                .into_optimized()
                .map_err(|e| Error::Load(one_line(&e)))?;
            let inputs = specs(
                &typed,
                typed
                    .input_outlets()
                    .map_err(|e| Error::Load(one_line(&e)))?,
            )?;
            let outputs = specs(
                &typed,
                typed
                    .output_outlets()
                    .map_err(|e| Error::Load(one_line(&e)))?,
            )?;
            let plan = tract_onnx::prelude::IntoRunnable::into_runnable(typed)
                .map_err(|e| Error::Load(one_line(&e)))?;
            Ok(Model {
                plan,
                inputs,
                outputs,
            })
        }));
        loaded.unwrap_or_else(|payload| {
            Err(Error::Panicked {
                during: "loading",
                message: panic_message(&*payload),
            })
        })
    }

    /// The declared inputs, in order.
    pub fn inputs(&self) -> &[TensorSpec] {
        &self.inputs
    }

    /// The declared outputs, in order.
    pub fn outputs(&self) -> &[TensorSpec] {
        &self.outputs
    }

    /// Checks `inputs` against the declared ones, casting integers to floats where
    /// the model wants floats, and converts them for tract.
    fn prepare(&self, inputs: &[Tensor]) -> Result<Vec<TValue>, Error> {
        if inputs.len() != self.inputs.len() {
            return Err(Error::Run(format!(
                "the model takes {} inputs, got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let mut values = Vec::with_capacity(inputs.len());
        for (index, (tensor, spec)) in inputs.iter().zip(&self.inputs).enumerate() {
            let fail = |reason: String| Error::Input {
                index,
                name: spec.name.clone(),
                reason,
            };
            if tensor.shape().len() != spec.shape.len() {
                return Err(fail(format!(
                    "expected {} dimensions, got shape {:?}",
                    spec.shape.len(),
                    tensor.shape()
                )));
            }
            for (got, want) in tensor.shape().iter().zip(&spec.shape) {
                if let Dim::Fixed(w) = want
                    && got != w
                {
                    return Err(fail(format!(
                        "expected shape {}, got {:?}",
                        shape_text(&spec.shape),
                        tensor.shape()
                    )));
                }
            }
            let built = match (spec.dtype.as_str(), tensor.data()) {
                ("float32", _) => {
                    tract_onnx::prelude::Tensor::from_shape(tensor.shape(), &tensor.to_f32())
                }
                ("int64", Data::I64(v)) => {
                    tract_onnx::prelude::Tensor::from_shape(tensor.shape(), v)
                }
                (want, data) => {
                    return Err(fail(format!(
                        "expected {want} values, got {}",
                        data.dtype()
                    )));
                }
            };
            values.push(built.map_err(|e| fail(one_line(&e)))?.into_tvalue());
        }
        Ok(values)
    }

    /// Runs the model. Panics inside tract become [`Error::Panicked`].
    pub fn run(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, Error> {
        let values = self.prepare(inputs)?;
        let ran = catch_unwind(AssertUnwindSafe(|| -> Result<Vec<Tensor>, Error> {
            let outputs = self
                .plan
                .run(values.into_iter().collect())
                .map_err(|e| Error::Run(one_line(&e)))?;
            outputs.iter().map(convert).collect()
        }));
        ran.unwrap_or_else(|payload| {
            Err(Error::Panicked {
                during: "running",
                message: panic_message(&*payload),
            })
        })
    }
}

fn convert(value: &TValue) -> Result<Tensor, Error> {
    let shape = value.shape().to_vec();
    let data = match value.datum_type() {
        DatumType::I64 => Data::I64(
            value
                .to_plain_array_view::<i64>()
                .map_err(|e| Error::Run(one_line(&e)))?
                .iter()
                .copied()
                .collect(),
        ),
        DatumType::F32 => Data::F32(
            value
                .to_plain_array_view::<f32>()
                .map_err(|e| Error::Run(one_line(&e)))?
                .iter()
                .copied()
                .collect(),
        ),
        _ => {
            let cast = value
                .cast_to::<f32>()
                .map_err(|e| Error::Run(one_line(&e)))?;
            Data::F32(
                cast.to_plain_array_view::<f32>()
                    .map_err(|e| Error::Run(one_line(&e)))?
                    .iter()
                    .copied()
                    .collect(),
            )
        }
    };
    Tensor::new(shape, data)
}
