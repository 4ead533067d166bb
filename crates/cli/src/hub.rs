//! `mhub list`, `info` and `pull`: resolving models against a hub source, through the verified cache.

use crate::progress::Bars;
use crate::{Outcome, print, warn};
use anyhow::{Context as _, bail};
use cache::{Hub, Info, Listing, NetConfig, Pulled, Source};
use serde_json::json;
use std::path::{Path, PathBuf};
use uid::{Reference, RepoRef, Uid};

/// Options shared by the commands that talk to a hub.
#[derive(clap::Args)]
pub(crate) struct HubArgs {
    /// The hub: a hub folder, an http(s) url serving one, or `owner/repo[:ref]`
    /// [default: `hub/` when run from the mhub repository]
    #[arg(long, env = "MHUB_HUB", value_name = "SRC")]
    hub: Option<String>,
    #[command(flatten)]
    dir: DirArgs,
    /// Never use the network; answer from the cache or say what is missing
    #[arg(long, env = "MHUB_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    offline: bool,
    /// Allow plain http to public hosts
    #[arg(long)]
    allow_http: bool,
    /// Allow this machine and the local network (loopback, private and link-local
    /// addresses) anywhere, not only at the origin of the hub given with --hub
    #[arg(long)]
    allow_local: bool,
    /// Url template of repository archives, with {owner}, {repo} and {ref}
    #[arg(long, env = "MHUB_REPO_URL", value_name = "TEMPLATE", default_value = cache::DEFAULT_REPO_URL)]
    repo_url: String,
    /// Trust only a hub whose index this key signed (a `.pub` file of `mhub key new`, or
    /// the key's text): refuse a missing or bad signature, a rollback, an expired index and
    /// a card that differs from it, before anything is cached
    #[arg(long, env = "MHUB_TRUST", value_name = "KEY")]
    trust: Option<String>,
    /// Print no progress
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

impl HubArgs {
    /// The cache directory these options name.
    pub(crate) fn cache_dir(&self) -> anyhow::Result<PathBuf> {
        self.dir.resolve()
    }

