//! `mhub run`: pull a model through the verified cache, run it on an input file, print the result.

use crate::hub::{HubArgs, Target, target};
use crate::progress::Bars;
use crate::{Outcome, print};
use anyhow::{Context as _, bail};
use cache::Source;
use runtime::{Data, Model, Tensor, npy};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mhub run`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// A model id, or `owner/repo[:ref]` followed by an entrypoint
    model: String,
    /// The entrypoint, for a repository
    entry: Option<String>,
    /// The input: a `.npy` file, or a `.json` file of (nested) numbers
    #[arg(long, short)]
    input: PathBuf,
    /// How many classes to show when the model scores classes
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Also write the first output to this `.npy` file
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hub: HubArgs,
}

/// Reads nested JSON arrays of numbers as a float tensor.
fn json_tensor(value: &serde_json::Value) -> anyhow::Result<Tensor> {
    fn walk(
        v: &serde_json::Value,
        depth: usize,
        shape: &mut Vec<usize>,
        out: &mut Vec<f32>,
    ) -> anyhow::Result<()> {
        match v {
            serde_json::Value::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    bail!(
                        "rows of different lengths: {} and {}",
                        shape[depth],
                        items.len()
                    );
                }
                items
                    .iter()
                    .try_for_each(|i| walk(i, depth + 1, shape, out))
            }
            #[allow(clippy::cast_possible_truncation)]
            serde_json::Value::Number(n) => {
                out.push(n.as_f64().context("not a finite number")? as f32);
                Ok(())
            }
            other => bail!("expected numbers and arrays, found `{other}`"),
        }
    }
    let (mut shape, mut data) = (Vec::new(), Vec::new());
    walk(value, 0, &mut shape, &mut data)?;
    Ok(Tensor::f32(shape, data)?)
}

fn read_input(path: &Path) -> anyhow::Result<Tensor> {
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

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let bars = Bars::new(args.hub.quiet);
    let pulled = match target(&args.model, args.entry.as_deref())? {
        Target::Model(uid) => args.hub.open(None)?.pull(&uid, false, &bars)?,
        Target::Entry(repo, name) => args
            .hub
            .open(Some(Source::Repo(repo.clone())))?
            .pull_entry(&repo, &name, false, &bars)?,
    };
    let onnx = pulled
        .assets
        .iter()
        .find(|a| a.format.as_deref() == Some("onnx"))
        .with_context(|| format!("`{}` has no onnx asset to run", pulled.key))?;
    let labels: Vec<String> = match pulled
        .assets
        .iter()
        .find(|a| a.format.as_deref() == Some("labels"))
    {
        Some(a) => std::fs::read_to_string(&a.path)
            .with_context(|| format!("cannot read `{}`", a.path.display()))?
            .lines()
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    let input = read_input(&args.input)?;
    let bytes = std::fs::read(&onnx.path)
        .with_context(|| format!("cannot read `{}`", onnx.path.display()))?;
    let started = Instant::now();
    let model = Model::load(&bytes)?;
    let loaded = started.elapsed();
    let started = Instant::now();
    let outputs = model.run(&[input])?;
    let ran = started.elapsed();
    let first = outputs.first().context("the model returned no output")?;
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
            "model": pulled.key,
            "outputs": model.outputs().iter().zip(&outputs).map(|(spec, t)| json!({"name": spec.name, "shape": t.shape(), "data": t.data()})).collect::<Vec<_>>(),
            "top": top,
            "load_ms": loaded.as_secs_f64() * 1e3,
            "run_ms": ran.as_secs_f64() * 1e3,
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
            for (spec, t) in model.outputs().iter().zip(&outputs) {
                text += &format!("{} {:?}: {:?}\n", spec.name, t.shape(), t.to_f32());
            }
        }
    }
    text += &format!(
        "{} in {:.2} ms (load {:.1} ms)\n",
        pulled.key,
        ran.as_secs_f64() * 1e3,
        loaded.as_secs_f64() * 1e3
    );
    print(&text)?;
    Ok(Outcome::Clean)
}
