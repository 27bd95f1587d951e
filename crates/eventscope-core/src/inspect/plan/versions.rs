//! Choosing among a rule's versions by `context.protocols.event_version`, and the info finding
//! when the oldest is used instead.

use super::{FastMap, Rule, plan};
use crate::inspect::{Finding, Severity, describe};
use crate::model::json::{Json, Object};

/// The versions of one rule, oldest first; never empty once loaded.
#[derive(Debug, Default)]
pub(super) struct Versions(pub(super) Vec<Rule>);

/// `context.protocols.event_version` as sent.
#[derive(Clone, Copy)]
pub(super) enum Asked<'a> {
    Missing,
    Version(i64),
    Invalid(&'a Json<'a>),
}

pub(super) fn asked_version<'a>(m: &'a Object<'a>) -> Asked<'a> {
    let Some(value) = m
        .get("context")
        .and_then(|c| c.get("protocols"))
        .and_then(|p| p.get("event_version"))
    else {
        return Asked::Missing;
    };
    match value {
        Json::Null => Asked::Missing,
        Json::Number(n) => match n.as_i64() {
            Some(v) => Asked::Version(v),
            None => match n.as_f64() {
                #[allow(clippy::cast_possible_truncation)]
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Asked::Version(f as i64),
                _ => Asked::Invalid(value),
            },
        },
        _ => Asked::Invalid(value),
    }
}

/// Why the oldest version was used although the message asked for another.
pub(super) enum VersionNote<'a> {
    Unknown(i64),
    Invalid(&'a Json<'a>),
}

impl VersionNote<'_> {
    pub(super) fn finding(&self, rule: &Rule, versions: &Versions) -> Finding {
        let path = "context.protocols.event_version";
        let known = versions
            .0
            .iter()
            .map(|r| r.version.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            VersionNote::Unknown(v) => plan(
                "plan/unknown-version",
                path,
                Severity::Info,
                format!(
                    "event_version {v} is not in the tracking plan; checked against the oldest \
                     version, {}",
                    rule.label
                ),
            )
            .expected(format!("one of {known}"))
            .actual(format!("number {v}")),
            VersionNote::Invalid(value) => plan(
                "plan/invalid-version",
                path,
                Severity::Info,
                format!(
                    "{path} should be an integer; checked against the oldest version, {}",
                    rule.label
                ),
            )
            .expected("integer")
            .actual(describe(value)),
        }
    }
}

impl Versions {
    pub(super) fn pick<'a>(&self, asked: Asked<'a>) -> (&Rule, Option<VersionNote<'a>>) {
        let oldest = &self.0[0];
        match asked {
            Asked::Missing => (oldest, None),
            Asked::Version(v) => match self.0.iter().find(|r| r.version == v) {
                Some(rule) => (rule, None),
                None => (oldest, Some(VersionNote::Unknown(v))),
            },
            Asked::Invalid(value) => (oldest, Some(VersionNote::Invalid(value))),
        }
    }
}

/// A page or screen rule by the message's `name` (then `properties.name`), or the keyless one.
pub(super) fn named<'p>(
    map: &'p FastMap<Box<str>, Versions>,
    m: &Object<'_>,
) -> Option<&'p Versions> {
    if map.is_empty() {
        return None;
    }
    let name = m
        .get("name")
        .and_then(Json::as_str)
        .or_else(|| m.get("properties")?.get("name")?.as_str());
    name.and_then(|name| map.get(name)).or_else(|| map.get(""))
}
