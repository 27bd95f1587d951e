//! The `[warehouse]` table of `eventscope.toml`, read into [`WarehouseSettings`]: the column
//! limit (`column_limit = 1600`) and each verdict's severity
//! (`severity = { "type-conflict" = "error", "value-truncated" = "off" }`). What the table
//! leaves out keeps its default; every bad entry is a one-line error naming the key and what
//! is allowed.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::inspect::Severity;
use crate::warehouse::{DEFAULT_COLUMN_LIMIT, MAX_COLUMNS_PER_TABLE, RULES, WarehouseSettings};

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseTable {
    #[serde(default, alias = "column-limit")]
    column_limit: Option<toml::Value>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Value>,
}

/// `Config::warehouse`: the `[warehouse]` table over the defaults.
pub(crate) fn settings<'de, D: Deserializer<'de>>(d: D) -> Result<WarehouseSettings, D::Error> {
    let table = WarehouseTable::deserialize(d)?;
    let mut settings = WarehouseSettings::default();
    if let Some(value) = table.column_limit {
        settings.column_limit = match value {
            toml::Value::Integer(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_COLUMNS_PER_TABLE).contains(n)),
            _ => None,
        }
        .ok_or_else(|| {
            D::Error::custom(format!(
                "[warehouse] column_limit: {value}: use a whole number from 1 to \
                 {MAX_COLUMNS_PER_TABLE} (default {DEFAULT_COLUMN_LIMIT}, Postgres's and \
                 Redshift's)"
            ))
        })?;
    }
    for (rule, value) in table.severity {
        let key = format!("[warehouse] severity.{rule:?}");
        let severity = match value.as_str() {
            Some("error") => Some(Severity::Error),
            Some("warning") => Some(Severity::Warning),
            Some("info") => Some(Severity::Info),
            Some("off") => None,
            _ => {
                return Err(D::Error::custom(format!(
                    "{key}: {value}: use \"error\", \"warning\", \"info\" or \"off\""
                )));
            }
        };
        if !settings.set_severity(&rule, severity) {
            let names: Vec<&str> = RULES.iter().map(|(name, _)| *name).collect();
            return Err(D::Error::custom(format!(
                "{key}: not a warehouse rule; use one of {}",
                names.join(", ")
            )));
        }
    }
    Ok(settings)
}
