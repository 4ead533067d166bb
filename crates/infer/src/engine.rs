//! Checking model bytes against the card, loading them once, and running requests on them.

use crate::protocol::{Input, Loaded, ModelRef, Output, PlanUse, Tried, Tuned};
use manifest::Sha256;

/// Why a request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes do not have the card's digest.
    #[error("the model fetched from `{url}` has sha256 `{actual}`, but its card says `{expected}`")]
    Digest {
        /// Where the bytes came from.
        url: String,
        /// The card's digest.
        expected: String,
        /// The bytes' digest.
        actual: String,
    },
    /// The bytes do not have the card's size.
    #[error("the model fetched from `{url}` is {actual} bytes, but its card says {expected}")]
    Size {
        /// Where the bytes came from.
        url: String,
        /// The card's size.
        expected: u64,
        /// The bytes' size.
        actual: u64,
    },
    /// A request for a model that is not loaded.
    #[error("model `{0}` is not loaded")]
    NotLoaded(String),
    /// An image input came without its bytes.
    #[error("the request names an image input but carries no image")]
    NoImage,
    /// The runtime refused the model or the input.
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
}

/// Checks `bytes` against the card's digest and size.
pub fn verify(bytes: &[u8], model: &ModelRef) -> Result<(), Error> {
    if let Some(expected) = model.size {
        let actual = bytes.len() as u64;
        if actual != expected {
            return Err(Error::Size {
                url: model.url.clone(),
                expected,
                actual,
            });
        }
    }
    let actual = Sha256::of(bytes);
    // A card that declares less than the full digest cannot vouch for the bytes.
    if Sha256::parse(&model.sha256).as_ref() != Some(&actual) {
        return Err(Error::Digest {
            url: model.url.clone(),
            expected: model.sha256.clone(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// What the protocol says of how [`runtime::open`] opened a model.
pub fn loaded(opened: &runtime::Opened) -> Loaded {
    let model = &opened.model;
    Loaded {
        plan: match opened.plan {
            runtime::PlanUse::Kept => PlanUse::Cached,
            runtime::PlanUse::Written => PlanUse::Written,
            runtime::PlanUse::None => PlanUse::None,
        },
        tuning: model.tuning().describe(),
        tuning_text: model.tuning().to_text(),
        tuned: match &opened.tuning {
            runtime::TuningUse::Tuned(t) => Some(Tuned {
                spent_ms: t.spent_ms,
                tried: t
                    .tried
                    .iter()
                    .map(|tried| Tried {
                        setting: tried.tuning.describe(),
                        run_ms: tried.run_ms,
                    })
                    .collect(),
                cut_short: t.cut_short,
            }),
            _ => None,
        },
        threads: model.threads(),
        machine: runtime::machine(),
        problems: Vec::new(),
    }
}

/// Turns a request's input into a tensor: an image preprocessed as its card says, or numbers.
pub fn prepare(input: &Input, image: Option<&[u8]>) -> Result<runtime::Tensor, Error> {
    Ok(match input {
        Input::Image { image: spec } => {
            let bytes = image.ok_or(Error::NoImage)?;
            runtime::image_tensor(bytes, &runtime::Preprocess::from(spec))?
        }
        Input::Numbers { shape, values } => runtime::Tensor::f32(shape.clone(), values.clone())?,
    })
}

/// The page keeps no plans (a download is the model's own bytes); it keeps tunings in
/// its storage and sends them with each request.
struct PageKeeper<'a> {
    tuning: Option<&'a str>,
}

impl runtime::Keeper for PageKeeper<'_> {
    fn plan(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn keep_plan(&mut self, _: &[u8]) -> bool {
        false
    }
    fn tuning(&mut self) -> Option<String> {
        self.tuning.map(str::to_owned)
    }
    // The reply carries the tuning for the page to keep.
    fn keep_tuning(&mut self, _: &str) {}
}

/// How [`Engine::load`] tunes: the tuning the page kept, else the input to tune on and
/// the milliseconds it may take.
pub struct Tuning<'a> {
    /// The tuning text the page kept for this model and machine.
    pub kept: Option<&'a str>,
    /// The input to tune on, when there is no kept tuning.
    pub input: Option<&'a runtime::Tensor>,
    /// Milliseconds tuning may take; 0 keeps tract's defaults.
    pub budget_ms: f64,
}

/// Holds the last loaded model, keyed by its sha256, so that runs after the first skip loading.
#[derive(Default)]
pub struct Engine {
    loaded: Option<(String, runtime::Model)>,
}

impl Engine {
    /// An engine with no model loaded.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Whether the model with this digest is the one loaded.
    pub fn has(&self, sha256: &str) -> bool {
        self.loaded
            .as_ref()
            .is_some_and(|(sha, _)| sha.eq_ignore_ascii_case(sha256))
    }

    /// Verifies `bytes` against `model` and loads them, replacing the model loaded before,
    /// with the page's kept tuning or one found now; `clock` gives milliseconds.
    pub fn load(
        &mut self,
        model: &ModelRef,
        bytes: &[u8],
        tuning: &Tuning<'_>,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<Loaded, Error> {
        verify(bytes, model)?;
        // Free the old model before building the new one: the browser's memory is small.
        self.loaded = None;
        let mut keeper = PageKeeper {
            tuning: tuning.kept,
        };
        let tune_on = tuning.input.map(|input| runtime::TuneOn {
            inputs: std::slice::from_ref(input),
            budget_ms: tuning.budget_ms,
        });
        let opened = runtime::open(
            bytes,
            &mut keeper,
            &runtime::Options::default(),
            tune_on,
            clock,
        )?;
        let report = loaded(&opened);
        self.loaded = Some((model.sha256.to_ascii_lowercase(), opened.model));
        Ok(report)
    }

    /// Runs the loaded model `runs` times on `input` and returns the last outputs and the
    /// milliseconds of each run by `clock` (preprocessing included).
    pub fn run(
        &self,
        sha256: &str,
        input: &Input,
        image: Option<&[u8]>,
        runs: u32,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<(Vec<Output>, Vec<f64>), Error> {
        let model = match &self.loaded {
            Some((sha, model)) if sha.eq_ignore_ascii_case(sha256) => model,
            _ => return Err(Error::NotLoaded(sha256.to_owned())),
        };
        let mut times = Vec::new();
        let mut last = Vec::new();
        for _ in 0..runs.max(1) {
            let start = clock();
            let tensor = prepare(input, image)?;
            let outputs = model.run(&[tensor])?;
            times.push(clock() - start);
            last = outputs;
        }
        let names = model.outputs().iter().map(|spec| spec.name.clone());
        let outputs = last
            .iter()
            .zip(names)
            .map(|(tensor, name)| Output {
                name,
                shape: tensor.shape().to_vec(),
                values: tensor.to_f32(),
            })
            .collect();
        Ok((outputs, times))
    }
}
