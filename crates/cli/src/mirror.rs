//! `mhub mirror`: copy the external assets of cards that allow it into the hub's own store, then rewrite its index.

use crate::progress::Bars;
use crate::{Outcome, index, print, warn};
use cache::NetConfig;
use manifest::Profile;
use std::path::PathBuf;

/// Arguments of `mhub mirror`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The hub tree: a folder with an `assets/` folder of cards.
    #[arg(value_parser = crate::path_arg)]
    hub: PathBuf,
    /// Allow plain http to public hosts.
    #[arg(long)]
    allow_http: bool,
    /// Allow this machine and the local network (loopback, private and link-local
    /// addresses): a hub on disk has no origin of its own to trust.
    #[arg(long)]
    allow_local: bool,
    /// Rule set the cards must pass for `index.json` to be rewritten.
    #[arg(long, default_value = "mhub")]
    profile: Profile,
    /// The most this run downloads, in bytes (suffixes K, M, G, T: powers of 1024);
    /// assets past it wait for the next run.
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    max_bytes: Option<u64>,
    /// Print no progress.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    sign: crate::key::SignArgs,
}

/// Reads `20G`, `512M`, `1024`.
fn size_arg(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.trim().to_ascii_uppercase().as_str() {
        t if t.ends_with('K') => (t[..t.len() - 1].to_owned(), 10),
        t if t.ends_with('M') => (t[..t.len() - 1].to_owned(), 20),
        t if t.ends_with('G') => (t[..t.len() - 1].to_owned(), 30),
        t if t.ends_with('T') => (t[..t.len() - 1].to_owned(), 40),
        t => (t.to_owned(), 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{text}` is not a size such as `20G`, `512M` or `1048576`"))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    // The rewritten index carries mirror locations: a signed hub stays signed only if
    // the mirror's operator signs it again, which is checked before anything is fetched.
    let signature = args.hub.join(trust::SIGNATURE_FILE);
    if args.sign.sign.is_none() && signature.exists() {
        anyhow::bail!(
            "`{}` is signed, and mirroring rewrites its index: pass --sign KEY to sign the new index",
            args.hub.join("index.json").display()
        );
    }
    args.sign.signer()?;
    let net = NetConfig {
        allow_http: args.allow_http,
        allow_local: args.allow_local,
        ..NetConfig::default()
    };
    let limits = cache::MirrorLimits {
        max_bytes: args.max_bytes.unwrap_or(u64::MAX),
        ..cache::MirrorLimits::default()
    };
    let report = cache::mirror(
        &args.hub,
        args.profile,
        &net,
        &limits,
        &Bars::new(args.quiet),
    )?;
    for card in &report.left_out {
        warn(&format!(
            "warning: `{}` is neither mirrored nor indexed: {}\n",
            card.path.display(),
            card.reason
        ));
    }
    for p in &report.expired {
        warn(&format!(
            "removed the stale partial download `{}`\n",
            p.display()
        ));
    }
    for s in &report.skipped {
        warn(&format!(
            "warning: `{}` of `{}` is not mirrored: {}\n",
            s.link, s.uid, s.reason
        ));
    }
    if report.assets.is_empty() && report.failed.is_empty() {
        let why = if report.cards == 0 {
            format!(
                "no card in `{}` sets `allow-cache-ckpt: true`",
                args.hub.display()
            )
        } else {
            format!(
                "the cards that set `allow-cache-ckpt: true` ({}) name no external asset with a full sha256",
                report.cards
            )
        };
        print(&format!("nothing to mirror: {why}\n"))?;
        return Ok(Outcome::Clean);
    }
    let fetched = report.assets.iter().filter(|a| a.fetched).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = format!(
        "mirrored {} of {} ({fetched} fetched, {} already there)\n",
        plural(report.assets.len(), "asset"),
        plural(report.cards, "card"),
        report.assets.len() - fetched
    );
    for a in &report.assets {
        out += &format!(
            "  {}  {}\n    -> {} ({} bytes, sha256 verified)\n",
            a.uid,
            a.link,
            hubtree::mirror_link(&a.sha256),
            a.size
        );
    }
    for f in &report.failed {
        let why = crate::chain(&f.error);
        out += &format!("  {}  {}\n    failed: {why}\n", f.uid, f.link);
    }
    print(&out)?;
    // The index is rewritten either way, leaving out cards with errors as `mhub serve` does.
    let indexed = index::run(&index::Args::for_hub(
        &args.hub,
        args.profile,
        args.sign.clone(),
    ))?;
    if report.failed.is_empty() {
        Ok(indexed)
    } else {
        warn(&format!(
            "error: {} not mirrored; run `mhub mirror` again to retry\n",
            plural(report.failed.len(), "asset")
        ));
        Ok(Outcome::Problems)
    }
}
