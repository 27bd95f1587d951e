//! Unit tests of the cross-message identity verdicts: each rule, the seqs it names, and the
//! ordinary traffic that gives none.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::identity::{IdentityGraph, IdentitySettings};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().unwrap()
}

/// Observes `message` as `seq` and answers the cross-message findings.
fn feed(graph: &mut IdentityGraph, seq: u64, message: Value) -> Vec<Finding> {
    let observed = graph.observe(seq, t0(), &Json::from_value(&message));
    across(&observed, graph)
}

/// Feeds the messages as seqs 1, 2, …; answers every finding with the seq it came with.
fn feed_all(graph: &mut IdentityGraph, messages: Vec<Value>) -> Vec<(u64, Finding)> {
    let mut out = Vec::new();
    for (seq, message) in (1..).zip(messages) {
        out.extend(feed(graph, seq, message).into_iter().map(|f| (seq, f)));
    }
    out
}

fn graph() -> IdentityGraph {
    IdentityGraph::new(IdentitySettings::default())
}

fn ipad(user: &str) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": user,
        "context": {"device": {"type": "ios", "id": "ipad-store-1"}}})
}

#[test]
fn ordinary_anonymous_browsing_then_login_gives_nothing() {
    let mut g = graph();
    let found = feed_all(
        &mut g,
        vec![
            json!({"type": "page", "anonymousId": "anon-1"}),
            json!({"type": "track", "event": "Signed Up", "anonymousId": "anon-1"}),
            json!({"type": "identify", "userId": "user-1", "anonymousId": "anon-1",
                "traits": {"email": "jane@example.com"}}),
            json!({"type": "track", "event": "Order Completed", "userId": "user-1"}),
            // analytics.js' alias after identify: both ids already one profile.
            json!({"type": "alias", "previousId": "anon-1", "userId": "user-1",
                "anonymousId": "anon-1"}),
            json!({"type": "page", "anonymousId": "anon-2", "userId": "user-1"}),
        ],
    );
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(g.len(), 1);
}

