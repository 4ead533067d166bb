//! The web app's entry point, run by the browser when `web.js` loads.

fn main() {
    web::start();
}
