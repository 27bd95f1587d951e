//! Proxy mode (`--upstream`): an SDK-like client → eventscope → a local upstream that records
//! the exact bytes and headers it got; the upstream's answers come back as `delivery` frames.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use common::*;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

// ---------------------------------------------------------------------------------------------
// A local upstream that keeps what it received.

/// One request as the upstream saw it.
#[derive(Debug)]
struct Captured {
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
struct UpstreamState {
    seen: mpsc::UnboundedSender<Captured>,
    /// Statuses to answer with, in order; 200 once they run out.
    script: Arc<Mutex<VecDeque<u16>>>,
    /// When set, every answer waits for a `notify_one` (an upstream that hangs).
    hold: Option<Arc<Notify>>,
}

struct Upstream {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Captured>,
}

impl Upstream {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request the upstream received.
    async fn next(&mut self) -> Captured {
        tokio::time::timeout(DEADLINE, self.seen.recv())
            .await
            .expect("the upstream receives a request within the deadline")
            .expect("upstream running")
    }

    fn nothing_more(&mut self) -> bool {
        self.seen.try_recv().is_err()
    }
}

async fn upstream_handler(
    State(state): State<UpstreamState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let _ = state.seen.send(Captured {
        path_and_query,
        headers,
        body,
    });
    if let Some(hold) = &state.hold {
        hold.notified().await;
    }
    let status = state.script.lock().unwrap().pop_front().unwrap_or(200);
    let status = StatusCode::from_u16(status).unwrap();
    let body = if status.is_success() {
        r#"{"success":true}"#.to_string()
    } else {
        format!(r#"{{"success":false,"status":{}}}"#, status.as_u16())
    };
    (status, [("content-type", "application/json")], body)
}

/// reqwest (the SDK-like client) needs a crypto provider installed, even for plain HTTP.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn start_upstream(script: &[u16], hold: Option<Arc<Notify>>) -> Upstream {
    install_crypto();
    let (tx, rx) = mpsc::unbounded_channel();
    let state = UpstreamState {
        seen: tx,
        script: Arc::new(Mutex::new(script.iter().copied().collect())),
        hold,
    };
    let app = Router::new().fallback(upstream_handler).with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Upstream { addr, seen: rx }
}

async fn start_proxy(upstream: &str) -> eventscope::server::RunningServer {
    start(eventscope::server::ServeConfig {
        upstream: Some(upstream.to_string()),
        ..config()
    })
    .await
}

/// An address nothing listens on (bound, then closed).
async fn closed_port() -> String {
    install_crypto();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

// ---------------------------------------------------------------------------------------------
// An SDK-like client: reqwest with the headers real SDKs send.

struct SdkRequest {
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Messages in the body.
    messages: usize,
}

async fn sdk_post(server: &eventscope::server::RunningServer, request: &SdkRequest) -> u16 {
    let mut builder = client()
        .post(format!("{}{}", server.http_url(), request.path))
        .body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(*name, value.as_str());
    }
    let response = builder.send().await.expect("eventscope answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(text, r#"{"success":true}"#, "eventscope's own answer");
    status
}

/// Frames from the viewer until `deliveries` delivery frames have arrived.
async fn frames_until_deliveries(viewer: &mut Viewer, deliveries: usize) -> Vec<(Value, String)> {
    let mut frames = Vec::new();
    let mut seen = 0;
    while seen < deliveries {
        let text = viewer.next_text().await;
        let value: Value = serde_json::from_str(&text).unwrap();
        if value["type"] == "delivery" {
            seen += 1;
        }
        frames.push((value, text));
    }
    frames
}

fn sdk_requests() -> Vec<SdkRequest> {
    let messages = fixture_messages();
    let node_batch = format!(
        r#"{{"batch":[{}],"writeKey":"{WRITE_KEY}","sentAt":"2024-05-01T12:00:00.000Z"}}"#,
        messages[..3].join(",")
    );
    let python_batch = format!(
        r#"{{"batch":[{}],"writeKey":"{WRITE_KEY}"}}"#,
        messages[3..5].join(",")
    );
    let browser_track = json!({
        "type": "track", "event": "Button Clicked", "anonymousId": "anon-1",
        "messageId": "ajs-next-1", "writeKey": WRITE_KEY,
    })
    .to_string();
    vec![
        // analytics-node: Basic auth, JSON, a query string kept on the way.
        SdkRequest {
            path: "/v1/batch?trace=abc&x=1",
            headers: vec![
                ("Authorization", basic(WRITE_KEY)),
                ("Content-Type", "application/json".into()),
                ("User-Agent", "analytics-node-next/latest".into()),
                ("X-Retry-Count", "0".into()),
            ],
            body: node_batch.into_bytes(),
            messages: 3,
        },
        // analytics-python with gzip: the key in the body, the body compressed.
        SdkRequest {
            path: "/v1/batch",
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("Content-Encoding", "gzip".into()),
                ("User-Agent", "analytics-python/2.3.3".into()),
            ],
            body: gzip(python_batch.as_bytes()),
            messages: 2,
        },
        // analytics.js standard mode: one message, text/plain, short path.
        SdkRequest {
            path: "/v1/t",
            headers: vec![
                ("Content-Type", "text/plain".into()),
                ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)".into()),
            ],
            body: browser_track.into_bytes(),
            messages: 1,
        },
        // A single identify with Basic auth, no User-Agent at all.
        SdkRequest {
            path: "/v1/identify",
            headers: vec![
                ("Authorization", basic(WRITE_KEY)),
                ("Content-Type", "application/json".into()),
            ],
            body: br#"{"userId":"u-1","traits":{"plan":"pro"}}"#.to_vec(),
            messages: 1,
        },
    ]
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_upstream_gets_byte_identical_bodies_and_auth_and_the_stream_gets_deliveries() {
    let mut upstream = start_upstream(&[], None).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let requests = sdk_requests();

    for request in &requests {
        assert_eq!(sdk_post(&server, request).await, 200);
        let got = upstream.next().await;
        assert_eq!(got.path_and_query, request.path, "path and query kept");
        assert!(
            got.body == request.body,
            "byte-identical body for {}",
            request.path
        );
        for (name, value) in &request.headers {
            assert_eq!(
                got.header(name),
                Some(value.as_str()),
                "header {name} forwarded as sent"
            );
        }
        if !request.headers.iter().any(|(n, _)| *n == "Authorization") {
            assert_eq!(got.header("authorization"), None, "no invented auth");
        }
        // The connection's own headers are the client's, not copies of the SDK's.
        assert_eq!(
            got.header("host"),
            Some(upstream.addr.to_string().as_str()),
            "Host names the upstream"
        );
        assert_eq!(
            got.header("content-length"),
            Some(request.body.len().to_string().as_str())
        );
    }

    let frames = frames_until_deliveries(&mut viewer, requests.len()).await;
    for (_, text) in &frames {
        assert!(
            !text.contains(WRITE_KEY),
            "the write key never appears whole: {text}"
        );
        assert!(
            !text.contains(basic(WRITE_KEY).trim_start_matches("Basic ")),
            "nor its base64: {text}"
        );
    }
    // Each request's event frames, by seq, in posting order.
    let mut events: Vec<(u64, String)> = Vec::new();
    let mut deliveries: Vec<&Value> = Vec::new();
    for (frame, _) in &frames {
        match frame["type"].as_str() {
            Some("event") => events.push((
                frame["seq"].as_u64().unwrap(),
                frame["message"]["messageId"].as_str().unwrap().to_string(),
            )),
            Some("delivery") => deliveries.push(frame),
            other => panic!("unexpected frame {other:?}"),
        }
    }
    let total: usize = requests.iter().map(|r| r.messages).sum();
    assert_eq!(
        events.len(),
        total,
        "every message arrived as an event frame"
    );
    let mut by_first_seq: BTreeMap<u64, &Value> = BTreeMap::new();
    for delivery in &deliveries {
        let first = delivery["forSeqs"][0].as_u64().expect("forSeqs");
        by_first_seq.insert(first, delivery);
    }
    assert_eq!(
        by_first_seq.len(),
        requests.len(),
        "one delivery per request"
    );

    let mut next_event = 0;
    for (request, (_, delivery)) in requests.iter().zip(&by_first_seq) {
        let mine = &events[next_event..next_event + request.messages];
        next_event += request.messages;
        let seqs: Vec<u64> = mine.iter().map(|(s, _)| *s).collect();
        let ids: Vec<&str> = mine.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(delivery["forSeqs"], json!(seqs), "{delivery}");
        assert_eq!(delivery["messageIds"], json!(ids), "{delivery}");
        assert!(delivery["seq"].as_u64().unwrap() > *seqs.last().unwrap());
        assert_eq!(delivery["destination"], "upstream");
        assert_eq!(delivery["kind"], "upstream");
        assert_eq!(delivery["status"], 200, "{delivery}");
        assert_eq!(delivery["ok"], true);
        assert_eq!(delivery["attempts"], 1);
        assert!(delivery["latencyMs"].as_f64().unwrap() >= 0.0);
        assert_eq!(delivery["response"]["body"], r#"{"success":true}"#);
        let shown = &delivery["request"];
        assert_eq!(shown["method"], "POST");
        assert_eq!(
            shown["url"],
            format!("{}{}", upstream.url(), request.path),
            "{delivery}"
        );
        assert_eq!(shown["bodyBytes"], request.body.len());
        let header = |name: &str| {
            shown["headers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
                .map(|h| h[1].as_str().unwrap().to_string())
        };
        if request.headers.iter().any(|(n, _)| *n == "Authorization") {
            let credentials = basic(WRITE_KEY).trim_start_matches("Basic ").to_string();
            assert_eq!(
                header("authorization"),
                Some(format!(
                    "Basic {}",
                    eventscope::model::mask_secret(&credentials)
                ))
            );
        }
        if request.body.starts_with(&[0x1f, 0x8b]) {
            assert_eq!(header("content-encoding").as_deref(), Some("gzip"));
            assert!(
                shown["body"].as_str().unwrap().starts_with(r#"{"batch":["#),
                "a gzip body is previewed decoded: {shown}"
            );
        }
        let body = shown["body"].as_str().unwrap();
        if body.contains("writeKey") {
            assert!(body.contains(&eventscope::model::mask_secret(WRITE_KEY)));
        }
    }
    viewer.close().await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn refused_requests_are_not_forwarded() {
    let mut upstream = start_upstream(&[], None).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let (status, _) = post(&server, "/v1/track", "{not json", &[]).await;
    assert_eq!(status, 400);
    let (status, _) = post(&server, "/v1/nope", r#"{"type":"track"}"#, &[]).await;
    assert_eq!(status, 404);
    let good = r#"{"type":"track","event":"Kept","userId":"u"}"#;
    let (status, _) = post(&server, "/v1/track", good, &[]).await;
    assert_eq!(status, 200);
    // The upstream's first request is the accepted one: the refused ones never left.
    assert_eq!(upstream.next().await.body, good.as_bytes());
    let frames = frames_until_deliveries(&mut viewer, 1).await;
    let kinds: Vec<&str> = frames
        .iter()
        .map(|(f, _)| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rejected", "rejected", "event", "delivery"]);
    assert!(upstream.nothing_more());
    server.stop().await.unwrap();
}

/// RudderStack's beacon goes on to the upstream with its path and query (the data plane needs the
/// key there), while the delivery frame shows the key masked; analytics.js's `/v1/m` telemetry
/// is answered here and not forwarded.
#[tokio::test]
async fn beacons_are_forwarded_with_their_query_masked_in_the_delivery_and_metrics_stay_here() {
    let mut upstream = start_upstream(&[], None).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let (status, _) = post(&server, "/v1/m", r#"{"series":[]}"#, &[]).await;
    assert_eq!(status, 200);
    let beacon = r#"{"batch":[{"type":"track","event":"Beacon","anonymousId":"a"}]}"#;
    let path = format!("/beacon/v1/batch?writeKey={WRITE_KEY}");
    let (status, _) = post(&server, &path, beacon, &[("Content-Type", "text/plain")]).await;
    assert_eq!(status, 200);
    // The upstream's first request is the beacon: the metrics post never left.
    let got = upstream.next().await;
    assert_eq!(got.path_and_query, path);
    assert_eq!(got.body, beacon.as_bytes());
    let frames = frames_until_deliveries(&mut viewer, 1).await;
    let (delivery, text) = frames.last().unwrap();
    assert_eq!(delivery["type"], "delivery", "{delivery}");
    let url = delivery["request"]["url"].as_str().unwrap_or_default();
    assert!(url.contains("/beacon/v1/batch?writeKey=wk_t…cdef"), "{url}");
    assert!(!text.contains(WRITE_KEY), "key leaked: {text}");
    assert!(upstream.nothing_more());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_500_is_retried_and_the_delivery_counts_two_attempts() {
    let mut upstream = start_upstream(&[500], None).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let body = r#"{"type":"track","event":"Retried","userId":"u"}"#;
    let auth = basic(WRITE_KEY);
    let (status, _) = post(&server, "/v1/track", body, &[("Authorization", &auth)]).await;
    assert_eq!(status, 200, "the SDK is answered before the upstream fails");
    for _ in 0..2 {
        let got = upstream.next().await;
        assert_eq!(got.body, body.as_bytes(), "the retry sends the same bytes");
        assert_eq!(got.header("authorization"), Some(auth.as_str()));
    }
    let frames = frames_until_deliveries(&mut viewer, 1).await;
    let delivery = &frames.last().unwrap().0;
    assert_eq!(delivery["status"], 200, "{delivery}");
    assert_eq!(delivery["attempts"], 2, "{delivery}");
    assert_eq!(delivery["ok"], true);
    assert!(delivery["totalMs"].as_f64().unwrap() >= delivery["latencyMs"].as_f64().unwrap());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_4xx_from_the_upstream_is_shown_with_its_body_and_not_retried() {
    let mut upstream = start_upstream(&[400], None).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let (status, _) = post(&server, "/v1/track", r#"{"event":"E","userId":"u"}"#, &[]).await;
    assert_eq!(status, 200);
    upstream.next().await;
    let frames = frames_until_deliveries(&mut viewer, 1).await;
    let delivery = &frames.last().unwrap().0;
    assert_eq!(delivery["status"], 400);
    assert_eq!(delivery["ok"], false);
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(
        delivery["response"]["body"],
        r#"{"success":false,"status":400}"#
    );
    assert!(upstream.nothing_more(), "not retried");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_upstream_that_is_down_never_affects_ingestion() {
    let server = start_proxy(&closed_port().await).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    for n in 0..3 {
        let body = format!(r#"{{"type":"track","event":"E{n}","userId":"u"}}"#);
        let (status, answer) = post(&server, "/v1/track", body, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(answer, json!({"success": true}));
    }
    let frames = frames_until_deliveries(&mut viewer, 3).await;
    let events = frames.iter().filter(|(f, _)| f["type"] == "event").count();
    assert_eq!(events, 3);
    for (delivery, _) in frames.iter().filter(|(f, _)| f["type"] == "delivery") {
        assert_eq!(delivery["ok"], false);
        assert!(delivery.get("status").is_none(), "no answer: {delivery}");
        let error = delivery["error"].as_str().unwrap();
        assert!(
            error.contains("refused") || error.contains("connect"),
            "says why: {error}"
        );
        assert!(delivery["attempts"].as_u64().unwrap() >= 1);
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_sdk_is_answered_while_the_upstream_still_hangs() {
    let hold = Arc::new(Notify::new());
    let mut upstream = start_upstream(&[], Some(Arc::clone(&hold))).await;
    let server = start_proxy(&upstream.url()).await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let (status, _) = post(&server, "/v1/track", r#"{"event":"E","userId":"u"}"#, &[]).await;
    assert_eq!(status, 200);
    // The upstream has the request and has not answered: eventscope answered without it.
    upstream.next().await;
    let event = viewer.next().await;
    assert_eq!(event["type"], "event");
    hold.notify_one();
    let delivery = viewer.next().await;
    assert_eq!(delivery["type"], "delivery");
    assert_eq!(delivery["status"], 200);
    assert_eq!(delivery["forSeqs"], json!([event["seq"]]));
    server.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The real binary.

fn eventscope() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_eventscope"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("EVENTSCOPE_UPSTREAM")
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn serve_refuses_a_bad_upstream_url_with_one_line_and_exit_2() {
    for bad in ["api.segment.io", "https://api.segment.io/v1", "ftp://x"] {
        let output = tokio::time::timeout(
            DEADLINE,
            eventscope()
                .args(["serve", "--listen", "127.0.0.1:0", "--upstream", bad])
                .output(),
        )
        .await
        .unwrap()
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("--upstream"), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing listened");
    }
}

#[tokio::test]
async fn serve_with_upstream_forwards_and_records_the_delivery_before_exiting() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut upstream = start_upstream(&[], None).await;
    let dir = std::env::temp_dir().join(format!("eventscope-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let recording = dir.join("proxy.ndjson");
    let _ = std::fs::remove_file(&recording);
    let mut child = eventscope()
        .args(["serve", "--listen", "127.0.0.1:0", "--upstream"])
        .arg(upstream.url())
        .arg("--record")
        .arg(&recording)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    let body = gzip(br#"{"batch":[{"type":"track","event":"A","userId":"u"}]}"#);
    let response = client()
        .post(format!("http://{addr}/v1/batch"))
        .header("Authorization", basic(WRITE_KEY))
        .header("Content-Encoding", "gzip")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let got = upstream.next().await;
    assert_eq!(got.body, body);
    // Stop at once: the delivery still reaches the recording (the server drains first).
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("upstream"), "the banner names it: {stderr}");
    let text = std::fs::read_to_string(&recording).unwrap();
    let frames: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["event", "delivery"], "{text}");
    assert_eq!(frames[1]["seq"], 2);
    assert_eq!(frames[1]["forSeqs"], json!([1]));
    assert_eq!(frames[1]["status"], 200);
    assert!(!text.contains(WRITE_KEY));
    assert!(!text.contains(basic(WRITE_KEY).trim_start_matches("Basic ")));
    let _ = std::fs::remove_dir_all(&dir);
}
