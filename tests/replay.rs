//! `eventscope replay`: the real binary sending a recording to a local sink (an axum server on
//! 127.0.0.1 port 0) configured in a temporary `eventscope.toml`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::Command;

const DEADLINE: Duration = Duration::from_secs(60);
const WRITE_KEY: &str = "wk_replay_0123456789abcdef";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");

/// What the sink received: each message, with the path and auth it came with.
#[derive(Default)]
struct Received {
    requests: usize,
    messages: Vec<Value>,
    paths: Vec<String>,
    authorization: Vec<String>,
}

/// A sink that answers every request with `status` and records what it got.
async fn sink(status: u16) -> (String, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let state = Arc::clone(&received);
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let state = Arc::clone(&state);
        async move {
            let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let mut received = state.lock().unwrap();
            received.requests += 1;
            received.paths.push(uri.path().to_string());
            if let Some(auth) = headers.get("authorization") {
                received
                    .authorization
                    .push(auth.to_str().unwrap_or_default().to_string());
            }
            match value.get("batch").and_then(Value::as_array) {
                Some(batch) => received.messages.extend(batch.iter().cloned()),
                None => received.messages.push(value),
            }
            let body = if status == 200 {
                r#"{"success":true}"#
            } else {
                r#"{"success":false,"message":"the sink is down"}"#
            };
            (StatusCode::from_u16(status).unwrap(), body)
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), received)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-replay-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A config with a segment destination `sink` and a webhook `hook` at `url`.
fn config(dir: &Path, url: &str, extra: &str) -> PathBuf {
    let path = dir.join("eventscope.toml");
    let text = format!(
        r#"
[[destination]]
name = "sink"
kind = "segment"
endpoint = "{url}"
write_key = "{WRITE_KEY}"
batch_size = 100
{extra}

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "{url}/hook"
{extra}
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn replay(args: &[&str]) -> Run {
    let child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("replay")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("replay finishes within the deadline")
        .expect("waitable");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn fixture_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|line| {
            let message: Value = serde_json::from_str(line).unwrap();
            message["messageId"].as_str().unwrap().to_string()
        })
        .collect();
    ids.sort();
    ids
}

fn ids(received: &Received) -> Vec<String> {
    let mut ids: Vec<String> = received
        .messages
        .iter()
        .map(|m| m["messageId"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn replay_delivers_all_600_fixture_messages_in_batches() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(&dir, &url, "");
    let run = replay(&[
        FIXTURE,
        "--to",
        "sink",
        "--keep-ids",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(ids(&received), fixture_ids(), "every message, each once");
    assert_eq!(received.requests, 6, "batches of 100");
    assert!(
        received.paths.iter().all(|p| p == "/v1/batch"),
        "{:?}",
        received.paths
    );
    assert!(
        received
            .authorization
            .iter()
            .all(|a| a.starts_with("Basic "))
    );
    assert!(
        run.stderr
            .contains("600 messages to `sink` (segment) in 6 requests: 600 delivered, 0 failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(WRITE_KEY), "{}", run.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn replay_gives_new_message_ids_by_default() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(&dir, &url, "concurrency = 8");
    let run = replay(&[
        FIXTURE,
        "--to",
        "hook",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(
        received.requests, 600,
        "a webhook gets one message per request"
    );
    let ids = ids(&received);
    assert!(
        ids.iter().all(|id| id.starts_with("es-replay-")),
        "{:?}",
        &ids[..3]
    );
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 600);
    // Everything else as recorded: the events are the fixture's, in the same order.
    let originals: Vec<Value> = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut events: Vec<String> = received
        .messages
        .iter()
        .map(|m| format!("{}|{}", m["type"], m["timestamp"]))
        .collect();
    let mut expected: Vec<String> = originals
        .iter()
        .map(|m| format!("{}|{}", m["type"], m["timestamp"]))
        .collect();
    events.sort();
    expected.sort();
    assert_eq!(events, expected);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_filter_selects_what_is_sent() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(&dir, &url, "");
    let run = replay(&[
        FIXTURE,
        "--to",
        "sink",
        "--filter",
        "type:track",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(received.messages.len(), 438, "the fixture's tracks");
    assert!(received.messages.iter().all(|m| m["type"] == "track"));
    assert!(
        run.stderr
            .contains("not matching the filter: 162 of 600 messages"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A transform failing on some messages skips those, with the reason in the report; the rest
/// are delivered. Assigning through a missing path (an identify has no `properties`) works
/// as in jq.
#[tokio::test]
async fn a_transform_failing_on_some_messages_skips_them_and_delivers_the_rest() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(
        &dir,
        &url,
        r#"transform = 'if .type == "group" then error("no groups here") else .properties.via = "replay" end'"#,
    );
    let run = replay(&[
        FIXTURE,
        "--to",
        "sink",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(
        received.messages.len(),
        600 - 21,
        "all but the fixture's 21 groups"
    );
    assert!(
        received
            .messages
            .iter()
            .all(|m| m["properties"]["via"] == "replay"),
        "identifies (no `properties` in the fixture) get one too"
    );
    assert!(
        run.stderr.contains("21: transform failed: no groups here"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_failing_sink_exits_1_and_the_summary_names_the_status() {
    let dir = temp_dir();
    let (url, received) = sink(500).await;
    let config = config(&dir, &url, "max_attempts = 2");
    let run = replay(&[
        FIXTURE,
        "--to",
        "sink",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("0 delivered, 600 failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("failed: 500 Internal Server Error: 6 requests (600 messages)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the sink is down"), "{}", run.stderr);
    assert_eq!(
        received.lock().unwrap().requests,
        12,
        "each batch tried twice"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn dry_run_prints_the_requests_and_sends_nothing() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(&dir, &url, "");
    let run = replay(&[
        FIXTURE,
        "--to",
        "sink",
        "--dry-run",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(received.lock().unwrap().requests, 0);
    assert_eq!(
        run.stdout.matches(&format!("POST {url}/v1/batch")).count(),
        6,
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
    assert!(run.stdout.contains("# request 1: 100 messages"));
    assert!(run.stdout.contains("Authorization: Basic "));
    assert!(!run.stdout.contains(WRITE_KEY), "the write key is masked");
    assert!(run.stderr.contains("nothing sent"), "{}", run.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_unknown_destination_is_a_usage_error_listing_the_names() {
    let dir = temp_dir();
    let config = config(&dir, "http://127.0.0.1:9", "");
    let run = replay(&[
        FIXTURE,
        "--to",
        "amplitude",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("amplitude") && run.stderr.contains("sink, hook"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_missing_file_is_a_usage_error() {
    let dir = temp_dir();
    let config = config(&dir, "http://127.0.0.1:9", "");
    let missing = dir.join("nope.ndjson");
    let run = replay(&[
        missing.to_str().unwrap(),
        "--to",
        "sink",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("nope.ndjson"), "{}", run.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn retime_moves_the_newest_timestamp_to_now_and_keeps_the_spacing() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = config(&dir, &url, "");
    let input = dir.join("three.ndjson");
    std::fs::write(
        &input,
        concat!(
            r#"{"type":"track","event":"A","userId":"u1","messageId":"a","timestamp":"2024-01-01T10:00:00.000Z","sentAt":"2024-01-01T10:00:01.000Z"}"#,
            "\n",
            r#"{"type":"track","event":"B","userId":"u1","messageId":"b","timestamp":"2024-01-01T10:00:30.000Z"}"#,
            "\n",
            r#"{"type":"track","event":"C","userId":"u1","messageId":"c","timestamp":"2024-01-01T10:01:00.000Z"}"#,
            "\n",
        ),
    )
    .unwrap();
    let before = chrono::Utc::now();
    let run = replay(&[
        input.to_str().unwrap(),
        "--to",
        "sink",
        "--retime",
        "--keep-ids",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    let after = chrono::Utc::now();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    let time = |id: &str, field: &str| {
        let message = received
            .messages
            .iter()
            .find(|m| m["messageId"] == id)
            .unwrap();
        chrono::DateTime::parse_from_rfc3339(message[field].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let newest = time("c", "timestamp");
    assert!(
        newest >= before - chrono::TimeDelta::seconds(1) && newest <= after,
        "{newest} not between {before} and {after}"
    );
    assert_eq!(
        newest - time("b", "timestamp"),
        chrono::TimeDelta::seconds(30)
    );
    assert_eq!(
        newest - time("a", "timestamp"),
        chrono::TimeDelta::seconds(60)
    );
    // One rewrite for `replay` and the viewer's `R`: a recorded `sentAt` is dropped, not
    // moved (a receiver would correct `timestamp` by it; the batch's `sentAt` is now).
    let a = received
        .messages
        .iter()
        .find(|m| m["messageId"] == "a")
        .unwrap();
    assert!(a.get("sentAt").is_none(), "{a}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A webhook `hook` that routes as Segment would: catalog name `Hook`, mapped to the Analytics
/// consent category, test events dropped, emails and product SKUs stripped.
fn routing_config(dir: &Path, url: &str) -> PathBuf {
    let path = dir.join("eventscope.toml");
    let text = format!(
        r#"
[[destination]]
name = "hook"
kind = "webhook"
endpoint = "{url}/hook"
segment_name = "Hook"
consent = ["Analytics"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"

[[destination.filter]]
action = "block_fields"
fields = ["properties.email", "properties.products.sku"]
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Four messages: one Segment delivers (without its email and SKUs), one the integrations
/// object turns off for `Hook`, one without Analytics consent, one a drop filter matches.
fn routing_recording(dir: &Path) -> PathBuf {
    let consent = |analytics: bool| serde_json::json!({"consent": {"categoryPreferences": {"Analytics": analytics}}});
    let messages = [
        serde_json::json!({"type": "track", "event": "Order Completed", "userId": "u-1",
            "messageId": "m-sent", "context": consent(true),
            "properties": {"email": "ada@example.com", "total": 12,
                "products": [{"sku": "A-1", "name": "pen"}, {"sku": "B-2", "name": "ink"}]}}),
        serde_json::json!({"type": "track", "event": "Order Completed", "userId": "u-2",
            "messageId": "m-integrations", "context": consent(true),
            "integrations": {"Hook": false}}),
        serde_json::json!({"type": "track", "event": "Order Completed", "userId": "u-3",
            "messageId": "m-consent", "context": consent(false)}),
        serde_json::json!({"type": "track", "event": "Test Event", "userId": "u-4",
            "messageId": "m-filter", "context": consent(true)}),
    ];
    let path = dir.join("routing.ndjson");
    let text: Vec<String> = messages.iter().map(Value::to_string).collect();
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

#[tokio::test]
async fn replay_skips_what_routing_drops_names_the_reasons_and_strips_filtered_fields() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = routing_config(&dir, &url);
    let recording = routing_recording(&dir);
    let run = replay(&[
        recording.to_str().unwrap(),
        "--to",
        "hook",
        "--keep-ids",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "dropping is not failing: {}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(
        ids(&received),
        ["m-sent"],
        "only what Segment would deliver"
    );
    let sent = &received.messages[0];
    assert_eq!(sent["properties"]["total"], 12);
    assert!(sent["properties"].get("email").is_none(), "{sent}");
    let products = sent["properties"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 2);
    assert!(
        products
            .iter()
            .all(|p| p.get("sku").is_none() && p.get("name").is_some()),
        "every element's sku is stripped: {sent}"
    );
    for expected in [
        "1 message to `hook` (webhook) in 1 request: 1 delivered, 0 failed",
        "dropped by routing: 3 messages (1 consent, 1 filter, 1 integrations), not sent",
        "1 consent: consent Analytics not given",
        "1 filter: filter 1 drops: event = 'Test Event'",
        "1 integrations: integrations.Hook = false",
        "fields stripped by filters: 1 message sent without properties.email, properties.products.sku",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("routing ignored"), "{}", run.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn replay_with_ignore_routing_sends_everything_unstripped_and_says_so() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = routing_config(&dir, &url);
    let recording = routing_recording(&dir);
    let run = replay(&[
        recording.to_str().unwrap(),
        "--to",
        "hook",
        "--keep-ids",
        "--ignore-routing",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let received = received.lock().unwrap();
    assert_eq!(
        ids(&received),
        ["m-consent", "m-filter", "m-integrations", "m-sent"]
    );
    let sent = received
        .messages
        .iter()
        .find(|m| m["messageId"] == "m-sent")
        .unwrap();
    assert_eq!(sent["properties"]["email"], "ada@example.com");
    assert_eq!(sent["properties"]["products"][1]["sku"], "B-2");
    assert!(
        run.stderr
            .contains("warning: --ignore-routing: `hook` gets every message, unstripped"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("routing ignored (--ignore-routing)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("dropped by routing"), "{}", run.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_dry_run_names_what_routing_drops_too() {
    let dir = temp_dir();
    let (url, received) = sink(200).await;
    let config = routing_config(&dir, &url);
    let recording = routing_recording(&dir);
    let run = replay(&[
        recording.to_str().unwrap(),
        "--to",
        "hook",
        "--keep-ids",
        "--dry-run",
        "--config",
        config.to_str().unwrap(),
    ])
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(received.lock().unwrap().requests, 0);
    assert_eq!(run.stdout.matches("# request").count(), 1, "{}", run.stdout);
    assert!(!run.stdout.contains("ada@example.com"), "{}", run.stdout);
    assert!(
        run.stderr.contains("dropped by routing: 3 messages"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}
