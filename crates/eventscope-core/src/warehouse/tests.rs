//! Golden tests of the warehouse mapping: go-snakecase's own cases, flattening, arrays,
//! reserved names, collisions, types, the 512 cut, each call's tables, the fixture events,
//! and a property test over arbitrary JSON.

use proptest::prelude::*;
use serde_json::{Value as JsonValue, json};

use super::*;
use crate::model::json::Json;

/// The rows of a message given as JSON text (parsed as the verdicts parse it: document order
/// kept, which `json!` would lose).
fn map(text: &str) -> Vec<Row> {
    rows(&Json::parse(text).unwrap())
}

fn tables(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| &*r.table).collect()
}

fn names(row: &Row) -> Vec<&str> {
    row.columns.iter().map(|c| &*c.name).collect()
}

fn value<'r>(row: &'r Row, name: &str) -> &'r Value {
    &row.column(name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", names(row)))
        .value
}

/// The event table's row of an `Order Completed` track with `properties` (JSON text).
fn track(properties: &str) -> Row {
    let rows = map(&format!(
        r#"{{"type": "track", "event": "Order Completed", "messageId": "m1", "properties": {properties}}}"#
    ));
    assert_eq!(tables(&rows), ["tracks", "order_completed"]);
    rows.into_iter().nth(1).unwrap()
}

/// The cases of go-snakecase's `snake_test.go` (github.com/segmentio/go-snakecase, the
/// `TestSnakecase` table in its latest version), input → output, verbatim.
const GO_SNAKECASE_CASES: &[(&str, &str)] = &[
    ("sample text", "sample_text"),
    ("sample-text", "sample_text"),
    ("sample_text", "sample_text"),
    ("sample___text", "sample_text"),
    ("sampleText", "sample_text"),
    (
        "inviteYourCustomersAddInvites",
        "invite_your_customers_add_invites",
    ),
    ("sample 2 Text", "sample_2_text"),
    ("   sample   2    Text   ", "sample_2_text"),
    ("   $#$sample   2    Text   ", "sample_2_text"),
    ("SAMPLE 2 TEXT", "sample_2_text"),
    ("___$$Base64Encode", "base64_encode"),
    ("FOO:BAR$BAZ", "foo_bar_baz"),
    ("FOO#BAR#BAZ", "foo_bar_baz"),
    ("something.com", "something_com"),
    ("$something%", "something"),
    ("•¶§ƒ˚foo˙∆˚¬", "foo"),
    ("CStringRef", "cstring_ref"),
    ("5test", "5test"),
    ("test5", "test5"),
    ("THE5r", "the5r"),
    ("5TEst", "5test"),
    ("_5TEst", "5test"),
    ("@%#&5TEst", "5test"),
    ("lk0B@bFmjrLQ_Z6YL", "lk0_b_b_fmjr_lq_z6yl"),
    ("samPLE text", "sam_ple_text"),
    // Later additions upstream (and in the Rust port's table).
    ("edf_6N", "edf_6n"),
    ("f_pX9", "f_p_x9"),
    ("p_z9Rg", "p_z9_rg"),
    ("2FA Enabled", "2fa_enabled"),
    ("Enabled 2FA", "enabled_2fa"),
    ("@49L0S145_¬fwHƒ0TSLNVp", "49l0s145_fw_h_0tslnvp"),
];

#[test]
fn column_names_follow_go_snakecase_case_for_case() {
    for (input, expected) in GO_SNAKECASE_CASES {
        assert_eq!(column_name(input), *expected, "{input:?}");
        assert!(is_column_name(expected), "{expected:?}");
    }
}

