//! Plans and tuning: a plan reads back to the same model, a bad plan is a clear error, tuning keeps a setting it timed.

use super::models;
use runtime::{Dim, ENGINE, Error, Graph, Limits, Model, Options, Source, Tensor, Tuning, tune};
use std::time::Instant;

fn onnx(name: &str) -> Vec<u8> {
    std::fs::read(models().join(name).join("model.onnx")).expect("model file")
}

/// The benchmark input for `model`: ((i * 7919) % 256) / 255, symbols as 1.
fn pattern(model: &Model) -> Tensor {
    let shape: Vec<usize> = model.inputs()[0]
        .shape
        .iter()
        .map(|d| if let Dim::Fixed(n) = d { *n } else { 1 })
        .collect();
    let count: usize = shape.iter().product();
    let data = (0..count as u64)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    Tensor::f32(shape, data).expect("tensor")
}

fn largest_difference(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.to_f32()
        .iter()
        .zip(b.to_f32().iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// A clock in milliseconds, as `tune` takes it.
fn clock() -> impl FnMut() -> f64 {
    let start = Instant::now();
    move || start.elapsed().as_secs_f64() * 1e3
}

#[test]
fn a_plan_reads_back_to_the_same_model() {
    // squeezenet's input is `gpu_0/data_0`, which NNEF spells otherwise: the plan keeps it.
    for name in ["digits", "iris", "squeezenet"] {
        let bytes = onnx(name);
        let graph = Graph::read(Source::Onnx(&bytes), &Limits::default()).expect("reads");
        let plan = graph.plan().expect("writes a plan");
        assert_eq!(
            plan,
            graph.plan().expect("again"),
            "{name}: not deterministic"
        );
        assert!(plan.starts_with(b"mhub-plan 1\n"));
        let direct = Model::load(&bytes).expect("loads");
        let planned = Model::open(Source::Plan(&plan), &Options::default()).expect("plan loads");
        assert_eq!(direct.inputs(), planned.inputs(), "{name}");
        assert_eq!(direct.outputs(), planned.outputs(), "{name}");
        let input = pattern(&direct);
        let (a, b) = (
            direct.run(std::slice::from_ref(&input)).expect("runs"),
            planned.run(std::slice::from_ref(&input)).expect("runs"),
        );
        assert!(largest_difference(&a[0], &b[0]) <= 1e-5, "{name}");
    }
}

#[test]
fn bad_plans_are_clear_errors() {
    let bytes = onnx("iris");
    let plan = Graph::read(Source::Onnx(&bytes), &Limits::default())
        .expect("reads")
        .plan()
        .expect("plan");
    let header_end = plan
        .iter()
        .skip(12)
        .position(|b| *b == b'\n')
        .expect("header")
        + 12;
    let header = std::str::from_utf8(&plan[12..header_end]).expect("text");
    let with_header = |text: &str| {
        let mut out = b"mhub-plan 1\n".to_vec();
        out.extend(text.as_bytes());
        out.extend(&plan[header_end..]);
        out
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "does not start with `mhub-plan 1`"),
        (bytes.clone(), "does not start with `mhub-plan 1`"),
        (b"mhub-plan 1\n{".to_vec(), "its header does not end"),
        (with_header("{\"engine\": 1}"), "its header"),
        (
            with_header(&header.replace(ENGINE, "tract-0.1.0")),
            "it was written by `tract-0.1.0`",
        ),
        (
            with_header(&header.replace("\"outputs\":[", "\"outputs\":[\"extra\",")),
            "disagree on the inputs and outputs",
        ),
        (plan[..plan.len() / 2].to_vec(), "unreadable plan"),
        (plan[..header_end + 1].to_vec(), "unreadable plan"),
    ];
    for (bad, says) in cases {
        match Graph::read(Source::Plan(&bad), &Limits::default()) {
            Err(Error::Load(message)) => assert!(
                message.contains("unreadable plan") && message.contains(says),
                "{message}"
            ),
            Err(other) => panic!("not a load error: {other}"),
            Ok(_) => panic!("a bad plan read: {says}"),
        }
    }
    // Every truncation of a small plan is refused or read, never a panic.
    for end in (0..plan.len()).step_by(97) {
        let _ = Graph::read(Source::Plan(&plan[..end]), &Limits::default());
    }
}

#[test]
fn tunings_accept_only_the_strategy_knobs() {
    let tuning = Tuning::from_text(r#"{"knobs":{"TRACT_DISABLE_DIRECT_SPATIAL":"true"}}"#)
        .expect("a known knob");
    assert_eq!(tuning.describe(), "TRACT_DISABLE_DIRECT_SPATIAL=true");
    assert_eq!(
        Tuning::from_text(&tuning.to_text()).expect("round trip"),
        tuning
    );
    assert_eq!(Tuning::default().describe(), "default");
    for (text, says) in [
        (
            r#"{"knobs":{"TRACT_CPU_ISA":"-avx2"}}"#,
            "unknown tuning setting `TRACT_CPU_ISA`",
        ),
        (
            r#"{"knobs":{"TRACT_LAZY_IM2COL_MIN_KERNEL":"many"}}"#,
            "invalid tuning",
        ),
        ("[1, 2]", "invalid tuning"),
        ("", "invalid tuning"),
    ] {
        let err = Tuning::from_text(text).expect_err(text);
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn tuning_keeps_a_setting_it_timed_and_respects_its_budget() {
    let bytes = onnx("squeezenet");
    let graph = Graph::read(Source::Onnx(&bytes), &Limits::default()).expect("reads");
    let reference = graph.optimise(&Options::default()).expect("default");
    let input = pattern(&reference);
    let expected = reference.run(std::slice::from_ref(&input)).expect("runs");
    let options = Options {
        threads: 2,
        ..Options::default()
    };
    let (model, tuned) = tune(
        &graph,
        std::slice::from_ref(&input),
        &options,
        60_000.0,
        &mut clock(),
    )
    .expect("tunes");
    assert!(!tuned.cut_short);
    assert!(tuned.tried[0].tuning.is_default());
    assert!(tuned.tried.len() >= 3, "{:?}", tuned.tried);
    assert!(
        tuned.tried.iter().any(|t| &t.tuning == model.tuning()),
        "the kept setting was timed"
    );
    // One thread was tried, since two were allowed.
    assert!(tuned.tried.iter().any(|t| t.tuning.threads == Some(1)));
    let got = model.run(std::slice::from_ref(&input)).expect("runs");
    assert!(largest_difference(&got[0], &expected[0]) <= 1e-3);
    // The tuning applies again from its text.
    let again = graph
        .optimise(&Options {
            tuning: Tuning::from_text(&model.tuning().to_text()).expect("text"),
            ..options
        })
        .expect("optimises");
    assert_eq!(again.tuning(), model.tuning());

    let (untuned, none) = tune(
        &graph,
        std::slice::from_ref(&input),
        &Options::default(),
        0.0,
        &mut clock(),
    )
    .expect("tunes");
    assert!(none.cut_short);
    assert_eq!(none.tried.len(), 1);
    assert!(untuned.tuning().is_default());
}

#[test]
fn a_model_without_convolutions_is_only_tried_for_threads() {
    let bytes = onnx("digits");
    let graph = Graph::read(Source::Onnx(&bytes), &Limits::default()).expect("reads");
    let model = graph.optimise(&Options::default()).expect("optimises");
    let input = pattern(&model);
    let (_, one) = tune(
        &graph,
        std::slice::from_ref(&input),
        &Options::default(),
        60_000.0,
        &mut clock(),
    )
    .expect("tunes");
    assert_eq!(one.tried.len(), 1);
    let (_, two) = tune(
        &graph,
        std::slice::from_ref(&input),
        &Options {
            threads: 2,
            ..Options::default()
        },
        60_000.0,
        &mut clock(),
    )
    .expect("tunes");
    assert_eq!(two.tried.len(), 2);
    assert_eq!(two.tried[1].tuning.threads, Some(1));
}

#[test]
fn threads_are_used_as_asked_and_give_the_same_outputs() {
    let bytes = onnx("squeezenet");
    let one = Model::load(&bytes).expect("loads");
    let two = Model::open(
        Source::Onnx(&bytes),
        &Options {
            threads: 2,
            ..Options::default()
        },
    )
    .expect("loads");
    assert_eq!((one.threads(), two.threads()), (1, 2));
    let capped = Model::open(
        Source::Onnx(&bytes),
        &Options {
            threads: 2,
            tuning: Tuning {
                threads: Some(1),
                ..Tuning::default()
            },
            ..Options::default()
        },
    )
    .expect("loads");
    assert_eq!(capped.threads(), 1);
    let input = pattern(&one);
    let (a, b) = (
        one.run(std::slice::from_ref(&input)).expect("runs"),
        two.run(std::slice::from_ref(&input)).expect("runs"),
    );
    assert!(largest_difference(&a[0], &b[0]) <= 1e-4);
}

/// A keeper in memory that counts what it was asked to keep.
#[derive(Default)]
struct Memory {
    plan: Option<Vec<u8>>,
    tuning: Option<String>,
    plans_kept: usize,
    tunings_kept: usize,
}

impl runtime::Keeper for Memory {
    fn plan(&mut self) -> Option<Vec<u8>> {
        self.plan.clone()
    }
    fn keep_plan(&mut self, plan: &[u8]) -> bool {
        self.plan = Some(plan.to_vec());
        self.plans_kept += 1;
        true
    }
    fn tuning(&mut self) -> Option<String> {
        self.tuning.clone()
    }
    fn keep_tuning(&mut self, text: &str) {
        self.tuning = Some(text.to_owned());
        self.tunings_kept += 1;
    }
}

#[test]
fn open_makes_and_keeps_the_plan_and_tuning_then_reuses_them() {
    use runtime::{PlanUse, TuneOn, TuningUse, open};
    let bytes = onnx("squeezenet");
    let reference = Model::load(&bytes).expect("loads");
    let input = pattern(&reference);
    let tune_on = || TuneOn {
        inputs: std::slice::from_ref(&input),
        budget_ms: 60_000.0,
    };
    let mut keeper = Memory::default();
    let first = open(
        &bytes,
        &mut keeper,
        &Options::default(),
        Some(tune_on()),
        &mut clock(),
    )
    .expect("opens");
    assert_eq!(first.plan, PlanUse::Written);
    assert!(matches!(first.tuning, TuningUse::Tuned(_)));
    assert_eq!((keeper.plans_kept, keeper.tunings_kept), (1, 1));
    let second = open(
        &bytes,
        &mut keeper,
        &Options::default(),
        Some(tune_on()),
        &mut clock(),
    )
    .expect("opens");
    assert_eq!(second.plan, PlanUse::Kept);
    assert_eq!(second.tuning, TuningUse::Kept);
    assert_eq!(second.model.tuning(), first.model.tuning());
    assert_eq!(second.model.inputs(), reference.inputs());
    assert_eq!((keeper.plans_kept, keeper.tunings_kept), (1, 1));
    // A kept plan or tuning that does not read is made again.
    keeper.plan = Some(b"mhub-plan 1\n{}\n".to_vec());
    keeper.tuning = Some(r#"{"knobs":{"TRACT_CPU_ISA":"-avx2"}}"#.to_owned());
    let third = open(
        &bytes,
        &mut keeper,
        &Options::default(),
        Some(tune_on()),
        &mut clock(),
    )
    .expect("opens");
    assert_eq!(third.plan, PlanUse::Written);
    assert!(matches!(third.tuning, TuningUse::Tuned(_)));
    assert_eq!((keeper.plans_kept, keeper.tunings_kept), (2, 2));
    // Without inputs to tune on, or with no budget, tract's defaults are used and nothing kept.
    let mut empty = Memory::default();
    let plain = open(&bytes, &mut empty, &Options::default(), None, &mut clock()).expect("opens");
    assert_eq!(plain.tuning, TuningUse::Default);
    assert!(plain.model.tuning().is_default());
    assert_eq!(empty.tunings_kept, 0);
    let mut nothing = runtime::KeepNothing;
    let untuned = open(
        &bytes,
        &mut nothing,
        &Options::default(),
        Some(TuneOn {
            inputs: std::slice::from_ref(&input),
            budget_ms: 0.0,
        }),
        &mut clock(),
    )
    .expect("opens");
    assert_eq!(untuned.plan, PlanUse::None);
    assert_eq!(untuned.tuning, TuningUse::Default);
    // A file under `plan_min_bytes` is parsed each time: its plan is neither read nor kept.
    let mut small = Memory {
        plan: Some(b"not even a plan".to_vec()),
        ..Memory::default()
    };
    let parsed = open(
        &bytes,
        &mut small,
        &Options {
            plan_min_bytes: bytes.len() + 1,
            ..Options::default()
        },
        None,
        &mut clock(),
    )
    .expect("opens");
    assert_eq!(parsed.plan, PlanUse::None);
    assert_eq!(small.plans_kept, 0);
}
