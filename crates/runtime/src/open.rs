//! Opening a model as every caller does: its plan and tuning from wherever they are kept, made and kept at first load.

use crate::error::Error;
use crate::model::{Graph, Model, Options, Source};
use crate::tensor::Tensor;
use crate::tune::{Tuned, Tuning, tune};

/// Where one model's plan and tuning are kept between loads: the cli's cache, the
/// browser's storage. Keeping is best effort; a keeper that cannot keep says so.
pub trait Keeper {
    /// The plan kept for this model, if any.
    fn plan(&mut self) -> Option<Vec<u8>>;
    /// Keeps `plan`; whether it was kept.
    fn keep_plan(&mut self, plan: &[u8]) -> bool;
    /// The tuning kept for this model on this machine with these threads, as text.
    fn tuning(&mut self) -> Option<String>;
    /// Keeps a tuning's text.
    fn keep_tuning(&mut self, text: &str);
}

/// A [`Keeper`] that keeps nothing.
pub struct KeepNothing;

impl Keeper for KeepNothing {
    fn plan(&mut self) -> Option<Vec<u8>> {
        None
    }
    fn keep_plan(&mut self, _: &[u8]) -> bool {
        false
    }
    fn tuning(&mut self) -> Option<String> {
        None
    }
    fn keep_tuning(&mut self, _: &str) {}
}

/// Where an opened model's graph came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanUse {
    /// A kept plan: no ONNX parsing or decluttering.
    Kept,
    /// Parsed from ONNX, and the plan kept.
    Written,
    /// Parsed from ONNX; the plan could not be written or kept.
    None,
}

/// What to tune on at first load: the real inputs, and how long it may take.
pub struct TuneOn<'a> {
    /// The inputs the model will run on.
    pub inputs: &'a [Tensor],
    /// Milliseconds tuning may take; 0 keeps tract's defaults.
    pub budget_ms: f64,
}

/// Where an opened model's tuning came from.
#[derive(Debug, Clone, PartialEq)]
pub enum TuningUse {
    /// The keeper's.
    Kept,
    /// Found now, and kept.
    Tuned(Tuned),
    /// tract's defaults: nothing kept, and nothing to tune on or no budget.
    Default,
}

/// A model opened by [`open`].
pub struct Opened {
    /// The model, ready to run.
    pub model: Model,
    /// Where its graph came from.
    pub plan: PlanUse,
    /// Where its tuning came from.
    pub tuning: TuningUse,
}

/// Opens the ONNX model `onnx`: from the plan `keeper` holds (else parsing `onnx` and
/// keeping its plan; an ONNX file under `options.plan_min_bytes` is parsed each time), optimised with the tuning it holds for this machine (else, when
/// `tune_on` gives inputs and a budget, tuning on them and keeping the result; else tract's
/// defaults). A kept plan or tuning that does not read is made again. `clock` gives
/// milliseconds, for tuning.
pub fn open(
    onnx: &[u8],
    keeper: &mut dyn Keeper,
    options: &Options,
    tune_on: Option<TuneOn<'_>>,
    clock: &mut dyn FnMut() -> f64,
) -> Result<Opened, Error> {
    let planned = onnx.len() >= options.plan_min_bytes;
    let kept = planned
        .then(|| keeper.plan())
        .flatten()
        .and_then(|plan| Graph::read(Source::Plan(&plan), &options.limits).ok());
    let (graph, plan) = match kept {
        Some(graph) => (graph, PlanUse::Kept),
        None => {
            let parsed = Graph::read(Source::Onnx(onnx), &options.limits)?;
            match planned.then(|| parsed.plan()) {
                Some(Ok(bytes)) => {
                    let use_ = if keeper.keep_plan(&bytes) {
                        PlanUse::Written
                    } else {
                        PlanUse::None
                    };
                    // The graph as every later load reads it, so that a model computes the
                    // same from its first load on; tract optimises it at least as well
                    // (densenet121's runs measured 1.8 times faster than from the ONNX graph).
                    let graph =
                        Graph::read(Source::Plan(&bytes), &options.limits).unwrap_or(parsed);
                    (graph, use_)
                }
                _ => (parsed, PlanUse::None),
            }
        }
    };
    if let Some(tuning) = keeper
        .tuning()
        .and_then(|text| Tuning::from_text(&text).ok())
    {
        let model = graph.optimise(&Options {
            tuning,
            ..options.clone()
        })?;
        return Ok(Opened {
            model,
            plan,
            tuning: TuningUse::Kept,
        });
    }
    match tune_on {
        Some(on) if on.budget_ms > 0.0 => {
            let (model, tuned) = tune(&graph, on.inputs, options, on.budget_ms, clock)?;
            keeper.keep_tuning(&model.tuning().to_text());
            Ok(Opened {
                model,
                plan,
                tuning: TuningUse::Tuned(tuned),
            })
        }
        _ => Ok(Opened {
            model: graph.optimise(&Options {
                tuning: Tuning::default(),
                ..options.clone()
            })?,
            plan,
            tuning: TuningUse::Default,
        }),
    }
}
