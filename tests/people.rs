//! `eventscope people` through the real binary on real files: a generated corpus with known
//! people (anonymous sessions that identify, an alias that joins nothing, a shared device, a
//! hard-coded QA userId, an email joining web and mobile) gives exactly the expected profiles
//! and refusals; `--id` prints one person's frames, which `open` reads; a bad file exits 2.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn people(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("people")
        .args(args)
        .output()
        .unwrap()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-people-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The corpus: bare messages, one per line; message n (from 1) is seq n.
fn corpus() -> Vec<Value> {
    let mut messages = Vec::new();
    let mut add = |mut message: Value| {
        let n = messages.len() + 1;
        message["messageId"] = json!(format!("m{n}"));
        message["timestamp"] = json!(format!("2026-12-01T10:00:{n:02}Z"));
        messages.push(message);
    };
    // Anonymous sessions that later identify (seq 1–5): one person, one merge at seq 5.
    add(json!({"type": "track", "event": "Viewed", "anonymousId": "anon-a1"}));
    add(json!({"type": "track", "event": "Viewed", "anonymousId": "anon-a1"}));
    add(
        json!({"type": "identify", "anonymousId": "anon-a1", "userId": "user-1",
               "traits": {"plan": "pro"}}),
    );
    add(json!({"type": "track", "event": "Viewed", "anonymousId": "anon-a2"}));
    add(json!({"type": "track", "event": "Bought", "anonymousId": "anon-a2", "userId": "user-1"}));
    // An alias that joins nothing in Unify (seq 6).
    add(json!({"type": "alias", "previousId": "old-9", "userId": "user-9"}));
    // A shared in-store iPad (seq 7–9): the 2nd and 3rd user are refused the device.
    for user in ["s1", "s2", "s3"] {
        add(json!({"type": "identify", "userId": user,
                   "context": {"device": {"type": "ios", "id": "ipad-store"}}}));
    }
    // A hard-coded QA userId hit by 7 anonymous ids (seq 10–16): the 6th and 7th are refused.
    for i in 1..=7 {
        add(
            json!({"type": "track", "event": "Tested", "anonymousId": format!("qa-{i}"),
                   "userId": "abc123"}),
        );
    }
    // An email in context.traits joins a web and a mobile profile (seq 17–19).
    add(json!({"type": "page", "name": "Home", "anonymousId": "w-1",
               "context": {"traits": {"email": "jane@x.com"}}}));
    add(
        json!({"type": "screen", "name": "Home", "anonymousId": "m-1",
               "context": {"device": {"type": "android", "id": "dev-a1"}}}),
    );
    add(
        json!({"type": "screen", "name": "Cart", "anonymousId": "m-1",
               "context": {"traits": {"email": "jane@x.com"}}}),
    );
    messages
}

fn write_corpus(name: &str) -> std::path::PathBuf {
    let path = scratch(name).join("corpus.ndjson");
    let mut file = std::fs::File::create(&path).unwrap();
    for message in corpus() {
        writeln!(file, "{message}").unwrap();
    }
    path
}

/// (type, value, firstSeq) of each identifier.
type Identifiers = Vec<(String, String, u64)>;

