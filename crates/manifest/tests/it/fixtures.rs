//! Data-driven fixtures: `data/ok` cards are clean, `data/err` cards match their diagnostics snapshots.

use super::{card_path, check_file, shown};
use manifest::{Profile, Severity};

#[test]
fn ok_cards_are_clean_and_read_as_expected() {
    insta::glob!("../data/ok", "**/*.md", |file| {
        let card_path = card_path(file);
        let (source, report) = check_file(file, card_path.as_deref(), Profile::Mhub);
        let rendered: String = report
            .diagnostics
            .iter()
            .map(|d| d.render("card.md", &source))
            .collect();
        assert!(
            report.diagnostics.is_empty(),
            "{}:\n{rendered}",
            file.display()
        );
        insta::assert_json_snapshot!(report.card);
    });
}

#[test]
fn err_cards_match_their_diagnostics() {
    insta::glob!("../data/err", "**/*.md", |file| {
        let card_path = card_path(file);
        let name = shown(file);
        let mut out = String::new();
        let mut any_error = false;
        for profile in [Profile::Mhub, Profile::Mindspore] {
            let (source, report) = check_file(file, card_path.as_deref(), profile);
            any_error |= report.has_errors();
            out += &format!(
                "=== profile {profile}: {} errors, {} warnings\n",
                report.count(Severity::Error),
                report.count(Severity::Warning)
            );
            for d in &report.diagnostics {
                out += &d.render(&name, &source);
                out.push('\n');
            }
        }
        assert!(any_error, "{name} has no error under either profile");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn every_reported_rule_is_documented() {
    let known: Vec<&str> = manifest::RULES.iter().map(|(id, _)| *id).collect();
    for dir in ["ok", "err", "corpus"] {
        insta::glob!("../data", &format!("{dir}/**/*.md"), |file| {
            let card_path = card_path(file);
            for profile in [Profile::Mhub, Profile::Mindspore] {
                let (_, report) = check_file(file, card_path.as_deref(), profile);
                for d in &report.diagnostics {
                    assert!(
                        known.contains(&d.rule),
                        "rule `{}` is missing from RULES",
                        d.rule
                    );
                    assert!(
                        !d.message.ends_with('.')
                            && d.message.chars().next().is_some_and(|c| !c.is_uppercase())
                            || d.message.starts_with("Chinese"),
                        "message style: {}",
                        d.message
                    );
                }
            }
        });
    }
}
