//! Per-model tuning: tract's convolution strategy settings (and the thread count), tried on the real input, the fastest kept.
//!
//! tract picks a strategy for each convolution (lazy or eager im2col, direct spatial,
//! blocked) with fixed thresholds that its knobs expose. The best setting differs per
//! model and per machine, so [`tune`] optimises the model under each candidate setting,
//! times it on the caller's inputs and keeps the fastest, within a time budget. A
//! candidate that leaves the optimised graph as it was is not timed.

use crate::error::Error;
use crate::model::{Graph, Model, Options, one_line};
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tract_onnx::tract_core::knobs::KnobScope;

/// The engine behind this crate: plans and tunings are valid for it only, so it is part
/// of every key they are kept under.
pub const ENGINE: &str = "tract-0.23.9";

/// The knobs [`tune`] tries, each with the values worth trying besides tract's default.
const CANDIDATES: &[(&str, &[&str])] = &[
    // Kernel volume from which a convolution gathers its patches lazily (default 6: 3x3
    // and up). Eager im2col for 3x3 (10), for 5x5 too (26), or never lazily by size.
    ("TRACT_LAZY_IM2COL_MIN_KERNEL", &["10", "26", "1000"]),
    ("TRACT_DISABLE_DIRECT_SPATIAL", &["true"]),
    #[cfg(not(target_arch = "wasm32"))]
    ("TRACT_ENABLE_BLOCKED_CONV", &["true"]),
    #[cfg(target_arch = "wasm32")]
    ("TRACT_DISABLE_BLOCKED_CONV", &["true"]),
    // Patch matrices above this size go lazy (default 4 MiB natively, 1 MiB in wasm).
    ("TRACT_LAZY_IM2COL_MAX_EAGER_BYTES", &["262144", "67108864"]),
];

/// A change is kept only when it is faster than the best so far by this factor.
const KEEP_BELOW: f64 = 0.97;

/// Strategy settings for one model: tract knob names and values (empty: tract's defaults),
/// and at most how many threads a run should use (`None`: as many as it is given).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tuning {
    /// tract knob settings.
    #[serde(default)]
    pub knobs: BTreeMap<String, String>,
    /// The most threads worth using; fewer than allowed when more were slower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}

impl Tuning {
    /// Whether this is tract's defaults.
    pub fn is_default(&self) -> bool {
        self.knobs.is_empty() && self.threads.is_none()
    }

    /// The settings as `NAME=value` pairs, or `default`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.knobs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(threads) = self.threads {
            parts.push(format!("threads<={threads}"));
        }
        if parts.is_empty() {
            "default".to_owned()
        } else {
            parts.join(" ")
        }
    }

    /// The settings as JSON text, which [`Tuning::from_text`] reads back: how callers
    /// store a tuning without knowing its shape.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads [`Tuning::to_text`]'s text; only the knobs [`tune`] tries are accepted, so a
    /// tuning read back from storage cannot set anything else.
    pub fn from_text(text: &str) -> Result<Tuning, Error> {
        let tuning: Tuning =
            serde_json::from_str(text).map_err(|e| Error::Load(format!("invalid tuning: {e}")))?;
        tuning.scope()?;
        Ok(tuning)
    }

    /// The scope that applies these settings while a model is optimised. Only the knobs
    /// [`tune`] tries are accepted.
    pub(crate) fn scope(&self) -> Result<KnobScope, Error> {
        if let Some(name) = self
            .knobs
            .keys()
            .find(|name| !CANDIDATES.iter().any(|(known, _)| known == name))
        {
            return Err(Error::Load(format!("unknown tuning setting `{name}`")));
        }
        KnobScope::new(self.knobs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| Error::Load(format!("invalid tuning: {}", one_line(&e))))
    }

    fn with(&self, name: &str, value: &str) -> Tuning {
        let mut next = self.clone();
        next.knobs.insert(name.to_owned(), value.to_owned());
        next
    }
}

/// One setting [`tune`] timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tried {
    /// The setting.
    pub tuning: Tuning,
    /// Median run time under it, in milliseconds.
    pub run_ms: f64,
}

/// What [`tune`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuned {
    /// Every setting timed, in order; the first is tract's defaults.
    pub tried: Vec<Tried>,
    /// Milliseconds tuning took, optimising included.
    pub spent_ms: f64,
    /// Whether it stopped at its budget before trying every candidate.
    pub cut_short: bool,
}

