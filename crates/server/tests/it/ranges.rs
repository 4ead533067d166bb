//! `Range` and `If-Range` over real HTTP: single ranges, edge cases, malformed headers.

use super::{Fixture, MODEL, get, put, request, start};

#[test]
fn range_requests_get_exact_answers() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    let data = &fixture.model;
    let len = data.len();
    let huge = "99999999999999999999999999";
    // (Range header, status, Content-Range, the bytes expected)
    let cases: Vec<(String, u16, Option<String>, &[u8])> = vec![
        (
            "bytes=0-0".into(),
            206,
            Some(format!("bytes 0-0/{len}")),
            &data[..1],
        ),
        (
            "bytes=0-99".into(),
            206,
            Some(format!("bytes 0-99/{len}")),
            &data[..100],
        ),
        (
            "bytes=99990-".into(),
            206,
            Some(format!("bytes 99990-99999/{len}")),
            &data[99990..],
        ),
        (
            "bytes=-10".into(),
            206,
            Some(format!("bytes 99990-99999/{len}")),
            &data[99990..],
        ),
        (
            "bytes=-200000".into(),
            206,
            Some(format!("bytes 0-99999/{len}")),
            data,
        ),
        (
            "bytes=1000-90000".into(),
            206,
            Some(format!("bytes 1000-90000/{len}")),
            &data[1000..=90000],
        ),
        (
            "bytes=99999-100000000".into(),
            206,
            Some(format!("bytes 99999-99999/{len}")),
            &data[99999..],
        ),
        (
            format!("bytes=0-{huge}"),
            206,
            Some(format!("bytes 0-99999/{len}")),
            data,
        ),
        (
            format!("bytes=-{huge}"),
            206,
            Some(format!("bytes 0-99999/{len}")),
            data,
        ),
        ("bytes=-0".into(), 416, Some(format!("bytes */{len}")), b""),
        (
            "bytes=100000-".into(),
            416,
            Some(format!("bytes */{len}")),
            b"",
        ),
        (
            format!("bytes={huge}-"),
            416,
            Some(format!("bytes */{len}")),
            b"",
        ),
        ("bytes=5-2".into(), 200, None, data),
        ("bytes=0-1,3-4".into(), 200, None, data),
        ("bytes=abc".into(), 200, None, data),
        ("bytes=--1".into(), 200, None, data),
        ("chars=0-1".into(), 200, None, data),
        ("bytes".into(), 200, None, data),
    ];
    for (range, status, content_range, body) in cases {
        let reply = get(server.addr, &format!("/{MODEL}"), &[("Range", &range)]);
        assert_eq!(reply.status, status, "{range}");
        assert_eq!(
            reply.header("content-range"),
            content_range.as_deref(),
            "{range}"
        );
        assert_eq!(reply.body, body, "{range}");
        assert_eq!(
            reply.header("content-length"),
            Some(body.len().to_string().as_str()),
            "{range}"
        );
    }
}

#[test]
fn head_if_range_empty_files_and_compressible_files() {
    let fixture = Fixture::new();
    put(&fixture.hub(), "models/empty.bin", b"");
    let server = start(fixture.config());
    let path = format!("/{MODEL}");
    let head = request(server.addr, "HEAD", &path, &[("Range", "bytes=10-19")]);
    assert_eq!(head.status, 206);
    assert_eq!(head.header("content-length"), Some("10"));
    assert!(head.body.is_empty());

    let full = get(server.addr, &path, &[]);
    let etag = full.header("etag").expect("etag").to_owned();
    let modified = full
        .header("last-modified")
        .expect("last-modified")
        .to_owned();
    let range = ("Range", "bytes=10-19");
    for (if_range, status) in [
        (etag.as_str(), 206),
        (modified.as_str(), 206),
        ("\"stale\"", 200),
        (&format!("W/{etag}"), 200),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 200),
        ("not a date", 200),
    ] {
        let reply = get(server.addr, &path, &[range, ("If-Range", if_range)]);
        assert_eq!(reply.status, status, "If-Range: {if_range}");
    }

    let empty = get(server.addr, "/models/empty.bin", &[("Range", "bytes=0-")]);
    assert_eq!(empty.status, 416);
    assert_eq!(empty.header("content-range"), Some("bytes */0"));
    assert_eq!(get(server.addr, "/models/empty.bin", &[]).status, 200);

    // A range of a compressible file is a range of its plain bytes.
    let labels = get(
        server.addr,
        "/models/blob/labels.txt",
        &[("Range", "bytes=0-3"), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(labels.status, 206);
    assert_eq!(labels.header("content-encoding"), None);
    assert_eq!(labels.body, b"cat\n");
}
