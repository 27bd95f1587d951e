//! Unit tests of the tracking plan: loading both shapes, choosing rules and versions, findings.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::report::pane_path;
use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Compiles a fixture plan, named by its path as the CLI names a plan file.
fn load_fixture(name: &str) -> Result<TrackingPlan, PlanError> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    TrackingPlan::parse(&text, &path.display().to_string())
}

fn fixture_plan() -> TrackingPlan {
    load_fixture("plan.json").expect("the fixture plan loads")
}

fn findings(plan: &TrackingPlan, message: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    plan.check(&Json::from_value(message), &mut out);
    out
}

fn lines(name: &str) -> Vec<Value> {
    std::fs::read_to_string(fixture(name))
        .expect("fixture")
        .lines()
        .map(|l| serde_json::from_str(l).expect("fixture line is JSON"))
        .collect()
}

const DRAFT7: &str = "http://json-schema.org/draft-07/schema#";

/// A whole-message schema whose event properties are `props`.
fn whole(props: Value) -> Value {
    json!({
        "$schema": DRAFT7,
        "type": "object",
        "properties": {"context": {"type": "object"}, "traits": {"type": "object"}, "properties": props},
        "required": ["properties"]
    })
}

fn products() -> Value {
    json!({"type": "array", "items": {
        "type": "object",
        "properties": {"product_id": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
        "required": ["price"]
    }})
}

/// Order Completed v1 (open) and v2 (closed), identify traits, a common rule, a page rule.
fn test_plan() -> TrackingPlan {
    let rules = json!({"name": "test", "rules": [
        {"type": "TRACK", "key": "Order Completed", "version": 2, "jsonSchema": whole(json!({
            "type": "object",
            "properties": {
                "order_id": {"type": "string", "pattern": "^ord_"},
                "revenue": {"type": "number"},
                "currency": {"type": "string", "enum": ["USD", "EUR"]},
                "products": products(),
                "user-agent": {"type": "string"}
            },
            "required": ["order_id", "currency"],
            "additionalProperties": false
        }))},
        {"type": "TRACK", "key": "Order Completed", "version": 1, "jsonSchema": whole(json!({
            "type": "object",
            "properties": {
                "order_id": {"type": "string"},
                "revenue": {"type": "number"},
                "products": products(),
                "placed_at": {"type": "string", "format": "date-time"},
                "quantity": {"type": "integer", "minimum": 1},
                "user-agent": {"type": "string"}
            },
            "required": ["order_id"]
        }))},
        {"type": "IDENTIFY", "key": null, "version": 1, "jsonSchema": {
            "$schema": DRAFT7,
            "type": "object",
            "properties": {"traits": {
                "type": "object",
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "plan": {"type": "string", "enum": ["free", "pro"]},
                    "address": {"type": "object", "properties": {"city": {"type": "string"}}}
                },
                "required": ["email"]
            }}
        }},
        {"type": "COMMON", "version": 1, "jsonSchema": {
            "$schema": DRAFT7,
            "type": "object",
            "properties": {
                "context": {"type": "object", "properties": {"app": {"type": "object",
                    "properties": {"version": {"type": "string"}}}}},
                "properties": {"type": "object", "properties": {"app_build": {"type": "string"}}}
            }
        }},
        {"type": "PAGE", "key": "Home", "version": 1, "jsonSchema": whole(json!({
            "type": "object", "properties": {"path": {"type": "string"}, "title": {"type": "string"}}
        }))},
        {"type": "PAGE", "key": null, "version": 1, "jsonSchema": whole(json!({
            "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]
        }))}
    ]});
    TrackingPlan::parse(&rules.to_string(), "test-plan.json").expect("test plan loads")
}

fn track(properties: Value) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": "u1", "properties": properties})
}

fn versioned(properties: Value, version: Value) -> Value {
    let mut m = track(properties);
    m["context"] = json!({"protocols": {"event_version": version}});
    m
}

/// The only finding with `rule`.
fn only<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    let matching: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(matching.len(), 1, "one {rule} in {findings:#?}");
    matching[0]
}

fn rules_of(findings: &[Finding]) -> Vec<&str> {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_ref()).collect();
    rules.sort_unstable();
    rules
}

