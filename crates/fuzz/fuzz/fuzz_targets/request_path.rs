//! Fuzz target `request_path`: the check in `fuzz::TARGETS` of that name (see `crates/fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::run("request_path", data));
