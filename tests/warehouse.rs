//! `eventscope warehouse` through the real binary into real databases: the fixture events
//! into a SQLite file (tables, columns, types and row counts as Segment's schema makes them;
//! a second load adds nothing), a recording with type conflicts (coerced or NULLed and
//! reported, a bad line counted), a refused connection (one line, exit 2, the password
//! masked), and the same load into a real PostgreSQL cluster the test starts itself.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

#[path = "common/postgres.rs"]
mod postgres;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use eventscope::model::json::Json;
use eventscope::model::thousands;
use eventscope::warehouse::{Load, Value, rows};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");

fn warehouse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("warehouse")
        .args(args)
        .env_remove("EVENTSCOPE_WAREHOUSE")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eventscope-warehouse-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the fixture should become, from the mapping itself: each table's distinct ids.
fn expected_rows(path: &str) -> BTreeMap<String, usize> {
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let tree = Json::parse(line).unwrap();
        for row in rows(&tree) {
            let Some(Value::Varchar(id)) = row.column("id").map(|c| c.value.clone()) else {
                panic!("a fixture row without an id: {line}");
            };
            ids.entry(row.table.to_string())
                .or_default()
                .insert(id.to_string());
        }
    }
    ids.into_iter().map(|(t, ids)| (t, ids.len())).collect()
}

/// Each table's row count in a SQLite file.
fn sqlite_counts(db: &Path) -> BTreeMap<String, usize> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n as usize)
        })
        .collect()
}

