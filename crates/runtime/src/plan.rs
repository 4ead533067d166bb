//! Plans: a model's decluttered graph as tract's NNEF, with the ONNX names of its inputs and outputs, read back without parsing ONNX again.
//!
//! A plan is one byte string:
//!
//! ```text
//! mhub-plan 1\n                                   magic and format version
//! {"engine":"tract-0.23.9","inputs":[…],"outputs":[…]}\n   one JSON line
//! <NNEF tar>                                      tract's archive of the graph (uncompressed)
//! ```
//!
//! tract's NNEF spells names its own way (`gpu_0/data_0` comes back as `gpu_0_data_0`),
//! so the header keeps the names the model reports. A plan is only read by the tract
//! release that wrote it: another's is refused, and the caller makes a new one. Natively
//! only: the browser keeps no plans.

use crate::error::Error;
use crate::model::{Graph, guarded, one_line};
use crate::tune::ENGINE;
use serde::{Deserialize, Serialize};
use tract_onnx::WithOnnx as _;
use tract_onnx::prelude::Framework as _;

/// The first bytes of every plan.
const MAGIC: &[u8] = b"mhub-plan 1\n";

/// The longest header line read.
const MAX_HEADER: usize = 1 << 20;

/// The JSON line after the magic.
#[derive(Serialize, Deserialize)]
struct Header {
    engine: String,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

/// The NNEF dialect plans are written in: tract's core operators and its ONNX extras. Made
/// once per process: making it parses NNEF's standard library (about 12 ms).
fn nnef() -> &'static tract_nnef::framework::Nnef {
    static NNEF: std::sync::OnceLock<tract_nnef::framework::Nnef> = std::sync::OnceLock::new();
    NNEF.get_or_init(|| tract_nnef::nnef().with_onnx())
}

/// Writes `graph` as a plan.
pub(crate) fn write(graph: &Graph) -> Result<Vec<u8>, Error> {
    let header = Header {
        engine: ENGINE.to_owned(),
        inputs: graph.inputs.clone(),
        outputs: graph.outputs.clone(),
    };
    let mut out = MAGIC.to_vec();
    serde_json::to_writer(&mut out, &header)
        .map_err(|e| Error::Load(format!("cannot write the plan: {e}")))?;
    out.push(b'\n');
    guarded("loading", || {
        nnef()
            .write_to_tar_with_config(&graph.typed, out, false, true)
            .map_err(|e| Error::Load(format!("cannot write the plan: {}", one_line(&e))))
    })
}

/// Reads a plan [`write`] made.
pub(crate) fn read(bytes: &[u8]) -> Result<Graph, Error> {
    let bad = |why: &str| Error::Load(format!("unreadable plan: {why}"));
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("it does not start with `mhub-plan 1`"))?;
    let end = rest
        .iter()
        .take(MAX_HEADER)
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad("its header does not end"))?;
    let header: Header =
        serde_json::from_slice(&rest[..end]).map_err(|e| bad(&format!("its header: {e}")))?;
    if header.engine != ENGINE {
        return Err(bad(&format!(
            "it was written by `{}`, this is `{ENGINE}`",
            header.engine
        )));
    }
    let mut tar = &rest[end + 1..];
    let typed = guarded("loading", || {
        nnef()
            .model_for_read(&mut tar)
            .map_err(|e| Error::Load(format!("unreadable plan: {}", one_line(&e))))
    })?;
    if typed.inputs.len() != header.inputs.len() || typed.outputs.len() != header.outputs.len() {
        return Err(bad(
            "its graph and its header disagree on the inputs and outputs",
        ));
    }
    Ok(Graph {
        typed,
        inputs: header.inputs,
        outputs: header.outputs,
    })
}
