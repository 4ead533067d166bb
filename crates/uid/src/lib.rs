//! Model UIDs and repository references: the grammar every other mhub crate relies on.
//!
//! This crate parses, checks and prints the two kinds of names a user types to
//! reach a model:
//!
//! - a **model UID**, the path of a card inside a hub tree without its `.md`
//!   suffix, in either real MindSpore Hub layout:
//!   `publisher/backend/version/name` (e.g. `mindspore/ascend/1.0/alexnet_v1_cifar10`)
//!   or `publisher/version/name` (e.g. `mindspore/1.10/resnet50_imagenet2012`);
//! - a **repository reference** in torch.hub style, `owner/repo[:ref]`.
//!
//! [`Reference::parse`] tells those apart from URLs and local paths.
//!
//! It does no I/O and has no knowledge of cards, caches or networks, so it
//! compiles to `wasm32-unknown-unknown`. It is the only place the grammar lives.
//!
//! # Grammar
//!
//! ```text
//! uid       = publisher "/" [ backend "/" ] version "/" name ;
//! publisher = segment ;
//! backend   = segment ;
//! name      = segment ;
//! version   = digits { "." digits } ;
//! segment   = alnum { alnum | "-" | "_" | "." } ;
//! repo_ref  = owner "/" repo [ ":" git_ref ] ;
//! owner     = segment ;
//! repo      = segment ;
//! git_ref   = a git ref name: printable ASCII without space ~ ^ : ? * [ \ % # ,
//!             no "..", "//", "@{", no leading "-" or "/", no trailing "/", "." or ".lock" ;
//! ```
//!
//! A segment is at most 128 bytes, does not end with `.`, and is not a Windows
//! device name (`con`, `nul`, `com1`, ...); a whole UID is at most 255 bytes.
//! Together these make every valid UID a safe relative path on every platform:
//! no `..` or `.`, nothing absolute, no backslash, drive letter, percent
//! escape, NUL, control character or non-ASCII byte.
//!
//! Good: `mindspore/ascend/1.0/alexnet_v1_cifar10`, `noah-cvlab/gpu/1.0/ghostnet-600_v1.0_oxford_pets`,
//! `mindspore/1.10/resnet50_imagenet2012`. Bad: `mindspore//1.0/x` (empty segment),
//! `mindspore/ascend/../x` (dot segment), `mindspore/ascend/latest/x` (not a version),
//! `/etc/1.0/passwd` (absolute), `a/1.0/con` (device name).
//!
//! # Example
//!
//! ```
//! use uid::{Reference, Uid};
//!
//! let uid: Uid = "mindspore/ascend/1.0/alexnet_v1_cifar10".parse()?;
//! assert_eq!(uid.backend(), Some("ascend"));
//! assert_eq!(uid.version(), "1.0");
//! let parts = uid.name_parts().expect("conventional stem");
//! assert_eq!((parts.model, parts.model_version, parts.dataset), ("alexnet", "v1", "cifar10"));
//! assert_eq!(uid.card_path(), "mindspore/ascend/1.0/alexnet_v1_cifar10.md");
//!
//! let err = "mindspore//1.0/alexnet_v1_cifar10".parse::<Uid>().unwrap_err();
//! assert_eq!(err.to_string(), "invalid model id: segment 2 is empty");
//! assert_eq!(err.render(), "error: invalid model id: segment 2 is empty\n  mindspore//1.0/alexnet_v1_cifar10\n            ^\n");
//!
//! assert!(matches!(Reference::parse("pytorch/vision:v0.10.0")?, Reference::Repo(_)));
//! # Ok::<(), uid::Error>(())
//! ```

mod error;
mod flat;
mod model;
mod reference;
mod repo;
mod segment;

pub use error::{Error, ErrorKind, Subject};
pub use flat::flat_name;
pub use model::{NameParts, Uid};
pub use reference::Reference;
pub use repo::RepoRef;

/// The longest UID accepted, in bytes.
pub const MAX_UID_LEN: usize = 255;
/// The longest single segment accepted, in bytes.
pub const MAX_SEGMENT_LEN: usize = 128;

#[cfg(test)]
mod tests;
