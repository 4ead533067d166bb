//! Unit tests of request-path decoding: what may name a file and what never can.

use super::relative;

fn check(path: &str, expected: Option<&[&str]>) {
    let got = relative(path).map(|r| {
        let text = r.as_str();
        text.split('/')
            .filter(|_| !text.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let expected = expected.map(|e| e.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    assert_eq!(got, expected, "{path:?}");
}

#[test]
fn plain_and_encoded_names() {
    check("/", Some(&[]));
    check("/index.html", Some(&["index.html"]));
    check(
        "/models/digits/model.onnx",
        Some(&["models", "digits", "model.onnx"]),
    );
    check("/a%20b/c", Some(&["a b", "c"]));
    check("/%252e%252e/x", Some(&["%2e%2e", "x"]));
    check("/caf%C3%A9", Some(&["café"]));
    check("/a:b", Some(&["a:b"]));
}

#[test]
fn traversal_hidden_and_malformed_paths_name_nothing() {
    for path in [
        "",
        "models",
        "//etc/passwd",
        "/models/",
        "/models//x",
        "/..",
        "/../etc/passwd",
        "/a/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2E%2E/etc/passwd",
        "/.%2e/x",
        "/a%2f..%2f..%2fetc",
        "/a%2Fb",
        "/..%5c..%5cetc",
        "/a%5cb",
        "/a\\b",
        "/x%00.md",
        "/x%0a",
        "/.git/config",
        "/models/.hidden",
        "/.",
        "/%2e",
        "/bad%zz",
        "/bad%2",
        "/bad%",
        "/%ff%fe",
    ] {
        check(path, None);
    }
    let deep = "/a".repeat(33);
    check(&deep, None);
    let long = format!("/{}", "a".repeat(256));
    check(&long, None);
}
