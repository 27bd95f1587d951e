//! The loader's coercions and the driver against an in-memory SQLite: tables and columns as
//! they appear, idempotent inserts, merged upserts, conflicts coerced or NULLed.

use super::*;
use crate::model::json::Json;

fn value_of(sink: &sqlite::SqliteSink, sql: &str) -> rusqlite::types::Value {
    sink.connection()
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn coercion_follows_segment() {
    use ColumnType::*;
    let cases: Vec<(Value, ColumnType, Option<Value>, Fate)> = vec![
        (
            Value::Integer(42),
            Varchar,
            Some(Value::Varchar("42".into())),
            Fate::Coerced,
        ),
        (
            Value::Boolean(true),
            Varchar,
            Some(Value::Varchar("true".into())),
            Fate::Coerced,
        ),
        (
            Value::Float(42.5),
            Varchar,
            Some(Value::Varchar("42.5".into())),
            Fate::Coerced,
        ),
        (
            Value::Varchar("42".into()),
            Integer,
            Some(Value::Integer(42)),
            Fate::Coerced,
        ),
        (Value::Varchar("42.50".into()), Integer, None, Fate::Nulled),
        (
            Value::Float(42.9),
            Integer,
            Some(Value::Integer(42)),
            Fate::Coerced,
        ),
        (Value::Varchar("abc".into()), Integer, None, Fate::Nulled),
        (Value::Boolean(true), Integer, None, Fate::Nulled),
        (
            Value::Integer(3),
            Float,
            Some(Value::Float(3.0)),
            Fate::Kept,
        ),
        (
            Value::Varchar("42.50".into()),
            Float,
            Some(Value::Float(42.5)),
            Fate::Coerced,
        ),
        (
            Value::Varchar("TRUE".into()),
            Boolean,
            Some(Value::Boolean(true)),
            Fate::Coerced,
        ),
        (Value::Integer(1), Boolean, None, Fate::Nulled),
        (
            Value::Varchar("2026-11-01 10:00:00".into()),
            Timestamp,
            Some(Value::Timestamp("2026-11-01T10:00:00.000000Z".into())),
            Fate::Coerced,
        ),
        (
            Value::Timestamp("2026-11-01T12:00:00.5+02:00".into()),
            Timestamp,
            Some(Value::Timestamp("2026-11-01T10:00:00.500000Z".into())),
            Fate::Kept,
        ),
        (Value::Integer(7), Timestamp, None, Fate::Nulled),
        (Value::Float(f64::NAN), Float, None, Fate::Nulled),
        (
            Value::Varchar("a\0b".into()),
            Varchar,
            Some(Value::Varchar("ab".into())),
            Fate::Kept,
        ),
    ];
    for (value, column, loaded, fate) in cases {
        assert_eq!(
            {
                let (cell, fate) = coerce(value.clone(), column);
                (cell.ok(), fate)
            },
            (loaded, fate),
            "{value:?} into {column}"
        );
    }
}

/// The loader loads what the `warehouse/type-conflict` verdict says the warehouse will.
#[test]
fn coercion_agrees_with_the_verdicts_fate() {
    use crate::inspect::warehouse::{Fate as Verdict, fate};
    let values = [
        Value::Integer(42),
        Value::Integer(-7),
        Value::Float(42.5),
        Value::Float(-0.5),
        Value::Boolean(true),
        Value::Varchar("42".into()),
        Value::Varchar(" 42 ".into()),
        Value::Varchar("42.50".into()),
        Value::Varchar("yes".into()),
        Value::Varchar("F".into()),
        Value::Varchar("lots".into()),
        Value::Varchar("2026-11-01T10:00:00Z".into()),
        Value::Timestamp("2026-11-01T10:00:00Z".into()),
    ];
    let types = [
        ColumnType::Timestamp,
        ColumnType::Integer,
        ColumnType::Float,
        ColumnType::Boolean,
        ColumnType::Varchar,
    ];
    for value in &values {
        for &column in &types {
            if !crate::warehouse::conflicts(column, value.column_type()) {
                continue;
            }
            let loaded = coerce(value.clone(), column).0.ok();
            let said = fate(column, value);
            assert_eq!(
                loaded.is_some(),
                matches!(said, Verdict::Coerced(_)),
                "{value:?} into {column}: loader {loaded:?}, verdict {said:?}"
            );
        }
    }
}

fn load<S: Sink>(loader: &mut Loader<S>, seq: u64, text: &str) {
    let tree = Json::parse(text).unwrap();
    loader.add(seq, &tree, text, None).unwrap();
}

/// Loads `messages` into a fresh in-memory database and hands it back with the summary.
fn load_all(sink: sqlite::SqliteSink, messages: &[&str], batch: usize) -> Summary {
    let mut loader = Loader::new(Box::new(sink), 1_600).with_batch_rows(batch);
    for (i, text) in messages.iter().enumerate() {
        load(&mut loader, i as u64 + 1, text);
    }
    loader.finish().unwrap().0
}

#[test]
fn tables_columns_and_types_appear_and_reloads_add_nothing() {
    let path = scratch_db("reload");
    let messages = [
        r#"{"type":"track","event":"Order Completed","messageId":"m1","receivedAt":"2026-11-01T00:00:00Z","properties":{"total":42.5,"items":2,"paid":true}}"#,
        r#"{"type":"track","event":"Order Completed","messageId":"m2","properties":{"total":10,"coupon":"X"}}"#,
        r#"{"type":"track","event":"Order Completed","messageId":"m2","properties":{"total":10}}"#,
    ];
    let open = || open(&path);
    let first = load_all(open(), &messages, 2);
    assert_eq!((first.inserted, first.duplicates), (4, 2), "{first:?}");
    assert_eq!(first.tables_created, 2);
    assert_eq!(
        first.columns_added, 1,
        "`coupon`, in the event table after the first flush"
    );
    let second = load_all(open(), &messages, 100);
    assert_eq!((second.inserted, second.duplicates), (0, 6), "{second:?}");
    assert_eq!((second.tables_created, second.columns_added), (0, 0));
    let sink = open();
    let types: Vec<(String, String)> = sink
        .connection()
        .prepare("SELECT name, type FROM pragma_table_info('order_completed', 'events')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let find = |n: &str| types.iter().find(|(c, _)| c == n).map(|(_, t)| t.as_str());
    assert_eq!(find("id"), Some("VARCHAR(512)"));
    assert_eq!(find("total"), Some("DOUBLE PRECISION"));
    assert_eq!(find("items"), Some("BIGINT"));
    assert_eq!(find("paid"), Some("BOOLEAN"));
    assert_eq!(find("received_at"), Some("TIMESTAMP"));
    assert_eq!(find("uuid_ts"), Some("TIMESTAMP"));
    assert_eq!(
        value_of(
            &sink,
            "SELECT received_at FROM events.order_completed WHERE id = 'm1'"
        ),
        rusqlite::types::Value::Text("2026-11-01T00:00:00.000000Z".into())
    );
    drop(sink);
    let _ = std::fs::remove_file(&path);
}

fn scratch_db(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("eventscope-load-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn open(path: &std::path::Path) -> sqlite::SqliteSink {
    sqlite::SqliteSink::open(path, "events", std::time::Duration::from_secs(5)).unwrap()
}

#[test]
fn users_are_upserted_newer_non_null_values_winning() {
    let messages = [
        r#"{"type":"identify","userId":"u1","messageId":"i1","receivedAt":"2026-11-01T00:00:02Z","traits":{"plan":"pro","email":"a@x"}}"#,
        r#"{"type":"identify","userId":"u1","messageId":"i2","receivedAt":"2026-11-01T00:00:01Z","traits":{"plan":"free","name":"Ann"}}"#,
        r#"{"type":"identify","userId":"u1","messageId":"i3","receivedAt":"2026-11-01T00:00:03Z","traits":{"email":"b@x"}}"#,
    ];
    // Merged in one batch, and through the database's upsert one row at a time.
    for batch in [100, 1] {
        let path = scratch_db(&format!("upsert-{batch}"));
        let summary = load_all(open(&path), &messages, batch);
        assert_eq!((summary.upserted, summary.inserted), (3, 3));
        let sink = open(&path);
        let row = |c: &str| {
            value_of(
                &sink,
                &format!("SELECT {c} FROM events.users WHERE id = 'u1'"),
            )
        };
        let text = |s: &str| rusqlite::types::Value::Text(s.to_string());
        assert_eq!(row("count(*)"), rusqlite::types::Value::Integer(1));
        assert_eq!(row("plan"), text("pro"), "batch {batch}");
        assert_eq!(row("email"), text("b@x"), "batch {batch}");
        assert_eq!(row("name"), text("Ann"), "batch {batch}");
        assert_eq!(row("received_at"), text("2026-11-01T00:00:03.000000Z"));
        drop(sink);
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn a_type_conflict_is_coerced_or_nulled_and_reported() {
    let sink = sqlite::SqliteSink::in_memory().unwrap();
    let summary = load_all(
        sink,
        &[
            r#"{"type":"track","event":"Paid","messageId":"a","properties":{"amount":42,"label":"x"}}"#,
            r#"{"type":"track","event":"Paid","messageId":"b","properties":{"amount":"43","label":7}}"#,
            r#"{"type":"track","event":"Paid","messageId":"c","properties":{"amount":"lots"}}"#,
        ],
        100,
    );
    assert_eq!(
        (summary.coerced, summary.nulled),
        (2, 1),
        "{:?}",
        summary.notes
    );
    let nulled = summary
        .notes
        .iter()
        .find(|n| n.fate == Fate::Nulled)
        .unwrap();
    assert_eq!(
        (nulled.seq, nulled.table.as_str(), nulled.column.as_str()),
        (3, "paid", "amount")
    );
    assert_eq!(summary.inserted, 6);
}

#[test]
fn passwords_are_masked() {
    assert_eq!(
        mask_password("postgres://ann:s3cret@db:5432/x?sslmode=disable"),
        "postgres://ann:***@db:5432/x?sslmode=disable"
    );
    assert_eq!(
        mask_password("postgresql://db/x?user=ann&password=s3cret&x=1"),
        "postgresql://db/x?user=ann&password=***&x=1"
    );
    assert_eq!(mask_password("postgres://ann@db/x"), "postgres://ann@db/x");
}

#[test]
fn targets_parse() {
    assert_eq!(
        Target::parse("sqlite:///tmp/x.db").unwrap(),
        Target::Sqlite("/tmp/x.db".into())
    );
    assert_eq!(
        Target::parse("sqlite:x.db").unwrap(),
        Target::Sqlite("x.db".into())
    );
    assert!(matches!(
        Target::parse("postgresql://h/db"),
        Ok(Target::Postgres(_))
    ));
    assert!(matches!(
        Target::parse("mysql://h/db"),
        Err(LoadError::Usage(_))
    ));
    assert!(matches!(Target::parse("sqlite:"), Err(LoadError::Usage(_))));
}

#[test]
fn names_a_database_keeps_for_itself_are_loaded_under_another() {
    let path = scratch_db("reserved");
    let summary = load_all(
        open(&path),
        &[
            r#"{"type":"track","event":"SQLite Stat1","messageId":"r1","properties":{"xmin":1,"ctid":"x","a_very_long_property_name_that_goes_on_and_on_past_sixty_three_bytes":2,"a_very_long_property_name_that_goes_on_and_on_past_sixty_three_bytes_too":3}}"#,
        ],
        10,
    );
    assert_eq!(summary.inserted, 2, "{summary:?}");
    let sink = open(&path);
    assert_eq!(
        value_of(
            &sink,
            "SELECT \"_xmin\" || \"_ctid\" FROM events._sqlite_stat1"
        ),
        rusqlite::types::Value::Text("1x".into())
    );
    assert_eq!(
        value_of(
            &sink,
            "SELECT a_very_long_property_name_that_goes_on_and_on_past_sixty_three_ FROM events._sqlite_stat1"
        ),
        rusqlite::types::Value::Integer(2),
        "cut to 63 bytes, the first of two such keeps it"
    );
    drop(sink);
    let _ = std::fs::remove_file(&path);
}
