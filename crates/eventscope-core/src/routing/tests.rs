//! Routing's unit tests: every row of the reference's consent × integrations reconciliation,
//! the integrations object, destination filters and call types.

use super::*;
use crate::model::json::Json;

/// A hand-written condition, so these tests do not depend on FQL (tested on its own).
struct When(Box<Test>);

type Test = dyn Fn(&Json<'_>) -> Result<bool, String> + Send + Sync;

impl Condition for When {
    fn matches(&self, message: &Json<'_>) -> Result<bool, String> {
        (self.0)(message)
    }
}

fn always() -> Box<dyn Condition> {
    Box::new(When(Box::new(|_| Ok(true))))
}

fn event_is(name: &'static str) -> Box<dyn Condition> {
    Box::new(When(Box::new(move |m| {
        Ok(m.get("event").and_then(Json::as_str) == Some(name))
    })))
}

fn destination(name: &str, consent: &[&str]) -> Destination {
    Destination {
        segment_name: name.to_string(),
        consent: consent.iter().map(|c| c.to_string()).collect(),
        filters: Vec::new(),
        supports: supports_all,
    }
}

fn filtered(filters: Vec<Filter>) -> Destination {
    Destination {
        filters,
        ..destination("Webhooks", &[])
    }
}

fn paths(texts: &[&str]) -> Vec<FieldPath> {
    texts.iter().map(|t| FieldPath::parse(t).unwrap()).collect()
}

fn verdict(text: &str, destination: &Destination) -> Verdict {
    route(&Json::parse(text).unwrap(), destination)
}

fn routed() -> Verdict {
    Verdict::Routed {
        stripped: Vec::new(),
    }
}

fn dropped(reason: Reason, rule: &str) -> Verdict {
    Verdict::Dropped {
        reason,
        rule: rule.to_string(),
    }
}

/// A mapped (Analytics) and an unmapped destination.
fn workspace() -> [Destination; 2] {
    [
        destination("Amplitude", &["Analytics"]),
        destination("Webhooks", &[]),
    ]
}

// The consent × integrations reconciliation table, row by row.

#[test]
fn no_consent_object_and_no_integrations_reaches_every_destination() {
    for d in workspace() {
        assert_eq!(verdict(r#"{"type":"track","event":"A"}"#, &d), routed());
    }
}

#[test]
fn an_empty_consent_object_without_integrations_reaches_every_destination() {
    let text = r#"{"type":"track","context":{"consent":{}}}"#;
    for d in workspace() {
        assert_eq!(verdict(text, &d), routed());
    }
}

#[test]
fn an_empty_category_preferences_denies_mapped_destinations_only() {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":{}}}}"#;
    let [mapped, unmapped] = workspace();
    assert_eq!(
        verdict(text, &mapped),
        dropped(
            Reason::Consent,
            "consent Analytics not given (categoryPreferences is empty)"
        )
    );
    assert_eq!(verdict(text, &unmapped), routed());
}

#[test]
fn an_empty_category_preferences_with_integrations_reaches_unmapped_destinations_set_true_or_not_named()
 {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":{}}},
        "integrations":{"Amplitude":true,"Webhooks":true,"Mixpanel":false}}"#;
    let [mapped, unmapped] = workspace();
    // Set true, but mapped: consent comes first.
    assert_eq!(verdict(text, &mapped).reason(), Some(Reason::Consent));
    assert_eq!(verdict(text, &unmapped), routed());
    assert_eq!(verdict(text, &destination("PostHog", &[])), routed());
    assert_eq!(
        verdict(text, &destination("Mixpanel", &[])),
        dropped(Reason::Integrations, "integrations.Mixpanel = false")
    );
}

#[test]
fn a_destination_mapped_to_several_categories_needs_every_one_true() {
    let ga4 = destination("Google Analytics 4", &["Analytics", "Advertising"]);
    let both = r#"{"type":"track","context":{"consent":{"categoryPreferences":
        {"Analytics":true,"Advertising":true}}}}"#;
    let one = r#"{"type":"track","context":{"consent":{"categoryPreferences":
        {"Analytics":true,"Advertising":false}}}}"#;
    let missing = r#"{"type":"track","context":{"consent":{"categoryPreferences":
        {"Analytics":true}}}}"#;
    assert_eq!(verdict(both, &ga4), routed());
    assert_eq!(
        verdict(one, &ga4),
        dropped(Reason::Consent, "consent Advertising not given")
    );
    assert_eq!(
        verdict(missing, &ga4),
        dropped(Reason::Consent, "consent Advertising not given")
    );
}