// --- loading ---------------------------------------------------------------------------

#[test]
fn public_api_plan_loads() {
    let plan = fixture_plan();
    assert_eq!(plan.len(), 42);
    assert_eq!(plan.name(), Some("Example Shop (web + iOS + server)"));
    assert!(plan.source().ends_with("plan.json"));
    assert_eq!(plan.track.len(), 40);
    assert!(plan.identify.is_some() && plan.group.is_some() && plan.common.is_none());
}

#[test]
fn a_bare_array_of_rules_and_an_api_response_load() {
    let rule = json!({"type": "TRACK", "key": "Signed In", "version": 1,
        "jsonSchema": whole(json!({"type": "object", "properties": {"method": {"type": "string"}}}))});
    let bare = TrackingPlan::parse(&json!([rule]).to_string(), "bare.json").unwrap();
    assert_eq!((bare.len(), bare.name()), (1, None));
    let response = json!({"data": {"rules": [rule], "pagination": {}}});
    let wrapped = TrackingPlan::parse(&response.to_string(), "response.json").unwrap();
    assert_eq!(wrapped.len(), 1);
    let bad = track(json!({"method": 1}));
    let mut bad = bad;
    bad["event"] = json!("Signed In");
    assert_eq!(rules_of(&findings(&bare, &bad)), ["plan/type"]);
}

#[test]
fn legacy_plan_loads_and_agrees_with_the_public_api_plan() {
    let legacy = load_fixture("plans/legacy.json").unwrap();
    assert_eq!(legacy.name(), Some("Example Shop (legacy shape)"));
    assert_eq!(
        legacy.len(),
        5,
        "2 events, global, identify_traits, group_traits"
    );
    assert!(
        legacy
            .identify
            .as_ref()
            .is_some_and(|v| v.0[0].scope == Scope::Traits)
    );
    let public = fixture_plan();
    let key = |f: &Finding| (f.rule.to_string(), f.path.clone(), f.severity);
    let mut compared = 0;
    let mut violations = 0;
    for event in lines("events.ndjson") {
        let covered = match event["type"].as_str() {
            Some("identify" | "group") => true,
            Some("track") => {
                matches!(
                    event["event"].as_str(),
                    Some("Order Completed" | "Products Searched")
                )
            }
            _ => false,
        };
        if !covered {
            continue;
        }
        let a: Vec<_> = findings(&legacy, &event).iter().map(key).collect();
        let b: Vec<_> = findings(&public, &event).iter().map(key).collect();
        assert_eq!(a, b, "{event}");
        compared += 1;
        violations += usize::from(!a.is_empty());
    }
    assert!(
        compared > 80 && violations >= 10,
        "{compared} compared, {violations} violations"
    );
    // A legacy traits rule sees a message without traits as `traits: {}`.
    let bare = json!({"type": "identify", "userId": "u1"});
    let f = findings(&legacy, &bare);
    assert_eq!(only(&f, "plan/required").path, "traits.email");
}

#[test]
fn legacy_lists_of_rules_load() {
    // Typewriter v7's own plan: empty lists, and lists of {name, rules, version}.
    let text = json!({"display_name": "tw", "rules": {
        "events": [{"name": "Command Run", "rules": whole(json!({"type": "object",
            "properties": {"command": {"type": "string"}}, "required": ["command"]})), "version": 1}],
        "global": [],
        "identify_traits": [{"name": "traits", "version": 1, "rules": {"type": "object",
            "properties": {"email": {"type": "string"}}}}],
        "group_traits": []
    }}).to_string();
    let plan = TrackingPlan::parse(&text, "tw.json").unwrap();
    assert_eq!(plan.len(), 2);
    let identify =
        json!({"type": "identify", "userId": "u", "traits": {"email": "a@b.c", "age": 3}});
    let f = findings(&plan, &identify);
    let unplanned = only(&f, "plan/unplanned-trait");
    assert_eq!(
        (unplanned.path.as_str(), unplanned.severity),
        ("traits.age", Severity::Warning)
    );
}

