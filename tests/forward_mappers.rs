//! Each destination kind's requests for a handful of recorded messages, compared with golden
//! bodies in `tests/fixtures/forward/<kind>.json`, then sent to a real HTTP server on
//! 127.0.0.1 that checks what arrived: the same bytes, path, query and headers. The webhook
//! signature is recomputed here with the `hmac` crate, independently of the mapper.
//!
//! The goldens were generated once (`EVENTSCOPE_UPDATE_GOLDENS=1 cargo test --test
//! forward_mappers`) and reviewed by hand against `reference/segment.md` §6; regenerate only
//! when a mapping changes on purpose, and review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use chrono::TimeZone;
use eventscope::forward::destination::{Destination, DestinationConfig};
use eventscope::forward::map::Mapped;
use eventscope::forward::{Outgoing, Request};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/forward");
const WEBHOOK_SECRET: &str = "whsec_test_0123456789";

/// The table for each kind; `{endpoint}` is the golden placeholder host or the test server.
fn table(kind: &str, endpoint: &str) -> String {
    let specific = match kind {
        "webhook" => {
            format!("endpoint = \"{endpoint}/hook\"\nshared_secret = \"{WEBHOOK_SECRET}\"")
        }
        "segment" => format!("endpoint = \"{endpoint}\"\nwrite_key = \"wk_test_0123456789\""),
        "amplitude" => format!("endpoint = \"{endpoint}\"\napi_key = \"amp_test_key_0123\""),
        "mixpanel" => format!("endpoint = \"{endpoint}\"\ntoken = \"mp_test_token_0123\""),
        "ga4" => format!(
            "endpoint = \"{endpoint}\"\nmeasurement_id = \"G-TEST123\"\napi_secret = \"ga_test_secret_0123\""
        ),
        "posthog" => format!("endpoint = \"{endpoint}\"\napi_key = \"phc_test_key_0123\""),
        "file" => "path = \"/tmp/eventscope-forward-golden.ndjson\"".to_string(),
        _ => unreachable!(),
    };
    format!("name = \"{kind}-test\"\nkind = \"{kind}\"\n{specific}\n")
}

fn destination(kind: &str, endpoint: &str) -> Destination {
    let config: DestinationConfig = toml::from_str(&table(kind, endpoint)).unwrap();
    Destination::from_config(&config).unwrap()
}

/// The recorded messages, seq 1…9, bytes as in the file.
fn messages() -> Vec<Outgoing> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/messages.ndjson")).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, line)| Outgoing {
            seq: Some(i as u64 + 1),
            message: serde_json::value::RawValue::from_string(line.to_string()).unwrap(),
        })
        .collect()
}

fn map(destination: &Destination) -> Mapped {
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap();
    destination.requests_at(&messages(), None, now).unwrap()
}

/// Our version in `User-Agent`, so that a release does not change the goldens.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A request as the golden file holds it: the body parsed (text for `file`), our version
/// written `VERSION`.
fn golden_view(request: &Request) -> Value {
    let body = serde_json::from_slice::<Value>(&request.body)
        .unwrap_or_else(|_| Value::String(request.body_text().into_owned()));
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                v.replace(&format!("eventscope/{VERSION}"), "eventscope/VERSION"),
            )
        })
        .collect();
    json!({
        "method": request.method,
        "url": request.url,
        "headers": headers,
        "carries": request.carries,
        "body": body,
    })
}

fn mapped_view(mapped: &Mapped) -> Value {
    json!({
        "requests": mapped.requests.iter().map(golden_view).collect::<Vec<_>>(),
        "skipped": mapped.skipped,
    })
}

