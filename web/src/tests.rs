//! Unit tests of the DOM-free logic: routes, filters, markdown, presentation.

use crate::catalogue::{Facet, Filters, Searchable, Selection};
use crate::markdown::{is_safe_url, render, resolve, safe_href};
use crate::percent::{decode, encode};
use crate::present::{
    bytes, commands, concrete_shape, featured_image, labels, marked_lines, median, millis, numbers,
    offset, top_k,
};
use crate::route::Route;
use manifest::{Index, IndexEntry, Severity};

fn check_route(hash: &str, expected: &Route, canonical: &str) {
    let route = Route::parse(hash);
    assert_eq!(&route, expected, "{hash}");
    assert_eq!(route.to_hash(), canonical, "{hash}");
    assert_eq!(Route::parse(&route.to_hash()), route, "{hash} round trip");
}

#[test]
fn routes() {
    let catalogue = |q: &str| {
        Route::Catalogue(Filters {
            query: q.to_owned(),
            ..Filters::default()
        })
    };
    check_route("", &catalogue(""), "#/");
    check_route("#", &catalogue(""), "#/");
    check_route("#/", &catalogue(""), "#/");
    check_route("#/?q=res%20net", &catalogue("res net"), "#/?q=res%20net");
    check_route("#/?q=res+net", &catalogue("res net"), "#/?q=res%20net");
    check_route("#/validate", &Route::Validate, "#/validate");
    check_route(
        "#/model/mhub/cpu/1.0/digits_v1.0_digits",
        &Route::Model("mhub/cpu/1.0/digits_v1.0_digits".into()),
        "#/model/mhub/cpu/1.0/digits_v1.0_digits",
    );
    check_route(
        "#/nowhere",
        &Route::NotFound("/nowhere".into()),
        "#/nowhere",
    );
    check_route("#/model/", &Route::NotFound("/model/".into()), "#/model/");
}

#[test]
fn filters_in_the_url() {
    let filters =
        Filters::from_query("q=digits&task=cv-classification&format=onnx&bogus=1&dataset=");
    assert_eq!(filters.query, "digits");
    assert_eq!(filters.chosen.len(), 2);
    assert_eq!(
        filters.to_query(),
        "q=digits&task=cv-classification&format=onnx"
    );
    assert_eq!(
        filters.with(Facet::Format, "").to_query(),
        "q=digits&task=cv-classification"
    );
}

