//! Unit tests of `Accept-Encoding` negotiation and the encoders.

use super::{Coding, encode, negotiate};
use std::io::Read as _;

fn check(accept: Option<&str>, expected: Coding) {
    assert_eq!(negotiate(accept), expected, "{accept:?}");
}

#[test]
fn negotiation_prefers_brotli_then_gzip() {
    check(None, Coding::Identity);
    check(Some(""), Coding::Identity);
    check(Some("identity"), Coding::Identity);
    check(Some("gzip"), Coding::Gzip);
    check(Some("x-gzip"), Coding::Gzip);
    check(Some("gzip, deflate, br"), Coding::Br);
    check(Some("br;q=0.5, gzip"), Coding::Gzip);
    check(Some("br;q=0, gzip;q=0"), Coding::Identity);
    check(Some("*"), Coding::Br);
    check(Some("*;q=0, gzip"), Coding::Gzip);
    check(Some("GZIP ; q=0.8"), Coding::Gzip);
    check(Some("br;q=nonsense"), Coding::Br);
    check(Some(",,;;q=,"), Coding::Identity);
}

#[test]
fn encoders_round_trip_and_skip_what_does_not_shrink() {
    let text = "the quick brown fox jumps over the lazy dog\n".repeat(100);
    let gz = encode(Coding::Gzip, text.as_bytes()).expect("gzip shrinks text");
    let mut out = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut out)
        .expect("gunzip");
    assert_eq!(out, text);
    let br = encode(Coding::Br, text.as_bytes()).expect("brotli shrinks text");
    let mut out = String::new();
    brotli::Decompressor::new(&br[..], 4096)
        .read_to_string(&mut out)
        .expect("unbrotli");
    assert_eq!(out, text);
    assert_eq!(encode(Coding::Gzip, b"tiny"), None);
    assert_eq!(encode(Coding::Identity, text.as_bytes()), None);
    let mut x = 0x9e37_79b9_u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    assert_eq!(encode(Coding::Gzip, &noise), None);
}
