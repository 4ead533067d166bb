//! `mhub bench`: how fast a model loads and runs on this machine, with the threads and the tuning it gets.
//!
//! The model is measured in the limited worker process, like every model that is not
//! from a hub tree the user named: first load as `mhub run` loads (the plan and tuning kept
//! in the cache, else parsed, tuned and kept), then reloads from what was kept, then
//! runs after a warm-up until their median stops moving.

use crate::hub::{HubArgs, Target, target};
use crate::load::LoadArgs;
use crate::progress::Bars;
use crate::run::{input_for, tell_load};
use crate::{Outcome, print, worker};
use anyhow::{Context as _, bail};
use infer::{Bench, BenchOptions, LoadOptions, Report};
use runtime::{Data, Dim, Model, Tensor, TuningUse};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `mhub bench`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A model id, `owner/repo[:ref]` followed by an entrypoint, or a local `.onnx` file
    model: String,
    /// The entrypoint, for a repository
    entry: Option<String>,
    /// The input to time it on (as `mhub run` takes it) [default: a fixed pattern of the
    /// model's input shape, symbolic dimensions as 1]
    #[arg(long, short)]
    input: Option<PathBuf>,
    /// The longest the timed runs may take, in seconds (they stop earlier once the median
    /// is stable)
    #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
    max_time: f64,
    /// Print one JSON object
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    load: LoadArgs,
    /// Memory the model may use, in MiB (it runs in a separate process)
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    memory_limit: u64,
    /// CPU seconds loading, tuning and timing may use, all threads together
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    time_limit: u64,
    #[command(flatten)]
    hub: HubArgs,
}

/// The most timed runs, however quick.
const MAX_RUNS: usize = 10_000;
/// The fewest timed runs, however slow.
const MIN_RUNS: usize = 10;
/// The fewest milliseconds of timed runs before the median may be called stable.
const MIN_MS: f64 = 500.0;
/// The median is stable when ten more runs move it by less than this fraction.
const STABLE: f64 = 0.01;
/// The most reloads timed.
const MAX_LOADS: usize = 5;

/// The `q` quantile (0 to 1) of `values`, which is not empty.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at]
}

/// The benchmark input for `model`: for each input, ((i * 7919) % 256) / 255 (integers as
/// i % 256), symbolic dimensions as 1. The same pattern `cargo xtask bench` gives onnxruntime.
fn pattern(model: &Model) -> anyhow::Result<Vec<Tensor>> {
    model
        .inputs()
        .iter()
        .map(|spec| {
            let shape: Vec<usize> = spec
                .shape
                .iter()
                .map(|d| if let Dim::Fixed(n) = d { *n } else { 1 })
                .collect();
            let count: usize = shape.iter().product();
            let count = u64::try_from(count).context("the input is too large")?;
            #[allow(clippy::cast_precision_loss)]
            let data = match spec.dtype.as_str() {
                "int64" => Data::I64((0..count).map(|i| (i % 256).cast_signed()).collect()),
                _ => Data::F32(
                    (0..count)
                        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
                        .collect(),
                ),
            };
            Ok(Tensor::new(shape, data)?)
        })
        .collect()
}

