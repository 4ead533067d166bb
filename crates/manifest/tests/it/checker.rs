//! One card per rule and special case of the MindSpore Hub checker, each in the folder of the verdict its source gives.
//!
//! `data/checker/pass` and `data/checker/fail` hold the checker's verdicts (each was run
//! through `mindspore_hub/_utils/check.py` with its network calls stubbed): the
//! `mindspore` profile must agree. `data/checker/differs` holds the deliberate
//! differences, named by what the checker does; the profile must disagree. Every
//! card's diagnostics under both profiles are snapshotted.

use super::{check_file, shown};
use manifest::Profile;

#[test]
fn the_mindspore_profile_gives_the_checkers_verdicts() {
    insta::glob!("../data/checker", "*/*.md", |file| {
        let folder = file
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let card_path = format!("fixture/1.10/{name}");
        let checker_passes = match folder.as_str() {
            "pass" => true,
            "fail" => false,
            "differs" if name.starts_with("checker-passes-") => true,
            "differs" if name.starts_with("checker-fails-") => false,
            other => panic!("{}: unknown folder or name `{other}`", file.display()),
        };
        let (source, mindspore) = check_file(file, Some(&card_path), Profile::Mindspore);
        let (_, mhub) = check_file(file, Some(&card_path), Profile::Mhub);
        let agrees = mindspore.has_errors() != checker_passes;
        assert_eq!(
            agrees,
            folder != "differs",
            "{folder}/{name}: checker {}, mindspore profile {}",
            if checker_passes { "passes" } else { "fails" },
            if mindspore.has_errors() {
                "fails"
            } else {
                "passes"
            },
        );
        let rel = shown(file);
        let mut out = String::new();
        for (profile, report) in [(Profile::Mindspore, &mindspore), (Profile::Mhub, &mhub)] {
            out += &format!(
                "=== profile {profile}: {}\n",
                if report.has_errors() {
                    "fails"
                } else {
                    "passes"
                }
            );
            for d in &report.diagnostics {
                out += &d.render(&rel, &source);
            }
        }
        insta::assert_snapshot!(out);
    });
}
