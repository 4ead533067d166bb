//! `mhub key`: signing keys for a hub's index (`new`, `delegate`), the signing options of `index` and `mirror`, and the `--trust` keys of the clients.

use crate::{Outcome, print, warn};
use anyhow::{Context as _, bail};
use std::fs;
use std::path::{Path, PathBuf};
use trust::{Delegation, PublicKey, SecretKey};

/// The secret key's file name in `mhub key new --out DIR`.
const SECRET_FILE: &str = "mhub.key";
/// The public key's file name.
const PUBLIC_FILE: &str = "mhub.pub";
/// The largest key or delegation file read.
const MAX_KEY_FILE: u64 = 64 << 10;

/// Arguments of `mhub key`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Make a key pair: DIR/mhub.key (secret, mode 0600, never printed) and DIR/mhub.pub.
    New {
        /// The folder to write them to (created); an existing key there is never replaced.
        #[arg(long, value_parser = crate::path_arg)]
        out: PathBuf,
    },
    /// Let index keys sign a hub's index on behalf of a root key, which clients trust:
    /// replacing an index key then needs a new delegation, not a new key on every client.
    Delegate {
        /// The root's secret key file.
        #[arg(long, value_parser = crate::path_arg)]
        root: PathBuf,
        /// An index key (a `.pub` file or the key's text); repeat for several.
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// How many of them must sign an index.
        #[arg(long, default_value_t = 1)]
        threshold: u32,
        /// The delegation's version: higher than the last one's, or clients refuse it.
        #[arg(long, value_name = "N")]
        delegation_version: u64,
        /// How long the delegation stays valid, e.g. `365d`, `12h`, `30m`, `1s`.
        #[arg(long, default_value = "365d", value_parser = duration_arg)]
        expires: u64,
        /// The file to write (the `--delegation` of `mhub index`).
        #[arg(long, value_parser = crate::path_arg)]
        out: PathBuf,
    },
}

/// Reads `90d`, `12h`, `30m`, `1s`, `2w`, or plain seconds, into seconds.
pub(crate) fn duration_arg(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => 0,
    };
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && scale > 0)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a duration such as `90d`, `12h`, `30m` or `1s`"))
}

/// Seconds since 1970, now.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A small file's text.
fn read_small(path: &Path, what: &str) -> anyhow::Result<String> {
    let meta =
        fs::metadata(path).with_context(|| format!("cannot read {what} `{}`", path.display()))?;
    if meta.len() > MAX_KEY_FILE {
        bail!(
            "{what} `{}` is larger than {MAX_KEY_FILE} bytes",
            path.display()
        );
    }
    fs::read_to_string(path).with_context(|| format!("cannot read {what} `{}`", path.display()))
}

/// Reads a secret key file, warning when others may read it.
pub(crate) fn secret(path: &Path) -> anyhow::Result<SecretKey> {
    use std::os::unix::fs::PermissionsExt as _;
    let text = read_small(path, "the secret key")?;
    if fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
        warn(&format!(
            "warning: other users may read the secret key `{}`: `chmod 600` it\n",
            path.display()
        ));
    }
    SecretKey::parse(&text).with_context(|| format!("`{}` is not a secret key", path.display()))
}

