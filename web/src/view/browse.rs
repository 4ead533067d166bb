//! The catalogue: search, facet filters with counts, and the matching models, of which only the rows on screen are rendered.

use crate::catalogue::{Facet, Filters, Searchable};
use crate::route::Route;
use manifest::{Index, IndexEntry};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The height of one model's card in pixels: every card is this tall, so the list's
/// rows have one pitch and the rows on screen follow from the scroll position.
const CARD_PX: f64 = 176.0;
/// The gap between cards, across and down.
const GAP_PX: f64 = 16.0;
/// From one row of cards to the next.
const PITCH_PX: f64 = CARD_PX + GAP_PX;
/// Rows rendered beyond each edge of the screen, so a quick scroll shows no blank.
const OVERSCAN: usize = 3;

/// The catalogue's inputs.
#[derive(Properties)]
pub struct Props {
    /// The hub's index.
    pub index: Rc<Index>,
    /// The filters the URL names when the catalogue opens (or the URL changes).
    pub filters: Filters,
}

impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        // The same index is the same allocation; comparing 100,000 entries would cost a frame.
        Rc::ptr_eq(&self.index, &other.index) && self.filters == other.filters
    }
}

/// Where the list is on screen: the first row of cards at the top of the window, how
/// many cards make a row, and how many rows the window holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Viewport {
    first_row: usize,
    columns: usize,
    rows: usize,
}

impl Viewport {
    /// Measures the list `list` in the window.
    fn measure(list: &web_sys::Element) -> Option<Viewport> {
        let window = web_sys::window()?;
        let top = list.get_bounding_client_rect().top();
        let height = window.inner_height().ok()?.as_f64()?;
        // The grid's own column count: `repeat(auto-fill, …)` resolved by the browser.
        let columns = window
            .get_computed_style(list)
            .ok()
            .flatten()
            .and_then(|style| style.get_property_value("grid-template-columns").ok())
            .map_or(1, |tracks| tracks.split_whitespace().count().max(1));
        Some(Viewport {
            first_row: to_rows((-top).max(0.0)),
            columns,
            rows: to_rows(height) + 1,
        })
    }
}

/// How many whole rows of cards fit in `px` pixels.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_rows(px: f64) -> usize {
    (px / PITCH_PX).floor().clamp(0.0, 1e9) as usize
}

/// Writes the filters into the address bar without a history entry per keystroke and
/// without a `hashchange`: the catalogue holds them; the URL only records them.
fn record(filters: &Filters) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let hash = Route::Catalogue(filters.clone()).to_hash();
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&hash));
    }
}