    /// Whether the user named the hub (`--hub` or `MHUB_HUB`), rather than mhub finding a
    /// `hub/` folder in the working directory.
    pub(crate) fn is_named(&self) -> bool {
        self.hub.is_some()
    }
}

/// The cache directory option.
#[derive(clap::Args)]
pub(crate) struct DirArgs {
    /// The cache directory [default: $XDG_CACHE_HOME/mhub, else ~/.cache/mhub]
    #[arg(long, env = "MHUB_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl DirArgs {
    /// The cache directory: this flag or `MHUB_DIR`, else `$XDG_CACHE_HOME/mhub`, else `~/.cache/mhub`.
    pub(crate) fn resolve(&self) -> anyhow::Result<PathBuf> {
        let var = |name: &str| std::env::var(name).ok();
        cache::resolve_dir(
            self.dir.as_deref(),
            None,
            var("XDG_CACHE_HOME").as_deref(),
            var("HOME").as_deref(),
        )
        .context("no cache directory: pass --dir or set MHUB_DIR")
    }
}

/// The bundled demo hub, when mhub runs from its own repository.
fn default_hub() -> Option<PathBuf> {
    let here = PathBuf::from("hub");
    if here.join("assets").is_dir() {
        return Some(here);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub");
    built.join("assets").is_dir().then_some(built)
}

impl HubArgs {
    pub(crate) fn open(&self, source: Option<Source>) -> anyhow::Result<Hub> {
        let source = match (source, &self.hub) {
            (Some(s), _) => s,
            (None, Some(text)) => Source::parse(text)?,
            (None, None) => Source::Local(
                default_hub().context("no hub given: pass --hub SRC or set MHUB_HUB")?,
            ),
        };
        let net = NetConfig {
            allow_http: self.allow_http,
            allow_local: self.allow_local,
            ..NetConfig::default()
        };
        Ok(Hub::builder()
            .dir(self.dir.resolve()?)
            .source(source)
            .net(net)
            .offline(self.offline)
            .repo_url(self.repo_url.clone())
            .trust(match &self.trust {
                Some(arg) => crate::key::public_keys(arg)?,
                None => Vec::new(),
            })
            .build()?)
    }
}

/// What a model argument names.
pub(crate) enum Target {
    Model(Uid),
    Entry(RepoRef, String),
}

pub(crate) fn target(text: &str, entry: Option<&str>) -> anyhow::Result<Target> {
    match (Reference::parse(text)?, entry) {
        (Reference::Uid(uid), None) => Ok(Target::Model(uid)),
        (Reference::Uid(uid), Some(e)) => {
            bail!("`{uid}` is a model id and takes no entrypoint (got `{e}`)")
        }
        (Reference::Repo(repo), Some(e)) => Ok(Target::Entry(repo, e.to_owned())),
        (Reference::Repo(repo), None) => bail!(
            "`{repo}` is a repository: name an entrypoint too, e.g. `{repo} NAME`; `mhub list {repo}` shows them"
        ),
        (Reference::Url(_) | Reference::Path(_), _) => {
            bail!(
                "`{text}` is not a model id or a repository; to use it as the hub, pass `--hub {text}` and name a model"
            )
        }
    }
}

/// Arguments of `mhub list`.
#[derive(clap::Args)]
pub(crate) struct ListArgs {
    /// The hub or repository to list [default: --hub]
    source: Option<String>,
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hub: HubArgs,
}

pub(crate) fn list(args: &ListArgs) -> anyhow::Result<Outcome> {
    let source = args.source.as_deref().map(Source::parse).transpose()?;
    let hub = args.hub.open(source)?;
    let listing = hub.list(&Bars::new(args.hub.quiet))?;
    let text = match (&listing, args.json) {
        (Listing::Models(models), true) => format!("{}\n", serde_json::to_string_pretty(models)?),
        (Listing::Entrypoints(entries), true) => {
            format!("{}\n", serde_json::to_string_pretty(entries)?)
        }
        (Listing::Models(models), false) => {
            let width = models.iter().map(|m| m.uid.len()).max().unwrap_or(0);
            let mut out = String::new();
            for m in models {
                let task = m.task.as_deref().unwrap_or("-");
                let dataset = m.dataset.as_deref().unwrap_or("-");
                out += &format!(
                    "{:width$}  {task:<18} {dataset:<12} {}\n",
                    m.uid,
                    m.summary.as_deref().unwrap_or("")
                );
            }
            out + &format!("{} models in {}\n", models.len(), hub.source())
        }
        (Listing::Entrypoints(entries), false) => {
            let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for e in entries {
                let doc = e
                    .doc
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .unwrap_or("");
                out += &format!("{:width$}  {}  {doc}\n", e.name, e.card);
            }
            out + &format!("{} entrypoints in {}\n", entries.len(), hub.source())
        }
    };
    print(&text)?;
    Ok(Outcome::Clean)
}

/// Arguments of `mhub info`.
#[derive(clap::Args)]
pub(crate) struct InfoArgs {
    /// A model id, `owner/repo[:ref]` followed by an entrypoint, or a local `.onnx` file
    model: String,
    /// The entrypoint, for a repository
    entry: Option<String>,
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: crate::worker::Limits,
    #[command(flatten)]
    hub: HubArgs,
}

/// `mhub info MODEL.onnx`: the model's own inputs and outputs, read in a worker.
fn info_local(args: &InfoArgs) -> anyhow::Result<Outcome> {
    // The plan is kept in the cache, so the next look (or run) skips parsing.
    let load = infer::LoadOptions {
        cache: args.hub.cache_dir().ok(),
        ..infer::LoadOptions::default()
    };
    let request = crate::worker::inspect_request(Path::new(&args.model), load);
    let spec = crate::worker::exchange(&request, args.limits)?.spec;
    if args.json {
        let spec = json!({"model": args.model, "inputs": spec.inputs, "outputs": spec.outputs});
        print(&format!("{}\n", serde_json::to_string_pretty(&spec)?))?;
        return Ok(Outcome::Clean);
    }
    let mut out = format!("{}\n", args.model);
    for (title, tensors) in [("inputs", &spec.inputs), ("outputs", &spec.outputs)] {
        out += &format!("  {title}\n");
        for t in tensors {
            let dims: Vec<String> = t.shape.iter().map(ToString::to_string).collect();
            out += &format!("    {:<16}{:<9}[{}]\n", t.name, t.dtype, dims.join(", "));
        }
    }
    print(&out)?;
    Ok(Outcome::Clean)
}

fn info_text(info: &Info) -> String {
    let card = &info.card;
    let mut out = format!("{}\n", info.key);
    let mut row = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out += &format!("  {label:<14}{v}\n");
        }
    };
    row(
        "title",
        card.title.clone().or_else(|| card.model_name.clone()),
    );
    row("summary", card.summary.clone());
    row(
        "task",
        card.module_type.as_ref().map(|m| {
            m.detail
                .as_ref()
                .map_or(m.category.clone(), |d| format!("{}-{d}", m.category))
        }),
    );
    row("dataset", card.train_dataset.clone());
    row("model version", card.model_version.clone());
    row(
        "framework",
        card.mindspore_version
            .clone()
            .map(|v| format!("mindspore {v}")),
    );
    row("backends", Some(card.infer_backend.join(", ")));
    row(
        "accuracy",
        card.accuracy
            .map(|a| a.to_string())
            .or_else(|| card.evaluation.clone()),
    );
    row("author", card.author.clone());
    row("license", card.license.clone());
    row("repository", card.repo_link.clone());
    if let Some(e) = &info.entrypoint {
        row("entrypoint", Some(e.name.clone()));
        row("card", Some(e.card.clone()));
        if let Some(doc) = &e.doc {
            out += &format!("\n  {}\n", doc.replace('\n', "\n  "));
        }
    }
    out += "  assets\n";
    for a in &card.assets {
        out += &format!(
            "    {:<8}{}\n            sha256 {}{}\n",
            a.file_format.as_deref().unwrap_or("?"),
            a.asset_link.as_deref().unwrap_or("?"),
            a.asset_sha256.as_deref().unwrap_or("none"),
            a.asset_size
                .map(|s| format!(", {s} bytes"))
                .unwrap_or_default()
        );
    }
    let signing = match &info.signing {
        cache::Signing::Unsigned => "unsigned hub: its index has no signature".to_owned(),
        cache::Signing::NotChecked => {
            "signed index, not checked: pass --trust KEY to check it".to_owned()
        }
        cache::Signing::Unknown => "not checked offline".to_owned(),
        cache::Signing::Verified {
            version, signers, ..
        } if signers.is_empty() => {
            format!("verified before: index version {version}, the last one checked (offline)")
        }
        cache::Signing::Verified {
            version, signers, ..
        } => format!(
            "verified: index version {version}, signed by {}",
            signers.join(", ")
        ),
    };
    out += &format!("  {:<14}{signing}\n", "signature");
    out += &format!(
        "  {:<14}{}\n",
        "cached",
        if info.record.is_some() { "yes" } else { "no" }
    );
    out
}

