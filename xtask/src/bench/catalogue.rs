//! `cargo xtask bench web catalogue`: the catalogue's first render and its search keystrokes, in headless Chromium, on generated hubs of 3,000 and 100,000 models.
//!
//! Each hub is served by `mhub serve` with the built app. A fresh browser profile opens the
//! catalogue once cold (nothing cached) and twice warm (the service worker has the app);
//! first render is the time from navigation to the first card painted. Then the search box
//! is typed into one character at a time, five rounds over; a keystroke's time runs from
//! the `input` event to the next frame painted with the filtered list.

use super::web::{Browser, serve};
use serde_json::json;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The hub sizes measured, with the targets: first render and keystroke, in milliseconds.
const SIZES: [(usize, f64, f64); 2] = [(3_000, 1_000.0, 16.0), (100_000, 3_000.0, 50.0)];

/// Warm loads after the cold one.
const WARM_LOADS: usize = 2;

/// What is typed, one character at a time: the first five keys still match every model
/// (each is `model<i>`), the last three narrow the list down.
const TYPED: &str = "model123";

/// How many of the typed keys match every model.
const MATCH_ALL: usize = 5;

/// How many times [`TYPED`] is typed (the box cleared in between), so that each median
/// is taken over enough keys to stand above the frame clock's jitter.
const ROUNDS: usize = 5;

/// Polls every frame until a card is in the page, then answers once that frame is painted:
/// the time since the navigation began.
const FIRST_RENDER: &str = "const done = arguments[arguments.length - 1];
const poll = () => document.querySelector('li.model')
  ? requestAnimationFrame(() => setTimeout(() => done(performance.now()), 0))
  : requestAnimationFrame(poll);
poll();";

/// Types `arguments[0]` into the search box as one `input` event, and answers with the
/// time until the next frame is painted and the count line then shown.
const KEYSTROKE: &str = "const done = arguments[arguments.length - 1];
const input = document.querySelector('input.query');
const start = performance.now();
input.value = arguments[0];
input.dispatchEvent(new Event('input', {bubbles: true}));
requestAnimationFrame(() => setTimeout(() => done([performance.now() - start,
  document.querySelector('.count').textContent, document.querySelectorAll('li.model').length]), 0));";

/// One hub's measurements, in milliseconds.
struct Measured {
    models: usize,
    index_gzip: u64,
    cold: f64,
    warm: Vec<f64>,
    all_match: Vec<f64>,
    narrowing: Vec<f64>,
    rendered: u64,
}

/// Measures each hub size and prints the table.
pub(super) fn run(
    root: &Path,
    mhub: &Path,
    dist: &Path,
    profile: &Path,
    build: &str,
) -> Result<(), String> {
    let mut rows = Vec::new();
    for (count, _, _) in SIZES {
        let hub = super::generate(root, count)?;
        let measured = measure(mhub, &hub, dist, profile, count);
        let _ = fs::remove_dir_all(profile);
        rows.push(measured?);
    }
    print(&rows, build);
    Ok(())
}

/// The compressed size of `url` as a browser would fetch it.
fn gzip_size(url: &str) -> Result<u64, String> {
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-H", "Accept-Encoding: gzip, br"])
        .args(["-w", "%{size_download}", url])
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("curl gave no size for `{url}`: {e}"))
}

fn measure(
    mhub: &Path,
    hub: &Path,
    dist: &Path,
    profile: &Path,
    models: usize,
) -> Result<Measured, String> {
    let (_server, base) = serve(mhub, hub, dist)?;
    let index_gzip = gzip_size(&format!("{base}/index.json"))?;
    let browser = Browser::start(profile)?;
    let page = format!("{base}/#/");
    let mut loads = Vec::new();
    for _ in 0..=WARM_LOADS {
        // A page of its own in between, so each load is a whole new document: going to
        // the same address with only its `#/` again would not load anything.
        browser.goto("about:blank")?;
        browser.goto(&page)?;
        let painted = browser.execute_async(FIRST_RENDER, json!([]))?;
        loads.push(painted.as_f64().ok_or("the page gave no time")?);
    }
    let (mut all_match, mut narrowing) = (Vec::new(), Vec::new());
    let mut rendered = 0;
    for end in (0..ROUNDS).flat_map(|_| 0..=TYPED.len()) {
        let answer = browser.execute_async(KEYSTROKE, json!([&TYPED[..end]]))?;
        if end == 0 {
            // The box cleared between rounds: not a keystroke that is measured.
            continue;
        }
        let ms = answer[0].as_f64().ok_or("the page gave no time")?;
        let shown = answer[1].as_str().unwrap_or_default();
        let all = format!("{models} of {models} models");
        // The list must have been filtered in that frame, not later.
        if (end <= MATCH_ALL) != (shown == all) {
            return Err(format!(
                "after typing `{}` the page shows `{shown}`",
                &TYPED[..end]
            ));
        }
        rendered = rendered.max(answer[2].as_u64().unwrap_or(0));
        if end <= MATCH_ALL {
            all_match.push(ms);
        } else {
            narrowing.push(ms);
        }
    }
    Ok(Measured {
        models,
        index_gzip,
        cold: loads[0],
        warm: loads[1..].to_vec(),
        all_match,
        narrowing,
        rendered,
    })
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NAN, f64::max)
}

fn print(rows: &[Measured], build: &str) {
    println!(
        "benchmark: the catalogue in headless Chromium, ms (web/dist {build}; generated hubs served by `mhub serve`)"
    );
    println!(
        "{:>8} {:>11} {:>10} {:>10} {:>9} {:>14} {:>14} {:>9} {:>16}",
        "models",
        "index gzip",
        "cold first",
        "warm first",
        "target",
        "key all p50/max",
        "key fewer p50/max",
        "target",
        "cards in page"
    );
    for (row, (_, first_target, key_target)) in rows.iter().zip(SIZES) {
        #[allow(clippy::cast_precision_loss)]
        let kib = row.index_gzip as f64 / 1024.0;
        println!(
            "{:>8} {:>7.0} KiB {:>10.0} {:>10.0} {:>9} {:>6.1} / {:>5.1} {:>7.1} / {:>6.1} {:>9} {:>16}",
            row.models,
            kib,
            row.cold,
            median(&row.warm),
            format!("<= {first_target:.0}"),
            median(&row.all_match),
            max(&row.all_match),
            median(&row.narrowing),
            max(&row.narrowing),
            format!("<= {key_target:.0}"),
            row.rendered,
        );
    }
    println!(
        "first = navigation to the first card painted (cold: empty profile; warm: median of {WARM_LOADS} reloads under the service worker)"
    );
    println!(
        "key = `input` event to the next frame painted, typing `{TYPED}` one key at a time, {ROUNDS} times: `all` while every model still matches ({MATCH_ALL} keys), `fewer` after"
    );
}
