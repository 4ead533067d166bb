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

#[cfg(unix)]
#[test]
fn the_kernel_lookup_and_the_walk_agree() {
    use super::Root;
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("a/.hidden")).expect("mkdir");
    std::fs::write(root.join("a/file.txt"), "inside").expect("write");
    std::fs::write(root.join("a/.hidden/secret"), "hidden").expect("write");
    std::fs::write(dir.path().join("outside.txt"), "outside").expect("write");
    symlink("file.txt", root.join("a/inner-link")).expect("link");
    symlink("a", root.join("folder-link")).expect("link");
    symlink(dir.path().join("outside.txt"), root.join("a/outer-link")).expect("link");
    symlink(".hidden/secret", root.join("a/to-hidden")).expect("link");
    symlink("nowhere", root.join("a/dangling")).expect("link");
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("a/pipe"))
        .status()
        .is_ok_and(|s| s.success());
    let root = Root::open(&root).expect("root");
    for (path, expected) in [
        ("/a/file.txt", Some("inside")),
        ("/a/inner-link", Some("inside")),
        ("/folder-link/file.txt", Some("inside")),
        ("/a/outer-link", None),
        ("/a/to-hidden", None),
        ("/a/dangling", None),
        ("/a/missing", None),
        ("/a", None),
        ("/a/file.txt/x", None),
        ("/a/pipe", None),
    ] {
        let relative = relative(path).expect("a valid path");
        let read = |found: Option<super::Found>| {
            found.map(|f| std::fs::read_to_string(&f.path).expect("read"))
        };
        let found = read(root.find(&relative));
        let walked = read(root.walk(&relative));
        assert_eq!(found.as_deref(), expected, "find {path}");
        assert_eq!(walked.as_deref(), expected, "walk {path}");
    }
    assert!(fifo || cfg!(not(target_os = "linux")), "mkfifo is missing");
}
