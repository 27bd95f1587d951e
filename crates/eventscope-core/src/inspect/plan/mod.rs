//! Tracking plans: Segment Protocols' JSON Schema rules, compiled once, checked per message.
//!
//! Two file shapes load:
//! - the **Public API** shape, `{"name"?, "rules": [{"type", "key", "version", "jsonSchema"}]}`,
//!   a bare array of such rules, or an API response `{"data": {"rules": […]}}`;
//! - the **legacy Config API** shape used by Typewriter v7,
//!   `{"rules": {"events": [{"name", "version", "rules"}], "global", "identify_traits",
//!   "group_traits"}}`. `global` and event `rules` are schemas of the whole message;
//!   `identify_traits` and `group_traits` are schemas of the `traits` object (an absent `traits`
//!   counts as `{}`). Each of the three may also be a list of `{"name"?, "version"?, "rules"}`.
//!
//! Every schema is JSON Schema draft-07 (whatever its `$schema` says), formats asserted.
//!
//! **Choosing rules.** The COMMON (`global`) rule applies to every message. Then one rule by
//! type: TRACK by `event` (exact match), PAGE and SCREEN by `name` (a rule without a key covers
//! the names that have none), IDENTIFY and GROUP (their key is ignored). Among the versions of a
//! rule, `context.protocols.event_version` picks one; when it is missing, invalid or not in the
//! plan the oldest version is used, as Segment does (the last two with an info finding).
//!
//! **Findings.** Schema violations are errors, one rule code per keyword (`plan/required`,
//! `plan/type`, `plan/enum`, `plan/pattern`, `plan/format`, `plan/minimum`,
//! `plan/max-length`…). Unplanned things are warnings by default (errors, or no finding, as the
//! [`UnplannedPolicy`] says): `plan/unplanned-event` (a track whose event has no rule, when the
//! plan has track rules, with the nearest planned name as "did you mean"),
//! `plan/unplanned-property` and `plan/unplanned-trait`. A property that `additionalProperties: false` forbids is reported
//! once, as unplanned, at the property's own path, and as an error since the schema rejects it.
//!
//! **What "unplanned" means.** Like Protocols, only *event properties* (under `properties`) of
//! track, page and screen calls and *traits* of identify and group calls can be unplanned, and
//! only when the message matched its own rule (an unplanned event is reported once, as such).
//! A name is planned when the matched rule or the common rule lists it under that object's
//! `properties` keyword — nested objects and array `items` included. Objects whose schema lists
//! no `properties`, or has `patternProperties` or a permissive `additionalProperties`, accept
//! any member. Context fields, top-level fields and everything a schema does not list through
//! literal `properties`/`items` (e.g. behind `$ref` or `allOf`) are never "unplanned".
//!
//! The core compiles a plan from text ([`TrackingPlan::parse`]); reading the file is the
//! caller's job (the CLI's `cli::plan::load`). `load` reads both shapes and compiles,
//! `versions` picks a rule's version, `report` turns schema errors into findings,
//! `unplanned` walks a message for names no rule lists, `policy` says what those are and
//! `near` finds the planned name a misspelled one meant.

mod load;
mod near;
mod policy;
mod report;
mod unplanned;
mod versions;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use jsonschema::Validator;
use serde_json::Value;

use super::schema_json::Borrowed;
use super::{Finding, Kind, Severity, describe};
use crate::model::json::{Json, Object};

pub use policy::{Unplanned, UnplannedPolicy};

use near::nearest;
use report::validate;
use unplanned::{Shape, Walk};

use crate::model::path::PathNode;
use versions::{Versions, asked_version, named};

/// Why a tracking plan could not be loaded. One line, naming the file and where in it.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{file}:{line}:{column}: the tracking plan is not valid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: not a tracking plan: {reason}")]
    Shape { file: String, reason: String },
    /// A rule that cannot be used: unknown type, missing key, bad version, duplicate.
    #[error("{file}: {rule}: {reason}")]
    Rule {
        file: String,
        rule: String,
        reason: String,
    },
    /// A rule whose `jsonSchema` is not a valid draft-07 schema; `schema_path` is a JSON
    /// Pointer into the plan file.
    #[error("{file}: {rule}: invalid JSON Schema at {schema_path}: {reason}")]
    Schema {
        file: String,
        rule: String,
        schema_path: String,
        reason: String,
    },
}

/// A loaded tracking plan: compiled rules indexed by type and key.
#[derive(Debug)]
pub struct TrackingPlan {
    name: Option<String>,
    source: String,
    rule_count: usize,
    common: Option<Versions>,
    track: FastMap<Box<str>, Versions>,
    /// Keyed by page name; `""` for a rule without a key.
    page: FastMap<Box<str>, Versions>,
    screen: FastMap<Box<str>, Versions>,
    identify: Option<Versions>,
    group: Option<Versions>,
    /// What unplanned events, properties and traits are (warnings unless configured).
    unplanned: UnplannedPolicy,
}

