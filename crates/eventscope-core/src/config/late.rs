//! The `[late]` table of `eventscope.toml`, read into a [`LateRule`]: how late on arrival a
//! message counts as late (`after = "1h"`) and the `spec/late` finding's severity
//! (`severity = "info"`, or `"off"`). What the table leaves out keeps its default.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::inspect::late::LateRule;
use crate::model::parse_duration_ms;

/// The table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LateTable {
    after: Option<String>,
    severity: Option<String>,
}

/// `Config::late`: the `[late]` table over the defaults.
pub(crate) fn rule<'de, D: Deserializer<'de>>(d: D) -> Result<LateRule, D::Error> {
    let table = LateTable::deserialize(d)?;
    let mut rule = LateRule::default();
    if let Some(after) = table.after {
        rule.after_ms = parse_duration_ms(&after)
            .filter(|ms| *ms > 0)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "[late] after: \"{after}\": write a duration such as \"5m\", \"1h\" or \"2d\" \
                 (units ms, s, m, h, d)"
                ))
            })?;
    }
    if let Some(severity) = table.severity {
        rule.severity = super::severity_setting("[late] severity", &toml::Value::String(severity))
            .map_err(D::Error::custom)?;
    }
    Ok(rule)
}
