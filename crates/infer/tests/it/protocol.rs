//! The messages between the `mhub` CLI and its worker process: their JSON form, round trips, and malformed replies.

use infer::{
    Bench, BenchOptions, Data, Dim, LoadOptions, Loaded, ModelSpec, NamedTensor, Output, PlanUse,
    ProcessReply, ProcessRequest, Report, Run, Tensor, TensorSpec, Tried, Tuned,
};
use std::path::PathBuf;

fn spec(name: &str, dtype: &str, shape: Vec<Dim>) -> TensorSpec {
    TensorSpec {
        name: name.to_owned(),
        dtype: dtype.to_owned(),
        shape,
    }
}

fn done() -> ProcessReply {
    ProcessReply::Done(Box::new(Report {
        spec: ModelSpec {
            inputs: vec![spec(
                "tokens",
                "int64",
                vec![Dim::Symbol("batch".into()), Dim::Fixed(3)],
            )],
            outputs: vec![spec(
                "logits",
                "float32",
                vec![Dim::Fixed(1), Dim::Fixed(2)],
            )],
        },
        load_ms: 12.5,
        run: Some(Run {
            outputs: vec![NamedTensor {
                name: "logits".into(),
                tensor: Tensor {
                    shape: vec![1, 2],
                    data: Data::F32(vec![0.1, -3.25e-7]),
                },
            }],
            run_ms: 0.75,
        }),
        loaded: None,
        bench: None,
    }))
}

#[test]
fn a_request_with_an_int64_tensor_round_trips() {
    let request = ProcessRequest {
        model: PathBuf::from("/cache/blobs/sha256/ab/model.onnx"),
        input: Some(Tensor {
            shape: vec![1, 3],
            data: Data::I64(vec![i64::MIN, 0, i64::MAX]),
        }),
        load: LoadOptions::default(),
        bench: None,
    };
    let json = serde_json::to_string(&request).expect("serialize");
    assert_eq!(
        json,
        r#"{"model":"/cache/blobs/sha256/ab/model.onnx","input":{"shape":[1,3],"dtype":"int64","values":[-9223372036854775808,0,9223372036854775807]}}"#
    );
    assert_eq!(
        serde_json::from_str::<ProcessRequest>(&json).expect("parse"),
        request
    );
}

