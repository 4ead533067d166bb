//! Benchmarks: numbers printed for people to read and compare, never asserted.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod catalogue;
mod infer;
mod serve;
mod web;

pub(crate) fn run(root: &Path, which: Option<&str>) -> Result<(), String> {
    match which {
        None => validate(root)
            .and_then(|()| pull(root))
            .and_then(|()| infer::run(root))
            .and_then(|()| whole_run(root))
            .and_then(|()| serve::run(root)),
        Some("validate") => validate(root),
        Some("pull") => pull(root),
        Some("infer") => infer::run(root).and_then(|()| whole_run(root)),
        Some("serve") => serve::run(root),
        // `cargo xtask bench web [--dev] [catalogue | infer]`: its options follow its name.
        Some("web") => web::run(root, &std::env::args().skip(3).collect::<Vec<_>>()),
        Some(other) => Err(format!(
            "unknown benchmark `{other}`; available: validate, pull, infer, serve, web [--dev] [catalogue | infer]"
        )),
    }
}

/// Times `command` `runs` times after `prepare`, returning the median.
fn time_runs(
    runs: usize,
    mut prepare: impl FnMut(),
    mut command: impl FnMut() -> Command,
) -> Result<Duration, String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        prepare();
        let mut cmd = command();
        let start = Instant::now();
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        let elapsed = start.elapsed();
        if !out.status.success() {
            return Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        times.push(elapsed);
    }
    Ok(median(times))
}

/// A cached `mhub run` of the digits model, as a whole process: the README's main job.
fn whole_run(root: &Path) -> Result<(), String> {
    let cache = root.join("target/bench/run-cache");
    let mhub = root.join("target/release/mhub");
    let run = || {
        let mut cmd = Command::new(&mhub);
        cmd.args([
            "run",
            "-q",
            "mhub/cpu/1.0/digits_v2.0_digits",
            "--input",
            "hub/models/digits2/sample.png",
        ])
        .env("MHUB_DIR", &cache)
        .env("MHUB_HUB", root.join("hub"))
        .current_dir(root);
        cmd
    };
    time_runs(1, || {}, run)?;
    let whole = time_runs(21, || {}, run)?;
    println!(
        "cached `mhub run` of digits on sample.png, whole process: {:.1} ms (target <= 20 ms)",
        whole.as_secs_f64() * 1e3
    );
    Ok(())
}

/// Pulls a 1 GiB asset from a loopback server next to `curl -o`, and times a cached hit.
fn pull(root: &Path) -> Result<(), String> {
    crate::run("cargo", &["build", "--release", "--locked", "-p", "cli"])?;
    let mhub = root.join("target/release/mhub");
    let size = 1usize << 30;
    let data = testserver::bytes(size);
    let digest = testserver::sha256(&data);
    let server = testserver::Server::start();
    let uid = "bench/cpu/1.0/big_v1.0_cifar10";
    let card = format!(
        "# Big\n---\nmodel-name: big\nbackbone-name: big\nmodule-type: cv\nfine-tunable: false\nmodel-version: 1.0\n\
         author: bench\nupdate-time: 2026-11-22\nrepo-link: https://example.com/big\nuser-id: bench\nused-for: inference\n\
         mindspore-version: 1.0\nlicense: Apache2.0\nsummary: 1 GiB\nasset:\n- file-format: onnx\n  asset-link: {}\n  \
         asset-sha256: {digest}\n  asset-size: {size}\n---\n",
        server.url("/big.bin")
    );
    server.put(&format!("/assets/{uid}.md"), card.into_bytes());
    server.put("/big.bin", data);
    let work = root.join("target/bench/pull");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("cannot create `{}`: {e}", work.display()))?;
    let cache_dir = work.join("cache");
    let curl_out = work.join("curl.bin");
    let url = server.url("/big.bin");
    let mhub_pull = || {
        let mut cmd = Command::new(&mhub);
        cmd.args(["pull", "-q", uid])
            .env("MHUB_DIR", &cache_dir)
            .env("MHUB_HUB", server.url("/"));
        cmd
    };
    println!("benchmark: pull a 1 GiB asset from a loopback server (median of 3, page cache warm)");
    let curl = time_runs(
        3,
        || drop(fs::remove_file(&curl_out)),
        || {
            let mut cmd = Command::new("curl");
            cmd.args(["-s", "-f", "-o"]).arg(&curl_out).arg(&url);
            cmd
        },
    );
    let ours = time_runs(3, || drop(fs::remove_dir_all(&cache_dir)), mhub_pull)?;
    let hit = time_runs(10, || {}, mhub_pull)?;
    let rate = |d: Duration| size as f64 / d.as_secs_f64() / (1 << 20) as f64;
    println!(
        "  mhub pull (sha256 verified)  {:>8.0} ms  {:>7.0} MiB/s",
        ours.as_secs_f64() * 1e3,
        rate(ours)
    );
    match curl {
        Ok(c) => {
            println!(
                "  curl -o (no verification)    {:>8.0} ms  {:>7.0} MiB/s",
                c.as_secs_f64() * 1e3,
                rate(c)
            );
            println!(
                "  ratio mhub/curl throughput   {:>8.2}   (target >= 0.9)",
                rate(ours) / rate(c)
            );
        }
        Err(e) => println!("  curl: not measured ({e})"),
    }
    println!(
        "  cached hit (whole process)   {:>8.1} ms",
        hit.as_secs_f64() * 1e3
    );
    let _ = fs::remove_dir_all(&work);
    Ok(())
}

