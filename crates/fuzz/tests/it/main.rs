//! Replays every saved fuzz input (`seeds/` and `regressions/`, one folder per target) through its check.

use std::fs;
use std::path::Path;

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(kind)
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_seeds() {
    for target in fuzz::TARGETS {
        assert!(
            !inputs("seeds", target.name).is_empty(),
            "no seeds for `{}` in crates/fuzz/seeds/{0}",
            target.name
        );
    }
}

#[test]
fn saved_inputs_replay() {
    let mut failed = Vec::new();
    for target in fuzz::TARGETS {
        for kind in ["seeds", "regressions"] {
            for (path, bytes) in inputs(kind, target.name) {
                if std::panic::catch_unwind(|| (target.run)(&bytes)).is_err() {
                    failed.push(path);
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "these saved inputs fail their check: {failed:#?}"
    );
}

#[test]
fn no_folder_names_an_unknown_target() {
    for kind in ["seeds", "regressions"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let name = entry
                .expect("an entry")
                .file_name()
                .into_string()
                .expect("utf-8");
            assert!(
                fuzz::TARGETS.iter().any(|t| t.name == name),
                "{kind}/{name} is not a target"
            );
        }
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut files: Vec<String> = fs::read_dir(root.join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    files.sort();
    let mut names: Vec<String> = fuzz::TARGETS
        .iter()
        .map(|t| format!("{}.rs", t.name))
        .collect();
    names.sort();
    assert_eq!(files, names);
    for target in fuzz::TARGETS {
        let file = fs::read_to_string(
            root.join("fuzz_targets")
                .join(format!("{}.rs", target.name)),
        )
        .expect("the target's file");
        assert!(
            file.contains(&format!("fuzz::run(\"{}\"", target.name)),
            "{}",
            target.name
        );
        assert!(manifest.contains(&format!(
            "name = \"{}\"\npath = \"fuzz_targets/{0}.rs\"",
            target.name
        )));
    }
}
