//! Unit tests of `Range` parsing: every shape of header against a few lengths.

use super::{Ranged, parse};

fn check(header: &str, len: u64, expected: Ranged) {
    assert_eq!(parse(header, len), expected, "{header:?} of {len} bytes");
}

fn part(start: u64, end: u64) -> Ranged {
    Ranged::Part { start, end }
}

#[test]
fn single_ranges() {
    check("bytes=0-0", 10, part(0, 0));
    check("bytes=0-9", 10, part(0, 9));
    check("bytes=2-5", 10, part(2, 5));
    check("bytes=3-", 10, part(3, 9));
    check("bytes=9-", 10, part(9, 9));
    check("bytes=5-100", 10, part(5, 9));
    check("bytes=-3", 10, part(7, 9));
    check("bytes=-10", 10, part(0, 9));
    check("bytes=-11", 10, part(0, 9));
    check("BYTES=1-2", 10, part(1, 2));
    check("bytes= 1-2 ", 10, part(1, 2));
    check("bytes=1-2,", 10, part(1, 2));
}

#[test]
fn unsatisfiable_ranges() {
    check("bytes=10-", 10, Ranged::Unsatisfiable);
    check("bytes=10-20", 10, Ranged::Unsatisfiable);
    check("bytes=-0", 10, Ranged::Unsatisfiable);
    check("bytes=0-", 0, Ranged::Unsatisfiable);
    check("bytes=-5", 0, Ranged::Unsatisfiable);
    check("bytes=0-0", 0, Ranged::Unsatisfiable);
}

#[test]
fn huge_numbers_never_overflow() {
    let huge = "99999999999999999999999999999999";
    check(&format!("bytes={huge}-"), 10, Ranged::Unsatisfiable);
    check(&format!("bytes=0-{huge}"), 10, part(0, 9));
    check(&format!("bytes=-{huge}"), 10, part(0, 9));
    check(&format!("bytes={huge}-{huge}"), 10, Ranged::Unsatisfiable);
    check(
        "bytes=18446744073709551615-",
        u64::MAX,
        Ranged::Unsatisfiable,
    );
    check(
        "bytes=-18446744073709551615",
        u64::MAX,
        part(0, u64::MAX - 1),
    );
}

#[test]
fn malformed_or_several_ranges_mean_the_whole_file() {
    for header in [
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=5-2",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=0x1-2",
        "bytes=1 -2",
        "items=0-1",
        "bytes=0-1,2-3",
        "bytes=0-0,-1",
        "bytes=,,",
        "bytes=\u{0}-1",
        "bytes=١-٢",
    ] {
        check(header, 10, Ranged::Full);
    }
}
