//! Turning jsonschema validation errors into findings: one rule code per keyword, paths as the
//! detail pane shows them, and messages that say what was expected and what came.

use std::borrow::Cow;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::load::one_line;
use super::unplanned::unplanned;
use super::{Rule, Scope, plan};
use crate::inspect::{Finding, Severity, describe_value};
use crate::model::json::{Json, Object};
use crate::model::pretty::{index_path, key_path};

static EMPTY_OBJECT: Json<'static> = Json::Object(Object::EMPTY);

/// Validates the message (or its traits) against one rule; findings only when it fails.
pub(super) fn validate(
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
pub(super) fn pane_path(root: &Json<'_>, root_path: &str, pointer: &str) -> String {
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
