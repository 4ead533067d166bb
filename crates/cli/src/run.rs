//! `mhub run`: pull a model through the verified cache, run it on an input file, print the result.

use crate::hub::{HubArgs, Target, target};
use crate::load::LoadArgs;
use crate::progress::Bars;
use crate::{Outcome, print, warn, worker};
use anyhow::{Context as _, bail};
use cache::Source;
use runtime::{Data, Tensor, npy};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mhub run`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A model id, `owner/repo[:ref]` followed by an entrypoint, or a local `.onnx` file
    model: String,
    /// The entrypoint, for a repository
    entry: Option<String>,
    /// The input: a `.npy` file, or a `.json` file of (nested) numbers
    #[arg(long, short)]
    input: PathBuf,
    /// How many classes to show when the model scores classes
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Class names, one per line, for a local `.onnx` file (hub models bring their own)
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Also write the first output to this `.npy` file
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    limits: worker::Limits,
    #[command(flatten)]
    hub: HubArgs,
}

/// Reads nested JSON arrays of numbers as a float tensor: every row at one depth has the
/// same length, and numbers sit at one depth only (`[[1, 2], 3]` is refused).
fn json_tensor(value: &serde_json::Value) -> anyhow::Result<Tensor> {
    /// The shape found so far, and the depth numbers sit at once one was seen.
    struct Walk {
        shape: Vec<usize>,
        leaves: Option<usize>,
        out: Vec<f32>,
    }
    fn walk(v: &serde_json::Value, depth: usize, w: &mut Walk) -> anyhow::Result<()> {
        match v {
            serde_json::Value::Array(items) => {
                if w.leaves.is_some_and(|leaves| depth >= leaves) {
                    bail!("an array where a number should be, at depth {depth}");
                }
                if w.shape.len() == depth {
                    w.shape.push(items.len());
                } else if w.shape[depth] != items.len() {
                    bail!(
                        "rows of different lengths: {} and {}",
                        w.shape[depth],
                        items.len()
                    );
                }
                items.iter().try_for_each(|i| walk(i, depth + 1, w))
            }
            #[allow(clippy::cast_possible_truncation)]
            serde_json::Value::Number(n) => {
                if w.leaves.is_none_or(|leaves| leaves == depth) && w.shape.len() == depth {
                    w.leaves = Some(depth);
                } else {
                    bail!("a number where an array should be, at depth {depth}");
                }
                w.out
                    .push(n.as_f64().context("not a finite number")? as f32);
                Ok(())
            }
            other => bail!("expected numbers and arrays, found `{other}`"),
        }
    }
    let mut w = Walk {
        shape: Vec::new(),
        leaves: None,
        out: Vec::new(),
    };
    walk(value, 0, &mut w)?;
    Ok(Tensor::f32(w.shape, w.out)?)
}

/// Reads an input tensor from a `.npy` file or a `.json` array of numbers.
pub(crate) fn read_input(path: &Path) -> anyhow::Result<Tensor> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "npy" => {
            Ok(npy::read(&bytes).with_context(|| format!("cannot read `{}`", path.display()))?)
        }
        "json" => {
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("`{}` is not JSON", path.display()))?;
            json_tensor(&value)
                .with_context(|| format!("`{}` is not an array of numbers", path.display()))
        }
        "png" | "jpg" | "jpeg" => bail!(
            "an image input needs a hub card that says how to preprocess it: give a `.npy` file or a `.json` array of numbers"
        ),
        other => bail!(
            "cannot read inputs from `.{other}` files: give a `.npy` file or a `.json` array of numbers"
        ),
    }
}

/// The classes with the highest scores: (index, score), best first.
fn top(scores: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(k);
    ranked
}

/// A finished run: outputs by name, and how long loading and running took.
struct Ran {
    name: String,
    outputs: Vec<(String, Tensor)>,
    load_ms: f64,
    run_ms: f64,
    /// Whether it ran in the limited worker process (else in this one).
    isolated: bool,
    /// How it was loaded.
    loaded: Option<infer::Loaded>,
}

impl Ran {
    /// The run a worker reported.
    fn from_worker(name: String, report: infer::Report) -> anyhow::Result<Ran> {
        let run = report.run.context("the worker sent no outputs")?;
        let outputs = run
            .outputs
            .into_iter()
            .map(|output| {
                let tensor = worker::from_protocol(output.tensor)
                    .with_context(|| format!("the worker sent a bad output `{}`", output.name))?;
                Ok((output.name, tensor))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Ran {
            name,
            outputs,
            load_ms: report.load_ms,
            run_ms: run.run_ms,
            isolated: true,
            loaded: report.loaded,
        })
    }
}

fn read_labels(path: &Path) -> anyhow::Result<Vec<String>> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .lines()
        .map(str::to_owned)
        .collect())
}

fn is_image(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg")
}

/// Checks the card's declared inputs and outputs against the model's own.
fn check_card(key: &str, card: &manifest::Card, model: &infer::ModelSpec) -> anyhow::Result<()> {
    for (what, declared, actual) in [
        ("input", &card.inputs, &model.inputs),
        ("output", &card.outputs, &model.outputs),
    ] {
        for spec in declared {
            let Some(real) = actual.iter().find(|a| a.name == spec.name) else {
                let names: Vec<String> = actual.iter().map(|a| format!("`{}`", a.name)).collect();
                bail!(
                    "the card of `{key}` declares {what} `{}`, but the model's {what}s are {}",
                    spec.name,
                    names.join(", ")
                );
            };
            if let Some(dtype) = spec.dtype.as_deref().filter(|d| *d != real.dtype) {
                bail!(
                    "the card of `{key}` declares {what} `{}` as {dtype}, but the model has {}",
                    spec.name,
                    real.dtype
                );
            }
            let fits = spec.shape.is_empty()
                || spec.shape.len() == real.shape.len()
                    && spec.shape.iter().zip(&real.shape).all(|(d, r)| *d < 0 || !matches!(r, infer::Dim::Fixed(n) if u64::try_from(*d).ok() != Some(*n as u64)));
            if !fits {
                let real_shape: Vec<String> = real.shape.iter().map(ToString::to_string).collect();
                bail!(
                    "the card of `{key}` declares {what} `{}` with shape {:?}, but the model has [{}]",
                    spec.name,
                    spec.shape,
                    real_shape.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// Says on standard error what loading did that the user should know: a tuning found
/// now that took long enough to notice, and trouble keeping the plan or tuning in the cache.
pub(crate) fn tell_load(loaded: &infer::Loaded, quiet: bool) {
    for problem in &loaded.problems {
        warn(&format!("warning: {problem}\n"));
    }
    if let Some(tuned) = loaded
        .tuned
        .as_ref()
        .filter(|t| !quiet && t.spent_ms >= 1000.0)
    {
        warn(&format!(
            "tuned in {:.1} s ({} settings timed{}): {} is kept for this model\n",
            tuned.spent_ms / 1e3,
            tuned.tried.len(),
            if tuned.cut_short {
                ", stopped at the budget"
            } else {
                ""
            },
            loaded.tuning
        ));
    }
}

/// Reads the input file for a model with this card: a picture preprocessed as the card's
/// `image:` section says, else a `.npy` or `.json` tensor.
pub(crate) fn input_for(path: &Path, card: &manifest::Card, key: &str) -> anyhow::Result<Tensor> {
    match (
        is_image(path),
        card.inputs.first().and_then(|i| i.image.as_ref()),
    ) {
        (true, Some(spec)) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
            Ok(
                runtime::image_tensor(&bytes, &runtime::Preprocess::from(spec))
                    .with_context(|| format!("cannot use `{}` as input", path.display()))?,
            )
        }
        (true, None) => bail!(
            "the card of `{key}` declares no image preprocessing: give a `.npy` or `.json` input"
        ),
        (false, _) => read_input(path),
    }
}

/// Pulls a hub model (verified) and runs it in this process.
fn run_pulled(args: &Args) -> anyhow::Result<(Ran, Vec<String>)> {
    let bars = Bars::new(args.hub.quiet);
    let (pulled, trusted) = match target(&args.model, args.entry.as_deref())? {
        Target::Model(uid) => {
            let hub = args.hub.open(None)?;
            (
                hub.pull(&uid, false, &bars)?,
                // In-process only for a hub tree on disk the user named; a `hub/` found in
                // the working directory may be anyone's.
                args.hub.is_named() && matches!(hub.source(), Source::Local(_)),
            )
        }
        Target::Entry(repo, name) => {
            let hub = args.hub.open(Some(Source::Repo(repo.clone())))?;
            (hub.pull_entry(&repo, &name, false, &bars)?, false)
        }
    };
    let onnx = pulled
        .assets
        .iter()
        .find(|a| a.format.as_deref() == Some("onnx"))
        .with_context(|| format!("`{}` has no onnx asset to run", pulled.key))?;
    let labels = match pulled
        .assets
        .iter()
        .find(|a| a.format.as_deref() == Some("labels"))
    {
        Some(a) => read_labels(&a.path)?,
        None => Vec::new(),
    };
    let card = &pulled.card;
    let input = input_for(&args.input, card, &pulled.key)?;
    let options = args
        .load
        .options(Some(args.hub.cache_dir()?), Some(&onnx.sha256));
    if !trusted {
        // Only a hub tree on this machine that the user named runs in-process; models
        // from a found `hub/`, an HTTP hub or a repository run in a limited worker, like
        // local files.
        let request = worker::run_request(&onnx.path, &input, options);
        let report = worker::exchange(&request, args.limits)?;
        check_card(&pulled.key, card, &report.spec)?;
        return Ok((Ran::from_worker(pulled.key, report)?, labels));
    }
    let bytes = std::fs::read(&onnx.path)
        .with_context(|| format!("cannot read `{}`", onnx.path.display()))?;
    let loaded = crate::load::open(&bytes, &options, Some(&input))?;
    let (load_ms, report) = (loaded.load_ms, loaded.report());
    let model = loaded.opened.model;
    check_card(&pulled.key, card, &worker::model_spec(&model))?;
    let started = Instant::now();
    let outputs = model.run(&[input])?;
    let run_ms = started.elapsed().as_secs_f64() * 1e3;
    let outputs = model
        .outputs()
        .iter()
        .map(|s| s.name.clone())
        .zip(outputs)
        .collect();
    Ok((
        Ran {
            name: pulled.key,
            outputs,
            load_ms,
            run_ms,
            isolated: false,
            loaded: Some(report),
        },
        labels,
    ))
}

/// Runs a local `.onnx` file in a worker process with memory and time limits.
fn run_local(args: &Args) -> anyhow::Result<(Ran, Vec<String>)> {
    let path = PathBuf::from(&args.model);
    if args.entry.is_some() {
        bail!("a local model takes no entrypoint");
    }
    // The input is read here, so its errors name the file plainly; it travels to the worker inline.
    let input = read_input(&args.input)?;
    let options = args.load.options(Some(args.hub.cache_dir()?), None);
    let report = worker::exchange(&worker::run_request(&path, &input, options), args.limits)?;
    let labels = args
        .labels
        .as_deref()
        .map(read_labels)
        .transpose()?
        .unwrap_or_default();
    Ok((
        Ran::from_worker(path.display().to_string(), report)?,
        labels,
    ))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let (ran, labels) = if worker::is_local_model(&args.model) {
        run_local(args)?
    } else {
        run_pulled(args)?
    };
    if let Some(loaded) = &ran.loaded {
        tell_load(loaded, args.hub.quiet);
    }
    let (_, first) = ran
        .outputs
        .first()
        .context("the model returned no output")?;
    if let Some(path) = &args.output {
        std::fs::write(path, npy::write(first))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let scores = first.to_f32();
    let classes = (first.shape().iter().filter(|d| **d > 1).count() == 1
        && matches!(first.data(), Data::F32(_)))
    .then(|| top(&scores, args.top_k));
    let label = |i: usize| labels.get(i).cloned().unwrap_or_else(|| i.to_string());
    if args.json {
        let top: Vec<_> = classes
            .iter()
            .flatten()
            .map(|(i, s)| json!({"class": i, "label": label(*i), "score": s}))
            .collect();
        let value = json!({
            "model": ran.name,
            "outputs": ran.outputs.iter().map(|(name, t)| json!({"name": name, "shape": t.shape(), "data": t.data()})).collect::<Vec<_>>(),
            "top": top,
            "load_ms": ran.load_ms,
            "run_ms": ran.run_ms,
            "isolated": ran.isolated,
            "threads": ran.loaded.as_ref().map(|l| l.threads),
            "tuning": ran.loaded.as_ref().map(|l| l.tuning.clone()),
            "plan": ran.loaded.as_ref().map(|l| l.plan),
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
        return Ok(Outcome::Clean);
    }
    let mut text = String::new();
    match &classes {
        Some(ranked) => {
            for (i, score) in ranked {
                text += &format!("{:<12} {score:.4}\n", label(*i));
            }
        }
        None => {
            for (name, t) in &ran.outputs {
                text += &format!("{name} {:?}: {:?}\n", t.shape(), t.to_f32());
            }
        }
    }
    text += &format!(
        "{} in {:.2} ms (load {:.1} ms)\n",
        ran.name, ran.run_ms, ran.load_ms
    );
    print(&text)?;
    Ok(Outcome::Clean)
}
