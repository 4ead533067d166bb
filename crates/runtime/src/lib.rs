//! Loading, inspecting and running ONNX models: the only crate that knows tract.
//!
//! [`Model::load`] reads an ONNX model from bytes, optimises it once and
//! reports its inputs and outputs ([`TensorSpec`]: names, element types, shapes
//! with symbolic dimensions); [`Model::run`] runs it on [`Tensor`]s.
//! [`Model::open`] takes [`Options`]: threads per run, and a [`Tuning`] (tract's
//! convolution strategy settings) that [`tune`] finds by timing the candidates on
//! the real input. A [`Graph`] is a model read but not yet optimised; its
//! [`Graph::plan`] is tract's NNEF archive of it, which [`Source::Plan`] reads back
//! without parsing ONNX or decluttering again. [`open`] is how every caller loads a
//! model: the plan and tuning a [`Keeper`] holds, made and kept at first load. [`npy`]
//! reads and writes NumPy `.npy` files; [`image_tensor`] turns a PNG or JPEG
//! into an input tensor as a card's [`Preprocess`] describes.
//!
//! No tract type or error crosses this crate's API, and a panic inside tract
//! becomes an [`Error`] instead of taking the caller down. Before tract sees a
//! model, [`scan`] walks its protobuf and refuses what would exhaust the
//! machine: too many nodes, initializers whose declared size disagrees with
//! their data, external data, STRING tensors with raw bytes, and constant shapes
//! fed to `ConstantOfShape`, `Expand`, `Tile`, `Range`, `Reshape` or `Resize`
//! that exceed [`Limits`]. What the scan cannot bound (an abort, an
//! out-of-memory kill, a pathological optimisation) needs a separate process
//! with limits, which the caller provides; this crate does no downloading,
//! no printing and no process management.
//!
//! # Example
//!
//! ```
//! use runtime::{Model, Tensor};
//!
//! let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../hub/models/iris/model.onnx"))?;
//! let model = Model::load(&bytes)?;
//! assert_eq!(model.inputs()[0].name, "measurements");
//! let outputs = model.run(&[Tensor::f32(vec![1, 4], vec![6.1, 2.8, 4.7, 1.2])?])?;
//! let probabilities = outputs[0].as_f32().expect("float output");
//! assert_eq!(probabilities.len(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod model;
pub mod npy;
mod open;
mod picture;
#[cfg(not(target_arch = "wasm32"))]
mod plan;
mod scan;
mod tensor;
mod tune;

pub use error::Error;
pub use model::{Dim, Graph, Model, Options, Source, TensorSpec};
pub use open::{KeepNothing, Keeper, Opened, PlanUse, TuneOn, TuningUse, open};
pub use picture::{Channels, Fit, Layout, Preprocess, default_margin, image_tensor};
pub use scan::{Limits, check as scan};
pub use tensor::{Data, Tensor};
pub use tune::ENGINE;
pub use tune::{Tried, Tuned, Tuning, machine, tune};
