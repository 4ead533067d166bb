//! Unit tests of opening files below a root: the kernel's lookup and the checked walk agree, and neither leaves the tree.

use super::{Found, Relative, Root};

#[test]
fn relative_paths_stay_below_the_root() {
    for ok in ["", "a", "a/b.txt", "models/x-1.onnx", "a b/c", "%2e%2e"] {
        assert!(Relative::new(ok).is_some(), "{ok:?}");
    }
    for bad in [
        "/",
        "a//b",
        "a/",
        "/a",
        ".",
        "..",
        "a/../b",
        ".git/config",
        "a\\b",
        "a\u{0}b",
    ] {
        assert!(Relative::new(bad).is_none(), "{bad:?}");
    }
    assert!(Relative::new(&"a/".repeat(32)[..63]).is_some());
    assert!(Relative::new(&"a/".repeat(33)[..65]).is_none());
    assert!(Relative::link("").is_none());
}

#[cfg(unix)]
#[test]
fn the_kernel_lookup_and_the_walk_agree() {
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
        let relative = Relative::new(&path[1..]).expect("a valid path");
        let read =
            |found: Option<Found>| found.map(|f| std::fs::read_to_string(&f.path).expect("read"));
        let found = read(root.find(&relative));
        let walked = read(root.walk(&relative));
        assert_eq!(found.as_deref(), expected, "find {path}");
        assert_eq!(walked.as_deref(), expected, "walk {path}");
    }
    assert!(fifo || cfg!(not(target_os = "linux")), "mkfifo is missing");
}
