//! The catalogue's filters: parsing them from the URL, matching index entries, counting facets.

use crate::percent::{decode, encode};
use manifest::IndexEntry;
use std::collections::BTreeMap;

/// A field the catalogue can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    /// The UID's first segment.
    Publisher,
    /// A backend the model runs on.
    Backend,
    /// The hub version segment of the UID.
    Version,
    /// `module-type`.
    Task,
    /// `train-dataset`.
    Dataset,
    /// An asset's `file-format`.
    Format,
}

impl Facet {
    /// Every facet, in display order.
    pub const ALL: [Facet; 6] = [
        Facet::Publisher,
        Facet::Backend,
        Facet::Version,
        Facet::Task,
        Facet::Dataset,
        Facet::Format,
    ];

    /// Its name in the URL and the page.
    pub fn key(self) -> &'static str {
        match self {
            Facet::Publisher => "publisher",
            Facet::Backend => "backend",
            Facet::Version => "version",
            Facet::Task => "task",
            Facet::Dataset => "dataset",
            Facet::Format => "format",
        }
    }

    /// Calls `f` with each of the entry's values for this facet (an asset format once,
    /// however many assets have it), without copying any.
    fn each_value<'a>(self, entry: &'a IndexEntry, mut f: impl FnMut(&'a str)) {
        match self {
            Facet::Publisher => entry.uid.split('/').next().into_iter().for_each(f),
            Facet::Backend => entry.backends.iter().for_each(|b| f(b)),
            Facet::Version => f(&entry.version),
            Facet::Task => entry.task.iter().for_each(|t| f(t)),
            Facet::Dataset => entry.dataset.iter().for_each(|d| f(d)),
            Facet::Format => {
                let mut formats: Vec<&str> = entry
                    .assets
                    .iter()
                    .filter_map(|a| a.file_format.as_deref())
                    .collect();
                formats.sort_unstable();
                formats.dedup();
                formats.into_iter().for_each(f);
            }
        }
    }

    /// The entry's values for this facet.
    pub fn values(self, entry: &IndexEntry) -> Vec<String> {
        let mut out = Vec::new();
        self.each_value(entry, |v| out.push(v.to_owned()));
        out
    }
}

/// The search text and the chosen value of each facet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Words that must all appear in the UID, title, summary, task or dataset.
    pub query: String,
    /// The chosen value per facet.
    pub chosen: BTreeMap<Facet, String>,
}

impl Filters {
    /// Reads filters from a query string such as `q=resnet&task=cv-classification`.
    pub fn from_query(query: &str) -> Filters {
        let mut filters = Filters::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            if value.is_empty() {
                continue;
            }
            if key == "q" {
                filters.query = value;
            } else if let Some(facet) = Facet::ALL.into_iter().find(|f| f.key() == key) {
                filters.chosen.insert(facet, value);
            }
        }
        filters
    }

    /// The query string for these filters, empty when none is set.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.query.trim().is_empty() {
            parts.push(format!("q={}", encode(self.query.trim())));
        }
        for (facet, value) in &self.chosen {
            parts.push(format!("{}={}", facet.key(), encode(value)));
        }
        parts.join("&")
    }

    /// These filters with one facet set, or cleared when `value` is empty.
    pub fn with(&self, facet: Facet, value: &str) -> Filters {
        let mut next = self.clone();
        if value.is_empty() {
            next.chosen.remove(&facet);
        } else {
            next.chosen.insert(facet, value.to_owned());
        }
        next
    }
}

/// An index made ready for searching, once per index: each entry's search text in lower
/// case, and its facet values as numbers into each facet's sorted list of values. A
/// keystroke then costs one pass over flat arrays, with no string built per entry.
#[derive(Debug, Default)]
pub struct Searchable {
    /// Per entry: UID, title, summary, task and dataset, in lower case.
    texts: Vec<String>,
    /// Per facet (in [`Facet::ALL`] order): every value any entry has, sorted.
    values: Vec<Vec<String>>,
    /// Per facet: where each entry's value ids start in `ids` (one more than the entries).
    starts: Vec<Vec<u32>>,
    /// Per facet: the value ids of every entry, one entry after another.
    ids: Vec<Vec<u32>>,
}

/// What a set of [`Filters`] selects from a [`Searchable`] index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The positions of the matching entries in the index, in index order.
    pub shown: Vec<usize>,
    /// For each facet, every value with the number of entries that would match if it were
    /// chosen (the other filters staying as they are), sorted by value.
    pub facets: Vec<(Facet, Vec<(String, usize)>)>,
}

