//! Loading models as `run`, `bench`, `info` and the worker do: threads, and the plan and tuning kept in the cache per model sha256.

use anyhow::Context as _;
use cache::Cache;
use infer::LoadOptions;
use manifest::Sha256;
use runtime::{Opened, Tensor};
use std::path::PathBuf;
use std::time::Instant;

/// How a command loads models: the flags `run` and `bench` share.
#[derive(clap::Args, Clone, Copy)]
pub(crate) struct LoadArgs {
    /// Threads each run may use [default: the machine's cores]
    #[arg(long, env = "MHUB_THREADS", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Seconds tuning may take when a model is first loaded: tract's convolution strategies
    /// are timed on the real input and the fastest kept in the cache (0: tract's defaults)
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    tune_budget: f64,
    /// Keep a plan (the parsed, decluttered graph) in the cache only for model files of at
    /// least this many bytes: a smaller file parses faster than a plan reads (tract's NNEF
    /// reader takes about 12 ms to set up)
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    plan_min_size: u64,
}

impl LoadArgs {
    /// The threads asked for, else the machine's cores.
    pub(crate) fn threads(&self) -> usize {
        self.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            usize::from,
        )
    }

    /// The worker's load options with the cache folder `cache` and, when the caller has
    /// verified it, the model's sha256.
    pub(crate) fn options(&self, cache: Option<PathBuf>, sha256: Option<&Sha256>) -> LoadOptions {
        LoadOptions {
            cache,
            sha256: sha256.map(ToString::to_string),
            threads: self.threads(),
            tune_ms: (self.tune_budget.max(0.0) * 1e3).min(1e9),
            plan_min_bytes: self.plan_min_size,
        }
    }
}

/// Keeps plans and tunings in the cache. Keeping is best effort: a cache that cannot
/// be read or written costs a parse or a tuning, never the run; what went wrong is noted.
struct CacheKeeper {
    cache: Option<Cache>,
    model: Sha256,
    threads: usize,
    machine: String,
    problems: Vec<String>,
}

impl CacheKeeper {
    fn note<T>(&mut self, result: cache::Result<T>) -> Option<T> {
        result
            .map_err(|e| self.problems.push(crate::chain(&e)))
            .ok()
    }
}

impl runtime::Keeper for CacheKeeper {
    fn plan(&mut self) -> Option<Vec<u8>> {
        let found = self.cache.as_ref()?.plan(&self.model, runtime::ENGINE);
        self.note(found).flatten()
    }

    fn keep_plan(&mut self, plan: &[u8]) -> bool {
        let Some(cache) = &self.cache else {
            return false;
        };
        let kept = cache.store_plan(&self.model, runtime::ENGINE, plan);
        self.note(kept).is_some()
    }

    fn tuning(&mut self) -> Option<String> {
        let found =
            self.cache
                .as_ref()?
                .tuning(&self.model, runtime::ENGINE, &self.machine, self.threads);
        self.note(found).flatten()
    }

    fn keep_tuning(&mut self, text: &str) {
        if let Some(cache) = &self.cache {
            let kept = cache.store_tuning(
                &self.model,
                runtime::ENGINE,
                &self.machine,
                self.threads,
                text,
            );
            self.note(kept);
        }
    }
}

/// A model opened by [`open`], with the milliseconds it took and what went wrong with
/// the cache on the way (never fatal).
pub(crate) struct Loaded {
    pub(crate) opened: Opened,
    pub(crate) load_ms: f64,
    pub(crate) problems: Vec<String>,
}

impl Loaded {
    /// What the protocol says of how the model was loaded.
    pub(crate) fn report(&self) -> infer::Loaded {
        infer::Loaded {
            problems: self.problems.clone(),
            ..infer::loaded(&self.opened)
        }
    }
}

/// Milliseconds since `start`: the clock tuning runs on.
pub(crate) fn clock(start: Instant) -> impl FnMut() -> f64 {
    move || start.elapsed().as_secs_f64() * 1e3
}

/// Opens the ONNX model `bytes` as `options` say: its plan and tuning from the cache when
/// kept there, else parsed (and tuned on `tune_on` within the budget) and kept.
pub(crate) fn open(
    bytes: &[u8],
    options: &LoadOptions,
    tune_on: Option<&Tensor>,
) -> anyhow::Result<Loaded> {
    let model = match options.sha256.as_deref() {
        Some(text) => Sha256::parse(text).context("the model's sha256 is not 64 hex digits")?,
        None => Sha256::of(bytes),
    };
    let mut keeper = CacheKeeper {
        cache: None,
        model,
        threads: options.threads.max(1),
        machine: runtime::machine(),
        problems: Vec::new(),
    };
    if let Some(dir) = &options.cache {
        keeper.cache = keeper.note(Cache::open(dir));
    }
    // Loading starts here: finding the model's digest and the cache is not part of it.
    let started = Instant::now();
    let runtime_options = runtime::Options {
        threads: options.threads,
        plan_min_bytes: usize::try_from(options.plan_min_bytes).unwrap_or(usize::MAX),
        ..runtime::Options::default()
    };
    let tune_on = tune_on.map(|input| runtime::TuneOn {
        inputs: std::slice::from_ref(input),
        budget_ms: options.tune_ms,
    });
    let opened = runtime::open(
        bytes,
        &mut keeper,
        &runtime_options,
        tune_on,
        &mut clock(started),
    )?;
    Ok(Loaded {
        opened,
        load_ms: started.elapsed().as_secs_f64() * 1e3,
        problems: keeper.problems,
    })
}
