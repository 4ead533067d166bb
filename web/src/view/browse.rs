//! The catalogue: search, facet filters with counts, and the matching models.

use crate::catalogue::{Facet, Filters};
use crate::route::Route;
use manifest::Index;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The catalogue's inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The hub's index.
    pub index: Rc<Index>,
    /// The filters the URL names.
    pub filters: Filters,
    /// Called with the next route when a filter changes.
    pub on_change: Callback<Route>,
}

#[component]
pub fn Catalogue(props: &Props) -> Html {
    let models = &props.index.models;
    let shown = props.filters.apply(models);
    let facets = props.filters.facets(models);

    let on_query = {
        let (filters, on_change) = (props.filters.clone(), props.on_change.clone());
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                let mut next = filters.clone();
                next.query = input.value();
                on_change.emit(Route::Catalogue(next));
            }
        })
    };
    let on_facet = |facet: Facet| {
        let (filters, on_change) = (props.filters.clone(), props.on_change.clone());
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                on_change.emit(Route::Catalogue(filters.with(facet, &select.value())));
            }
        })
    };
    let clear = {
        let on_change = props.on_change.clone();
        Callback::from(move |_: MouseEvent| on_change.emit(Route::Catalogue(Filters::default())))
    };

    html! {
        <section class="catalogue">
            <h1>{ "Models" }</h1>
            <div class="search">
                <input type="search" class="query" placeholder="Search by name, task, dataset…" aria-label="search models"
                    value={props.filters.query.clone()} oninput={on_query} />
            </div>
            <div class="facets">
                { for facets.into_iter().map(|(facet, values)| {
                    let chosen = props.filters.chosen.get(&facet).cloned().unwrap_or_default();
                    html! {
                        <label class="facet">
                            <span>{ facet.key() }</span>
                            <select name={facet.key()} onchange={on_facet(facet)}>
                                <option value="" selected={chosen.is_empty()}>{ "any" }</option>
                                { for values.into_iter().map(|(value, count)| html! {
                                    <option value={value.clone()} selected={value == chosen}>
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
            <ul class="models">
                { for shown.into_iter().map(|entry| {
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
                            </ul>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
