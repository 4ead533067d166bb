//! A loaded, optimised model and its declared inputs and outputs.

use crate::error::Error;
use crate::tensor::{Data, Tensor};
use crate::tune::Tuning;
use serde::Serialize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use tract_onnx::prelude::{
    DatumType, Framework, InferenceModelExt, IntoTValue, OutletId, RunOptions, TDim, TValue,
    TypedModel, TypedRunnableModel,
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
    pub(crate) plan: Arc<TypedRunnableModel>,
    inputs: Vec<TensorSpec>,
    outputs: Vec<TensorSpec>,
    threads: usize,
    tuning: Tuning,
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

/// The specs of `outlets` of the optimised `model`, named `names` (the decluttered
/// graph's, in the same order).
fn specs(
    model: &TypedModel,
    outlets: &[OutletId],
    names: &[String],
) -> Result<Vec<TensorSpec>, Error> {
    if names.len() != outlets.len() {
        return Err(Error::Load(format!(
            "the graph has {} inputs or outputs but {} names",
            outlets.len(),
            names.len()
        )));
    }
    outlets
        .iter()
        .zip(names)
        .map(|(outlet, name)| {
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
                name: name.clone(),
                dtype: dtype_name(fact.datum_type),
                shape,
            })
        })
        .collect()
}

pub(crate) fn one_line(e: &tract_onnx::prelude::TractError) -> String {
    format!("{e:#}").replace('\n', " ")
}

/// Where a model's graph comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// An ONNX file's bytes: a stranger's, pre-scanned before tract sees them.
    Onnx(&'a [u8]),
    /// A plan [`Graph::plan`] wrote from an ONNX model that passed the scan: its decluttered
    /// graph, which skips ONNX parsing and decluttering.
    Plan(&'a [u8]),
}

/// How to load a model.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Caps the pre-scan of ONNX bytes enforces.
    pub limits: crate::Limits,
    /// Threads each run may use; 0 and 1 both mean the calling thread only.
    pub threads: usize,
    /// Strategy settings, as [`crate::tune`] finds them; empty for tract's defaults.
    pub tuning: Tuning,
    /// [`crate::open`] keeps and reads plans only for ONNX files of at least this many
    /// bytes: a small file parses faster than tract's NNEF reader sets itself up.
    pub plan_min_bytes: usize,
}

/// Runs `f`, turning a panic inside tract into [`Error::Panicked`].
pub(crate) fn guarded<T>(
    during: &'static str,
    f: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(Error::Panicked {
            during,
            message: panic_message(&*payload),
        })
    })
}

/// The names of the nodes behind `outlets`: what [`TensorSpec::name`] reports.
fn names(model: &TypedModel, outlets: &[OutletId]) -> Vec<String> {
    outlets
        .iter()
        .map(|o| model.node(o.node).name.clone())
        .collect()
}

/// A model's decluttered graph: read and checked, no strategy chosen yet.
pub struct Graph {
    pub(crate) typed: TypedModel,
    /// The names of its inputs and outputs as the ONNX file gave them, which a plan's
    /// NNEF spelling may not keep.
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
}

impl Graph {
    /// Reads a graph from an ONNX file (after the pre-scan with `limits`) or a plan.
    pub fn read(source: Source<'_>, limits: &crate::Limits) -> Result<Graph, Error> {
        match source {
            Source::Onnx(bytes) => {
                crate::scan::check(bytes, limits)?;
                guarded("loading", || {
                    let mut reader = bytes;
                    let typed = tract_onnx::onnx()
                        .model_for_read(&mut reader)
                        .and_then(|m| m.into_typed())
                        .and_then(TypedModel::into_decluttered)
                        .map_err(|e| Error::Load(one_line(&e)))?;
                    Ok(Graph {
                        inputs: names(&typed, typed.inputs.as_slice()),
                        outputs: names(&typed, typed.outputs.as_slice()),
                        typed,
                    })
                })
            }
            #[cfg(not(target_arch = "wasm32"))]
            Source::Plan(bytes) => crate::plan::read(bytes),
            // The page keeps no plans; NNEF would only add to the worker's download.
            #[cfg(target_arch = "wasm32")]
            Source::Plan(_) => Err(Error::Load(
                "plans are not read in the browser: load the ONNX file".to_owned(),
            )),
        }
    }

