//! `eventscope sql` through the real binary: "which event names have plan errors, and how
//! many" answered in one query over the fixture, matching what `check` reports; the warehouse
//! tables are there as `warehouse` loads them; csv and json output; a bad query is one line
//! and exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::collections::BTreeMap;
use std::process::{Command, Output};

use serde_json::Value;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");
const PLAN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plan.json");

fn eventscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap()
}

const PLAN_ERRORS: &str = "SELECT coalesce(m.event, m.type) AS event, count(*) AS errors \
     FROM findings f JOIN messages m USING (seq) \
     WHERE f.rule LIKE 'plan/%' AND f.severity = 'error' \
     GROUP BY 1 ORDER BY errors DESC, event";

#[test]
fn sql_answers_which_events_have_plan_errors_as_check_counts_them() {
    let out = eventscope(&[
        "sql",
        FIXTURE,
        "--plan",
        PLAN,
        "--format",
        "json",
        PLAN_ERRORS,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by_sql: BTreeMap<String, u64> = rows
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_string(),
                r["errors"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!by_sql.is_empty(), "the fixture has plan errors");

    let check = eventscope(&[
        "check", FIXTURE, "--plan", PLAN, "--format", "ndjson", "--show", "info",
    ]);
    let mut by_check: BTreeMap<String, u64> = BTreeMap::new();
    for line in String::from_utf8_lossy(&check.stdout).lines() {
        let finding: Value = serde_json::from_str(line).unwrap();
        let rule = finding["rule"].as_str().unwrap_or("");
        if rule.starts_with("plan/") && finding["severity"] == "error" {
            *by_check
                .entry(finding["event"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(by_sql, by_check);
    // Most errors first.
    let counts: Vec<u64> = rows.iter().map(|r| r["errors"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn the_warehouse_tables_and_messages_are_there_in_every_format() {
    let query = "SELECT (SELECT count(*) FROM tracks) AS tracks, \
                 (SELECT count(*) FROM users) AS users, \
                 (SELECT count(*) FROM messages) AS messages, \
                 (SELECT count(*) FROM deliveries) AS deliveries";
    let table = eventscope(&["sql", FIXTURE, query]);
    assert_eq!(
        table.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8_lossy(&table.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["tracks", "users", "messages", "deliveries"]
    );
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["438", "49", "600", "0"]
    );
    assert_eq!(lines[3], "(1 row)");

    let csv = eventscope(&[
        "sql",
        FIXTURE,
        "--format",
        "csv",
        "SELECT event, event_text FROM order_updated LIMIT 1",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "event,event_text\norder_updated,Order Updated\n"
    );

    let bad = eventscope(&["sql", FIXTURE, "SELECT nope FROM tracks"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no such column: nope"), "{err}");
}

#[test]
fn a_query_past_its_budget_is_stopped_with_a_clear_error() {
    // A recursive query that never ends on its own.
    let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                   SELECT count(*) FROM n";
    let out = eventscope(&["sql", FIXTURE, "--timeout", "1s", endless]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopped after 1.0 s: the query ran past its budget"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");
}