/// The model's own inputs and outputs, when its onnx asset is in the cache (verified, so loaded here).
fn model_spec(
    hub: &Hub,
    info: &Info,
    limits: crate::worker::Limits,
) -> Option<(Vec<infer::TensorSpec>, Vec<infer::TensorSpec>)> {
    let record = info.record.as_ref()?;
    let asset = record
        .assets
        .iter()
        .find(|a| a.format.as_deref() == Some("onnx"))?;
    // Verified bytes are still a stranger's model: it is read in the limited worker.
    let load = infer::LoadOptions {
        cache: Some(hub.cache().dir().to_owned()),
        sha256: Some(asset.sha256.to_string()),
        ..infer::LoadOptions::default()
    };
    let request = crate::worker::inspect_request(&hub.cache().blob(&asset.sha256), load);
    let spec = crate::worker::exchange(&request, limits).ok()?.spec;
    Some((spec.inputs, spec.outputs))
}

/// The card's declared tensors next to the model's own, one line each.
fn io_text(
    card: &manifest::Card,
    model: Option<&(Vec<infer::TensorSpec>, Vec<infer::TensorSpec>)>,
) -> String {
    let mut out = String::new();
    for (title, declared, actual) in [
        ("inputs", &card.inputs, model.map(|m| &m.0)),
        ("outputs", &card.outputs, model.map(|m| &m.1)),
    ] {
        if declared.is_empty() && actual.is_none() {
            continue;
        }
        out += &format!(
            "  {title:<14}card{}\n",
            if actual.is_some() { " | model" } else { "" }
        );
        let names: Vec<&str> = declared
            .iter()
            .map(|d| d.name.as_str())
            .chain(actual.into_iter().flatten().map(|a| a.name.as_str()))
            .collect();
        let mut seen = Vec::new();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let card_side = declared.iter().find(|d| d.name == name).map_or_else(
                || "-".to_owned(),
                |d| {
                    format!(
                        "{} {:?}{}",
                        d.dtype.as_deref().unwrap_or("?"),
                        d.shape,
                        d.image.as_ref().map_or("", |_| " from images")
                    )
                },
            );
            let model_side = actual
                .and_then(|a| a.iter().find(|t| t.name == name))
                .map(|t| {
                    let dims: Vec<String> = t.shape.iter().map(ToString::to_string).collect();
                    format!(" | {} [{}]", t.dtype, dims.join(", "))
                });
            out += &format!(
                "    {name:<16}{card_side}{}\n",
                model_side.unwrap_or_default()
            );
        }
    }
    out
}

