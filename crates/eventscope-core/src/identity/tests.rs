//! Unit tests of identity resolution: what a message promotes, and every matching case of
//! Segment's flat matching (the reference's worked example included).

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::model::json::Json;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().unwrap()
}

fn observe(graph: &mut IdentityGraph, seq: u64, at: DateTime<Utc>, message: Value) -> Observed {
    graph.observe(seq, at, &Json::from_value(&message))
}

fn ids(message: Value) -> Vec<(String, String)> {
    ids_with(message, &IdentitySettings::default())
}

fn ids_with(message: Value, settings: &IdentitySettings) -> Vec<(String, String)> {
    promote(&Json::from_value(&message), settings)
        .identifiers
        .into_iter()
        .map(|i| (i.kind.into_owned(), i.value.into_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn kinds_values(profile: &Profile) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = profile
        .identifiers()
        .iter()
        .map(|r| (r.kind.to_string(), r.value.to_string()))
        .collect();
    all.sort();
    all
}

// ---- identifiers -------------------------------------------------------------------------

#[test]
fn a_message_promotes_user_anonymous_and_email_ids() {
    let identify = json!({"type":"identify","userId":"u1","anonymousId":"a1",
        "traits":{"email":"jane@x.com"},"context":{"traits":{"email":"other@x.com"}}});
    assert_eq!(
        ids(identify),
        pairs(&[
            (USER_ID, "u1"),
            (ANONYMOUS_ID, "a1"),
            (EMAIL, "jane@x.com"),
            (EMAIL, "other@x.com")
        ])
    );
    // traits.email counts on identify only; context.traits.email on any call.
    let track = json!({"type":"track","event":"E","anonymousId":"a1",
        "traits":{"email":"no@x.com"},"context":{"traits":{"email":"yes@x.com"}}});
    assert_eq!(
        ids(track),
        pairs(&[(ANONYMOUS_ID, "a1"), (EMAIL, "yes@x.com")])
    );
    // A numeric userId is its text; other JSON types are no identifier.
    assert_eq!(
        ids(json!({"type":"track","userId":42,"anonymousId":{"x":1}})),
        pairs(&[(USER_ID, "42")])
    );
}

#[test]
fn device_ids_and_push_tokens_go_by_device_type() {
    let ios = json!({"type":"track","context":{"device":{"type":"ios","id":"D1",
        "advertisingId":"AD1","adTrackingEnabled":true,"token":"T1"}}});
    assert_eq!(
        ids(ios),
        pairs(&[
            ("ios.id", "D1"),
            ("ios.idfa", "AD1"),
            ("ios.push_token", "T1")
        ])
    );
    let android = json!({"type":"track","context":{"device":{"type":"android","id":"D2",
        "advertisingId":"AD2","adTrackingEnabled":false,"token":"T2"}}});
    assert_eq!(
        ids(android),
        pairs(&[("android.id", "D2"), ("android.push_token", "T2")]),
        "no advertising id without ad tracking"
    );
    let web = json!({"type":"track","context":{"device":{"id":"D3","token":"T3"}}});
    assert_eq!(ids(web), pairs(&[]), "no device type, no device identifier");
}

#[test]
fn ga_client_id_external_ids_and_extra_paths() {
    let message = json!({"type":"track","context":{
        "integrations":{"Google Analytics":{"clientId":"GA.1"}},
        "externalIds":[
            {"id":"c-9","type":"crm_id","collection":"users","encoding":"none"},
            {"id":"acct-1","type":"salesforce","collection":"accounts","encoding":"none"},
            {"id":"x","collection":"users"}
        ]},
        "properties":{"loyalty":{"card":"L-77"}}});
    assert_eq!(
        ids(message.clone()),
        pairs(&[(GA_CLIENT_ID, "GA.1"), ("crm_id", "c-9")])
    );
    let settings = IdentitySettings {
        extra: vec![ExtraIdentifier {
            kind: "loyalty_card".into(),
            path: "properties.loyalty.card".into(),
        }],
        ..IdentitySettings::default()
    };
    assert_eq!(
        ids_with(message, &settings),
        pairs(&[
            (GA_CLIENT_ID, "GA.1"),
            ("crm_id", "c-9"),
            ("loyalty_card", "L-77")
        ])
    );
}

#[test]
fn blocked_values_are_reported_not_promoted() {
    let settings = IdentitySettings::default();
    let message = json!({"type":"identify","userId":"anonymous","anonymousId":"000-000",
        "traits":{"email":"null"},"context":{"device":{"type":"ios","id":"-1"}}});
    let json = Json::from_value(&message);
    let promoted = promote(&json, &settings);
    assert!(promoted.identifiers.is_empty());
    let blocked: Vec<(&str, &str)> = promoted
        .blocked
        .iter()
        .map(|b| (b.path.as_ref(), b.identifier.value.as_ref()))
        .collect();
    assert_eq!(
        blocked,
        [
            ("userId", "anonymous"),
            ("anonymousId", "000-000"),
            ("traits.email", "null"),
            ("context.device.id", "-1")
        ]
    );

    // A team's own hard-coded test ids.
    let custom = IdentitySettings {
        blocked: vec![
            Blocked::Exact("abc123".into()),
            Blocked::Pattern(regex::Regex::new("^qa-").unwrap()),
        ],
        ..IdentitySettings::default()
    };
    let message = json!({"type":"track","userId":"abc123","anonymousId":"qa-7",
        "context":{"traits":{"email":"a@b.c"}}});
    assert_eq!(
        ids_with(message.clone(), &custom),
        pairs(&[(EMAIL, "a@b.c")])
    );
    // The graph says so too, and makes nothing of the blocked values.
    let mut graph = IdentityGraph::new(custom);
    let seen = observe(&mut graph, 1, t0(), message);
    assert_eq!(seen.blocked.len(), 2);
    assert_eq!(seen.blocked[0].identifier.kind, USER_ID);
    assert!(graph.profile_of("abc123").is_none());
    assert!(graph.profile_of("a@b.c").is_some());
}

#[test]
fn the_value_entry_point_answers_the_same() {
    let message = json!({"type":"alias","userId":"u1","previousId":"a1","groupId":"g"});
    let settings = IdentitySettings::default();
    let owned = promote_value(&message, &settings);
    let json = Json::from_value(&message);
    assert_eq!(owned, promote(&json, &settings));
    let alias = owned.alias.unwrap();
    assert_eq!(
        (alias.previous_id.as_ref(), alias.user_id.as_ref()),
        ("a1", "u1")
    );
    assert_eq!(owned.group_id.as_deref(), Some("g"));
}

// ---- flat matching ------------------------------------------------------------------------

#[test]
fn no_match_makes_a_profile_and_one_match_adds_to_it() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let first = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    assert!(first.created);
    let id = first.profile.unwrap();
    let second = observe(
        &mut graph,
        2,
        t0() + Duration::minutes(5),
        json!({"type":"identify","anonymousId":"a1","userId":"u1"}),
    );
    assert_eq!(second.profile, Some(id));
    assert!(!second.created && second.merge.is_none() && second.refused.is_empty());
    let profile = graph.profile(id).unwrap();
    assert_eq!(
        kinds_values(profile),
        pairs(&[(ANONYMOUS_ID, "a1"), (USER_ID, "u1")])
    );
    let user = profile.identifier(USER_ID, "u1").unwrap();
    assert_eq!(
        (user.first_seq, user.first_seen),
        (2, t0() + Duration::minutes(5))
    );
    let anon = profile.identifier(ANONYMOUS_ID, "a1").unwrap();
    assert_eq!((anon.first_seq, anon.last_seq), (1, 2));
    assert_eq!(profile.message_count(), 2);
    assert_eq!(profile.recent_seqs().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(profile.first_seen(), t0());
    assert_eq!(profile.last_seen(), t0() + Duration::minutes(5));
    assert_eq!(profile.events().get("page"), Some(&1));
    assert_eq!(profile.events().get("identify"), Some(&1));
    // A message with no identifier belongs to no one.
    let nobody = observe(&mut graph, 3, t0(), json!({"type":"track","event":"E"}));
    assert_eq!(nobody.profile, None);
    assert_eq!(graph.len(), 1);
}

#[test]
fn several_matches_merge_and_the_merge_is_recorded() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let anon = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    )
    .profile
    .unwrap();
    observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    let user = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"track","event":"E","userId":"u1"}),
    )
    .profile
    .unwrap();
    let seen = observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1"}),
    );
    let merge = seen.merge.unwrap();
    assert_eq!(merge.seq, 4);
    assert_eq!(merge.into, anon, "the profile with most messages remains");
    assert_eq!(merge.joined, [anon, user]);
    let by: Vec<&str> = merge.by.iter().map(|i| i.value.as_ref()).collect();
    assert_eq!(by, ["u1", "a1"]);
    assert_eq!(graph.len(), 1);
    assert!(graph.profile(user).is_none());
    assert_eq!(graph.current(user), Some(anon));
    let profile = graph.profile_of("u1").unwrap();
    assert_eq!(profile.id(), anon);
    assert_eq!(profile.recent_seqs().collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(profile.merges(), [merge]);
    assert_eq!(graph.merge_total(), 1);
}

