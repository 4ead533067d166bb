//! Integration tests of the inference engine on the demo hub's models, natively.

use infer::{Engine, Error, Input, ModelRef, PlanUse, Reply, Request, Tuning};
use std::path::PathBuf;

mod protocol;

/// Loads with tract's defaults.
const UNTUNED: Tuning<'static> = Tuning {
    kept: None,
    input: None,
    budget_ms: 0.0,
};

/// A clock that advances a millisecond a call.
fn ticks() -> impl FnMut() -> f64 {
    let mut now = 0.0;
    move || {
        now += 1.0;
        now
    }
}

fn hub(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../hub")
        .join(path)
}

fn model_ref(path: &str) -> (ModelRef, Vec<u8>) {
    let bytes = std::fs::read(hub(path)).expect("test data");
    let sha256 = manifest::Sha256::of(&bytes).to_string();
    (
        ModelRef {
            url: path.to_owned(),
            sha256,
            size: Some(bytes.len() as u64),
        },
        bytes,
    )
}

fn card_image(uid_file: &str) -> manifest::ImageSpec {
    let text = std::fs::read_to_string(hub(uid_file)).expect("test data");
    let report = manifest::check(&text, &manifest::Options::default());
    report.card.inputs[0].image.clone().expect("test data")
}

fn argmax(values: &[f32]) -> usize {
    (0..values.len())
        .max_by(|a, b| values[*a].total_cmp(&values[*b]))
        .expect("test data")
}

fn expected_class(dir: &str) -> usize {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(hub(&format!("models/{dir}/expected.json"))).expect("test data"),
    )
    .expect("test data");
    expected["class"]
        .as_u64()
        .or_else(|| expected["top1"].as_u64())
        .expect("test data") as usize
}

#[test]
fn digits_sample_image_gives_the_expected_class() {
    let (model, bytes) = model_ref("models/digits/model.onnx");
    let mut engine = Engine::new();
    engine
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .expect("test data");
    assert!(engine.has(&model.sha256.to_uppercase()));
    let png = std::fs::read(hub("models/digits/sample.png")).expect("test data");
    let input = Input::Image {
        image: card_image("assets/mhub/cpu/1.0/digits_v1.0_digits.md"),
    };
    let mut tick = 0.0;
    let mut clock = || {
        tick += 1.5;
        tick
    };
    let (outputs, times) = engine
        .run(&model.sha256, &input, Some(&png), 3, &mut clock)
        .expect("test data");
    assert_eq!(times, vec![1.5, 1.5, 1.5]);
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].name, "probabilities");
    assert_eq!(outputs[0].shape, vec![1, 10]);
    assert_eq!(argmax(&outputs[0].values), expected_class("digits"));
}

#[test]
fn iris_numbers_run() {
    let (model, bytes) = model_ref("models/iris/model.onnx");
    let mut engine = Engine::new();
    engine
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .expect("test data");
    let input = Input::Numbers {
        shape: vec![1, 4],
        values: vec![6.1, 2.8, 4.7, 1.2],
    };
    let (outputs, _) = engine
        .run(&model.sha256, &input, None, 1, &mut || 0.0)
        .expect("test data");
    let probabilities = &outputs.last().expect("test data").values;
    assert_eq!(probabilities.len(), 3);
    // Measurements of a versicolor flower.
    assert_eq!(argmax(probabilities), 1);
}