#[test]
fn categories_the_workspace_does_not_know_reach_unmapped_destinations() {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":
        {"C0042":true}}}}"#;
    let [mapped, unmapped] = workspace();
    assert_eq!(verdict(text, &unmapped), routed());
    assert_eq!(
        verdict(text, &mapped),
        dropped(Reason::Consent, "consent Analytics not given")
    );
}

#[test]
fn the_integrations_object_can_still_turn_a_consented_destination_off() {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":
        {"Advertising":true}}},"integrations":{"Facebook":false}}"#;
    let facebook = destination("Facebook", &["Advertising"]);
    assert_eq!(
        verdict(text, &facebook),
        dropped(Reason::Integrations, "integrations.Facebook = false")
    );
    assert_eq!(
        verdict(text, &destination("Amplitude", &["Advertising"])),
        routed()
    );
}

#[test]
fn a_category_preferences_that_is_not_an_object_never_fails_open() {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":"yes"}}}"#;
    let [mapped, unmapped] = workspace();
    assert_eq!(verdict(text, &mapped).reason(), Some(Reason::Consent));
    assert_eq!(verdict(text, &unmapped), routed());
}

// The integrations object.

#[test]
fn all_false_reaches_only_destinations_set_true_or_to_an_options_object() {
    let text = r#"{"type":"track","integrations":{"All":false,"Amplitude":true,
        "Google Analytics 4":{"clientId":"1.2"}}}"#;
    assert_eq!(verdict(text, &destination("Amplitude", &[])), routed());
    assert_eq!(
        verdict(text, &destination("Google Analytics 4", &[])),
        routed()
    );
    assert_eq!(
        verdict(text, &destination("Mixpanel", &[])),
        dropped(
            Reason::Integrations,
            "integrations.All = false (Mixpanel not enabled)"
        )
    );
}

#[test]
fn integrations_names_are_the_catalog_names_and_alias_calls_pass() {
    let mixpanel = destination("Mixpanel", &[]);
    let alias = r#"{"type":"alias","integrations":{"Mixpanel":false}}"#;
    assert_eq!(verdict(alias, &mixpanel), routed());
    let other_case = r#"{"type":"identify","integrations":{"mixpanel":false}}"#;
    assert_eq!(verdict(other_case, &mixpanel), routed());
    let object_all = r#"{"type":"page","integrations":{"All":true,"Mixpanel":false}}"#;
    assert_eq!(
        verdict(object_all, &mixpanel).reason(),
        Some(Reason::Integrations)
    );
}

// Destination filters.