#[test]
fn one_message_merges_three_profiles() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let p1 = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    let p2 = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"track","event":"E","context":{"traits":{"email":"j@x"}}}),
    );
    let p3 = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"screen","context":{"device":{"type":"ios","id":"D1"}}}),
    );
    assert_eq!(graph.len(), 3);
    let seen = observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"j@x"},
            "context":{"device":{"type":"ios","id":"D1"}}}),
    );
    let merge = seen.merge.unwrap();
    let mut joined = merge.joined.clone();
    joined.sort();
    assert_eq!(
        joined,
        [
            p1.profile.unwrap(),
            p2.profile.unwrap(),
            p3.profile.unwrap()
        ]
    );
    assert_eq!(merge.by.len(), 3);
    assert_eq!(graph.len(), 1);
    let profile = graph.profile_of("D1").unwrap();
    assert_eq!(
        kinds_values(profile),
        pairs(&[
            (ANONYMOUS_ID, "a1"),
            (EMAIL, "j@x"),
            ("ios.id", "D1"),
            (USER_ID, "u1")
        ])
    );
    assert_eq!(profile.message_count(), 4);
    for value in ["a1", "j@x", "D1", "u1"] {
        assert_eq!(graph.profile_of(value).map(Profile::id), Some(profile.id()));
    }
}

