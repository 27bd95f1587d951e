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
//! `plan/max-length`…). Unplanned things are warnings: `plan/unplanned-event` (a track whose
//! event has no rule, when the plan has track rules), `plan/unplanned-property` and
//! `plan/unplanned-trait`. A property that `additionalProperties: false` forbids is reported
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

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError, Validator};
use serde_json::{Map, Value};

use super::schema_json::Borrowed;
use crate::model::json::{Json, Object};

use super::{Finding, Kind, Severity, describe, describe_value};
use crate::model::pretty::{index_path, key_path};

/// Why a tracking plan could not be loaded. One line, naming the file and where in it.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{file}: cannot read the tracking plan: {error}")]
    Read {
        file: String,
        #[source]
        error: std::io::Error,
    },
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
    /// Track event names folded (lowercase, letters and digits only) for "did you mean".
    track_folded: FastMap<String, Box<str>>,
}

impl TrackingPlan {
    /// Reads and compiles the plan at `path`.
    pub fn load(path: &Path) -> Result<TrackingPlan, PlanError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| PlanError::Read {
            file: file.clone(),
            error,
        })?;
        TrackingPlan::parse(&text, &file)
    }

    /// Compiles a plan from its JSON text; `source` names it in errors (a file name).
    pub fn parse(text: &str, source: &str) -> Result<TrackingPlan, PlanError> {
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            let message = match full.rsplit_once(" at line ") {
                Some((message, _)) => message.to_string(),
                None => full,
            };
            PlanError::Json {
                file: source.to_string(),
                line: e.line(),
                column: e.column(),
                message,
            }
        })?;
        let ctx = Ctx { file: source };
        let (name, raw) = read_shape(&doc, &ctx)?;
        let mut plan = TrackingPlan {
            name,
            source: source.to_string(),
            rule_count: raw.len(),
            common: None,
            track: FastMap::default(),
            page: FastMap::default(),
            screen: FastMap::default(),
            identify: None,
            group: None,
            track_folded: FastMap::default(),
        };
        let mut seen: HashMap<(RuleType, String, i64), String> = HashMap::new();
        for raw in raw {
            let id = (raw.kind, raw.key.clone().unwrap_or_default(), raw.version);
            if let Some(first) = seen.get(&id) {
                return Err(ctx.rule_error(
                    &raw.describe(),
                    format!("duplicate rule: {first} has the same type, key and version"),
                ));
            }
            seen.insert(id, raw.at.clone());
            let rule = compile(&raw, &ctx)?;
            let key: Box<str> = raw.key.unwrap_or_default().into();
            let slot = match raw.kind {
                RuleType::Common => plan.common.get_or_insert_with(Versions::default),
                RuleType::Identify => plan.identify.get_or_insert_with(Versions::default),
                RuleType::Group => plan.group.get_or_insert_with(Versions::default),
                RuleType::Track => {
                    plan.track_folded.insert(fold(&key), key.clone());
                    plan.track.entry(key).or_default()
                }
                RuleType::Page => plan.page.entry(key).or_default(),
                RuleType::Screen => plan.screen.entry(key).or_default(),
            };
            slot.0.push(rule);
        }
        for versions in plan.all_versions_mut() {
            versions.0.sort_by_key(|rule| rule.version);
        }
        Ok(plan)
    }

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

    fn all_versions_mut(&mut self) -> impl Iterator<Item = &mut Versions> {
        self.common
            .iter_mut()
            .chain(self.identify.iter_mut())
            .chain(self.group.iter_mut())
            .chain(self.track.values_mut())
            .chain(self.page.values_mut())
            .chain(self.screen.values_mut())
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
            if let Some(value) = m.get(object)
                && (mine.is_some() || theirs.is_some())
            {
                let mut walk = Walk {
                    label: &rule.label,
                    traits: traits_call,
                    out,
                };
                walk.object(mine.as_ref(), theirs, value, &Seg::Root(object));
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
        if !self.track.is_empty() {
            let near = self.track_folded.get(&fold(name));
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
                plan("plan/unplanned-event", "event", Severity::Warning, text)
                    .expected(expected)
                    .actual(describe(event)),
            );
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Rules

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RuleType {
    Track,
    Identify,
    Group,
    Page,
    Screen,
    Common,
}

impl RuleType {
    fn parse(s: &str) -> Option<RuleType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "TRACK" => RuleType::Track,
            "IDENTIFY" => RuleType::Identify,
            "GROUP" => RuleType::Group,
            "PAGE" => RuleType::Page,
            "SCREEN" => RuleType::Screen,
            "COMMON" => RuleType::Common,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            RuleType::Track => "TRACK",
            RuleType::Identify => "IDENTIFY",
            RuleType::Group => "GROUP",
            RuleType::Page => "PAGE",
            RuleType::Screen => "SCREEN",
            RuleType::Common => "COMMON",
        }
    }

    fn keyed(self) -> bool {
        matches!(self, RuleType::Track | RuleType::Page | RuleType::Screen)
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

/// A rule as read from the file, before compiling.
struct RawRule<'a> {
    /// Where it is, for errors: `rules[15]`, `rules.global`.
    at: String,
    /// JSON Pointer of its schema in the file: `/rules/15/jsonSchema`.
    pointer: String,
    kind: RuleType,
    key: Option<String>,
    version: i64,
    scope: Scope,
    schema: &'a Value,
}

impl RawRule<'_> {
    /// `rules[15] (TRACK "Order Completed" v2)`.
    fn describe(&self) -> String {
        let mut text = format!("{} ({}", self.at, self.kind.as_str());
        if self.scope == Scope::Traits {
            text.push_str(" traits");
        }
        if let Some(key) = self.key.as_deref().filter(|k| !k.is_empty()) {
            let _ = write!(text, " {}", Value::String(key.to_string()));
        }
        let _ = write!(text, " v{})", self.version);
        text
    }

    /// How findings name the rule: `Order Completed v2`, `the identify rule v1`.
    fn label(&self) -> String {
        let v = self.version;
        let key = self.key.as_deref().filter(|k| !k.is_empty());
        match (self.kind, key) {
            (RuleType::Track, Some(key)) => format!("{key} v{v}"),
            (RuleType::Page, Some(key)) => format!("page {key} v{v}"),
            (RuleType::Screen, Some(key)) => format!("screen {key} v{v}"),
            (RuleType::Page, None) => format!("the page rule v{v}"),
            (RuleType::Screen, None) => format!("the screen rule v{v}"),
            (RuleType::Identify, _) => format!("the identify rule v{v}"),
            (RuleType::Group, _) => format!("the group rule v{v}"),
            (RuleType::Common, _) | (RuleType::Track, None) => format!("the common rule v{v}"),
        }
    }
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

/// The versions of one rule, oldest first; never empty once loaded.
#[derive(Debug, Default)]
struct Versions(Vec<Rule>);

/// `context.protocols.event_version` as sent.
#[derive(Clone, Copy)]
enum Asked<'a> {
    Missing,
    Version(i64),
    Invalid(&'a Json<'a>),
}

fn asked_version<'a>(m: &'a Object<'a>) -> Asked<'a> {
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
enum VersionNote<'a> {
    Unknown(i64),
    Invalid(&'a Json<'a>),
}

