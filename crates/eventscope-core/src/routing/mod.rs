//! Routing: would Segment deliver this message to this destination, and if not, why not.
//!
//! Pure and terminal-free. For one message (the borrowed [`Json`] tree the verdicts use) and one
//! [`Destination`], [`route`] answers a [`Verdict`], checking in Segment's order:
//! 1. consent (`consent.rs`): `context.consent.categoryPreferences` against the categories the
//!    destination is mapped to (every one must be `true`; an empty `categoryPreferences` denies
//!    every mapped destination; unmapped destinations always pass);
//! 2. the integrations object (`integrations.rs`): the destination's catalog name, then `All`;
//! 3. the destination filters in order (`filters.rs`, `fields.rs`): drop, sample (a
//!    deterministic FNV-1a hash of the messageId, so a run is repeatable), allow and block
//!    fields; a condition that cannot be evaluated drops the event, as Segment does;
//! 4. whether the destination's mapper can carry the call type.
//!
//! A routed message lists the fields its filters would strip (as field paths, [`strip`] removes
//! them from a message on its way out); nothing is copied or changed here.
//! Conditions are a trait ([`Condition`]) so FQL plugs in without this module knowing it;
//! [`Destination::from_config`] builds a destination from its `[[destination]]` table.

mod consent;
mod fields;
mod filters;
mod integrations;
mod outcomes;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::forward::destination::DestinationConfig;
use crate::model::json::{Json, Object};

pub use fields::{FieldPath, strip};
pub use filters::{Always, Condition, Filter, FilterAction, fql, sample_bucket};
pub use outcomes::{MAX_OUTCOMES, Named, Outcome, Outcomes, route_each};

/// What a destination is, as routing needs it.
pub struct Destination {
    /// The catalog name the integrations object uses ("Amplitude", "Google Analytics 4").
    pub segment_name: String,
    /// The consent categories the destination is mapped to; empty: unmapped.
    pub consent: Vec<String>,
    /// Destination filters, applied in order.
    pub filters: Vec<Filter>,
    /// Whether the destination's mapper can carry a call type (`"track"`, `"alias"`, …).
    pub supports: fn(&str) -> bool,
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Destination")
            .field("segment_name", &self.segment_name)
            .field("consent", &self.consent)
            .field("filters", &self.filters.len())
            .finish()
    }
}

/// Makes a filter's condition from its text ([`fql`] in practice); `Err` says why not.
pub type Compile = dyn Fn(&str) -> Result<Box<dyn Condition>, String>;

impl Destination {
    /// Routing's view of a `[[destination]]` table: its catalog name (the kind's default; a
    /// `file` destination, which Segment has none for, goes by its own name), consent
    /// categories, filters (each `if` made a condition by `condition`; none: every message) and
    /// the calls its kind carries. `Err` names the filter whose condition does not compile
    /// (`filter 2: column 3: …`; the caller names the destination).
    pub fn from_config(
        config: &DestinationConfig,
        condition: &Compile,
    ) -> Result<Destination, String> {
        let filters = config
            .filter
            .iter()
            .enumerate()
            .map(|(index, filter)| {
                let (condition, text) = match &filter.condition {
                    Some(text) => (
                        condition(text).map_err(|e| format!("filter {}: {e}", index + 1))?,
                        text.clone(),
                    ),
                    None => (Box::new(Always) as Box<dyn Condition>, "all".to_string()),
                };
                Ok(Filter {
                    condition,
                    text,
                    action: filter.action.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Destination {
            segment_name: config.segment_name().unwrap_or(&config.name).to_string(),
            consent: config.consent.clone(),
            filters,
            supports: config.kind.carries(),
        })
    }
}

/// Every call type: for destinations that carry anything (webhooks, Segment itself).
pub fn supports_all(_call: &str) -> bool {
    true
}

/// Why a message does not reach a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    Consent,
    Integrations,
    Filter,
    Unsupported,
}

impl Reason {
    /// The lowercase word used in filter terms and summaries (`consent`, `integrations`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Consent => "consent",
            Reason::Integrations => "integrations",
            Reason::Filter => "filter",
            Reason::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Delivered (with the fields filters would strip) or dropped (with the reason and the rule, a
/// sentence such as `integrations.Mixpanel = false` or `filter 2 drops: event = 'Test'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Routed { stripped: Vec<String> },
    Dropped { reason: Reason, rule: String },
}

impl Verdict {
    pub fn is_routed(&self) -> bool {
        matches!(self, Verdict::Routed { .. })
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Routed { .. } => None,
            Verdict::Dropped { reason, .. } => Some(*reason),
        }
    }
}

/// The parts of a message routing looks at, found once and shared by every destination.
pub struct Facts<'m, 'a> {
    message: &'m Json<'a>,
    call: &'m str,
    message_id: &'m str,
    preferences: consent::Preferences<'m, 'a>,
    integrations: Option<&'m Object<'a>>,
}

impl<'m, 'a> Facts<'m, 'a> {
    pub fn of(message: &'m Json<'a>) -> Self {
        Facts {
            message,
            call: message.get("type").and_then(Json::as_str).unwrap_or(""),
            message_id: message
                .get("messageId")
                .and_then(Json::as_str)
                .unwrap_or(""),
            preferences: consent::Preferences::of(message),
            integrations: message.get("integrations").and_then(Json::as_object),
        }
    }
}

/// The verdict for one message and one destination.
pub fn route(message: &Json<'_>, destination: &Destination) -> Verdict {
    route_facts(&Facts::of(message), destination)
}

/// The verdicts for one message and each destination, in order.
pub fn route_all(message: &Json<'_>, destinations: &[Destination]) -> Vec<Verdict> {
    let facts = Facts::of(message);
    destinations
        .iter()
        .map(|destination| route_facts(&facts, destination))
        .collect()
}

/// The verdict from facts already found (for callers routing one message many times).
pub fn route_facts(facts: &Facts<'_, '_>, destination: &Destination) -> Verdict {
    if let Err(rule) = facts.preferences.check(&destination.consent) {
        return Verdict::Dropped {
            reason: Reason::Consent,
            rule,
        };
    }
    if let Err(rule) =
        integrations::check(facts.integrations, &destination.segment_name, facts.call)
    {
        return Verdict::Dropped {
            reason: Reason::Integrations,
            rule,
        };
    }
    let stripped = match filters::apply(&destination.filters, facts.message, facts.message_id) {
        Ok(stripped) => stripped,
        Err(rule) => {
            return Verdict::Dropped {
                reason: Reason::Filter,
                rule,
            };
        }
    };
    if !(destination.supports)(facts.call) {
        let call = if facts.call.is_empty() {
            "untyped"
        } else {
            facts.call
        };
        return Verdict::Dropped {
            reason: Reason::Unsupported,
            rule: format!("{} cannot carry {call} calls", destination.segment_name),
        };
    }
    Verdict::Routed { stripped }
}
