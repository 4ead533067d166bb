//! Unit tests of entity-tag matching in conditional requests.

use super::none_match;

fn check(list: &str, etag: &str, expected: bool) {
    assert_eq!(none_match(list, etag), expected, "{list:?} against {etag}");
}

#[test]
fn if_none_match_compares_weakly() {
    check("\"abc\"", "\"abc\"", true);
    check("W/\"abc\"", "\"abc\"", true);
    check("\"x\", \"abc\"", "\"abc\"", true);
    check("*", "\"abc\"", true);
    check("\"abcd\"", "\"abc\"", false);
    check("abc", "\"abc\"", false);
    check("", "\"abc\"", false);
    check("\"abc-gzip\"", "\"abc\"", false);
}