#[test]
fn a_drop_filter_drops_matching_messages_and_names_itself() {
    let hook = filtered(vec![
        Filter {
            condition: event_is("Other"),
            text: "event = 'Other'".into(),
            action: FilterAction::Drop,
        },
        Filter {
            condition: event_is("Test Event"),
            text: "event = 'Test Event'".into(),
            action: FilterAction::Drop,
        },
    ]);
    assert_eq!(
        verdict(r#"{"type":"track","event":"Test Event"}"#, &hook),
        dropped(Reason::Filter, "filter 2 drops: event = 'Test Event'")
    );
    assert_eq!(
        verdict(r#"{"type":"track","event":"Order Completed"}"#, &hook),
        routed()
    );
}

#[test]
fn a_condition_that_cannot_be_evaluated_drops_the_message() {
    let hook = filtered(vec![Filter {
        condition: Box::new(When(Box::new(|_| Err("unknown function `upper`".into())))),
        text: "upper(event) = 'A'".into(),
        action: FilterAction::BlockFields(paths(&["properties.email"])),
    }]);
    assert_eq!(
        verdict(r#"{"type":"track","event":"A"}"#, &hook),
        dropped(
            Reason::Filter,
            "filter 1 cannot be evaluated, so it drops: unknown function `upper`"
        )
    );
}

fn sampler(percent: f64) -> Destination {
    filtered(vec![Filter {
        condition: always(),
        text: "type = 'track'".into(),
        action: FilterAction::Sample { percent },
    }])
}

#[test]
fn sampling_is_repeatable_and_keeps_about_the_percent() {
    let hook = sampler(25.0);
    let messages: Vec<String> = (0..4000)
        .map(|i| format!(r#"{{"type":"track","messageId":"msg-{i}"}}"#))
        .collect();
    let first: Vec<bool> = messages
        .iter()
        .map(|m| verdict(m, &hook).is_routed())
        .collect();
    let again: Vec<bool> = messages
        .iter()
        .map(|m| verdict(m, &hook).is_routed())
        .collect();
    assert_eq!(first, again);
    let kept = first.iter().filter(|k| **k).count();
    assert!((800..1200).contains(&kept), "kept {kept} of 4000 at 25 %");
    // Fixed buckets: a change of hash is a change of which messages a user sees forwarded.
    assert_eq!(sample_bucket(""), sample_bucket(""));
    assert_ne!(sample_bucket("msg-1"), sample_bucket("msg-2"));
    assert!(verdict(&messages[0], &sampler(100.0)).is_routed());
    assert_eq!(
        verdict(&messages[0], &sampler(0.0)),
        dropped(
            Reason::Filter,
            "filter 1 samples 0 %, not this one: type = 'track'"
        )
    );
}

const ORDER: &str = r#"{"type":"track","event":"Order Completed","messageId":"m1",
    "properties":{"total":30,"email":"a@b.c","products":[{"sku":"A","price":10},
    {"sku":"B","price":20,"name":"b"}]},
    "context":{"ip":"1.2.3.4","library":{"name":"analytics.js","version":"1"}},
    "traits":{"email":"a@b.c"}}"#;

fn stripped(destination: &Destination) -> Vec<String> {
    match verdict(ORDER, destination) {
        Verdict::Routed { stripped } => stripped,
        other => panic!("dropped: {other:?}"),
    }
}

#[test]
fn block_fields_lists_the_fields_present_incl_array_elements() {
    let hook = filtered(vec![Filter {
        condition: always(),
        text: "all".into(),
        action: FilterAction::BlockFields(paths(&[
            "properties.email",
            "properties.products.price",
            "properties.absent",
            "context.ip",
        ])),
    }]);
    assert_eq!(
        stripped(&hook),
        [
            "properties.email",
            "properties.products.price",
            "context.ip"
        ]
    );
}

#[test]
fn allow_fields_keeps_only_the_listed_fields_of_the_sections_it_names() {
    let hook = filtered(vec![Filter {
        condition: always(),
        text: "all".into(),
        action: FilterAction::AllowFields(paths(&[
            "properties.total",
            "properties.products.sku",
            "context.library",
        ])),
    }]);
    // traits is named by no path: left alone.
    assert_eq!(
        stripped(&hook),
        [
            "properties.email",
            "properties.products.price",
            "properties.products.name",
            "context.ip"
        ]
    );
}

#[test]
fn field_filters_act_only_on_matching_messages_and_accumulate_in_order() {
    let hook = filtered(vec![
        Filter {
            condition: event_is("Signed Up"),
            text: "event = 'Signed Up'".into(),
            action: FilterAction::BlockFields(paths(&["traits.email"])),
        },
        Filter {
            condition: event_is("Order Completed"),
            text: "event = 'Order Completed'".into(),
            action: FilterAction::BlockFields(paths(&["context.ip", "properties.email"])),
        },
        Filter {
            condition: always(),
            text: "all".into(),
            action: FilterAction::BlockFields(paths(&["properties.email", "traits.email"])),
        },
    ]);
    assert_eq!(
        stripped(&hook),
        ["context.ip", "properties.email", "traits.email"]
    );
}

#[test]
fn field_paths_escape_dots_and_reject_empty_keys() {
    let path = FieldPath::parse(r"properties.product\.id").unwrap();
    assert_eq!(path.keys(), ["properties", "product.id"]);
    assert!(FieldPath::parse("properties..id").is_err());
    assert!(FieldPath::parse("properties.").is_err());
    assert!(FieldPath::parse(r"properties\").is_err());
    let hook = filtered(vec![Filter {
        condition: always(),
        text: "all".into(),
        action: FilterAction::BlockFields(vec![path]),
    }]);
    assert_eq!(
        verdict(
            r#"{"properties":{"product.id":1,"product":{"id":2}}}"#,
            &hook
        ),
        Verdict::Routed {
            stripped: vec![r"properties.product\.id".to_string()]
        }
    );
}

// Order and call types.

#[test]
fn a_destination_that_cannot_carry_the_call_drops_it_after_the_filters() {
    fn track_only(call: &str) -> bool {
        call == "track"
    }
    let amplitude = Destination {
        supports: track_only,
        ..destination("Amplitude", &[])
    };
    assert_eq!(verdict(r#"{"type":"track"}"#, &amplitude), routed());
    assert_eq!(
        verdict(r#"{"type":"alias"}"#, &amplitude),
        dropped(Reason::Unsupported, "Amplitude cannot carry alias calls")
    );
    let filtered_first = Destination {
        filters: vec![Filter {
            condition: always(),
            text: "all".into(),
            action: FilterAction::Drop,
        }],
        ..amplitude
    };
    assert_eq!(
        verdict(r#"{"type":"alias"}"#, &filtered_first).reason(),
        Some(Reason::Filter)
    );
}

#[test]
fn consent_is_checked_before_integrations_before_filters() {
    let text = r#"{"type":"track","context":{"consent":{"categoryPreferences":{}}},
        "integrations":{"Amplitude":false}}"#;
    let amplitude = Destination {
        filters: vec![Filter {
            condition: always(),
            text: "all".into(),
            action: FilterAction::Drop,
        }],
        ..destination("Amplitude", &["Analytics"])
    };
    assert_eq!(verdict(text, &amplitude).reason(), Some(Reason::Consent));
    let unmapped = Destination {
        consent: Vec::new(),
        ..amplitude
    };
    assert_eq!(
        verdict(text, &unmapped).reason(),
        Some(Reason::Integrations)
    );
}

#[test]
fn route_all_answers_each_destination_in_order() {
    let verdicts = route_all(
        &Json::parse(r#"{"type":"track","integrations":{"Mixpanel":false}}"#).unwrap(),
        &[destination("Amplitude", &[]), destination("Mixpanel", &[])],
    );
    assert!(verdicts[0].is_routed());
    assert_eq!(verdicts[1].reason(), Some(Reason::Integrations));
}

#[test]
fn a_destination_table_becomes_a_routing_destination() {
    let config: crate::forward::destination::DestinationConfig = toml::from_str(
        r#"
name = "amp"
kind = "amplitude"
api_key = "k"
consent = ["Analytics"]

[[filter]]
if = "event = 'Test Event'"
action = "drop"

[[filter]]
action = "block_fields"
fields = ["properties.email"]
"#,
    )
    .unwrap();
    let amplitude = Destination::from_config(&config, &super::fql).unwrap();
    assert_eq!(amplitude.segment_name, "Amplitude");
    assert_eq!(amplitude.consent, ["Analytics"]);
    let consented = r#"{"type":"track","event":"Test Event",
        "context":{"consent":{"categoryPreferences":{"Analytics":true}}}}"#;
    assert_eq!(
        verdict(consented, &amplitude),
        dropped(Reason::Filter, "filter 1 drops: event = 'Test Event'")
    );
    assert_eq!(
        verdict(
            r#"{"type":"identify","properties":{"email":"a@b.c"}}"#,
            &amplitude
        ),
        Verdict::Routed {
            stripped: vec!["properties.email".to_string()]
        }
    );
    assert_eq!(
        verdict(r#"{"type":"alias"}"#, &amplitude),
        dropped(Reason::Unsupported, "Amplitude cannot carry alias calls")
    );
    let refused =
        Destination::from_config(&config, &|_| Err("column 3: unexpected `Event`".into()))
            .unwrap_err();
    assert_eq!(refused, "filter 1: column 3: unexpected `Event`");
    let file: crate::forward::destination::DestinationConfig =
        toml::from_str("name = \"disk\"\nkind = \"file\"\npath = \"o.ndjson\"").unwrap();
    let disk = Destination::from_config(&file, &|_| unreachable!()).unwrap();
    assert_eq!(disk.segment_name, "disk");
}

/// A filter's `if` written in FQL, as pasted from a Segment workspace: it drops what it matches,
/// and a statement that does not parse is refused at start with its column.
#[test]
fn fql_conditions_drop_what_they_match_and_bad_statements_are_refused() {
    let config: crate::forward::destination::DestinationConfig = toml::from_str(
        r#"
name = "amp"
kind = "amplitude"
api_key = "k"

[[filter]]
if = "event = 'Test Event' or match(properties.email, '*@example.com')"
action = "drop"
"#,
    )
    .unwrap();
    let amplitude = Destination::from_config(&config, &super::fql).unwrap();
    assert!(matches!(
        verdict(r#"{"type":"track","event":"Test Event"}"#, &amplitude),
        Verdict::Dropped {
            reason: Reason::Filter,
            ..
        }
    ));
    assert!(matches!(
        verdict(
            r#"{"type":"track","event":"Signup","properties":{"email":"qa@example.com"}}"#,
            &amplitude
        ),
        Verdict::Dropped {
            reason: Reason::Filter,
            ..
        }
    ));
    assert_eq!(
        verdict(r#"{"type":"track","event":"Order Completed"}"#, &amplitude),
        Verdict::Routed { stripped: vec![] }
    );
    let mut bad = config.clone();
    bad.filter[0].condition = Some("event = = 'x'".into());
    let refused = Destination::from_config(&bad, &super::fql).unwrap_err();
    assert!(
        refused.contains("filter 1") && refused.contains("column"),
        "{refused}"
    );
}

#[test]
fn allowed_fields_strip_to_exactly_what_the_filter_keeps_even_with_dotted_keys() {
    let hook = filtered(vec![Filter {
        condition: always(),
        text: "all".into(),
        action: FilterAction::AllowFields(paths(&["properties.total", "properties.items.sku"])),
    }]);
    let text = r#"{"type":"track","properties":{"total":3,"a.b":1,"a":{"b":2},
        "items":[{"sku":"A","price":1},{"sku":"B"}]}}"#;
    let Verdict::Routed { stripped } = route(&Json::parse(text).unwrap(), &hook) else {
        panic!("routed");
    };
    assert_eq!(
        stripped,
        ["properties.a\\.b", "properties.a", "properties.items.price"]
    );
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    strip(&mut value, &stripped);
    assert_eq!(
        value["properties"],
        serde_json::json!({"total": 3, "items": [{"sku": "A"}, {"sku": "B"}]})
    );
}