#[test]
fn members_of_a_person_are_every_profile_merged_into_it_through_two_merges() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let a = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    let b = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"page","anonymousId":"a2"}),
    );
    let c = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"page","anonymousId":"a3"}),
    );
    let lone = observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"page","anonymousId":"z"}),
    );
    assert_eq!(graph.members_of("a1"), [a.profile.unwrap()]);
    // a1+a2 first, then that person with a3: a3's person is all three.
    observe(
        &mut graph,
        5,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1"}),
    );
    observe(
        &mut graph,
        6,
        t0(),
        json!({"type":"track","event":"E","userId":"u1","anonymousId":"a2"}),
    );
    observe(
        &mut graph,
        7,
        t0(),
        json!({"type":"track","event":"E","userId":"u1","anonymousId":"a3"}),
    );
    let mut expected = vec![a.profile.unwrap(), b.profile.unwrap(), c.profile.unwrap()];
    expected.sort();
    for value in ["a1", "a2", "a3", "u1"] {
        assert_eq!(graph.members_of(value), expected, "{value}");
    }
    assert_eq!(graph.members_of("z"), [lone.profile.unwrap()]);
    assert!(graph.members_of("nobody").is_empty());
}

#[test]
fn the_reference_example_a_second_user_id_makes_a_new_profile() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let jane = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"abc123","traits":{"email":"jane@x"}}),
    )
    .profile
    .unwrap();
    let seen = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"identify","userId":"abc456","traits":{"email":"jane@x"}}),
    );
    assert!(seen.created, "a new profile, not an addition to abc123's");
    let other = seen.profile.unwrap();
    assert_ne!(other, jane);
    assert_eq!(
        kinds_values(graph.profile(other).unwrap()),
        pairs(&[(USER_ID, "abc456")])
    );
    assert_eq!(
        kinds_values(graph.profile(jane).unwrap()),
        pairs(&[(EMAIL, "jane@x"), (USER_ID, "abc123")])
    );
    let refusal = &seen.refused[..];
    assert_eq!(refusal.len(), 1);
    assert_eq!(refusal[0].seq, 2);
    assert_eq!(refusal[0].rule, RULE_LIMIT);
    assert_eq!(refusal[0].identifier.kind, EMAIL);
    assert_eq!(refusal[0].identifier.value, "jane@x");
    assert_eq!(refusal[0].profile, Some(jane));
    assert_eq!(refusal[0].exceeded, USER_ID);
    assert_eq!(refusal[0].detail, "2nd user_id for email jane@x");
    assert_eq!(graph.refusals().collect::<Vec<_>>(), [&refusal[0]]);
    assert_eq!(graph.refusal_total(), 1);
}

