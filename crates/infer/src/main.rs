//! The inference Web Worker: takes requests from the page, fetches and verifies models, runs them.

#[cfg(not(target_arch = "wasm32"))]
compile_error!(
    "the `infer` binary is a Web Worker: build it for wasm32-unknown-unknown (`cargo xtask web`)"
);

use infer::{Engine, Input, Outcome, Reply, Request};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let engine = Rc::new(RefCell::new(Engine::new()));
    let handler_scope = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let scope = handler_scope.clone();
        let engine = Rc::clone(&engine);
        wasm_bindgen_futures::spawn_local(async move {
            let reply = answer(&scope, &engine, &event.data()).await;
            post(&scope, &reply);
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(
        &scope,
        &Reply::Ready {
            machine: runtime::machine(),
        },
    );
}

/// Sends a reply to the page as JSON text.
fn post(scope: &DedicatedWorkerGlobalScope, reply: &Reply) {
    if let Ok(text) = serde_json::to_string(reply) {
        // A failed post means the page has gone away: nobody is left to tell.
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Milliseconds since the worker started.
fn now(scope: &DedicatedWorkerGlobalScope) -> f64 {
    scope.performance().map_or(0.0, |p| p.now())
}

/// The one-line text of a JavaScript error.
fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Fetches `url` whole.
async fn fetch(scope: &DedicatedWorkerGlobalScope, url: &str) -> Result<Vec<u8>, String> {
    let failed = |e: JsValue| format!("cannot fetch `{url}`: {}", js_message(&e));
    let response: web_sys::Response = JsFuture::from(scope.fetch_with_str(url))
        .await
        .map_err(failed)?
        .unchecked_into();
    if !response.ok() {
        return Err(format!(
            "cannot fetch `{url}`: the server answered {}",
            response.status()
        ));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Serves one message: `[request JSON, image bytes or null]`.
async fn answer(
    scope: &DedicatedWorkerGlobalScope,
    engine: &RefCell<Engine>,
    data: &JsValue,
) -> Reply {
    let parts: js_sys::Array = data.clone().unchecked_into();
    let text = parts.get(0).as_string().unwrap_or_default();
    let request: Request = match serde_json::from_str(&text) {
        Ok(request) => request,
        Err(e) => {
            return Reply::Failed {
                id: 0,
                message: format!("malformed request: {e}"),
            };
        }
    };
    let image = parts
        .get(1)
        .dyn_into::<js_sys::Uint8Array>()
        .ok()
        .map(|bytes| bytes.to_vec());
    match serve(scope, engine, &request, image.as_deref()).await {
        Ok(outcome) => Reply::Done {
            id: request.id,
            outcome: Box::new(outcome),
        },
        Err(message) => Reply::Failed {
            id: request.id,
            message,
        },
    }
}

async fn serve(
    scope: &DedicatedWorkerGlobalScope,
    engine: &RefCell<Engine>,
    request: &Request,
    image: Option<&[u8]>,
) -> Result<Outcome, String> {
    let model = &request.model;
    let (mut fetch_ms, mut load_ms, mut loaded) = (None, None, None);
    if matches!(request.input, Input::Image { .. }) && image.is_none() {
        return Err(infer::Error::NoImage.to_string());
    }
    let mut clock = || now(scope);
    if !engine.borrow().has(&model.sha256) {
        let start = now(scope);
        let bytes = fetch(scope, &model.url).await?;
        let fetched = now(scope);
        // Tuning runs on the real input; without a kept tuning and with a budget only.
        let input = match (&request.tuning, request.tune_ms > 0.0) {
            (None, true) => Some(infer::prepare(&request.input, image).map_err(|e| e.to_string())?),
            _ => None,
        };
        let tuning = infer::Tuning {
            kept: request.tuning.as_deref(),
            input: input.as_ref(),
            budget_ms: request.tune_ms,
        };
        loaded = Some(
            engine
                .borrow_mut()
                .load(model, &bytes, &tuning, &mut clock)
                .map_err(|e| e.to_string())?,
        );
        fetch_ms = Some(fetched - start);
        load_ms = Some(now(scope) - fetched);
    }
    let (outputs, run_ms) = engine
        .borrow()
        .run(
            &model.sha256,
            &request.input,
            image,
            request.runs,
            &mut clock,
        )
        .map_err(|e| e.to_string())?;
    Ok(Outcome {
        outputs,
        fetch_ms,
        load_ms,
        run_ms,
        loaded,
    })
}