/// `[["user_id","abc123",10], …]`: a profile's identifiers as (type, value, firstSeq).
fn identifiers(profile: &Value) -> Vec<(String, String, u64)> {
    profile["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_string(),
                i["value"].as_str().unwrap().to_string(),
                i["firstSeq"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn ids(list: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    list.iter()
        .map(|(t, v, s)| (t.to_string(), v.to_string(), *s))
        .collect()
}

#[test]
fn the_corpus_gives_exactly_the_expected_profiles_and_refusals() {
    let path = write_corpus("corpus");
    let out = people(&[path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles = doc["profiles"].as_array().unwrap();

    // (identifiers, messages, merge seqs): biggest first, ties in creation order.
    let expected: Vec<(Identifiers, u64, Vec<u64>)> = vec![
        (
            ids(&[
                ("user_id", "abc123", 10),
                ("anonymous_id", "qa-1", 10),
                ("anonymous_id", "qa-2", 11),
                ("anonymous_id", "qa-3", 12),
                ("anonymous_id", "qa-4", 13),
                ("anonymous_id", "qa-5", 14),
            ]),
            7,
            vec![],
        ),
        (
            ids(&[
                ("anonymous_id", "anon-a1", 1),
                ("user_id", "user-1", 3),
                ("anonymous_id", "anon-a2", 4),
            ]),
            5,
            vec![5],
        ),
        (
            ids(&[
                ("email", "jane@x.com", 17),
                ("anonymous_id", "w-1", 17),
                ("android.id", "dev-a1", 18),
                ("anonymous_id", "m-1", 18),
            ]),
            3,
            vec![19],
        ),
        (ids(&[("user_id", "user-9", 6)]), 1, vec![]),
        (
            ids(&[("user_id", "s1", 7), ("ios.id", "ipad-store", 7)]),
            1,
            vec![],
        ),
        (ids(&[("user_id", "s2", 8)]), 1, vec![]),
        (ids(&[("user_id", "s3", 9)]), 1, vec![]),
    ];
    let got: Vec<_> = profiles
        .iter()
        .map(|p| {
            let merges = p["merges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["seq"].as_u64().unwrap())
                .collect::<Vec<_>>();
            (identifiers(p), p["messages"].as_u64().unwrap(), merges)
        })
        .collect();
    assert_eq!(got, expected);

    // The merges name the profiles joined and the identifiers that joined them.
    let web_mobile = &profiles[2]["merges"][0];
    assert_eq!(web_mobile["joined"].as_array().unwrap().len(), 2);
    assert!(
        web_mobile["by"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "email", "value": "jane@x.com"})),
        "{web_mobile}"
    );
    // Traits: last write wins; times from the messages' timestamps.
    assert_eq!(profiles[1]["traits"], json!({"plan": "pro"}));
    assert_eq!(profiles[1]["firstSeen"], "2026-12-01T10:00:01+00:00");
    assert_eq!(profiles[1]["lastSeen"], "2026-12-01T10:00:05+00:00");

    // Refusals: the shared device twice, the QA userId's 6th and 7th anonymous ids.
    let refused: Vec<(u64, String, Value)> = doc["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["detail"].as_str().unwrap().is_empty(), "{r}");
            (
                r["seq"].as_u64().unwrap(),
                r["rule"].as_str().unwrap().to_string(),
                r["identifier"].clone(),
            )
        })
        .collect();
    let device = json!({"type": "ios.id", "value": "ipad-store"});
    assert_eq!(
        refused,
        vec![
            (8, "limit".to_string(), device.clone()),
            (9, "limit".to_string(), device),
            (
                15,
                "limit".to_string(),
                json!({"type": "anonymous_id", "value": "qa-6"})
            ),
            (
                16,
                "limit".to_string(),
                json!({"type": "anonymous_id", "value": "qa-7"})
            ),
        ]
    );
    // The alias is kept apart: no profile holds old-9.
    assert_eq!(
        doc["aliases"],
        json!([{"seq": 6, "previousId": "old-9", "userId": "user-9"}])
    );
}

#[test]
fn the_text_report_lists_profiles_biggest_first_then_refusals() {
    let path = write_corpus("text");
    let out = people(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("p7: 7 messages"), "{text}");
    assert!(text.contains("  anonymous_id anon-a2 (seq 4)"), "{text}");
    assert!(text.contains("merged p1 + p2 by user_id user-1"), "{text}");
    let refused = text.find("refused merges:").unwrap();
    assert!(
        text[refused..].contains("seq 8: ios.id ipad-store (limit)"),
        "{text}"
    );
    assert!(text.contains("old-9 → user-9"), "{text}");
}

/// The messages `--id` prints: every frame of the person, in order, whichever id names them.
fn person_seqs(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| {
            let frame: Value = serde_json::from_str(line).unwrap();
            assert_eq!(frame["type"], "event", "{line}");
            frame["seq"].as_u64().unwrap()
        })
        .collect()
}

#[test]
fn id_prints_the_persons_frames_in_order_and_open_reads_them() {
    let path = write_corpus("id");
    // Any identifier names the person, the anonymous ones from before the login included.
    let out = people(&[path.to_str().unwrap(), "--id", "anon-a2"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(person_seqs(&out.stdout), vec![1, 2, 3, 4, 5]);
    let out = people(&[path.to_str().unwrap(), "--id", "jane@x.com"]);
    assert_eq!(person_seqs(&out.stdout), vec![17, 18, 19]);

    // From standard input too (read once, kept).
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["people", "-", "--id", "user-1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&path).unwrap())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_eq!(piped.status.code(), Some(0), "{piped:?}");
    assert_eq!(person_seqs(&piped.stdout), vec![1, 2, 3, 4, 5]);

    // The frames are a recording: `check` (the reader `open` uses) reads all 5, none skipped.
    let frames = scratch("id").join("person.ndjson");
    std::fs::write(&frames, &piped.stdout).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["check", frames.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("5 messages"), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let reader = eventscope::recording::RecordingReader::open(&frames).unwrap();
    let seqs: Vec<u64> = reader
        .map(|item| match item {
            eventscope::recording::ReadItem::Frame { frame, .. } => frame.seq().unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);

    // An id nobody holds is a usage error.
    let out = people(&[path.to_str().unwrap(), "--id", "nobody"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn a_bad_file_or_flag_exits_2_with_one_line() {
    let missing = scratch("bad").join("missing.ndjson");
    let out = people(&[missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing.ndjson"), "{stderr}");

    let path = write_corpus("bad");
    let out = people(&[path.to_str().unwrap(), "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
