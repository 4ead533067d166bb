//! Every real MindSpore Hub card in `data/corpus` is read without a crash, its verdict snapshotted under both profiles.

use super::{check_file, data, verdict};
use manifest::Profile;
use std::path::Path;

/// The card path of a corpus file: below its branch folder (`master/` or `r1.6/`), which stands for `assets/`.
fn corpus_card_path(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(data().join("corpus")).ok()?;
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    (parts.len() > 1).then(|| parts[1..].join("/"))
}

#[test]
fn corpus_verdicts() {
    insta::glob!("../data/corpus", "**/*.md", |file| {
        let card_path = corpus_card_path(file);
        let mut out = format!("card path: {}\n", card_path.as_deref().unwrap_or("-"));
        for profile in [Profile::Mhub, Profile::Mindspore] {
            let (_, report) = check_file(file, card_path.as_deref(), profile);
            out += &format!("=== profile {profile}: {}", verdict(&report));
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn versions_stay_strings() {
    let file = data().join("corpus/master/mindspore/1.10/inceptionv3_imagenet2012.md");
    let (_, report) = check_file(
        &file,
        Some("mindspore/1.10/inceptionv3_imagenet2012.md"),
        Profile::Mhub,
    );
    assert_eq!(report.card.mindspore_version.as_deref(), Some("1.10"));
    assert_eq!(report.card.model_version.as_deref(), Some("1.10"));
    assert_eq!(report.card.update_time.as_deref(), Some("2023-2-17"));
    assert_eq!(
        report.uid.map(|u| u.to_string()).as_deref(),
        Some("mindspore/1.10/inceptionv3_imagenet2012")
    );
}
