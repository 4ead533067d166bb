//! The messages of both inference workers, as serde types sent as JSON: the page's Web Worker and the `mhub` CLI's child process.
//!
//! The page and its worker exchange [`Request`] and [`Reply`] (image bytes travel beside
//! the JSON). The CLI writes one [`ProcessRequest`] on the stdin of its `mhub __worker`
//! child and reads one [`ProcessReply`] from its stdout. Both conversations share the
//! conventions: enums tagged by `kind` in kebab-case, a failure is one line of text, and
//! every float32 array writes a value JSON cannot hold (NaN, ±infinity) as the string
//! `"nan"`, `"inf"` or `"-inf"` instead of `null`.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
        #[serde(with = "floats")]
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
    /// The tuning the page kept for this model on this machine ([`Loaded::tuning_text`] of an
    /// earlier load); without one, the worker tunes at first load within `tune_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<String>,
    /// Milliseconds tuning may take when the model is first loaded; 0 keeps tract's defaults.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tune_ms: f64,
}

fn one() -> u32 {
    1
}

fn one_thread() -> usize {
    1
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// One output tensor, as float32.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The model's name for it.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    #[serde(with = "floats")]
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
    /// How the model was loaded, when this request loaded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded: Option<Loaded>,
}

/// Where a model's plan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanUse {
    /// Read from the cache: no ONNX parsing or decluttering.
    Cached,
    /// Parsed from ONNX, and the plan kept for the next load.
    Written,
    /// Parsed from ONNX; no plan was kept (no cache, or the graph cannot be written as one).
    None,
}

/// One strategy setting tuning timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tried {
    /// The setting, as `NAME=value` pairs or `default`.
    pub setting: String,
    /// Median run time under it, in milliseconds.
    pub run_ms: f64,
}

/// Tuning done at this load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuned {
    /// Milliseconds it took, optimising included.
    pub spent_ms: f64,
    /// The settings timed, tract's defaults first.
    pub tried: Vec<Tried>,
    /// Whether it stopped at its budget before trying every candidate.
    pub cut_short: bool,
}

/// How a model was loaded: its plan, its tuning, its threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    /// Where its plan came from.
    pub plan: PlanUse,
    /// The strategy settings it runs with, as `NAME=value` pairs or `default`.
    pub tuning: String,
    /// The same settings as text to keep and send back ([`Request::tuning`]).
    pub tuning_text: String,
    /// Tuning done at this load; `None` when a kept tuning (or none) was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned: Option<Tuned>,
    /// Threads each run uses.
    pub threads: usize,
    /// The machine the tuning is for: architecture and the CPU features that pick kernels.
    pub machine: String,
    /// What went wrong keeping the plan or the tuning (the model loaded all the same).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// A message from the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reply {
    /// The worker has started and takes requests.
    Ready {
        /// The machine tunings are kept for: what [`Loaded::machine`] will say.
        #[serde(default)]
        machine: String,
    },
    /// A request succeeded.
    Done {
        /// The request's id.
        id: u32,
        /// What it produced.
        outcome: Box<Outcome>,
    },
    /// A request failed; the message is one line, for the page to show.
    Failed {
        /// The request's id.
        id: u32,
        /// What went wrong.
        message: String,
    },
}

/// A tensor whose element type travels with it: `{"shape": [1, 4], "dtype": "int64", "values": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its element type and values, row-major.
    #[serde(flatten)]
    pub data: Data,
}

/// The values of a [`Tensor`], tagged by their ONNX type name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dtype", content = "values")]
pub enum Data {
    /// 32-bit floats.
    #[serde(rename = "float32")]
    F32(#[serde(with = "floats")] Vec<f32>),
    /// 64-bit integers.
    #[serde(rename = "int64")]
    I64(Vec<i64>),
}

/// A model's output tensor with its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedTensor {
    /// The model's name for it.
    pub name: String,
    /// The tensor.
    #[serde(flatten)]
    pub tensor: Tensor,
}

/// One dimension of a declared shape: `4`, or a symbol such as `"batch"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// A fixed size.
    Fixed(usize),
    /// A symbol, decided at run time.
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

/// A model input or output as the model declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorSpec {
    /// Its name in the graph.
    pub name: String,
    /// Its element type's ONNX name, e.g. `float32`.
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<Dim>,
}

/// A model's inputs and outputs, as it declares them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Its inputs, in order.
    pub inputs: Vec<TensorSpec>,
    /// Its outputs, in order.
    pub outputs: Vec<TensorSpec>,
}

