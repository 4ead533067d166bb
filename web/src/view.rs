//! The app's components: the shell with its routing, and one module per page.

mod browse;
mod model;
mod tryit;
mod validate;

use crate::route::Route;
use crate::signing::{self, Signing};
use manifest::Index;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// Something fetched: still loading, arrived, or failed with a message for the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    /// Not arrived yet.
    Loading,
    /// Arrived.
    Ready(T),
    /// Failed; the message says what and where.
    Failed(String),
}

/// Fetches `url` (relative to the page) as bytes; errors say which URL and what happened.
/// The bytes come straight from the response's buffer: a large `index.json` is not
/// decoded into a JavaScript string and back.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("cannot fetch `{url}`: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "cannot fetch `{url}`: the server answered {}",
            response.status()
        ));
    }
    response
        .binary()
        .await
        .map_err(|e| format!("cannot read `{url}`: {e}"))
}

/// Fetches `url` as bytes, `None` when the server has no such file (404).
async fn fetch_optional(url: &str) -> Result<Option<Vec<u8>>, String> {
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|e| format!("cannot fetch `{url}`: {e}"))?;
    match response.status() {
        404 => Ok(None),
        status if !response.ok() => Err(format!(
            "cannot fetch `{url}`: the server answered {status}"
        )),
        _ => response
            .binary()
            .await
            .map(Some)
            .map_err(|e| format!("cannot read `{url}`: {e}")),
    }
}

/// The page's storage, when the browser lets it keep one.
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The index, checked with the trusted key when the user set one; what was seen of the
/// hub is stored only after every check passed.
async fn load_index() -> Result<(Index, Signing), String> {
    let store = storage();
    let trusted = store
        .as_ref()
        .and_then(|s| s.get_item(signing::TRUST_KEY).ok().flatten())
        .filter(|t| !t.trim().is_empty());
    let bytes = fetch_bytes("index.json").await?;
    let Some(trusted) = trusted else {
        let (index, signing, _) = signing::check(&bytes, None, None, None, 0)?;
        return Ok((index, signing));
    };
    let signature = fetch_optional(manifest::SIGNATURE_FILE).await?;
    let seen_key = signing::seen_key(&hub_url());
    let seen = store
        .as_ref()
        .and_then(|s| s.get_item(&seen_key).ok().flatten());
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let (index, signing, next) = signing::check(
        &bytes,
        signature.as_deref(),
        Some(&trusted),
        seen.as_deref(),
        now,
    )?;
    if let (Some(store), Some(next)) = (store, next)
        && let Ok(json) = serde_json::to_string(&next)
    {
        let _ = store.set_item(&seen_key, &json);
    }
    Ok((index, signing))
}

/// Fetches `url` (relative to the page) as UTF-8 text; errors say which URL and what happened.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let bytes = fetch_bytes(url).await?;
    String::from_utf8(bytes).map_err(|_| format!("`{url}` is not UTF-8 text"))
}

/// `url` made absolute against the page's address.
pub fn absolute(url: &str) -> String {
    let base = page_address();
    web_sys::Url::new_with_base(url, &base).map_or_else(|_| url.to_owned(), |u| u.href())
}

/// The page's address without its hash and file name: the hub's base URL.
pub fn hub_url() -> String {
    let base = page_address();
    let without_hash = base.split('#').next().unwrap_or_default();
    let without_query = without_hash.split('?').next().unwrap_or_default();
    match without_query.rfind('/') {
        Some(slash) => without_query[..=slash].to_owned(),
        None => without_query.to_owned(),
    }
}

fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

