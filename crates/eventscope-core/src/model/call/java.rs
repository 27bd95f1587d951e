//! Java calls, analytics-java's builder form:
//! `analytics.enqueue(TrackMessage.builder("Order Completed").userId("u").properties(…))`,
//! maps as Guava's `ImmutableMap.<String, Object>builder().put(…).build()` as its docs write.

use serde_json::Number;

use super::literal::{INDENT, WIDTH, escape, indented};
use super::{Kind, Members, Parts};
use crate::model::json::Json;

pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let or_empty = |v: Option<&Json<'_>>| v.map_or("\"\"".to_string(), value);
    let head = match parts.kind {
        Kind::Track => format!("TrackMessage.builder({})", or_empty(parts.name)),
        Kind::Identify => "IdentifyMessage.builder()".to_string(),
        Kind::Page => format!("PageMessage.builder({})", or_empty(parts.name)),
        Kind::Screen => format!("ScreenMessage.builder({})", or_empty(parts.name)),
        Kind::Group => format!("GroupMessage.builder({})", or_empty(parts.group_id)),
        Kind::Alias => format!("AliasMessage.builder({})", or_empty(parts.previous_id)),
    };
    let mut steps: Vec<String> = Vec::new();
    if let Some(id) = parts.user_id {
        steps.push(format!("userId({})", value(id)));
    }
    if let Some(id) = parts.anonymous_id {
        steps.push(format!("anonymousId({})", value(id)));
    }
    // PageMessage has no category of its own: it goes with the properties.
    let mut payload: Vec<(&str, String)> = Vec::new();
    if let (Kind::Page | Kind::Screen, Some(category)) = (parts.kind, parts.category) {
        payload.push(("category", value(category)));
    }
    if parts.kind != Kind::Alias {
        for (key, v) in parts.payload.iter().flatten() {
            payload.push((key, value(v)));
        }
    }
    if !payload.is_empty() {
        let method = match parts.kind {
            Kind::Identify | Kind::Group => "traits",
            _ => "properties",
        };
        steps.push(format!("{method}({})", map(&payload)));
    }
    if let Some(context) = &parts.context {
        steps.push(format!("context({})", map(&written(context))));
    }
    for (key, v) in parts.integrations.iter().flatten() {
        match v {
            Json::Bool(on) => steps.push(format!("enableIntegration({}, {on})", string(key))),
            Json::Object(options) => steps.push(format!(
                "integrationOptions({}, {})",
                string(key),
                map(&written(&super::members(options)))
            )),
            _ => {}
        }
    }
    let mut out = format!("{receiver}.enqueue({head}");
    for step in steps {
        out.push('\n');
        out.push_str(INDENT);
        out.push('.');
        out.push_str(&indented(&step, INDENT));
    }
    out.push_str(");");
    out
}

fn written<'m>(members: &Members<'m, '_>) -> Vec<(&'m str, String)> {
    members.iter().map(|(k, v)| (*k, value(v))).collect()
}

/// Java escapes: `\u` is read before the lexer (a `\u000a` would end the line), so control
/// characters are written in octal.
fn string(s: &str) -> String {
    escape(s, '"', &[], |c| {
        if c <= 0xff {
            format!("\\{c:03o}")
        } else {
            format!("\\u{c:04x}")
        }
    })
}

/// Integers beyond `int` need `L`; beyond `long`, a `double`.
fn number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) if i32::try_from(i).is_ok() => i.to_string(),
        (Some(i), _) => format!("{i}L"),
        (None, Some(big)) => format!("{big}.0"),
        _ => n.to_string(),
    }
}

fn value(v: &Json<'_>) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => number(n),
        Json::String(s) => string(s),
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(value).collect();
            let inline = items.join(", ");
            if !inline.contains('\n') && inline.len() <= WIDTH {
                return format!("ImmutableList.of({inline})");
            }
            let mut out = "ImmutableList.of(".to_string();
            for (i, item) in items.iter().enumerate() {
                out.push('\n');
                out.push_str(INDENT);
                out.push_str(&indented(item, INDENT));
                if i + 1 < items.len() {
                    out.push(',');
                }
            }
            out.push(')');
            out
        }
        Json::Object(object) => map(&written(&super::members(object))),
    }
}

/// `ImmutableMap.<String, Object>builder().put("k", v).build()`, one `put` per line when long.
fn map(members: &[(&str, String)]) -> String {
    if members.is_empty() {
        return "ImmutableMap.of()".into();
    }
    let puts: Vec<String> = members
        .iter()
        .map(|(k, v)| format!(".put({}, {v})", string(k)))
        .collect();
    let head = "ImmutableMap.<String, Object>builder()";
    let inline = puts.concat();
    if !inline.contains('\n') && inline.len() + head.len() <= WIDTH {
        return format!("{head}{inline}.build()");
    }
    let mut out = head.to_string();
    for put in puts.iter().chain(std::iter::once(&".build()".to_string())) {
        out.push('\n');
        out.push_str(INDENT);
        out.push_str(&indented(put, INDENT));
    }
    out
}
