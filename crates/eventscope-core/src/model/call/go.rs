//! Go calls, analytics-go's struct form (RudderStack's fork takes the same):
//! `client.Enqueue(analytics.Track{UserId: "u", Event: "…", Properties:
//! analytics.NewProperties().Set("revenue", 42)})`.

use super::literal::{GO, INDENT, indented};
use super::{Kind, Members, Parts};
use crate::model::json::Json;

pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let mut fields: Vec<(&str, String)> = Vec::new();
    let mut field = |key: &'static str, value: Option<&Json<'_>>| {
        if let Some(value) = value {
            fields.push((key, GO.value(value)));
        }
    };
    match parts.kind {
        Kind::Alias => field("PreviousId", parts.previous_id),
        Kind::Group => field("GroupId", parts.group_id),
        _ => {}
    }
    field("UserId", parts.user_id);
    field("AnonymousId", parts.anonymous_id);
    match parts.kind {
        Kind::Track => field("Event", parts.name),
        Kind::Page | Kind::Screen => field("Name", parts.name),
        _ => {}
    }
    let (payload_key, constructor) = match parts.kind {
        Kind::Identify | Kind::Group => ("Traits", "analytics.NewTraits()"),
        _ => ("Properties", "analytics.NewProperties()"),
    };
    // analytics-go keeps a page's category among its properties (`SetCategory`).
    let mut sets: Vec<(&str, String)> = Vec::new();
    if let (Kind::Page | Kind::Screen, Some(category)) = (parts.kind, parts.category) {
        sets.push(("category", GO.value(category)));
    }
    if parts.kind != Kind::Alias {
        for (key, value) in parts.payload.iter().flatten() {
            sets.push((key, GO.value(value)));
        }
    }
    if !sets.is_empty() {
        fields.push((payload_key, chain(constructor, &sets)));
    }
    if let Some(context) = &parts.context {
        let extra = GO.map_of(context);
        fields.push((
            "Context",
            format!(
                "&analytics.Context{{\n{INDENT}Extra: {},\n}}",
                indented(&extra, INDENT)
            ),
        ));
    }
    if let Some(integrations) = &parts.integrations {
        fields.push((
            "Integrations",
            typed_map("analytics.Integrations", integrations),
        ));
    }
    let kind = match parts.kind {
        Kind::Track => "Track",
        Kind::Identify => "Identify",
        Kind::Page => "Page",
        Kind::Screen => "Screen",
        Kind::Group => "Group",
        Kind::Alias => "Alias",
    };
    let mut out = format!("{receiver}.Enqueue(analytics.{kind}{{\n");
    for (key, value) in fields {
        out.push_str(&format!("{INDENT}{key}: {},\n", indented(&value, INDENT)));
    }
    out.push_str("})");
    out
}

/// `analytics.NewProperties().Set("a", 1).Set("b", 2)`, one `Set` per line when long (a line
/// ending in `.` continues the expression in Go).
fn chain(constructor: &str, sets: &[(&str, String)]) -> String {
    let calls: Vec<String> = sets
        .iter()
        .map(|(key, value)| format!("Set({}, {value})", GO.value(&Json::String((*key).into()))))
        .collect();
    let inline = format!("{constructor}.{}", calls.join("."));
    if !inline.contains('\n') && inline.len() <= super::literal::WIDTH {
        return inline;
    }
    let mut out = format!("{constructor}.");
    for (i, call) in calls.iter().enumerate() {
        out.push('\n');
        out.push_str(INDENT);
        out.push_str(&indented(call, INDENT));
        if i + 1 < calls.len() {
            out.push('.');
        }
    }
    out
}

/// A map literal of a named map type: `analytics.Integrations{"All": true}`.
fn typed_map(type_name: &str, members: &Members<'_, '_>) -> String {
    let map = GO.map_of(members);
    match map.strip_prefix(GO.map[0]) {
        Some(rest) => format!("{type_name}{{{rest}"),
        None => map,
    }
}
