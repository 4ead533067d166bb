//! Fuzz target `image`: the check in `fuzz::TARGETS` of that name (see `crates/fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::run("image", data));
