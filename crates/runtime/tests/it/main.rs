//! Integration tests of the runtime: the demo models against the outputs onnxruntime recorded, and bad input.

mod plans;
mod prescan;

use runtime::{Data, Dim, Error, Model, Tensor, npy};
use std::path::{Path, PathBuf};

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub/models")
}

fn load(name: &str) -> Model {
    Model::load(&std::fs::read(models().join(name).join("model.onnx")).expect("model file"))
        .expect("model loads")
}

#[test]
fn demo_models_match_the_recorded_outputs() {
    for name in ["digits", "iris"] {
        let dir = models().join(name);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected"))
                .expect("json");
        let model = load(name);
        assert_eq!(
            model.inputs()[0].name,
            expected["input"].as_str().expect("input name")
        );
        assert_eq!(model.outputs()[0].name, "probabilities");
        let sample =
            npy::read(&std::fs::read(dir.join("sample.npy")).expect("sample")).expect("npy");
        let outputs = model.run(&[sample]).expect("runs");
        let got = outputs[0].as_f32().expect("floats");
        let want: Vec<f64> = expected["probabilities"]
            .as_array()
            .expect("list")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        let tolerance = expected["tolerance"].as_f64().expect("tolerance");
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (f64::from(*g) - w).abs() <= tolerance,
                "{name}: {g} vs {w} (tolerance {tolerance})"
            );
        }
        let best = got
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .expect("classes");
        assert_eq!(
            best as u64,
            expected["class"].as_u64().expect("class"),
            "{name}"
        );
    }
}

#[test]
fn io_specs_are_reported() {
    let model = load("digits");
    assert_eq!(model.inputs()[0].dtype, "float32");
    assert_eq!(model.inputs()[0].shape, [Dim::Fixed(1), Dim::Fixed(64)]);
    assert_eq!(model.outputs()[0].shape, [Dim::Fixed(1), Dim::Fixed(10)]);
}

#[test]
fn wrong_inputs_are_clear_errors() {
    let model = load("iris");
    let err = model
        .run(&[Tensor::f32(vec![1, 5], vec![0.0; 5]).expect("tensor")])
        .expect_err("shape");
    assert_eq!(
        err.to_string(),
        "input 0 (`measurements`): expected shape [1, 4], got [1, 5]"
    );
    assert!(matches!(model.run(&[]), Err(Error::Run(_))));
    let ints = Tensor::new(vec![1, 4], Data::I64(vec![6, 3, 5, 2])).expect("tensor");
    assert_eq!(
        model.run(&[ints]).expect("integers are cast to floats")[0].shape(),
        [1, 3]
    );
    assert!(matches!(
        Tensor::f32(vec![2, 2], vec![1.0]),
        Err(Error::Shape {
            expected: 4,
            got: 1,
            ..
        })
    ));
}

#[test]
fn garbage_and_truncated_models_are_errors() {
    assert!(matches!(
        Model::load(b"not a model"),
        Err(Error::Refused(_))
    ));
    let bytes = std::fs::read(models().join("digits/model.onnx")).expect("model");
    for cut in [1, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            Model::load(&bytes[..cut]).is_err(),
            "a model cut at {cut} bytes loaded"
        );
    }
}

#[test]
fn npy_round_trips_and_rejects_junk() {
    let tensor = Tensor::f32(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5]).expect("tensor");
    assert_eq!(npy::read(&npy::write(&tensor)).expect("read back"), tensor);
    let ints = Tensor::new(vec![3], Data::I64(vec![-1, 0, 7])).expect("tensor");
    assert_eq!(npy::read(&npy::write(&ints)).expect("read back"), ints);
    for junk in [
        &b""[..],
        b"\x93NUMPY",
        b"\x93NUMPY\x01\x00\xff\xff{",
        b"PK\x03\x04",
    ] {
        assert!(matches!(npy::read(junk), Err(Error::Npy(_))), "{junk:?}");
    }
    let mut short = npy::write(&tensor);
    short.pop();
    assert!(matches!(npy::read(&short), Err(Error::Npy(_))));
}

/// A version 1 `.npy` file with this header dictionary and payload.
fn npy_with(header: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend(
        u16::try_from(header.len())
            .expect("short header")
            .to_le_bytes(),
    );
    out.extend(header.as_bytes());
    out.extend(payload);
    out
}