#[component]
pub fn Catalogue(props: &Props) -> Html {
    let searchable = {
        let index = Rc::clone(&props.index);
        use_memo(Rc::as_ptr(&props.index) as usize, move |_| {
            Searchable::new(&index.models)
        })
    };
    let filters = use_state_eq(|| props.filters.clone());
    {
        // The URL changed under the catalogue (a link, the back button): follow it.
        let filters = filters.clone();
        use_effect_with(props.filters.clone(), move |next| filters.set(next.clone()));
    }
    let selection = {
        let searchable = Rc::clone(&searchable);
        use_memo((*filters).clone(), move |f| searchable.select(f))
    };
    let list = use_node_ref();
    let viewport = use_state_eq(|| Viewport {
        first_row: 0,
        columns: 1,
        rows: web_sys::window()
            .and_then(|w| w.inner_height().ok())
            .and_then(|h| h.as_f64())
            .map_or(8, |h| to_rows(h) + 1),
    });
    {
        let (list, viewport) = (list.clone(), viewport.clone());
        use_effect_with((), move |()| {
            let measure = move || {
                if let Some(found) = list
                    .cast::<web_sys::Element>()
                    .and_then(|l| Viewport::measure(&l))
                {
                    viewport.set(found);
                }
            };
            measure();
            let listener = Closure::<dyn Fn()>::new(measure);
            let window = web_sys::window();
            for event in ["scroll", "resize"] {
                if let Some(w) = &window {
                    let _ = w
                        .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
                }
            }
            move || {
                for event in ["scroll", "resize"] {
                    if let Some(w) = &window {
                        let _ = w.remove_event_listener_with_callback(
                            event,
                            listener.as_ref().unchecked_ref(),
                        );
                    }
                }
            }
        });
    }

    let change = {
        let filters = filters.clone();
        move |next: Filters| {
            record(&next);
            filters.set(next);
        }
    };
    let on_query = {
        let (current, change) = (filters.clone(), change.clone());
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let mut next = (*current).clone();
                next.query = input.value();
                change(next);
            }
        })
    };
    let on_facet = |facet: Facet| {
        let (current, change) = (filters.clone(), change.clone());
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                change(current.with(facet, &select.value()));
            }
        })
    };
    let clear = {
        let change = change.clone();
        Callback::from(move |_: MouseEvent| change(Filters::default()))
    };

    let models = &props.index.models;
    let shown = &selection.shown;
    // Only the rows on screen, and a few beyond, are in the page; padding stands for the rest.
    let Viewport {
        first_row,
        columns,
        rows,
    } = *viewport;
    let total_rows = shown.len().div_ceil(columns);
    let start_row = first_row.saturating_sub(OVERSCAN).min(total_rows);
    let end_row = (first_row + rows + OVERSCAN).min(total_rows);
    let window =
        &shown[(start_row * columns).min(shown.len())..(end_row * columns).min(shown.len())];
    #[allow(clippy::cast_precision_loss)]
    let padding = format!(
        "padding-top: {}px; padding-bottom: {}px",
        start_row as f64 * PITCH_PX,
        (total_rows - end_row) as f64 * PITCH_PX
    );

    html! {
        <section class="catalogue">
            <h1>{ "Models" }</h1>
            <div class="search">
                <input type="search" class="query" placeholder="Search by name, task, dataset…" aria-label="search models"
                    value={filters.query.clone()} oninput={on_query} />
            </div>
            <div class="facets">
                { for selection.facets.iter().map(|(facet, values)| {
                    let chosen = filters.chosen.get(facet).cloned().unwrap_or_default();
                    html! {
                        <label class="facet">
                            <span>{ facet.key() }</span>
                            <select name={facet.key()} onchange={on_facet(*facet)}>
                                <option value="" selected={chosen.is_empty()}>{ "any" }</option>
                                { for values.iter().map(|(value, count)| html! {
                                    <option value={value.clone()} selected={*value == chosen}>
                                        { format!("{value} ({count})") }
                                    </option>
                                }) }
                            </select>
                        </label>
                    }
                }) }
                <button type="button" class="clear" onclick={clear}>{ "Clear filters" }</button>
            </div>
            <p class="count" role="status">{ format!("{} of {} models", shown.len(), models.len()) }</p>
            <ul class="models" ref={list} style={padding}>
                // Keyed by place in the list, not by model: when the filters change, the
                // cards already in the page are given other models and only their text
                // changes, instead of every card being torn down and built again.
                { for window.iter().zip(start_row * columns..).map(|(&i, place)| html! { <ModelCard key={place} entry={ModelEntry(Rc::clone(&props.index), i)} /> }) }
            </ul>
        </section>
    }
}

/// One entry of an index, by position: cheap to compare, so a card re-renders only when
/// the entry it shows changes.
#[derive(Clone)]
struct ModelEntry(Rc<Index>, usize);

impl PartialEq for ModelEntry {
    fn eq(&self, other: &ModelEntry) -> bool {
        Rc::ptr_eq(&self.0, &other.0) && self.1 == other.1
    }
}

impl ModelEntry {
    fn get(&self) -> Option<&IndexEntry> {
        self.0.models.get(self.1)
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    entry: ModelEntry,
}

/// One model in the list: title, UID, summary and tags, in a card of the fixed height.
#[component]
fn ModelCard(props: &CardProps) -> Html {
    let Some(entry) = props.entry.get() else {
        return Html::default();
    };
    let formats = Facet::Format.values(entry);
    html! {
        <li class="model" data-uid={entry.uid.clone()}>
            <a href={Route::Model(entry.uid.clone()).to_hash()}>
                <h2>{ &entry.title }</h2>
                <code class="uid">{ &entry.uid }</code>
            </a>
            { for entry.summary.iter().map(|s| html! { <p class="summary">{ s }</p> }) }
            <ul class="tags">
                { for entry.task.iter().map(|t| html! { <li class="tag task">{ t }</li> }) }
                { for entry.dataset.iter().map(|d| html! { <li class="tag dataset">{ d }</li> }) }
                { for entry.backends.iter().map(|b| html! { <li class="tag backend">{ b }</li> }) }
                { for formats.iter().map(|f| html! { <li class="tag format">{ f }</li> }) }
                if entry.translation.is_some() {
                    <li class="tag lang" title="this card has a Chinese version">{ "中文" }</li>
                }
            </ul>
        </li>
    }
}
