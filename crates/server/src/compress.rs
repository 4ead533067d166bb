//! Content codings: what the client accepts, gzip and brotli encoders, and a bounded cache of compressed files.

use bytes::Bytes;
use hubtree::Stamp;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Files larger than this are sent as they are.
pub(crate) const MAX_INPUT: u64 = 32 << 20;
/// The bytes kept in memory, at most; past it the cache starts over.
const BUDGET: usize = 64 << 20;
/// Files smaller than this gain nothing from compression.
const MIN_INPUT: u64 = 256;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Coding {
    Identity,
    Gzip,
    Br,
}

impl Coding {
    /// Where this coding's form of a file is kept.
    fn slot(self) -> usize {
        match self {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Br => 2,
        }
    }

    /// The `Content-Encoding` value, and the suffix that tells its entity tag apart.
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Br => Some("br"),
        }
    }
}

/// The coding to send for an `Accept-Encoding` header: brotli, else gzip, when the
/// client gives them a non-zero quality (`*` counts for both), else none.
pub(crate) fn negotiate(accept: Option<&str>) -> Coding {
    let (mut br, mut gzip, mut star) = (None, None, None);
    for item in accept.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => br = Some(quality),
            "gzip" | "x-gzip" => gzip = Some(quality),
            "*" => star = Some(quality),
            _ => {}
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gzip = gzip.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Coding::Br
    } else if gzip > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// Whether a content type is worth compressing.
pub(crate) fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/wasm")
        || content_type.starts_with("image/svg+xml")
}

/// `data` in `coding`, or `None` when that is not smaller.
pub(crate) fn encode(coding: Coding, data: &[u8]) -> Option<Bytes> {
    if (data.len() as u64) < MIN_INPUT {
        return None;
    }
    let out = match coding {
        Coding::Identity => return None,
        Coding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 3),
                flate2::Compression::new(6),
            );
            encoder.write_all(data).ok()?;
            encoder.finish().ok()?
        }
        Coding::Br => {
            let mut out = Vec::with_capacity(data.len() / 3);
            let params = brotli::enc::BrotliEncoderParams {
                quality: 6,
                lgwin: 22,
                ..brotli::enc::BrotliEncoderParams::default()
            };
            brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
            out
        }
    };
    (out.len() < data.len()).then(|| Bytes::from(out))
}

/// File contents kept in memory, by path and coding, for the version of the file
/// ([`Stamp`]) they were read from: compressed forms, and small files as they are.
#[derive(Default)]
pub(crate) struct Cache {
    entries: Mutex<Entries>,
}

/// One file's kept forms, by coding (see [`Coding::slot`]); looked up by path alone, so
/// that a lookup allocates nothing.
type Forms = [Option<(Stamp, Option<Bytes>)>; 3];

#[derive(Default)]
struct Entries {
    map: HashMap<PathBuf, Forms>,
    bytes: usize,
}

impl Cache {
    /// The file at `path` in the version `stamp` and in `coding`, if it is kept. The
    /// outer `None` means not yet; the inner one means that coding does not help.
    pub(crate) fn get(&self, path: &Path, coding: Coding, stamp: Stamp) -> Option<Option<Bytes>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (have, bytes) = entries.map.get(path)?[coding.slot()].as_ref()?;
        (*have == stamp).then(|| bytes.clone())
    }

    /// Keeps a form of a file, starting over when the budget is spent.
    pub(crate) fn put(&self, path: &Path, coding: Coding, stamp: Stamp, bytes: Option<Bytes>) {
        let size = bytes.as_ref().map_or(0, Bytes::len);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.bytes + size > BUDGET {
            entries.map.clear();
            entries.bytes = 0;
        }
        let forms = entries.map.entry(path.to_path_buf()).or_default();
        let old = forms[coding.slot()].replace((stamp, bytes));
        let freed = old.and_then(|(_, b)| b).map_or(0, |b| b.len());
        entries.bytes = entries.bytes + size - freed;
    }
}

#[cfg(test)]
mod tests;
