//! `eventscope diff` through the real binary on real files: an event whose `properties.price`
//! turns from a number into a string mid-way is named with the path and the seq, in text and
//! JSON, from a file and from standard input; paths that appear and disappear carry their
//! seqs; an event that never occurs and a missing file exit 2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn diff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("diff")
        .args(args)
        .output()
        .unwrap()
}

/// The recording: bare messages, one per line; message n (from 1) is seq n. "Order Completed"
/// sends `price` as a number up to seq 4 and as a string from seq 5; a `coupon` appears at
/// seq 6; "Viewed" keeps its shape; identify loses `traits.plan` from seq 8.
fn recording() -> String {
    let mut lines = Vec::new();
    let mut add = |mut message: Value| {
        let n = lines.len() + 1;
        message["messageId"] = json!(format!("m{n}"));
        message["timestamp"] = json!(format!("2026-12-01T10:00:{n:02}Z"));
        lines.push(message.to_string());
    };
    let order = |price: Value, coupon: bool| {
        let mut properties = json!({"price": price, "products": [{"id": "p1"}]});
        if coupon {
            properties["coupon"] = json!("WINTER");
        }
        json!({"type": "track", "event": "Order Completed", "userId": "u1",
               "properties": properties})
    };
    add(order(json!(9.99), false)); // 1
    add(json!({"type": "track", "event": "Viewed", "userId": "u1", "properties": {"x": 1}})); // 2
    add(order(json!(5), false)); // 3
    add(json!({"type": "identify", "userId": "u1", "traits": {"plan": "pro"}})); // 4
    add(order(json!("12.00"), false)); // 5
    add(order(json!("7.50"), true)); // 6
    add(json!({"type": "track", "event": "Viewed", "userId": "u1", "properties": {"x": 2}})); // 7
    add(json!({"type": "identify", "userId": "u1", "traits": {}})); // 8
    lines.join("\n") + "\n"
}

fn write_recording(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-diff-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("recording.ndjson");
    std::fs::write(&path, recording()).unwrap();
    path
}

#[test]
fn an_events_type_change_mid_way_names_the_path_and_the_seq() {
    let path = write_recording("type");
    let out = diff(&[path.to_str().unwrap(), "--event", "Order Completed"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("properties.price") && l.contains("type"))
        .unwrap_or_else(|| panic!("no type change line in:\n{text}"));
    assert!(line.contains("seq 5"), "{line}");
    assert!(line.contains("number → string"), "{line}");
    let coupon = text
        .lines()
        .find(|l| l.contains("properties.coupon"))
        .unwrap();
    assert!(
        coupon.contains("seq 6") && coupon.contains("appeared (string)"),
        "{coupon}"
    );
    assert!(
        text.starts_with("\"Order Completed\": 4 messages, seq 1–6"),
        "{text}"
    );
    // Then every path with its types.
    assert!(
        text.lines()
            .any(|l| l.contains("properties.price") && l.contains("number|string")),
        "{text}"
    );
    assert!(text.contains("properties.products[].id"), "{text}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn without_an_event_every_changed_event_is_listed_as_json_too() {
    let path = write_recording("all");
    let out = diff(&[path.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["messages"], 8);
    // "Viewed" kept its shape: counted, not listed.
    assert_eq!(doc["unchanged"], 1);
    let events = doc["events"].as_array().unwrap();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Order Completed", "identify"]);
    let price = events[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "properties.price")
        .unwrap();
    assert_eq!(
        price,
        &json!({"seq": 5, "path": "properties.price", "change": "type",
                "from": "number", "to": "string"})
    );
    let gone = &events[1]["changes"][0];
    assert_eq!(
        gone,
        &json!({"seq": 8, "path": "traits.plan", "change": "disappeared", "types": "string"})
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn standard_input_reads_the_same() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["diff", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(recording().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("seq 5") && l.contains("properties.price")),
        "{text}"
    );
    assert!(
        text.contains("8 messages read; 2 events changed shape, 1 did not"),
        "{text}"
    );
}

#[test]
fn an_event_that_never_occurs_and_a_missing_file_exit_2() {
    let path = write_recording("missing");
    let out = diff(&[path.to_str().unwrap(), "--event", "Nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no message of the event \"Nope\" (8 messages read)"),
        "{err}"
    );
    let out = diff(&["/nonexistent/recording.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
