//! The web app's inference worker: the messages the page and the worker exchange, and the engine behind them.
//!
//! The page (`web/`) must stay small, so it never links tract: when a model is
//! run, it starts a Web Worker built from this crate's `infer` binary, which
//! brings [`runtime`](../runtime/index.html) compiled to wasm32 with SIMD128. The page sends a
//! [`Request`] (which model, where to fetch it, its sha256, the input); the
//! worker fetches the model, refuses bytes whose sha256 or size differ from
//! the card's, loads it once, runs it and answers with a [`Reply`].
//!
//! Without the default `engine` feature the crate is only the protocol: plain
//! serde types that the page depends on. With it, [`Engine`] does the work and
//! is tested natively on the demo hub's models. The `worker` feature adds the
//! wasm32 glue (`src/main.rs`): message events, `fetch`, `performance.now()`.
//! This crate does no rendering, holds no DOM state, and never runs a model
//! whose digest it has not checked.
//!
//! The `mhub` CLI speaks the same protocol to its own worker, a child process
//! that runs untrusted models under memory and CPU limits: one [`ProcessRequest`]
//! (a model file and an inline [`Tensor`]) on its stdin, one [`ProcessReply`]
//! (the model's [`ModelSpec`], timings and named outputs) on its stdout.
//!
//! # Example
//!
//! ```
//! use infer::{Input, ModelRef, Request};
//!
//! let request = Request {
//!     id: 1,
//!     model: ModelRef { url: "models/iris/model.onnx".into(), sha256: "ab".repeat(32), size: None },
//!     input: Input::Numbers { shape: vec![1, 4], values: vec![6.1, 2.8, 4.7, 1.2] },
//!     runs: 1,
//!     tuning: None,
//!     tune_ms: 0.0,
//! };
//! let json = serde_json::to_string(&request)?;
//! assert_eq!(serde_json::from_str::<Request>(&json)?, request);
//! # Ok::<(), serde_json::Error>(())
//! ```

#[cfg(feature = "engine")]
mod engine;
mod protocol;

#[cfg(feature = "engine")]
pub use engine::{Engine, Error, Tuning, loaded, prepare, verify};
pub use protocol::{
    Bench, BenchOptions, Data, Dim, Input, LoadOptions, Loaded, ModelRef, ModelSpec, NamedTensor,
    Outcome, Output, PlanUse, ProcessReply, ProcessRequest, Reply, Report, Request, Run, Tensor,
    TensorSpec, Tried, Tuned,
};
