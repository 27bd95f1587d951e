//! Short labels for write keys (`[[source]] key = "…", label = "web"`): what the list's source
//! column, its colour, the header's counts per source and the `source:` term go by. Rows only
//! know masked keys, so the table is keyed by the mask.

use std::collections::HashMap;
use std::sync::Arc;

use super::mask_secret;

/// Masked write key → label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLabels {
    by_key: HashMap<String, Arc<str>>,
}

impl SourceLabels {
    /// From `(write key, label)` pairs; a key already masked (`abcd…wxyz`) is taken as is.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> SourceLabels {
        let by_key = pairs
            .into_iter()
            .map(|(key, label)| {
                let masked = if key.contains('…') {
                    key.to_string()
                } else {
                    mask_secret(key)
                };
                (masked, Arc::from(label))
            })
            .collect();
        SourceLabels { by_key }
    }

    /// The label of the source with this masked key, if one is configured.
    pub fn label(&self, masked_key: Option<&str>) -> Option<Arc<str>> {
        self.by_key.get(masked_key?).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_found_by_the_masked_key() {
        let labels = SourceLabels::new([("wk_live_web_0123456789", "web"), ("ios0…9999", "ios")]);
        let web = mask_secret("wk_live_web_0123456789");
        assert_eq!(labels.label(Some(&web)).as_deref(), Some("web"));
        assert_eq!(labels.label(Some("ios0…9999")).as_deref(), Some("ios"));
        assert_eq!(labels.label(Some("abcd…wxyz")), None);
        assert_eq!(labels.label(None), None);
    }
}
