//! Tests of the web app in a real browser: end to end through chromedriver natively, DOM tests in wasm.

#[cfg(not(target_arch = "wasm32"))]
mod e2e;

#[cfg(target_arch = "wasm32")]
mod dom;