/// The number of `.md` files under `hub/assets`.
fn cards_in(hub: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        usize::from(path.extension().is_some_and(|x| x == "md"))
                    }
                })
                .sum()
        })
    }
    walk(&hub.join("assets"))
}

/// A card for the generated tree, varied by `i` so no two are alike.
fn card(i: usize, backend: &str, version: &str) -> String {
    format!(
        "# Model {i}\n\n---\n\nmodel-name: model{i}\n\nbackbone-name: resnet{depth}\n\nmodule-type: cv-classification\n\n\
         fine-tunable: True\n\ninput-shape: [224, 224, 3]\n\nmodel-version: 1.{minor}\n\ntrain-dataset: cifar10\n\n\
         accuracy: 0.{acc}\n\nauthor: bench\n\nupdate-time: 2026-11-{day}\n\n\
         repo-link: <https://example.com/models/model{i}>\n\nuser-id: bench\n\nused-for: inference\n\n\
         train-backend: {backend}\n\ninfer-backend: {backend}\n\nmindspore-version: {version}\n\n\
         asset:\n\n-\n    file-format: ckpt\n    asset-link: <https://example.com/models/model{i}.ckpt>\n    \
         asset-sha256: {sha:064x}\n\nlicense: Apache2.0\n\nsummary: generated card {i} for the validation benchmark\n\n---\n\n\
         ## Introduction\n\nModel {i} is generated.\n\n## Usage\n\n```python\nimport mhub\n```\n\n## Citation\n\n## Change Log\n",
        depth = 18 + i % 100,
        minor = i % 10,
        acc = 50 + i % 50,
        day = 1 + i % 28,
        sha = i as u128 * 0x9e37_79b9_7f4a_7c15_u128,
    )
}

/// Writes `count` cards under `dir/assets`, once; returns the hub folder.
fn generate(root: &Path, count: usize) -> Result<PathBuf, String> {
    let hub = root.join(format!("target/bench/hub-{count}"));
    let done = hub.join(".complete");
    if done.exists() {
        return Ok(hub);
    }
    let _ = fs::remove_dir_all(&hub);
    for i in 0..count {
        let (publisher, backend, version) = (
            format!("pub{}", i % 7),
            ["ascend", "gpu", "cpu"][i % 3],
            ["1.0", "1.3", "1.10"][i % 3],
        );
        let dir = hub
            .join("assets")
            .join(&publisher)
            .join(backend)
            .join(version);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let file = dir.join(format!("model{i}_v1.{}_cifar10.md", i % 10));
        fs::write(&file, card(i, backend, version))
            .map_err(|e| format!("cannot write `{}`: {e}", file.display()))?;
    }
    fs::write(&done, "").map_err(|e| format!("cannot write `{}`: {e}", done.display()))?;
    Ok(hub)
}

/// The disclaimer every real MindSpore Hub card ends with: most of a card's body.
const DISCLAIMER: &str = "## Disclaimer\n\nMindSpore (\"we\") do not own any ownership or intellectual property rights of the datasets, and the trained models are provided on an \"as is\" and \"as available\" basis. We make no representations or warranties of any kind of the datasets and trained models (collectively, materials) and will not be liable for any loss, damage, expense or cost arising from the materials. Please ensure that you have permission to use the dataset under the appropriate license for the dataset and in accordance with the terms of the relevant license agreement. The trained models provided are only for research and education purposes.\n\nTo Dataset Owners: If you do not wish to have a dataset included in MindSpore, or wish to update it in any way, we will remove or update the content at your request. Please contact us through GitHub or Gitee. Your understanding and contributions to the community are greatly appreciated.\n\nMindSpore is available under the Apache 2.0 license, please see the LICENSE file.\n";