#[test]
fn column_names_of_the_shapes_tracking_plans_use() {
    for (input, expected) in [
        // acronyms: a run of capitals is one word with the lower-case letters after it
        ("userID", "user_id"),
        ("userId", "user_id"),
        ("HTTPServer", "httpserver"), // heck: http_server
        ("ABTest", "abtest"),         // heck: ab_test
        ("Product SKU", "product_sku"),
        ("iOS Version", "i_os_version"),
        // digits stay in their word; a capital after a digit starts one
        ("address2", "address2"),
        ("v2Name", "v2_name"),
        ("Ordered Product 15", "ordered_product_15"),
        // spaces, dashes, other punctuation, leading/trailing separators
        ("accountType", "account_type"),
        ("page-view", "page_view"),
        ("price ($)", "price"),
        ("  _leading and trailing_  ", "leading_and_trailing"),
        ("a.b.c", "a_b_c"),
        // already snake
        ("account_type", "account_type"),
        // non-ASCII letters are separators, as every byte ≥ 0x80 is to go-snakecase
        ("café crème", "caf_cr_me"),
        ("naïveUser", "na_ve_user"),
    ] {
        assert_eq!(column_name(input), expected, "{input:?}");
    }
    for nothing_left in ["", "¿?", "日本", "$$$"] {
        assert_eq!(column_name(nothing_left), "", "{nothing_left:?}");
        assert!(!is_column_name(""));
    }
    assert_eq!(table_name("Order Completed"), "order_completed");
    assert_eq!(table_name("order_completed"), "order_completed");
}

#[test]
fn a_track_writes_tracks_and_the_event_table_with_common_columns() {
    let rows = map(r#"{
        "type": "track", "event": "Order Completed",
        "messageId": "m1", "anonymousId": "a1", "userId": "u1",
        "timestamp": "2026-11-22T12:00:00.000Z",
        "originalTimestamp": "2026-11-22T12:00:05.000Z",
        "sentAt": "2026-11-22T12:00:06.000Z",
        "receivedAt": "2026-11-22T12:00:01.000Z",
        "context": {"ip": "1.2.3.4", "app": {"version": "2.1"}, "userAgent": "x"},
        "properties": {"orderId": "o1", "total": 42.5}
    }"#);
    assert_eq!(tables(&rows), ["tracks", "order_completed"]);
    let common = [
        "id",
        "anonymous_id",
        "user_id",
        "received_at",
        "sent_at",
        "timestamp",
        "original_timestamp",
        "context_ip",
        "context_app_version",
        "context_user_agent",
        "event",
        "event_text",
    ];
    assert_eq!(names(&rows[0]), common);
    assert_eq!(names(&rows[1])[..common.len()], common);
    assert_eq!(names(&rows[1])[common.len()..], ["order_id", "total"]);
    let table = &rows[1];
    assert_eq!(table.load, Load::Insert);
    assert_eq!(*value(table, "id"), Value::Varchar("m1".into()));
    assert_eq!(
        *value(table, "event"),
        Value::Varchar("order_completed".into())
    );
    assert_eq!(
        *value(table, "event_text"),
        Value::Varchar("Order Completed".into())
    );
    assert_eq!(
        *value(table, "timestamp"),
        Value::Timestamp("2026-11-22T12:00:00.000Z".into())
    );
    assert_eq!(
        *value(table, "original_timestamp"),
        Value::Timestamp("2026-11-22T12:00:05.000Z".into())
    );
    assert_eq!(
        &*table.column("context_app_version").unwrap().path,
        "context.app.version"
    );
    assert_eq!(table.column("uuid_ts"), None, "the loader's column");
}

