//! Fuzz target: every parser in `uid` accepts any string without panicking, and what it accepts round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match uid::Uid::parse(text) {
        Ok(parsed) => {
            assert_eq!(parsed.to_string(), text);
            assert!(!parsed.card_path().split('/').any(|p| p == ".." || p == "." || p.is_empty()));
        }
        Err(e) => {
            let _ = e.render();
            assert!(e.span().end <= text.len());
        }
    }
    if let Ok(r) = uid::RepoRef::parse(text) {
        assert_eq!(r.to_string(), text);
    }
    let _ = uid::Reference::parse(text);
});