thread_local! {
    /// How many times the hash changed: a page keyed on it starts afresh from the URL on
    /// every navigation, even one to the address it already shows.
    static NAVIGATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

/// The whole app: header, the page the URL names, footer.
#[component]
pub fn App() -> Html {
    let route = use_state(current_route);
    let index = use_state(|| Load::<Rc<Index>>::Loading);
    let signing = use_state(|| Signing::NotChecked);

    // Follow the hash as links and the back button change it.
    {
        let route = route.clone();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn()>::new(move || {
                NAVIGATIONS.set(NAVIGATIONS.get() + 1);
                route.set(current_route());
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    // The hub's index, once.
    {
        let index = index.clone();
        let signing = signing.clone();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                match load_index().await {
                    Ok((parsed, checked)) => {
                        signing.set(checked);
                        index.set(Load::Ready(Rc::new(parsed)));
                    }
                    Err(e) => index.set(Load::Failed(e)),
                }
            });
        });
    }
    let page = match &*route {
        Route::Validate => html! { <validate::ValidatePage /> },
        Route::Catalogue(filters) => match &*index {
            Load::Ready(index) => html! {
                <browse::Catalogue key={NAVIGATIONS.get()} index={Rc::clone(index)} filters={filters.clone()} />
            },
            Load::Loading => {
                html! { <p class="status" role="status">{ "Loading the hub index…" }</p> }
            }
            Load::Failed(message) => error_box("The catalogue is not available", message),
        },
        Route::Model(uid) => {
            let entry = match &*index {
                Load::Ready(index) => {
                    Load::Ready(index.models.iter().find(|m| &m.uid == uid).cloned())
                }
                Load::Loading => Load::Loading,
                Load::Failed(message) => Load::Failed(message.clone()),
            };
            html! { <model::ModelPage uid={uid.clone()} entry={entry} verified={signing.is_verified()} /> }
        }
        Route::NotFound(hash) => {
            error_box("Page not found", &format!("nothing lives at `#{hash}`"))
        }
    };
    let is_validate = matches!(&*route, Route::Validate);
    html! {
        <>
            <header class="top">
                <a class="brand" href="#/">{ "mhub" }</a>
                <nav aria-label="main">
                    <a href="#/" class={classes!((!is_validate).then_some("current"))}>{ "Catalogue" }</a>
                    <a href="#/validate" class={classes!(is_validate.then_some("current"))}>{ "Validate a card" }</a>
                </nav>
            </header>
            <TrustBar signing={(*signing).clone()} />
            <main id="main">{ page }</main>
            <footer>{ "mhub — cards checked and models run in your browser, with the same code as the mhub CLI." }</footer>
        </>
    }
}

/// The trusted key's form and what it found: the key is kept in `localStorage` and the
/// page reloads to check the hub with it.
#[component]
fn TrustBar(props: &TrustBarProps) -> Html {
    let kept = storage()
        .and_then(|s| s.get_item(signing::TRUST_KEY).ok().flatten())
        .unwrap_or_default();
    let input = use_node_ref();
    let save = {
        let input = input.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let text = input
                .cast::<web_sys::HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            if let Some(store) = storage() {
                let _ = if text.trim().is_empty() {
                    store.remove_item(signing::TRUST_KEY)
                } else {
                    store.set_item(signing::TRUST_KEY, text.trim())
                };
            }
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        })
    };
    let class = if props.signing.is_verified() {
        "trust verified"
    } else {
        "trust"
    };
    html! {
        <details class={class}>
            <summary role="status">{ props.signing.line() }</summary>
            <form onsubmit={save}>
                <label for="trusted-key">{ "Trusted key (mhub.pub), empty to check nothing" }</label>
                <input id="trusted-key" ref={input} value={kept} spellcheck="false" autocomplete="off"
                    placeholder="mhub-ed25519-public:…" />
                <button type="submit">{ "Trust" }</button>
            </form>
        </details>
    }
}

/// The trust bar's inputs.
#[derive(Properties, PartialEq)]
struct TrustBarProps {
    signing: Signing,
}

/// An error shown in the page: a title and the one-line message.
pub fn error_box(title: &str, message: &str) -> Html {
    html! {
        <div class="error-box" role="alert">
            <strong>{ title }</strong>
            <p>{ message }</p>
        </div>
    }
}
