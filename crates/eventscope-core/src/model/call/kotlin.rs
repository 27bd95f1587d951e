//! Kotlin calls, analytics-kotlin's form with kotlinx.serialization's builders:
//! `analytics.track("Order Completed", buildJsonObject { put("revenue", 42) })`.

use serde_json::Number;

use super::literal::{INDENT, WIDTH, escape, indented};
use super::{Kind, Members, Parts, call_args};
use crate::model::json::Json;

/// `None` for a page: analytics-kotlin has no page call.
pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> Option<String> {
    let mut args: Vec<String> = Vec::new();
    let first = match parts.kind {
        Kind::Track | Kind::Screen => parts.name,
        Kind::Identify => parts.user_id,
        Kind::Group => parts.group_id,
        Kind::Alias => parts.user_id,
        Kind::Page => return None,
    };
    args.extend(first.map(value));
    if let Some(payload) = parts.payload.as_ref().filter(|_| parts.kind != Kind::Alias) {
        args.push(object(payload));
    }
    if let (Kind::Screen, Some(category)) = (parts.kind, parts.category) {
        args.push(format!("category = {}", value(category)));
    }
    Some(call_args(
        &format!("{receiver}.{}(", parts.kind.as_str()),
        &args,
        ")",
        true,
    ))
}

/// Kotlin strings: `$` starts a template, so it is escaped too.
fn string(s: &str) -> String {
    escape(s, '"', &['$'], |c| format!("\\u{c:04x}"))
}

/// Integers beyond `Int` need `L`; beyond `Long`, a `Double`.
fn number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) if i32::try_from(i).is_ok() => i.to_string(),
        (Some(i), _) => format!("{i}L"),
        (None, Some(big)) => format!("{big}.0"),
        _ => n.to_string(),
    }
}

/// A scalar as an argument of `put`/`add`; `None` for maps and lists.
fn scalar(v: &Json<'_>) -> Option<String> {
    Some(match v {
        Json::Null => "JsonNull".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => number(n),
        Json::String(s) => string(s),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// A value as a call argument: scalars as they are, maps and lists built.
fn value(v: &Json<'_>) -> String {
    match v {
        Json::Object(o) => object(&super::members(o)),
        Json::Array(items) => format!("buildJsonArray {}", body(&array_statements(items))),
        _ => scalar(v).unwrap_or_default(),
    }
}

fn object(members: &Members<'_, '_>) -> String {
    format!("buildJsonObject {}", body(&object_statements(members)))
}

fn object_statements(members: &Members<'_, '_>) -> Vec<String> {
    members
        .iter()
        .map(|(key, v)| {
            let key = string(key);
            match v {
                Json::Object(o) => {
                    format!(
                        "putJsonObject({key}) {}",
                        body(&object_statements(&super::members(o)))
                    )
                }
                Json::Array(items) => {
                    format!("putJsonArray({key}) {}", body(&array_statements(items)))
                }
                _ => format!("put({key}, {})", scalar(v).unwrap_or_default()),
            }
        })
        .collect()
}

fn array_statements(items: &[Json<'_>]) -> Vec<String> {
    items
        .iter()
        .map(|v| match v {
            Json::Object(o) => {
                format!(
                    "addJsonObject {}",
                    body(&object_statements(&super::members(o)))
                )
            }
            Json::Array(items) => format!("addJsonArray {}", body(&array_statements(items))),
            _ => format!("add({})", scalar(v).unwrap_or_default()),
        })
        .collect()
}

/// `{ a; b }` when short, else one statement per line.
fn body(statements: &[String]) -> String {
    if statements.is_empty() {
        return "{}".into();
    }
    let inline = statements.join("; ");
    if !inline.contains('\n') && inline.len() <= WIDTH {
        return format!("{{ {inline} }}");
    }
    let mut out = "{".to_string();
    for statement in statements {
        out.push('\n');
        out.push_str(INDENT);
        out.push_str(&indented(statement, INDENT));
    }
    out.push_str("\n}");
    out
}
