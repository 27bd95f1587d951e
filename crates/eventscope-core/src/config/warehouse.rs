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

/// The table as written; each field is checked as it is read, so an error points at its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarehouseTable {
    #[serde(default, alias = "column-limit", deserialize_with = "column_limit")]
    column_limit: Option<usize>,
    #[serde(default, deserialize_with = "severity")]
    severity: Vec<(String, Option<Severity>)>,
}

/// `Config::warehouse`: the `[warehouse]` table over the defaults.
pub(crate) fn settings<'de, D: Deserializer<'de>>(d: D) -> Result<WarehouseSettings, D::Error> {
    let table = WarehouseTable::deserialize(d)?;
    let mut settings = WarehouseSettings::default();
    if let Some(limit) = table.column_limit {
        settings.column_limit = limit;
    }
    for (rule, severity) in table.severity {
        settings.set_severity(&rule, severity);
    }
    Ok(settings)
}

/// `column_limit`: a whole number from 1 to the columns the schema keeps per table.
fn column_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    match value {
        toml::Value::Integer(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_COLUMNS_PER_TABLE).contains(n)),
        _ => None,
    }
    .map(Some)
    .ok_or_else(|| {
        D::Error::custom(format!(
            "[warehouse] column_limit: {value}: use a whole number from 1 to \
             {MAX_COLUMNS_PER_TABLE} (default {DEFAULT_COLUMN_LIMIT}, Postgres's and Redshift's)"
        ))
    })
}

/// `severity`: rule (`type-conflict`, …) → `"error"`, `"warning"`, `"info"` or `"off"`.
fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Option<Severity>)>, D::Error> {
    let mut out = Vec::new();
    for (rule, value) in BTreeMap::<String, toml::Value>::deserialize(d)? {
        let key = format!("[warehouse] severity.{}", super::identity::toml_key(&rule));
        let name = rule.strip_prefix("warehouse/").unwrap_or(&rule);
        if !RULES.iter().any(|(known, _)| *known == name) {
            let names: Vec<&str> = RULES.iter().map(|(name, _)| *name).collect();
            return Err(D::Error::custom(format!(
                "{key}: not a warehouse rule; use one of {}",
                names.join(", ")
            )));
        }
        let severity = super::severity_setting(&key, &value).map_err(D::Error::custom)?;
        out.push((rule, severity));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
