//! `mhub new`: scaffold a card for an ONNX model in a hub tree, with its digest, size and IO spec filled in.

use crate::{Outcome, print, warn, worker};
use anyhow::{Context as _, bail};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use uid::Uid;

/// Arguments of `mhub new`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The ONNX model to publish
    model: PathBuf,
    /// The model's UID, e.g. `me/cpu/1.0/digits_v1.0_digits`
    #[arg(long)]
    uid: String,
    /// The hub tree to write into
    #[arg(long, default_value = "hub")]
    hub: PathBuf,
    /// Who made the model
    #[arg(long)]
    author: String,
    /// Where its code or training recipe lives (an https url)
    #[arg(long)]
    repo_link: String,
    /// The training data set [default: from the UID's name]
    #[arg(long)]
    dataset: Option<String>,
    /// Class names, one per line; published as a `labels` asset
    #[arg(long)]
    labels: Option<PathBuf>,
    /// The task, as `module-type`: a category, optionally `-detail`
    #[arg(long, default_value = "other")]
    task: String,
    /// One line about the model [default: its inputs and outputs]
    #[arg(long)]
    summary: Option<String>,
    /// The license
    #[arg(long, default_value = "Apache2.0")]
    license: String,
    /// Let the first input take pictures: `sketch` (one channel, cropped to the ink and
    /// centred by mass, `fit: ink`: drawings and typed characters) or `photo` (RGB,
    /// resized, ImageNet mean and std); the size and layout come from the input's shape
    #[arg(long, value_name = "KIND", value_parser = ["sketch", "photo"])]
    image: Option<String>,
    /// Replace an existing card
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    limits: worker::Limits,
}

/// The `image:` section of an input of `shape` for pictures of `kind`, or why there is none.
fn image_section(kind: &str, shape: &[infer::Dim]) -> Result<String, String> {
    let fixed: Option<Vec<usize>> = shape
        .iter()
        .map(|d| match d {
            infer::Dim::Fixed(n) => Some(*n),
            infer::Dim::Symbol(_) => None,
        })
        .collect();
    let channels = if kind == "sketch" { 1 } else { 3 };
    // Width, height and layout, from [1, C, H, W], [1, H, W, C] or [1, H × W × C] (square).
    let (w, h, layout) = match fixed.as_deref() {
        Some([1, c, h, w]) if *c == channels => (*w, *h, "nchw"),
        Some([1, h, w, c]) if *c == channels => (*w, *h, "nhwc"),
        Some([1, n]) => {
            let side = (1..=4096).find(|s| s * s * channels >= *n).unwrap_or(0);
            if side * side * channels != *n {
                return Err(format!(
                    "{n} values are not a square picture of {channels} channel(s)"
                ));
            }
            (side, side, "flat")
        }
        _ => {
            return Err(format!(
                "the shape {} is not [1, {channels}, H, W], [1, H, W, {channels}] or [1, N] with fixed sizes",
                shape_text(shape)
            ));
        }
    };
    Ok(if kind == "sketch" {
        format!(
            "  image:\n    size: [{w}, {h}]\n    channels: gray\n    layout: {layout}\n    scale: 0.00392157\n    fit: ink\n    margin: {}\n",
            runtime::default_margin(w.min(h).try_into().unwrap_or(u32::MAX))
        )
    } else {
        format!(
            "  image:\n    size: [{w}, {h}]\n    channels: rgb\n    layout: {layout}\n    scale: 0.00392157\n    mean: [0.485, 0.456, 0.406]\n    std: [0.229, 0.224, 0.225]\n"
        )
    })
}

