use super::shape::{ShapeChangeKind, ShapeOptions, Shapes, Types};
use super::*;

fn parse(text: &str) -> Json<'_> {
    Json::parse(text).unwrap()
}

fn changes(before: &str, after: &str) -> MessageDiff {
    diff(&parse(before), &parse(after), &DiffOptions::default())
}

#[test]
fn a_type_change_is_called_out_with_both_types() {
    let d = changes(
        r#"{"properties":{"price":9.99}}"#,
        r#"{"properties":{"price":"9.99"}}"#,
    );
    assert_eq!(
        d.changes,
        vec![Change {
            path: "properties.price".into(),
            kind: ChangeKind::TypeChanged {
                before: "9.99".into(),
                after: "\"9.99\"".into(),
                from: "number",
                to: "string",
            },
        }]
    );
    let d = changes(r#"{"a":{"b":1}}"#, r#"{"a":[1]}"#);
    assert!(matches!(
        d.changes[0].kind,
        ChangeKind::TypeChanged {
            from: "object",
            to: "array",
            ..
        }
    ));
}

#[test]
fn added_removed_and_changed_paths_in_the_projects_path_syntax() {
    let d = changes(
        r#"{"event":"A","properties":{"old":1,"same":true,"odd key":"x"}}"#,
        r#"{"event":"B","properties":{"same":true,"odd key":"y","new":null}}"#,
    );
    let summary: Vec<(&str, &str)> = d
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.kind.name()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("event", "changed"),
            ("properties.old", "removed"),
            (r#"properties["odd key"]"#, "changed"),
            ("properties.new", "added"),
        ]
    );
    assert_eq!(
        d.changes[3].kind,
        ChangeKind::Added {
            value: "null".into(),
            kind: "null"
        }
    );
}

#[test]
fn arrays_compare_by_index_and_report_their_length() {
    let d = changes(
        r#"{"products":[{"id":"a"},{"id":"b"}]}"#,
        r#"{"products":[{"id":"a"},{"id":"c"},{"id":"d"}]}"#,
    );
    let summary: Vec<(&str, &str)> = d
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.kind.name()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("products", "length"),
            ("products[1].id", "changed"),
            ("products[2]", "added"),
        ]
    );
    assert_eq!(
        d.changes[0].kind,
        ChangeKind::Length {
            before: 2,
            after: 3
        }
    );
}

#[test]
fn volatile_fields_are_hidden_and_counted_unless_shown() {
    let a = r#"{"messageId":"1","timestamp":"t1","sentAt":"s1","_metadata":{"bundled":[]},"context":{"library":{"version":"1"},"timestamp":"x"},"userId":"u"}"#;
    let b = r#"{"messageId":"2","timestamp":"t2","sentAt":"s2","_metadata":{"bundled":["x"]},"context":{"library":{"version":"2"},"timestamp":"y"},"userId":"u"}"#;
    let d = changes(a, b);
    // The library version and a nested `timestamp` are not volatile: only the top level is.
    let paths: Vec<&str> = d.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["context.library.version", "context.timestamp"]);
    // messageId, timestamp, sentAt, and _metadata.bundled's length and its element.
    assert_eq!(d.hidden, 5);
    let all = diff(
        &parse(a),
        &parse(b),
        &DiffOptions {
            show_volatile: true,
            ..DiffOptions::default()
        },
    );
    assert_eq!(all.hidden, 0);
    assert_eq!(all.changes.len(), 7);
    assert!(changes(a, a).is_empty());
}

