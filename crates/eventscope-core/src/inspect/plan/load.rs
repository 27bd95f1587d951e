//! Reading either plan shape (Segment Public API rules or the legacy Config API) into raw
//! rules, and compiling each rule's JSON Schema; every error names the source and the rule.

use std::collections::HashMap;
use std::fmt::Write as _;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError};
use serde_json::{Map, Value};

use super::policy::UnplannedPolicy;
use super::unplanned::Shape;
use super::versions::Versions;
use super::{FastMap, PlanError, Rule, Scope, TrackingPlan};
use crate::inspect::describe_value;
use crate::inspect::schema_json::Borrowed;

impl TrackingPlan {
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
            unplanned: UnplannedPolicy::default(),
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
                RuleType::Track => plan.track.entry(key).or_default(),
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

    fn all_versions_mut(&mut self) -> impl Iterator<Item = &mut Versions> {
        self.common
            .iter_mut()
            .chain(self.identify.iter_mut())
            .chain(self.group.iter_mut())
            .chain(self.track.values_mut())
            .chain(self.page.values_mut())
            .chain(self.screen.values_mut())
    }
}

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

pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
