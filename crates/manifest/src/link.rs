//! What a card's link names: a url outside the hub, or a file inside it. Every crate that follows a link asks here.

use std::fmt;

/// A card's `asset-link` (or `repo-link`), read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link<'a> {
    /// An `https://` url with a host.
    Https(&'a str),
    /// A plain `http://` url with a host: fetched only from this machine or when allowed.
    Http(&'a str),
    /// A path relative to the hub root: `/`-separated segments of ASCII letters, digits
    /// and `._-+~`, none empty, `.` or `..`, nothing absolute.
    InHub(&'a str),
}

/// Why a link names nothing mhub will follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadLink {
    /// It starts like a url but has no host, or holds whitespace or control characters.
    BadUrl,
    /// It is neither an http(s) url nor a safe path inside the hub.
    NotInHub,
}

impl fmt::Display for BadLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadLink::BadUrl => "it is not a valid url",
            BadLink::NotInHub => {
                "asset links are https urls or paths inside the hub of letters, digits and `._-+~`, without `..`"
            }
        })
    }
}

impl<'a> Link<'a> {
    /// Reads a link. This is the one rule for what a card may point at.
    pub fn parse(link: &'a str) -> Result<Link<'a>, BadLink> {
        let url = |rest: &str| {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            !host.is_empty() && !link.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if let Some(rest) = link.strip_prefix("https://") {
            return if url(rest) {
                Ok(Link::Https(link))
            } else {
                Err(BadLink::BadUrl)
            };
        }
        if let Some(rest) = link.strip_prefix("http://") {
            return if url(rest) {
                Ok(Link::Http(link))
            } else {
                Err(BadLink::BadUrl)
            };
        }
        let safe = !link.is_empty()
            && link
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..")
            && link
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+~/".contains(c));
        if safe {
            Ok(Link::InHub(link))
        } else {
            Err(BadLink::NotInHub)
        }
    }

    /// Whether the link leaves the hub (an http or https url).
    pub fn is_external(&self) -> bool {
        !matches!(self, Link::InHub(_))
    }

    /// The link as written.
    pub fn as_str(&self) -> &'a str {
        match self {
            Link::Https(s) | Link::Http(s) | Link::InHub(s) => s,
        }
    }
}

/// Whether `link` is an http(s) url: something a hub can only fetch, or mirror.
pub fn is_external_link(link: &str) -> bool {
    Link::parse(link).is_ok_and(|l| l.is_external())
}
