//! The checks behind mhub's fuzz targets: one function per parser of untrusted bytes.
//!
//! Each function takes any bytes, runs one parser on them as mhub does, and panics only
//! when the parser breaks a promise: it panicked itself, or what it accepted does not
//! round-trip, or what it answered is out of bounds. The cargo-fuzz targets in `fuzz/`
//! (nightly, `cargo xtask fuzz`) call these functions; the integration test replays
//! every saved input in `seeds/` and `regressions/` on stable, so a crash once found
//! stays fixed.
//!
//! This crate is not part of mhub: nothing depends on it, and it does no I/O.
//!
//! # Example
//!
//! ```
//! fuzz::TARGETS.iter().find(|t| t.name == "npy").map(|t| (t.run)(b"\x93NUMPY\x01\x00"));
//! ```

mod http;
mod parsers;

/// One fuzz target: its name (the folder of its saved inputs) and its check.
pub struct Target {
    /// The target's name, as `cargo xtask fuzz` and the saved-input folders spell it.
    pub name: &'static str,
    /// The check; panics on a broken promise.
    pub run: fn(&[u8]),
}

/// Every target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "card",
        run: parsers::card,
    },
    Target {
        name: "index",
        run: parsers::index,
    },
    Target {
        name: "hubconf",
        run: parsers::hubconf,
    },
    Target {
        name: "npy",
        run: parsers::npy,
    },
    Target {
        name: "image",
        run: parsers::image,
    },
    Target {
        name: "onnx_scan",
        run: parsers::onnx_scan,
    },
    Target {
        name: "request_path",
        run: http::request_path,
    },
    Target {
        name: "http_headers",
        run: http::headers,
    },
    Target {
        name: "repo_ref",
        run: parsers::repo_ref,
    },
    Target {
        name: "uid",
        run: parsers::uid,
    },
];

/// Runs the target called `name` on `data`; an unknown name is a bug in the caller.
pub fn run(name: &str, data: &[u8]) {
    match TARGETS.iter().find(|t| t.name == name) {
        Some(target) => (target.run)(data),
        None => panic!("no fuzz target `{name}`"),
    }
}