#[test]
fn npy_headers_of_every_shape_are_errors_not_panics() {
    let header = |descr: &str, shape: &str| {
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}")
    };
    for descr in [
        "", "<", "f", "<f", "<f4x", "<f999", "<é4", "é", "<f\u{0}", ">f4", "=f4", "<c8", "<U4",
        "<f-4", "<f 4", "|b", "<i0",
    ] {
        let file = npy_with(&header(descr, "(2,)"), &[0u8; 8]);
        assert!(
            matches!(npy::read(&file), Err(Error::Npy(_))),
            "descr {descr:?}"
        );
    }
    for shape in [
        "(",
        ")",
        "(-1,)",
        "(1e3,)",
        "(99999999999999999999,)",
        "(4294967296, 4294967296, 4294967296)",
        "(2,",
        "x",
    ] {
        let file = npy_with(&header("<f4", shape), &[0u8; 8]);
        assert!(
            matches!(npy::read(&file), Err(Error::Npy(_))),
            "shape {shape:?}"
        );
    }
    // Keys missing, repeated, or cut short.
    for text in [
        "{}",
        "{'descr': '<f4'}",
        "{'descr'",
        "{'descr':",
        "{'shape': (2,), 'fortran_order': False, 'descr'",
    ] {
        let file = npy_with(text, &[0u8; 8]);
        assert!(
            matches!(npy::read(&file), Err(Error::Npy(_))),
            "header {text:?}"
        );
    }
    // Every truncation and every single-byte change of a valid file is read or refused.
    let valid = npy::write(&Tensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]).expect("tensor"));
    for end in 0..valid.len() {
        let _ = npy::read(&valid[..end]);
    }
    for at in 0..valid.len() {
        for byte in [0u8, b'\'', b'(', b')', b',', b':', b'<', b'9', 0x80, 0xff] {
            let mut changed = valid.clone();
            changed[at] = byte;
            let _ = npy::read(&changed);
        }
    }
}

/// Every hostile model is refused by the pre-scan, with the reason in the message.
#[test]
fn hostile_models_are_refused_before_tract_sees_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    let cases = [
        (
            "constant_of_shape_8tb",
            "`ConstantOfShape` would make 1000000000000 elements",
        ),
        (
            "constant_of_shape_2p31",
            "`ConstantOfShape` would make 2147483648 elements",
        ),
        (
            "constant_node_shape",
            "`ConstantOfShape` would make 4294967296 elements",
        ),
        ("expand_huge", "`Expand` would make 68719476736 elements"),
        (
            "tile_huge",
            "`Tile` would make its input repeated too often",
        ),
        (
            "range_huge",
            "`Range` would make a range of 1099511627776 elements",
        ),
        ("resize_huge", "`Resize` would make an image that large"),
        (
            "lying_initializer",
            "tensor `w` declares 1000000000000 elements, over the limit",
        ),
        ("string_raw_data", "string tensor `s` stores raw bytes"),
        (
            "external_data",
            "tensor `e` keeps its data in an external file",
        ),
        ("chain_40k", "the model has more than 10000 nodes"),
    ];
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("hostile models") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let (_, reason) = cases
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no expectation for {name}"));
        match Model::load(&std::fs::read(&path).expect("read")) {
            Err(Error::Refused(message)) => assert!(message.contains(reason), "{name}: {message}"),
            Err(other) => panic!("{name}: refused by tract, not the pre-scan: {other}"),
            Ok(_) => panic!("{name}: loaded"),
        }
        seen += 1;
    }
    assert_eq!(seen, cases.len());
}

#[test]
fn limits_are_adjustable() {
    let bytes = std::fs::read(models().join("digits/model.onnx")).expect("model");
    let tight = runtime::Limits {
        max_nodes: 2,
        ..runtime::Limits::default()
    };
    assert!(matches!(
        Model::open(
            runtime::Source::Onnx(&bytes),
            &runtime::Options {
                limits: tight,
                ..runtime::Options::default()
            }
        ),
        Err(Error::Refused(_))
    ));
    runtime::scan(&bytes, &runtime::Limits::default()).expect("the demo model passes");
}

