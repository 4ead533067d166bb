//! End-to-end: `mhub serve` hosts the demo hub and the built app; chromedriver drives headless Chromium.
//!
//! Needs the app built (`cargo xtask web`), the `mhub` binary (`cargo build -p cli`) and
//! Chromium with chromedriver; `cargo xtask ci` provides all three. Screenshots of each page
//! are written to `target/e2e-screenshots/`.

mod driver;

use driver::Browser;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `mhub serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mhub() -> PathBuf {
    // The test binary is target/<profile>/deps/it-…; the cli's binary sits in target/<profile>.
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("mhub")
}

fn dist() -> PathBuf {
    workspace().join("web/dist")
}

/// Serves `hub` with the built app.
fn serve(hub: &Path) -> Server {
    let (bin, dist) = (mhub(), dist());
    assert!(
        bin.exists(),
        "no mhub binary at {}: run `cargo build -p cli` (or `cargo xtask ci`)",
        bin.display()
    );
    assert!(
        dist.join("index.html").exists(),
        "the web app is not built in {}: run `cargo xtask web` (or `cargo xtask ci`)",
        dist.display()
    );
    let mut child = Command::new(&bin)
        .arg("serve")
        .arg(hub)
        .args(["--addr", "127.0.0.1:0", "--web"])
        .arg(&dist)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mhub serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("mhub serve prints its address");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .trim_end_matches('/')
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "unexpected first line: {line}"
    );
    Server { child, url }
}

fn demo() -> PathBuf {
    workspace().join("hub")
}

fn screenshots() -> PathBuf {
    let dir = workspace().join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

#[test]
fn a_broken_card_shows_its_diagnostic_on_its_line() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!("{}/#/validate", server.url));
    let editor = browser.find("textarea.source");
    browser.send_keys(
        &editor,
        "# Demo\n---\nmodel-name: demo\nfine-tunable: maybe\n---\n",
    );
    browser.wait("document.querySelector('.diag[data-rule=\"wrong-type\"]')");
    let place = browser.eval_string(
        "return document.querySelector('.diag[data-rule=\"wrong-type\"] .where').textContent",
    );
    assert_eq!(place, "4:15");
    let message = browser.eval_string(
        "return document.querySelector('.diag[data-rule=\"wrong-type\"] .message').textContent",
    );
    assert_eq!(
        message,
        "`fine-tunable` must be `true` or `false`, found `maybe`"
    );
    // The editor marks line 4 and no line without a diagnostic.
    let marked = browser.eval_string(
        "return [...document.querySelectorAll('.backdrop .line.error')].map(e => e.dataset.line).join(',')",
    );
    assert_eq!(marked, "2,4");
    // The same card under the MindSpore rules: the profile switch re-checks at once.
    browser.eval_string(
        "const s = document.querySelector('select[aria-label=\"rules profile\"]'); s.value = 'mindspore'; s.dispatchEvent(new Event('change', {bubbles: true})); return ''",
    );
    browser.wait("document.querySelector('.diag[data-rule=\"wrong-type\"]') && document.querySelector('select[aria-label=\"rules profile\"]').value === 'mindspore'");
    // Clicking a diagnostic selects its place in the editor.
    browser.click(&browser.find(".diag[data-rule=\"wrong-type\"] .where"));
    let selected = browser.eval_string(
        "const t = document.querySelector('textarea.source'); return t.value.slice(t.selectionStart, t.selectionEnd)",
    );
    assert_eq!(selected, "maybe");
    browser.screenshot(&screenshots().join("validate.png"));
}

#[test]
fn the_catalogue_lists_and_filters_the_demo_models() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!("{}/", server.url));
    browser.wait("document.querySelectorAll('li.model').length === 9");
    assert_eq!(
        browser.eval_string("return document.querySelector('.count').textContent"),
        "9 of 9 models"
    );
    browser.screenshot(&screenshots().join("catalogue.png"));

    let search = browser.find("input.query");
    browser.send_keys(&search, "digits");
    browser.wait("document.querySelectorAll('li.model').length === 2");
    assert_eq!(
        browser.eval_string("return Array.from(document.querySelectorAll('li.model')).map(e => e.dataset.uid).sort().join(' ')"),
        "mhub/cpu/1.0/digits_v1.0_digits mhub/cpu/1.0/digits_v2.0_digits"
    );
    assert_eq!(browser.eval_string("return location.hash"), "#/?q=digits");

    // The URL is the filter state: opening it shows the same filters.
    browser.goto(&format!("{}/#/?publisher=onnx&format=onnx", server.url));
    browser.wait("document.querySelectorAll('li.model').length === 3");
    assert_eq!(
        browser.eval_string("return document.querySelector('select[name=\"publisher\"]').value"),
        "onnx"
    );
    browser.screenshot(&screenshots().join("catalogue-filtered.png"));
    // A facet choice changes the list and the URL.
    browser.eval_string(
        "const s = document.querySelector('select[name=\"publisher\"]'); s.value = 'mhub'; s.dispatchEvent(new Event('change', {bubbles: true})); return ''",
    );
    browser.wait("document.querySelectorAll('li.model').length === 0 || location.hash.includes('publisher=mhub')");
    assert_eq!(
        browser.eval_string("return location.hash"),
        "#/?publisher=mhub&format=onnx"
    );
    browser.wait("document.querySelectorAll('li.model').length === 3");
}

/// A hub of `count` copies of the demo's GoogleNet card, each its own model, and the
/// demo's sample picture in the publisher's `static/images/`.
fn generated_hub(count: usize, extra: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp");
    let card =
        std::fs::read_to_string(demo().join("assets/mindspore/ascend/0.7/googlenet_v1_cifar10.md"))
            .expect("demo card");
    let folder = dir.path().join("assets/mindspore/ascend/0.7");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for i in 0..count {
        let text = card
            .replace("GoogleNet", &format!("GoogleNet{i:05}"))
            .replace("googlenet", &format!("googlenet{i:05}"))
            .replacen("\n---\n", &format!("\n---\n\n{extra}"), 1)
            + body;
        std::fs::write(folder.join(format!("googlenet{i:05}_v1_cifar10.md")), text).expect("card");
    }
    let images = dir.path().join("assets/mindspore/static/images");
    std::fs::create_dir_all(&images).expect("mkdir");
    std::fs::copy(
        demo().join("models/digits/sample.png"),
        images.join("pic.png"),
    )
    .expect("picture");
    dir
}

#[test]
fn a_long_catalogue_renders_only_the_rows_on_screen() {
    let hub = generated_hub(2_000, "", "");
    let server = serve(hub.path());
    let browser = Browser::start();
    browser.goto(&format!("{}/", server.url));
    browser.wait("document.querySelector('.count') && document.querySelector('.count').textContent === '2000 of 2000 models'");
    browser.wait("document.querySelectorAll('li.model').length > 0");
    let rendered: usize = browser
        .eval_string("return String(document.querySelectorAll('li.model').length)")
        .parse()
        .expect("a number");
    assert!(rendered < 100, "{rendered} of 2000 cards are in the page");
    // The list is as tall as all of its rows: scrolling to its end shows the last model.
    browser.eval_string("window.scrollTo(0, document.body.scrollHeight); return ''");
    browser.wait("document.querySelector('li.model[data-uid=\"mindspore/ascend/0.7/googlenet01999_v1_cifar10\"]') !== null");
    assert!(
        browser
            .eval_string("return String(document.querySelectorAll('li.model').length)")
            .parse::<usize>()
            .expect("a number")
            < 100
    );
    browser.screenshot(&screenshots().join("catalogue-long.png"));
    // Searching from the bottom of the list shows the one match at the top.
    browser.eval_string("window.scrollTo(0, 0); return ''");
    let search = browser.find("input.query");
    browser.send_keys(&search, "googlenet01234");
    browser.wait("document.querySelectorAll('li.model').length === 1");
    assert_eq!(
        browser.eval_string("return document.querySelector('li.model').dataset.uid"),
        "mindspore/ascend/0.7/googlenet01234_v1_cifar10"
    );
    assert_eq!(
        browser.eval_string("return location.hash"),
        "#/?q=googlenet01234"
    );
}

#[test]
fn a_card_with_a_chinese_twin_offers_it() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mindspore/ascend/0.7/resnet50_v1.5_cifar10",
        server.url
    ));
    browser.wait("document.querySelector('button.lang') && document.querySelector('.body h2')");
    let english = browser.eval_string("return document.querySelector('.body').textContent");
    browser.click(&browser.find("button.lang"));
    browser.wait("document.querySelector('button.lang') && document.querySelector('button.lang').textContent === 'English' && document.querySelector('.body')");
    let chinese = browser.eval_string("return document.querySelector('.body').textContent");
    assert_ne!(english, chinese);
    assert!(
        chinese
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{chinese}"
    );
    browser.click(&browser.find("button.lang"));
    browser.wait("document.querySelector('button.lang').textContent === '中文' && document.querySelector('.body')");
    assert_eq!(
        browser.eval_string("return document.querySelector('.body').textContent"),
        english
    );
    // The catalogue marks the cards that have one.
    browser.goto(&format!("{}/#/?q=resnet50", server.url));
    browser.wait("document.querySelector('li.model .tag.lang') !== null");
}

#[test]
fn a_model_page_shows_its_featured_image_and_the_hubs_pictures() {
    let hub = generated_hub(
        1,
        "featured-image: pic.png\n\n",
        "\n![diagram](../../static/images/pic.png)\n",
    );
    let server = serve(hub.path());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mindspore/ascend/0.7/googlenet00000_v1_cifar10",
        server.url
    ));
    browser.wait("document.querySelector('img.featured') && document.querySelector('img.featured').complete && document.querySelector('.body img') && document.querySelector('.body img').complete");
    for img in ["img.featured", ".body img"] {
        let src = browser.eval_string(&format!("return document.querySelector('{img}').src"));
        assert_eq!(
            src,
            format!("{}/assets/mindspore/static/images/pic.png", server.url),
            "{img}"
        );
        let width = browser.eval_string(&format!(
            "return String(document.querySelector('{img}').naturalWidth)"
        ));
        assert_ne!(width, "0", "{img} did not load");
    }
}

#[test]
fn a_model_mhub_cannot_run_offers_pull_only() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mindspore/ascend/0.7/googlenet_v1_cifar10",
        server.url
    ));
    browser.wait("document.querySelector('.commands') && document.querySelector('.body h2')");
    let commands = browser.eval_string("return document.querySelector('.commands').textContent");
    assert!(commands.contains("mhub pull"), "{commands}");
    assert!(!commands.contains("mhub run"), "{commands}");
    assert_eq!(
        browser.eval_string("return String(document.querySelectorAll('.try-it').length)"),
        "0"
    );
}

#[test]
fn the_digits_model_runs_in_the_page_on_an_uploaded_sample() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mhub/cpu/1.0/digits_v1.0_digits",
        server.url
    ));
    browser.wait("document.querySelector('.try-it') && document.querySelector('.body h2')");
    assert_eq!(
        browser.eval_string("return document.querySelector('.body h2').textContent"),
        "Introduction"
    );
    assert!(
        browser
            .eval_string("return document.querySelector('.commands').textContent")
            .contains(&format!(
                "mhub pull --hub {}/ mhub/cpu/1.0/digits_v1.0_digits",
                server.url
            ))
    );
    assert!(
        browser
            .eval_string("return document.querySelector('.commands').textContent")
            .contains("mhub run")
    );
    browser.screenshot(&screenshots().join("model.png"));

    let sample = workspace().join("hub/models/digits/sample.png");
    let upload = browser.find("input.image-file");
    browser.send_keys(
        &upload,
        &sample.canonicalize().expect("sample").display().to_string(),
    );
    browser.wait(
        "document.querySelector('.prediction') || document.querySelector('.try-it .error-box')",
    );
    let error = browser.eval_string(
        "const e = document.querySelector('.try-it .error-box'); return e ? e.textContent : ''",
    );
    assert_eq!(error, "");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("hub/models/digits/expected.json"))
            .expect("expected.json"),
    )
    .expect("json");
    assert_eq!(
        browser.eval_string("return document.querySelector('.prediction').dataset.class"),
        expected["class"].to_string()
    );
    assert!(
        browser
            .eval_string("return document.querySelector('.latency').textContent")
            .starts_with("run ")
    );
    browser.eval_string("document.querySelector('.result').scrollIntoView(); return ''");
    browser.screenshot(&screenshots().join("model-run.png"));

    // Drawing on the pad and running gives a ranked answer too.
    let pad = browser.find("canvas.draw");
    browser.draw(&pad, &[(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)]);
    browser.click(&browser.find("button.run-drawing"));
    browser.wait("document.querySelectorAll('.topk li').length === 5 && !document.querySelector('.try-it [role=status].status')");
    // A single vertical stroke reads as a one.
    assert_eq!(
        browser.eval_string("return document.querySelector('.prediction').dataset.class"),
        "1"
    );
    browser.eval_string("document.querySelector('.try-it').scrollIntoView(); return ''");
    browser.screenshot(&screenshots().join("model-drawn.png"));
}

#[test]
fn the_worker_takes_its_relaxed_simd_build_and_the_page_keeps_tunings() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mhub/cpu/1.0/digits_v1.0_digits",
        server.url
    ));
    browser.wait("document.querySelector('.try-it')");
    // Each build, and the one the worker picks by itself, reports its machine when ready.
    browser.eval_string(
        r"window.builds = {};
        for (const build of ['relaxed', 'simd128', '']) {
          const worker = new Worker('infer-worker.js' + (build ? '?build=' + build : ''), {type: 'module'});
          const said = (text) => { window.builds[build || 'picked'] = text; document.body.dataset.builds = JSON.stringify(window.builds); worker.terminate(); };
          worker.onmessage = (e) => { const reply = JSON.parse(e.data); if (reply.kind === 'ready') said(reply.machine); };
          worker.onerror = (e) => said('error: ' + e.message);
        }
        return ''",
    );
    browser.wait("Object.keys(window.builds).length === 3");
    let builds: serde_json::Value =
        serde_json::from_str(&browser.eval_string("return JSON.stringify(window.builds)"))
            .expect("json");
    assert_eq!(builds["relaxed"], "wasm32+relaxed-simd", "{builds}");
    assert_eq!(builds["simd128"], "wasm32+simd128", "{builds}");
    // Chromium validates relaxed SIMD: the worker picks that build.
    assert_eq!(builds["picked"], "wasm32+relaxed-simd", "{builds}");

    // A run loads the model once, tuned at its first load; the page keeps the tuning.
    let sample = workspace().join("hub/models/digits/sample.png");
    let upload = browser.find("input.image-file");
    browser.send_keys(
        &upload,
        &sample.canonicalize().expect("sample").display().to_string(),
    );
    browser.wait("document.querySelector('.prediction')");
    let sha = manifest::Sha256::of(
        &std::fs::read(workspace().join("hub/models/digits/model.onnx")).expect("model"),
    );
    let kept = browser.eval_string(&format!(
        "return localStorage.getItem('mhub-tuning:wasm32+relaxed-simd:{sha}') || 'nothing kept'"
    ));
    let tuning: serde_json::Value = serde_json::from_str(&kept).expect("a tuning's JSON text");
    assert!(tuning["knobs"].is_object(), "{kept}");
}

#[test]
fn a_tabular_model_runs_and_bad_numbers_are_explained() {
    let server = serve(&demo());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mhub/cpu/1.0/iris_v1.0_iris",
        server.url
    ));
    let field = browser.find("input.numbers-input");
    browser.send_keys(&field, "6.1, 2.8\n");
    browser.wait("document.querySelector('.try-it .error-box')");
    assert!(
        browser
            .eval_string("return document.querySelector('.try-it .error-box').textContent")
            .contains("the model takes 4 numbers, 2 given")
    );
    browser.send_keys(&field, ", 4.7, 1.2\n");
    browser.wait("document.querySelector('.prediction')");
    assert_eq!(
        browser.eval_string("return document.querySelector('.prediction').dataset.class"),
        "1"
    );
}

#[test]
fn a_tampered_model_and_a_hostile_card_are_refused_in_the_page() {
    let hub = tempfile::tempdir().expect("temp dir");
    copy_tree(&demo(), hub.path());
    // The model's bytes change after the card was written.
    let model = hub.path().join("models/digits/model.onnx");
    let mut bytes = std::fs::read(&model).expect("model");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&model, bytes).expect("write model");
    // A card body that tries to run script in the page.
    let card = hub.path().join("assets/mhub/cpu/1.0/digits_v1.0_digits.md");
    let text = std::fs::read_to_string(&card).expect("card");
    std::fs::write(&card, format!("{text}\n<script>window.pwned = 1</script>\n\n<img src=x onerror=\"window.pwned = 2\">\n\n[link](javascript:window.pwned=3)\n"))
        .expect("write card");

    let server = serve(hub.path());
    let browser = Browser::start();
    browser.goto(&format!(
        "{}/#/model/mhub/cpu/1.0/digits_v1.0_digits",
        server.url
    ));
    browser.wait("document.querySelector('.try-it')");
    let body = browser.eval_string("return document.querySelector('.body').innerHTML");
    assert!(body.contains("&lt;script&gt;"), "{body}");
    assert!(body.contains(r##"<a href="#">link</a>"##), "{body}");
    assert!(!body.contains("javascript:"), "{body}");
    let upload = browser.find("input.image-file");
    let sample = workspace()
        .join("hub/models/digits/sample.png")
        .canonicalize()
        .expect("sample");
    browser.send_keys(&upload, &sample.display().to_string());
    browser.wait("document.querySelector('.try-it .error-box')");
    let error =
        browser.eval_string("return document.querySelector('.try-it .error-box').textContent");
    assert!(error.contains("has sha256"), "{error}");
    assert!(error.contains("but its card says `2d63bbbe"), "{error}");
    assert_eq!(
        browser.eval_string("return String(window.pwned)"),
        "undefined"
    );
    browser.eval_string("document.querySelector('.try-it').scrollIntoView(); return ''");
    browser.screenshot(&screenshots().join("model-tampered.png"));
}

