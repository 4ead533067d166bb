//! A model's page: its card rendered, metadata, assets, commands to copy, and "try it".

use super::tryit::TryIt;
use super::{Load, error_box, fetch_text, hub_url};
use crate::markdown;
use crate::present::{bytes, commands, featured_image};
use manifest::{Card, IndexEntry, Options};
use yew::prelude::*;

/// The model page's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The model's UID, from the URL.
    pub uid: String,
    /// Its index entry; `Ready(None)` when the index has no such model.
    pub entry: Load<Option<IndexEntry>>,
    /// Whether the index was verified with a trusted key: the card must then be the one
    /// it pins, or nothing of it is shown or run.
    pub verified: bool,
}

#[component]
pub fn ModelPage(props: &Props) -> Html {
    let card = use_state(|| Load::<String>::Loading);
    // Whether the card's Chinese twin is shown instead of it.
    let chinese = use_state_eq(|| false);
    // The card shown: the twin when it is asked for and there is one.
    let shown_path = match &props.entry {
        Load::Ready(Some(entry)) => Some(match (&entry.translation, *chinese) {
            (Some(twin), true) => twin.clone(),
            _ => entry.card.clone(),
        }),
        _ => None,
    };
    {
        let card = card.clone();
        use_effect_with(shown_path.clone(), move |path| {
            card.set(Load::Loading);
            if let Some(path) = path.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    card.set(match fetch_text(&path).await {
                        Ok(text) => Load::Ready(text),
                        Err(e) => Load::Failed(e),
                    });
                });
            }
        });
    }
    let entry = match &props.entry {
        Load::Loading => {
            return html! { <p class="status" role="status">{ "Loading the hub index…" }</p> };
        }
        Load::Failed(message) => return error_box("The hub index is not available", message),
        Load::Ready(None) => {
            return error_box(
                "No such model",
                &format!("the hub's index has no model `{}`", props.uid),
            );
        }
        Load::Ready(Some(entry)) => entry,
    };
    let twin = shown_path.as_deref() != Some(entry.card.as_str());
    let source = match &*card {
        Load::Loading => {
            return html! { <p class="status" role="status">{ "Loading the card…" }</p> };
        }
        Load::Failed(message) => return error_box("The card is not available", message),
        Load::Ready(source) => source,
    };
    if props.verified
        && !twin
        && let Err(message) = crate::signing::check_card(entry, source)
    {
        return error_box("The card differs from the signed index", &message);
    }
    // The signature pins the card, not its translation: only the card's own text may
    // set up a run of a verified model.
    let may_run = !(props.verified && twin);
    let shown_path = shown_path.as_deref().unwrap_or(&entry.card);
    let card_path = shown_path.trim_start_matches("assets/");
    let card: Card = manifest::check(
        source,
        &Options {
            card_path: Some(card_path),
            ..Options::default()
        },
    )
    .card;
    // Relative links and pictures are the card's own: resolved against its folder.
    let folder = &shown_path[..shown_path.rfind('/').map_or(0, |i| i + 1)];
    let body = markdown::render(manifest::body(source), folder);
    let featured = card
        .featured_image
        .as_deref()
        .and_then(|name| featured_image(&entry.uid, name));
    let toggle = entry.translation.as_ref().map(|_| {
        let now = *chinese;
        let chinese = chinese.clone();
        let onclick = Callback::from(move |_: MouseEvent| chinese.set(!now));
        let (label, lang) = if now {
            ("English", "en")
        } else {
            ("中文", "zh")
        };
        html! {
            <button type="button" class="lang" onclick={onclick} lang={lang}>{ label }</button>
        }
    });
    let image_input = card.inputs.first().is_some_and(|i| i.image.is_some());
    let (pull, run) = commands(&hub_url(), &entry.uid, image_input);
    let onnx = entry
        .assets
        .iter()
        .find(|a| a.file_format.as_deref() == Some("onnx"))
        .cloned();
    // `mhub run` needs an ONNX file and an input spec; other cards get `pull` only.
    let runnable = onnx.is_some() && !card.inputs.is_empty();
    let labels = entry
        .assets
        .iter()
        .find(|a| a.file_format.as_deref() == Some("labels"))
        .cloned();

    html! {
        <article class="model-page">
            <a class="back" href="#/">{ "← All models" }</a>
            <h1>{ &entry.title }</h1>
            <code class="uid">{ &entry.uid }</code>
            if props.verified && !twin {
                <p class="verified" role="status">{ "✓ card verified against the signed index" }</p>
            }
            if props.verified && twin {
                <p class="status">{ "The translation is not covered by the hub's signature; the English card is." }</p>
            }
            { for toggle }
            if let Some(src) = featured {
                <img class="featured" src={src} alt={format!("{} featured image", entry.title)} />
            }
            { for entry.summary.iter().map(|s| html! { <p class="lead">{ s }</p> }) }
            <div class="commands">
                <CopyLine text={pull} />
                if runnable {
                    <CopyLine text={run} />
                }
            </div>
            if let (true, Some(onnx), Some(input)) = (may_run, onnx, card.inputs.first().cloned()) {
                <TryIt model={onnx} labels={labels} input={input} />
            }
            <div class="columns">
                <section class="body" aria-label="model card">{ Html::from_html_unchecked(body.into()) }</section>
                <aside class="meta">
                    <h2>{ "Details" }</h2>
                    <table class="meta-table">
                        { for metadata(&card).into_iter().map(|(k, v)| html! { <tr><th scope="row">{ k }</th><td>{ v }</td></tr> }) }
                    </table>
                    <h2>{ "Files" }</h2>
                    <ul class="assets">
                        { for entry.assets.iter().map(|a| html! {
                            <li class="asset">
                                <span class="format">{ a.file_format.clone().unwrap_or_default() }</span>
                                <a href={crate::markdown::safe_href(a.asset_link.as_deref().unwrap_or_default())}>{ a.asset_link.clone().unwrap_or_default() }</a>
                                { for a.asset_size.map(|n| html! { <span class="size">{ bytes(n) }</span> }) }
                                <code class="sha" title="sha256">{ a.asset_sha256.clone().unwrap_or_default() }</code>
                            </li>
                        }) }
                    </ul>
                </aside>
            </div>
        </article>
    }
}