#[test]
fn a_request_without_input_only_names_the_model() {
    let request = ProcessRequest {
        model: PathBuf::from("model.onnx"),
        input: None,
        load: LoadOptions::default(),
        bench: None,
    };
    let json = serde_json::to_string(&request).expect("serialize");
    assert_eq!(json, r#"{"model":"model.onnx"}"#);
    assert_eq!(
        serde_json::from_str::<ProcessRequest>(&json).expect("parse"),
        request
    );
}

#[test]
fn a_reply_round_trips_with_specs_and_timings() {
    let reply = done();
    let json = serde_json::to_string(&reply).expect("serialize");
    assert_eq!(
        json,
        concat!(
            r#"{"kind":"done","spec":{"inputs":[{"name":"tokens","dtype":"int64","shape":["batch",3]}],"#,
            r#""outputs":[{"name":"logits","dtype":"float32","shape":[1,2]}]},"load_ms":12.5,"#,
            r#""run":{"outputs":[{"name":"logits","shape":[1,2],"dtype":"float32","values":[0.1,-3.25e-7]}],"run_ms":0.75}}"#
        )
    );
    assert_eq!(
        serde_json::from_str::<ProcessReply>(&json).expect("parse"),
        reply
    );
    let failed = ProcessReply::Failed {
        message: "refusing the model: the model has more than 10000 nodes".into(),
    };
    let json = serde_json::to_string(&failed).expect("serialize");
    assert_eq!(
        json,
        r#"{"kind":"failed","message":"refusing the model: the model has more than 10000 nodes"}"#
    );
    assert_eq!(
        serde_json::from_str::<ProcessReply>(&json).expect("parse"),
        failed
    );
}

#[test]
fn float32_values_round_trip_exactly_even_when_json_cannot_hold_them() {
    let values = vec![
        f32::MIN_POSITIVE,
        f32::MAX,
        -0.0,
        1.0 / 3.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let tensor = Tensor {
        shape: vec![values.len()],
        data: Data::F32(values.clone()),
    };
    let json = serde_json::to_string(&tensor).expect("serialize");
    assert!(json.ends_with(r#""nan","inf","-inf"]}"#), "{json}");
    let Data::F32(back) = serde_json::from_str::<Tensor>(&json).expect("parse").data else {
        panic!("float32 came back as another type: {json}");
    };
    assert_eq!(back.len(), values.len());
    for (a, b) in values.iter().zip(&back) {
        assert!(
            a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
            "{a} became {b}"
        );
    }
    // The page's outputs use the same form.
    let output: Output =
        serde_json::from_str(r#"{"name":"p","shape":[2],"values":[1,"-inf"]}"#).expect("parse");
    assert_eq!(output.values, vec![1.0, f32::NEG_INFINITY]);
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    let json = serde_json::to_string(&done()).expect("serialize");
    for bad in [
        "",
        "not json",
        "null",
        r#"{"kind":"done"}"#,
        r#"{"kind":"finished","message":"x"}"#,
        r#"{"message":"no kind"}"#,
        r#"{"kind":"failed","message":7}"#,
        &json[..json.len() / 2],
        &json.replace(
            r#""dtype":"float32","values""#,
            r#""dtype":"float16","values""#,
        ),
        &json.replace("0.1,", r#""one","#),
        &json.replace(r#""shape":[1,2],"dtype""#, r#""shape":[-1,2],"dtype""#),
        &json.replace(r#""load_ms":12.5"#, r#""load_ms":"fast""#),
    ] {
        assert!(
            serde_json::from_str::<ProcessReply>(bad).is_err(),
            "accepted {bad:?}"
        );
    }
    let int64 = r#"{"shape":[2],"dtype":"int64","values":[1,1.5]}"#;
    assert!(serde_json::from_str::<Tensor>(int64).is_err());
}

#[test]
fn load_options_and_a_bench_report_round_trip() {
    let request = ProcessRequest {
        model: PathBuf::from("model.onnx"),
        input: None,
        load: LoadOptions {
            cache: Some(PathBuf::from("/cache")),
            sha256: Some("ab".repeat(32)),
            threads: 4,
            tune_ms: 10_000.0,
            plan_min_bytes: 1 << 20,
        },
        bench: Some(BenchOptions { max_ms: 20_000.0 }),
    };
    let json = serde_json::to_string(&request).expect("serialize");
    assert_eq!(
        serde_json::from_str::<ProcessRequest>(&json).expect("parse"),
        request
    );
    // Load options left out are one thread, no cache and no tuning.
    let plain: ProcessRequest =
        serde_json::from_str(r#"{"model":"m.onnx","load":{}}"#).expect("parse");
    assert_eq!(plain.load, LoadOptions::default());
    let ProcessReply::Done(mut report) = done() else {
        unreachable!()
    };
    report.loaded = Some(Loaded {
        plan: PlanUse::Written,
        tuning: "TRACT_DISABLE_DIRECT_SPATIAL=true".into(),
        tuning_text: "{}".into(),
        tuned: Some(Tuned {
            spent_ms: 1200.0,
            tried: vec![Tried {
                setting: "default".into(),
                run_ms: 3.5,
            }],
            cut_short: false,
        }),
        threads: 2,
        machine: "x86_64+avx2+fma".into(),
        problems: vec!["cannot write `/cache/v2/compiled`".into()],
    });
    report.bench = Some(Bench {
        first_load_ms: 40.0,
        load_ms: 12.0,
        loads: 5,
        run_ms: 3.25,
        p90_ms: 3.5,
        runs: 200,
    });
    let reply = ProcessReply::Done(report);
    let json = serde_json::to_string(&reply).expect("serialize");
    assert!(json.contains(r#""plan":"written""#), "{json}");
    assert_eq!(
        serde_json::from_str::<ProcessReply>(&json).expect("parse"),
        reply
    );
}
