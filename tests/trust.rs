//! "Never lie about what was sent": what the collector acknowledges is recorded, one line per
//! frame, and read back by every reader; refusals are answered in JSON and published; write
//! keys never appear raw; a recording that can't be written is a refusal, not a silent loss.
//! The real binary as a child process, real files, real sockets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::path::Path;

use common::binary::{eventscope, next_line, temp_dir};
use common::{DEADLINE, WRITE_KEY, basic, client, fixture_messages, gzip};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

/// `eventscope serve --listen 127.0.0.1:0 ARGS`: the child and its base URL.
async fn serve(args: &[&str]) -> (Child, String) {
    let mut child = eventscope()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = next_line(&mut lines).await;
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line names the address: {first}"))
        .to_string();
    (child, url)
}

async fn send(
    method: reqwest::Method,
    url: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client().request(method, url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(url: &str, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    send(reqwest::Method::POST, &format!("{url}{path}"), body, &[]).await
}

/// A message as curl and Postman users send it: indented, newlines inside nested values.
fn pretty(message: &Value) -> String {
    serde_json::to_string_pretty(message).unwrap()
}

async fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = tokio::time::timeout(DEADLINE, eventscope().args(args).output())
        .await
        .expect("exits within the deadline")
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_frame_per_line(recording: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(recording).unwrap();
    text.lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("every line is a frame ({e}): {line}"))
        })
        .collect()
}