impl TrackingPlan {
    /// The plan's name, when the file gives one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the plan came from, as given to [`TrackingPlan::parse`].
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many rules (counting each version) the plan has.
    pub fn len(&self) -> usize {
        self.rule_count
    }

    pub fn is_empty(&self) -> bool {
        self.rule_count == 0
    }

    /// Sets what unplanned events, properties and traits are (`[plan]` in the config).
    pub fn set_unplanned(&mut self, policy: UnplannedPolicy) {
        self.unplanned = policy;
    }

    pub fn unplanned(&self) -> UnplannedPolicy {
        self.unplanned
    }

    /// Appends a finding for each way `message` departs from the plan.
    pub fn check(&self, message: &Json<'_>, out: &mut Vec<Finding>) {
        let Json::Object(m) = message else { return };
        let start = out.len();
        let kind = m.get("type").and_then(Json::as_str);
        let asked = asked_version(m);
        let traits_call = matches!(kind, Some("identify" | "group"));

        let common = self.common.as_ref().map(|versions| versions.pick(asked).0);
        if let Some(rule) = common {
            validate(rule, message, m, traits_call, out);
        }

        let versions = match kind {
            Some("track") => self.track_versions(m, out),
            Some("page") => named(&self.page, m),
            Some("screen") => named(&self.screen, m),
            Some("identify") => self.identify.as_ref(),
            Some("group") => self.group.as_ref(),
            _ => None,
        };
        if let Some(versions) = versions {
            let (rule, note) = versions.pick(asked);
            if let Some(note) = note {
                out.push(note.finding(rule, versions));
            }
            validate(rule, message, m, traits_call, out);
            let (object, mine, theirs) = if traits_call {
                (
                    "traits",
                    &rule.traits,
                    common.and_then(|c| c.traits.as_ref()),
                )
            } else {
                (
                    "properties",
                    &rule.properties,
                    common.and_then(|c| c.properties.as_ref()),
                )
            };
            let policy = if traits_call {
                self.unplanned.traits
            } else {
                self.unplanned.property
            };
            if let Some(value) = m.get(object)
                && (mine.is_some() || theirs.is_some())
                && let Some(severity) = policy.severity()
            {
                let mut walk = Walk {
                    label: &rule.label,
                    severity,
                    traits: traits_call,
                    out,
                };
                walk.object(
                    mine.as_ref(),
                    theirs,
                    value,
                    &PathNode::Key(&PathNode::Root, object),
                );
            }
        }

        // The common rule and the matched rule may say the same thing twice.
        if out.len() - start > 1 {
            let mut seen = std::collections::HashSet::new();
            let mut index = start;
            out.retain(|f| {
                let keep = index < start || seen.insert((f.rule.clone(), f.path.clone()));
                index += 1;
                keep
            });
        }
    }

    /// The track rule for the message's event, or an unplanned-event finding.
    fn track_versions(&self, m: &Object<'_>, out: &mut Vec<Finding>) -> Option<&Versions> {
        let event = m.get("event")?;
        let name = event.as_str().filter(|name| !name.is_empty())?;
        if let Some(versions) = self.track.get(name) {
            return Some(versions);
        }
        if let Some(severity) = self.unplanned.event.severity()
            && !self.track.is_empty()
        {
            let near = nearest(name, self.track.keys().map(AsRef::as_ref));
            let mut text = format!(
                "{} is not in the tracking plan",
                Value::String(name.to_string())
            );
            if let Some(near) = near {
                let _ = write!(text, "; did you mean {}?", Value::String(near.to_string()));
            }
            let expected = match near {
                Some(near) => Value::String(near.to_string()).to_string(),
                None => "an event in the plan".to_string(),
            };
            out.push(
                plan("plan/unplanned-event", "event", severity, text)
                    .expected(expected)
                    .actual(describe(event)),
            );
        }
        None
    }
}

/// What a rule's schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The whole message (Public API rules, legacy events and `global`).
    Message,
    /// The `traits` object (legacy `identify_traits` / `group_traits`).
    Traits,
}

/// A compiled rule.
#[derive(Debug)]
struct Rule {
    version: i64,
    label: String,
    scope: Scope,
    /// Validates the borrowed message tree the other verdicts read, without a copy.
    validator: Validator<Borrowed>,
    /// The schema as written, to look up what an `additionalProperties` error's object lists.
    schema: Value,
    /// Declared event properties (the schema at `properties.properties`).
    properties: Option<Shape>,
    /// Declared traits (`properties.traits`, or the whole schema for a traits rule).
    traits: Option<Shape>,
}

/// A map keyed by names only the plan chooses (event and property names), so a fast hasher
/// without DoS resistance is safe: lookups by names a peer sends cannot degrade it.
type FastMap<K, V> = foldhash::HashMap<K, V>;

fn plan(
    rule: &'static str,
    path: impl Into<String>,
    severity: Severity,
    message: String,
) -> Finding {
    Finding::new(Kind::Plan, rule, path, severity, message)
}