#[test]
fn a_shared_device_is_refused_a_second_user() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let ipad = json!({"type":"ios","id":"9f1c2e77-aaaa-bbbb"});
    let first = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"u1","context":{"device":ipad}}),
    );
    let second = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"identify","userId":"u2","context":{"device":ipad}}),
    );
    assert!(second.created);
    assert_ne!(first.profile, second.profile);
    assert_eq!(second.refused[0].detail, "2nd user_id for ios.id 9f1c2e77…");
    // Merging two profiles that each hold a user_id is refused the same way: the message's
    // lowest-priority identifier (anonymous_id under email) gives way.
    observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"page","userId":"u3","anonymousId":"a3"}),
    );
    observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"identify","userId":"u4","traits":{"email":"e4@x"}}),
    );
    let bridge = observe(
        &mut graph,
        5,
        t0(),
        json!({"type":"track","event":"E","anonymousId":"a3","context":{"traits":{"email":"e4@x"}}}),
    );
    assert!(bridge.merge.is_none());
    assert_eq!(bridge.refused[0].identifier.kind, ANONYMOUS_ID);
    assert_eq!(bridge.profile, graph.profile_of("u4").map(Profile::id));
}

#[test]
fn a_profile_seeing_its_own_identifiers_again_is_never_refused() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let message = json!({"type":"identify","userId":"u1","anonymousId":"a1"});
    observe(&mut graph, 1, t0(), message.clone());
    let again = observe(&mut graph, 2, t0(), message);
    assert!(again.refused.is_empty());
    assert_eq!(graph.len(), 1);
}

#[test]
fn limits_with_a_window_count_only_values_seen_within_it() {
    let weekly = Limit {
        count: 1,
        period: Some(Period::Weekly),
    };
    let settings = IdentitySettings {
        limits: vec![
            (
                USER_ID.into(),
                Limit {
                    count: 1,
                    period: None,
                },
            ),
            (ANONYMOUS_ID.into(), weekly),
        ],
        ..IdentitySettings::default()
    };
    let mut graph = IdentityGraph::new(settings);
    let user = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1"}),
    )
    .profile
    .unwrap();
    // A 2nd anonymous_id within the week: refused (the anonymous_id is demoted, the message
    // still joins u1 by user_id).
    let within = observe(
        &mut graph,
        2,
        t0() + Duration::days(3),
        json!({"type":"identify","userId":"u1","anonymousId":"a2"}),
    );
    assert_eq!(within.profile, Some(user));
    assert_eq!(within.refused.len(), 1);
    assert_eq!(within.refused[0].identifier.value, "a2");
    assert_eq!(within.refused[0].detail, "2nd anonymous_id for user_id u1");
    assert!(graph.profile_of("a2").is_none());
    // After the window a1 no longer counts: a3 is added.
    let after = observe(
        &mut graph,
        3,
        t0() + Duration::days(8),
        json!({"type":"identify","userId":"u1","anonymousId":"a3"}),
    );
    assert!(after.refused.is_empty());
    assert_eq!(graph.profile_of("a3").map(Profile::id), Some(user));
    assert_eq!(graph.profile(user).map(|p| p.identifiers().len()), Some(3));
}

#[test]
fn the_default_limit_of_five_refuses_a_sixth_anonymous_id() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    for i in 1..=6 {
        let seen = observe(
            &mut graph,
            i,
            t0(),
            json!({"type":"page","userId":"u1","anonymousId":format!("a{i}")}),
        );
        assert_eq!(seen.refused.is_empty(), i <= 5, "message {i}");
    }
    let refused = graph.refusals().next().unwrap();
    assert_eq!(refused.detail, "6th anonymous_id for user_id u1");
}