/// A card of the current MindSpore Hub layout, as long as a real one (about 2.3 KB).
fn mindspore_card(i: usize, version: &str, chinese: bool) -> String {
    let name = format!("net{i}");
    let evaluation = if i.is_multiple_of(18) {
        "-".to_owned()
    } else {
        format!("top1acc{}.{} | top5acc9{}.1", 60 + i % 30, i % 10, i % 10)
    };
    let title = if chinese {
        "## 模型介绍"
    } else {
        "## Introduction"
    };
    format!(
        "# {name}\n\n---\n\nmodel-name: {name}\n\nbackbone-name: {name}\n\nmodule-type: cv-classification\n\nfine-tunable: True\n\n\
         model-version: {version}\n\ntrain-dataset: imagenet2012\n\nevaluation: {evaluation}\n\nauthor: MindSpore team\n\n\
         update-time: 2023-2-{day}\n\nrepo-link: <https://gitee.com/mindspore/models/tree/r{version}/official/cv/{name}>\n\n\
         user-id: MindSpore\n\nused-for: inference\n\nmindspore-version: {version}\n\nasset:\n\n-\n    file-format: ckpt\n    \
         asset-link: <https://download.mindspore.cn/models/r{version}/{name}_ascend_v{version}_imagenet2012_official_cv.ckpt>\n    \
         asset-sha256: {sha:064x}\n\nlicense: Apache2.0\n\nsummary: {name} is used for cv\n\n---\n\n{title}\n\n\
         This MindSpore Hub model uses the implementation of {name} from the MindSpore model zoo on Gitee at official/cv/{name}.\n\n\
         {name} is a cv network. More details please refer to the MindSpore model zoo on Gitee at \
         [official/cv/{name}](https://gitee.com/mindspore/models/blob/r{version}/official/cv/{name}/README.md).\n\n\
         All parameters in the module are trainable.\n\n## Citation\n\n[{name}: a network](https://arxiv.org/abs/{i})\n\n{DISCLAIMER}",
        day = 1 + i % 28,
        sha = (i as u128 + 1) * 0x9e37_79b9_7f4a_7c15_u128,
    )
}

/// A tree of the real MindSpore Hub's shape, once: 2,900 cards in `publisher/version/`
/// folders with bodies of real length (one in 18 with `evaluation: -`), 40 in
/// `publisher/backend/version/` folders and 10 `_cn` twins.
fn generate_mindspore(root: &Path) -> Result<PathBuf, String> {
    let hub = root.join("target/bench/hub-mindspore");
    let done = hub.join(".complete");
    if done.exists() {
        return Ok(hub);
    }
    let _ = fs::remove_dir_all(&hub);
    let write = |rel: String, text: String| {
        let file = hub.join("assets").join(rel);
        if let Some(dir) = file.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        }
        fs::write(&file, text).map_err(|e| format!("cannot write `{}`: {e}", file.display()))
    };
    let versions = [
        "1.3", "1.5", "1.6", "1.8", "1.9", "1.10", "2.0", "2.3", "2.5",
    ];
    for i in 0..2_900 {
        let version = versions[i % versions.len()];
        write(
            format!("mindspore/{version}/net{i}_imagenet2012.md"),
            mindspore_card(i, version, false),
        )?;
        if i < 10 {
            write(
                format!("mindspore/{version}/net{i}_imagenet2012_cn.md"),
                mindspore_card(i, version, true).repeat(4),
            )?;
        }
    }
    for i in 0..40 {
        let (backend, version) = (
            ["ascend", "gpu", "cpu"][i % 3],
            ["1.0", "1.3", "1.10"][i % 3],
        );
        write(
            format!(
                "noah-cvlab/{backend}/{version}/model{i}_v1.{}_cifar10.md",
                i % 10
            ),
            card(i, backend, version),
        )?;
    }
    fs::write(&done, "").map_err(|e| format!("cannot write `{}`: {e}", done.display()))?;
    Ok(hub)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn validate(root: &Path) -> Result<(), String> {
    crate::run("cargo", &["build", "--release", "--locked", "-p", "cli"])?;
    let mhub = root.join("target/release/mhub");
    println!(
        "benchmark: `mhub validate` over generated hub trees (whole process, warm page cache, median of 7 runs)"
    );
    println!(
        "{:>10} {:>10} {:>6} {:>6} {:>12} {:>10}",
        "tree", "profile", "cards", "format", "median", "cards/s"
    );
    let trees = [
        ("mindspore", generate_mindspore(root)?, "mindspore"),
        ("mindspore", generate_mindspore(root)?, "mhub"),
        ("3000", generate(root, 3_000)?, "mhub"),
        ("10000", generate(root, 10_000)?, "mhub"),
    ];
    for (name, hub, profile) in trees {
        let count = cards_in(&hub);
        for format in ["human", "json"] {
            let mut times = Vec::new();
            for round in 0..8 {
                let start = Instant::now();
                let out = Command::new(&mhub)
                    .args(["validate", "--profile", profile, "--format", format])
                    .arg(&hub)
                    .output()
                    .map_err(|e| format!("cannot run mhub: {e}"))?;
                let elapsed = start.elapsed();
                // Every tree is clean under its own profile; the MindSpore-shaped one is
                // also read under `mhub`, which may find fault with it.
                let lenient = name == "mindspore" && profile == "mhub";
                if !out.status.success() && !lenient {
                    let head: Vec<&str> = std::str::from_utf8(&out.stdout)
                        .unwrap_or_default()
                        .lines()
                        .take(20)
                        .collect();
                    return Err(format!(
                        "generated tree did not validate clean:\n{}",
                        head.join("\n")
                    ));
                }
                if round > 0 {
                    times.push(elapsed);
                }
            }
            let m = median(times);
            println!(
                "{name:>10} {profile:>10} {count:>6} {format:>6} {:>9.1} ms {:>10.0}",
                m.as_secs_f64() * 1e3,
                count as f64 / m.as_secs_f64()
            );
        }
    }
    println!(
        "target: the MindSpore-shaped tree (the real hub has 2,915 cards) in <= 67 ms on 2 cores"
    );
    Ok(())
}
