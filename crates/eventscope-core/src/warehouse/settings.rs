//! What the `[warehouse]` table of `eventscope.toml` sets: the column limit a table may reach
//! and each `warehouse/…` verdict's severity (or `off`). Read in `config`; the defaults
//! without it.

use crate::inspect::Severity;

/// Postgres's (and Redshift's) limit on columns per table.
pub const DEFAULT_COLUMN_LIMIT: usize = 1_600;

/// Each warehouse rule (without its `warehouse/` prefix) and its default severity.
pub const RULES: &[(&str, Severity)] = &[
    ("type-conflict", Severity::Warning),
    ("reserved-column", Severity::Warning),
    ("column-collision", Severity::Warning),
    ("value-truncated", Severity::Info),
    ("unbounded-tables", Severity::Warning),
    ("column-limit", Severity::Error),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseSettings {
    /// A table past this many columns is `warehouse/column-limit`.
    pub column_limit: usize,
    /// Per rule of [`RULES`], in its order: its severity, `None` when turned off.
    severities: Vec<Option<Severity>>,
}

impl Default for WarehouseSettings {
    fn default() -> Self {
        WarehouseSettings {
            column_limit: DEFAULT_COLUMN_LIMIT,
            severities: RULES.iter().map(|(_, s)| Some(*s)).collect(),
        }
    }
}

impl WarehouseSettings {
    /// `rule`'s severity (`type-conflict`, with or without `warehouse/`); `None` when off or
    /// not a warehouse rule.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        let rule = rule.strip_prefix("warehouse/").unwrap_or(rule);
        let index = RULES.iter().position(|(name, _)| *name == rule)?;
        self.severities.get(index).copied().flatten()
    }

    /// Sets `rule`'s severity (`None`: off); false when `rule` is not one of [`RULES`].
    pub fn set_severity(&mut self, rule: &str, severity: Option<Severity>) -> bool {
        let rule = rule.strip_prefix("warehouse/").unwrap_or(rule);
        match RULES.iter().position(|(name, _)| *name == rule) {
            Some(index) => {
                self.severities[index] = severity;
                true
            }
            None => false,
        }
    }
}