#[test]
fn alias_is_kept_apart_and_merges_nothing() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let old = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"track","event":"E","userId":"old-77"}),
    )
    .profile
    .unwrap();
    let anon = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"page","anonymousId":"anon-1"}),
    )
    .profile
    .unwrap();
    // As analytics.js sends it: the anonymousId it aliases is also the call's anonymousId.
    let seen = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"alias","userId":"user-77","previousId":"old-77","anonymousId":"anon-1"}),
    );
    assert!(seen.merge.is_none());
    assert!(seen.created, "user-77 is a profile of its own");
    assert_ne!(seen.profile, Some(old));
    assert_ne!(seen.profile, Some(anon));
    let link = seen.alias.unwrap();
    assert_eq!(
        (link.seq, link.previous_id.as_str(), link.user_id.as_str()),
        (3, "old-77", "user-77")
    );
    assert_eq!(graph.aliases().collect::<Vec<_>>(), [&link]);
    assert_eq!(graph.alias_total(), 1);
    assert_eq!(graph.len(), 3);
    assert_eq!(graph.merge_total(), 0);
    assert!(graph.profile_of_identifier(USER_ID, "old-77").is_some());
}

#[test]
fn group_id_is_an_account_not_a_person() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let seen = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"group","userId":"u1","groupId":"acme"}),
    );
    let profile = graph.profile(seen.profile.unwrap()).unwrap();
    assert_eq!(profile.groups(), ["acme"]);
    assert!(graph.profile_of("acme").is_none());
    // Another person in the same account is another profile.
    observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"group","userId":"u2","groupId":"acme"}),
    );
    assert_eq!(graph.len(), 2);
}

#[test]
fn traits_last_write_wins_each_with_the_message_that_set_it() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"u1","traits":{"plan":"free","name":"Jane"}}),
    );
    observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"identify","anonymousId":"a9","traits":{"plan":"trial"}}),
    );
    observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"identify","userId":"u1","traits":{"plan":"pro","seats":3}}),
    );
    // Merging in the anonymous profile (older plan) keeps the later value.
    observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"page","userId":"u1","anonymousId":"a9"}),
    );
    let traits = graph.profile_of("u1").unwrap().traits();
    let got: Vec<(&str, &str, u64)> = traits
        .iter()
        .map(|(k, v)| (k.as_str(), v.value.as_str(), v.seq))
        .collect();
    assert_eq!(
        got,
        [
            ("name", "\"Jane\"", 1),
            ("plan", "\"pro\"", 3),
            ("seats", "3", 3)
        ]
    );
}

#[test]
fn the_identifier_cap_drops_new_ones_and_counts_them() {
    let settings = IdentitySettings {
        max_identifiers: 3,
        ..IdentitySettings::default()
    };
    let mut graph = IdentityGraph::new(settings);
    observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","userId":"u1","anonymousId":"a1"}),
    );
    let partly = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"page","userId":"u2","anonymousId":"a2"}),
    );
    assert_eq!(partly.dropped, 1, "u2 fits, a2 does not");
    let none = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"page","anonymousId":"a3"}),
    );
    assert_eq!((none.profile, none.dropped), (None, 1));
    // Known identifiers still match.
    let known = observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    assert_eq!(known.profile, graph.profile_of("u1").map(Profile::id));
    assert_eq!(graph.identifier_count(), 3);
    assert_eq!(graph.dropped_identifiers(), 2);
}

#[test]
fn message_seqs_are_bounded_and_counts_stay_whole() {
    let mut graph = IdentityGraph::new(IdentitySettings::default()).with_recent_messages(3);
    for seq in 1..=5 {
        observe(
            &mut graph,
            seq,
            t0(),
            json!({"type":"track","event":"E","userId":"u1"}),
        );
    }
    observe(
        &mut graph,
        6,
        t0(),
        json!({"type":"page","anonymousId":"a1"}),
    );
    observe(
        &mut graph,
        7,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1"}),
    );
    let profile = graph.profile_of("a1").unwrap();
    assert_eq!(profile.message_count(), 7);
    assert_eq!(profile.recent_seqs().collect::<Vec<_>>(), [5, 6, 7]);
    assert_eq!(profile.events().get("E"), Some(&5));
}