pub(crate) fn info(args: &InfoArgs) -> anyhow::Result<Outcome> {
    if crate::worker::is_local_model(&args.model) {
        return info_local(args);
    }
    let bars = Bars::new(args.hub.quiet);
    let (hub, info) = match target(&args.model, args.entry.as_deref())? {
        Target::Model(uid) => {
            let hub = args.hub.open(None)?;
            let info = hub.info(&uid)?;
            (hub, info)
        }
        Target::Entry(repo, name) => {
            let hub = args.hub.open(Some(Source::Repo(repo.clone())))?;
            let info = hub.entry_info(&repo, &name, &bars)?;
            (hub, info)
        }
    };
    let spec = model_spec(&hub, &info, args.limits);
    if args.json {
        let value = json!({
            "key": info.key,
            "uid": info.uid.to_string(),
            "card": info.card,
            "entrypoint": info.entrypoint,
            "diagnostics": info.diagnostics,
            "cached": info.record,
            "signing": info.signing,
            "model": spec.as_ref().map(|(i, o)| json!({"inputs": i, "outputs": o})),
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
    } else {
        print(&(info_text(&info) + &io_text(&info.card, spec.as_ref())))?;
    }
    Ok(Outcome::Clean)
}

/// Arguments of `mhub pull`.
#[derive(clap::Args)]
pub(crate) struct PullArgs {
    /// A model id, or `owner/repo[:ref]` followed by an entrypoint
    model: String,
    /// The entrypoint, for a repository
    entry: Option<String>,
    /// Download and verify again, even what is cached
    #[arg(long)]
    force_reload: bool,
    /// Print JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hub: HubArgs,
}

fn pulled_text(p: &Pulled) -> String {
    let how = if p.from_cache { "cached" } else { "pulled" };
    let mut out = format!("{how} {}\n  card    {}\n", p.key, p.card_path.display());
    for a in &p.assets {
        let check = if a.prefix_only {
            "sha256 prefix checked"
        } else {
            "sha256 verified"
        };
        out += &format!(
            "  {:<8}{} ({} bytes, {check})\n",
            a.format.as_deref().unwrap_or("asset"),
            a.path.display(),
            a.size
        );
    }
    out
}

pub(crate) fn pull(args: &PullArgs) -> anyhow::Result<Outcome> {
    let bars = Bars::new(args.hub.quiet);
    let pulled = match target(&args.model, args.entry.as_deref())? {
        Target::Model(uid) => args.hub.open(None)?.pull(&uid, args.force_reload, &bars)?,
        Target::Entry(repo, name) => args
            .hub
            .open(Some(Source::Repo(repo.clone())))?
            .pull_entry(&repo, &name, args.force_reload, &bars)?,
    };
    for a in pulled.assets.iter().filter(|a| a.prefix_only) {
        warn(&format!(
            "warning: `{}` was checked against an 8-digit sha256 prefix only: that catches a corrupt download, not a swapped file\n",
            a.link
        ));
    }
    if args.json {
        let assets: Vec<_> = pulled
            .assets
            .iter()
            .map(|a| json!({"format": a.format, "link": a.link, "path": a.path, "sha256": a.sha256, "size": a.size, "prefix_only": a.prefix_only}))
            .collect();
        let value = json!({"key": pulled.key, "card": pulled.card_path, "assets": assets, "from_cache": pulled.from_cache, "warnings": pulled.warnings});
        print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
    } else {
        print(&pulled_text(&pulled))?;
    }
    Ok(Outcome::Clean)
}
