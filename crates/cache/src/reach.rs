//! Which hosts a download may reach: https anywhere public; this machine and the local network (plain http allowed) only at the hub's own origin, or when allowed.

use crate::error::{Error, Result};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _};

/// What a fetcher may reach, from the settings the user chose.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach {
    /// The origin of the hub the user typed (`scheme://host:port`): anything goes there.
    pub(crate) origin: Option<(String, String, u16)>,
    /// Plain http to public hosts (`--allow-http`).
    pub(crate) allow_http: bool,
    /// This machine and the local network anywhere (`--allow-local`).
    pub(crate) allow_local: bool,
}

/// Whether an address is this machine or a network that is not the internet: loopback,
/// private, link-local, carrier-grade NAT, unspecified, broadcast, unique-local.
pub(crate) fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_local_ip(IpAddr::V4(v4)))
        }
    }
}

/// Whether a host name or literal names this machine or the local network by itself,
/// before any lookup.
fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let lower = host.to_ascii_lowercase();
    lower == "localhost"
        || lower.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(is_local_ip)
}

/// `scheme`, host and port of a url.
pub(crate) fn origin_of(url: &Url) -> Option<(String, String, u16)> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

impl Reach {
    /// Checks a url before it is asked, and each redirect hop.
    pub(crate) fn check(&self, url: &Url) -> Result<()> {
        let scheme = url.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(Error::BadUrl {
                url: url.to_string(),
                reason: format!("scheme `{scheme}` is not supported"),
            });
        }
        let at_origin = self.origin.is_some() && origin_of(url) == self.origin;
        let host = url.host_str().unwrap_or_default();
        let local = is_local_host(host);
        if local && !at_origin && !self.allow_local {
            return Err(Error::LocalAddress {
                url: url.to_string(),
            });
        }
        // This machine and the local network may speak plain http; the internet may not.
        if scheme == "http" && !local && !self.allow_http {
            return Err(Error::InsecureUrl {
                url: url.to_string(),
            });
        }
        Ok(())
    }

    /// A resolver that keeps a name from leading to this machine or the local network
    /// unless that is allowed: the address actually connected is checked, not the name.
    pub(crate) fn resolver(&self) -> Resolver {
        Resolver {
            allow_local: self.allow_local,
            origin_host: self.origin.as_ref().map(|(_, host, _)| host.clone()),
        }
    }
}

/// Resolves names with the system's resolver, then drops local addresses unless allowed.
pub(crate) struct Resolver {
    allow_local: bool,
    origin_host: Option<String>,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let keep_local = self.allow_local || self.origin_host.as_deref() == Some(host.as_str());
        // A lookup for each new connection; the blocking client waits for it anyway.
        let result = (host.as_str(), 0)
            .to_socket_addrs()
            .map(|addrs| {
                addrs
                    .filter(|a| keep_local || !is_local_ip(a.ip()))
                    .collect::<Vec<SocketAddr>>()
            })
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
            .and_then(|addrs| {
                if addrs.is_empty() {
                    Err(format!(
                        "`{host}` resolves only to addresses of this machine or the local network, which it may not reach (pass --allow-local to allow them)"
                    )
                    .into())
                } else {
                    Ok(Box::new(addrs.into_iter()) as Addrs)
                }
            });
        Box::pin(std::future::ready(result))
    }
}