#[test]
fn biggest_profiles_come_first() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    observe(&mut graph, 1, t0(), json!({"type":"page","userId":"small"}));
    for seq in 2..=4 {
        observe(&mut graph, seq, t0(), json!({"type":"page","userId":"big"}));
    }
    let order: Vec<&str> = graph
        .profiles_by_size()
        .iter()
        .map(|p| &*p.identifiers()[0].value)
        .collect();
    assert_eq!(order, ["big", "small"]);
}

#[test]
fn ordinals_and_abbreviations() {
    let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal).to_vec();
    assert_eq!(
        got,
        [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"
        ]
    );
    assert_eq!(abbreviate("short"), "short");
    assert_eq!(abbreviate("9f1c2e77-aaaa-bbbb"), "9f1c2e77…");
}

#[test]
fn external_ids_and_device_ids_join_profiles_like_any_identifier() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let crm = json!([{"id":"c-9","type":"crm_id","collection":"users","encoding":"none"}]);
    let web = observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"page","anonymousId":"w1","context":{"externalIds":crm}}),
    );
    let phone = observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"screen","context":{"device":{"type":"android","id":"D9"}}}),
    );
    let both = observe(
        &mut graph,
        3,
        t0(),
        json!({"type":"track","event":"E","context":{"externalIds":crm,
            "device":{"type":"android","id":"D9"}}}),
    );
    let merge = both.merge.unwrap();
    assert_eq!(merge.joined, [web.profile.unwrap(), phone.profile.unwrap()]);
    let kinds: Vec<&str> = merge.by.iter().map(|i| i.kind.as_ref()).collect();
    assert_eq!(kinds, ["android.id", "crm_id"]);
    assert_eq!(
        graph
            .profile_of_identifier("crm_id", "c-9")
            .map(Profile::id),
        graph.profile_of("D9").map(Profile::id)
    );
    // The same device id under another device type is another identifier.
    let ios = observe(
        &mut graph,
        4,
        t0(),
        json!({"type":"screen","context":{"device":{"type":"ios","id":"D9"}}}),
    );
    assert!(ios.created);
    assert!(graph.profile_of_identifier("ios.id", "D9").is_some());
}

// ---- properties ---------------------------------------------------------------------------

fn small_id() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some("0".to_string())),
        6 => (0..6u8).prop_map(|n| Some(format!("v{n}"))),
    ]
}

fn message() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("identify"),
            Just("track"),
            Just("page"),
            Just("alias"),
            Just("group")
        ],
        small_id(),
        small_id(),
        small_id(),
        small_id(),
        any::<bool>(),
    )
        .prop_map(|(call, user, anon, email, device, ext)| {
            let mut m = json!({"type": call, "event": "E", "traits": {"plan": call}});
            if let Some(u) = user {
                m["userId"] = json!(u);
            }
            if let Some(a) = anon {
                m["anonymousId"] = json!(a);
                m["previousId"] = json!(a);
            }
            if let Some(e) = email {
                m["context"]["traits"]["email"] = json!(e);
            }
            if let Some(d) = device {
                m["context"]["device"] = json!({"type": "android", "id": d});
            }
            if ext {
                m["context"]["externalIds"] =
                    json!([{"id": "v1", "type": USER_ID, "collection": "users"}]);
            }
            m
        })
}

proptest! {
    #[test]
    fn random_messages_never_panic_and_each_identifier_has_one_profile(
        messages in proptest::collection::vec((message(), 0..20i64), 1..60),
        weekly in any::<bool>(),
        cap in 2..40usize,
    ) {
        let mut settings = IdentitySettings { max_identifiers: cap, ..IdentitySettings::default() };
        if weekly {
            settings.default_limit = Limit { count: 2, period: Some(Period::Weekly) };
        }
        let mut graph = IdentityGraph::new(settings).with_recent_messages(5);
        for (seq, (m, day)) in messages.iter().enumerate() {
            observe(&mut graph, seq as u64, t0() + Duration::days(*day), m.clone());
        }
        let mut held = std::collections::HashMap::new();
        for profile in graph.profiles_by_size() {
            prop_assert!(!profile.identifiers().is_empty());
            prop_assert!(profile.recent_seqs().len() <= 5);
            for r in profile.identifiers() {
                let owner = held.insert((r.kind.to_string(), r.value.to_string()), profile.id());
                prop_assert_eq!(owner, None, "{:?} in two profiles", r);
                prop_assert_eq!(
                    graph.profile_of_identifier(&r.kind, &r.value).map(Profile::id),
                    Some(profile.id())
                );
            }
        }
        prop_assert_eq!(held.len(), graph.identifier_count());
        prop_assert!(graph.identifier_count() <= cap);
    }
}