#[test]
fn a_raw_payload_without_original_timestamp_keeps_its_timestamp_as_the_original() {
    let rows = map(r#"{"type": "track", "event": "X", "timestamp": "2026-11-22T12:00:00Z"}"#);
    let original = rows[0].column("original_timestamp").unwrap();
    assert_eq!(&*original.path, "timestamp");
    assert_eq!(
        original.value,
        Value::Timestamp("2026-11-22T12:00:00Z".into())
    );
}

#[test]
fn each_call_type_writes_its_tables() {
    let identify = map(r#"{
        "type": "identify", "messageId": "m1", "userId": "u1", "anonymousId": "a1",
        "receivedAt": "2026-11-22T12:00:01.000Z",
        "traits": {"email": "a@b.example", "plan": "pro", "address": {"street": "1 Main"}}
    }"#);
    assert_eq!(tables(&identify), ["identifies", "users"]);
    assert_eq!(
        names(&identify[0]),
        [
            "id",
            "anonymous_id",
            "user_id",
            "received_at",
            "email",
            "plan",
            "address_street"
        ]
    );
    let users = &identify[1];
    assert_eq!(users.load, Load::Upsert);
    assert_eq!(
        names(users),
        ["id", "received_at", "email", "plan", "address_street"]
    );
    assert_eq!(*value(users, "id"), Value::Varchar("u1".into()));
    assert_eq!(users.column("anonymous_id"), None);

    let anonymous = map(r#"{"type": "identify", "anonymousId": "a1", "traits": {"x": 1}}"#);
    assert_eq!(
        tables(&anonymous),
        ["identifies"],
        "users are keyed on user_id"
    );

    let page = map(r#"{
        "type": "page", "messageId": "m2", "name": "Home", "category": "Docs",
        "properties": {"name": "Home", "url": "https://x.example/", "path": "/"}
    }"#);
    assert_eq!(tables(&page), ["pages"]);
    assert_eq!(names(&page[0]), ["id", "name", "category", "url", "path"]);
    assert!(
        page[0].collisions.is_empty(),
        "analytics.js copies name into properties"
    );

    let screen = map(r#"{"type": "screen", "name": "Cart", "properties": {"items": 2}}"#);
    assert_eq!(tables(&screen), ["screens"]);
    assert_eq!(names(&screen[0]), ["name", "items"]);

    let group = map(r#"{
        "type": "group", "messageId": "m3", "userId": "u1", "groupId": "g1",
        "traits": {"name": "Globex", "employees": 12}
    }"#);
    assert_eq!(tables(&group), ["groups", "accounts"]);
    assert_eq!(
        names(&group[0]),
        ["id", "user_id", "group_id", "name", "employees"]
    );
    assert_eq!(group[1].load, Load::Upsert);
    assert_eq!(names(&group[1]), ["id", "name", "employees"]);
    assert_eq!(*value(&group[1], "id"), Value::Varchar("g1".into()));

    let alias = map(r#"{"type": "alias", "messageId": "m4", "userId": "u1", "previousId": "a1"}"#);
    assert_eq!(tables(&alias), ["aliases"]);
    assert_eq!(names(&alias[0]), ["id", "user_id", "previous_id"]);

    assert!(map(r#"{"type": "batch"}"#).is_empty());
    assert!(map(r#"{"event": "no type"}"#).is_empty());
    assert!(map(r#""not an object""#).is_empty());
}

#[test]
fn objects_flatten_with_underscores_in_properties_traits_and_context() {
    let row = track(
        r#"{
        "shipping": {"address": {"zipCode": "94107", "city": "SF"}, "fast": true},
        "empty": {}
    }"#,
    );
    assert_eq!(
        names(&row)[3..],
        [
            "shipping_address_zip_code",
            "shipping_address_city",
            "shipping_fast"
        ]
    );
    let zip = row.column("shipping_address_zip_code").unwrap();
    assert_eq!(&*zip.path, "properties.shipping.address.zipCode");
    let identify = map(r#"{
        "type": "identify", "userId": "u1",
        "traits": {"address": {"street": "1 Main"}},
        "context": {"traits": {"email": "a@b.example"}, "device": {"adTrackingEnabled": false}}
    }"#);
    assert_eq!(
        names(&identify[0]),
        [
            "user_id",
            "context_traits_email",
            "context_device_ad_tracking_enabled",
            "address_street"
        ]
    );
}

#[test]
fn arrays_are_stringified_as_json_text() {
    let row = track(
        r#"{
        "products": [{"sku": "A1", "price": 9.5}, {"sku": "B2"}],
        "tags": []
    }"#,
    );
    assert_eq!(
        *value(&row, "products"),
        Value::Varchar(r#"[{"sku":"A1","price":9.5},{"sku":"B2"}]"#.into())
    );
    assert_eq!(*value(&row, "tags"), Value::Varchar("[]".into()));
    assert_eq!(row.column("products_sku"), None);
}

#[test]
fn a_property_named_like_a_reserved_column_is_discarded_and_recorded() {
    let row = track(
        r#"{
        "user_id": "from-props", "userId": "also", "id": 7, "receivedAt": "2026-01-01T00:00:00Z",
        "event": "e", "uuid_ts": "x", "kept": 1
    }"#,
    );
    assert_eq!(names(&row), ["id", "event", "event_text", "kept"]);
    assert_eq!(
        *value(&row, "id"),
        Value::Varchar("m1".into()),
        "the messageId wins"
    );
    let discarded: Vec<(&str, &str)> = row
        .discarded
        .iter()
        .map(|d| {
            assert_eq!(d.why, Dropped::Reserved);
            (d.path.as_str(), d.column.as_str())
        })
        .collect();
    assert_eq!(
        discarded,
        [
            ("properties.user_id", "user_id"),
            ("properties.userId", "user_id"),
            ("properties.id", "id"),
            ("properties.receivedAt", "received_at"),
            ("properties.event", "event"),
            ("properties.uuid_ts", "uuid_ts"),
        ]
    );
    let group = map(r#"{"type": "group", "groupId": "g1", "traits": {"groupId": "other"}}"#);
    assert_eq!(group[0].discarded[0].column, "group_id");
}

#[test]
fn properties_collapsing_onto_one_column_are_recorded() {
    let row = track(r#"{"accountType": "pro", "account_type": "free", "Account Type": "x"}"#);
    assert_eq!(
        *value(&row, "account_type"),
        Value::Varchar("pro".into()),
        "first wins"
    );
    let lost: Vec<(&str, &str, &str)> = row
        .collisions
        .iter()
        .map(|c| (c.column.as_str(), c.kept.as_str(), c.lost.as_str()))
        .collect();
    assert_eq!(
        lost,
        [
            (
                "account_type",
                "properties.accountType",
                "properties.account_type"
            ),
            (
                "account_type",
                "properties.accountType",
                "properties.Account Type"
            ),
        ]
    );
    let rows = map(r#"{
        "type": "track", "event": "E", "context": {"ip": "1.2.3.4"},
        "properties": {"context_ip": "5.6.7.8", "a": {"b": 1}, "a_b": 2}
    }"#);
    let lost: Vec<&str> = rows[1].collisions.iter().map(|c| c.lost.as_str()).collect();
    assert_eq!(lost, ["properties.context_ip", "properties.a_b"]);
    // A key with a dot in it is the `_`-joined name go-snakecase makes of it: the same column
    // as the nested object's, in properties and in context alike.
    let rows = map(r#"{
        "type": "track", "event": "E", "context": {"app": {"buildNumber": 7}, "app.buildNumber": 8},
        "properties": {"cart.itemCount": 3, "cart": {"itemCount": 4}}
    }"#);
    assert_eq!(*value(&rows[1], "cart_item_count"), Value::Integer(3));
    assert_eq!(
        *value(&rows[1], "context_app_build_number"),
        Value::Integer(7)
    );
    let lost: Vec<(&str, &str)> = rows[1]
        .collisions
        .iter()
        .map(|c| (c.column.as_str(), c.lost.as_str()))
        .collect();
    assert_eq!(
        lost,
        [
            ("context_app_build_number", "context.app.buildNumber"),
            ("cart_item_count", "properties.cart.itemCount"),
        ]
    );
}

#[test]
fn types_are_inferred_from_values() {
    let row = track(
        r#"{
        "count": 42, "price": 42.5, "whole": 42.0, "text_price": "42.50", "ok": true,
        "at": "2026-11-22T12:00:00.000Z", "local": "2026-11-22T12:00:00",
        "date_words": "Nov 22 2026", "big": 18446744073709551615, "negative": -3,
        "missing": null
    }"#,
    );
    let typed: Vec<(&str, ColumnType)> = row.columns[3..]
        .iter()
        .map(|c| (&*c.name, c.column_type()))
        .collect();
    assert_eq!(
        typed,
        [
            ("count", ColumnType::Integer),
            ("price", ColumnType::Float),
            ("whole", ColumnType::Float),
            ("text_price", ColumnType::Varchar),
            ("ok", ColumnType::Boolean),
            ("at", ColumnType::Timestamp),
            ("local", ColumnType::Timestamp),
            ("date_words", ColumnType::Varchar),
            ("big", ColumnType::Float),
            ("negative", ColumnType::Integer),
        ]
    );
    assert_eq!(*value(&row, "count"), Value::Integer(42));
    assert_eq!(*value(&row, "price"), Value::Float(42.5));
    assert_eq!(*value(&row, "text_price"), Value::Varchar("42.50".into()));
    assert_eq!(row.column("missing"), None, "null makes no column");
    assert_eq!(ColumnType::Timestamp.to_string(), "timestamp");
}

#[test]
fn strings_are_cut_at_512_characters_never_inside_one() {
    // 511 ASCII characters then a 4-byte one at the 512th place and more after it.
    let long = format!("{}😀tail", "a".repeat(511));
    let exact = "é".repeat(512);
    let properties = json!({"long": long, "exact": exact, "list": ["x".repeat(600)]});
    let row = track(&properties.to_string());
    let Value::Varchar(cut) = value(&row, "long") else {
        panic!("varchar")
    };
    assert_eq!(cut.chars().count(), MAX_VARCHAR_CHARS);
    assert!(cut.ends_with('😀'));
    assert_eq!(
        *value(&row, "exact"),
        Value::Varchar(exact.as_str().into()),
        "512 is kept whole"
    );
    let truncated: Vec<(&str, &str, usize)> = row
        .truncated
        .iter()
        .map(|t| (t.column.as_str(), t.path.as_str(), t.chars))
        .collect();
    assert_eq!(
        truncated,
        // `json!` sorts keys: `exact`, `list`, `long`.
        [
            ("list", "properties.list", 604),
            ("long", "properties.long", 516)
        ]
    );
}

#[test]
fn names_go_snakecase_empties_make_no_column_and_no_table() {
    let row = track(r#"{"¿?": 1, "日本": {"x": 2}}"#);
    assert_eq!(names(&row)[3..], ["x"], "a nested key keeps its own name");
    assert_eq!(row.discarded.len(), 1);
    assert_eq!(row.discarded[0].why, Dropped::EmptyName);
    assert_eq!(row.discarded[0].path, "properties.¿?");
    let rows = map(r#"{"type": "track", "event": "🎉", "properties": {"a": 1}}"#);
    assert_eq!(tables(&rows), ["tracks"]);
    assert_eq!(rows[0].discarded[0].path, "event");
}

#[test]
fn ids_are_varchar_whatever_their_json_type() {
    let rows = map(r#"{"type": "identify", "userId": 42, "messageId": true}"#);
    assert_eq!(*value(&rows[0], "user_id"), Value::Varchar("42".into()));
    assert_eq!(*value(&rows[0], "id"), Value::Varchar("true".into()));
    assert_eq!(*value(&rows[1], "id"), Value::Varchar("42".into()));
}

#[test]
fn every_fixture_event_maps_and_the_known_tables_appear() {
    let fixture = include_str!("../../../../tests/fixtures/events.ndjson");
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut lines = 0;
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        let message = Json::parse(line).unwrap();
        for row in rows(&message) {
            for column in &row.columns {
                assert!(
                    is_column_name(&column.name),
                    "{:?} in {}",
                    column.name,
                    row.table
                );
            }
            *seen.entry(row.table.to_string()).or_default() += 1;
        }
    }
    assert_eq!(lines, 600);
    for table in [
        "tracks",
        "identifies",
        "users",
        "pages",
        "screens",
        "groups",
        "accounts",
        "aliases",
        "product_viewed",
        "order_completed",
    ] {
        assert!(seen.contains_key(table), "{table} missing from {seen:?}");
    }
    assert_eq!(seen["pages"], 60);
    assert_eq!(seen["screens"], 19);
    assert_eq!(seen["product_viewed"], 57);
    // `Order Completed` and `Order completed` share one table.
    assert_eq!(seen["order_completed"], 11);
}

fn arbitrary_json() -> impl Strategy<Value = JsonValue> {
    let leaf = prop_oneof![
        Just(JsonValue::Null),
        any::<bool>().prop_map(JsonValue::from),
        any::<i64>().prop_map(JsonValue::from),
        any::<f64>().prop_map(JsonValue::from),
        ".{0,600}".prop_map(JsonValue::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(JsonValue::from),
            proptest::collection::vec((".{0,12}", inner), 0..6)
                .prop_map(|members| JsonValue::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_object_maps_without_panicking_to_valid_column_names(
        call in prop_oneof![
            Just("track"), Just("identify"), Just("page"), Just("screen"),
            Just("group"), Just("alias"),
        ],
        event in ".{0,20}",
        body in arbitrary_json(),
        context in arbitrary_json(),
    ) {
        let message = json!({
            "type": call, "event": event, "messageId": "m", "userId": "u", "groupId": "g",
            "properties": body, "traits": body, "context": context,
        });
        for row in rows(&Json::from_value(&message)) {
            prop_assert!(is_column_name(&row.table), "table {:?}", row.table);
            let mut names = std::collections::HashSet::new();
            for column in &row.columns {
                prop_assert!(is_column_name(&column.name), "column {:?}", column.name);
                prop_assert!(names.insert(column.name.clone()), "{} twice", column.name);
                if let Value::Varchar(s) = &column.value {
                    prop_assert!(s.chars().count() <= MAX_VARCHAR_CHARS);
                }
            }
        }
    }
}
