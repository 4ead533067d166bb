//! Times loading and running models for `cargo xtask bench infer`: prints one JSON line per model.
#![allow(clippy::print_stdout, clippy::expect_used)]

use runtime::{Dim, Model, Tensor};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The benchmark input, as `xtask/models/bench_ort.py` builds it.
fn pattern(shape: &[usize]) -> Tensor {
    let count: usize = shape.iter().product();
    #[allow(clippy::cast_precision_loss)]
    let data = (0..count as u64)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    Tensor::f32(shape.to_vec(), data).expect("tensor")
}

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("model file");
        let loads: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                Model::load(&bytes).expect("loads");
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        let model = Model::load(&bytes).expect("loads");
        let shape: Vec<usize> = model.inputs()[0]
            .shape
            .iter()
            .map(|d| if let Dim::Fixed(n) = d { *n } else { 1 })
            .collect();
        let input = pattern(&shape);
        for _ in 0..5 {
            model.run(std::slice::from_ref(&input)).expect("runs");
        }
        let mut runs = Vec::new();
        let started = Instant::now();
        while runs.len() < 20 || (runs.len() < 500 && started.elapsed().as_secs_f64() < 3.0) {
            let t = Instant::now();
            model.run(std::slice::from_ref(&input)).expect("runs");
            runs.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "{{\"model\": \"{path}\", \"load_ms\": {:.3}, \"run_ms\": {:.4}, \"runs\": {}}}",
            median(loads),
            median(runs.clone()),
            runs.len()
        );
    }
}