#[tokio::test]
async fn pretty_printed_posts_are_one_line_each_and_check_reads_every_one() {
    let dir = temp_dir("pretty");
    let record = dir.join("rec.ndjson");
    let (mut child, url) = serve(&["--record", record.to_str().unwrap()]).await;
    let message = |n: usize| {
        json!({"type": "track", "event": "Order Completed", "userId": format!("u{n}"),
               "properties": {"total": 10.5, "products": [{"sku": "A", "note": "line\nbreak"}]},
               "context": {"library": {"name": "curl"}}})
    };
    for n in 0..5 {
        let (status, answer) = post(&url, "/v1/track", pretty(&message(n))).await;
        assert_eq!(status, 200, "{answer}");
    }
    let batch = json!({"batch": [message(5), message(6)]});
    assert_eq!(post(&url, "/v1/batch", pretty(&batch)).await.0, 200);
    let gzipped = gzip(pretty(&message(7)).as_bytes());
    let (status, _) = send(
        reqwest::Method::POST,
        &format!("{url}/v1/track"),
        gzipped,
        &[("Content-Encoding", "gzip")],
    )
    .await;
    assert_eq!(status, 200);
    child.kill().await.unwrap();

    let frames = assert_one_frame_per_line(&record);
    assert_eq!(frames.len(), 8);
    for (n, frame) in frames.iter().enumerate() {
        assert_eq!(frame["message"]["userId"], format!("u{n}"));
        assert_eq!(
            frame["message"]["properties"]["products"][0]["note"],
            "line\nbreak"
        );
    }
    let (code, _, stderr) = run(&["check", record.to_str().unwrap()]).await;
    assert!(code == Some(0) || code == Some(1), "{stderr}");
    assert!(stderr.contains("check: 8 messages"), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn what_readers_cannot_read_is_refused_with_its_own_code() {
    let dir = temp_dir("grammar");
    let record = dir.join("rec.ndjson");
    let (mut child, url) = serve(&["--record", record.to_str().unwrap()]).await;
    let deep = format!(
        r#"{{"type":"track","event":"E","userId":"u","properties":{{"p":{}1{}}}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    for (body, code) in [
        (deep.as_str(), "too_deep"),
        (
            r#"{"type":"track","event":"E","userId":"u","properties":{"s":"\ud800"}}"#,
            "lone_surrogate",
        ),
        (
            r#"{"type":"track","event":"E","userId":"u","properties":{"n":1e400}}"#,
            "number_out_of_range",
        ),
    ] {
        let (status, answer) = post(&url, "/v1/track", body.to_string()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some(code)),
            "{answer}"
        );
    }
    // Just inside the limits: accepted, and read back by the readers.
    let fine = format!(
        r#"{{"type":"track","event":"E","userId":"u","properties":{{"p":{}1{},"s":"\ud83d\ude00","n":1e308}}}}"#,
        "[".repeat(98),
        "]".repeat(98)
    );
    assert_eq!(post(&url, "/v1/track", fine).await.0, 200);
    child.kill().await.unwrap();
    let frames = assert_one_frame_per_line(&record);
    let codes: Vec<&str> = frames.iter().filter_map(|f| f["code"].as_str()).collect();
    assert_eq!(codes, ["too_deep", "lone_surrogate", "number_out_of_range"]);
    assert_eq!(frames[3]["message"]["properties"]["s"], "😀");
    // Three refusals and the message: every line read, none skipped.
    let (code, _, stderr) = run(&["check", record.to_str().unwrap()]).await;
    assert!(code == Some(0) || code == Some(1), "{stderr}");
    assert!(stderr.contains("check: 4 messages"), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn every_refusal_is_json_and_on_the_stream() {
    let dir = temp_dir("routes");
    let record = dir.join("rec.ndjson");
    let (mut child, url) = serve(&["--record", record.to_str().unwrap()]).await;
    use reqwest::Method;
    let cases = [
        (Method::GET, "/v1/track", 405, "method_not_allowed"),
        (Method::PUT, "/v1/track", 405, "method_not_allowed"),
        (Method::DELETE, "/v1/b", 405, "method_not_allowed"),
        (Method::GET, "/v1/nope", 404, "not_found"),
        (Method::GET, "/", 404, "not_found"),
        (Method::POST, "/v1/nope", 404, "unknown_endpoint"),
        (Method::POST, "/v1/%ff%fe", 400, "bad_path"),
        (Method::POST, "/health", 405, "method_not_allowed"),
        (Method::POST, "/v1/stream", 405, "method_not_allowed"),
    ];
    for (method, path, status, code) in &cases {
        let (got, answer) = send(method.clone(), &format!("{url}{path}"), "{}", &[]).await;
        assert_eq!(got, *status, "{method} {path}: {answer}");
        assert_eq!(answer["success"], false, "{method} {path}");
        assert_eq!(answer["code"], *code, "{method} {path}: {answer}");
        assert!(!answer["message"].as_str().unwrap_or("").is_empty());
    }
    let (status, _) = send(Method::GET, &format!("{url}/v1/track"), "", &[]).await;
    assert_eq!(status, 405);
    child.kill().await.unwrap();
    let frames = assert_one_frame_per_line(&record);
    assert_eq!(frames.len(), cases.len() + 1);
    for (frame, (method, path, status, code)) in frames.iter().zip(&cases) {
        assert_eq!(frame["type"], "rejected");
        assert_eq!(frame["status"], *status, "{frame}");
        assert_eq!(frame["code"], *code, "{frame}");
        assert_eq!(frame["source"]["path"], *path, "{frame}");
        if *method != Method::POST {
            assert_eq!(frame["source"]["method"], method.as_str(), "{frame}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Request headers as (name, value) pairs.
type Headers<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn write_keys_never_appear_raw_in_frames_recordings_or_tail() {
    let dir = temp_dir("keys");
    let record = dir.join("rec.ndjson");
    let other = "wk_other_secret_9876543210";
    let (mut server, url) = serve(&[
        "--record",
        record.to_str().unwrap(),
        "--write-key",
        WRITE_KEY,
    ])
    .await;
    let mut tail = eventscope()
        .args(["tail", &url, "--since", "0"])
        .spawn()
        .unwrap();
    let mut tail_lines = BufReader::new(tail.stdout.take().unwrap()).lines();

    let basic_good = basic(WRITE_KEY);
    let basic_other = basic(other);
    let big = "x".repeat(40 * 1024);
    let battery: Vec<(&str, String, Headers)> = vec![
        // invalid JSON with the key in it
        (
            "/v1/track",
            format!(r#"{{"writeKey":"{WRITE_KEY}","event": "#),
            vec![],
        ),
        // not an object
        ("/v1/track", format!(r#"["{WRITE_KEY}"]"#), vec![]),
        // unknown endpoint
        (
            "/v1/nope",
            format!(r#"{{"writeKey":"{WRITE_KEY}"}}"#),
            vec![],
        ),
        // too large, the key at the start
        (
            "/v1/track",
            format!(r#"{{"writeKey":"{WRITE_KEY}","p":"{big}"}}"#),
            vec![],
        ),
        // a valid key in the body, refused for the Basic one
        (
            "/v1/track",
            format!(r#"{{"writeKey":"{WRITE_KEY}","userId":"u"}}"#),
            vec![("Authorization", basic_other.as_str())],
        ),
        // the Basic credentials echoed in free text
        (
            "/v1/track",
            format!("debug: Authorization: {basic_good} key {WRITE_KEY} {{"),
            vec![("Authorization", basic_good.as_str())],
        ),
        // an unknown key in an unparsable body
        (
            "/v1/track",
            format!(r#"{{"writeKey":"{other}", oops"#),
            vec![],
        ),
        // accepted: the key in writeKey and copied into context
        (
            "/v1/track",
            format!(
                r#"{{"writeKey":"{WRITE_KEY}","userId":"u","event":"E","context":{{"note":"key {WRITE_KEY}"}}}}"#
            ),
            vec![],
        ),
    ];
    let count = battery.len();
    for (path, body, headers) in battery {
        send(
            reqwest::Method::POST,
            &format!("{url}{path}"),
            body,
            &headers,
        )
        .await;
    }
    let mut printed = String::new();
    for _ in 0..count {
        printed.push_str(&next_line(&mut tail_lines).await);
        printed.push('\n');
    }
    server.kill().await.unwrap();
    tail.kill().await.unwrap();
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert_eq!(recorded.lines().count(), count);
    use base64::Engine;
    let b64 = |k: &str| base64::engine::general_purpose::STANDARD.encode(format!("{k}:"));
    for (what, text) in [("recording", &recorded), ("tail", &printed)] {
        for secret in [
            WRITE_KEY.to_string(),
            other.to_string(),
            b64(WRITE_KEY),
            b64(other),
        ] {
            assert!(
                !text.contains(&secret),
                "{secret} raw in the {what}:\n{text}"
            );
        }
        assert!(text.contains("wk_t…cdef"), "masked keys stay recognisable");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_recording_that_cannot_be_written_is_a_503_the_sdk_retries() {
    let (mut child, url) = serve(&["--record", "/dev/full"]).await;
    for _ in 0..3 {
        let (status, answer) = post(
            &url,
            "/v1/track",
            json!({"type": "track", "event": "E", "userId": "u"}).to_string(),
        )
        .await;
        assert_eq!(status, 503, "{answer}");
        assert_eq!(answer["code"], "record_failed");
    }
    let health: Value = client()
        .get(format!("{url}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["events"], 0, "nothing acknowledged: {health}");
    assert!(health["recordErrors"].as_u64().unwrap() >= 3, "{health}");
    child.kill().await.unwrap();
}

/// kill -9 while SDK-like clients post compact and pretty-printed bodies: every acknowledged
/// message is in the recording, and every line of it reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = temp_dir("kill9");
    let record = dir.join("rec.ndjson");
    let (mut child, url) = serve(&["--record", record.to_str().unwrap()]).await;
    let fixtures = fixture_messages();
    let mut clients = Vec::new();
    for c in 0..4 {
        let url = url.clone();
        let fixtures = fixtures.clone();
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..2000 {
                let mut message: Value =
                    serde_json::from_str(&fixtures[n % fixtures.len()]).unwrap();
                let id = format!("kill9-{c}-{n}");
                message["messageId"] = json!(id);
                let body = if n % 2 == 0 {
                    pretty(&message)
                } else {
                    message.to_string()
                };
                let sent = client()
                    .post(format!("{url}/v1/batch"))
                    .body(format!("{{\"batch\":[{body}]}}"))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 200 => acknowledged.push(id),
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    // Let some traffic through, then kill -9.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0) < 500_000 {
        assert!(tokio::time::Instant::now() < deadline, "traffic flows");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let mut acknowledged = Vec::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    assert!(!acknowledged.is_empty());
    let frames = assert_one_frame_per_line(&record);
    let recorded: std::collections::HashSet<&str> = frames
        .iter()
        .filter_map(|f| f["message"]["messageId"].as_str())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !recorded.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages missing: {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