#[test]
fn images_become_tensors_in_every_layout() {
    use runtime::{Channels, Layout, Preprocess, image_tensor};
    let png = std::fs::read(models().join("digits/sample.png")).expect("sample picture");
    let gray = Preprocess {
        width: 8,
        height: 8,
        channels: Channels::Gray,
        layout: Layout::Flat,
        scale: 16.0 / 255.0,
        mean: vec![],
        std: vec![],
        fit: runtime::Fit::Stretch,
    };
    let tensor = image_tensor(&png, &gray).expect("decodes");
    assert_eq!(tensor.shape(), [1, 64]);
    let sample =
        npy::read(&std::fs::read(models().join("digits/sample.npy")).expect("npy")).expect("npy");
    for (a, b) in tensor.to_f32().iter().zip(sample.to_f32()) {
        assert!((a - b).abs() < 0.05, "{a} vs {b}");
    }
    let rgb = Preprocess {
        width: 4,
        height: 2,
        channels: Channels::Bgr,
        layout: Layout::Nchw,
        scale: 1.0 / 255.0,
        mean: vec![0.5; 3],
        std: vec![0.25; 3],
        fit: runtime::Fit::Stretch,
    };
    assert_eq!(
        image_tensor(&png, &rgb).expect("resized").shape(),
        [1, 3, 2, 4]
    );
    let nhwc = Preprocess {
        layout: Layout::Nhwc,
        ..rgb
    };
    assert_eq!(
        image_tensor(&png, &nhwc).expect("resized").shape(),
        [1, 2, 4, 3]
    );
    assert!(matches!(
        image_tensor(b"not an image", &gray),
        Err(Error::Image(_))
    ));
    assert!(matches!(
        image_tensor(&png[..40], &gray),
        Err(Error::Image(_))
    ));
}

/// The CRC-32 of PNG chunks (ISO 3309), to forge valid headers.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn hostile_pictures_and_sizes_are_errors_not_panics() {
    use runtime::{Channels, Layout, Preprocess, image_tensor};
    let png = std::fs::read(models().join("digits/sample.png")).expect("sample picture");
    let gray = Preprocess {
        width: 8,
        height: 8,
        channels: Channels::Gray,
        layout: Layout::Flat,
        scale: 1.0,
        mean: vec![],
        std: vec![],
        fit: runtime::Fit::Stretch,
    };
    // The same picture claiming to be huge: the header is checked before decoding.
    for (w, h) in [
        (100_000u32, 100_000u32),
        (1, 1 << 30),
        (20_000, 20_000),
        (u32::MAX, 1),
    ] {
        let mut forged = png.clone();
        forged[16..20].copy_from_slice(&w.to_be_bytes());
        forged[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&forged[12..29]);
        forged[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(
            matches!(image_tensor(&forged, &gray), Err(Error::Image(_))),
            "{w}x{h}"
        );
    }
    // A card asking for a huge target size.
    for (width, height) in [(1 << 16, 1 << 16), (u32::MAX, u32::MAX), (0, 8)] {
        let p = Preprocess {
            width,
            height,
            ..gray.clone()
        };
        assert!(
            matches!(image_tensor(&png, &p), Err(Error::Image(_))),
            "{width}x{height}"
        );
    }
    // Every truncation, and bytes changed all over the header and data.
    for end in (0..png.len()).step_by(7) {
        let _ = image_tensor(&png[..end], &gray);
    }
    for at in (0..png.len()).step_by(3) {
        let mut changed = png.clone();
        changed[at] ^= 0xa5;
        let _ = image_tensor(&changed, &gray);
    }
    // A JPEG signature with nothing after it.
    assert!(image_tensor(b"\xff\xd8\xff\xe0", &gray).is_err());
}

/// The benchmark input `generate.py` also builds: ((i * 7919) % 256) / 255.
fn pattern(shape: &[usize]) -> Tensor {
    let count: usize = shape.iter().product();
    #[allow(clippy::cast_precision_loss)]
    let data = (0..count as u64)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    Tensor::f32(shape.to_vec(), data).expect("tensor")
}

#[test]
fn reference_models_match_onnxruntime() {
    for name in ["squeezenet", "resnet50", "alexnet"] {
        let dir = models().join(name);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected"))
                .expect("json");
        let shape: Vec<usize> =
            serde_json::from_value(expected["input_shape"].clone()).expect("shape");
        let outputs = load(name).run(&[pattern(&shape)]).expect("runs");
        let got = outputs[0].to_f32();
        let want: Vec<f64> = serde_json::from_value(expected["values"].clone()).expect("values");
        assert_eq!(got.len(), want.len(), "{name}");
        let scale = want.iter().fold(1e-6_f64, |m, v| m.max(v.abs()));
        let tolerance = expected["tolerance"].as_f64().expect("tolerance") * scale;
        let worst = got
            .iter()
            .zip(&want)
            .map(|(g, w)| (f64::from(*g) - w).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= tolerance,
            "{name}: worst difference {worst} over {tolerance}"
        );
    }
}