/// The one request the CLI writes on its worker process's stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessRequest {
    /// The `.onnx` file to load: a local file, or a blob the CLI has verified in its cache.
    pub model: PathBuf,
    /// The input to run the model on once; without one the worker only reports the [`ModelSpec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Tensor>,
    /// How to load it.
    #[serde(default, skip_serializing_if = "LoadOptions::is_plain")]
    pub load: LoadOptions,
    /// Benchmark the model on the input instead of running it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<BenchOptions>,
}

/// How the CLI's worker loads a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// The cache folder whose plans and tunings are used and kept; `None`: neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<PathBuf>,
    /// The model file's sha256, when the CLI verified it; else the worker hashes the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Threads each run may use.
    #[serde(default = "one_thread")]
    pub threads: usize,
    /// Milliseconds tuning may take at first load, on the request's input; 0 keeps tract's defaults.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tune_ms: f64,
    /// Plans are kept only for model files of at least this many bytes.
    #[serde(default)]
    pub plan_min_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            cache: None,
            sha256: None,
            threads: 1,
            tune_ms: 0.0,
            plan_min_bytes: 0,
        }
    }
}

impl LoadOptions {
    fn is_plain(&self) -> bool {
        *self == LoadOptions::default()
    }
}

/// What `mhub bench` asks of its worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchOptions {
    /// The longest the timed runs may take, in milliseconds (they stop earlier once the
    /// median is stable).
    pub max_ms: f64,
}

/// What a benchmark measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bench {
    /// Milliseconds of the first load: as `mhub run` loads, plan and tuning from the
    /// cache if kept, else parsing (and tuning) and keeping them.
    pub first_load_ms: f64,
    /// Median milliseconds of the loads after it, from the kept plan and tuning.
    pub load_ms: f64,
    /// How many loads that median is of.
    pub loads: usize,
    /// Median milliseconds of a run.
    pub run_ms: f64,
    /// The 90th percentile of a run, in milliseconds.
    pub p90_ms: f64,
    /// How many timed runs.
    pub runs: usize,
}

/// The one reply the worker process writes on its stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProcessReply {
    /// The model loaded, and ran when the request had an input.
    Done(Box<Report>),
    /// Loading or running failed; the message is one line, for the CLI to show.
    Failed {
        /// What went wrong.
        message: String,
    },
}

/// What the worker process found and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The model's inputs and outputs.
    pub spec: ModelSpec,
    /// Milliseconds spent parsing and optimising it.
    pub load_ms: f64,
    /// The run, when the request had an input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// How it was loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded: Option<Loaded>,
    /// The benchmark, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<Bench>,
}

/// One run of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Its outputs, in the model's order.
    pub outputs: Vec<NamedTensor>,
    /// Milliseconds it took.
    pub run_ms: f64,
}

/// Float32 arrays with NaN and the infinities as strings, which JSON numbers cannot hold.
mod floats {
    use serde::de::{self, Deserializer, Visitor};
    use serde::ser::{SerializeSeq as _, Serializer};

    pub(super) fn serialize<S: Serializer>(
        values: &[f32],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(values.len()))?;
        for value in values {
            match value {
                v if v.is_finite() => seq.serialize_element(v)?,
                v if v.is_nan() => seq.serialize_element("nan")?,
                v if v.is_sign_positive() => seq.serialize_element("inf")?,
                _ => seq.serialize_element("-inf")?,
            }
        }
        seq.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<f32>, D::Error> {
        let values: Vec<Float> = serde::Deserialize::deserialize(deserializer)?;
        Ok(values.into_iter().map(|Float(v)| v).collect())
    }

    struct Float(f32);

    impl<'de> serde::Deserialize<'de> for Float {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Float, D::Error> {
            deserializer.deserialize_any(FloatVisitor)
        }
    }

    struct FloatVisitor;

    // Narrowing to f32 loses nothing: the values were f32 when they were written.
    impl Visitor<'_> for FloatVisitor {
        type Value = Float;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a number, or `nan`, `inf` or `-inf`")
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Float, E> {
            Ok(Float(v as f32))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Float, E> {
            Ok(Float(v as f32))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Float, E> {
            Ok(Float(v as f32))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Float, E> {
            match v {
                "nan" => Ok(Float(f32::NAN)),
                "inf" => Ok(Float(f32::INFINITY)),
                "-inf" => Ok(Float(f32::NEG_INFINITY)),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
    }
}
