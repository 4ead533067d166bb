//! Loading, inspecting and running ONNX models: the only crate that knows tract.
//!
//! [`Model::load`] reads an ONNX model from bytes, optimises it once and
//! reports its inputs and outputs ([`TensorSpec`]: names, element types, shapes
//! with symbolic dimensions); [`Model::run`] runs it on [`Tensor`]s. [`npy`]
//! reads and writes NumPy `.npy` files.
//!
//! No tract type or error crosses this crate's API, and a panic inside tract
//! becomes an [`Error`] instead of taking the caller down. This crate does no
//! downloading and no printing; it does not yet contain hostile models (a
//! pre-scan and a worker process with memory and time limits are still to come),
//! so only run models whose card you have verified.
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
mod tensor;

pub use error::Error;
pub use model::{Dim, Model, TensorSpec};
pub use tensor::{Data, Tensor};
