//! The hub index: built from cards, and read back.

use super::{check_file, data};
use manifest::{Index, IndexEntry, Profile};

#[test]
fn index_entries_round_trip_through_json() {
    let file = data().join("corpus/r1.6/noah-cvlab/gpu/1.0/ghostnet-600_v1.0_oxford_pets.md");
    let (_, report) = check_file(
        &file,
        Some("noah-cvlab/gpu/1.0/ghostnet-600_v1.0_oxford_pets.md"),
        Profile::Mhub,
    );
    let uid = report.uid.clone().expect("valid path");
    let index = Index::new(vec![IndexEntry::new(&uid, &report.card)]);
    let json = serde_json::to_string_pretty(&index).expect("serialises");
    insta::assert_snapshot!(json);
    let back: Index = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, index);
}

#[test]
fn index_is_sorted_by_uid() {
    let card = manifest::Card::default();
    let b: uid::Uid = "b/1.0/x".parse().expect("uid");
    let a: uid::Uid = "a/gpu/1.0/y".parse().expect("uid");
    let index = Index::new(vec![IndexEntry::new(&b, &card), IndexEntry::new(&a, &card)]);
    let uids: Vec<&str> = index.models.iter().map(|m| m.uid.as_str()).collect();
    assert_eq!(uids, ["a/gpu/1.0/y", "b/1.0/x"]);
    assert_eq!(index.models[0].card, "assets/a/gpu/1.0/y.md");
    assert_eq!(index.models[0].title, "y");
    assert_eq!(index.models[0].backends, ["gpu"]);
}
