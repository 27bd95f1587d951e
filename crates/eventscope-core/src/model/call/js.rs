//! JavaScript calls: analytics.js's and RudderStack JS's positional form
//! (`analytics.track("Order Completed", { revenue: 42 })`) and analytics-node's object form
//! (`analytics.track({ userId: "u", event: "Order Completed", properties: {…} })`).

use super::literal::JAVASCRIPT;
use super::{Kind, Parts, call_args};

/// analytics.js: `track(event, properties)`, `identify(userId?, traits)`,
/// `page(category?, name?, properties)`, `group(groupId, traits)`, `alias(userId, previousId)`.
/// RudderStack JS takes the same arguments (`alias(to, from)`).
pub(super) fn positional(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let js = &JAVASCRIPT;
    let value =
        |v: Option<&crate::model::json::Json<'_>>| v.map_or("undefined".into(), |v| js.value(v));
    let payload = || parts.payload.as_ref().map_or("{}".into(), |p| js.map_of(p));
    let mut args = Vec::new();
    match parts.kind {
        Kind::Track => {
            args.push(value(parts.name));
            args.push(payload());
        }
        Kind::Identify => {
            args.extend(parts.user_id.map(|id| js.value(id)));
            args.push(payload());
        }
        Kind::Page | Kind::Screen => {
            if let Some(category) = parts.category {
                args.push(js.value(category));
                args.push(value(parts.name));
            } else if let Some(name) = parts.name {
                args.push(js.value(name));
            }
            args.push(payload());
        }
        Kind::Group => {
            args.push(value(parts.group_id));
            args.push(payload());
        }
        Kind::Alias => {
            args.push(value(parts.user_id));
            args.extend(parts.previous_id.map(|id| js.value(id)));
        }
    }
    call_args(
        &format!("{receiver}.{}(", parts.kind.as_str()),
        &args,
        ");",
        true,
    )
}

/// analytics-node: one object with the ids, the call's fields, `context` and `integrations`.
pub(super) fn object_form(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let js = &JAVASCRIPT;
    let mut fields: Vec<String> = Vec::new();
    let mut field = |key: &str, text: String| fields.push(format!("{key}: {text}"));
    if let Some(id) = parts.user_id {
        field("userId", js.value(id));
    }
    if let Some(id) = parts.anonymous_id {
        field("anonymousId", js.value(id));
    }
    match parts.kind {
        Kind::Track => {
            if let Some(name) = parts.name {
                field("event", js.value(name));
            }
        }
        Kind::Page | Kind::Screen => {
            if let Some(category) = parts.category {
                field("category", js.value(category));
            }
            if let Some(name) = parts.name {
                field("name", js.value(name));
            }
        }
        Kind::Group => {
            if let Some(id) = parts.group_id {
                field("groupId", js.value(id));
            }
        }
        Kind::Alias => {
            if let Some(id) = parts.previous_id {
                field("previousId", js.value(id));
            }
        }
        Kind::Identify => {}
    }
    if let Some(payload) = &parts.payload {
        let key = match parts.kind {
            Kind::Identify | Kind::Group => "traits",
            _ => "properties",
        };
        if parts.kind != Kind::Alias {
            field(key, js.map_of(payload));
        }
    }
    if let Some(context) = &parts.context {
        field("context", js.map_of(context));
    }
    if let Some(integrations) = &parts.integrations {
        field("integrations", js.map_of(integrations));
    }
    let object = super::literal::block(&JAVASCRIPT.map, &fields, true);
    format!("{receiver}.{}({object});", parts.kind.as_str())
}
