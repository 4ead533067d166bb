//! The test-support crate of mhub: a real loopback HTTP server, plus builders of test data.
//!
//! [`Server`] is a real HTTP/1.1 server on 127.0.0.1 that tests and benchmarks
//! use to put mhub's client through what real networks do: bodies cut short,
//! connections reset, servers that stall, lie about lengths or hashes, ignore or
//! botch `Range`, redirect in circles, or fail once and then work (see [`Fault`]).
//! The data builders make what the tests serve and check: [`bytes`] (deterministic
//! bytes that do not compress), [`sha256`] (their digest as a card writes it) and
//! [`repo_archive`] (a GitHub-style `.tar.gz` of a repository).
//!
//! What it is not: a mock (the server speaks real HTTP over a real socket, and binds
//! loopback only), a home for fixture files (those live in each crate's `tests/data`),
//! or a dependency of anything shipped: crates take it as a dev-dependency, and
//! xtask for its benchmarks.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use testserver::{Fault, Server, bytes, sha256};
//!
//! let server = Server::start();
//! let blob = bytes(1000);
//! assert_eq!(sha256(&blob).len(), 64);
//! server.put("/blob.bin", blob.clone());
//! server.fault("/blob.bin", Fault::Status(500));
//! let get = |path: &str| {
//!     let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
//!     write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
//!     let mut out = Vec::new();
//!     s.read_to_end(&mut out).unwrap();
//!     out
//! };
//! assert!(get("/blob.bin").starts_with(b"HTTP/1.1 500"));
//! assert!(get("/blob.bin").ends_with(&blob));
//! assert_eq!(server.requests("/blob.bin"), 2);
//! ```

mod archive;
mod data;
mod server;
#[cfg(test)]
mod tests;

pub use archive::repo_archive;
pub use data::{bytes, sha256};
pub use server::{Fault, Server};
