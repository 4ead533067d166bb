//! The MindSpore Hub's dataset allow-list (`valid-datasets.txt`), and matching against it.

use std::collections::HashSet;
use std::sync::OnceLock;

const LIST: &str = include_str!("valid-datasets.txt");

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Whether `dataset` is on the list: the whole value exactly, or every
/// `_`-separated part exactly (how the MindSpore checker names combinations).
///
/// The checker only tries the parts, so list entries that themselves contain
/// `_` (`MVtecAD_carpet`, `wmt16_de_en`) can never pass there; here they do.
/// Matching is case-sensitive, as there: the list spells out the variants.
pub(crate) fn is_known(dataset: &str) -> bool {
    let set = set();
    set.contains(dataset)
        || (dataset.contains('_') && dataset.split('_').all(|part| set.contains(part)))
}
