//! `redact_pii`: the values the PII matchers flag, replaced before anything leaves.
//!
//! The matchers report paths in the detail pane's notation (`properties.email`,
//! `traits["first name"]`, `properties.products[0].note`); walking the message and building
//! the same paths finds them back without a path parser. A finding on a container (a key
//! match such as `traits.address`) replaces the whole container. Every finding counts,
//! whatever its severity: an email in `traits.email` is expected there, and is still
//! personal data a test destination should not get.

use std::collections::HashMap;

use serde_json::Value;

use crate::inspect::pii::PiiMatchers;
use crate::inspect::{Finding, Kind};
use crate::model::pretty::{index_path, key_path};

/// Replaces every flagged value in `message`; true if any was.
pub(super) fn redact(message: &mut Value, matchers: &PiiMatchers) -> bool {
    let mut findings: Vec<Finding> = Vec::new();
    matchers.scan(
        &crate::model::json::Json::from_value(message),
        &mut findings,
    );
    let mut targets: HashMap<String, String> = HashMap::new();
    for finding in findings.iter().filter(|f| f.kind == Kind::Pii) {
        let label = label(&finding.rule);
        // A value flagged by a value matcher keeps that name over a key-name one.
        targets
            .entry(finding.path.clone())
            .and_modify(|l| {
                if l == "[redacted]" {
                    l.clone_from(&label);
                }
            })
            .or_insert(label);
    }
    if targets.is_empty() {
        return false;
    }
    let mut replaced = 0;
    walk(message, String::new(), &targets, &mut replaced);
    replaced > 0
}

/// `[redacted email]` for `pii/email`, `[redacted name]` for `pii/custom:name`, plain
/// `[redacted]` for a key-name match.
fn label(rule: &str) -> String {
    let what = rule.strip_prefix("pii/").unwrap_or(rule);
    let what = what.strip_prefix("custom:").unwrap_or(what);
    if what == "key-name" || what.is_empty() {
        "[redacted]".to_string()
    } else {
        format!("[redacted {what}]")
    }
}

fn walk(value: &mut Value, path: String, targets: &HashMap<String, String>, replaced: &mut usize) {
    if let Some(label) = targets.get(&path)
        && !path.is_empty()
    {
        *value = Value::String(label.clone());
        *replaced += 1;
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                walk(child, key_path(&path, key), targets, replaced);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                walk(child, index_path(&path, i), targets, replaced);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flagged_values_are_replaced_and_the_rest_kept() {
        let mut m = json!({
            "type": "track",
            "event": "Order Completed",
            "userId": "u_123",
            "properties": {
                "note": "call me on +1 (415) 555-9120 after 5pm",
                "contact": "ada@example.com",
                "total": 12.5,
                "products": [{"name": "Tent", "comment": "ship to bob@example.org"}]
            },
            "context": {"library": {"name": "analytics.js"}}
        });
        assert!(redact(&mut m, &PiiMatchers::default()));
        assert_eq!(m["properties"]["contact"], "[redacted email]");
        assert_eq!(m["properties"]["note"], "[redacted phone]");
        assert_eq!(
            m["properties"]["products"][0]["comment"],
            "[redacted email]"
        );
        assert_eq!(m["properties"]["products"][0]["name"], "Tent");
        assert_eq!(m["properties"]["total"], 12.5);
        assert_eq!(m["event"], "Order Completed");
        assert_eq!(m["userId"], "u_123");
    }

    #[test]
    fn nothing_flagged_changes_nothing() {
        let mut m = json!({"type": "track", "event": "Signed In", "properties": {"plan": "pro"}});
        let before = m.clone();
        assert!(!redact(&mut m, &PiiMatchers::default()));
        assert_eq!(m, before);
    }

    #[test]
    fn key_names_with_spaces_are_found_back() {
        let mut m = json!({"type": "identify", "userId": "u_1", "traits": {"home address": {"street": "1 Main St"}, "password": "hunter22"}});
        assert!(redact(&mut m, &PiiMatchers::default()));
        assert_eq!(m["traits"]["password"], "[redacted]");
        assert!(m["traits"]["home address"].is_string(), "{m}");
    }
}