    /// The graph as a plan, which [`Source::Plan`] reads back: the same bytes for the
    /// same model every time. Fails for a graph tract cannot write as NNEF, and in the
    /// browser, which keeps no plans.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn plan(&self) -> Result<Vec<u8>, Error> {
        crate::plan::write(self)
    }

    /// In the browser, which keeps no plans: an error.
    #[cfg(target_arch = "wasm32")]
    pub fn plan(&self) -> Result<Vec<u8>, Error> {
        Err(Error::Load(
            "plans are not written in the browser".to_owned(),
        ))
    }

    /// Optimises a copy of the graph with `options`, ready to run.
    pub fn optimise(&self, options: &Options) -> Result<Model, Error> {
        let scope = options.tuning.scope()?;
        guarded("loading", || {
            let typed = scope
                .enter(|| self.typed.clone().into_optimized())
                .map_err(|e| Error::Load(one_line(&e)))?;
            let inputs = specs(&typed, typed.inputs.as_slice(), &self.inputs)?;
            let outputs = specs(&typed, typed.outputs.as_slice(), &self.outputs)?;
            let threads = options
                .threads
                .min(options.tuning.threads.unwrap_or(usize::MAX))
                .max(1);
            let run_options = RunOptions {
                executor: executor(threads),
                ..RunOptions::default()
            };
            let threads = if run_options.executor.is_some() {
                threads
            } else {
                1
            };
            let plan = typed
                .into_runnable_with_options(&run_options)
                .map_err(|e| Error::Load(one_line(&e)))?;
            Ok(Model {
                plan,
                inputs,
                outputs,
                threads,
                tuning: options.tuning.clone(),
            })
        })
    }

    /// Whether the graph has a node [`crate::tune`]'s settings can change.
    pub(crate) fn has_convolutions(&self) -> bool {
        self.typed
            .nodes()
            .iter()
            .any(|n| n.op.name().contains("Conv"))
    }
}

/// One executor per thread count, shared by every model of the process.
#[cfg(not(target_arch = "wasm32"))]
fn executor(threads: usize) -> Option<tract_onnx::prelude::multithread::Executor> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    use tract_onnx::prelude::multithread::Executor;
    static POOLS: OnceLock<Mutex<HashMap<usize, Executor>>> = OnceLock::new();
    if threads <= 1 {
        return None;
    }
    let mut pools = POOLS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(
        pools
            .entry(threads)
            .or_insert_with(|| Executor::multithread_with_name(threads, "mhub-run"))
            .clone(),
    )
}

#[cfg(target_arch = "wasm32")]
fn executor(_threads: usize) -> Option<tract_onnx::prelude::multithread::Executor> {
    None
}

impl Model {
    /// Loads and optimises an ONNX model after the pre-scan, with default [`Options`].
    /// Panics inside tract become [`Error::Panicked`].
    pub fn load(bytes: &[u8]) -> Result<Model, Error> {
        Model::open(Source::Onnx(bytes), &Options::default())
    }

    /// Loads a model from an ONNX file or a plan, with `options`.
    pub fn open(source: Source<'_>, options: &Options) -> Result<Model, Error> {
        Graph::read(source, &options.limits)?.optimise(options)
    }

    /// Threads each run uses.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The strategy settings it was optimised with.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
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
        guarded("running", || {
            let outputs = self
                .plan
                .run(values.into_iter().collect())
                .map_err(|e| Error::Run(one_line(&e)))?;
            outputs.iter().map(convert).collect()
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