impl VersionNote<'_> {
    fn finding(&self, rule: &Rule, versions: &Versions) -> Finding {
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
    fn pick<'a>(&self, asked: Asked<'a>) -> (&Rule, Option<VersionNote<'a>>) {
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
fn named<'p>(map: &'p FastMap<Box<str>, Versions>, m: &Object<'_>) -> Option<&'p Versions> {
    if map.is_empty() {
        return None;
    }
    let name = m
        .get("name")
        .and_then(Json::as_str)
        .or_else(|| m.get("properties")?.get("name")?.as_str());
    name.and_then(|name| map.get(name)).or_else(|| map.get(""))
}

// ---------------------------------------------------------------------------------------------
// Loading

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn shape_error(&self, reason: impl Into<String>) -> PlanError {
        PlanError::Shape {
            file: self.file.to_string(),
            reason: reason.into(),
        }
    }

    fn rule_error(&self, rule: &str, reason: impl Into<String>) -> PlanError {
        PlanError::Rule {
            file: self.file.to_string(),
            rule: rule.to_string(),
            reason: reason.into(),
        }
    }
}

const SHAPES: &str = "expected {\"rules\": [...]} (Segment Public API), an array of rules, or \
                      {\"rules\": {\"events\": [...]}} (legacy Config API)";

/// The plan's name and its rules, from either shape.
fn read_shape<'a>(
    doc: &'a Value,
    ctx: &Ctx<'_>,
) -> Result<(Option<String>, Vec<RawRule<'a>>), PlanError> {
    match doc {
        Value::Array(rules) => Ok((None, public_rules(rules, "", ctx)?)),
        Value::Object(top) => {
            // A saved API response: {"data": {"rules": [...]}}.
            if !top.contains_key("rules")
                && let Some(Value::Object(data)) = top.get("data")
                && let Some(Value::Array(rules)) = data.get("rules")
            {
                return Ok((None, public_rules(rules, "/data/rules", ctx)?));
            }
            let name = ["display_name", "name"]
                .iter()
                .find_map(|k| top.get(*k).and_then(Value::as_str))
                .map(str::to_string);
            match top.get("rules") {
                Some(Value::Array(rules)) => Ok((name, public_rules(rules, "/rules", ctx)?)),
                Some(Value::Object(rules)) => Ok((name, legacy_rules(rules, ctx)?)),
                Some(other) => {
                    Err(ctx
                        .shape_error(format!("\"rules\" is {}; {SHAPES}", describe_value(other))))
                }
                None => Err(ctx.shape_error(format!("no \"rules\"; {SHAPES}"))),
            }
        }
        other => Err(ctx.shape_error(format!(
            "the file holds {}; {SHAPES}",
            describe_value(other)
        ))),
    }
}

/// `[i]` for a bare array, `rules[i]` otherwise.
fn at_of(base: &str, i: usize) -> String {
    let name = base.rsplit('/').next().unwrap_or_default();
    format!("{name}[{i}]")
}

fn public_rules<'a>(
    rules: &'a [Value],
    base: &str,
    ctx: &Ctx<'_>,
) -> Result<Vec<RawRule<'a>>, PlanError> {
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let at = at_of(base, i);
        let Value::Object(r) = rule else {
            return Err(ctx.rule_error(
                &at,
                format!("a rule is an object, not {}", describe_value(rule)),
            ));
        };
        let kind = match r.get("type") {
            Some(Value::String(t)) => RuleType::parse(t).ok_or_else(|| {
                ctx.rule_error(
                    &at,
                    format!(
                        "unknown rule type {}; expected TRACK, IDENTIFY, GROUP, PAGE, SCREEN or \
                         COMMON",
                        Value::String(t.clone())
                    ),
                )
            })?,
            Some(other) => {
                return Err(ctx.rule_error(
                    &at,
                    format!("\"type\" should be a string, not {}", describe_value(other)),
                ));
            }
            None => return Err(ctx.rule_error(&at, "no \"type\"")),
        };
        let key = read_key(kind, r.get("key"), "key", &at, ctx)?;
        let version = read_version(r.get("version"), &at, ctx)?;
        let schema = match r.get("jsonSchema") {
            Some(s @ (Value::Object(_) | Value::Bool(_))) => s,
            Some(other) => {
                return Err(ctx.rule_error(
                    &at,
                    format!(
                        "\"jsonSchema\" should be an object, not {}",
                        describe_value(other)
                    ),
                ));
            }
            None => return Err(ctx.rule_error(&at, "no \"jsonSchema\"")),
        };
        out.push(RawRule {
            pointer: format!("{base}/{i}/jsonSchema"),
            at,
            kind,
            key,
            version,
            scope: Scope::Message,
            schema,
        });
    }
    Ok(out)
}

fn read_key(
    kind: RuleType,
    key: Option<&Value>,
    field: &str,
    at: &str,
    ctx: &Ctx<'_>,
) -> Result<Option<String>, PlanError> {
    let key = match key {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) if kind.keyed() => {
            return Err(ctx.rule_error(
                at,
                format!(
                    "\"{field}\" should be a string, not {}",
                    describe_value(other)
                ),
            ));
        }
        Some(_) => None,
    };
    if kind == RuleType::Track && key.is_none() {
        return Err(ctx.rule_error(
            at,
            format!("a TRACK rule needs its event name in \"{field}\""),
        ));
    }
    // IDENTIFY, GROUP and COMMON rules are not keyed.
    Ok(if kind.keyed() { key } else { None })
}

fn read_version(version: Option<&Value>, at: &str, ctx: &Ctx<'_>) -> Result<i64, PlanError> {
    match version {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or(1)),
        Some(other) => Err(ctx.rule_error(
            at,
            format!(
                "\"version\" should be an integer, not {}",
                describe_value(other)
            ),
        )),
    }
}

