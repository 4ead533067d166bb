//! The mhub web app: validate cards, browse a hub's catalogue, read model pages, run models in the page.
//!
//! A client-side rendered [Yew](https://yew.rs) app. It is served next to a
//! hub's `index.json` (by `mhub serve`, or by any static host) and reads
//! everything with relative URLs. Validation uses the same [`manifest`] crate
//! as `mhub validate`, compiled to wasm32, so the rules and messages are the
//! same. Running a model starts a Web Worker built from the `infer` crate,
//! fetched only then, so the first page never downloads tract.
//!
//! The logic that decides what is shown — routes ([`Route`]), catalogue
//! filters and facet counts ([`Filters`]), markdown rendering ([`markdown`]),
//! formatting and ranking ([`present`]), the hub's signature ([`signing`]) — has no DOM types and is tested
//! natively. The components in `view` and the worker bridge in `bridge` are
//! the thin DOM layer, tested in headless Chromium.
//!
//! This crate does not fetch over the network outside the browser, never
//! links tract, and never puts HTML from a card into the page unescaped.
//!
//! # Example
//!
//! ```
//! use web::{Facet, Filters, Route};
//!
//! let route = Route::parse("#/?q=digits&task=cv-classification");
//! let Route::Catalogue(filters) = &route else { unreachable!() };
//! assert_eq!(filters.query, "digits");
//! assert_eq!(filters.chosen.get(&Facet::Task).map(String::as_str), Some("cv-classification"));
//! assert_eq!(route.to_hash(), "#/?q=digits&task=cv-classification");
//! ```

mod bridge;
mod catalogue;
pub mod markdown;
pub mod pen;
mod percent;
pub mod present;
mod route;
pub mod signing;
mod view;

pub use catalogue::{Facet, Filters};
pub use percent::{decode, encode};
pub use route::Route;
pub use view::App;

/// Renders the app into the page's `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

#[cfg(test)]
mod tests;
