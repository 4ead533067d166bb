//! The messages between the page and the inference worker, as serde types sent as JSON.

use serde::{Deserialize, Serialize};

/// A model to run, and where to fetch it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRef {
    /// Absolute URL of the `.onnx` file.
    pub url: String,
    /// The card's `asset-sha256`: the bytes must have this digest.
    pub sha256: String,
    /// The card's `asset-size`, when it declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// The model's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Input {
    /// A PNG or JPEG image, sent beside the JSON as bytes, preprocessed as the card says.
    Image {
        /// The card's `image:` section.
        image: manifest::ImageSpec,
    },
    /// A float32 tensor.
    Numbers {
        /// Its shape.
        shape: Vec<usize>,
        /// Its values, row-major.
        values: Vec<f32>,
    },
}

/// One request from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Echoed in the reply.
    pub id: u32,
    /// The model.
    pub model: ModelRef,
    /// Its input.
    pub input: Input,
    /// How many times to run it (the latency of each run is reported); at least 1.
    #[serde(default = "one")]
    pub runs: u32,
}

fn one() -> u32 {
    1
}

/// One output tensor, as float32.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The model's name for it.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

/// What a successful request produced, and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The outputs of the last run.
    pub outputs: Vec<Output>,
    /// Milliseconds spent fetching the model; `None` when it was already loaded.
    pub fetch_ms: Option<f64>,
    /// Milliseconds spent checking, parsing and optimising it; `None` when it was already loaded.
    pub load_ms: Option<f64>,
    /// Milliseconds for each run, preprocessing included.
    pub run_ms: Vec<f64>,
}

/// A message from the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reply {
    /// The worker has started and takes requests.
    Ready,
    /// A request succeeded.
    Done {
        /// The request's id.
        id: u32,
        /// What it produced.
        outcome: Outcome,
    },
    /// A request failed; the message is one line, for the page to show.
    Failed {
        /// The request's id.
        id: u32,
        /// What went wrong.
        message: String,
    },
}
