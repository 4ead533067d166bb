//! Test data: deterministic bytes that do not compress, and their sha256 as cards write it.

use sha2::{Digest as _, Sha256};
use std::fmt::Write as _;

/// `len` bytes that look random and do not compress, the same on every run and machine.
///
/// A shorter run is a prefix of a longer one. The generator (xorshift64) yields eight bytes a
/// step, so a benchmark's gigabyte takes a moment, not minutes.
pub fn bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    out
}

/// The sha256 of `data` in lowercase hex, as a card's `asset-sha256` holds it.
pub fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}