#[test]
fn the_record_of_shared_identifiers_is_bounded() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let mut seq = 0;
    let mut next = || {
        seq += 1;
        seq
    };
    // Each device refused once (a 2nd user): one tracked identifier each, up to the bound.
    for device in 0..=MAX_SHARED_IDENTIFIERS {
        for user in ["a", "b"] {
            let s = next();
            observe(
                &mut graph,
                s,
                t0(),
                json!({"type": "track", "event": "A B", "userId": format!("{user}-{device}"),
                    "context": {"device": {"type": "android", "id": format!("d-{device}")}}}),
            );
        }
    }
    assert_eq!(graph.shared_untracked(), 1);
    // A value longer than the key bound is not tracked either.
    let long = "x".repeat(MAX_KEY_BYTES + 1);
    for user in ["a", "b"] {
        let s = next();
        observe(
            &mut graph,
            s,
            t0(),
            json!({"type": "page", "userId": user, "anonymousId": long}),
        );
    }
    assert_eq!(graph.shared_untracked(), 2);

    // Past the users kept per identifier, no new user id is counted.
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let mut last = None;
    for user in 0..MAX_USERS_PER_IDENTIFIER + 5 {
        let observed = observe(
            &mut graph,
            user as u64 + 1,
            t0(),
            json!({"type": "page", "userId": format!("u{user}"), "anonymousId": "kiosk"}),
        );
        if let Some(shared) = observed.shared.last() {
            last = Some(shared.clone());
        }
    }
    let last = last.unwrap();
    assert_eq!(last.users, MAX_USERS_PER_IDENTIFIER);
    assert_eq!(last.seqs.len(), MAX_SHARED_SEQS);
}

#[test]
fn a_graph_without_traits_keeps_ids_but_no_traits() {
    let mut graph = IdentityGraph::new(IdentitySettings::default()).without_traits();
    observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"u1","anonymousId":"a1","traits":{"plan":"pro","x1":1}}),
    );
    let profile = graph.profile_of("u1").unwrap();
    assert!(profile.traits().is_empty());
    assert_eq!(kinds_values(profile).len(), 2);
}

#[test]
fn a_profile_keeps_at_most_max_traits_names_and_cuts_long_values() {
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let mut traits = serde_json::Map::new();
    for i in 0..MAX_TRAITS + 50 {
        traits.insert(format!("t{i:04}"), json!(i));
    }
    traits.insert("bio".into(), json!("é".repeat(MAX_TRAIT_BYTES)));
    observe(
        &mut graph,
        1,
        t0(),
        json!({"type":"identify","userId":"u1","traits": traits}),
    );
    let profile = graph.profile_of("u1").unwrap();
    assert_eq!(profile.traits().len(), MAX_TRAITS);
    // A name already held is still updated past the cap.
    observe(
        &mut graph,
        2,
        t0(),
        json!({"type":"identify","userId":"u1","traits":{"bio":"short","t0000":"new"}}),
    );
    let profile = graph.profile_of("u1").unwrap();
    assert_eq!(profile.traits().get("t0000").unwrap().value, "\"new\"");
    assert_eq!(profile.traits().len(), MAX_TRAITS);
    let mut long = IdentityGraph::new(IdentitySettings::default());
    observe(
        &mut long,
        1,
        t0(),
        json!({"type":"identify","userId":"u2","traits":{"bio": "é".repeat(MAX_TRAIT_BYTES)}}),
    );
    let bio = &long
        .profile_of("u2")
        .unwrap()
        .traits()
        .get("bio")
        .unwrap()
        .value;
    assert!(
        bio.len() <= MAX_TRAIT_BYTES + '…'.len_utf8(),
        "{}",
        bio.len()
    );
    assert!(bio.ends_with('…'));
}
