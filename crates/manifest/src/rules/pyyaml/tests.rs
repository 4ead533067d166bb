//! PyYAML 1.1 resolution, one case per resolver branch, as PyYAML 6 reads them.

use super::{Py, kind, may_be_timestamp};
use crate::diagnostic::Span;
use crate::yaml::{Kind, Node};

fn plain(text: &str) -> Node {
    Node {
        span: Span::new(1, 1, 1),
        kind: Kind::Scalar {
            text: text.to_owned(),
            plain: true,
        },
    }
}

#[test]
fn scalars_resolve_as_pyyaml_does() {
    let cases: &[(&str, Py)] = &[
        ("", Py::None),
        ("~", Py::None),
        ("NULL", Py::None),
        ("nULL", Py::Str),
        ("yes", Py::Bool),
        ("Off", Py::Bool),
        ("y", Py::Str),
        ("n", Py::Str),
        ("yEs", Py::Str),
        ("12", Py::Int),
        ("-0x1F", Py::Int),
        ("0b101", Py::Int),
        ("017", Py::Int),
        ("018", Py::Str),
        ("1_000", Py::Int),
        ("10:20", Py::Int),
        ("1:60", Py::Str),
        ("0.9", Py::Float),
        ("1.", Py::Float),
        (".5", Py::Float),
        ("1e3", Py::Str),
        ("1.0e3", Py::Str),
        ("1.0e+3", Py::Float),
        ("-.inf", Py::Float),
        (".NaN", Py::Float),
        ("nan", Py::Str),
        ("1:30.5", Py::Float),
        ("2023-02-17", Py::Date),
        ("2023-2-17", Py::Str),
        ("2023-02-30", Py::BadTimestamp),
        ("2023-02-17 10:00:00", Py::DateTime),
        ("2023-2-7T1:00:00.5Z", Py::DateTime),
        ("2023-02-17 10:00:00 +08:00", Py::DateTime),
        ("2023-02-17 10:00", Py::Str),
        ("2023-02-17 25:00:00", Py::BadTimestamp),
        ("1.10", Py::Float),
        ("v1.10", Py::Str),
    ];
    for (text, want) in cases {
        assert_eq!(kind(&plain(text)), *want, "{text:?}");
        // The quick look the checker takes before resolving never misses a timestamp.
        let timestamp = matches!(want, Py::Date | Py::DateTime | Py::BadTimestamp);
        assert!(!timestamp || may_be_timestamp(text), "{text:?}");
    }
    for text in ["2023-1-1", "0000-00-00", "1999-12-31T23:59:59Z"] {
        assert!(may_be_timestamp(text), "{text:?}");
    }
    for text in [
        "2023",
        "202-01-01",
        "v2023-01-01",
        "2023/01/01",
        "1.0e-5",
        "12345-6",
    ] {
        assert!(!may_be_timestamp(text), "{text:?}");
    }
}
