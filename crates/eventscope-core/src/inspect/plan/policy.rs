//! What to do with unplanned things: an event, property or trait no rule lists is an error, a
//! warning (the default, as Protocols reports them without blocking) or allowed (no finding),
//! like Protocols' "block unplanned events/properties/traits" settings.

use std::str::FromStr;

use serde::Deserialize;

use crate::inspect::Severity;

/// The verdict on one kind of unplanned thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unplanned {
    Error,
    #[default]
    Warning,
    Allow,
}

impl Unplanned {
    /// The finding's severity; `None` when unplanned things are allowed (no finding).
    pub fn severity(self) -> Option<Severity> {
        match self {
            Unplanned::Error => Some(Severity::Error),
            Unplanned::Warning => Some(Severity::Warning),
            Unplanned::Allow => None,
        }
    }
}

impl FromStr for Unplanned {
    type Err = String;

    fn from_str(s: &str) -> Result<Unplanned, String> {
        match s {
            "error" => Ok(Unplanned::Error),
            "warning" => Ok(Unplanned::Warning),
            "allow" => Ok(Unplanned::Allow),
            _ => Err(format!("{s:?}: expected error, warning or allow")),
        }
    }
}

/// One verdict per kind of unplanned thing. A property that the schema itself forbids
/// (`additionalProperties: false`) stays an error whatever `property` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnplannedPolicy {
    pub event: Unplanned,
    pub property: Unplanned,
    pub traits: Unplanned,
}