fn golden(kind: &str, actual: &Value) -> Value {
    let path = format!("{FIXTURES}/{kind}.json");
    if std::env::var_os("EVENTSCOPE_UPDATE_GOLDENS").is_some() {
        let text = serde_json::to_string_pretty(actual).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

const KINDS: [&str; 7] = [
    "webhook",
    "segment",
    "amplitude",
    "mixpanel",
    "ga4",
    "posthog",
    "file",
];
const PLACEHOLDER: &str = "http://127.0.0.1:1";

#[test]
fn every_kind_matches_its_golden() {
    for kind in KINDS {
        let actual = mapped_view(&map(&destination(kind, PLACEHOLDER)));
        let expected = golden(kind, &actual);
        assert_eq!(
            actual,
            expected,
            "{kind}: the mapping differs from tests/fixtures/forward/{kind}.json\nactual: {}",
            serde_json::to_string_pretty(&actual).unwrap()
        );
    }
}

#[test]
fn webhook_and_segment_keep_the_captured_bytes() {
    let lines: Vec<String> = messages()
        .iter()
        .map(|m| m.message.get().to_string())
        .collect();
    let webhook = map(&destination("webhook", PLACEHOLDER));
    assert_eq!(webhook.requests.len(), lines.len());
    for (request, line) in webhook.requests.iter().zip(&lines) {
        assert_eq!(request.body, line.as_bytes());
    }
    let segment = map(&destination("segment", PLACEHOLDER));
    let body = segment.requests[0].body_text();
    assert!(
        body.starts_with(&format!("{{\"batch\":[{},", lines[0])),
        "{body}"
    );
    let file = map(&destination("file", PLACEHOLDER));
    assert_eq!(file.requests[0].body_text(), lines.join("\n") + "\n");
}

#[test]
fn previews_never_show_the_secrets() {
    let secrets = [
        WEBHOOK_SECRET,
        "wk_test_0123456789",
        "amp_test_key_0123",
        "mp_test_token_0123",
        "ga_test_secret_0123",
        "phc_test_key_0123",
    ];
    let basic = |user: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:"))
    };
    for kind in KINDS {
        let d = destination(kind, PLACEHOLDER);
        for request in map(&d).requests {
            let preview = serde_json::to_string(&d.preview(&request)).unwrap();
            for secret in secrets {
                assert!(!preview.contains(secret), "{kind}: {secret} in {preview}");
                assert!(
                    !preview.contains(&basic(secret)),
                    "{kind}: base64 {secret} in {preview}"
                );
            }
        }
    }
}

// --- a real HTTP server ---------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Received {
    method: String,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Sink {
    received: Arc<Mutex<Vec<Received>>>,
    answer: Arc<Mutex<(u16, String)>>,
}

async fn capture(
    State(sink): State<Sink>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (axum::http::StatusCode, String) {
    sink.received.lock().unwrap().push(Received {
        method: method.to_string(),
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers,
        body,
    });
    let (status, body) = sink.answer.lock().unwrap().clone();
    (axum::http::StatusCode::from_u16(status).unwrap(), body)
}

async fn start_sink() -> (String, Sink) {
    let sink = Sink::default();
    *sink.answer.lock().unwrap() = (200, "{}".to_string());
    let app = Router::new().fallback(capture).with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), sink)
}