/// Public keys from an argument: a key's text, or a file of keys (one per line,
/// `#` comments allowed).
pub(crate) fn public_keys(arg: &str) -> anyhow::Result<Vec<PublicKey>> {
    let (text, from) = if arg.trim_start().starts_with("mhub-ed25519-") {
        (arg.to_owned(), "the key text".to_owned())
    } else {
        let path = Path::new(arg);
        (read_small(path, "the key file")?, format!("`{arg}`"))
    };
    let keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PublicKey::parse)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{from} is not a public key (`mhub-ed25519-public:…`, as `mhub key new` writes to mhub.pub)"))?;
    if keys.is_empty() {
        bail!("{from} holds no public key");
    }
    Ok(keys)
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    match &args.command {
        Command::New { out } => {
            let dir = hubtree::Dir::create_private(out)?;
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed)
                .map_err(|e| anyhow::anyhow!("the operating system gave no randomness: {e}"))?;
            let key = SecretKey::from_seed(seed);
            dir.create_secret(SECRET_FILE, key.to_text().as_bytes())
                .with_context(|| {
                    format!(
                        "an existing key is never replaced: pick another folder than `{}`",
                        out.display()
                    )
                })?;
            let public = key.public();
            dir.write_atomic(PUBLIC_FILE, format!("{}\n", public.to_text()).as_bytes())?;
            print(&format!(
                "wrote the secret key to `{}` (keep it private) and the public key to `{}`\nkey {}: {}\n",
                out.join(SECRET_FILE).display(),
                out.join(PUBLIC_FILE).display(),
                public.id(),
                public.to_text()
            ))?;
        }
        Command::Delegate {
            root,
            to,
            threshold,
            delegation_version: version,
            expires,
            out,
        } => {
            let root = secret(root)?;
            let mut keys = Vec::new();
            for arg in to {
                keys.extend(public_keys(arg)?);
            }
            let delegation =
                Delegation::grant(&root, &keys, *threshold, *version, now() + expires)?;
            let json = format!("{}\n", serde_json::to_string_pretty(&delegation)?);
            let folder = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = out
                .file_name()
                .and_then(|n| n.to_str())
                .with_context(|| format!("`{}` does not name a file", out.display()))?;
            hubtree::Dir::open(folder)?.write_atomic(name, json.as_bytes())?;
            let ids: Vec<String> = keys.iter().map(|k| k.id().to_string()).collect();
            print(&format!(
                "wrote `{}`: root {} lets {} of [{}] sign the index (delegation version {version})\n",
                out.display(),
                root.public().id(),
                threshold,
                ids.join(", ")
            ))?;
        }
    }
    Ok(Outcome::Clean)
}

/// How `mhub index` and `mhub mirror` sign the index they write.
#[derive(clap::Args, Clone, Default)]
pub(crate) struct SignArgs {
    /// Sign the index with this secret key (`mhub key new`), writing `index.json.sig`
    /// beside it; the index then pins every card's sha256 and size.
    #[arg(long, value_name = "KEY", value_parser = crate::path_arg)]
    pub(crate) sign: Option<PathBuf>,
    /// How long the signed index stays valid; clients refuse it after that.
    #[arg(long, default_value = "90d", value_parser = duration_arg, requires = "sign")]
    pub(crate) expires: Option<u64>,
    /// The signed index's version [default: the current index's, plus one]
    #[arg(long, value_name = "N", requires = "sign")]
    pub(crate) index_version: Option<u64>,
    /// The delegation (`mhub key delegate`) that lets this key sign for a root key.
    #[arg(long, value_name = "FILE", requires = "sign")]
    pub(crate) delegation: Option<PathBuf>,
}

/// The secret key, the delegation and the expiry, read once.
pub(crate) struct Signer {
    key: SecretKey,
    delegation: Option<Delegation>,
    expires: u64,
    version: Option<u64>,
}

impl SignArgs {
    /// The signer these options name, if any.
    pub(crate) fn signer(&self) -> anyhow::Result<Option<Signer>> {
        let Some(path) = &self.sign else {
            return Ok(None);
        };
        let delegation = match &self.delegation {
            Some(path) => Some(
                Delegation::from_json(read_small(path, "the delegation")?.as_bytes())
                    .with_context(|| format!("`{}` is not a delegation", path.display()))?,
            ),
            None => None,
        };
        Ok(Some(Signer {
            key: secret(path)?,
            delegation,
            expires: now() + self.expires.unwrap_or(90 * 86_400),
            version: self.index_version,
        }))
    }
}

impl Signer {
    /// Signs `index`, the version following `previous` (the version of the index it
    /// replaces): the index's JSON and the signature file's bytes.
    pub(crate) fn sign(
        &self,
        mut index: manifest::Index,
        previous: Option<u64>,
    ) -> anyhow::Result<(String, Vec<u8>)> {
        let next = previous.unwrap_or(0) + 1;
        let version = self.version.unwrap_or(next);
        if version < next {
            bail!(
                "version {version} is not above the current index's {}: clients would refuse it as a rollback",
                previous.unwrap_or(0)
            );
        }
        index.version = Some(version);
        index.expires = Some(self.expires);
        let json = format!("{}\n", serde_json::to_string_pretty(&index)?);
        if let Some(delegation) = &self.delegation {
            let grant = delegation.grant_of()?;
            let me = self.key.public().to_text();
            if !grant.keys.contains(&me) {
                bail!(
                    "the delegation does not name this key ({}): sign with one of its keys",
                    self.key.public().id()
                );
            }
        }
        let envelope = trust::Envelope::sign(json.as_bytes(), &self.key, self.delegation.clone());
        Ok((json, envelope.to_json()))
    }
}
