//! mhub's stricter rules, beyond the MindSpore checker's: dates, versions, links, and the card's path agreeing with its fields.

use super::{Subject, value_span};
use crate::diagnostic::{Diagnostic, Span};
use crate::link::{BadLink, Link};
use crate::schema::{self, KNOWN_KEYS};
use uid::Uid;

/// Checks a link: an https URL, or with `relative_ok` a path inside the hub ([`Link`]).
pub(super) fn check_link(
    key: &str,
    link: &str,
    span: Span,
    relative_ok: bool,
    out: &mut Vec<Diagnostic>,
) {
    match Link::parse(link) {
        Ok(Link::Https(_)) => {}
        Err(BadLink::BadUrl) if link.starts_with("https://") => out.push(
            Diagnostic::error(
                "invalid-link",
                span,
                format!("{key} `{link}` is not a valid url"),
            )
            .help("write a full url such as `https://host/path`"),
        ),
        Ok(Link::Http(_)) | Err(BadLink::BadUrl) => out.push(
            Diagnostic::error("insecure-link", span, format!("{key} uses plain http"))
                .help("use `https://`; mhub refuses to download over plain http from other hosts"),
        ),
        Ok(Link::InHub(_)) if relative_ok => {}
        Ok(Link::InHub(_)) | Err(BadLink::NotInHub) => {
            let help = if relative_ok {
                "use an `https://` url, or a path relative to the hub root without `..`"
            } else {
                "use an `https://` url"
            };
            out.push(
                Diagnostic::error(
                    "invalid-link",
                    span,
                    format!("{key} `{link}` is not an https url"),
                )
                .help(help),
            );
        }
    }
}

fn is_date(t: &str) -> bool {
    let date = t.split([' ', 'T']).next().unwrap_or_default();
    let parts: Vec<&str> = date.split('-').collect();
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let ok = num(y, 4..=4) && num(m, 1..=2) && num(d, 1..=2);
    let (m, d) = (m.parse::<u32>().unwrap_or(0), d.parse::<u32>().unwrap_or(0));
    ok && (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn is_version(t: &str) -> bool {
    !t.is_empty()
        && t.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Collapses a name for loose comparison: lowercase letters and digits only.
fn squash(t: &str) -> String {
    t.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// mhub's stricter rules: formats, links, path agreement and unknown keys.
pub(super) fn strict(s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let card = s.card;
    if let Some(t) = &card.update_time
        && !is_date(t)
    {
        out.push(
            Diagnostic::error(
                "invalid-date",
                value_span(s, "update-time"),
                format!("update-time `{t}` is not a date"),
            )
            .help("write it as `YYYY-MM-DD`"),
        );
    }
    for (key, value) in [
        ("model-version", &card.model_version),
        ("mindspore-version", &card.mindspore_version),
    ] {
        if let Some(v) = value
            && !is_version(v)
        {
            out.push(
                Diagnostic::error(
                    "invalid-version",
                    value_span(s, key),
                    format!("{key} `{v}` is not a version"),
                )
                .help("write dotted digits such as `1.10`"),
            );
        }
    }
    if let Some(link) = &card.repo_link {
        check_link("repo-link", link, value_span(s, "repo-link"), false, out);
    }
    for &(key, k, v) in &s.fields.entries {
        if KNOWN_KEYS.contains(&key) || schema::number(v).is_some() {
            continue;
        }
        let help = match key {
            "asset-link" | "asset-sha256" | "asset_sha256" | "file-format" => "move it into an entry of the `asset:` list".to_owned(),
            "allow_cache_ckpt" => "rename it to `allow-cache-ckpt`".to_owned(),
            _ => "check the spelling; numeric keys are taken as metrics, other unknown keys are ignored".to_owned(),
        };
        out.push(
            Diagnostic::warning("unknown-key", k.span, format!("unknown key `{key}`")).help(help),
        );
    }
    if let Some(uid) = s.uid {
        path_agreement(uid, s, out);
    }
}

fn path_agreement(uid: &Uid, s: &Subject<'_>, out: &mut Vec<Diagnostic>) {
    let card = s.card;
    if let Some(dir) = uid.backend()
        && !card
            .infer_backend
            .iter()
            .any(|b| b.eq_ignore_ascii_case(dir))
    {
        let found = if card.infer_backend.is_empty() {
            "no infer-backend".to_owned()
        } else {
            format!("infer-backend `{}`", card.infer_backend.join("/"))
        };
        out.push(
            Diagnostic::error(
                "path-backend",
                value_span(s, "infer-backend"),
                format!("card is in backend directory `{dir}` but declares {found}"),
            )
            .help(format!(
                "add `{dir}` to infer-backend, or move the card to the directory of its backend"
            )),
        );
    }
    if let Some(v) = &card.mindspore_version
        && v != uid.version()
    {
        out.push(
            Diagnostic::error(
                "path-version",
                value_span(s, "mindspore-version"),
                format!(
                    "card is in version directory `{}` but mindspore-version is `{v}`",
                    uid.version()
                ),
            )
            .help("the version directory must equal mindspore-version; fix one of them"),
        );
    }
    let name = uid.name();
    if uid.backend().is_none() {
        // The current MindSpore tree names cards `<model>_<dataset>`, where the
        // model itself may hold `_v2`: only check both ends of the name.
        let stem = squash(name);
        let checks = [
            (
                "model-name",
                card.model_name
                    .as_deref()
                    .is_none_or(|m| stem.starts_with(&squash(m))),
            ),
            (
                "train-dataset",
                card.train_dataset
                    .as_deref()
                    .is_none_or(|d| stem.ends_with(&squash(d))),
            ),
        ];
        for (key, agrees) in checks {
            if !agrees {
                out.push(
                    Diagnostic::warning(
                        "name-pattern",
                        value_span(s, key),
                        format!(
                            "file name `{name}` does not follow `<model-name>_<train-dataset>`"
                        ),
                    )
                    .help("keep the file name and the card's fields in step"),
                );
            }
        }
        return;
    }
    let Some(parts) = uid.name_parts() else {
        out.push(
            Diagnostic::warning("name-pattern", Span::new(1, 1, 1), format!("file name `{name}` does not follow `<model>_v<model-version>_<dataset>`"))
                .help("name the card after its model, version and dataset, e.g. `resnet50_v1.5_cifar10.md`"),
        );
        return;
    };
    let same_version = |a: &str, b: &str| a.trim_end_matches(".0") == b.trim_end_matches(".0");
    let checks = [
        (
            "model-name",
            parts.model,
            card.model_name.as_deref(),
            card.model_name
                .as_deref()
                .is_none_or(|m| squash(parts.model) == squash(m)),
        ),
        (
            "model-version",
            parts.model_version,
            card.model_version.as_deref(),
            card.model_version
                .as_deref()
                .is_none_or(|v| same_version(&parts.model_version[1..], v)),
        ),
        (
            "train-dataset",
            parts.dataset,
            card.train_dataset.as_deref(),
            card.train_dataset
                .as_deref()
                .is_none_or(|d| squash(parts.dataset) == squash(d)),
        ),
    ];
    for (key, in_name, value, agrees) in checks {
        if let (Some(value), false) = (value, agrees) {
            out.push(
                Diagnostic::warning(
                    "name-pattern",
                    value_span(s, key),
                    format!("{key} `{value}` differs from `{in_name}` in the file name `{name}`"),
                )
                .help("keep the file name and the card's fields in step"),
            );
        }
    }
}