fn client() -> reqwest::Client {
    eventscope::forward::http_client_builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Sends `request` as the engine would and returns the status and answer body.
async fn send(client: &reqwest::Client, request: &Request) -> (u16, Vec<u8>) {
    let mut builder = client.request(
        reqwest::Method::from_bytes(request.method.as_bytes()).unwrap(),
        &request.url,
    );
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = builder.body(request.body.clone()).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

fn path_and_query(url: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

#[tokio::test]
async fn a_local_server_receives_the_golden_requests() {
    let (base, sink) = start_sink().await;
    let client = client();
    for kind in KINDS.into_iter().filter(|k| *k != "file") {
        sink.received.lock().unwrap().clear();
        let d = destination(kind, &base);
        let mapped = map(&d);
        let expected = golden(kind, &mapped_view(&map(&destination(kind, PLACEHOLDER))));
        for request in &mapped.requests {
            let (status, answer) = send(&client, request).await;
            assert_eq!(status, 200, "{kind}");
            assert!(d.read_answer(status, &answer).0, "{kind}");
        }
        let received = sink.received.lock().unwrap().clone();
        assert_eq!(received.len(), mapped.requests.len(), "{kind}");
        for (i, got) in received.iter().enumerate() {
            let want = &expected["requests"][i];
            assert_eq!(got.method, want["method"], "{kind} #{i}");
            assert_eq!(
                got.path_and_query,
                path_and_query(want["url"].as_str().unwrap()),
                "{kind} #{i}"
            );
            // The bytes sent are the bytes mapped, and they parse to the golden body.
            assert_eq!(got.body, mapped.requests[i].body, "{kind} #{i}");
            let body: Value = serde_json::from_slice(&got.body).unwrap();
            assert_eq!(body, want["body"], "{kind} #{i}");
            for pair in want["headers"].as_array().unwrap() {
                let name = pair[0].as_str().unwrap();
                let value = pair[1]
                    .as_str()
                    .unwrap()
                    .replace("eventscope/VERSION", &format!("eventscope/{VERSION}"));
                let got_value = got.headers.get(name).and_then(|v| v.to_str().ok());
                assert_eq!(got_value, Some(value.as_str()), "{kind} #{i} header {name}");
            }
            if kind == "webhook" {
                // Recomputed here, independently of the mapper.
                let mut mac = Hmac::<Sha1>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
                mac.update(&got.body);
                let expected_signature = hex::encode(mac.finalize().into_bytes());
                assert_eq!(
                    got.headers.get("x-signature").unwrap().to_str().unwrap(),
                    expected_signature
                );
            }
        }
    }
}

#[tokio::test]
async fn ga4_debug_answers_become_notes() {
    let (base, sink) = start_sink().await;
    *sink.answer.lock().unwrap() = (
        200,
        json!({"validationMessages": [
            {"fieldPath": "events[0].params.currency", "description": "Currency code must be 3 letters.", "validationCode": "VALUE_INVALID"},
            {"fieldPath": "events[1].name", "description": "Event name is reserved.", "validationCode": "NAME_RESERVED"}
        ]})
        .to_string(),
    );
    let config: DestinationConfig =
        toml::from_str(&format!("{}debug = true\n", table("ga4", &base))).unwrap();
    let d = Destination::from_config(&config).unwrap();
    let mapped = map(&d);
    let (status, answer) = send(&client(), &mapped.requests[0]).await;
    let received = sink.received.lock().unwrap().clone();
    assert!(
        received[0]
            .path_and_query
            .starts_with("/debug/mp/collect?measurement_id=G-TEST123&api_secret=")
    );
    let (ok, notes) = d.read_answer(status, &answer);
    assert!(!ok, "validation messages make the delivery fail");
    let seen: Vec<(&str, &str)> = notes
        .iter()
        .map(|n| (n.path.as_str(), n.code.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("events[0].params.currency", "VALUE_INVALID"),
            ("events[1].name", "NAME_RESERVED")
        ]
    );
}

#[tokio::test]
async fn webhook_batches_sign_the_first_event_only() {
    let (base, sink) = start_sink().await;
    let config: DestinationConfig =
        toml::from_str(&format!("{}batch_size = 3\n", table("webhook", &base))).unwrap();
    let d = Destination::from_config(&config).unwrap();
    let mapped = map(&d);
    assert_eq!(mapped.requests.len(), 3);
    let client = client();
    for request in &mapped.requests {
        send(&client, request).await;
    }
    let received = sink.received.lock().unwrap().clone();
    let lines: Vec<String> = messages()
        .iter()
        .map(|m| m.message.get().to_string())
        .collect();
    for (i, got) in received.iter().enumerate() {
        let batch: Vec<Value> = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(batch.len(), 3);
        // As Segment does: the signature covers the batch's first event, not the array.
        let mut mac = Hmac::<Sha1>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
        mac.update(lines[i * 3].as_bytes());
        let first_event = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            got.headers.get("x-signature").unwrap().to_str().unwrap(),
            first_event
        );
    }
}
