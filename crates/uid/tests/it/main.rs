//! Property tests: parsing never panics and printing round-trips.

use proptest::prelude::*;
use uid::{Reference, RepoRef, Uid};

fn segment() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_.-]{0,20}[a-z0-9]".prop_filter("not reserved", |s| {
        let stem = s.split('.').next().unwrap_or(s);
        !["con", "prn", "aux", "nul"].contains(&stem)
            && !(stem.len() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")))
    })
}

fn version() -> impl Strategy<Value = String> {
    "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics(s in "\\PC{0,300}") {
        let _ = Uid::parse(&s).map_err(|e| e.render());
        let _ = RepoRef::parse(&s).map_err(|e| e.render());
        let _ = Reference::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_near_misses(s in "[a-zA-Z0-9/._:%\\\\ -]{0,40}") {
        if let Ok(uid) = Uid::parse(&s) {
            prop_assert_eq!(uid.to_string(), s.clone());
            prop_assert!(!uid.card_path().split('/').any(|p| p == ".." || p == "."));
        }
        let _ = RepoRef::parse(&s).map(|r| r.to_string());
    }

    #[test]
    fn uid_round_trips(p in segment(), b in proptest::option::of(segment()), v in version(), n in segment()) {
        let text = match &b {
            Some(b) => format!("{p}/{b}/{v}/{n}"),
            None => format!("{p}/{v}/{n}"),
        };
        let uid = Uid::parse(&text).expect("generated uid is valid");
        prop_assert_eq!(uid.to_string(), text.clone());
        prop_assert_eq!(Uid::parse(&uid.to_string()).expect("round trip"), uid.clone());
        prop_assert_eq!(Uid::from_card_path(&uid.card_path()).expect("card path"), uid);
    }

    #[test]
    fn repo_round_trips(o in segment(), r in segment(), g in proptest::option::of("[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}")) {
        let text = match &g {
            Some(g) => format!("{o}/{r}:{g}"),
            None => format!("{o}/{r}"),
        };
        let parsed = RepoRef::parse(&text).expect("generated ref is valid");
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn error_spans_lie_inside_the_input(s in "\\PC{0,80}") {
        if let Err(e) = Uid::parse(&s) {
            prop_assert!(e.span().end <= s.len());
            prop_assert!(s.is_char_boundary(e.span().start) && s.is_char_boundary(e.span().end));
        }
    }
}
