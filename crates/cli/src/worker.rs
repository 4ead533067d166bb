//! Untrusted models run in a worker process with memory and CPU limits, so an abort or an out-of-memory kill is only an error.
//!
//! The parent writes one [`ProcessRequest`] (the model file, the input tensor inline) on the
//! child's stdin and reads one [`ProcessReply`] from its stdout: the `infer` crate's protocol.

use anyhow::{Context as _, bail};
use infer::{LoadOptions, NamedTensor, ProcessReply, ProcessRequest, Report};
use runtime::{Data, Model, Tensor};
use std::io::{Read, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a model argument is a local `.onnx` file (untrusted: it runs in a worker).
pub(crate) fn is_local_model(text: &str) -> bool {
    text.to_ascii_lowercase().ends_with(".onnx")
}

/// Limits for a worker.
#[derive(clap::Args, Clone, Copy)]
pub(crate) struct Limits {
    /// Memory a local model may use, in MiB (it runs in a separate process)
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    pub(crate) memory_limit: u64,
    /// CPU seconds a local model may use to load and run, all threads together
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) time_limit: u64,
}

/// Arguments of the hidden `mhub __worker` command; the request comes on stdin.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    limits: Limits,
}

/// A tensor as the protocol carries it.
pub(crate) fn to_protocol(tensor: &Tensor) -> infer::Tensor {
    let data = match tensor.data() {
        Data::F32(v) => infer::Data::F32(v.clone()),
        Data::I64(v) => infer::Data::I64(v.clone()),
    };
    infer::Tensor {
        shape: tensor.shape().to_vec(),
        data,
    }
}

/// A tensor the protocol carried; its shape and value count must agree.
pub(crate) fn from_protocol(tensor: infer::Tensor) -> Result<Tensor, runtime::Error> {
    let data = match tensor.data {
        infer::Data::F32(v) => Data::F32(v),
        infer::Data::I64(v) => Data::I64(v),
    };
    Tensor::new(tensor.shape, data)
}

fn to_protocol_spec(spec: &runtime::TensorSpec) -> infer::TensorSpec {
    let shape = spec
        .shape
        .iter()
        .map(|d| match d {
            runtime::Dim::Fixed(n) => infer::Dim::Fixed(*n),
            runtime::Dim::Symbol(s) => infer::Dim::Symbol(s.clone()),
        })
        .collect();
    infer::TensorSpec {
        name: spec.name.clone(),
        dtype: spec.dtype.clone(),
        shape,
    }
}

/// A loaded model's inputs and outputs, as the protocol reports them.
pub(crate) fn model_spec(model: &Model) -> infer::ModelSpec {
    infer::ModelSpec {
        inputs: model.inputs().iter().map(to_protocol_spec).collect(),
        outputs: model.outputs().iter().map(to_protocol_spec).collect(),
    }
}

/// The worker itself: limits itself, reads the request, loads (and runs) the model, and prints the reply.
pub(crate) fn serve(args: &Args) -> anyhow::Result<crate::Outcome> {
    let memory = args.limits.memory_limit.saturating_mul(1 << 20);
    rlimit::setrlimit(rlimit::Resource::AS, memory, memory)
        .context("cannot limit the worker's memory")?;
    let cpu = args.limits.time_limit.max(1);
    rlimit::setrlimit(rlimit::Resource::CPU, cpu, cpu.saturating_add(1))
        .context("cannot limit the worker's time")?;
    // A crash writes no core file: the model's memory is a stranger's, and disks are finite.
    rlimit::setrlimit(rlimit::Resource::CORE, 0, 0).context("cannot turn off core files")?;
    let reply = match answer() {
        Ok(report) => ProcessReply::Done(Box::new(report)),
        Err(e) => ProcessReply::Failed {
            message: crate::chain(e.as_ref()),
        },
    };
    let text = serde_json::to_string(&reply).context("cannot write the worker's reply")?;
    crate::print(&format!("{text}\n"))?;
    Ok(crate::Outcome::Clean)
}

/// Serves the request on stdin.
fn answer() -> anyhow::Result<Report> {
    let request: ProcessRequest = {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the worker's request")?;
        serde_json::from_str(&text).context("the worker got a malformed request")?
    };
    let bytes = std::fs::read(&request.model)
        .with_context(|| format!("cannot read `{}`", request.model.display()))?;
    let input = request.input.map(from_protocol).transpose()?;
    if let Some(bench) = &request.bench {
        return crate::bench::measure(&bytes, &request.load, input, bench);
    }
    let loaded = crate::load::open(&bytes, &request.load, input.as_ref())?;
    let model = &loaded.opened.model;
    let run = match input {
        Some(input) => {
            let started = Instant::now();
            let outputs = model.run(&[input])?;
            let run_ms = started.elapsed().as_secs_f64() * 1e3;
            Some(infer::Run {
                outputs: named(model, &outputs),
                run_ms,
            })
        }
        None => None,
    };
    Ok(Report {
        spec: model_spec(model),
        load_ms: loaded.load_ms,
        run,
        loaded: Some(loaded.report()),
        bench: None,
    })
}