/// Today's date as `YYYY-MM-DD`, from the system clock (UTC).
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    #[allow(clippy::cast_possible_wrap)]
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Where `file` will live in the hub: its own place if it is inside the hub
/// already (nothing to copy), else `dir/name`, to be copied once the card validates.
fn place(
    hub: &Path,
    file: &Path,
    dir: &str,
    name: &str,
) -> anyhow::Result<(String, Option<PathBuf>)> {
    let hub_abs =
        fs::canonicalize(hub).with_context(|| format!("cannot read `{}`", hub.display()))?;
    let file_abs =
        fs::canonicalize(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    if let Ok(inside) = file_abs.strip_prefix(&hub_abs) {
        return Ok((
            inside
                .iter()
                .map(|c| c.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            None,
        ));
    }
    Ok((format!("{dir}/{name}"), Some(file.to_path_buf())))
}

/// A YAML scalar for `text`: plain when that reads back the same, else double-quoted.
fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !text.ends_with(' ')
        && !text.chars().any(char::is_control);
    if plain {
        return text.to_owned();
    }
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c if c.is_control() => format!("\\u{:04x}", u32::from(c)).chars().collect(),
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// A shape as a card writes it: symbolic dimensions are `-1`.
fn shape_text(shape: &[infer::Dim]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| match d {
            infer::Dim::Fixed(n) => n.to_string(),
            infer::Dim::Symbol(_) => "-1".to_owned(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let uid = Uid::parse(&args.uid).map_err(|e| anyhow::anyhow!("{}", e.render().trim_end()))?;
    if !args.hub.join("assets").is_dir() {
        bail!(
            "`{}` is not a hub tree: create `{}/assets` first",
            args.hub.display(),
            args.hub.display()
        );
    }
    let card_path = args.hub.join("assets").join(uid.card_path());
    if card_path.exists() && !args.force {
        bail!(
            "`{}` exists already; pass --force to replace it",
            card_path.display()
        );
    }
    // The model is untrusted until published: read its IO spec in a worker.
    let request = worker::inspect_request(&args.model, infer::LoadOptions::default());
    let spec = worker::exchange(&request, args.limits)?.spec;
    let labels = match &args.labels {
        Some(p) => fs::read_to_string(p)
            .with_context(|| format!("cannot read `{}`", p.display()))?
            .lines()
            .filter(|l| !l.is_empty())
            .count(),
        None => 0,
    };
    let parts = uid.name_parts();
    let model_name = parts.map_or(uid.name(), |p| p.model).to_owned();
    let model_version = parts.map_or("1.0".to_owned(), |p| {
        p.model_version.trim_start_matches('v').to_owned()
    });
    let dataset = args
        .dataset
        .clone()
        .or_else(|| parts.map(|p| p.dataset.to_owned()));
    let backend = uid.backend().unwrap_or("cpu");
    let dir = format!("models/{}", uid);
    let mut copies = Vec::new();
    let (model_link, copy) = place(&args.hub, &args.model, &dir, "model.onnx")?;
    let (sha, size) = hubtree::hash_file(&args.model)?;
    copies.extend(copy.map(|from| (from, model_link.clone())));
    let mut assets = format!(
        "- file-format: onnx\n  asset-link: {model_link}\n  asset-sha256: {sha}\n  asset-size: {size}\n"
    );
    if let Some(path) = &args.labels {
        let (link, copy) = place(&args.hub, path, &dir, "labels.txt")?;
        let (sha, size) = hubtree::hash_file(path)?;
        copies.extend(copy.map(|from| (from, link.clone())));
        let _ = write!(
            assets,
            "- file-format: labels\n  asset-link: {link}\n  asset-sha256: {sha}\n  asset-size: {size}\n"
        );
    }
    let mut io = String::new();
    for (key, tensors) in [("inputs", &spec.inputs), ("outputs", &spec.outputs)] {
        let _ = writeln!(io, "{key}:");
        for (i, t) in tensors.iter().enumerate() {
            let _ = write!(
                io,
                "- name: {}\n  dtype: {}\n  shape: {}\n",
                // Names come from the model: quoted and escaped like every other value.
                scalar(&t.name),
                scalar(&t.dtype),
                shape_text(&t.shape)
            );
            if let (Some(kind), "inputs", 0) = (&args.image, key, i) {
                let section = image_section(kind, &t.shape).map_err(|why| {
                    anyhow::anyhow!("--image {kind} needs a picture-shaped first input: {why}")
                })?;
                io += &section;
            }
            if key == "outputs" {
                let big: Vec<usize> = t
                    .shape
                    .iter()
                    .filter_map(|d| match d {
                        infer::Dim::Fixed(n) if *n > 1 => Some(*n),
                        _ => None,
                    })
                    .collect();
                let kind = if labels > 0 && big == [labels] {
                    "classes"
                } else {
                    "raw"
                };
                let _ = writeln!(io, "  kind: {kind}");
            }
        }
    }
    let first = |tensors: &[infer::TensorSpec]| {
        // Shown in the body too: no control character reaches the markdown.
        let name = tensors.first().map_or("?", |t| t.name.as_str());
        name.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    };
    let summary = args.summary.clone().unwrap_or_else(|| {
        format!(
            "{model_name} in ONNX, from {} to {}",
            first(&spec.inputs),
            first(&spec.outputs)
        )
    });
    let dataset_line = dataset
        .map(|d| format!("train-dataset: {}\n\n", scalar(&d)))
        .unwrap_or_default();
    let card = format!(
        "# {model_name}\n\n---\n\nmodel-name: {model_name}\n\nbackbone-name: {model_name}\n\nmodule-type: {task}\n\nfine-tunable: false\n\n\
         model-version: {model_version}\n\n{dataset_line}author: {author}\n\nupdate-time: {date}\n\nrepo-link: {repo}\n\n\
         user-id: {publisher}\n\nused-for: inference\n\ntrain-backend: {backend}\n\ninfer-backend: {backend}\n\n\
         mindspore-version: {version}\n\nlicense: {license}\n\nsummary: {summary_yaml}\n\nasset:\n\n{assets}\n{io}\n---\n\n\
         ## Introduction\n\n{summary}.\n\n## Usage\n\n```sh\nmhub run {uid} --input {example}\n```\n\n{image_note}",
        model_name = scalar(&model_name),
        model_version = scalar(&model_version),
        task = scalar(&args.task),
        author = scalar(&args.author),
        date = today(),
        repo = scalar(&args.repo_link),
        publisher = uid.publisher(),
        version = uid.version(),
        license = scalar(&args.license),
        summary_yaml = scalar(&summary),
        example = if args.image.is_some() {
            "PICTURE.png"
        } else {
            "INPUT.npy"
        },
        image_note = if args.image.is_some() {
            "The input's `image:` section says how a PNG or JPEG becomes its tensor.\n"
        } else {
            "To accept pictures, add an `image:` section to the input (size, channels, layout, scale, mean, std, fit), or scaffold one with `mhub new --image sketch|photo`.\n"
        },
    );
    let report = manifest::check(
        &card,
        &manifest::Options {
            card_path: Some(&uid.card_path()),
            ..manifest::Options::default()
        },
    );
    let shown = card_path.display().to_string();
    let rendered: String = report
        .diagnostics
        .iter()
        .map(|d| d.render(&shown, &card) + "\n")
        .collect();
    if report.has_errors() {
        warn(&rendered);
        bail!("the card would not validate, so it was not written; fix the options above");
    }
    // Every folder below the hub must be a real one: a tree may hold links planted by
    // whoever it was cloned from, and nothing is written through them. Each file is
    // written from the handle of its folder, opened once.
    let hub = hubtree::Dir::open(&args.hub)?;
    let within = |path: &Path| -> anyhow::Result<(hubtree::Dir, String)> {
        let rel = path.strip_prefix(&args.hub).unwrap_or(path);
        let folder = match rel.parent() {
            Some(parent) => hub.create_dirs(parent)?,
            None => hub.clone(),
        };
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        Ok((folder, name.to_owned()))
    };
    // All folders first, so that a refusal leaves no copied file behind.
    let card_at = within(&card_path)?;
    let mut targets = Vec::new();
    for (from, link) in &copies {
        targets.push((from, args.hub.join(link), within(&args.hub.join(link))?));
    }
    for (from, to, (folder, name)) in targets {
        folder
            .copy_atomic(from, &name)
            .with_context(|| format!("cannot copy `{}` to `{}`", from.display(), to.display()))?;
    }
    card_at.0.write_atomic(&card_at.1, card.as_bytes())?;
    print(&format!(
        "{rendered}wrote {shown} ({} warnings); run `mhub index {}` to list it\n",
        report.count(manifest::Severity::Warning),
        args.hub.display()
    ))?;
    Ok(Outcome::Clean)
}
