//! Conditional requests: `If-None-Match` and `If-Modified-Since` answered with `304`.

use super::{Fixture, MODEL, get, start};

#[test]
fn validators_answer_304_and_changes_answer_200() {
    let fixture = Fixture::new();
    let server = start(fixture.config());
    for path in [format!("/{MODEL}"), "/index.json".to_owned()] {
        let full = get(server.addr, &path, &[]);
        assert_eq!(full.status, 200);
        let etag = full.header("etag").expect("etag").to_owned();
        let modified = full
            .header("last-modified")
            .expect("last-modified")
            .to_owned();
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        for (name, value, status) in [
            ("If-None-Match", etag.as_str(), 304),
            ("If-None-Match", weak.as_str(), 304),
            ("If-None-Match", listed.as_str(), 304),
            ("If-None-Match", "*", 304),
            ("If-None-Match", "\"other\"", 200),
            ("If-Modified-Since", modified.as_str(), 304),
            ("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT", 304),
            ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT", 200),
            ("If-Modified-Since", "yesterday", 200),
        ] {
            let reply = get(server.addr, &path, &[(name, value)]);
            assert_eq!(reply.status, status, "{path} {name}: {value}");
            if status == 304 {
                assert!(reply.body.is_empty());
                assert_eq!(reply.header("etag"), Some(etag.as_str()));
                assert_eq!(reply.header("content-length"), None);
            }
        }
        // `If-None-Match` decides when both are sent.
        let both = get(
            server.addr,
            &path,
            &[
                ("If-None-Match", "\"other\""),
                ("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"),
            ],
        );
        assert_eq!(both.status, 200, "{path}");
    }
}
