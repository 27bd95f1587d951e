use serde_json::json;

use super::*;
use crate::identity::Blocked;

fn findings_with(rules: &IdentityRules, message: serde_json::Value) -> Vec<Finding> {
    let mut out = Vec::new();
    rules.check(&Json::from_value(&message), &mut out);
    out
}

fn findings(message: serde_json::Value) -> Vec<Finding> {
    findings_with(&IdentityRules::default(), message)
}

/// `rule@path` of each finding.
fn codes(found: &[Finding]) -> Vec<String> {
    found
        .iter()
        .map(|f| format!("{}@{}", f.rule, f.path))
        .collect()
}

fn blocking(extra: &[&str]) -> IdentityRules {
    let mut rules = IdentityRules::default();
    rules
        .settings
        .blocked
        .extend(extra.iter().map(|v| Blocked::Exact((*v).to_string())));
    rules
}

#[test]
fn a_blocked_user_id_names_its_path_and_the_exact_rule() {
    let rules = blocking(&["void"]);
    let found = findings_with(
        &rules,
        json!({"type": "track", "event": "A B", "userId": "void", "anonymousId": "a-1"}),
    );
    assert_eq!(codes(&found), ["identity/blocked-id@userId"]);
    let finding = &found[0];
    assert_eq!(finding.kind, Kind::Identity);
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.message.contains("exact \"void\""),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .contains("would not promote it to a user_id"),
        "{}",
        finding.message
    );
    assert_eq!(finding.actual.as_deref(), Some("\"void\""));
}

#[test]
fn a_value_blocked_by_a_pattern_names_the_pattern() {
    // Segment's default `^[0-]*$`: an anonymousId of zeros, an email in context.traits.
    let found = findings(json!({"type": "page", "userId": "user-1",
        "anonymousId": "00000000-0000-0000-0000-000000000000"}));
    assert_eq!(codes(&found), ["identity/blocked-id@anonymousId"]);
    assert!(
        found[0].message.contains("pattern re:^[0-]*$"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("anonymous_id"),
        "{}",
        found[0].message
    );

    let found = findings_with(
        &blocking(&["qa@example.com"]),
        json!({"type": "track", "event": "A B", "userId": "user-1",
            "context": {"traits": {"email": "qa@example.com"}}}),
    );
    assert_eq!(codes(&found), ["identity/blocked-id@context.traits.email"]);
}

#[test]
fn unblocked_ids_and_empty_ids_give_no_blocked_finding() {
    let clean = json!({"type": "identify", "userId": "user-1", "anonymousId": "9f1c-77",
        "traits": {"email": "jane@example.com"}});
    assert!(findings(clean).is_empty());
    // An empty id matches `^[0-]*$` but is spec/empty-id's to report.
    assert!(findings(json!({"type": "page", "userId": "", "anonymousId": "a-1"})).is_empty());
    // Not an object: the spec says so.
    assert!(findings(json!([1, 2])).is_empty());
}

#[test]
fn a_blocked_previous_id_says_the_alias_links_nothing() {
    let found = findings(json!({"type": "alias", "previousId": "anonymous", "userId": "user-1"}));
    assert_eq!(codes(&found), ["identity/blocked-id@previousId"]);
    assert!(found[0].message.contains("alias"), "{}", found[0].message);
}

#[test]
fn a_user_id_that_is_an_email_a_phone_or_a_placeholder_is_named() {
    for (user_id, what) in [
        ("jane@example.com", "an email"),
        ("+44 20 7946 0958", "a phone number"),
        ("+15551234567", "a phone number"),
        ("(555) 123-4567", "a phone number"),
        ("abc123", "a placeholder"),
        ("test", "a placeholder"),
        ("undefined", "a placeholder"),
        ("[object Object]", "a placeholder"),
    ] {
        let found = findings(json!({"type": "track", "event": "A B", "userId": user_id}));
        assert_eq!(
            codes(&found),
            ["identity/userid-looks-like@userId"],
            "{user_id}"
        );
        assert!(
            found[0].message.contains(what),
            "{user_id}: {}",
            found[0].message
        );
        assert_eq!(found[0].severity, Severity::Warning);
    }
    let numeric = findings(json!({"type": "track", "event": "A B", "userId": 12345}));
    assert_eq!(codes(&numeric), ["identity/userid-looks-like@userId"]);
}

#[test]
fn ordinary_user_ids_do_not_look_like_anything() {
    for user_id in [
        "user-77",
        "4f1c2b9e-5d3a-4c1e-9b7f-2a6d8e0c1f34",
        "1234567890",
        "2024-01-15",
        "testing-team-lead",
        "cus_Nf9xK2",
    ] {
        assert!(
            findings(json!({"type": "track", "event": "A B", "userId": user_id})).is_empty(),
            "{user_id}"
        );
    }
    // An email or a placeholder elsewhere is not the userId's problem.
    assert!(
        findings(json!({"type": "identify", "userId": "user-1", "anonymousId": "test"})).is_empty()
    );
}

#[test]
fn a_blocked_user_id_is_reported_once_as_blocked() {
    let found = findings_with(
        &blocking(&["abc123"]),
        json!({"type": "track", "event": "A B", "userId": "abc123"}),
    );
    assert_eq!(codes(&found), ["identity/blocked-id@userId"]);
}

#[test]
fn the_inspector_applies_the_identity_rules() {
    let inspector = crate::inspect::Inspector {
        identity: blocking(&["void"]),
        ..crate::inspect::Inspector::default()
    };
    let found = inspector.inspect_text(r#"{"type":"track","event":"A B","userId":"void"}"#);
    assert!(
        found
            .iter()
            .any(|f| f.rule == BLOCKED_ID && f.path == "userId"),
        "{found:?}"
    );
}
