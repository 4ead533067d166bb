//! Unit tests of the automation: tidy passes on this tree and catches a broken one.

use crate::tidy;

#[test]
fn tidy_passes_on_the_workspace() {
    if let Err(e) = tidy::check(&crate::root()) {
        panic!("{e}");
    }
}

#[test]
fn tidy_catches_broken_sources() {
    let dir = std::env::temp_dir().join(format!("mhub-tidy-{}", std::process::id()));
    let src = dir.join("crates/demo/src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("lib.rs"),
        "pub fn f() { let _ = std::env::var(\"X\"); }\n",
    )
    .expect("write");
    std::fs::write(src.join("mod.rs"), "//! A module.\n").expect("write");
    let problems = tidy::check_sources(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let text = problems.join("\n");
    assert!(
        text.contains("lib.rs: must start with a one-line `//!` doc"),
        "{text}"
    );
    assert!(
        text.contains("only the cli reads environment variables"),
        "{text}"
    );
    assert!(text.contains("compiled `# Example`"), "{text}");
    assert!(text.contains("`mod.rs` is not allowed"), "{text}");
}
