//! Golden tests of each warehouse verdict: its text, path, severity and seqs, the no-finding
//! cases, `[warehouse]` severities (and `off`), and what a conflicting value becomes.

use super::*;
use crate::inspect::Severity;
use crate::model::json::Json;
use crate::warehouse::{ColumnType, Value, rows};

/// Feeds each message (JSON text) in turn, seqs from 1, and returns the last one's findings.
fn judge(messages: &[&str], settings: &WarehouseSettings) -> Vec<Finding> {
    let mut schema = Schema::new();
    let mut last = Vec::new();
    for (i, text) in messages.iter().enumerate() {
        let rows = rows(&Json::parse(text).unwrap());
        let observed = schema.observe(i as u64 + 1, &rows);
        last = verdicts(&rows, &observed, &schema, settings);
    }
    last
}

fn track(event: &str, properties: &str) -> String {
    format!(
        r#"{{"type": "track", "event": "{event}", "messageId": "m", "properties": {properties}}}"#
    )
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_ref()).collect()
}

#[test]
fn a_float_in_an_integer_column_is_a_type_conflict_naming_both_seqs() {
    let findings = judge(
        &[
            &track("Order Completed", r#"{"price": 42}"#),
            &track("Order Completed", r#"{"coupon": "A"}"#),
            &track("Order Completed", r#"{"price": 42.5}"#),
        ],
        &WarehouseSettings::default(),
    );
    assert_eq!(rules(&findings), [TYPE_CONFLICT]);
    let f = &findings[0];
    assert_eq!((f.kind, f.severity), (Kind::Warehouse, Severity::Warning));
    assert_eq!(f.path, "properties.price");
    assert_eq!(f.seqs, [1]);
    assert_eq!(
        f.message,
        "properties.price is float 42.5 here, but column order_completed.price was created \
         integer at seq 1: loaded as 42: the decimals are lost; send one type (changing the \
         column needs Segment support and a backfill)"
    );
    assert_eq!(f.expected.as_deref(), Some("integer (the column's type)"));
    assert_eq!(f.actual.as_deref(), Some("float 42.5"));
}

#[test]
fn a_string_that_cannot_be_coerced_is_lost_and_a_context_conflict_is_one_finding() {
    let findings = judge(
        &[
            r#"{"type": "track", "event": "A", "context": {"screen": {"width": 390}}}"#,
            r#"{"type": "track", "event": "A", "context": {"screen": {"width": "wide"}}}"#,
        ],
        &WarehouseSettings::default(),
    );
    assert_eq!(rules(&findings), [TYPE_CONFLICT]);
    assert!(
        findings[0].message.contains(
            "column tracks.context_screen_width and a.context_screen_width was created integer \
             at seq 1: it cannot be coerced and is loaded as NULL: the value is lost"
        ),
        "{}",
        findings[0].message
    );
    assert_eq!(
        fate(ColumnType::Integer, &Value::Varchar(" 42 ".into())),
        Fate::Coerced("42".into())
    );
    assert_eq!(
        fate(ColumnType::Varchar, &Value::Float(42.5)),
        Fate::Coerced("\"42.5\"".into())
    );
    assert_eq!(fate(ColumnType::Boolean, &Value::Integer(1)), Fate::Lost);
}

#[test]
fn the_same_type_again_or_an_integer_in_a_float_column_is_no_finding() {
    let settings = WarehouseSettings::default();
    for later in [r#"{"price": 40.25}"#, r#"{"price": 40}"#] {
        let findings = judge(
            &[
                &track("Order Completed", r#"{"price": 42.5}"#),
                &track("Order Completed", later),
            ],
            &settings,
        );
        assert!(findings.is_empty(), "{later}: {findings:?}");
    }
}

#[test]
fn a_property_with_a_reserved_name_is_dropped() {
    let findings = judge(
        &[&track("Order Completed", r#"{"user_id": "u1"}"#)],
        &WarehouseSettings::default(),
    );
    assert_eq!(rules(&findings), [RESERVED_COLUMN]);
    let f = &findings[0];
    assert_eq!(f.path, "properties.user_id");
    assert_eq!(
        f.message,
        "properties.user_id is not loaded: its column name user_id is reserved in \
         order_completed.user_id (Segment's own column wins and the property is discarded); \
         rename the property"
    );
    assert!(f.seqs.is_empty());
}

#[test]
fn two_properties_on_one_column_are_a_collision() {
    let findings = judge(
        &[&track(
            "Signed Up",
            r#"{"accountType": "pro", "account_type": "free"}"#,
        )],
        &WarehouseSettings::default(),
    );
    assert_eq!(rules(&findings), [COLUMN_COLLISION]);
    let f = &findings[0];
    assert_eq!(f.path, "properties.account_type");
    assert_eq!(
        f.message,
        "properties.account_type and properties.accountType both become column account_type \
         in signed_up.account_type: the first is loaded, properties.account_type's value is \
         lost; send one of them"
    );
}

#[test]
fn a_long_string_is_cut_at_512_once_per_path() {
    let long = "x".repeat(600);
    let findings = judge(
        &[&format!(
            r#"{{"type": "track", "event": "A", "context": {{"page": {{"url": "{long}"}}}}}}"#
        )],
        &WarehouseSettings::default(),
    );
    assert_eq!(rules(&findings), [VALUE_TRUNCATED]);
    let f = &findings[0];
    assert_eq!(
        (f.path.as_str(), f.severity),
        ("context.page.url", Severity::Info)
    );
    assert_eq!(
        f.message,
        "context.page.url is 600 characters: tracks.context_page_url and a.context_page_url \
         keep the first 512, the rest is lost"
    );
    // 512 characters exactly is kept whole.
    let fits = "x".repeat(512);
    let none = judge(
        &[&track("A", &format!(r#"{{"note": "{fits}"}}"#))],
        &WarehouseSettings::default(),
    );
    assert!(none.is_empty(), "{none:?}");
}

#[test]
fn event_names_differing_only_by_an_id_are_unbounded_tables_said_once() {
    let settings = WarehouseSettings::default();
    let first = track("Ordered Product 15", "{}");
    let second = track("Ordered Product 16", "{}");
    let third = track("Ordered Product 17", "{}");
    assert!(judge(&[&first], &settings).is_empty());
    let findings = judge(&[&first, &second], &settings);
    assert_eq!(rules(&findings), [UNBOUNDED_TABLES]);
    let f = &findings[0];
    assert_eq!((f.path.as_str(), f.seqs.as_slice()), ("event", &[1][..]));
    assert_eq!(
        f.message,
        "event table ordered_product_16 and ordered_product_15 (seq 1) differ only by digits \
         or ids (ordered_product_#): each id makes a new warehouse table; name the event once \
         and send the id as a property"
    );
    assert!(judge(&[&first, &second, &third], &settings).is_empty());
}

#[test]
fn a_table_crossing_the_column_limit_is_said_once() {
    let mut settings = WarehouseSettings::default();
    settings.column_limit = 12;
    let props = |from: usize, to: usize| {
        let fields: Vec<String> = (from..to).map(|i| format!("\"p{i}x\": 1")).collect();
        format!("{{{}}}", fields.join(","))
    };
    // The event table's own columns: id, event, event_text (3, the common ones sent) + props.
    let under = track("Wide", &props(0, 9));
    let over = track("Wide", &props(0, 12));
    let more = track("Wide", &props(0, 14));
    assert!(judge(&[&under], &settings).is_empty());
    let findings = judge(&[&under, &over], &settings);
    assert_eq!(rules(&findings), [COLUMN_LIMIT]);
    let f = &findings[0];
    assert_eq!((f.severity, f.seqs.as_slice()), (Severity::Error, &[1][..]));
    assert!(
        f.message
            .starts_with("table wide now has 15 columns, past the limit of 12"),
        "{}",
        f.message
    );
    assert!(judge(&[&under, &over, &more], &settings).is_empty());
}

#[test]
fn warehouse_severities_are_configurable_and_off_silences_a_rule() {
    let mut settings = WarehouseSettings::default();
    assert!(settings.set_severity("type-conflict", Some(Severity::Error)));
    assert!(settings.set_severity("warehouse/reserved-column", None));
    assert!(!settings.set_severity("no-such-rule", None));
    let findings = judge(
        &[
            &track("A", r#"{"n": 1}"#),
            &track("A", r#"{"n": true, "user_id": "u"}"#),
        ],
        &settings,
    );
    assert_eq!(rules(&findings), [TYPE_CONFLICT]);
    assert_eq!(findings[0].severity, Severity::Error);
}