#[test]
fn bytes_with_another_digest_are_refused_before_loading() {
    let (mut model, bytes) = model_ref("models/digits/model.onnx");
    model.sha256 = "0".repeat(64);
    let mut engine = Engine::new();
    let err = engine
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .unwrap_err();
    assert!(matches!(err, Error::Digest { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("the model fetched from `models/digits/model.onnx` has sha256 `2d63bb")
    );
    assert!(!engine.has(&model.sha256));
}

#[test]
fn bytes_of_another_size_are_refused() {
    let (mut model, bytes) = model_ref("models/digits/model.onnx");
    model.size = Some(1);
    let err = Engine::new()
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model fetched from `models/digits/model.onnx` is 19547 bytes, but its card says 1"
    );
}

#[test]
fn running_a_model_that_is_not_loaded_is_an_error() {
    let input = Input::Numbers {
        shape: vec![1, 4],
        values: vec![0.0; 4],
    };
    let err = Engine::new()
        .run("ab", &input, None, 1, &mut || 0.0)
        .unwrap_err();
    assert_eq!(err.to_string(), "model `ab` is not loaded");
}

#[test]
fn an_image_request_without_bytes_is_an_error() {
    let (model, bytes) = model_ref("models/digits/model.onnx");
    let mut engine = Engine::new();
    engine
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .expect("test data");
    let input = Input::Image {
        image: card_image("assets/mhub/cpu/1.0/digits_v1.0_digits.md"),
    };
    let err = engine
        .run(&model.sha256, &input, None, 1, &mut || 0.0)
        .unwrap_err();
    assert!(matches!(err, Error::NoImage));
}

#[test]
fn a_wrong_input_shape_is_an_error_not_a_panic() {
    let (model, bytes) = model_ref("models/iris/model.onnx");
    let mut engine = Engine::new();
    engine
        .load(&model, &bytes, &UNTUNED, &mut ticks())
        .expect("test data");
    let input = Input::Numbers {
        shape: vec![1, 3],
        values: vec![1.0; 3],
    };
    assert!(
        engine
            .run(&model.sha256, &input, None, 1, &mut || 0.0)
            .is_err()
    );
    let input = Input::Numbers {
        shape: vec![1, 4],
        values: vec![1.0; 3],
    };
    assert!(
        engine
            .run(&model.sha256, &input, None, 1, &mut || 0.0)
            .is_err()
    );
}

#[test]
fn messages_have_a_stable_json_form() {
    let request: Request = serde_json::from_str(
        r#"{"id":7,"model":{"url":"http://x/m.onnx","sha256":"ab"},"input":{"kind":"numbers","shape":[1,2],"values":[1,2]}}"#,
    )
    .expect("test data");
    assert_eq!(request.runs, 1);
    assert_eq!(request.model.size, None);
    let reply = Reply::Failed {
        id: 7,
        message: "no".into(),
    };
    assert_eq!(
        serde_json::to_string(&reply).expect("test data"),
        r#"{"kind":"failed","id":7,"message":"no"}"#
    );
    assert_eq!(
        serde_json::to_string(&Reply::Ready {
            machine: "wasm32+simd128".into()
        })
        .expect("test data"),
        r#"{"kind":"ready","machine":"wasm32+simd128"}"#
    );
    // A page from before the machine was reported still reads.
    assert_eq!(
        serde_json::from_str::<Reply>(r#"{"kind":"ready"}"#).expect("test data"),
        Reply::Ready {
            machine: String::new()
        }
    );
}

#[test]
fn a_first_load_tunes_on_the_input_and_a_kept_tuning_is_used_as_is() {
    let (model, bytes) = model_ref("models/squeezenet/model.onnx");
    let input =
        runtime::Tensor::f32(vec![1, 3, 224, 224], vec![0.5; 3 * 224 * 224]).expect("test data");
    let start = std::time::Instant::now();
    let mut clock = move || start.elapsed().as_secs_f64() * 1e3;
    let mut engine = Engine::new();
    let first = engine
        .load(
            &model,
            &bytes,
            &Tuning {
                kept: None,
                input: Some(&input),
                budget_ms: 60_000.0,
            },
            &mut clock,
        )
        .expect("loads");
    assert_eq!(first.plan, PlanUse::None, "the page keeps no plans");
    let tuned = first.tuned.as_ref().expect("tuned at first load");
    assert_eq!(tuned.tried[0].setting, "default");
    assert!(tuned.tried.len() >= 2);
    let second = engine
        .load(
            &model,
            &bytes,
            &Tuning {
                kept: Some(&first.tuning_text),
                input: Some(&input),
                budget_ms: 60_000.0,
            },
            &mut clock,
        )
        .expect("loads");
    assert!(second.tuned.is_none());
    assert_eq!(second.tuning, first.tuning);
    assert_eq!(second.machine, runtime::machine());
}
