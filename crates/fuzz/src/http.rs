//! Targets for what the server reads from a request: its path and its `Range` and conditional headers.

/// Request paths: what the server resolves is the root or a relative path with no empty,
/// dot or dotfile segment and no control character or backslash.
pub(crate) fn request_path(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    // The empty path is the tree's root, a folder, which is never served.
    if let Some(rel) = server::fuzzing::request_path(path).filter(|r| !r.is_empty()) {
        assert!(!rel.starts_with('/'), "{rel:?}");
        for segment in rel.split('/') {
            assert!(!segment.is_empty() && !segment.starts_with('.'), "{rel:?}");
        }
        assert!(!rel.chars().any(|c| c.is_control() || c == '\\'), "{rel:?}");
    }
}

/// `Range`, `If-Range`, `If-None-Match`, `If-Modified-Since` and `Accept-Encoding`, from
/// lines of `name: value`: the answer is one of 200, 206, 304 or 416, and its
/// `Content-Range` and `Content-Length` stay inside the representation.
pub(crate) fn headers(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let len = u64::from(first) * 17;
    let mut pairs = Vec::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Some(at) = line.iter().position(|&b| b == b':') {
            let value = &line[at + 1..];
            pairs.push((&line[..at], value.strip_prefix(b" ").unwrap_or(value)));
        }
    }
    let answer = server::fuzzing::respond(first & 1 == 1, &pairs, len, 1_700_000_000);
    let length = answer
        .header("content-length")
        .map(|v| v.parse::<u64>().expect("a number"));
    match answer.status {
        200 => assert_eq!(length, Some(len)),
        206 => {
            let range = answer.header("content-range").expect("206 names its range");
            let spec = range.strip_prefix("bytes ").expect("in bytes");
            let (span, total) = spec.split_once('/').expect("a total");
            let (start, end) = span.split_once('-').expect("a span");
            let (start, end): (u64, u64) =
                (start.parse().expect("start"), end.parse().expect("end"));
            assert_eq!(total.parse::<u64>().ok(), Some(len));
            assert!(start <= end && end < len, "{range} of {len}");
            assert_eq!(length, Some(end - start + 1));
        }
        304 => assert!(answer.header("content-length").is_none()),
        416 => assert_eq!(
            answer.header("content-range"),
            Some(format!("bytes */{len}").as_str())
        ),
        other => panic!("status {other}"),
    }
}