/// The card's fields worth a row in the details table, in card order.
fn metadata(card: &Card) -> Vec<(&'static str, String)> {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    let task = card.module_type.as_ref().map(|m| match &m.detail {
        Some(d) => format!("{}-{d}", m.category),
        None => m.category.clone(),
    });
    [
        ("model-name", card.model_name.clone()),
        ("backbone", card.backbone_name.clone()),
        ("task", task),
        ("model-version", card.model_version.clone()),
        ("train-dataset", card.train_dataset.clone()),
        ("accuracy", card.accuracy.map(|a| a.to_string())),
        ("evaluation", card.evaluation.clone()),
        ("fine-tunable", card.fine_tunable.map(|f| f.to_string())),
        ("train-backend", list(&card.train_backend)),
        ("infer-backend", list(&card.infer_backend)),
        ("used-for", list(&card.used_for)),
        ("mindspore-version", card.mindspore_version.clone()),
        ("author", card.author.clone()),
        ("update-time", card.update_time.clone()),
        ("license", card.license.clone()),
        ("repo-link", card.repo_link.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

/// A command with a button that copies it.
#[derive(Properties, PartialEq)]
struct CopyProps {
    text: String,
}

#[component]
fn CopyLine(props: &CopyProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let (text, copied) = (props.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        })
    };
    html! {
        <div class="copy-line">
            <code>{ &props.text }</code>
            <button type="button" onclick={onclick} aria-label={format!("copy: {}", props.text)}>
                { if *copied { "Copied" } else { "Copy" } }
            </button>
        </div>
    }
}