/// Median of a few runs of `model` on `inputs`, in milliseconds by `clock`, after one
/// untimed run: at least three, more while they take under 100 ms in all, at most nine.
fn time(model: &Model, inputs: &[Tensor], clock: &mut dyn FnMut() -> f64) -> Result<f64, Error> {
    model.run(inputs)?;
    let mut times = Vec::new();
    let started = clock();
    while times.len() < 3 || (times.len() < 9 && clock() - started < 100.0) {
        let t = clock();
        model.run(inputs)?;
        times.push(clock() - t);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The optimised graph's shape: its operators in order, which is what a strategy changes.
fn fingerprint(model: &Model) -> Vec<String> {
    model
        .plan
        .model()
        .nodes()
        .iter()
        .map(|n| n.op.name().into_owned())
        .collect()
}

/// Finds the fastest strategy setting for `graph` on `inputs` and returns the model
/// optimised with it, starting from tract's
/// defaults and changing one knob at a time (keeping a change only when it is faster by
/// more than 3%), then, when `options` allows several threads, trying one. It stops
/// when every candidate is tried or `budget_ms` is spent, measured by `clock` (in
/// milliseconds: the browser has no `Instant`). `options.tuning` is ignored. A graph
/// without convolutions is only tried for threads.
pub fn tune(
    graph: &Graph,
    inputs: &[Tensor],
    options: &Options,
    budget_ms: f64,
    clock: &mut dyn FnMut() -> f64,
) -> Result<(Model, Tuned), Error> {
    let started = clock();
    let build = |tuning: &Tuning| {
        graph.optimise(&Options {
            tuning: tuning.clone(),
            ..options.clone()
        })
    };
    let mut best = build(&Tuning::default())?;
    let mut best_ms = time(&best, inputs, clock)?;
    let mut tried = vec![Tried {
        tuning: Tuning::default(),
        run_ms: best_ms,
    }];
    let mut seen = vec![fingerprint(&best)];
    let mut cut_short = false;
    let knobs = if graph.has_convolutions() {
        CANDIDATES
    } else {
        &[]
    };
    let candidates = knobs
        .iter()
        .flat_map(|(name, values)| values.iter().map(move |value| (*name, *value)));
    for (name, value) in candidates {
        if clock() - started >= budget_ms {
            cut_short = true;
            break;
        }
        let tuning = best.tuning().with(name, value);
        let model = build(&tuning)?;
        let shape = fingerprint(&model);
        if seen.contains(&shape) {
            continue;
        }
        seen.push(shape);
        let ms = time(&model, inputs, clock)?;
        tried.push(Tried { tuning, run_ms: ms });
        if ms < best_ms * KEEP_BELOW {
            (best, best_ms) = (model, ms);
        }
    }
    if best.threads() > 1 {
        if clock() - started >= budget_ms {
            cut_short = true;
        } else {
            let tuning = Tuning {
                threads: Some(1),
                ..best.tuning().clone()
            };
            let model = build(&tuning)?;
            let ms = time(&model, inputs, clock)?;
            tried.push(Tried { tuning, run_ms: ms });
            if ms < best_ms * KEEP_BELOW {
                best = model;
            }
        }
    }
    Ok((
        best,
        Tuned {
            tried,
            spent_ms: clock() - started,
            cut_short,
        },
    ))
}

/// The CPU features that decide tract's kernels here, as one line: part of a tuning's key.
pub fn machine() -> String {
    let mut parts = vec![std::env::consts::ARCH.to_owned()];
    #[cfg(target_arch = "x86_64")]
    {
        let detected = [
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
        ];
        parts.extend(
            detected
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| (*n).to_owned()),
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        let detected = [
            (
                "dotprod",
                std::arch::is_aarch64_feature_detected!("dotprod"),
            ),
            ("fp16", std::arch::is_aarch64_feature_detected!("fp16")),
            ("sve", std::arch::is_aarch64_feature_detected!("sve")),
        ];
        parts.extend(
            detected
                .iter()
                .filter(|(_, on)| *on)
                .map(|(n, _)| (*n).to_owned()),
        );
    }
    #[cfg(target_arch = "wasm32")]
    if cfg!(target_feature = "relaxed-simd") {
        parts.push("relaxed-simd".to_owned());
    } else if cfg!(target_feature = "simd128") {
        parts.push("simd128".to_owned());
    }
    parts.join("+")
}