#[test]
fn a_second_user_id_on_one_anonymous_id_is_a_refused_merge_naming_the_first() {
    let mut g = graph();
    let anon = "9f1c2e77-4b1d-4a8e-9c2f-1d2e3f4a5b6c";
    let found = feed_all(
        &mut g,
        vec![
            json!({"type": "identify", "userId": "user-1", "anonymousId": anon}),
            json!({"type": "page", "anonymousId": "other"}),
            json!({"type": "identify", "userId": "user-2", "anonymousId": anon}),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let (seq, finding) = &found[0];
    assert_eq!(*seq, 3);
    assert_eq!(finding.rule, MERGE_REFUSED);
    assert_eq!(finding.kind, Kind::Identity);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.path, "anonymousId");
    let m = &finding.message;
    assert!(
        m.starts_with("2nd user_id for anonymous_id 9f1c2e77…: shared device or hard-coded id?"),
        "{m}"
    );
    assert!(m.contains("would not add anonymous_id 9f1c2e77…"), "{m}");
    assert!(
        m.contains("started a new profile p3 instead of merging into p1, which holds user_id user-1 (seq 1)"),
        "{m}"
    );
    // The message that put user-1 (and the anonymousId) in p1.
    assert_eq!(finding.seqs, [1]);
    assert_eq!(
        finding.expected.as_deref(),
        Some("at most 1 user_id per profile ([identity] limits)")
    );
}

#[test]
fn a_sixth_anonymous_id_names_the_five_held_and_the_profile_joined() {
    let mut g = graph();
    let mut messages: Vec<Value> = (1..=6)
        .map(|n| json!({"type": "track", "event": "A B", "userId": "abc123", "anonymousId": format!("a{n}")}))
        .collect();
    // Seen again: no refusal.
    messages
        .push(json!({"type": "track", "event": "A B", "userId": "abc123", "anonymousId": "a2"}));
    let found = feed_all(&mut g, messages);
    assert_eq!(found.len(), 1, "{found:?}");
    let (seq, finding) = &found[0];
    assert_eq!(*seq, 6);
    assert_eq!(finding.rule, MERGE_REFUSED);
    assert!(
        finding
            .message
            .starts_with("6th anonymous_id for user_id abc123"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains(
            "the message joined profile p1, which holds anonymous_id a1 (seq 1), a2 (seq 2), \
             a3 (seq 3) and 2 more"
        ),
        "{}",
        finding.message
    );
    assert_eq!(finding.seqs, [1, 2, 3, 4, 5]);
}

#[test]
fn a_device_seen_with_more_users_than_the_setting_is_shared_on_crossing_and_each_new_user() {
    let mut g = graph();
    let users = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u3", "u8"];
    let found = feed_all(&mut g, users.iter().map(|u| ipad(u)).collect());
    let refused: Vec<u64> = found
        .iter()
        .filter(|(_, f)| f.rule == MERGE_REFUSED)
        .map(|(seq, _)| *seq)
        .collect();
    // Every user after the first is refused the device (user_id limit 1).
    assert_eq!(refused, [2, 3, 4, 5, 6, 7, 8, 9]);
    let shared: Vec<&(u64, Finding)> = found
        .iter()
        .filter(|(_, f)| f.rule == SHARED_IDENTIFIER)
        .collect();
    // The 6th user crosses 5; u7 and u8 are new after it; u3 again is not.
    let at: Vec<u64> = shared.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(at, [6, 7, 9]);
    let (_, first) = shared[0];
    assert_eq!(first.path, "context.device.id");
    assert_eq!(first.severity, Severity::Warning);
    assert!(
        first
            .message
            .starts_with("ios.id ipad-store-1 has been seen with 6 user ids across refused merges (u1, u2, u3, …)"),
        "{}",
        first.message
    );
    // The messages that first showed each other user with the device.
    assert_eq!(first.seqs, [1, 2, 3, 4, 5]);
    let (_, last) = shared[2];
    assert!(last.message.contains("8 user ids"), "{}", last.message);
    assert_eq!(last.seqs, [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn the_shared_threshold_is_the_setting() {
    let settings = IdentitySettings {
        shared_identifier_users: 2,
        ..IdentitySettings::default()
    };
    let mut g = IdentityGraph::new(settings);
    let found = feed_all(&mut g, ["u1", "u2", "u3"].iter().map(|u| ipad(u)).collect());
    let shared: Vec<u64> = found
        .iter()
        .filter(|(_, f)| f.rule == SHARED_IDENTIFIER)
        .map(|(seq, _)| *seq)
        .collect();
    assert_eq!(shared, [3]);
    // At the default (5) the same three users are no shared device.
    let found = feed_all(
        &mut graph(),
        ["u1", "u2", "u3"].iter().map(|u| ipad(u)).collect(),
    );
    assert!(found.iter().all(|(_, f)| f.rule != SHARED_IDENTIFIER));
}

#[test]
fn an_alias_between_two_user_ids_in_two_profiles_is_the_only_link() {
    let mut g = graph();
    let found = feed_all(
        &mut g,
        vec![
            json!({"type": "identify", "userId": "old-77", "traits": {"plan": "pro"}}),
            json!({"type": "track", "event": "A B", "userId": "user-77"}),
            json!({"type": "track", "event": "A B", "userId": "old-77"}),
            json!({"type": "alias", "previousId": "old-77", "userId": "user-77"}),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let (seq, finding) = &found[0];
    assert_eq!(*seq, 4);
    assert_eq!(finding.rule, ALIAS_ONLY_LINK);
    assert_eq!(finding.path, "previousId");
    assert_eq!(finding.severity, Severity::Warning);
    let m = &finding.message;
    assert!(
        m.starts_with(
            "alias joins user_id old-77 (p1, seen at seqs 1–3) to userId user-77 (p2, seen at \
             seq 2): joined in Mixpanel, two profiles in Unify"
        ),
        "{m}"
    );
    assert!(m.contains("two userIds stay two people"), "{m}");
    assert_eq!(finding.seqs, [1, 2, 3]);
    assert_eq!(finding.actual.as_deref(), Some("p1 and p2"));
}

#[test]
fn an_alias_from_an_anonymous_id_says_to_identify_with_both() {
    let mut g = graph();
    let found = feed_all(
        &mut g,
        vec![
            json!({"type": "page", "anonymousId": "anon-1"}),
            json!({"type": "alias", "previousId": "anon-1", "userId": "user-9"}),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let finding = &found[0].1;
    assert_eq!(finding.rule, ALIAS_ONLY_LINK);
    assert!(
        finding.message.contains("user-9 (p2, first seen here)"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.ends_with(
            "send an identify with both ids (userId \"user-9\", anonymousId \"anon-1\")"
        ),
        "{}",
        finding.message
    );
    assert_eq!(finding.seqs, [1]);
}

#[test]
fn an_alias_whose_previous_id_was_never_seen_is_info() {
    let mut g = graph();
    let found = feed_all(
        &mut g,
        vec![
            json!({"type": "track", "event": "A B", "userId": "user-9"}),
            json!({"type": "alias", "previousId": "ghost-1", "userId": "user-9"}),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let (seq, finding) = &found[0];
    assert_eq!(*seq, 2);
    assert_eq!(finding.rule, ALIAS_UNSEEN_PREVIOUS);
    assert_eq!(finding.severity, Severity::Info);
    assert_eq!(finding.path, "previousId");
    assert!(
        finding
            .message
            .starts_with("alias previousId \"ghost-1\" was never seen as an identifier"),
        "{}",
        finding.message
    );
    assert!(finding.seqs.is_empty());
}

#[test]
fn seqs_are_serialized_only_when_named() {
    let mut g = graph();
    feed(
        &mut g,
        1,
        json!({"type": "identify", "userId": "u1", "anonymousId": "a1"}),
    );
    let found = feed(
        &mut g,
        2,
        json!({"type": "identify", "userId": "u2", "anonymousId": "a1"}),
    );
    let value = serde_json::to_value(&found[0]).unwrap();
    assert_eq!(value["seqs"], json!([1]), "{value}");
    let plain = Finding::new(Kind::Identity, BLOCKED_ID, "userId", Severity::Warning, "x");
    let value = serde_json::to_value(&plain).unwrap();
    assert!(value.get("seqs").is_none(), "{value}");
}