#[test]
fn invalid_json_names_the_line_and_column() {
    let err = TrackingPlan::parse(
        "{\n  \"rules\": [\n    {\"type\": \"TRACK\",}\n  ]\n}",
        "p.json",
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::Json { line: 3, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("p.json:3:"), "{text}");
    assert!(
        text.contains("not valid JSON") && !text.contains('\n'),
        "{text}"
    );
}

#[test]
fn an_invalid_schema_names_the_rule_and_the_schema_path() {
    let text = json!({"rules": [
        {"type": "TRACK", "key": "Signed In", "version": 1, "jsonSchema": whole(json!({"type": "object"}))},
        {"type": "TRACK", "key": "Order Completed", "version": 2, "jsonSchema": whole(json!({
            "type": "object", "properties": {"total": {"type": "numbr"}}
        }))}
    ]})
    .to_string();
    let err = TrackingPlan::parse(&text, "p.json").unwrap_err();
    let PlanError::Schema {
        rule,
        schema_path,
        reason,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(rule, "rules[1] (TRACK \"Order Completed\" v2)");
    assert_eq!(
        schema_path,
        "/rules/1/jsonSchema/properties/properties/properties/total/type"
    );
    assert!(
        reason.contains("\"numbr\" is not a JSON Schema type"),
        "{reason}"
    );
    let line = err.to_string();
    assert!(
        line.starts_with(
            "p.json: rules[1] (TRACK \"Order Completed\" v2): invalid JSON Schema at /rules/1/"
        ),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn an_invalid_regex_names_the_file_rule_and_path() {
    let err = load_fixture("plans/bad-pattern.json").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad-pattern.json: rules[1] (TRACK \"Order Completed\" v2)"),
        "{text}"
    );
    assert!(
        text.contains("/rules/1/jsonSchema/properties/properties/properties/currency/pattern"),
        "{text}"
    );
    assert!(text.contains("not a valid regular expression"), "{text}");
}

#[test]
fn bad_rules_are_clear_errors() {
    let cases = [
        (
            json!({"rules": [{"type": "ALIAS", "key": "x", "jsonSchema": {}}]}),
            "rules[0]: unknown rule type \"ALIAS\"",
        ),
        (
            json!([{"type": "TRACK", "jsonSchema": {}}]),
            "[0]: a TRACK rule needs its event name in \"key\"",
        ),
        (
            json!({"rules": [{"type": "TRACK", "key": "A", "version": "2", "jsonSchema": {}}]}),
            "\"version\" should be an integer",
        ),
        (
            json!({"rules": [{"type": "TRACK", "key": "A"}]}),
            "rules[0]: no \"jsonSchema\"",
        ),
        (
            json!({"rules": [{"type": "TRACK", "key": "A", "jsonSchema": {}}, {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": {}}]}),
            "rules[1] (TRACK \"A\" v1): duplicate rule: rules[0] has the same type, key and version",
        ),
        (json!({"events": []}), "not a tracking plan: no \"rules\""),
        (json!("plan"), "not a tracking plan: the file holds string"),
        (
            json!({"rules": {"events": [{"version": 1, "rules": {}}]}}),
            "rules.events[0]: a TRACK rule needs its event name in \"name\"",
        ),
        (
            json!({"rules": [{"type": "COMMON", "jsonSchema": {"$ref": "https://example.com/common.json"}}]}),
            "rules[0] (COMMON v1): invalid JSON Schema at /rules/0/jsonSchema: cannot \
             resolve $ref https://example.com/common.json: remote and file schemas are not \
             fetched",
        ),
    ];
    for (plan, expected) in cases {
        let err = TrackingPlan::parse(&plan.to_string(), "p.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.json: "), "{err}");
        assert!(
            err.contains(expected),
            "{err:?} should contain {expected:?}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}

// --- choosing rules ----------------------------------------------------------------------

#[test]
fn versions_missing_picks_the_oldest() {
    let plan = test_plan();
    // v1 does not require currency and accepts placed_at; v2 would flag both.
    let m = track(json!({"order_id": "x", "placed_at": "2025-01-01T00:00:00Z"}));
    assert!(findings(&plan, &m).is_empty(), "{:#?}", findings(&plan, &m));
    assert!(findings(&plan, &versioned(json!({"order_id": "x"}), Value::Null)).is_empty());
}

#[test]
fn versions_explicit_picks_that_version() {
    let plan = test_plan();
    let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!(2)));
    let required = only(&f, "plan/required");
    assert_eq!(required.path, "properties.currency");
    assert_eq!(
        required.message,
        "properties.currency is required by Order Completed v2"
    );
    assert_eq!(rules_of(&f), ["plan/pattern", "plan/required"]);
    assert!(findings(&plan, &versioned(json!({"order_id": "x"}), json!(1))).is_empty());
}

#[test]
fn versions_unknown_or_invalid_pick_the_oldest_with_an_info() {
    let plan = test_plan();
    let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!(7)));
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        (f[0].rule.as_ref(), f[0].path.as_str(), f[0].severity),
        (
            "plan/unknown-version",
            "context.protocols.event_version",
            Severity::Info
        )
    );
    assert_eq!(f[0].expected.as_deref(), Some("one of 1, 2"));
    assert!(
        f[0].message.contains("Order Completed v1"),
        "{}",
        f[0].message
    );
    let f = findings(&plan, &versioned(json!({"order_id": "x"}), json!("2")));
    assert_eq!(rules_of(&f), ["plan/invalid-version"]);
    assert_eq!(f[0].actual.as_deref(), Some("string \"2\""));
    assert_eq!(f[0].severity, Severity::Info);
}

#[test]
fn page_rules_go_by_name_with_the_keyless_rule_for_the_rest() {
    let plan = test_plan();
    let home = json!({"type": "page", "name": "Home", "properties": {"path": "/", "search": "?q"}});
    let f = findings(&plan, &home);
    let unplanned = only(&f, "plan/unplanned-property");
    assert_eq!(unplanned.path, "properties.search");
    assert!(
        unplanned.message.contains("page Home v1"),
        "{}",
        unplanned.message
    );
    let other = json!({"type": "page", "name": "Pricing", "properties": {"title": "P"}});
    let f = findings(&plan, &other);
    assert_eq!(only(&f, "plan/required").path, "properties.path");
    assert!(f.iter().any(|x| x.message.contains("the page rule v1")));
}

#[test]
fn the_common_rule_applies_to_every_message_and_plans_its_properties() {
    let plan = test_plan();
    let alias = json!({"type": "alias", "userId": "a", "previousId": "b",
        "context": {"app": {"version": 3}}});
    let f = findings(&plan, &alias);
    let wrong = only(&f, "plan/type");
    assert_eq!(wrong.path, "context.app.version");
    assert!(
        wrong.message.ends_with("(the common rule v1)"),
        "{}",
        wrong.message
    );
    // app_build is declared by the common rule only: still planned for Order Completed v1.
    let m = track(json!({"order_id": "x", "app_build": "42"}));
    assert!(findings(&plan, &m).is_empty(), "{:#?}", findings(&plan, &m));
    // A message without a type gets the common rule and nothing else.
    assert!(findings(&plan, &json!({"properties": {"anything": 1}})).is_empty());
}

// --- findings ----------------------------------------------------------------------------

#[test]
fn required_type_enum_pattern_format_minimum() {
    let plan = test_plan();
    let m = versioned(
        json!({"order_id": "42", "revenue": "42", "currency": "GBP",
               "products": [{"product_id": "p1", "price": 3}, {"product_id": "p2", "price": -1}, {"product_id": "p3"}]}),
        json!(2),
    );
    let f = findings(&plan, &m);
    let revenue = only(&f, "plan/type");
    assert_eq!(revenue.path, "properties.revenue");
    assert_eq!(revenue.severity, Severity::Error);
    assert_eq!(revenue.expected.as_deref(), Some("number"));
    assert_eq!(revenue.actual.as_deref(), Some("string \"42\""));
    assert_eq!(
        revenue.message,
        "properties.revenue should be a number, got string \"42\" (Order Completed v2)"
    );
    let currency = only(&f, "plan/enum");
    assert_eq!(currency.path, "properties.currency");
    assert_eq!(
        currency.expected.as_deref(),
        Some("one of [\"USD\",\"EUR\"]")
    );
    assert_eq!(currency.actual.as_deref(), Some("string \"GBP\""));
    let order = only(&f, "plan/pattern");
    assert_eq!(order.path, "properties.order_id");
    assert_eq!(order.expected.as_deref(), Some("matching ^ord_"));
    let min = only(&f, "plan/minimum");
    assert_eq!(min.path, "properties.products[1].price");
    assert_eq!(min.expected.as_deref(), Some(">= 0"));
    assert_eq!(min.actual.as_deref(), Some("number -1"));
    let price = only(&f, "plan/required");
    assert_eq!(price.path, "properties.products[2].price");
    assert_eq!(
        (price.expected.as_deref(), price.actual.as_deref()),
        (Some("present"), Some("missing"))
    );

    let v1 = track(json!({"order_id": "o", "placed_at": "yesterday", "quantity": 0}));
    let f = findings(&plan, &v1);
    let format = only(&f, "plan/format");
    assert_eq!(format.path, "properties.placed_at");
    assert_eq!(format.expected.as_deref(), Some("format date-time"));
    assert_eq!(
        format.message,
        "properties.placed_at should be a date-time, got string \"yesterday\" (Order Completed v1)"
    );
    assert_eq!(only(&f, "plan/minimum").path, "properties.quantity");
}

#[test]
fn paths_follow_the_detail_pane() {
    let plan = test_plan();
    let f = findings(&plan, &track(json!({"order_id": "o", "user-agent": 1})));
    assert_eq!(only(&f, "plan/type").path, "properties[\"user-agent\"]");
    // A missing `properties` is the message's own member.
    let f = findings(&plan, &json!({"type": "track", "event": "Order Completed"}));
    assert_eq!(only(&f, "plan/required").path, "properties");
    assert_eq!(
        pane_path(
            &Json::from_value(&json!({"a": {"0": [1, {"x~/y": 2}]}})),
            "",
            "/a/0/1/x~0~1y"
        ),
        "a[\"0\"][1][\"x~/y\"]"
    );
    assert_eq!(
        pane_path(&Json::from_value(&json!({})), "traits", "/address/city"),
        "traits.address.city"
    );
}

#[test]
fn a_property_that_additional_properties_forbids_is_unplanned_at_its_own_path() {
    let plan = test_plan();
    let m = versioned(
        json!({"order_id": "ord_1", "currency": "EUR", "orderId": "p", "coupon": "X"}),
        json!(2),
    );
    let f = findings(&plan, &m);
    let mut paths: Vec<&str> = f.iter().map(|x| x.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["properties.coupon", "properties.orderId"], "{f:#?}");
    assert!(
        f.iter()
            .all(|x| x.rule == "plan/unplanned-property" && x.severity == Severity::Error)
    );
    let typo = f.iter().find(|x| x.path == "properties.orderId").unwrap();
    assert_eq!(typo.actual.as_deref(), Some("string \"p\""));
    assert_eq!(
        typo.message,
        "properties.orderId is not in the tracking plan for Order Completed v2, which allows \
         no others; did you mean order_id?"
    );
    assert_eq!(
        typo.expected.as_deref(),
        Some("a planned property: currency, order_id, products, revenue, user-agent")
    );
}

#[test]
fn undeclared_properties_and_traits_are_unplanned_warnings() {
    let plan = test_plan();
    // v1 is open: no additionalProperties, so the walk reports, as a warning.
    let m =
        track(json!({"order_id": "o", "coupon": "X", "products": [{"price": 1, "colour": "red"}]}));
    let f = findings(&plan, &m);
    assert!(
        f.iter()
            .all(|x| x.rule == "plan/unplanned-property" && x.severity == Severity::Warning),
        "{f:#?}"
    );
    let mut paths: Vec<&str> = f.iter().map(|x| x.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["properties.coupon", "properties.products[0].colour"]
    );
    let coupon = f.iter().find(|x| x.path == "properties.coupon").unwrap();
    assert_eq!(
        coupon.message,
        "properties.coupon is not in the tracking plan for Order Completed v1"
    );
    assert_eq!(coupon.actual.as_deref(), Some("string \"X\""));
    assert!(
        coupon
            .expected
            .as_deref()
            .unwrap()
            .starts_with("a planned property: app_build, order_id"),
        "{coupon:?}"
    );

    let identify = json!({"type": "identify", "userId": "u", "traits": {
        "email": "a@example.com", "plan": "gold", "Email_Address": "x", "address": {"city": "Oslo", "zip": "0150"}}});
    let f = findings(&plan, &identify);
    assert_eq!(
        rules_of(&f),
        ["plan/enum", "plan/unplanned-trait", "plan/unplanned-trait"]
    );
    let zip = f
        .iter()
        .find(|x| x.path == "traits.address.zip")
        .expect("nested trait");
    assert_eq!(zip.severity, Severity::Warning);
    assert!(f.iter().any(|x| x.path == "traits.Email_Address"));
    assert_eq!(
        only(&f, "plan/enum").expected.as_deref(),
        Some("one of [\"free\",\"pro\"]")
    );
    // Context and top-level fields are never unplanned; neither are page fields without a rule.
    let ctx = json!({"type": "identify", "userId": "u", "extra": 1, "context": {"ip": "1.2.3.4"},
        "traits": {"email": "a@example.com"}});
    assert!(findings(&plan, &ctx).is_empty());
}

#[test]
fn unplanned_events_are_warnings_with_a_suggestion() {
    let plan = test_plan();
    let mut m = track(json!({"order_id": "o"}));
    m["event"] = json!("order_completed");
    let f = findings(&plan, &m);
    let u = only(&f, "plan/unplanned-event");
    assert_eq!((u.path.as_str(), u.severity), ("event", Severity::Warning));
    assert_eq!(
        u.message,
        "\"order_completed\" is not in the tracking plan; did you mean \"Order Completed\"?"
    );
    assert_eq!(u.actual.as_deref(), Some("string \"order_completed\""));
    assert_eq!(
        f.len(),
        1,
        "no property checks for an unplanned event: {f:#?}"
    );
    // A plan without track rules does not make every event unplanned.
    let identify_only = TrackingPlan::parse(
        &json!([{"type": "IDENTIFY", "version": 1, "jsonSchema": {}}]).to_string(),
        "p.json",
    )
    .unwrap();
    assert!(findings(&identify_only, &m).is_empty());
}

#[test]
fn the_plan_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<TrackingPlan>();
}

/// The acceptance check: labelled violations are found, clean messages stay clean.
#[test]
fn fixture_violations_match_the_labels() {
    let plan = fixture_plan();
    let events = lines("events.ndjson");
    let labels = lines("labels.ndjson");
    assert_eq!(events.len(), 600);
    assert_eq!(labels.len(), events.len());
    let mut confusion: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut failures = Vec::new();
    for (event, label) in events.iter().zip(&labels) {
        let violation = label["violation"].as_str();
        let loud: Vec<Finding> = findings(&plan, event)
            .into_iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        let mut rules: Vec<&str> = loud.iter().map(|f| f.rule.as_ref()).collect();
        rules.sort_unstable();
        rules.dedup();
        let got = if rules.is_empty() {
            "-".to_string()
        } else {
            rules.join(",")
        };
        let want = violation.unwrap_or("null").to_string();
        *confusion.entry((want.clone(), got.clone())).or_default() += 1;
        let ok = match violation {
            None => loud.is_empty(),
            Some(v) => {
                let code = match v {
                    "wrong_type" => "plan/type",
                    "missing_required" => "plan/required",
                    "unplanned_property" => "plan/unplanned-property",
                    "unplanned_event" => "plan/unplanned-event",
                    other => panic!("unknown label {other}"),
                };
                loud.iter().any(|f| f.rule == code)
            }
        };
        if !ok {
            failures.push(format!(
                "line {} ({want}): {:?}",
                label["line"],
                loud.iter().map(|f| &f.message).collect::<Vec<_>>()
            ));
        }
    }
    if !failures.is_empty() {
        let mut summary = String::from("label -> plan findings at warning or above:\n");
        for ((want, got), n) in &confusion {
            let _ = writeln!(summary, "  {want:<20} {got:<60} {n}");
        }
        panic!(
            "{summary}{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
