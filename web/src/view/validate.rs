//! The validator: an editor whose diagnostics appear as you type, with the offending lines marked.

use crate::present::{marked_lines, offset};
use manifest::{Options, Profile, Severity};
use web_sys::{DragEvent, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// A card with mistakes, to show what the validator says.
const EXAMPLE: &str = "# Demo\n\n---\n\nmodel-name: demo\n\nbackbone-name: mlp\n\nmodule-type: cv-classification\n\nfine-tunable: maybe\n\nmodel-version: 1.0\n\ntrain-dataset: digits\n\nauthor: you\n\nupdate-time: 2026-11-22\n\nuser-id: you\n\nused-for: inference\n\ntrain-backend: cpu\n\ninfer-backend: cpu\n\nmindspore-version: 1.0\n\nlicense: Apache2.0\n\nsummary: a demo card\n\nasset:\n\n- file-format: onnx\n  asset-link: http://example.com/model.onnx\n  asset-sha256: 2d63bbbe\n\n---\n\n## Introduction\n\nWhat the model does.\n";

#[component]
pub fn ValidatePage() -> Html {
    let text = use_state(String::new);
    let profile = use_state(Profile::default);
    let path = use_state(String::new);
    let area = use_node_ref();
    let backdrop = use_node_ref();
    let gutter = use_node_ref();

    let diagnostics = use_memo(
        ((*text).clone(), *profile, (*path).clone()),
        |(text, profile, path)| {
            let card_path = path.trim().trim_start_matches("assets/");
            let options = Options {
                profile: *profile,
                card_path: (!card_path.is_empty()).then_some(card_path),
                sibling_exists: None,
            };
            manifest::check(text, &options).diagnostics
        },
    );
    let marked = marked_lines(&diagnostics);

    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<HtmlTextAreaElement>() {
                text.set(area.value());
            }
        })
    };
    let onscroll = {
        let (area, backdrop, gutter) = (area.clone(), backdrop.clone(), gutter.clone());
        Callback::from(move |_: Event| {
            let Some(area) = area.cast::<web_sys::Element>() else {
                return;
            };
            if let Some(layer) = backdrop.cast::<web_sys::Element>() {
                layer.set_scroll_top(area.scroll_top());
                layer.set_scroll_left(area.scroll_left());
            }
            if let Some(layer) = gutter.cast::<web_sys::Element>() {
                layer.set_scroll_top(area.scroll_top());
            }
        })
    };
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = {
        let text = text.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let file = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0));
            if let Some(file) = file {
                let text = text.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let read = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                    text.set(read.ok().and_then(|v| v.as_string()).unwrap_or_default());
                });
            }
        })
    };
    let on_profile = {
        let profile = profile.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                profile.set(select.value().parse().unwrap_or_default());
            }
        })
    };
    let on_path = {
        let path = path.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                path.set(input.value());
            }
        })
    };
    let load_example = {
        let text = text.clone();
        Callback::from(move |_: MouseEvent| text.set(EXAMPLE.to_owned()))
    };
    // Selecting a diagnostic puts the cursor on its place in the editor.
    let select = |line: usize, col: usize, len: usize| {
        let (area, text) = (area.clone(), text.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = area.cast::<HtmlTextAreaElement>() {
                let start = offset(&text, line, col);
                let end = start
                    + text[start..]
                        .chars()
                        .take(len.max(1))
                        .map(char::len_utf8)
                        .sum::<usize>();
                let utf16 =
                    |byte: usize| u32::try_from(text[..byte].encode_utf16().count()).unwrap_or(0);
                let _ = area.focus();
                let _ = area.set_selection_range(utf16(start), utf16(end));
            }
        })
    };

    let lines: Vec<&str> = text.split('\n').collect();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let summary = if text.trim().is_empty() {
        html! { <p class="summary">{ "Paste a card, type one, or drop a .md file on the editor." }</p> }
    } else if diagnostics.is_empty() {
        html! { <p class="summary ok" role="status">{ "No problems found." }</p> }
    } else {
        html! {
            <p class="summary bad" role="status">
                { format!("{errors} error{}, {warnings} warning{}", plural(errors), plural(warnings)) }
            </p>
        }
    };
    let severity_class = |s: Severity| {
        if s == Severity::Error {
            "error"
        } else {
            "warning"
        }
    };

    html! {
        <section class="validate">
            <h1>{ "Validate a card" }</h1>
            <div class="controls">
                <label>{ "Rules " }
                    <select onchange={on_profile} aria-label="rules profile">
                        <option value="mhub" selected={*profile == Profile::Mhub}>{ "mhub" }</option>
                        <option value="mindspore" selected={*profile == Profile::Mindspore}>{ "mindspore" }</option>
                    </select>
                </label>
                <label>{ "Path in the hub " }
                    <input type="text" class="path" placeholder="assets/publisher/backend/1.0/name_v1.0_dataset.md"
                        value={(*path).clone()} oninput={on_path} />
                </label>
                <button type="button" onclick={load_example}>{ "Load an example" }</button>
            </div>
            <div class="editor" ondragover={ondragover} ondrop={ondrop}>
                <div class="gutter" ref={gutter} aria-hidden="true">
                    { for (1..=lines.len()).map(|n| {
                        let class = classes!("num", marked.get(&n).map(|s| severity_class(*s)));
                        html! { <div class={class}>{ n }</div> }
                    }) }
                </div>
                <div class="code">
                    <pre class="backdrop" ref={backdrop} aria-hidden="true">
                        { for lines.iter().enumerate().map(|(i, line)| {
                            let n = i + 1;
                            let class = classes!("line", marked.get(&n).map(|s| severity_class(*s)));
                            html! { <div class={class} data-line={n.to_string()}>{ format!("{line}\u{200b}") }</div> }
                        }) }
                    </pre>
                    <textarea ref={area.clone()} class="source" spellcheck="false" wrap="off" aria-label="card source"
                        placeholder="# My model\n\n---\nmodel-name: …\n---\n"
                        value={(*text).clone()} oninput={oninput} onscroll={onscroll} />
                </div>
            </div>
            { summary }
            <ol class="diagnostics">
                { for diagnostics.iter().map(|d| html! {
                    <li class={classes!("diag", severity_class(d.severity))} data-rule={d.rule} data-line={d.span.line.to_string()}>
                        <button type="button" class="where" onclick={select(d.span.line, d.span.col, d.span.len)}
                            title="show in the editor">
                            { format!("{}:{}", d.span.line, d.span.col) }
                        </button>
                        <span class="sev">{ severity_class(d.severity) }</span>
                        <code class="rule">{ d.rule }</code>
                        <span class="message">{ &d.message }</span>
                        { for d.help.iter().map(|h| html! { <p class="help">{ "hint: " }{ h }</p> }) }
                    </li>
                }) }
            </ol>
        </section>
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
