//! Targets for the parsers of cards, indexes, hubconf files, tensors, images, models and names.

use manifest::{Index, IndexEntry, Options, Profile};
use runtime::{Channels, Layout, Preprocess};

/// Text for the text parsers; bytes that are not UTF-8 are read lossily, as a file would be.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `manifest::check` under both profiles and with or without a path: every diagnostic's
/// line lies in the text, and a card without errors gives an index entry that round-trips.
pub(crate) fn card(data: &[u8]) {
    let source = text(data);
    // Lines end at `\n`, `\r\n` or a lone `\r`, as YAML reads them.
    let lines = source.replace("\r\n", "\n").split(['\n', '\r']).count() + 1;
    for (profile, path) in [
        (Profile::Mhub, None),
        (Profile::Mindspore, None),
        (Profile::Mhub, Some("fuzz/onnx/1.0/model_v1_data.md")),
        (Profile::Mindspore, Some("fuzz/1.0/model.md")),
    ] {
        let options = Options {
            profile,
            card_path: path,
            sibling_exists: None,
        };
        let report = manifest::check(&source, &options);
        for d in &report.diagnostics {
            assert!(
                d.span.line <= lines,
                "{}: line {} of {lines}",
                d.rule,
                d.span.line
            );
            assert!(!d.message.is_empty() && !d.message.contains('\n'), "{d:?}");
        }
        let _ = manifest::body(&source);
        if let (false, Some(uid)) = (report.has_errors(), &report.uid) {
            let index = Index::new(vec![IndexEntry::new(uid, &report.card)]);
            let Ok(json) = serde_json_bytes(&index) else {
                panic!("an index of a valid card does not serialise")
            };
            assert_eq!(Index::from_json(&json).ok(), Some(index));
        }
    }
}

/// The index as served: what `Index::from_json` accepts serialises and reads back equal.
pub(crate) fn index(data: &[u8]) {
    if let Ok(index) = Index::from_json(data) {
        let json = serde_json_bytes(&index).expect("a read index serialises");
        assert_eq!(Index::from_json(&json).ok(), Some(index));
    }
}

fn serde_json_bytes(index: &Index) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec_pretty(index)
}

/// `hubconf.yaml`: entrypoints are read or diagnosed, never a panic.
pub(crate) fn hubconf(data: &[u8]) {
    let (conf, diagnostics) = manifest::read_hubconf(&text(data));
    for d in &diagnostics {
        assert!(!d.message.contains('\n'), "{d:?}");
    }
    for entry in &conf.entrypoints {
        assert!(!entry.name.is_empty());
    }
}

/// `.npy` inputs: what reads, writes, and its writing reads back to the same bytes.
pub(crate) fn npy(data: &[u8]) {
    if let Ok(tensor) = runtime::npy::read(data) {
        let written = runtime::npy::write(&tensor);
        let again = runtime::npy::read(&written).expect("a written .npy reads");
        assert_eq!(runtime::npy::write(&again), written);
    }
}

/// Image inputs (PNG, JPEG) under a preprocessing the first byte picks: a tensor of the
/// shape and size asked for, or an error.
pub(crate) fn image(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let channels = [Channels::Gray, Channels::Rgb, Channels::Bgr][usize::from(pick % 3)];
    let layout = [Layout::Nchw, Layout::Nhwc, Layout::Flat][usize::from(pick / 3 % 3)];
    let side = [1, 8, 28][usize::from(pick / 9 % 3)];
    let p = Preprocess {
        width: side,
        height: side,
        channels,
        layout,
        scale: 1.0 / 255.0,
        mean: if pick & 0x80 == 0 {
            vec![]
        } else {
            vec![0.5; 3]
        },
        std: if pick & 0x80 == 0 {
            vec![]
        } else {
            vec![0.25; 3]
        },
        // Sketches are fitted to their ink: that path sees every picture too.
        fit: if pick & 0x40 == 0 || channels != Channels::Gray {
            runtime::Fit::Stretch
        } else {
            runtime::Fit::Ink {
                margin: runtime::default_margin(side),
            }
        },
    };
    if let Ok(tensor) = runtime::image_tensor(bytes, &p) {
        let c = if channels == Channels::Gray { 1 } else { 3 };
        let n = side as usize * side as usize * c;
        assert_eq!(
            tensor.shape().iter().product::<usize>(),
            n,
            "{:?}",
            tensor.shape()
        );
    }
}

/// The ONNX pre-scan: any bytes are accepted or refused, in bounded time and memory.
pub(crate) fn onnx_scan(data: &[u8]) {
    let _ = runtime::scan(data, &runtime::Limits::default());
    let tight = runtime::Limits {
        max_nodes: 16,
        max_elements: 1 << 12,
    };
    let _ = runtime::scan(data, &tight);
}

/// Repository references: what parses prints back the same, and its archive url keeps the
/// template's shape (no query, fragment or escape of its own).
pub(crate) fn repo_ref(data: &[u8]) {
    let input = text(data);
    if let Ok(r) = uid::RepoRef::parse(&input) {
        assert_eq!(r.to_string(), input);
        let url = r.archive_url(
            "https://h.example/{owner}/{repo}/archive/{ref}.tar.gz",
            "main",
        );
        assert!(!url.contains(['?', '#', '\\', ' ']), "{url}");
        let rest = url
            .strip_prefix("https://h.example/")
            .expect("the template's origin");
        assert!(rest.ends_with(".tar.gz"), "{url}");
        assert!(
            !rest
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == ".."),
            "{url}"
        );
        let name = r.cache_name("main");
        assert!(
            !name.contains(['/', '\\']) && name != "." && name != "..",
            "{name}"
        );
    }
}

/// Model ids and references: what parses prints back the same and names a card path with
/// no `.`, `..` or empty segment; errors point inside the input.
pub(crate) fn uid(data: &[u8]) {
    let input = text(data);
    match uid::Uid::parse(&input) {
        Ok(parsed) => {
            assert_eq!(parsed.to_string(), input);
            let path = parsed.card_path();
            assert!(
                !path
                    .split('/')
                    .any(|p| p == ".." || p == "." || p.is_empty()),
                "{path}"
            );
            let flat = uid::flat_name(&input);
            assert!(!flat.contains('/') && flat != "." && flat != "..", "{flat}");
        }
        Err(e) => {
            let _ = e.render();
            assert!(e.span().end <= input.len());
        }
    }
    let _ = uid::Reference::parse(&input);
    let _ = uid::Uid::from_card_path(&input);
}
