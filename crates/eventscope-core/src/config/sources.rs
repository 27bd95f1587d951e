//! The `[[source]]` tables of `eventscope.toml`: a short label per write key
//! (`key = "…", label = "web"`), checked as read: no empty key or label, no key or label
//! twice, labels short enough for the list's column.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::model::SourceLabels;

/// Labels longer than this would not fit the list's column or the header.
pub const MAX_LABEL_CHARS: usize = 16;

/// One `[[source]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The write key (or its mask as eventscope shows it, `abcd…wxyz`).
    pub key: String,
    /// What the list, the header and `source:` call it.
    pub label: String,
}

/// `Config::source`: the tables, checked.
pub(crate) fn sources<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SourceConfig>, D::Error> {
    let sources = Vec::<SourceConfig>::deserialize(d)?;
    for (index, source) in sources.iter().enumerate() {
        let which = format!("[[source]] #{}", index + 1);
        if source.key.trim().is_empty() {
            return Err(D::Error::custom(format!(
                "{which}: `key` is empty: write the source's write key"
            )));
        }
        let label = source.label.trim();
        if label.is_empty() {
            return Err(D::Error::custom(format!(
                "{which}: `label` is empty: write a short name such as \"web\" or \"ios\""
            )));
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(D::Error::custom(format!(
                "{which}: label \"{label}\" is longer than {MAX_LABEL_CHARS} characters"
            )));
        }
        if let Some(earlier) = sources[..index].iter().position(|s| s.key == source.key) {
            return Err(D::Error::custom(format!(
                "{which}: the same key as [[source]] #{}",
                earlier + 1
            )));
        }
        if let Some(earlier) = sources[..index]
            .iter()
            .position(|s| s.label.trim() == label)
        {
            return Err(D::Error::custom(format!(
                "{which}: label \"{label}\" is also [[source]] #{}'s",
                earlier + 1
            )));
        }
    }
    Ok(sources)
}

/// The labels the tables give, by masked key.
pub fn labels(sources: &[SourceConfig]) -> SourceLabels {
    SourceLabels::new(sources.iter().map(|s| (s.key.as_str(), s.label.trim())))
}
