//! A small WebDriver client over chromedriver: a session in headless Chromium and the commands the tests use.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver process with one browser session; both end when dropped.
pub struct Browser {
    chromedriver: Child,
    client: reqwest::blocking::Client,
    session: String,
    _profile: tempfile::TempDir,
}

/// A found element's WebDriver reference.
pub struct Element(Value);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with a fresh profile.
    pub fn start() -> Browser {
        let program = "chromedriver";
        let port = free_port();
        let mut chromedriver = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{program}` ({e}): install chromium-driver or run `cargo xtask ci`"));
        // chromedriver says when it listens.
        let stdout = chromedriver.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while !line.contains("started successfully") {
            line.clear();
            let read = reader.read_line(&mut line).expect("chromedriver output");
            assert!(read > 0, "chromedriver exited before it was ready");
        }
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        let profile = tempfile::tempdir().expect("profile dir");
        // Debian's chromium, as `cargo xtask ci` installs it.
        let binary = "/usr/bin/chromium";
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("client");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            },
            "timeouts": {"implicit": 20000, "script": 60000, "pageLoad": 60000}
        }}});
        let base = format!("http://127.0.0.1:{port}");
        let answer: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .and_then(reqwest::blocking::Response::json)
            .expect("new session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        Browser {
            chromedriver,
            client,
            session: format!("{base}/session/{session}"),
            _profile: profile,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        let request = self.client.request(method, &url);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        let answer: Value = request
            .send()
            .and_then(reqwest::blocking::Response::json)
            .expect(&url);
        if let Some(error) = answer["value"].get("error") {
            panic!("webdriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url}));
    }

    /// The first element matching `css`, waiting up to the implicit timeout for it to appear.
    pub fn find(&self, css: &str) -> Element {
        Element(
            self.post("/element", json!({"using": "css selector", "value": css}))[ELEMENT_KEY]
                .clone(),
        )
    }

    fn element_path(element: &Element) -> String {
        format!("/element/{}", element.0.as_str().expect("element id"))
    }

    /// Types `text` into an element (for a file input: the file's path).
    pub fn send_keys(&self, element: &Element, text: &str) {
        let text = text.replace('\n', "\u{E007}");
        self.post(
            &format!("{}/value", Self::element_path(element)),
            json!({"text": text}),
        );
    }

    /// Clicks an element.
    pub fn click(&self, element: &Element) {
        self.post(&format!("{}/click", Self::element_path(element)), json!({}));
    }

    /// Runs `body` as a function in the page and returns its result as text.
    pub fn eval_string(&self, body: &str) -> String {
        match self.post("/execute/sync", json!({"script": body, "args": []})) {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// Waits, without polling, until the JavaScript `condition` holds: it is checked again on
    /// every change to the DOM, the hash or the service worker, and every element's load or
    /// error (an image's `complete`), up to the script timeout.
    pub fn wait(&self, condition: &str) {
        let script = r"
            const done = arguments[arguments.length - 1];
            const test = new Function('return (' + arguments[0] + ')');
            let observer;
            // What check listens to, so that a wait that is over leaves nothing behind.
            const sources = [
                [window, 'hashchange', false],
                // A picture or script finishing is no DOM change: its load and error events
                // do not bubble, but they can be caught on the way down.
                [document, 'load', true],
                [document, 'error', true],
            ];
            if (navigator.serviceWorker) sources.push([navigator.serviceWorker, 'controllerchange', false]);
            const check = () => {
                let ok = false;
                try { ok = test(); } catch (e) { ok = false; }
                if (ok) {
                    if (observer) observer.disconnect();
                    for (const [target, name, capture] of sources) target.removeEventListener(name, check, capture);
                    done(true);
                }
                return ok;
            };
            if (!check()) {
                observer = new MutationObserver(check);
                observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
                for (const [target, name, capture] of sources) target.addEventListener(name, check, capture);
            }";
        let value = self.post(
            "/execute/async",
            json!({"script": script, "args": [condition]}),
        );
        assert_eq!(
            value,
            Value::Bool(true),
            "condition never held: {condition}"
        );
    }

    /// Drags the pointer through `points` (fractions of the element's size, from its top left).
    pub fn draw(&self, element: &Element, points: &[(f64, f64)]) {
        let rect = self.call(
            reqwest::Method::GET,
            &format!("{}/rect", Self::element_path(element)),
            None,
        );
        let (w, h) = (
            rect["width"].as_f64().expect("width"),
            rect["height"].as_f64().expect("height"),
        );
        let origin = json!({ELEMENT_KEY: element.0});
        // Offsets are from the element's centre.
        #[allow(clippy::cast_possible_truncation)]
        let at = |(x, y): (f64, f64)| {
            (
                ((x - 0.5) * w).round() as i64,
                ((y - 0.5) * h).round() as i64,
            )
        };
        let mut actions = Vec::new();
        if let Some(first) = points.first() {
            let (x, y) = at(*first);
            actions.push(
                json!({"type": "pointerMove", "duration": 0, "origin": origin, "x": x, "y": y}),
            );
            actions.push(json!({"type": "pointerDown", "button": 0}));
        }
        for point in points.iter().skip(1) {
            let (x, y) = at(*point);
            actions.push(
                json!({"type": "pointerMove", "duration": 50, "origin": origin, "x": x, "y": y}),
            );
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
        self.post(
            "/actions",
            json!({"actions": [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": actions}]}),
        );
    }

    /// Saves a PNG screenshot of the page.
    pub fn screenshot(&self, path: &Path) {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None);
        let bytes = decode_base64(encoded.as_str().expect("base64"));
        std::fs::write(path, bytes).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.client.delete(&self.session).send();
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, s)| acc | (u32::from(*s) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}
