//! Sources as the viewer shows them: a row's source name (its `[[source]]` label, else the
//! masked write key), a stable colour per name from the theme, and the count of events per
//! source for the header, kept as rows arrive.

use std::sync::Arc;

use ratatui::style::Style;

use super::theme::Theme;
use eventscope_core::model::Source;

/// The name the list and the header give a source: its label, else its masked write key,
/// else `—` (no key: a plain stream or a file).
pub fn source_name(source: &Source) -> &str {
    source
        .label
        .as_deref()
        .or(source.write_key.as_deref())
        .unwrap_or("—")
}

/// The source's colour: one of the theme's source colours, chosen by a hash of its name, so a
/// source keeps its colour across runs and themes.
pub fn source_style(theme: &Theme, name: &str) -> Style {
    theme.source_style(stable_hash(name))
}

/// FNV-1a: stable across runs and platforms (std's hasher is not).
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Events per source since the viewer started (not reduced by eviction or clearing).
#[derive(Debug, Default)]
pub struct SourceCounts {
    counts: Vec<(Box<str>, u64)>,
    /// The last source counted and its slot: rows of a batch share one `Arc<Source>`.
    last: Option<(Arc<Source>, usize)>,
}

impl SourceCounts {
    /// Counts one event from `source`.
    pub fn count(&mut self, source: &Arc<Source>) {
        if let Some((last, slot)) = &self.last
            && Arc::ptr_eq(last, source)
        {
            self.counts[*slot].1 += 1;
            return;
        }
        let name = source_name(source);
        let slot = match self.counts.iter().position(|(n, _)| &**n == name) {
            Some(slot) => slot,
            None => {
                self.counts.push((name.into(), 0));
                self.counts.len() - 1
            }
        };
        self.counts[slot].1 += 1;
        self.last = Some((Arc::clone(source), slot));
    }

    /// Sources by count, most first (ties by name).
    pub fn ranked(&self) -> Vec<(&str, u64)> {
        let mut ranked: Vec<(&str, u64)> = self.counts.iter().map(|(n, c)| (&**n, *c)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        ranked
    }

    /// How many sources have been seen.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(key: &str, label: Option<&str>) -> Arc<Source> {
        Arc::new(Source {
            write_key: Some(key.into()),
            label: label.map(Arc::from),
            ..Source::default()
        })
    }

    #[test]
    fn counts_rank_sources_by_label_else_key() {
        let web = source("wk_w…0001", Some("web"));
        let ios = source("wk_i…0002", None);
        let mut counts = SourceCounts::default();
        for _ in 0..3 {
            counts.count(&web);
        }
        counts.count(&ios);
        // Another Arc of the same source counts to the same name.
        counts.count(&source("wk_w…0001", Some("web")));
        assert_eq!(counts.ranked(), [("web", 4), ("wk_i…0002", 1)]);
        assert_eq!(counts.len(), 2);
    }

    #[test]
    fn the_colour_hash_is_stable() {
        assert_eq!(stable_hash("web"), stable_hash("web"));
        assert_ne!(stable_hash("web"), stable_hash("ios"));
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