#[test]
fn diffs_are_bounded_in_changes_depth_and_bytes() {
    let before: String = format!(
        "{{{}}}",
        (0..50)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let options = DiffOptions {
        max_changes: 10,
        max_depth: 1,
        max_value_bytes: 8,
        ..DiffOptions::default()
    };
    let d = diff(&parse(&before), &parse("{}"), &options);
    assert_eq!((d.changes.len(), d.more), (10, 40));
    let d = diff(
        &parse(r#"{"a":{"b":{"c":1}}}"#),
        &parse(r#"{"a":{"b":{"c":2}}}"#),
        &options,
    );
    // Past the depth, the subtree that differs is one change, its value cut.
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].path, "a");
    assert_eq!(
        d.changes[0].kind,
        ChangeKind::Changed {
            before: "{\"b\":{\"c…".into(),
            after: "{\"b\":{\"c…".into()
        }
    );
    assert_eq!(bounded(&parse(r#""ééé""#), 4), "\"é…");
}

fn track(event: &str, properties: &str) -> String {
    format!(r#"{{"type":"track","event":"{event}","properties":{properties}}}"#)
}

#[test]
fn shapes_name_a_type_change_with_its_first_seq() {
    let mut shapes = Shapes::new(ShapeOptions::default());
    let messages = [
        (
            1,
            track(
                "Order Completed",
                r#"{"price":9.99,"products":[{"id":"a"}]}"#,
            ),
        ),
        (2, track("Viewed", r#"{"x":1}"#)),
        (
            3,
            track("Order Completed", r#"{"price":5,"products":[{"id":"b"}]}"#),
        ),
        (
            4,
            track(
                "Order Completed",
                r#"{"price":"5.00","products":[{"id":1}]}"#,
            ),
        ),
        (
            5,
            track(
                "Order Completed",
                r#"{"price":"7.00","products":[{"id":2}]}"#,
            ),
        ),
        (6, r#"{"type":"identify","traits":{}}"#.to_string()),
    ];
    for (seq, text) in &messages {
        shapes.observe(*seq, &parse(text));
    }
    let events = shapes.finish();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["Order Completed", "Viewed", "identify"]);
    let order = &events[0];
    assert_eq!((order.messages, order.first_seq, order.last_seq), (4, 1, 5));
    let changes: Vec<(u64, &str, String)> = order
        .changes
        .iter()
        .map(|c| match c.kind {
            ShapeChangeKind::TypeChanged { from, to } => {
                (c.seq, c.path.as_str(), format!("{from} → {to}"))
            }
            other => (c.seq, c.path.as_str(), other.name().to_string()),
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (4, "properties.price", "number → string".to_string()),
            (4, "properties.products[].id", "string → number".to_string()),
        ]
    );
    let price = order
        .paths
        .iter()
        .find(|p| p.path == "properties.price")
        .unwrap();
    assert_eq!(price.types.to_string(), "number|string");
    assert!(events[1].changes.is_empty());
}

#[test]
fn shapes_report_paths_that_appear_and_disappear() {
    let mut shapes = Shapes::new(ShapeOptions {
        event: Some("Signed Up".into()),
        ..ShapeOptions::default()
    });
    let messages = [
        (10, track("Signed Up", r#"{"plan":"free","legacy":true}"#)),
        (11, track("Other", r#"{"plan":1}"#)),
        (
            12,
            track("Signed Up", r#"{"plan":"free","legacy":true,"coupon":"X"}"#),
        ),
        (13, track("Signed Up", r#"{"plan":"pro","coupon":"Y"}"#)),
        (14, track("Signed Up", r#"{"plan":"pro"}"#)),
    ];
    for (seq, text) in &messages {
        shapes.observe(*seq, &parse(text));
    }
    assert_eq!(shapes.messages, 4, "only the event asked for");
    let events = shapes.finish();
    assert_eq!(events.len(), 1);
    let changes: Vec<(u64, &str, &str)> = events[0]
        .changes
        .iter()
        .map(|c| (c.seq, c.path.as_str(), c.kind.name()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (12, "properties.coupon", "appeared"),
            (13, "properties.legacy", "disappeared"),
            (14, "properties.coupon", "disappeared"),
        ]
    );
    assert_eq!(
        events[0].changes[0].kind,
        ShapeChangeKind::Appeared {
            types: Types::of(&parse(r#""s""#))
        }
    );
}

#[test]
fn shapes_are_bounded() {
    let mut shapes = Shapes::new(ShapeOptions {
        max_events: 1,
        max_paths: 2,
        ..ShapeOptions::default()
    });
    shapes.observe(1, &parse(&track("A", r#"{"a":1,"b":2,"c":3}"#)));
    shapes.observe(2, &parse(&track("B", r#"{}"#)));
    assert_eq!(shapes.untracked, 1);
    let events = shapes.finish();
    assert_eq!(events[0].paths.len(), 2);
    assert_eq!(events[0].untracked_paths, 4);
}
