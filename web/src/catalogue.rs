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

    /// The entry's values for this facet.
    pub fn values(self, entry: &IndexEntry) -> Vec<String> {
        match self {
            Facet::Publisher => entry
                .uid
                .split('/')
                .next()
                .map(str::to_owned)
                .into_iter()
                .collect(),
            Facet::Backend => entry.backends.clone(),
            Facet::Version => vec![entry.version.clone()],
            Facet::Task => entry.task.clone().into_iter().collect(),
            Facet::Dataset => entry.dataset.clone().into_iter().collect(),
            Facet::Format => {
                let mut formats: Vec<String> = entry
                    .assets
                    .iter()
                    .filter_map(|a| a.file_format.clone())
                    .collect();
                formats.sort();
                formats.dedup();
                formats
            }
        }
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

    /// Whether `entry` passes the search text and every chosen facet but `except`.
    fn admits(&self, entry: &IndexEntry, except: Option<Facet>) -> bool {
        let haystack = [
            Some(entry.uid.as_str()),
            Some(entry.title.as_str()),
            entry.summary.as_deref(),
            entry.task.as_deref(),
            entry.dataset.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
        let words_match = self
            .query
            .split_whitespace()
            .all(|word| haystack.contains(&word.to_lowercase()));
        words_match
            && self
                .chosen
                .iter()
                .filter(|(facet, _)| Some(**facet) != except)
                .all(|(facet, value)| facet.values(entry).iter().any(|v| v == value))
    }

    /// The entries that pass every filter, in index order.
    pub fn apply<'a>(&self, entries: &'a [IndexEntry]) -> Vec<&'a IndexEntry> {
        entries.iter().filter(|e| self.admits(e, None)).collect()
    }

    /// For each facet, every value with the number of entries that would match if it were chosen
    /// (the other filters staying as they are), sorted by value.
    pub fn facets(&self, entries: &[IndexEntry]) -> Vec<(Facet, Vec<(String, usize)>)> {
        Facet::ALL
            .into_iter()
            .map(|facet| {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for entry in entries {
                    // Values of the facet itself are always listed, so that a choice can be changed.
                    for value in facet.values(entry) {
                        let count = counts.entry(value).or_default();
                        if self.admits(entry, Some(facet)) {
                            *count += 1;
                        }
                    }
                }
                (facet, counts.into_iter().collect())
            })
            .collect()
    }
}
