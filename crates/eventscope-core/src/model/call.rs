//! The SDK call that would produce a message, for the Call tab: `analytics.track("Order
//! Completed", {…})`. Browser messages get analytics.js's positional form; others the object
//! form of the server SDKs (`analytics.track({ userId, event, properties })`).

use serde_json::{Map, Value};

/// The call as JavaScript source, or `None` when `text` is not a message object.
pub fn sdk_call(text: &str) -> Option<String> {
    let message: Map<String, Value> = serde_json::from_str(text).ok()?;
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("track");
    let library = message
        .get("context")
        .and_then(|c| c.get("library"))
        .and_then(|l| l.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let browser = library.starts_with("analytics.js") || library.contains("analytics-next");
    Some(if browser {
        positional(kind, &message)
    } else {
        object_form(kind, &message)
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn quoted(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => Value::String(s.clone()).to_string(),
        Some(other) => other.to_string(),
        None => "undefined".into(),
    }
}

/// analytics.js: `analytics.track(event, properties, options)`.
fn positional(kind: &str, m: &Map<String, Value>) -> String {
    let obj = |key: &str| m.get(key).filter(|v| v.is_object()).map(pretty);
    let mut args: Vec<String> = match kind {
        "identify" => vec![
            quoted(m.get("userId")),
            obj("traits").unwrap_or("{}".into()),
        ],
        "page" => {
            let mut args = Vec::new();
            if let Some(category) = m.get("category") {
                args.push(quoted(Some(category)));
            }
            args.push(quoted(m.get("name")));
            args.push(obj("properties").unwrap_or("{}".into()));
            args
        }
        "screen" => vec![
            quoted(m.get("name")),
            obj("properties").unwrap_or("{}".into()),
        ],
        "group" => vec![
            quoted(m.get("groupId")),
            obj("traits").unwrap_or("{}".into()),
        ],
        "alias" => vec![quoted(m.get("userId")), quoted(m.get("previousId"))],
        _ => vec![
            quoted(m.get("event")),
            obj("properties").unwrap_or("{}".into()),
        ],
    };
    if kind == "identify" && m.get("userId").is_none() {
        args.remove(0);
    }
    format!("analytics.{kind}({});", args.join(", "))
}

/// Server SDKs: `analytics.track({ userId, event, properties, context, timestamp })`.
fn object_form(kind: &str, m: &Map<String, Value>) -> String {
    const KEYS: [&str; 12] = [
        "userId",
        "anonymousId",
        "event",
        "name",
        "category",
        "groupId",
        "previousId",
        "properties",
        "traits",
        "context",
        "integrations",
        "timestamp",
    ];
    let mut call = Map::new();
    for key in KEYS {
        if let Some(value) = m.get(key).filter(|v| !v.is_null()) {
            let value = if key == "timestamp" {
                m.get("originalTimestamp").unwrap_or(value).clone()
            } else {
                value.clone()
            };
            call.insert(key.to_string(), value);
        }
    }
    if let Some(context) = call.get_mut("context").and_then(Value::as_object_mut) {
        // The SDK fills these itself; they are not part of the call.
        context.remove("library");
        if context.is_empty() {
            call.remove("context");
        }
    }
    format!("analytics.{kind}({});", pretty(&Value::Object(call)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_messages_become_positional_calls() {
        let text = r#"{"type":"track","event":"Order Completed","properties":{"revenue":42},
            "context":{"library":{"name":"analytics.js","version":"next-1.70.0"}}}"#;
        let call = sdk_call(text).unwrap();
        assert!(
            call.starts_with("analytics.track(\"Order Completed\", {"),
            "{call}"
        );
        assert!(call.contains("\"revenue\": 42"));
        let page = r#"{"type":"page","name":"Pricing","category":"Docs","properties":{},
            "context":{"library":{"name":"analytics.js"}}}"#;
        assert_eq!(
            sdk_call(page).unwrap(),
            "analytics.page(\"Docs\", \"Pricing\", {});"
        );
    }

    #[test]
    fn server_messages_become_object_calls_without_sdk_fields() {
        let text = r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.c"},
            "context":{"library":{"name":"@segment/analytics-node"}},"messageId":"m"}"#;
        let call = sdk_call(text).unwrap();
        assert!(call.starts_with("analytics.identify({"), "{call}");
        assert!(call.contains("\"userId\": \"u1\""));
        assert!(
            !call.contains("library") && !call.contains("messageId"),
            "{call}"
        );
        assert!(sdk_call("[1]").is_none());
    }
}