fn sqlite_types(db: &Path, table: &str) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.prepare(&format!(
        "SELECT name, type FROM pragma_table_info('{table}')"
    ))
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn the_fixture_loads_into_sqlite_with_segments_schema_and_a_second_load_adds_nothing() {
    let dir = scratch("fixture");
    let db = dir.join("events.db");
    let to = format!("sqlite:{}", db.display());
    let first = warehouse(&[FIXTURE, "--to", &to]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let summary = stdout(&first);

    let expected = expected_rows(FIXTURE);
    let counts = sqlite_counts(&db);
    assert_eq!(counts, expected, "{summary}");
    for fixed in [
        "tracks",
        "identifies",
        "users",
        "pages",
        "screens",
        "groups",
        "accounts",
        "aliases",
    ] {
        assert!(counts.contains_key(fixed), "{fixed} missing: {counts:?}");
    }
    assert_eq!(counts["tracks"], 438, "every track call");
    assert_eq!(counts["users"], 49, "one row per userId");
    assert_eq!(counts["accounts"], 21, "one row per groupId");
    let inserted: usize = expected
        .iter()
        .filter(|(t, _)| !["users", "accounts"].contains(&t.as_str()))
        .map(|(_, n)| n)
        .sum();
    assert!(
        summary.contains(&format!(
            "rows: {} inserted, 0 skipped as duplicates, 70 upserted",
            thousands(inserted as u64)
        )),
        "{summary}"
    );
    assert!(summary.contains("lines skipped: 0"), "{summary}");

    // Columns and types as Segment names and types them.
    let tracks = sqlite_types(&db, "tracks");
    for (column, ty) in [
        ("id", "VARCHAR(512)"),
        ("received_at", "TIMESTAMP"),
        ("timestamp", "TIMESTAMP"),
        ("original_timestamp", "TIMESTAMP"),
        ("anonymous_id", "VARCHAR(512)"),
        ("event", "VARCHAR(512)"),
        ("event_text", "VARCHAR(512)"),
        ("context_library_name", "VARCHAR(512)"),
        ("uuid_ts", "TIMESTAMP"),
    ] {
        assert_eq!(
            tracks.get(column).map(String::as_str),
            Some(ty),
            "tracks.{column}: {tracks:?}"
        );
    }
    let order = sqlite_types(&db, "order_updated");
    assert_eq!(order["total"], "DOUBLE PRECISION", "{order:?}");
    assert_eq!(order["order_id"], "VARCHAR(512)");
    assert!(
        !tracks.contains_key("total"),
        "tracks has common columns only"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (event, text): (String, String) = conn
        .query_row(
            "SELECT event, event_text FROM order_updated LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (event.as_str(), text.as_str()),
        ("order_updated", "Order Updated")
    );
    drop(conn);

    // Loading the same file again (in other batches) adds no row and no column.
    let second = warehouse(&[FIXTURE, "--to", &to, "--batch-rows", "37"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let again = stdout(&second);
    assert!(
        again.contains(&format!(
            "rows: 0 inserted, {} skipped as duplicates",
            thousands(inserted as u64)
        )),
        "{again}"
    );
    assert!(again.contains("(0 created); columns added: 0"), "{again}");
    assert_eq!(sqlite_counts(&db), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `paid`'s id, amount, label and note.
type PaidRow = (String, Option<i64>, Option<String>, Option<String>);

/// A recording whose `amount` is first an integer, and whose `label` is first a string (and
/// a property named as one of PostgreSQL's system columns, loaded as `_xmin`).
const CONFLICTS: &str = r#"{"type":"track","event":"Paid","messageId":"p1","receivedAt":"2026-11-01T00:00:01Z","properties":{"amount":42,"label":"gold","xmin":5}}
{"type":"track","event":"Paid","messageId":"p2","receivedAt":"2026-11-01T00:00:02Z","properties":{"amount":"43","label":7}}
this line is not JSON
{"type":"track","event":"Paid","messageId":"p3","receivedAt":"2026-11-01T00:00:03Z","properties":{"amount":"lots","note":"new column"}}
"#;

#[test]
fn type_conflicts_are_coerced_or_nulled_and_reported_and_bad_lines_counted() {
    let dir = scratch("conflicts");
    let file = dir.join("conflicts.ndjson");
    std::fs::write(&file, CONFLICTS).unwrap();
    let db = dir.join("x.db");
    let to = format!("sqlite:{}", db.display());
    let out = warehouse(&[file.to_str().unwrap(), "--to", &to, "--schema", "shop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = stdout(&out);
    assert!(
        summary.contains("type conflicts: 2 coerced, 1 loaded as NULL"),
        "{summary}"
    );
    assert!(summary.contains("lines skipped: 1"), "{summary}");
    assert!(
        stderr(&out).contains(":3:"),
        "the bad line named: {}",
        stderr(&out)
    );
    assert!(
        summary.contains(r#"seq 3: paid.amount is integer; sent varchar "lots" → NULL"#),
        "{summary}"
    );
    assert!(
        summary.contains(r#"seq 2: paid.label is varchar; sent integer 7 → "7""#),
        "{summary}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: Vec<PaidRow> = conn
        .prepare("SELECT id, amount, label, note FROM paid ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [
            ("p1".into(), Some(42), Some("gold".into()), None),
            ("p2".into(), Some(43), Some("7".into()), None),
            ("p3".into(), None, None, Some("new column".into())),
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_connection_is_one_line_exit_2_with_the_password_masked() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let out = warehouse(&[
        FIXTURE,
        "--to",
        "postgres://ann:s3cret@127.0.0.1:1/db",
        "--timeout",
        "5s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("postgres://ann:***@127.0.0.1:1/db"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    let bad = warehouse(&[FIXTURE, "--to", "mysql://x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("sqlite:PATH or postgres://"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn the_fixture_loads_into_a_real_postgresql() {
    let Some(pg) = postgres::Postgres::start("the_fixture_loads_into_a_real_postgresql") else {
        return;
    };
    let url = pg.url();
    // Many small batches: staging tables reused, given new columns, emptied between batches.
    let first = warehouse(&[
        FIXTURE,
        "--to",
        &url,
        "--schema",
        "shop",
        "--batch-rows",
        "37",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let expected = expected_rows(FIXTURE);
    let tables = pg.query(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables \
         WHERE table_schema = 'shop'",
    );
    let names: Vec<&str> = tables.split(',').collect();
    assert_eq!(
        names,
        expected.keys().map(String::as_str).collect::<Vec<_>>()
    );
    let counts = |pg: &postgres::Postgres| -> BTreeMap<String, usize> {
        expected
            .keys()
            .map(|t| {
                (
                    t.clone(),
                    pg.query(&format!("SELECT count(*) FROM shop.\"{t}\""))
                        .parse()
                        .unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(counts(&pg), expected);
    let types = pg.query(
        "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY column_name) \
         FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'order_updated' \
         AND column_name IN ('id', 'received_at', 'total', 'order_id', 'uuid_ts')",
    );
    assert_eq!(
        types,
        "id character varying,order_id character varying,received_at timestamp with time zone,\
         total double precision,uuid_ts timestamp with time zone"
    );
    let second = warehouse(&[FIXTURE, "--to", &url, "--schema", "shop"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("rows: 0 inserted"),
        "{}",
        stdout(&second)
    );
    assert_eq!(counts(&pg), expected, "a second load adds nothing");

    // Conflicts and upserts the same way as in SQLite.
    let dir = scratch("pg-conflicts");
    let file = dir.join("conflicts.ndjson");
    std::fs::write(&file, CONFLICTS).unwrap();
    let out = warehouse(&[file.to_str().unwrap(), "--to", &url, "--schema", "shop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("type conflicts: 2 coerced, 1 loaded as NULL"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        pg.query("SELECT string_agg(id || ':' || coalesce(amount::text, 'NULL') || ':' || coalesce(label, 'NULL'), ',' ORDER BY id) FROM shop.paid"),
        "p1:42:gold,p2:43:7,p3:NULL:NULL"
    );
    assert_eq!(
        pg.query("SELECT \"_xmin\" FROM shop.paid WHERE id = 'p1'"),
        "5"
    );
    let user = expected_user(FIXTURE);
    assert_eq!(
        pg.query(&format!(
            "SELECT count(*) FROM shop.users WHERE id = '{}'",
            user.0
        )),
        "1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A user id of the fixture's identifies, and how many identifies it has.
fn expected_user(path: &str) -> (String, usize) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let tree = Json::parse(line).unwrap();
        for row in rows(&tree) {
            if row.load == Load::Upsert
                && &*row.table == "users"
                && let Some(Value::Varchar(id)) = row.column("id").map(|c| c.value.clone())
            {
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    seen.into_iter().max_by_key(|(_, n)| *n).unwrap()
}