fn legacy_rules<'a>(
    rules: &'a Map<String, Value>,
    ctx: &Ctx<'_>,
) -> Result<Vec<RawRule<'a>>, PlanError> {
    let mut out = Vec::new();
    match rules.get("events") {
        None | Some(Value::Null) => {}
        Some(Value::Array(events)) => {
            for (i, event) in events.iter().enumerate() {
                let at = format!("rules.events[{i}]");
                let pointer = format!("/rules/events/{i}");
                out.push(legacy_entry(
                    event,
                    RuleType::Track,
                    Scope::Message,
                    at,
                    pointer,
                    ctx,
                )?);
            }
        }
        Some(other) => {
            return Err(ctx.shape_error(format!(
                "\"rules.events\" should be an array, not {}",
                describe_value(other)
            )));
        }
    }
    for (field, kind, scope) in [
        ("global", RuleType::Common, Scope::Message),
        ("identify_traits", RuleType::Identify, Scope::Traits),
        ("group_traits", RuleType::Group, Scope::Traits),
    ] {
        let at = format!("rules.{field}");
        let pointer = format!("/rules/{field}");
        match rules.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) if o.is_empty() => {}
            Some(Value::Array(entries)) => {
                for (i, entry) in entries.iter().enumerate() {
                    let (at, pointer) = (format!("{at}[{i}]"), format!("{pointer}/{i}"));
                    out.push(legacy_entry(entry, kind, scope, at, pointer, ctx)?);
                }
            }
            Some(entry @ Value::Object(o)) if is_legacy_entry(o) => {
                out.push(legacy_entry(entry, kind, scope, at, pointer, ctx)?);
            }
            Some(schema @ (Value::Object(_) | Value::Bool(_))) => out.push(RawRule {
                at,
                pointer,
                kind,
                key: None,
                version: 1,
                scope,
                schema,
            }),
            Some(other) => {
                return Err(ctx.rule_error(
                    &at,
                    format!(
                        "should be a JSON Schema object, not {}",
                        describe_value(other)
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// `{"name"?, "version"?, "rules": {schema}}` rather than a schema itself.
fn is_legacy_entry(o: &Map<String, Value>) -> bool {
    o.get("rules").is_some_and(Value::is_object)
        && !o.contains_key("properties")
        && !o.contains_key("type")
}

fn legacy_entry<'a>(
    entry: &'a Value,
    kind: RuleType,
    scope: Scope,
    at: String,
    pointer: String,
    ctx: &Ctx<'_>,
) -> Result<RawRule<'a>, PlanError> {
    let Value::Object(e) = entry else {
        return Err(ctx.rule_error(
            &at,
            format!("a rule is an object, not {}", describe_value(entry)),
        ));
    };
    let key = read_key(kind, e.get("name"), "name", &at, ctx)?;
    let version = read_version(e.get("version"), &at, ctx)?;
    let schema = match e.get("rules") {
        Some(s @ (Value::Object(_) | Value::Bool(_))) => s,
        Some(other) => {
            return Err(ctx.rule_error(
                &at,
                format!(
                    "\"rules\" should be a JSON Schema object, not {}",
                    describe_value(other)
                ),
            ));
        }
        None => return Err(ctx.rule_error(&at, "no \"rules\" (its JSON Schema)")),
    };
    Ok(RawRule {
        pointer: format!("{pointer}/rules"),
        at,
        kind,
        key,
        version,
        scope,
        schema,
    })
}

fn compile(raw: &RawRule<'_>, ctx: &Ctx<'_>) -> Result<Rule, PlanError> {
    let validator = jsonschema::options_for::<Borrowed>()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .build(raw.schema)
        .map_err(|e| PlanError::Schema {
            file: ctx.file.to_string(),
            rule: raw.describe(),
            schema_path: format!("{}{}", raw.pointer, e.instance_path().as_str()),
            reason: schema_problem(&e),
        })?;
    let (properties, traits) = match raw.scope {
        Scope::Message => (
            raw.schema
                .pointer("/properties/properties")
                .and_then(Shape::of),
            raw.schema.pointer("/properties/traits").and_then(Shape::of),
        ),
        Scope::Traits => (None, Shape::of(raw.schema)),
    };
    Ok(Rule {
        version: raw.version,
        label: raw.label(),
        scope: raw.scope,
        validator,
        schema: raw.schema.clone(),
        properties,
        traits,
    })
}

/// A readable reason for a schema that does not compile.
fn schema_problem(e: &ValidationError<'_>) -> String {
    let at_type = e.instance_path().as_str().ends_with("/type");
    let text = match e.kind() {
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::Enum { .. } if at_type => {
            format!(
                "{} is not a JSON Schema type (array, boolean, integer, null, number, object, \
                 string)",
                e.instance()
            )
        }
        ValidationErrorKind::Format { format } if format == "regex" => {
            format!("{} is not a valid regular expression", e.instance())
        }
        ValidationErrorKind::Referencing(jsonschema::ReferencingError::Unretrievable {
            uri,
            ..
        }) => format!(
            "cannot resolve $ref {uri}: remote and file schemas are not fetched; put it under \
             \"definitions\" and refer to it with \"#/definitions/…\""
        ),
        _ => e.to_string(),
    };
    one_line(&text)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// Validating

static EMPTY_OBJECT: Json<'static> = Json::Object(Object::EMPTY);

fn plan(
    rule: &'static str,
    path: impl Into<String>,
    severity: Severity,
    message: String,
) -> Finding {
    Finding::new(Kind::Plan, rule, path, severity, message)
}

/// Validates the message (or its traits) against one rule; findings only when it fails.
fn validate(
    rule: &Rule,
    message: &Json<'_>,
    m: &Object<'_>,
    traits_call: bool,
    out: &mut Vec<Finding>,
) {
    let (instance, root) = match rule.scope {
        Scope::Message => (message, ""),
        Scope::Traits => (m.get("traits").unwrap_or(&EMPTY_OBJECT), "traits"),
    };
    if rule.validator.is_valid(instance) {
        return;
    }
    for error in rule.validator.iter_errors(instance) {
        report(&error, rule, instance, root, traits_call, out);
    }
}

/// The detail pane's path for a JSON Pointer into `root` (whose own path is `root_path`):
/// `/properties/products/0/price` → `properties.products[0].price`.
fn pane_path(root: &Json<'_>, root_path: &str, pointer: &str) -> String {
    let mut path = root_path.to_string();
    let mut at = Some(root);
    for raw in pointer.split('/').skip(1) {
        let segment: Cow<'_, str> = if raw.contains('~') {
            Cow::Owned(raw.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(raw)
        };
        if let Some(Json::Array(items)) = at
            && let Ok(i) = segment.parse::<usize>()
        {
            path = index_path(&path, i);
            at = items.get(i);
            continue;
        }
        path = key_path(&path, &segment);
        at = at.and_then(|v| v.as_object()?.get(segment.as_ref()));
    }
    path
}

/// Whether a pane path is `traits` or inside it.
fn under_traits(path: &str) -> bool {
    path.strip_prefix("traits")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// `properties.revenue`, or "the message" for the root.
fn subject(path: &str) -> &str {
    if path.is_empty() { "the message" } else { path }
}

fn with_article(noun: &str) -> String {
    match noun.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => format!("an {noun}"),
        _ if noun == "null" => noun.to_string(),
        _ => format!("a {noun}"),
    }
}

fn type_names(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.as_str().to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Compact JSON, cut when long.
fn short_json(value: &Value) -> String {
    const MAX: usize = 100;
    let text = value.to_string();
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn rule_code(kind: &ValidationErrorKind) -> &'static str {
    use ValidationErrorKind as K;
    match kind {
        K::Required { .. } => "plan/required",
        K::Type { .. } => "plan/type",
        K::Enum { .. } => "plan/enum",
        K::Pattern { .. } | K::BacktrackLimitExceeded { .. } | K::RegexEngineFailure { .. } => {
            "plan/pattern"
        }
        K::Format { .. } => "plan/format",
        K::Constant { .. } => "plan/const",
        K::Minimum { .. } => "plan/minimum",
        K::Maximum { .. } => "plan/maximum",
        K::ExclusiveMinimum { .. } => "plan/exclusive-minimum",
        K::ExclusiveMaximum { .. } => "plan/exclusive-maximum",
        K::MultipleOf { .. } => "plan/multiple-of",
        K::MinLength { .. } => "plan/min-length",
        K::MaxLength { .. } => "plan/max-length",
        K::MinItems { .. } => "plan/min-items",
        K::MaxItems { .. } => "plan/max-items",
        K::UniqueItems => "plan/unique-items",
        K::Contains => "plan/contains",
        K::AdditionalItems { .. } => "plan/additional-items",
        K::MinProperties { .. } => "plan/min-properties",
        K::MaxProperties { .. } => "plan/max-properties",
        K::PropertyNames { .. } => "plan/property-names",
        K::AdditionalProperties { .. } | K::UnevaluatedProperties { .. } => {
            "plan/unplanned-property"
        }
        K::UnevaluatedItems { .. } => "plan/unevaluated-items",
        K::AnyOf { .. } => "plan/any-of",
        K::OneOfMultipleValid { .. } | K::OneOfNotValid { .. } => "plan/one-of",
        K::Not { .. } => "plan/not",
        K::FalseSchema => "plan/false-schema",
        K::ContentEncoding { .. } | K::FromUtf8 { .. } => "plan/content-encoding",
        K::ContentMediaType { .. } => "plan/content-media-type",
        K::Referencing(_) => "plan/ref",
        K::Custom { .. } => "plan/custom",
    }
}

/// Turns one jsonschema error into findings.
fn report(
    error: &ValidationError<'_>,
    rule: &Rule,
    instance: &Json<'_>,
    root: &str,
    traits_call: bool,
    out: &mut Vec<Finding>,
) {
    use ValidationErrorKind as K;
    let at = pane_path(instance, root, error.instance_path().as_str());
    let value = error.instance();
    let actual = describe_value(value);
    let label = &rule.label;
    let code = rule_code(error.kind());
    let (expected, text) = match error.kind() {
        K::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            let path = key_path(&at, &name);
            out.push(
                plan(
                    code,
                    path.clone(),
                    Severity::Error,
                    format!("{path} is required by {label}"),
                )
                .expected("present")
                .actual("missing"),
            );
            return;
        }
        K::AdditionalProperties { unexpected } => {
            // Where the closed object's schema is: the error's schema path minus the keyword.
            let object_schema = error
                .schema_path()
                .as_str()
                .strip_suffix("/additionalProperties")
                .and_then(|p| rule.schema.pointer(p));
            let planned: Vec<&str> = object_schema
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let is_trait = traits_call && under_traits(&at);
            for name in unexpected {
                let path = key_path(&at, name);
                let member = value.get(name.as_str()).unwrap_or(&Value::Null);
                out.push(unplanned(
                    is_trait,
                    path,
                    Severity::Error,
                    label,
                    ", which allows no others",
                    &planned,
                    name,
                    describe_value(member),
                ));
            }
            return;
        }
        K::Type { kind } => {
            let names = type_names(kind);
            let text = format!("should be {}", with_article(&names));
            (names, text)
        }
        K::Enum { options } => {
            let list = short_json(options);
            (format!("one of {list}"), format!("should be one of {list}"))
        }
        K::Constant { expected_value } => {
            let v = short_json(expected_value);
            (v.clone(), format!("should be {v}"))
        }
        K::Pattern { pattern } => (
            format!("matching {pattern}"),
            format!("should match {pattern}"),
        ),
        K::Format { format } => (
            format!("format {format}"),
            format!("should be {}", with_article(format)),
        ),
        K::Minimum { limit } => (format!(">= {limit}"), format!("should be at least {limit}")),
        K::Maximum { limit } => (format!("<= {limit}"), format!("should be at most {limit}")),
        K::ExclusiveMinimum { limit } => (
            format!("> {limit}"),
            format!("should be greater than {limit}"),
        ),
        K::ExclusiveMaximum { limit } => {
            (format!("< {limit}"), format!("should be less than {limit}"))
        }
        K::MultipleOf { multiple_of } => (
            format!("a multiple of {multiple_of}"),
            format!("should be a multiple of {multiple_of}"),
        ),
        K::MinLength { limit } => counted("at least", *limit, "character"),
        K::MaxLength { limit } => counted("at most", *limit, "character"),
        K::MinItems { limit } => counted("at least", *limit, "item"),
        K::MaxItems { limit } => counted("at most", *limit, "item"),
        K::MinProperties { limit } => counted("at least", *limit, "property"),
        K::MaxProperties { limit } => counted("at most", *limit, "property"),
        K::UniqueItems => ("unique items".into(), "should not repeat items".into()),
        K::FalseSchema => ("absent".into(), "is not allowed".into()),
        _ => {
            let keyword = error.kind().keyword();
            (
                format!("to satisfy {keyword}"),
                format!(
                    "does not satisfy {keyword}: {}",
                    one_line(&error.to_string())
                ),
            )
        }
    };
    out.push(
        plan(
            code,
            at.clone(),
            Severity::Error,
            format!("{} {text}, got {actual} ({label})", subject(&at)),
        )
        .expected(expected)
        .actual(actual),
    );
}

fn counted(bound: &str, limit: u64, unit: &str) -> (String, String) {
    let plural = match (limit, unit) {
        (1, _) => unit.to_string(),
        (_, "property") => "properties".to_string(),
        _ => format!("{unit}s"),
    };
    let text = format!("{bound} {limit} {plural}");
    (text.clone(), format!("should have {text}"))
}

/// An unplanned property or trait.
#[allow(clippy::too_many_arguments)]
fn unplanned(
    is_trait: bool,
    path: String,
    severity: Severity,
    label: &str,
    why: &str,
    planned: &[&str],
    name: &str,
    actual: String,
) -> Finding {
    let (code, noun) = if is_trait {
        ("plan/unplanned-trait", "trait")
    } else {
        ("plan/unplanned-property", "property")
    };
    let mut text = format!("{path} is not in the tracking plan for {label}{why}");
    let folded = fold(name);
    if let Some(near) = planned.iter().find(|p| fold(p) == folded) {
        let _ = write!(text, "; did you mean {near}?");
    }
    let mut names: Vec<&str> = planned.to_vec();
    names.sort_unstable();
    const SHOWN: usize = 8;
    let mut expected = format!("a planned {noun}");
    if !names.is_empty() {
        let _ = write!(expected, ": {}", names[..names.len().min(SHOWN)].join(", "));
        if names.len() > SHOWN {
            let _ = write!(expected, ", … ({} in all)", names.len());
        }
    }
    plan(code, path, severity, text)
        .expected(expected)
        .actual(actual)
}

/// Lowercase letters and digits only: `Order completed` ~ `order_completed` ~ `OrderCompleted`.
fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Unplanned properties and traits

/// What a schema declares about an object's members and an array's items, pre-collected at load
/// so a message is checked by walking it once, without validating again.
#[derive(Debug)]
struct Shape {
    members: Option<Members>,
    items: Option<Box<Shape>>,
}

#[derive(Debug)]
struct Members {
    /// The names under `properties`, with what each declares in turn (when anything).
    names: FastMap<Box<str>, Option<Box<Shape>>>,
    /// Unlisted names are planned too: `patternProperties` or a permissive
    /// `additionalProperties`.
    open: bool,
    /// `additionalProperties: false`: jsonschema reports unlisted names.
    closed: bool,
}

impl Shape {
    /// `None` when the schema declares nothing to check.
    fn of(schema: &Value) -> Option<Shape> {
        let s = schema.as_object()?;
        let additional = s.get("additionalProperties");
        let members = s
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| Members {
                names: props
                    .iter()
                    .map(|(name, sub)| (name.as_str().into(), Shape::of(sub).map(Box::new)))
                    .collect(),
                open: s.contains_key("patternProperties")
                    || additional.is_some_and(|a| a != &Value::Bool(false)),
                closed: additional == Some(&Value::Bool(false)),
            });
        let items = s
            .get("items")
            .filter(|items| items.is_object())
            .and_then(Shape::of)
            .map(Box::new);
        if members.is_none() && items.is_none() {
            return None;
        }
        Some(Shape { members, items })
    }
}

/// A path built only when a finding needs it.
enum Seg<'a> {
    Root(&'static str),
    Key(&'a Seg<'a>, &'a str),
    Index(&'a Seg<'a>, usize),
}

impl Seg<'_> {
    fn render(&self) -> String {
        match self {
            Seg::Root(path) => (*path).to_string(),
            Seg::Key(parent, key) => key_path(&parent.render(), key),
            Seg::Index(parent, i) => index_path(&parent.render(), *i),
        }
    }
}

struct Walk<'a> {
    label: &'a str,
    traits: bool,
    out: &'a mut Vec<Finding>,
}

impl Walk<'_> {
    /// Walks `value` with what the matched rule (`a`) and the common rule (`b`) declare there.
    fn object(&mut self, a: Option<&Shape>, b: Option<&Shape>, value: &Json<'_>, at: &Seg<'_>) {
        match value {
            Json::Object(object) => {
                let am = a.and_then(|s| s.members.as_ref());
                let bm = b.and_then(|s| s.members.as_ref());
                if am.is_none() && bm.is_none() {
                    return;
                }
                let report = ![am, bm].into_iter().flatten().any(|m| m.open || m.closed);
                for (name, member) in object {
                    let ca = am.and_then(|m| m.names.get(name));
                    let cb = bm.and_then(|m| m.names.get(name));
                    if ca.is_none() && cb.is_none() {
                        if report {
                            self.unplanned(am, bm, name, member, at);
                        }
                        continue;
                    }
                    let sa = ca.and_then(|c| c.as_deref());
                    let sb = cb.and_then(|c| c.as_deref());
                    if sa.is_some() || sb.is_some() {
                        self.object(sa, sb, member, &Seg::Key(at, name));
                    }
                }
            }
            Json::Array(items) => {
                let ia = a.and_then(|s| s.items.as_deref());
                let ib = b.and_then(|s| s.items.as_deref());
                if ia.is_none() && ib.is_none() {
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    self.object(ia, ib, item, &Seg::Index(at, i));
                }
            }
            _ => {}
        }
    }

    #[cold]
    fn unplanned(
        &mut self,
        am: Option<&Members>,
        bm: Option<&Members>,
        name: &str,
        value: &Json<'_>,
        at: &Seg<'_>,
    ) {
        let planned: Vec<&str> = [am, bm]
            .into_iter()
            .flatten()
            .flat_map(|m| m.names.keys().map(AsRef::as_ref))
            .collect();
        let path = key_path(&at.render(), name);
        self.out.push(unplanned(
            self.traits,
            path,
            Severity::Warning,
            self.label,
            "",
            &planned,
            name,
            describe(value),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// A fast hasher for the plan's own keys (event and property names). Lookups by names a peer
// sends cannot degrade a map whose keys only the plan chooses.

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(name)
    }

    fn fixture_plan() -> TrackingPlan {
        TrackingPlan::load(&fixture("plan.json")).expect("the fixture plan loads")
    }

    fn findings(plan: &TrackingPlan, message: &Value) -> Vec<Finding> {
        let mut out = Vec::new();
        plan.check(&Json::from_value(message), &mut out);
        out
    }

    fn lines(name: &str) -> Vec<Value> {
        std::fs::read_to_string(fixture(name))
            .expect("fixture")
            .lines()
            .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
            .collect()
    }

    const DRAFT7: &str = "http://json-schema.org/draft-07/schema#";

    /// A whole-message schema whose event properties are `props`.
    fn whole(props: Value) -> Value {
        json!({
            "$schema": DRAFT7,
            "type": "object",
            "properties": {"context": {"type": "object"}, "traits": {"type": "object"}, "properties": props},
            "required": ["properties"]
        })
    }

    fn products() -> Value {
        json!({"type": "array", "items": {
            "type": "object",
            "properties": {"product_id": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
            "required": ["price"]
        }})
    }

    /// Order Completed v1 (open) and v2 (closed), identify traits, a common rule, a page rule.
    fn test_plan() -> TrackingPlan {
        let rules = json!({"name": "test", "rules": [
            {"type": "TRACK", "key": "Order Completed", "version": 2, "jsonSchema": whole(json!({
                "type": "object",
                "properties": {
                    "order_id": {"type": "string", "pattern": "^ord_"},
                    "revenue": {"type": "number"},
                    "currency": {"type": "string", "enum": ["USD", "EUR"]},
                    "products": products(),
                    "user-agent": {"type": "string"}
                },
                "required": ["order_id", "currency"],
                "additionalProperties": false
            }))},
            {"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": whole(json!({
                "type": "object",
                "properties": {
                    "order_id": {"type": "string"},
                    "revenue": {"type": "number"},
                    "products": products(),
                    "placed_at": {"type": "string", "format": "date-time"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "user-agent": {"type": "string"}
                },
                "required": ["order_id"]
            }))},
            {"type": "IDENTIFY", "key": null, "version": 1, "jsonSchema": {
                "$schema": DRAFT7,
                "type": "object",
                "properties": {"traits": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "plan": {"type": "string", "enum": ["free", "pro"]},
                        "address": {"type": "object", "properties": {"city": {"type": "string"}}}
                    },
                    "required": ["email"]
                }}
            }},
            {"type": "COMMON", "version": 1, "jsonSchema": {
                "$schema": DRAFT7,
                "type": "object",
                "properties": {
                    "context": {"type": "object", "properties": {"app": {"type": "object",
                        "properties": {"version": {"type": "string"}}}}},
                    "properties": {"type": "object", "properties": {"app_build": {"type": "string"}}}
                }
            }},
            {"type": "PAGE", "key": "Home", "version": 1, "jsonSchema": whole(json!({
                "type": "object", "properties": {"path": {"type": "string"}, "title": {"type": "string"}}
            }))},
            {"type": "PAGE", "key": null, "version": 1, "jsonSchema": whole(json!({
                "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]
            }))}
        ]});
        TrackingPlan::parse(&rules.to_string(), "test-plan.json").expect("test plan loads")
    }

    fn track(properties: Value) -> Value {
        json!({"type": "track", "event": "Order Completed", "userId": "u1", "properties": properties})
    }

    fn versioned(properties: Value, version: Value) -> Value {
        let mut m = track(properties);
        m["context"] = json!({"protocols": {"event_version": version}});
        m
    }

    /// The only finding with `rule`.
    fn only<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
        let matching: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
        assert_eq!(matching.len(), 1, "one {rule} in {findings:#?}");
        matching[0]
    }

    fn rules_of(findings: &[Finding]) -> Vec<&str> {
        let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_ref()).collect();
        rules.sort_unstable();
        rules
    }

    // --- loading ---------------------------------------------------------------------------

    #[test]
    fn public_api_plan_loads() {
        let plan = fixture_plan();
        assert_eq!(plan.len(), 42);
        assert_eq!(plan.name(), Some("Example Shop (web + iOS + server)"));
        assert!(plan.source().ends_with("plan.json"));
        assert_eq!(plan.track.len(), 40);
        assert!(plan.identify.is_some() && plan.group.is_some() && plan.common.is_none());
    }

    #[test]
    fn a_bare_array_of_rules_and_an_api_response_load() {
        let rule = json!({"type": "TRACK", "key": "Signed In", "version": 1,
            "jsonSchema": whole(json!({"type": "object", "properties": {"method": {"type": "string"}}}))});
        let bare = TrackingPlan::parse(&json!([rule]).to_string(), "bare.json").unwrap();
        assert_eq!((bare.len(), bare.name()), (1, None));
        let response = json!({"data": {"rules": [rule], "pagination": {}}});
        let wrapped = TrackingPlan::parse(&response.to_string(), "response.json").unwrap();
        assert_eq!(wrapped.len(), 1);
        let bad = track(json!({"method": 1}));
        let mut bad = bad;
        bad["event"] = json!("Signed In");
        assert_eq!(rules_of(&findings(&bare, &bad)), ["plan/type"]);
    }

    #[test]
    fn legacy_plan_loads_and_agrees_with_the_public_api_plan() {
        let legacy = TrackingPlan::load(&fixture("plans/legacy.json")).unwrap();
        assert_eq!(legacy.name(), Some("Example Shop (legacy shape)"));
        assert_eq!(
            legacy.len(),
            5,
            "2 events, global, identify_traits, group_traits"
        );
        assert!(
            legacy
                .identify
                .as_ref()
                .is_some_and(|v| v.0[0].scope == Scope::Traits)
        );
        let public = fixture_plan();
        let key = |f: &Finding| (f.rule.to_string(), f.path.clone(), f.severity);
        let mut compared = 0;
        let mut violations = 0;
        for event in lines("events.ndjson") {
            let covered = match event["type"].as_str() {
                Some("identify" | "group") => true,
                Some("track") => {
                    matches!(
                        event["event"].as_str(),
                        Some("Order Completed" | "Products Searched")
                    )
                }
                _ => false,
            };
            if !covered {
                continue;
            }
            let a: Vec<_> = findings(&legacy, &event).iter().map(key).collect();
            let b: Vec<_> = findings(&public, &event).iter().map(key).collect();
            assert_eq!(a, b, "{event}");
            compared += 1;
            violations += usize::from(!a.is_empty());
        }
        assert!(
            compared > 80 && violations >= 10,
            "{compared} compared, {violations} violations"
        );
        // A legacy traits rule sees a message without traits as `traits: {}`.
        let bare = json!({"type": "identify", "userId": "u1"});
        let f = findings(&legacy, &bare);
        assert_eq!(only(&f, "plan/required").path, "traits.email");
    }

    #[test]
    fn legacy_lists_of_rules_load() {
        // Typewriter v7's own plan: empty lists, and lists of {name, rules, version}.
        let text = json!({"display_name": "tw", "rules": {
            "events": [{"name": "Command Run", "rules": whole(json!({"type": "object",
                "properties": {"command": {"type": "string"}}, "required": ["command"]})), "version": 1}],
            "global": [],
            "identify_traits": [{"name": "traits", "version": 1, "rules": {"type": "object",
                "properties": {"email": {"type": "string"}}}}],
            "group_traits": []
        }}).to_string();
        let plan = TrackingPlan::parse(&text, "tw.json").unwrap();
        assert_eq!(plan.len(), 2);
        let identify =
            json!({"type": "identify", "userId": "u", "traits": {"email": "a@b.c", "age": 3}});
        let f = findings(&plan, &identify);
        let unplanned = only(&f, "plan/unplanned-trait");
        assert_eq!(
            (unplanned.path.as_str(), unplanned.severity),
            ("traits.age", Severity::Warning)
        );
    }

    #[test]
    fn invalid_json_names_the_line_and_column() {
        let err = TrackingPlan::parse(
            "{\n  \"rules\": [\n    {\"type\": \"TRACK\",}\n  ]\n}",
            "p.json",
        )
        .unwrap_err();
        assert!(matches!(err, PlanError::Json { line: 3, .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.starts_with("p.json:3:"), "{text}");
        assert!(
            text.contains("not valid JSON") && !text.contains('\n'),
            "{text}"
        );
    }

    #[test]
    fn an_invalid_schema_names_the_rule_and_the_schema_path() {
        let text = json!({"rules": [
            {"type": "TRACK", "key": "Signed In", "version": 1, "jsonSchema": whole(json!({"type": "object"}))},
            {"type": "TRACK", "key": "Order Completed", "version": 2, "jsonSchema": whole(json!({
                "type": "object", "properties": {"total": {"type": "numbr"}}
            }))}
        ]})
        .to_string();
        let err = TrackingPlan::parse(&text, "p.json").unwrap_err();
        let PlanError::Schema {
            rule,
            schema_path,
            reason,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(rule, "rules[1] (TRACK \"Order Completed\" v2)");
        assert_eq!(
            schema_path,
            "/rules/1/jsonSchema/properties/properties/properties/total/type"
        );
        assert!(
            reason.contains("\"numbr\" is not a JSON Schema type"),
            "{reason}"
        );
        let line = err.to_string();
        assert!(
            line.starts_with(
                "p.json: rules[1] (TRACK \"Order Completed\" v2): invalid JSON Schema at /rules/1/"
            ),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn an_invalid_regex_names_the_file_rule_and_path() {
        let err = TrackingPlan::load(&fixture("plans/bad-pattern.json")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("bad-pattern.json: rules[1] (TRACK \"Order Completed\" v2)"),
            "{text}"
        );
        assert!(
            text.contains("/rules/1/jsonSchema/properties/properties/properties/currency/pattern"),
            "{text}"
        );
        assert!(text.contains("not a valid regular expression"), "{text}");
    }

    #[test]
    fn bad_rules_are_clear_errors() {
        let cases = [
            (
                json!({"rules": [{"type": "ALIAS", "key": "x", "jsonSchema": {}}]}),
                "rules[0]: unknown rule type \"ALIAS\"",
            ),
            (
                json!([{"type": "TRACK", "jsonSchema": {}}]),
                "[0]: a TRACK rule needs its event name in \"key\"",
            ),
            (
                json!({"rules": [{"type": "TRACK", "key": "A", "version": "2", "jsonSchema": {}}]}),
                "\"version\" should be an integer",
            ),
            (
                json!({"rules": [{"type": "TRACK", "key": "A"}]}),
                "rules[0]: no \"jsonSchema\"",
            ),
            (
                json!({"rules": [{"type": "TRACK", "key": "A", "jsonSchema": {}}, {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": {}}]}),
                "rules[1] (TRACK \"A\" v1): duplicate rule: rules[0] has the same type, key and version",
            ),
            (json!({"events": []}), "not a tracking plan: no \"rules\""),
            (json!("plan"), "not a tracking plan: the file holds string"),
            (
                json!({"rules": {"events": [{"version": 1, "rules": {}}]}}),
                "rules.events[0]: a TRACK rule needs its event name in \"name\"",
            ),
            (
                json!({"rules": [{"type": "COMMON", "jsonSchema": {"$ref": "https://example.com/common.json"}}]}),
                "rules[0] (COMMON v1): invalid JSON Schema at /rules/0/jsonSchema: cannot \
                 resolve $ref https://example.com/common.json: remote and file schemas are not \
                 fetched",
            ),
        ];
        for (plan, expected) in cases {
            let err = TrackingPlan::parse(&plan.to_string(), "p.json")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("p.json: "), "{err}");
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
        let missing = TrackingPlan::load(Path::new("/nonexistent/plan.json")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("/nonexistent/plan.json: cannot read"),
            "{missing}"
        );
    }

    // --- choosing rules ----------------------------------------------------------------------

    #[test]
    fn versions_missing_picks_the_oldest() {
        let plan = test_plan();
        // v1 does not require currency and accepts placed_at; v2 would flag both.
        let m = track(json!({"order_id": "x", "placed_at": "2025-01-01T00:00:00Z"}));
        assert!(findings(&plan, &m).is_empty(), "{:#?}", findings(&plan, &m));
        assert!(findings(&plan, &versioned(json!({"order_id": "x"}), Value::Null)).is_empty());
    }

    #[test]
    fn versions_explicit_picks_that_version() {
        let plan = test_plan();
        let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!(2)));
        let required = only(&f, "plan/required");
        assert_eq!(required.path, "properties.currency");
        assert_eq!(
            required.message,
            "properties.currency is required by Order Completed v2"
        );
        assert_eq!(rules_of(&f), ["plan/pattern", "plan/required"]);
        assert!(findings(&plan, &versioned(json!({"order_id": "x"}), json!(1))).is_empty());
    }

    #[test]
    fn versions_unknown_or_invalid_pick_the_oldest_with_an_info() {
        let plan = test_plan();
        let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!(7)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].rule.as_ref(), f[0].path.as_str(), f[0].severity),
            (
                "plan/unknown-version",
                "context.protocols.event_version",
                Severity::Info
            )
        );
        assert_eq!(f[0].expected.as_deref(), Some("one of 1, 2"));
        assert!(
            f[0].message.contains("Order Completed v1"),
            "{}",
            f[0].message
        );
        let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!("2")));
        assert_eq!(rules_of(&f), ["plan/invalid-version"]);
        assert_eq!(f[0].actual.as_deref(), Some("string \"2\""));
        assert_eq!(f[0].severity, Severity::Info);
    }

    #[test]
    fn page_rules_go_by_name_with_the_keyless_rule_for_the_rest() {
        let plan = test_plan();
        let home =
            json!({"type": "page", "name": "Home", "properties": {"path": "/", "search": "?q"}});
        let f = findings(&plan, &home);
        let unplanned = only(&f, "plan/unplanned-property");
        assert_eq!(unplanned.path, "properties.search");
        assert!(
            unplanned.message.contains("page Home v1"),
            "{}",
            unplanned.message
        );
        let other = json!({"type": "page", "name": "Pricing", "properties": {"title": "P"}});
        let f = findings(&plan, &other);
        assert_eq!(only(&f, "plan/required").path, "properties.path");
        assert!(f.iter().any(|x| x.message.contains("the page rule v1")));
    }

    #[test]
    fn the_common_rule_applies_to_every_message_and_plans_its_properties() {
        let plan = test_plan();
        let alias = json!({"type": "alias", "userId": "a", "previousId": "b",
            "context": {"app": {"version": 3}}});
        let f = findings(&plan, &alias);
        let wrong = only(&f, "plan/type");
        assert_eq!(wrong.path, "context.app.version");
        assert!(
            wrong.message.ends_with("(the common rule v1)"),
            "{}",
            wrong.message
        );
        // app_build is declared by the common rule only: still planned for Order Completed v1.
        let m = track(json!({"order_id": "x", "app_build": "42"}));
        assert!(findings(&plan, &m).is_empty(), "{:#?}", findings(&plan, &m));
        // A message without a type gets the common rule and nothing else.
        assert!(findings(&plan, &json!({"properties": {"anything": 1}})).is_empty());
    }

    // --- findings ----------------------------------------------------------------------------

    #[test]
    fn required_type_enum_pattern_format_minimum() {
        let plan = test_plan();
        let m = versioned(
            json!({"order_id": "42", "revenue": "42", "currency": "GBP",
                   "products": [{"product_id": "p1", "price": 3}, {"product_id": "p2", "price": -1}, {"product_id": "p3"}]}),
            json!(2),
        );
        let f = findings(&plan, &m);
        let revenue = only(&f, "plan/type");
        assert_eq!(revenue.path, "properties.revenue");
        assert_eq!(revenue.severity, Severity::Error);
        assert_eq!(revenue.expected.as_deref(), Some("number"));
        assert_eq!(revenue.actual.as_deref(), Some("string \"42\""));
        assert_eq!(
            revenue.message,
            "properties.revenue should be a number, got string \"42\" (Order Completed v2)"
        );
        let currency = only(&f, "plan/enum");
        assert_eq!(currency.path, "properties.currency");
        assert_eq!(
            currency.expected.as_deref(),
            Some("one of [\"USD\",\"EUR\"]")
        );
        assert_eq!(currency.actual.as_deref(), Some("string \"GBP\""));
        let order = only(&f, "plan/pattern");
        assert_eq!(order.path, "properties.order_id");
        assert_eq!(order.expected.as_deref(), Some("matching ^ord_"));
        let min = only(&f, "plan/minimum");
        assert_eq!(min.path, "properties.products[1].price");
        assert_eq!(min.expected.as_deref(), Some(">= 0"));
        assert_eq!(min.actual.as_deref(), Some("number -1"));
        let price = only(&f, "plan/required");
        assert_eq!(price.path, "properties.products[2].price");
        assert_eq!(
            (price.expected.as_deref(), price.actual.as_deref()),
            (Some("present"), Some("missing"))
        );

        let v1 = track(json!({"order_id": "o", "placed_at": "yesterday", "quantity": 0}));
        let f = findings(&plan, &v1);
        let format = only(&f, "plan/format");
        assert_eq!(format.path, "properties.placed_at");
        assert_eq!(format.expected.as_deref(), Some("format date-time"));
        assert_eq!(
            format.message,
            "properties.placed_at should be a date-time, got string \"yesterday\" (Order Completed v1)"
        );
        assert_eq!(only(&f, "plan/minimum").path, "properties.quantity");
    }

    #[test]
    fn paths_follow_the_detail_pane() {
        let plan = test_plan();
        let f = findings(&plan, &track(json!({"order_id": "o", "user-agent": 1})));
        assert_eq!(only(&f, "plan/type").path, "properties[\"user-agent\"]");
        // A missing `properties` is the message's own member.
        let f = findings(&plan, &json!({"type": "track", "event": "Order Completed"}));
        assert_eq!(only(&f, "plan/required").path, "properties");
        assert_eq!(
            pane_path(
                &Json::from_value(&json!({"a": {"0": [1, {"x~/y": 2}]}})),
                "",
                "/a/0/1/x~0~1y"
            ),
            "a[\"0\"][1][\"x~/y\"]"
        );
        assert_eq!(
            pane_path(&Json::from_value(&json!({})), "traits", "/address/city"),
            "traits.address.city"
        );
    }

    #[test]
    fn a_property_that_additional_properties_forbids_is_unplanned_at_its_own_path() {
        let plan = test_plan();
        let m = versioned(
            json!({"order_id": "ord_1", "currency": "EUR", "orderId": "p", "coupon": "X"}),
            json!(2),
        );
        let f = findings(&plan, &m);
        let mut paths: Vec<&str> = f.iter().map(|x| x.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, ["properties.coupon", "properties.orderId"], "{f:#?}");
        assert!(
            f.iter()
                .all(|x| x.rule == "plan/unplanned-property" && x.severity == Severity::Error)
        );
        let typo = f.iter().find(|x| x.path == "properties.orderId").unwrap();
        assert_eq!(typo.actual.as_deref(), Some("string \"p\""));
        assert_eq!(
            typo.message,
            "properties.orderId is not in the tracking plan for Order Completed v2, which allows \
             no others; did you mean order_id?"
        );
        assert_eq!(
            typo.expected.as_deref(),
            Some("a planned property: currency, order_id, products, revenue, user-agent")
        );
    }

    #[test]
    fn undeclared_properties_and_traits_are_unplanned_warnings() {
        let plan = test_plan();
        // v1 is open: no additionalProperties, so the walk reports, as a warning.
        let m = track(
            json!({"order_id": "o", "coupon": "X", "products": [{"price": 1, "colour": "red"}]}),
        );
        let f = findings(&plan, &m);
        assert!(
            f.iter()
                .all(|x| x.rule == "plan/unplanned-property" && x.severity == Severity::Warning),
            "{f:#?}"
        );
        let mut paths: Vec<&str> = f.iter().map(|x| x.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(
            paths,
            ["properties.coupon", "properties.products[0].colour"]
        );
        let coupon = f.iter().find(|x| x.path == "properties.coupon").unwrap();
        assert_eq!(
            coupon.message,
            "properties.coupon is not in the tracking plan for Order Completed v1"
        );
        assert_eq!(coupon.actual.as_deref(), Some("string \"X\""));
        assert!(
            coupon
                .expected
                .as_deref()
                .unwrap()
                .starts_with("a planned property: app_build, order_id"),
            "{coupon:?}"
        );

        let identify = json!({"type": "identify", "userId": "u", "traits": {
            "email": "a@example.com", "plan": "gold", "Email_Address": "x", "address": {"city": "Oslo", "zip": "0150"}}});
        let f = findings(&plan, &identify);
        assert_eq!(
            rules_of(&f),
            ["plan/enum", "plan/unplanned-trait", "plan/unplanned-trait"]
        );
        let zip = f
            .iter()
            .find(|x| x.path == "traits.address.zip")
            .expect("nested trait");
        assert_eq!(zip.severity, Severity::Warning);
        assert!(f.iter().any(|x| x.path == "traits.Email_Address"));
        assert_eq!(
            only(&f, "plan/enum").expected.as_deref(),
            Some("one of [\"free\",\"pro\"]")
        );
        // Context and top-level fields are never unplanned; neither are page fields without a rule.
        let ctx = json!({"type": "identify", "userId": "u", "extra": 1, "context": {"ip": "1.2.3.4"},
            "traits": {"email": "a@example.com"}});
        assert!(findings(&plan, &ctx).is_empty());
    }

    #[test]
    fn unplanned_events_are_warnings_with_a_suggestion() {
        let plan = test_plan();
        let mut m = track(json!({"order_id": "o"}));
        m["event"] = json!("order_completed");
        let f = findings(&plan, &m);
        let u = only(&f, "plan/unplanned-event");
        assert_eq!((u.path.as_str(), u.severity), ("event", Severity::Warning));
        assert_eq!(
            u.message,
            "\"order_completed\" is not in the tracking plan; did you mean \"Order Completed\"?"
        );
        assert_eq!(u.actual.as_deref(), Some("string \"order_completed\""));
        assert_eq!(
            f.len(),
            1,
            "no property checks for an unplanned event: {f:#?}"
        );
        // A plan without track rules does not make every event unplanned.
        let identify_only = TrackingPlan::parse(
            &json!([{"type": "IDENTIFY", "version": 1, "jsonSchema": {}}]).to_string(),
            "p.json",
        )
        .unwrap();
        assert!(findings(&identify_only, &m).is_empty());
    }

    #[test]
    fn the_plan_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<TrackingPlan>();
    }

    /// The acceptance check: labelled violations are found, clean messages stay clean.
    #[test]
    fn fixture_violations_match_the_labels() {
        let plan = fixture_plan();
        let events = lines("events.ndjson");
        let labels = lines("labels.ndjson");
        assert_eq!(events.len(), 600);
        assert_eq!(labels.len(), events.len());
        let mut confusion: std::collections::BTreeMap<(String, String), usize> = Default::default();
        let mut failures = Vec::new();
        for (event, label) in events.iter().zip(&labels) {
            let violation = label["violation"].as_str();
            let loud: Vec<Finding> = findings(&plan, event)
                .into_iter()
                .filter(|f| f.severity >= Severity::Warning)
                .collect();
            let mut rules: Vec<&str> = loud.iter().map(|f| f.rule.as_ref()).collect();
            rules.sort_unstable();
            rules.dedup();
            let got = if rules.is_empty() {
                "-".to_string()
            } else {
                rules.join(",")
            };
            let want = violation.unwrap_or("null").to_string();
            *confusion.entry((want.clone(), got.clone())).or_default() += 1;
            let ok = match violation {
                None => loud.is_empty(),
                Some(v) => {
                    let code = match v {
                        "wrong_type" => "plan/type",
                        "missing_required" => "plan/required",
                        "unplanned_property" => "plan/unplanned-property",
                        "unplanned_event" => "plan/unplanned-event",
                        other => panic!("unknown label {other}"),
                    };
                    loud.iter().any(|f| f.rule == code)
                }
            };
            if !ok {
                failures.push(format!(
                    "line {} ({want}): {:?}",
                    label["line"],
                    loud.iter().map(|f| &f.message).collect::<Vec<_>>()
                ));
            }
        }
        if !failures.is_empty() {
            let mut summary = String::from("label -> plan findings at warning or above:\n");
            for ((want, got), n) in &confusion {
                let _ = writeln!(summary, "  {want:<20} {got:<60} {n}");
            }
            panic!(
                "{summary}{} failures:\n{}",
                failures.len(),
                failures.join("\n")
            );
        }
    }
}