#[test]
fn percent_coding() {
    assert_eq!(encode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
    assert_eq!(decode("a%20b%2Fc%26d%3D%C3%A9"), "a b/c&d=é");
    // Malformed escapes are kept, never a panic.
    for text in ["%", "%2", "%zz", "100%", "%%41", "%C3"] {
        let _ = decode(text);
    }
    assert_eq!(decode("%zz%41"), "%zzA");
}

fn demo_index() -> Index {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../hub/index.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn uids(index: &Index, selection: &Selection) -> Vec<String> {
    selection
        .shown
        .iter()
        .map(|&i| index.models[i].uid.clone())
        .collect()
}

#[test]
fn search_and_facets_on_the_demo_hub() {
    let index = demo_index();
    let searchable = Searchable::new(&index.models);
    let select = |query: &str| searchable.select(&Filters::from_query(query));
    assert_eq!(select("").shown.len(), index.models.len());
    assert_eq!(
        uids(&index, &select("q=DIGITS")),
        [
            "mhub/cpu/1.0/digits_v1.0_digits",
            "mhub/cpu/1.0/digits_v2.0_digits"
        ]
    );
    assert_eq!(
        uids(&index, &select("q=digits+typed")),
        ["mhub/cpu/1.0/digits_v2.0_digits"]
    );
    assert_eq!(
        uids(&index, &select("q=imagenet+squeeze")),
        ["onnx/cpu/1.0/squeezenet_v1.0_imagenet"]
    );
    let onnx_publisher = select("publisher=onnx");
    assert_eq!(onnx_publisher.shown.len(), 3);
    // Facet counts ignore the facet's own choice, so other values stay selectable.
    let facet = |facet: Facet| {
        onnx_publisher
            .facets
            .iter()
            .find(|(f, _)| *f == facet)
            .unwrap()
            .1
            .clone()
    };
    assert!(facet(Facet::Publisher).contains(&("onnx".to_owned(), 3)));
    assert!(facet(Facet::Publisher).contains(&("mhub".to_owned(), 3)));
    assert!(facet(Facet::Format).contains(&("onnx".to_owned(), 3)));
    // Labels exist on the hub but not among the onnx publisher's models.
    assert!(facet(Facet::Format).contains(&("labels".to_owned(), 0)));
    // A value no model has admits nothing, and is not listed.
    assert!(select("task=nothing-like-it").shown.is_empty());
}

/// What the filters select, worked out the plain way: every entry's text built and
/// searched, every facet count from a scan of its own.
fn plain_selection(entries: &[IndexEntry], filters: &Filters) -> Selection {
    let admits = |entry: &IndexEntry, except: Option<Facet>| {
        let text = [
            Some(entry.uid.as_str()),
            Some(entry.title.as_str()),
            entry.summary.as_deref(),
            entry.task.as_deref(),
            entry.dataset.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
        filters
            .query
            .split_whitespace()
            .all(|w| text.contains(&w.to_lowercase()))
            && filters
                .chosen
                .iter()
                .filter(|(f, _)| Some(**f) != except)
                .all(|(f, v)| f.values(entry).contains(v))
    };
    let shown = (0..entries.len())
        .filter(|&i| admits(&entries[i], None))
        .collect();
    let facets = Facet::ALL
        .into_iter()
        .map(|facet| {
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for entry in entries {
                for value in facet.values(entry) {
                    *counts.entry(value).or_default() += usize::from(admits(entry, Some(facet)));
                }
            }
            (facet, counts.into_iter().collect())
        })
        .collect();
    Selection { shown, facets }
}

#[test]
fn the_one_pass_selection_agrees_with_the_plain_one() {
    let mut entries = demo_index().models;
    // Entries with many values per facet, some without a task or a summary.
    let template = entries[0].clone();
    for i in 0..300 {
        let mut entry = template.clone();
        entry.uid = format!(
            "pub{}/{}/1.{}/m{i}_v1.0_d{}",
            i % 5,
            ["cpu", "gpu"][i % 2],
            i % 3,
            i % 7
        );
        entry.title = format!("Model {i} ÉTÉ");
        entry.summary = (i % 4 != 0).then(|| format!("summary {} of a model", i % 11));
        entry.task = (i % 6 != 0).then(|| format!("cv-task{}", i % 4));
        entry.dataset = Some(format!("d{}", i % 7));
        entry.backends = vec![["cpu", "gpu"][i % 2].to_owned()];
        entry.version = format!("1.{}", i % 3);
        entries.push(entry);
    }
    let searchable = Searchable::new(&entries);
    let queries = [
        "",
        "q=model",
        "q=été",
        "q=summary+3",
        "q=m1",
        "q=nothing",
        "publisher=pub2",
        "task=cv-task1&dataset=d3",
        "q=model&publisher=pub1&backend=gpu&version=1.2",
        "format=onnx",
        "format=onnx&publisher=mhub",
        "q=DIGITS&format=labels",
        "task=unknown&dataset=d1",
        "publisher=pub0&publisher=pub3",
    ];
    for query in queries {
        let filters = Filters::from_query(query);
        assert_eq!(
            searchable.select(&filters),
            plain_selection(&entries, &filters),
            "{query}"
        );
    }
}

#[test]
fn markdown_escapes_html_and_unsafe_links() {
    let html = render(
        "# Title\n\n<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> here.\n\n[ok](https://mindspore.cn) [bad](javascript:alert(1)) [tab](java\tscript:alert(1)) ![i](data:image/svg+xml,x)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        "",
    );
    assert!(html.contains("<h1>Title</h1>"), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains(r#"<a href="https://mindspore.cn">ok</a>"#),
        "{html}"
    );
    assert!(!html.contains("javascript"), "{html}");
    assert!(!html.contains("data:"), "{html}");
    assert!(html.contains("<table>"), "{html}");
}

#[test]
fn relative_links_resolve_against_the_cards_folder() {
    let base = "assets/pub/1.6/";
    for (url, expected) in [
        ("../static/images/a.png", "assets/pub/static/images/a.png"),
        ("./b.md", "assets/pub/1.6/b.md"),
        ("b.md#part", "assets/pub/1.6/b.md#part"),
        ("../../../../../etc/passwd", "etc/passwd"),
        ("x/../y/", "assets/pub/1.6/y/"),
        ("#top", "#top"),
        ("?q=1", "?q=1"),
        ("/static/a.png", "/static/a.png"),
        ("//cdn.example/a.png", "//cdn.example/a.png"),
        ("https://a/b.png", "https://a/b.png"),
        ("mailto:x@y", "mailto:x@y"),
        ("a/b:c", "assets/pub/1.6/a/b:c"),
    ] {
        assert_eq!(resolve(base, url), expected, "{url}");
    }
    let html = render("![pic](../static/images/a.png) [bad](javascript:x)", base);
    assert!(
        html.contains(r#"src="assets/pub/static/images/a.png""#),
        "{html}"
    );
    assert!(html.contains(r##"href="#""##), "{html}");
}

#[test]
fn featured_images_come_from_the_publishers_static_folder() {
    let uid = "mindspore/1.6/alexnet_cifar10";
    assert_eq!(
        featured_image(uid, "alexnet.jpg").as_deref(),
        Some("assets/mindspore/static/images/alexnet.jpg")
    );
    assert_eq!(
        featured_image(uid, "https://h/a.png").as_deref(),
        Some("https://h/a.png")
    );
    for refused in [
        "no-image",
        "",
        "../x.png",
        "a/b.png",
        ".hidden",
        "javascript:x",
        "a b.png",
    ] {
        assert_eq!(featured_image(uid, refused), None, "{refused}");
    }
}

#[test]
fn safe_urls() {
    for url in [
        "https://a",
        "HTTP://a",
        "mailto:x@y",
        "#top",
        "models/a.onnx",
        "./a:b",
        "a/b:c",
        "?q=a:b",
    ] {
        assert!(is_safe_url(url), "{url}");
    }
    for url in [
        "javascript:x",
        "JavaScript:x",
        " javascript:x",
        "java\nscript:x",
        "data:text/html,x",
        "vbscript:x",
        "file:///etc/passwd",
    ] {
        assert!(!is_safe_url(url), "{url}");
        assert_eq!(safe_href(url), "#", "{url}");
    }
    assert_eq!(safe_href("models/a.onnx"), "models/a.onnx");
    assert_eq!(safe_href("https://h/m.onnx"), "https://h/m.onnx");
}

#[test]
fn presentation() {
    assert_eq!(bytes(0), "0 B");
    assert_eq!(bytes(1023), "1023 B");
    assert_eq!(bytes(19_547), "19.1 KiB");
    assert_eq!(bytes(5 << 30), "5.0 GiB");
    assert_eq!(millis(0.4234), "0.42 ms");
    assert_eq!(millis(12.34), "12.3 ms");
    assert_eq!(millis(1520.2), "1520 ms");
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(labels("a\nb\n\n"), ["a", "b"]);
    assert_eq!(
        commands("http://127.0.0.1:8080/", "mhub/cpu/1.0/digits_v1.0_digits", true),
        (
            "mhub pull --hub http://127.0.0.1:8080/ mhub/cpu/1.0/digits_v1.0_digits".to_owned(),
            "mhub run --hub http://127.0.0.1:8080/ mhub/cpu/1.0/digits_v1.0_digits --input picture.png".to_owned()
        )
    );
    assert_eq!(concrete_shape(&[-1, 3, 0, 4]), [1, 3, 1, 4]);
}

#[test]
fn ranking() {
    let names = vec!["zero".to_owned(), "one".to_owned()];
    let probabilities = top_k(&[0.2, 0.7, 0.1], &names, 2);
    assert_eq!(
        probabilities.iter().map(|r| r.index).collect::<Vec<_>>(),
        [1, 0]
    );
    assert_eq!(probabilities[0].label, "one");
    assert!((probabilities[0].probability - 0.7).abs() < 1e-6);
    // Logits go through a softmax; a missing label is named by its index.
    let logits = top_k(&[1.0, -2.0, 3.0], &names, 5);
    assert_eq!(logits.len(), 3);
    assert_eq!(logits[0].label, "class 2");
    assert!((logits.iter().map(|r| r.probability).sum::<f32>() - 1.0).abs() < 1e-5);
    assert!(top_k(&[], &names, 3).is_empty());
    assert_eq!(top_k(&[f32::NAN, 0.5], &[], 2).len(), 1);
}

#[test]
fn numbers_field() {
    assert_eq!(numbers("6.1, 2.8 4.7,1.2", 4), Ok(vec![6.1, 2.8, 4.7, 1.2]));
    assert_eq!(
        numbers("1, 2", 4),
        Err("the model takes 4 numbers, 2 given".to_owned())
    );
    assert_eq!(numbers("1, x", 2), Err("`x` is not a number".to_owned()));
}

#[test]
fn editor_positions_and_marks() {
    let text = "ab\ncdé\n\nlast";
    assert_eq!(offset(text, 1, 1), 0);
    assert_eq!(offset(text, 2, 3), 5);
    assert_eq!(offset(text, 2, 9), 7);
    assert_eq!(offset(text, 4, 2), 10);
    assert_eq!(offset(text, 9, 1), text.len());

    let source = "# Demo\n---\nmodel-name: demo\nfine-tunable: maybe\n---\n";
    let report = manifest::check(source, &manifest::Options::default());
    let marks = marked_lines(&report.diagnostics);
    assert_eq!(marks.get(&4), Some(&Severity::Error));
    assert_eq!(marks.keys().copied().collect::<Vec<_>>(), [2, 4]);
    let mut warning = report.diagnostics[0].clone();
    warning.severity = Severity::Warning;
    let mut both = vec![warning.clone()];
    assert_eq!(
        marked_lines(&both).get(&warning.span.line),
        Some(&Severity::Warning)
    );
    // The worst severity on a line wins, in either order.
    both.push(report.diagnostics[0].clone());
    assert_eq!(
        marked_lines(&both).get(&warning.span.line),
        Some(&Severity::Error)
    );
}

/// An index signed by the key of `seed`, at `version`, with one card pinned.
fn signed_index(seed: u8, version: u64, expires: u64) -> (Vec<u8>, Vec<u8>, String) {
    let key = trust::SecretKey::from_seed([seed; 32]);
    let card = "# a card\n";
    let json = format!(
        r#"{{"format":1,"version":{version},"expires":{expires},"models":[{{"uid":"a/1.0/m_v1_d","card":"assets/a/1.0/m_v1_d.md","title":"m","version":"1.0","card-sha256":"{}","card-size":{}}}]}}"#,
        manifest::Sha256::of(card.as_bytes()),
        card.len()
    );
    let signature = trust::Envelope::sign(json.as_bytes(), &key, None).to_json();
    (json.into_bytes(), signature, key.public().to_text())
}

#[test]
fn the_page_checks_a_signed_index_with_the_trusted_key_only() {
    use crate::signing::{Signing, check, check_card};
    let now = 1_800_000_000;
    let (index, sig, key) = signed_index(1, 2, now + 10);
    // No trusted key: read as it is, nothing to store.
    let (_, signing, seen) = check(&index, None, None, None, now).unwrap();
    assert_eq!(signing, Signing::NotChecked);
    assert!(seen.is_none());
    // The trusted key: verified, and what to store.
    let (parsed, signing, seen) = check(&index, Some(&sig), Some(&key), None, now).unwrap();
    assert!(signing.is_verified());
    assert!(signing.line().starts_with("index verified: version 2"));
    let seen = serde_json::to_string(&seen.unwrap()).unwrap();
    check_card(&parsed.models[0], "# a card\n").unwrap();
    assert!(check_card(&parsed.models[0], "# a changed card\n").is_err());
    // Each refusal: no signature, another key, an older index than seen, expired, bad key.
    let err = check(&index, None, Some(&key), None, now).unwrap_err();
    assert!(err.contains("no signed index"), "{err}");
    let (_, _, other) = signed_index(2, 1, now + 10);
    let err = check(&index, Some(&sig), Some(&other), None, now).unwrap_err();
    assert!(err.contains("not signed by a trusted key"), "{err}");
    let (old, old_sig, _) = signed_index(1, 1, now + 10);
    let err = check(&old, Some(&old_sig), Some(&key), Some(&seen), now).unwrap_err();
    assert!(err.contains("older than version 2"), "{err}");
    let err = check(&index, Some(&sig), Some(&key), None, now + 10).unwrap_err();
    assert!(err.contains("expired"), "{err}");
    let err = check(&index, Some(&sig), Some("not a key"), None, now).unwrap_err();
    assert!(err.contains("trusted key is not valid"), "{err}");
}

#[test]
fn the_keyboard_pen_moves_draws_lifts_runs_and_clears() {
    use crate::pen::{Pen, Stroke, key};
    let start = Pen::centred(224.0);
    assert_eq!(key("a", false, start, 224.0), None);
    let (moved, stroke) = key("ArrowUp", false, start, 224.0).unwrap();
    assert_eq!((moved.x, moved.y), (112.0, 98.0));
    assert_eq!(stroke, Stroke::Move { from: None });
    let (down, stroke) = key(" ", false, moved, 224.0).unwrap();
    assert!(down.down);
    assert_eq!(stroke, Stroke::Dot);
    let (line, stroke) = key("PageDown", true, down, 224.0).unwrap();
    assert_eq!(
        stroke,
        Stroke::Move {
            from: Some((112.0, 98.0))
        }
    );
    assert!((line.x - (112.0 + 224.0 / 48.0)).abs() < 1e-9);
    // The pen never leaves the pad.
    let mut edge = line;
    for _ in 0..40 {
        edge = key("ArrowLeft", false, edge, 224.0).unwrap().0;
    }
    assert_eq!(edge.x, 0.0);
    assert_eq!(key("Enter", false, edge, 224.0).unwrap().1, Stroke::Run);
    let (cleared, stroke) = key("Escape", false, edge, 224.0).unwrap();
    assert_eq!(stroke, Stroke::Clear);
    assert!(!cleared.down);
    assert_eq!(key(" ", false, line, 224.0).unwrap().1, Stroke::Lift);
}
