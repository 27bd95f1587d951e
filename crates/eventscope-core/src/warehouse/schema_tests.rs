//! The schema tracker: tables and columns with their first seq and type, row counts,
//! conflicts (an integer column getting a float is one, a float column getting an integer is
//! not), families of event tables, the caps, and the lookups a schema view reads.

use super::*;
use crate::model::json::Json;

fn map(text: &str) -> Vec<Row> {
    rows(&Json::parse(text).unwrap())
}

fn track(event: &str, properties: &str) -> Vec<Row> {
    map(&format!(
        r#"{{"type": "track", "event": "{event}", "messageId": "m", "properties": {properties}}}"#
    ))
}

#[test]
fn tables_and_columns_keep_the_seq_and_type_that_introduced_them() {
    let mut schema = Schema::new();
    let first = schema.observe(1, &track("Order Completed", r#"{"total": 42}"#));
    assert_eq!(first.new_tables, ["tracks", "order_completed"]);
    assert!(first.new_columns.contains(&NewColumn {
        table: "order_completed".into(),
        column: "total".into()
    }));
    let second = schema.observe(
        2,
        &track("Order Completed", r#"{"total": 7, "coupon": "X"}"#),
    );
    assert!(second.new_tables.is_empty());
    assert_eq!(
        second.new_columns,
        [NewColumn {
            table: "order_completed".into(),
            column: "coupon".into()
        }]
    );
    assert!(second.conflicts.is_empty());
    let table = schema.table("order_completed").unwrap();
    assert_eq!((table.first_seq(), table.rows()), (1, 2));
    let total = table.column("total").unwrap();
    assert_eq!(
        (total.column_type, total.first_seq, total.conflicts),
        (ColumnType::Integer, 1, 0)
    );
    assert_eq!(table.column("coupon").unwrap().first_seq, 2);
    // Columns in the order they appeared; tables sorted by name.
    let names: Vec<&str> = table.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&names[names.len() - 2..], ["total", "coupon"]);
    let tables: Vec<&str> = schema.tables().map(TableSchema::name).collect();
    assert_eq!(tables, ["order_completed", "tracks"]);
    assert_eq!(schema.table("tracks").unwrap().rows(), 2);
}

#[test]
fn a_value_of_another_type_is_a_conflict_naming_the_first_seq() {
    let mut schema = Schema::new();
    schema.observe(3, &track("Order Completed", r#"{"price": 42}"#));
    let observed = schema.observe(9, &track("Order Completed", r#"{"price": 42.5}"#));
    assert_eq!(
        observed.conflicts,
        [Conflict {
            table: "order_completed".into(),
            column: "price".into(),
            path: "properties.price".into(),
            column_type: ColumnType::Integer,
            first_seq: 3,
            value: Value::Float(42.5),
        }]
    );
    // The column keeps its first type; the conflict is counted.
    let table = schema.table("order_completed").unwrap();
    let price = table.column("price").unwrap();
    assert_eq!(
        (price.column_type, price.conflicts),
        (ColumnType::Integer, 1)
    );
    assert_eq!(table.conflicts(), 1);
    // The same type again, and a string after it, conflict or not as they should.
    assert!(
        schema
            .observe(10, &track("Order Completed", r#"{"price": 1}"#))
            .conflicts
            .is_empty()
    );
    let text = schema.observe(11, &track("Order Completed", r#"{"price": "42.50"}"#));
    assert_eq!(text.conflicts[0].value, Value::Varchar("42.50".into()));
}

#[test]
fn an_integer_in_a_float_column_widens_without_a_conflict() {
    let mut schema = Schema::new();
    schema.observe(1, &track("Order Completed", r#"{"price": 42.5}"#));
    let observed = schema.observe(2, &track("Order Completed", r#"{"price": 42}"#));
    assert!(observed.conflicts.is_empty());
    assert!(conflicts(ColumnType::Integer, ColumnType::Float));
    assert!(!conflicts(ColumnType::Float, ColumnType::Integer));
    assert!(conflicts(ColumnType::Varchar, ColumnType::Integer));
}

#[test]
fn event_tables_differing_only_by_digits_or_ids_are_a_family_told_once() {
    assert_eq!(
        mask("ordered_product_15").as_deref(),
        Some("ordered_product_#")
    );
    assert_eq!(mask("step2_done").as_deref(), Some("step#_done"));
    assert_eq!(
        mask("viewed_3f2a9c1e_4b5d_4c3e_9a1b_0123456789ab").as_deref(),
        Some("viewed_#_#_#_#_#")
    );
    assert_eq!(mask("order_completed"), None);
    let mut schema = Schema::new();
    assert_eq!(
        schema.observe(4, &track("Ordered Product 15", "{}")).family,
        None
    );
    // The same table again is no new member.
    assert_eq!(
        schema.observe(5, &track("Ordered Product 15", "{}")).family,
        None
    );
    let second = schema.observe(6, &track("Ordered Product 16", "{}"));
    assert_eq!(
        second.family,
        Some(Family {
            pattern: "ordered_product_#".into(),
            first_table: "ordered_product_15".into(),
            first_seq: 4,
            table: "ordered_product_16".into(),
        })
    );
    assert_eq!(
        schema.observe(7, &track("Ordered Product 17", "{}")).family,
        None
    );
    // The fixed tables are never a family.
    let page = map(r#"{"type": "page", "name": "Step 2", "messageId": "p"}"#);
    assert_eq!(schema.observe(8, &page).family, None);
}

#[test]
fn the_caps_drop_new_columns_and_count_them() {
    let mut schema = Schema::new();
    let wide: String = (0..MAX_COLUMNS_PER_TABLE + 5)
        .map(|i| format!("\"p{i}x\": 1"))
        .collect::<Vec<_>>()
        .join(",");
    let observed = schema.observe(1, &track("Wide", &format!("{{{wide}}}")));
    let table = schema.table("wide").unwrap();
    assert_eq!(table.columns().len(), MAX_COLUMNS_PER_TABLE);
    assert!(observed.dropped > 0);
    assert_eq!(schema.dropped_columns(), observed.dropped as u64);
    assert_eq!(schema.dropped_tables(), 0);
    // Known columns still count rows and conflicts.
    let again = schema.observe(2, &track("Wide", r#"{"p0x": "text"}"#));
    assert_eq!(again.conflicts.len(), 1);
}