impl Searchable {
    /// Prepares `entries` for [`Searchable::select`].
    pub fn new(entries: &[IndexEntry]) -> Searchable {
        let texts = entries
            .iter()
            .map(|e| {
                let mut text = String::with_capacity(e.uid.len() + e.title.len() + 64);
                for part in [
                    Some(e.uid.as_str()),
                    Some(e.title.as_str()),
                    e.summary.as_deref(),
                    e.task.as_deref(),
                    e.dataset.as_deref(),
                ]
                .into_iter()
                .flatten()
                {
                    text.push_str(part);
                    text.push(' ');
                }
                // Lower case in one go: ASCII (nearly every index) in place.
                if text.is_ascii() {
                    text.make_ascii_lowercase();
                    text
                } else {
                    text.to_lowercase()
                }
            })
            .collect();
        let (mut values, mut starts, mut ids) = (Vec::new(), Vec::new(), Vec::new());
        for facet in Facet::ALL {
            // The distinct values, borrowed from the entries, numbered in sorted order.
            let mut numbers: BTreeMap<&str, u32> = BTreeMap::new();
            for entry in entries {
                facet.each_value(entry, |v| {
                    numbers.entry(v).or_insert(0);
                });
            }
            for (n, number) in numbers.values_mut().enumerate() {
                *number = index_u32(n);
            }
            let mut facet_starts = Vec::with_capacity(entries.len() + 1);
            let mut facet_ids = Vec::with_capacity(entries.len());
            for entry in entries {
                facet_starts.push(index_u32(facet_ids.len()));
                facet.each_value(entry, |v| {
                    if let Some(&id) = numbers.get(v) {
                        facet_ids.push(id);
                    }
                });
            }
            facet_starts.push(index_u32(facet_ids.len()));
            values.push(numbers.into_keys().map(str::to_owned).collect());
            starts.push(facet_starts);
            ids.push(facet_ids);
        }
        Searchable {
            texts,
            values,
            starts,
            ids,
        }
    }

    /// The value ids of entry `i` for the facet at position `f`.
    fn ids_of(&self, f: usize, i: usize) -> &[u32] {
        let (start, end) = (self.starts[f][i], self.starts[f][i + 1]);
        &self.ids[f][start as usize..end as usize]
    }

    /// The entries `filters` admits (every word of the query in the entry's text, every
    /// chosen facet value among the entry's), and the facet counts, in one pass.
    pub fn select(&self, filters: &Filters) -> Selection {
        let words: Vec<String> = filters
            .query
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        // Per facet: not filtered (`None`), or the chosen value's id (`Some(None)`: a
        // value no entry has, which admits nothing).
        let chosen: Vec<Option<Option<u32>>> = Facet::ALL
            .iter()
            .enumerate()
            .map(|(f, facet)| {
                filters
                    .chosen
                    .get(facet)
                    .map(|value| self.values[f].binary_search(value).ok().map(index_u32))
            })
            .collect();
        let mut counts: Vec<Vec<usize>> = self.values.iter().map(|v| vec![0; v.len()]).collect();
        let mut shown = Vec::new();
        for (i, text) in self.texts.iter().enumerate() {
            if !words.iter().all(|w| text.contains(w.as_str())) {
                continue;
            }
            // The facets this entry fails: with none it is shown and counts everywhere;
            // with one it counts for that facet only (choosing another value there could
            // admit it); with more it counts nowhere.
            let (mut failed, mut failures) = (0, 0);
            for (f, want) in chosen.iter().enumerate() {
                if let Some(want) = want
                    && !want.is_some_and(|id| self.ids_of(f, i).contains(&id))
                {
                    failed = f;
                    failures += 1;
                    if failures > 1 {
                        break;
                    }
                }
            }
            match failures {
                0 => {
                    shown.push(i);
                    for (f, facet_counts) in counts.iter_mut().enumerate() {
                        for &id in self.ids_of(f, i) {
                            facet_counts[id as usize] += 1;
                        }
                    }
                }
                1 => {
                    for &id in self.ids_of(failed, i) {
                        counts[failed][id as usize] += 1;
                    }
                }
                _ => {}
            }
        }
        let facets = Facet::ALL
            .into_iter()
            .zip(self.values.iter().zip(counts))
            .map(|(facet, (values, counts))| (facet, values.iter().cloned().zip(counts).collect()))
            .collect();
        Selection { shown, facets }
    }
}

/// A position as the `u32` the flat arrays hold (an index has far fewer than 2^32 values).
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
