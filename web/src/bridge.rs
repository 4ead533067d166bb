//! The page's side of the inference worker: starts it on first use, queues requests until it is ready, keeps models' tunings.
//!
//! The worker tunes a model at its first load in this browser (tract's convolution
//! strategies, timed on the real input); the page keeps the setting in `localStorage`,
//! per machine the worker reports and model sha256, and sends it with later requests so
//! the next visit loads without tuning.

use infer::{Outcome, Reply, Request};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

/// What the page hears back for one request.
pub type Answer = Result<Outcome, String>;

/// Milliseconds the worker may spend tuning a model at its first load.
const TUNE_MS: f64 = 5_000.0;

struct Bridge {
    worker: Worker,
    /// The machine the worker reported when it became ready; `None` until then.
    machine: Option<String>,
    /// Requests (with their image bytes) waiting for the worker to be ready.
    queue: Vec<(Request, JsValue)>,
    /// Each sent request's answer callback and its model's sha256.
    waiting: HashMap<u32, (Callback<Answer>, String)>,
    next_id: u32,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(ErrorEvent)>,
}

thread_local! {
    // One worker for the page's lifetime, so that a loaded model stays loaded across pages.
    static BRIDGE: RefCell<Option<Bridge>> = const { RefCell::new(None) };
}

/// Sends `request` (its id is assigned here) with an image's bytes, and calls `done` with the answer.
pub fn run(mut request: Request, image: Option<Vec<u8>>, done: Callback<Answer>) {
    let started = BRIDGE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(start()?);
        }
        let Some(bridge) = slot.as_mut() else {
            return Err("the inference worker did not start".to_owned());
        };
        bridge.next_id += 1;
        request.id = bridge.next_id;
        request.tune_ms = TUNE_MS;
        let image = image.map_or(JsValue::NULL, |bytes| {
            js_sys::Uint8Array::from(&bytes[..]).into()
        });
        bridge
            .waiting
            .insert(request.id, (done.clone(), request.model.sha256.clone()));
        match &bridge.machine {
            Some(machine) => post(&bridge.worker, machine, request, &image),
            None => {
                bridge.queue.push((request, image));
                Ok(())
            }
        }
    });
    if let Err(message) = started {
        done.emit(Err(message));
    }
}

/// The `localStorage` key of a model's tuning on a machine.
fn tuning_key(machine: &str, sha256: &str) -> String {
    format!("mhub-tuning:{machine}:{}", sha256.to_ascii_lowercase())
}

/// The page's storage, when the browser lets it keep one.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Sends `request` with the tuning kept for its model on `machine`, and its image.
fn post(
    worker: &Worker,
    machine: &str,
    mut request: Request,
    image: &JsValue,
) -> Result<(), String> {
    request.tuning = storage().and_then(|s| {
        s.get_item(&tuning_key(machine, &request.model.sha256))
            .ok()
            .flatten()
    });
    let text = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let message = js_sys::Array::new();
    message.push(&JsValue::from_str(&text));
    message.push(image);
    worker.post_message(&message).map_err(|e| format!("{e:?}"))
}

fn start() -> Result<Bridge, String> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("infer-worker.js", &options)
        .map_err(|e| format!("cannot start the inference worker: {e:?}"))?;
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(|event: MessageEvent| {
        let text = event.data().as_string().unwrap_or_default();
        match serde_json::from_str::<Reply>(&text) {
            Ok(reply) => deliver(reply),
            Err(e) => fail_all(&format!("the inference worker sent a malformed reply: {e}")),
        }
    });
    let on_error = Closure::<dyn Fn(ErrorEvent)>::new(|event: ErrorEvent| {
        event.prevent_default();
        let detail = event.message();
        let detail = if detail.is_empty() {
            "it could not be loaded".to_owned()
        } else {
            detail
        };
        fail_all(&format!("the inference worker stopped: {detail}"));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Bridge {
        worker,
        machine: None,
        queue: Vec::new(),
        waiting: HashMap::new(),
        next_id: 0,
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn deliver(reply: Reply) {
    let answered = BRIDGE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let bridge = slot.as_mut()?;
        match reply {
            Reply::Ready { machine } => {
                for (request, image) in std::mem::take(&mut bridge.queue) {
                    // A failed post surfaces as the worker's error event.
                    let _ = post(&bridge.worker, &machine, request, &image);
                }
                bridge.machine = Some(machine);
                None
            }
            Reply::Done { id, outcome } => {
                let (callback, sha256) = bridge.waiting.remove(&id)?;
                // A tuning found at this load is kept for the next visit; storage that is
                // full or refused only means tuning again.
                if let (Some(loaded), Some(storage)) = (&outcome.loaded, storage())
                    && loaded.tuned.is_some()
                {
                    let key = tuning_key(&loaded.machine, &sha256);
                    let _ = storage.set_item(&key, &loaded.tuning_text);
                }
                Some((callback, Ok(*outcome)))
            }
            Reply::Failed { id, message } => bridge
                .waiting
                .remove(&id)
                .map(|(callback, _)| (callback, Err(message))),
        }
    });
    // Callbacks run after the borrow ends: they may send the next request.
    if let Some((callback, answer)) = answered {
        callback.emit(answer);
    }
}

/// Fails every waiting request and drops the worker; the next request starts a fresh one.
fn fail_all(message: &str) {
    let waiting = BRIDGE.with(|cell| {
        let bridge = cell.borrow_mut().take();
        bridge.map(|b| {
            b.worker.terminate();
            // This may run inside one of the closures: they must outlive the call, so they are leaked.
            std::mem::forget(b._on_message);
            std::mem::forget(b._on_error);
            b.waiting
        })
    });
    for (_, (callback, _)) in waiting.into_iter().flatten() {
        callback.emit(Err(message.to_owned()));
    }
}