#[test]
fn a_hubs_own_files_never_run_as_the_app() {
    let hub = tempfile::tempdir().expect("temp dir");
    copy_tree(&demo(), hub.path());
    // Files a hub tree may hold where the app has its own, and files a browser executes.
    let script = "<script>window.pwned = 'hub'</script>";
    std::fs::write(hub.path().join("index.html"), script).expect("write");
    std::fs::write(hub.path().join("sw.js"), "self.pwned = 'sw';").expect("write");
    std::fs::create_dir_all(hub.path().join("static/images")).expect("mkdir");
    std::fs::write(
        hub.path().join("static/images/x.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>window.pwned = 'svg'</script></svg>",
    )
    .expect("write");
    std::fs::write(hub.path().join("static/page.html"), script).expect("write");

    let server = serve(hub.path());
    let browser = Browser::start();
    browser.goto(&format!("{}/", server.url));
    browser.wait("document.querySelector('.catalogue, .model-list, main')");
    assert_eq!(
        browser.eval_string("return String(window.pwned)"),
        "undefined"
    );
    for page in ["static/images/x.svg", "static/page.html"] {
        browser.goto(&format!("{}/{page}", server.url));
        assert_eq!(
            browser.eval_string("return String(window.pwned)"),
            "undefined",
            "{page} ran script"
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn the_app_works_offline_once_loaded() {
    let server = serve(&demo());
    let browser = Browser::start();
    let url = format!("{}/#/?q=iris", server.url);
    browser.goto(&url);
    browser.wait("navigator.serviceWorker.controller !== null");
    // Loaded again under the service worker, which keeps what the page fetches.
    browser.goto(&format!("{}/#/?q=digits", server.url));
    browser.wait("document.querySelectorAll('li.model').length === 2");
    drop(server);
    browser.goto(&url);
    browser.wait("document.querySelectorAll('li.model').length === 1");
    assert_eq!(
        browser.eval_string("return document.querySelector('li.model').dataset.uid"),
        "mhub/cpu/1.0/iris_v1.0_iris"
    );
}

#[test]
fn a_signed_hub_is_verified_in_the_page_and_a_swapped_card_is_refused() {
    let dir = tempfile::tempdir().expect("temp");
    let hub = dir.path().join("hub");
    std::fs::create_dir_all(&hub).expect("mkdir");
    copy_tree(&demo(), &hub);
    let run = |args: &[&str]| {
        let out = Command::new(mhub())
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("mhub runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["key", "new", "--out", "keys"]);
    run(&["key", "new", "--out", "other"]);
    run(&["index", "hub", "--sign", "keys/mhub.key"]);
    let key = std::fs::read_to_string(dir.path().join("keys/mhub.pub")).expect("key");
    let server = serve(&hub);
    let browser = Browser::start();
    browser.goto(&format!("{}/#/", server.url));
    browser.wait("document.querySelector('.trust summary') && document.querySelectorAll('li.model').length === 9");
    assert_eq!(
        browser.eval_string("return document.querySelector('.trust summary').textContent"),
        "index not checked: no trusted key"
    );

    // The user pastes the publisher's key into the form; the page reloads and checks.
    browser.click(&browser.find(".trust summary"));
    browser.send_keys(&browser.find("#trusted-key"), key.trim());
    browser.click(&browser.find(".trust button"));
    browser.wait("document.querySelector('.trust.verified')");
    let line = browser.eval_string("return document.querySelector('.trust summary').textContent");
    assert!(line.starts_with("index verified: version 1"), "{line}");

    let model = format!("{}/#/model/mhub/cpu/1.0/digits_v1.0_digits", server.url);
    browser.goto(&model);
    browser.wait("document.querySelector('.verified') && document.querySelector('.try-it')");
    browser.screenshot(&screenshots().join("model-verified.png"));

    // Whoever serves the hub changes the card: the page refuses it and offers no run.
    let card = hub.join("assets/mhub/cpu/1.0/digits_v1.0_digits.md");
    let text = std::fs::read_to_string(&card).expect("card");
    std::fs::write(
        &card,
        text.replace("summary: ", "summary: now even better, "),
    )
    .expect("write");
    browser.goto("about:blank");
    browser.goto(&model);
    browser.wait("document.querySelector('.error-box')");
    let error = browser.eval_string("return document.querySelector('.error-box').textContent");
    assert!(error.contains("differs from the signed index"), "{error}");
    assert_eq!(
        browser.eval_string("return String(document.querySelectorAll('.try-it').length)"),
        "0"
    );

    // A key that did not sign the index: the catalogue is refused.
    let other = std::fs::read_to_string(dir.path().join("other/mhub.pub")).expect("key");
    browser.eval_string(&format!(
        "localStorage.setItem('mhub-trust', {}); return ''",
        serde_json::to_string(other.trim()).expect("json")
    ));
    browser.goto("about:blank");
    browser.goto(&format!("{}/#/", server.url));
    browser.wait("document.querySelector('.error-box')");
    let error = browser.eval_string("return document.querySelector('.error-box').textContent");
    assert!(error.contains("not signed by a trusted key"), "{error}");
}

/// What `mhub run` reads in a picture with the digits model, as the cli answers.
fn cli_reads(picture: &Path) -> String {
    let cache = tempfile::tempdir().expect("temp");
    let out = Command::new(mhub())
        .args(["run", "mhub/cpu/1.0/digits_v2.0_digits", "--input"])
        .arg(picture)
        .args(["--top-k", "1", "--json"])
        .env("MHUB_HUB", demo())
        .env("MHUB_DIR", cache.path())
        .output()
        .expect("mhub runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    json["top"][0]["label"].as_str().expect("label").to_owned()
}

#[test]
fn the_digits_pad_reads_the_keyboard_and_the_page_agrees_with_the_cli() {
    let server = serve(&demo());
    let browser = Browser::start();
    let page = format!("{}/#/model/mhub/cpu/1.0/digits_v2.0_digits", server.url);
    let ready = "document.querySelector('.try-it') && document.querySelector('canvas.draw')";
    let result = "document.querySelector('.prediction') && !document.querySelector('.try-it [role=status].status')";
    let predicted =
        || browser.eval_string("return document.querySelector('.prediction').dataset.class");

    // Held-out pictures give the page the answer `mhub run` gives.
    let data = workspace().join("crates/cli/tests/data/digits");
    for file in ["drawn/00", "drawn/01", "typed/00", "typed/01"] {
        let (kind, stem) = file.split_once('/').expect("kind/stem");
        let picture = std::fs::read_dir(data.join(kind))
            .expect("held-out digits")
            .map(|e| e.expect("entry").path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(stem))
            })
            .expect("a held-out picture");
        browser.goto("about:blank");
        browser.goto(&page);
        browser.wait(ready);
        let upload = browser.find("input.image-file");
        browser.send_keys(
            &upload,
            &picture.canonicalize().expect("path").display().to_string(),
        );
        browser.wait(result);
        assert_eq!(predicted(), cli_reads(&picture), "{}", picture.display());
    }

    // A seven drawn with the keyboard: the pen starts in the middle.
    browser.goto("about:blank");
    browser.goto(&page);
    browser.wait(ready);
    let pad = browser.find("canvas.draw");
    let (up, down, left, right, end, enter) = (
        "\u{E013}", "\u{E015}", "\u{E012}", "\u{E014}", "\u{E010}", "\u{E007}",
    );
    let _ = down;
    let keys = [
        up.repeat(6),
        left.repeat(5),
        " ".to_owned(),
        right.repeat(10),
        end.repeat(9),
        " ".to_owned(),
        enter.to_owned(),
    ]
    .concat();
    browser.send_keys(&pad, &keys);
    browser.wait(result);
    browser.screenshot(&screenshots().join("model-keyboard.png"));
    assert_eq!(predicted(), "7");

    // Cleared with Escape, then a one drawn with the mouse.
    browser.send_keys(&pad, "\u{E00C}");
    browser.draw(&pad, &[(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)]);
    browser.click(&browser.find("button.run-drawing"));
    browser.wait("document.querySelector('.prediction') && document.querySelector('.prediction').dataset.class === '1'");
}
