//! DOM tests in headless Chromium (`wasm-bindgen-test`): the app rendered into a real document.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{
    Document, Element, HtmlTextAreaElement, InputEventInit, MutationObserver, MutationObserverInit,
};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// Resolves once `test` holds for `root`, re-checking on every DOM change below it.
async fn until(root: &Element, test: impl Fn(&Element) -> bool + 'static) {
    if test(root) {
        return;
    }
    // A promise resolved by a MutationObserver callback.
    let (mut sender, receiver) = resolvable();
    let root_clone = root.clone();
    let callback = Closure::<dyn FnMut()>::new(move || {
        if test(&root_clone) {
            sender();
        }
    });
    let observer = MutationObserver::new(callback.as_ref().unchecked_ref()).expect("observer");
    let options = MutationObserverInit::new();
    options.set_subtree(true);
    options.set_child_list(true);
    options.set_attributes(true);
    options.set_character_data(true);
    observer
        .observe_with_options(root, &options)
        .expect("observe");
    wasm_bindgen_futures::JsFuture::from(receiver)
        .await
        .expect("condition");
    observer.disconnect();
    drop(callback);
}

/// A promise and the function that resolves it.
fn resolvable() -> (impl FnMut(), js_sys::Promise) {
    let mut resolve_slot: Option<js_sys::Function> = None;
    let promise = js_sys::Promise::new(&mut |resolve, _| resolve_slot = Some(resolve));
    let mut resolve = resolve_slot;
    let fire = move || {
        if let Some(f) = resolve.take() {
            let _ = f.call0(&JsValue::NULL);
        }
    };
    (fire, promise)
}

#[wasm_bindgen_test]
fn card_html_put_in_the_dom_runs_nothing() {
    let div = document().create_element("div").expect("div");
    div.set_inner_html(&web::markdown::render(
        "# T\n\n<script>window.pwned = 1</script>\n\n<img src=x onerror=\"window.pwned = 2\">\n\n[a](javascript:window.pwned=3)\n",
        "assets/pub/1.0/",
    ));
    assert_eq!(div.query_selector_all("script").expect("query").length(), 0);
    assert_eq!(div.query_selector_all("img").expect("query").length(), 0);
    let link = div.query_selector("a").expect("query").expect("a link");
    assert_eq!(link.get_attribute("href").as_deref(), Some("#"));
    assert!(div.text_content().unwrap_or_default().contains("<script>"));
}

#[wasm_bindgen_test]
async fn the_validator_marks_lines_as_the_card_is_typed() {
    let window = web_sys::window().expect("window");
    window.location().set_hash("#/validate").expect("hash");
    let root = document().create_element("div").expect("div");
    document()
        .body()
        .expect("body")
        .append_child(&root)
        .expect("append");
    yew::Renderer::<web::App>::with_root(root.clone()).render();
    until(&root, |r| {
        r.query_selector("textarea.source").ok().flatten().is_some()
    })
    .await;

    let area: HtmlTextAreaElement = root
        .query_selector("textarea.source")
        .ok()
        .flatten()
        .expect("editor")
        .unchecked_into();
    area.set_value("# Demo\n---\nmodel-name: demo\nfine-tunable: maybe\n---\n");
    let init = InputEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).expect("event");
    area.dispatch_event(&event).expect("dispatch");
    until(&root, |r| {
        r.query_selector(".diag[data-rule=\"wrong-type\"]")
            .ok()
            .flatten()
            .is_some()
    })
    .await;

    let place = root
        .query_selector(".diag[data-rule=\"wrong-type\"] .where")
        .ok()
        .flatten()
        .and_then(|e| e.text_content());
    assert_eq!(place.as_deref(), Some("4:15"));
    let marked = root
        .query_selector_all(".backdrop .line.error")
        .expect("query");
    let lines: Vec<String> = (0..marked.length())
        .filter_map(|i| marked.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .filter_map(|e| e.get_attribute("data-line"))
        .collect();
    assert_eq!(lines, ["2", "4"]);
    let summary = root
        .query_selector(".summary")
        .ok()
        .flatten()
        .and_then(|e| e.text_content());
    assert_eq!(summary.as_deref(), Some("2 errors, 0 warnings"));
}
