//! The torch.hub-style repository reference: `owner/repo[:ref]`.

use crate::error::{Error, ErrorKind, Subject};
use crate::segment;
use std::fmt::{self, Write as _};
use std::str::FromStr;

/// A repository reference such as `pytorch/vision:v0.10.0`.
///
/// The ref is optional; when it is absent the source decides which branch to
/// use, as torch.hub does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoRef {
    owner: String,
    repo: String,
    git_ref: Option<String>,
}

impl RepoRef {
    /// Parses `owner/repo` or `owner/repo:ref`.
    pub fn parse(input: &str) -> Result<RepoRef, Error> {
        let subject = Subject::RepoRef;
        let (path, git_ref) = match input.find(':') {
            Some(at) => (&input[..at], Some((at + 1, &input[at + 1..]))),
            None => (input, None),
        };
        let ranges = segment::split(subject, path)
            .map_err(|e| Error::new(subject, input, e.span(), e.kind().clone()))?;
        if ranges.len() != 2 {
            let kind = ErrorKind::SegmentCount {
                found: ranges.len(),
                expected: "`owner/repo`",
            };
            return Err(Error::new(subject, input, 0..path.len(), kind));
        }
        for (i, range) in ranges.iter().enumerate() {
            segment::check(subject, input, range.clone(), i + 1)?;
        }
        if let Some((at, r)) = git_ref {
            check_ref(r).map_err(|(span, reason)| {
                Error::new(
                    subject,
                    input,
                    at + span.start..at + span.end,
                    ErrorKind::BadRef { reason },
                )
            })?;
        }
        Ok(RepoRef {
            owner: input[ranges[0].clone()].to_owned(),
            repo: input[ranges[1].clone()].to_owned(),
            git_ref: git_ref.map(|(_, r)| r.to_owned()),
        })
    }

    /// The owner, e.g. `pytorch`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository name, e.g. `vision`.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The branch, tag or commit after `:`, if one was given.
    pub fn git_ref(&self) -> Option<&str> {
        self.git_ref.as_deref()
    }

    /// A name for this reference that is safe as one directory name and that no other
    /// reference shares: `owner_repo_ref`, each part a [`flat_name`](crate::flat_name)
    /// (so `_` in a part is `%5F` and `/` in a ref is `%2F`): `a/b:c_d` and `a/b_c:d`
    /// differ.
    pub fn cache_name(&self, default_ref: &str) -> String {
        let part = |text: &str| crate::flat_name(text).replace('_', "%5F");
        let r = self.git_ref.as_deref().unwrap_or(default_ref);
        format!("{}_{}_{}", part(&self.owner), part(&self.repo), part(r))
    }

    /// The archive url of this reference in `template`, whose `{owner}`, `{repo}` and
    /// `{ref}` are replaced by the parts, each percent-encoded but for letters, digits
    /// and `-._~/` (the ref falls back to `default_ref`): a part can never add an
    /// escape, a query or a fragment of its own.
    ///
    /// ```
    /// let r = uid::RepoRef::parse("a/b:v1/x").unwrap();
    /// let url = r.archive_url("https://h/{owner}/{repo}/{ref}.tgz", "main");
    /// assert_eq!(url, "https://h/a/b/v1/x.tgz");
    /// ```
    pub fn archive_url(&self, template: &str, default_ref: &str) -> String {
        let r = self.git_ref.as_deref().unwrap_or(default_ref);
        template
            .replace("{owner}", &encode(&self.owner))
            .replace("{repo}", &encode(&self.repo))
            .replace("{ref}", &encode(r))
    }
}

/// Percent-encodes every byte but ASCII letters, digits and `-._~/`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Checks a git ref name (`git check-ref-format` rules that matter for a
/// reference typed by a user), returning the span at fault within `r`.
fn check_ref(r: &str) -> Result<(), (std::ops::Range<usize>, &'static str)> {
    if r.is_empty() {
        return Err((0..0, "after `:` is empty"));
    }
    if r.len() > crate::MAX_UID_LEN {
        return Err((0..r.len(), "is too long"));
    }
    for (at, ch) in r.char_indices() {
        let bad = !ch.is_ascii() || ch.is_ascii_control() || " ~^:?*[\\%#".contains(ch);
        if bad {
            return Err((
                at..at + ch.len_utf8(),
                "contains a character git does not allow",
            ));
        }
    }
    for pat in ["..", "//", "@{"] {
        if let Some(at) = r.find(pat) {
            return Err((at..at + pat.len(), "contains a sequence git does not allow"));
        }
    }
    if r.starts_with('-') || r.starts_with('/') {
        return Err((0..1, "must not start with `-` or `/`"));
    }
    if r.ends_with('/') || r.ends_with('.') {
        return Err((r.len() - 1..r.len(), "must not end with `/` or `.`"));
    }
    if r.ends_with(".lock") {
        return Err((r.len() - 5..r.len(), "must not end with `.lock`"));
    }
    if r.split('/').any(|part| part.starts_with('.')) {
        return Err((0..r.len(), "has a component that starts with `.`"));
    }
    Ok(())
}

impl fmt::Display for RepoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.repo)?;
        if let Some(r) = &self.git_ref {
            write!(f, ":{r}")?;
        }
        Ok(())
    }
}

impl FromStr for RepoRef {
    type Err = Error;

    fn from_str(s: &str) -> Result<RepoRef, Error> {
        RepoRef::parse(s)
    }
}