/// Runs `model` on `inputs` and returns the milliseconds it took.
fn timed(model: &Model, inputs: &[Tensor]) -> anyhow::Result<f64> {
    let started = Instant::now();
    model.run(inputs)?;
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// The benchmark itself, in the worker: first load, reloads, warm-up, timed runs.
pub(crate) fn measure(
    bytes: &[u8],
    load: &LoadOptions,
    input: Option<Tensor>,
    options: &BenchOptions,
) -> anyhow::Result<Report> {
    // The first load is what `mhub run` would do now; it tunes only once it has an input.
    let first = crate::load::open(bytes, load, input.as_ref())?;
    let first_load_ms = first.load_ms;
    let inputs = match input {
        Some(input) => vec![input],
        None => pattern(&first.opened.model)?,
    };
    let mut loaded = first.report();
    let mut model = first.opened.model;
    if first.opened.tuning == TuningUse::Default && load.tune_ms > 0.0 && inputs.len() == 1 {
        // Tuned now, on the pattern, from the plan just kept.
        drop(model);
        let tuned = crate::load::open(bytes, load, Some(&inputs[0]))?;
        loaded = infer::Loaded {
            plan: loaded.plan,
            ..tuned.report()
        };
        model = tuned.opened.model;
    }
    // Reloads, as every later `mhub run` loads.
    let mut loads = Vec::new();
    let started = Instant::now();
    while loads.len() < MAX_LOADS
        && (loads.is_empty() || started.elapsed().as_secs_f64() * 1e3 < options.max_ms / 4.0)
    {
        let again = crate::load::open(bytes, load, None)?;
        loads.push(again.load_ms);
    }
    // Warm-up: three runs, or a second.
    let warm = Instant::now();
    for _ in 0..3 {
        timed(&model, &inputs)?;
        if warm.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    let mut runs = Vec::new();
    let started = Instant::now();
    let mut last_median = f64::NAN;
    loop {
        runs.push(timed(&model, &inputs)?);
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        if runs.len() >= MAX_RUNS || (elapsed >= options.max_ms && runs.len() >= 3) {
            break;
        }
        if runs.len() >= MIN_RUNS && elapsed >= MIN_MS && runs.len() % 10 == 0 {
            let median = quantile(&runs, 0.5);
            if ((median - last_median) / median).abs() < STABLE {
                break;
            }
            last_median = median;
        }
    }
    Ok(Report {
        spec: worker::model_spec(&model),
        load_ms: first_load_ms,
        run: None,
        loaded: Some(loaded),
        bench: Some(Bench {
            first_load_ms,
            load_ms: quantile(&loads, 0.5),
            loads: loads.len(),
            run_ms: quantile(&runs, 0.5),
            p90_ms: quantile(&runs, 0.9),
            runs: runs.len(),
        }),
    })
}

/// `mhub bench`: resolves the model (pulling a hub's, verified), measures it in the worker, prints.
pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    if !(args.max_time > 0.0 && args.max_time.is_finite()) {
        bail!("--max-time must be a positive number of seconds");
    }
    let cache = Some(args.hub.cache_dir()?);
    let (name, path, input, load) = if worker::is_local_model(&args.model) {
        if args.entry.is_some() {
            bail!("a local model takes no entrypoint");
        }
        let input = args
            .input
            .as_deref()
            .map(crate::run::read_input)
            .transpose()?;
        let path = PathBuf::from(&args.model);
        (
            args.model.clone(),
            path,
            input,
            args.load.options(cache, None),
        )
    } else {
        let bars = Bars::new(args.hub.quiet);
        let pulled = match target(&args.model, args.entry.as_deref())? {
            Target::Model(uid) => args.hub.open(None)?.pull(&uid, false, &bars)?,
            Target::Entry(repo, name) => args
                .hub
                .open(Some(cache::Source::Repo(repo.clone())))?
                .pull_entry(&repo, &name, false, &bars)?,
        };
        let onnx = pulled
            .assets
            .iter()
            .find(|a| a.format.as_deref() == Some("onnx"))
            .with_context(|| format!("`{}` has no onnx asset to run", pulled.key))?;
        let input = args
            .input
            .as_deref()
            .map(|path| input_for(path, &pulled.card, &pulled.key))
            .transpose()?;
        let load = args.load.options(cache, Some(&onnx.sha256));
        (pulled.key.clone(), onnx.path.clone(), input, load)
    };
    let request = infer::ProcessRequest {
        input: input.as_ref().map(worker::to_protocol),
        bench: Some(BenchOptions {
            max_ms: args.max_time * 1e3,
        }),
        ..worker::inspect_request(&path, load)
    };
    let limits = worker::Limits {
        memory_limit: args.memory_limit,
        time_limit: args.time_limit,
    };
    let report = worker::exchange(&request, limits)?;
    let bench = report.bench.context("the worker sent no benchmark")?;
    let loaded = report
        .loaded
        .context("the worker did not say how it loaded")?;
    tell_load(&loaded, args.hub.quiet);
    if args.json {
        let value = json!({
            "model": name,
            "load_ms": bench.load_ms,
            "first_load_ms": bench.first_load_ms,
            "loads": bench.loads,
            "run_ms": bench.run_ms,
            "p90_ms": bench.p90_ms,
            "runs": bench.runs,
            "threads": loaded.threads,
            "tuning": loaded.tuning,
            "tuning_ms": loaded.tuned.as_ref().map(|t| t.spent_ms),
            "plan": loaded.plan,
            "machine": loaded.machine,
            "engine": runtime::ENGINE,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
        return Ok(Outcome::Clean);
    }
    print(&text(&name, &bench, &loaded))?;
    Ok(Outcome::Clean)
}

/// The human report.
fn text(name: &str, bench: &Bench, loaded: &infer::Loaded) -> String {
    let (first, again) = match loaded.plan {
        infer::PlanUse::Cached => ("from the kept plan", "from the kept plan"),
        infer::PlanUse::Written => ("parsed, plan kept", "from the kept plan"),
        infer::PlanUse::None => ("parsed, no plan kept", "parsed each time"),
    };
    let tuning = match &loaded.tuned {
        Some(tuned) => {
            let default = tuned.tried.first().map_or(f64::NAN, |t| t.run_ms);
            format!(
                "{} (tuned now in {:.1} s: {} settings timed, tract's defaults {default:.2} ms)",
                loaded.tuning,
                tuned.spent_ms / 1e3,
                tuned.tried.len()
            )
        }
        None => loaded.tuning.clone(),
    };
    format!(
        "model    {name}\nmachine  {} ({}), {} threads\ntuning   {tuning}\n\
         load     {:.1} ms median of {} ({again}); first load {:.1} ms ({first})\n\
         run      {:.3} ms median, {:.3} ms p90, {} runs\n",
        loaded.machine,
        runtime::ENGINE,
        loaded.threads,
        bench.load_ms,
        bench.loads,
        bench.first_load_ms,
        bench.run_ms,
        bench.p90_ms,
        bench.runs
    )
}
