//! Fuzz target `onnx_scan`: the check in `fuzz::TARGETS` of that name (see `crates/fuzz/src`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::run("onnx_scan", data));
