//! Untrusted models run in a worker process with memory and CPU limits, so an abort or an out-of-memory kill is only an error.

use anyhow::{Context as _, bail};
use runtime::{Data, Model, Tensor};
use serde_json::{Value, json};
use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Limits for a worker.
#[derive(clap::Args, Clone, Copy)]
pub(crate) struct Limits {
    /// Memory a local model may use, in MiB (it runs in a separate process)
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    memory_limit: u64,
    /// CPU seconds a local model may use to load and run
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    time_limit: u64,
}

/// Arguments of the hidden `mhub __worker` command.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    input: Option<PathBuf>,
    #[command(flatten)]
    limits: Limits,
}

fn tensor_json(name: &str, t: &Tensor) -> Value {
    json!({"name": name, "dtype": t.data().dtype(), "shape": t.shape(), "data": t.data()})
}

/// Reads a tensor back from [`tensor_json`].
pub(crate) fn tensor_from_json(v: &Value) -> anyhow::Result<(String, Tensor)> {
    let name = v["name"].as_str().unwrap_or_default().to_owned();
    let shape: Vec<usize> =
        serde_json::from_value(v["shape"].clone()).context("worker sent a bad shape")?;
    let data = match v["dtype"].as_str() {
        Some("int64") => {
            Data::I64(serde_json::from_value(v["data"].clone()).context("worker sent bad data")?)
        }
        _ => Data::F32(serde_json::from_value(v["data"].clone()).context("worker sent bad data")?),
    };
    Ok((name, Tensor::new(shape, data)?))
}

/// The worker itself: limits itself, then loads (and runs) the model, and prints JSON.
pub(crate) fn serve(args: &Args) -> anyhow::Result<crate::Outcome> {
    let memory = args.limits.memory_limit.saturating_mul(1 << 20);
    rlimit::setrlimit(rlimit::Resource::AS, memory, memory)
        .context("cannot limit the worker's memory")?;
    let cpu = args.limits.time_limit.max(1);
    rlimit::setrlimit(rlimit::Resource::CPU, cpu, cpu.saturating_add(1))
        .context("cannot limit the worker's time")?;
    let result = (|| -> anyhow::Result<Value> {
        let bytes = std::fs::read(&args.model)
            .with_context(|| format!("cannot read `{}`", args.model.display()))?;
        let started = Instant::now();
        let model = Model::load(&bytes)?;
        let load_ms = started.elapsed().as_secs_f64() * 1e3;
        let mut value =
            json!({"inputs": model.inputs(), "outputs_spec": model.outputs(), "load_ms": load_ms});
        if let Some(input) = &args.input {
            let tensor = crate::run::read_input(input)?;
            let started = Instant::now();
            let outputs = model.run(&[tensor])?;
            value["run_ms"] = json!(started.elapsed().as_secs_f64() * 1e3);
            value["outputs"] = json!(
                model
                    .outputs()
                    .iter()
                    .zip(&outputs)
                    .map(|(s, t)| tensor_json(&s.name, t))
                    .collect::<Vec<_>>()
            );
        }
        Ok(value)
    })();
    let value = result.unwrap_or_else(|e| json!({"error": crate::chain(e.as_ref())}));
    crate::print(&format!("{value}\n"))?;
    Ok(crate::Outcome::Clean)
}

/// Runs the worker on `model` (and `input`) and returns what it printed.
pub(crate) fn call(model: &Path, input: Option<&Path>, limits: Limits) -> anyhow::Result<Value> {
    let exe =
        std::env::current_exe().context("cannot find the mhub executable to start a worker")?;
    let mut cmd = Command::new(exe);
    cmd.arg("__worker").arg("--model").arg(model);
    if let Some(input) = input {
        cmd.arg("--input").arg(input);
    }
    cmd.args([
        "--memory-limit",
        &limits.memory_limit.to_string(),
        "--time-limit",
        &limits.time_limit.to_string(),
    ]);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start a worker process")?;
    let mut stdout = child.stdout.take().context("worker has no output")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    // CPU time is limited inside the worker; wall time here, with room for waiting on the disk.
    let deadline =
        Instant::now() + Duration::from_secs(limits.time_limit.saturating_mul(2).saturating_add(5));
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the worker")? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the model ran past its time limit and was stopped (raise it with --time-limit)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = reader.join().unwrap_or_default();
    if let Some(signal) = status.signal() {
        let why = match signal {
            24 => "it used up its CPU time (raise it with --time-limit)",
            9 => {
                "it was killed, most likely for using too much memory (raise it with --memory-limit)"
            }
            6 => {
                "it aborted, most likely on a failed allocation (raise --memory-limit if the model is large)"
            }
            _ => "it crashed",
        };
        bail!("the model stopped its worker with signal {signal}: {why}");
    }
    let value: Value = serde_json::from_str(text.trim())
        .with_context(|| format!("the worker failed ({status}) without a report"))?;
    if let Some(error) = value["error"].as_str() {
        bail!("{error}");
    }
    Ok(value)
}
