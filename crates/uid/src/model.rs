//! The model UID: `publisher/[backend/]version/name`.

use crate::error::{Error, ErrorKind, Subject};
use crate::segment;
use std::fmt;
use std::str::FromStr;

/// A model UID: the path of a card inside a hub's `assets/` tree, without `.md`.
///
/// Both real layouts are accepted: `publisher/backend/version/name` (the
/// MindSpore Hub seed's, with a backend such as `ascend`) and
/// `publisher/version/name` (the current MindSpore Hub tree). The name is the
/// card's file stem; see [`Uid::name_parts`] for its conventional parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid {
    publisher: String,
    backend: Option<String>,
    version: String,
    name: String,
}

/// The conventional parts of a card stem, `<model>_<model-version>_<dataset>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameParts<'a> {
    /// The model, e.g. `alexnet` or `resnet50`.
    pub model: &'a str,
    /// The model version, `v` followed by a version, e.g. `v1` or `v1.5`.
    pub model_version: &'a str,
    /// The dataset, possibly with underscores, e.g. `cifar10` or `oxford_pets`.
    pub dataset: &'a str,
}

impl Uid {
    /// Parses a UID; see the crate documentation for the grammar.
    pub fn parse(input: &str) -> Result<Uid, Error> {
        let subject = Subject::ModelId;
        let ranges = segment::split(subject, input)?;
        if !(3..=4).contains(&ranges.len()) {
            let kind = ErrorKind::SegmentCount {
                found: ranges.len(),
                expected: "`publisher/backend/version/name` or `publisher/version/name`",
            };
            return Err(Error::new(subject, input, 0..input.len(), kind));
        }
        for (i, range) in ranges.iter().enumerate() {
            segment::check(subject, input, range.clone(), i + 1)?;
        }
        let version_at = ranges.len() - 2;
        let version = &input[ranges[version_at].clone()];
        if !segment::is_version(version) {
            let kind = ErrorKind::NotAVersion {
                index: version_at + 1,
            };
            return Err(Error::new(subject, input, ranges[version_at].clone(), kind));
        }
        let text = |i: usize| input[ranges[i].clone()].to_owned();
        Ok(Uid {
            publisher: text(0),
            backend: (ranges.len() == 4).then(|| text(1)),
            version: text(version_at),
            name: text(ranges.len() - 1),
        })
    }

    /// Derives the UID from a card's path relative to the `assets/` directory,
    /// such as `mindspore/ascend/1.0/alexnet_v1_cifar10.md`. Backslashes are
    /// treated as separators so Windows paths work.
    pub fn from_card_path(relative: &str) -> Result<Uid, Error> {
        let normalised = relative.replace('\\', "/");
        let stem = normalised.strip_suffix(".md").unwrap_or(&normalised);
        Uid::parse(stem)
    }

    /// The publisher, e.g. `mindspore`.
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The backend directory, e.g. `ascend`, present in the four-segment layout only.
    pub fn backend(&self) -> Option<&str> {
        self.backend.as_deref()
    }

    /// The framework version directory, e.g. `1.10`; always dotted digits.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The card's file stem, e.g. `alexnet_v1_cifar10`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The card's path relative to `assets/`, with `/` separators.
    pub fn card_path(&self) -> String {
        format!("{self}.md")
    }

    /// Splits the name into `<model>_<model-version>_<dataset>` when it follows that
    /// convention: the first `_v<version>` part is the model version, what comes
    /// before is the model and what comes after is the dataset. Returns `None` for
    /// stems that do not follow it, which are still valid (`ssdmobilenetv2fpnlite_coco2017`).
    pub fn name_parts(&self) -> Option<NameParts<'_>> {
        let name = self.name.as_str();
        let mut offset = 0;
        for part in name.split('_') {
            let is_model_version =
                part.len() > 1 && part.starts_with('v') && segment::is_version(&part[1..]);
            if is_model_version && offset > 0 {
                let model = &name[..offset - 1];
                let rest = &name[offset + part.len()..];
                let dataset = rest.strip_prefix('_')?;
                if dataset.is_empty() {
                    return None;
                }
                return Some(NameParts {
                    model,
                    model_version: part,
                    dataset,
                });
            }
            offset += part.len() + 1;
        }
        None
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.publisher)?;
        if let Some(backend) = &self.backend {
            write!(f, "/{backend}")?;
        }
        write!(f, "/{}/{}", self.version, self.name)
    }
}

impl FromStr for Uid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Uid, Error> {
        Uid::parse(s)
    }
}