/// A PNG of `w` × `h` pixels of `background`, with `ink` where `mark(x, y)` says.
fn picture(w: u32, h: u32, background: u8, ink: u8, mark: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let image = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if mark(x, y) { ink } else { background }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    png
}

#[test]
fn fitting_to_the_ink_ignores_colours_size_and_place() {
    use runtime::{Channels, Fit, Layout, Preprocess, image_tensor};
    let fit = Preprocess {
        width: 28,
        height: 28,
        channels: Channels::Gray,
        layout: Layout::Nchw,
        scale: 1.0 / 255.0,
        mean: vec![],
        std: vec![],
        fit: Fit::Ink { margin: 4 },
    };
    // An `L`, 40 × 60 with strokes 10 thick: light on a dark pad, top left...
    let l_shape = |x: u32, y: u32, left: u32, top: u32, k: u32| {
        let (x, y) = (x.wrapping_sub(left), y.wrapping_sub(top));
        (x < 10 * k && y < 60 * k) || (x < 40 * k && (50 * k..60 * k).contains(&y))
    };
    let pad = picture(224, 224, 0, 255, |x, y| l_shape(x, y, 20, 30, 1));
    // ...and twice as big, dark on paper, elsewhere on a wider sheet.
    let paper = picture(400, 300, 250, 10, |x, y| l_shape(x, y, 250, 100, 2));
    let a = image_tensor(&pad, &fit).expect("fits").to_f32();
    let b = image_tensor(&paper, &fit).expect("fits").to_f32();
    assert_eq!(a.len(), 28 * 28);
    let mean_diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f32>() / 784.0;
    assert!(mean_diff < 0.02, "mean difference {mean_diff}");
    // Ink is high, the background 0, and the tallest side fills 20 of the 28 rows.
    let rows: Vec<usize> = (0..28)
        .filter(|r| a[r * 28..(r + 1) * 28].iter().any(|v| *v > 0.05))
        .collect();
    assert!((19..=21).contains(&rows.len()), "{rows:?}");
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(a[0], 0.0);
    // Centred by mass: the ink's weight is in the middle, whatever its box.
    let total: f32 = a.iter().sum();
    let cx: f32 = a
        .iter()
        .enumerate()
        .map(|(i, v)| v * ((i % 28) as f32 + 0.5))
        .sum::<f32>()
        / total;
    let cy: f32 = a
        .iter()
        .enumerate()
        .map(|(i, v)| v * ((i / 28) as f32 + 0.5))
        .sum::<f32>()
        / total;
    assert!(
        (cx - 14.0).abs() <= 1.0 && (cy - 14.0).abs() <= 1.0,
        "{cx}, {cy}"
    );

    // A digit saved with a transparent background reads as on paper, whatever colour its
    // invisible pixels have.
    let transparent = {
        let image = image::RgbaImage::from_fn(224, 224, |x, y| {
            if l_shape(x, y, 20, 30, 1) {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let mut png = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        png
    };
    let c = image_tensor(&transparent, &fit).expect("fits").to_f32();
    let diff: f32 = a.iter().zip(&c).map(|(x, y)| (x - y).abs()).sum::<f32>() / 784.0;
    assert!(diff < 0.02, "mean difference {diff}");

    // A picture of one shade has nothing to read; one dot is still a picture.
    let blank = picture(64, 64, 255, 255, |_, _| false);
    let err = image_tensor(&blank, &fit).expect_err("blank");
    assert!(err.to_string().contains("no ink"), "{err}");
    let dot = picture(64, 64, 255, 0, |x, y| x == 40 && y == 9);
    let one = image_tensor(&dot, &fit).expect("a dot").to_f32();
    assert!(one.iter().any(|v| *v > 0.5));
    // Tiny and lopsided pictures, and margins that leave one pixel.
    for (w, h) in [(1, 1), (1, 300), (300, 1), (2, 2)] {
        let png = picture(w, h, 0, 200, |x, y| (x + y) % 2 == 1 || (w == 1 && h == 1));
        let _ = image_tensor(&png, &fit);
    }
    let tight = Preprocess {
        fit: Fit::Ink { margin: 13 },
        ..fit.clone()
    };
    assert_eq!(
        image_tensor(&pad, &tight).expect("fits").to_f32().len(),
        784
    );
}