/// A model's outputs with their names, as the protocol carries them.
pub(crate) fn named(model: &Model, outputs: &[Tensor]) -> Vec<NamedTensor> {
    model
        .outputs()
        .iter()
        .zip(outputs)
        .map(|(spec, tensor)| NamedTensor {
            name: spec.name.clone(),
            tensor: to_protocol(tensor),
        })
        .collect()
}

/// The request that loads `model` and reports its inputs and outputs.
pub(crate) fn inspect_request(model: &Path, load: LoadOptions) -> ProcessRequest {
    ProcessRequest {
        model: model.to_owned(),
        input: None,
        load,
        bench: None,
    }
}

/// The request that loads `model` and runs it once on `input`.
pub(crate) fn run_request(model: &Path, input: &Tensor, load: LoadOptions) -> ProcessRequest {
    ProcessRequest {
        input: Some(to_protocol(input)),
        ..inspect_request(model, load)
    }
}

/// The most a worker may print as its reply.
const MAX_REPLY: u64 = 256 << 20;
/// The most of a worker's error output that is kept.
const MAX_STDERR: u64 = 64 << 10;

/// Reads `pipe` to its end, keeping at most `limit` bytes; whether there was more.
fn bounded_read(pipe: impl Read, limit: u64) -> (String, bool) {
    let mut kept = Vec::new();
    let mut pipe = pipe;
    let _ = (&mut pipe).take(limit).read_to_end(&mut kept);
    // The rest is read and dropped, so the writer never blocks.
    let more = std::io::copy(&mut pipe, &mut std::io::sink()).unwrap_or(0) > 0;
    (String::from_utf8_lossy(&kept).into_owned(), more)
}

/// Runs the worker on one request and returns its report, or its failure as an error.
pub(crate) fn exchange(request: &ProcessRequest, limits: Limits) -> anyhow::Result<Report> {
    let exe =
        std::env::current_exe().context("cannot find the mhub executable to start a worker")?;
    exchange_with(Command::new(exe), request, limits)
}

/// [`exchange`] with `program` as the worker, given `__worker` and the limits as arguments.
fn exchange_with(
    mut program: Command,
    request: &ProcessRequest,
    limits: Limits,
) -> anyhow::Result<Report> {
    let body = serde_json::to_vec(request).context("cannot write the worker's request")?;
    let mut child = program
        .arg("__worker")
        .args([
            "--memory-limit",
            &limits.memory_limit.to_string(),
            "--time-limit",
            &limits.time_limit.to_string(),
        ])
        // Nothing of the user's environment (tokens, proxies, paths) reaches the model.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start a worker process")?;
    let mut stdin = child.stdin.take().context("worker has no input")?;
    let stdout = child.stdout.take().context("worker has no output")?;
    let stderr = child.stderr.take().context("worker has no error output")?;
    // Both ends of the pipes on threads: a large request and a large reply cannot deadlock.
    // The writer drops stdin when done, which is the end of the request.
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let (done, finished) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let reply = bounded_read(stdout, MAX_REPLY);
        let _ = done.send(());
        reply
    });
    // Drained so that a chatty worker never blocks on a full pipe; only its start is kept.
    let errors = std::thread::spawn(move || bounded_read(stderr, MAX_STDERR));
    // CPU time is limited inside the worker; wall time here, with room for waiting on the disk.
    let deadline =
        Instant::now() + Duration::from_secs(limits.time_limit.saturating_mul(2).saturating_add(5));
    let stop = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    // The reply ends when the worker closes its output, normally by exiting.
    if finished
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .is_err()
    {
        stop(&mut child);
        bail!("the model ran past its time limit and was stopped (raise it with --time-limit)");
    }
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the worker")? {
            break status;
        }
        if Instant::now() > deadline {
            stop(&mut child);
            bail!("the model ran past its time limit and was stopped (raise it with --time-limit)");
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let (text, overflow) = reader.join().unwrap_or_default();
    let (errors, _) = errors.join().unwrap_or_default();
    // A worker that stopped before reading all of its request breaks the pipe: its exit
    // status and report say why, the broken pipe does not.
    let _ = writer.join();
    if overflow {
        bail!(
            "the worker printed more than {} MiB, more than any report; the model's outputs are too large",
            MAX_REPLY >> 20
        );
    }
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
    let text = text.trim();
    if text.is_empty() {
        let said = errors.trim();
        if said.is_empty() {
            bail!("the worker failed ({status}) without a report");
        }
        bail!(
            "the worker failed ({status}) without a report; it said: {}",
            said.lines().last().unwrap_or(said)
        );
    }
    let reply: ProcessReply =
        serde_json::from_str(text).context("the worker sent a malformed report")?;
    match reply {
        ProcessReply::Done(report) => Ok(*report),
        ProcessReply::Failed { message } => bail!("{message}"),
    }
}

#[cfg(test)]
mod tests;
