//! The forwarding engine against real HTTP servers on 127.0.0.1 port 0: retries, `Retry-After`,
//! no retries for 4xx, timeouts, refused connections, masking, `file` appends and concurrency.
//! Waits are bounded by a deadline; the only time assertions are lower bounds the engine must
//! respect (it waited at least what the server asked), never speed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use eventscope::forward::destination::DestinationConfig;
use eventscope::forward::engine::{Engine, RetryPolicy, SendOptions};
use eventscope::forward::{Carried, Destination, DestinationKind, Request};
use eventscope::model::DeliveryFrame;
use tokio::net::TcpListener;

const DEADLINE: Duration = Duration::from_secs(20);
const SECRET: &str = "sk_live_0123456789abcdefSECRET";

/// One answer of a scripted server: status, headers, body; `None` never answers.
type Reply = Option<(u16, Vec<(&'static str, &'static str)>, &'static str)>;

/// What a scripted server saw: arrival time, headers and body of each request.
#[derive(Default)]
struct Seen {
    hits: Vec<(Instant, HeaderMap, Bytes)>,
    in_flight: usize,
    max_in_flight: usize,
}

struct Script {
    replies: Mutex<Vec<Reply>>,
    /// Answer after this long (to overlap requests).
    delay: Duration,
    /// Echo the request's headers and body in the answer.
    echo: bool,
    seen: Mutex<Seen>,
}

/// A server that answers with `replies` in turn (the last one repeats).
async fn scripted(replies: Vec<Reply>) -> (String, Arc<Script>) {
    serve(Script {
        replies: Mutex::new(replies),
        delay: Duration::ZERO,
        echo: false,
        seen: Mutex::default(),
    })
    .await
}

async fn serve(script: Script) -> (String, Arc<Script>) {
    let script = Arc::new(script);
    let state = Arc::clone(&script);
    let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let script = Arc::clone(&state);
        async move { answer(script, headers, body).await }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), script)
}

async fn answer(script: Arc<Script>, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut seen = script.seen.lock().unwrap();
        seen.hits
            .push((Instant::now(), headers.clone(), body.clone()));
        seen.in_flight += 1;
        seen.max_in_flight = seen.max_in_flight.max(seen.in_flight);
        let mut replies = script.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.remove(0)
        } else {
            replies[0].clone()
        }
    };
    tokio::time::sleep(script.delay).await;
    script.seen.lock().unwrap().in_flight -= 1;
    let Some((status, reply_headers, reply_body)) = reply else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    let mut response = if script.echo {
        let echoed = format!("{headers:?}\n{}", String::from_utf8_lossy(&body));
        echoed.into_response()
    } else {
        reply_body.to_string().into_response()
    };
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    for (name, value) in reply_headers {
        response
            .headers_mut()
            .insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

/// A destination as `eventscope.toml` would configure it: a webhook signing with `SECRET`
/// (so that every form of it is masked), or a file.
fn destination(kind: DestinationKind) -> Destination {
    let table = match kind {
        DestinationKind::File => {
            let path = std::env::temp_dir().join("eventscope-engine-unused.ndjson");
            format!(
                "name = \"test\"\nkind = \"file\"\npath = {:?}\n",
                path.display().to_string()
            )
        }
        _ => format!(
            "name = \"test\"\nkind = \"webhook\"\nendpoint = \"http://127.0.0.1:9/hook\"\n\
             shared_secret = \"{SECRET}\"\nconcurrency = 4\nmax_attempts = 4\ntimeout = \"5s\"\n"
        ),
    };
    let config: DestinationConfig = toml::from_str(&table).unwrap();
    let destination = Destination::from_config(&config).unwrap();
    assert_eq!(destination.kind, kind);
    destination
}

/// Short backoffs: the tests check behaviour, not patience.
fn engine() -> Arc<Engine> {
    Arc::new(
        Engine::with_policy(RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
            retry_after_cap: Duration::from_secs(10),
        })
        .unwrap(),
    )
}

fn post(url: &str, body: &str) -> Request {
    Request {
        method: "POST".into(),
        url: url.into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        carries: vec![Carried {
            seq: Some(7),
            message_id: Some("m-7".into()),
        }],
    }
}

async fn deliver(engine: &Engine, destination: &Destination, request: Request) -> DeliveryFrame {
    tokio::time::timeout(DEADLINE, engine.deliver(destination, request))
        .await
        .expect("delivered within the deadline")
}

#[tokio::test]
async fn retries_5xx_until_it_succeeds_in_one_delivery() {
    let (url, script) = scripted(vec![
        Some((503, vec![], "busy")),
        Some((503, vec![], "busy")),
        Some((
            200,
            vec![("content-type", "application/json")],
            r#"{"ok":1}"#,
        )),
    ])
    .await;
    let frame = deliver(
        &engine(),
        &destination(DestinationKind::Webhook),
        post(&url, "{}"),
    )
    .await;
    assert_eq!(frame.attempts, 3, "{frame:?}");
    assert!(frame.ok, "{frame:?}");
    assert_eq!(frame.status, Some(200));
    assert_eq!(frame.error, None);
    assert_eq!(script.seen.lock().unwrap().hits.len(), 3);
    // Every field a viewer shows is filled.
    assert_eq!(frame.destination, "test");
    assert_eq!(frame.kind, "webhook");
    assert_eq!(frame.for_seqs, [7]);
    assert_eq!(frame.message_ids, ["m-7"]);
    assert_eq!(frame.request.method, "POST");
    assert_eq!(frame.request.url, url);
    assert_eq!(frame.request.body, "{}");
    assert_eq!(frame.request.body_bytes, 2);
    let response = frame.response.as_ref().expect("a response preview");
    assert_eq!(response.body, r#"{"ok":1}"#);
    assert_eq!(
        response.headers,
        [("content-type".to_string(), "application/json".to_string())]
    );
    assert!(frame.total_ms >= frame.latency_ms);
    assert!(
        frame.at.ends_with('Z') && frame.at.len() == 24,
        "{}",
        frame.at
    );
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let (url, script) = scripted(vec![
        Some((429, vec![("retry-after", "1")], "slow down")),
        Some((200, vec![], "ok")),
    ])
    .await;
    let frame = deliver(
        &engine(),
        &destination(DestinationKind::Webhook),
        post(&url, "{}"),
    )
    .await;
    assert!(frame.ok, "{frame:?}");
    assert_eq!(frame.attempts, 2);
    let seen = script.seen.lock().unwrap();
    let gap = seen.hits[1].0 - seen.hits[0].0;
    // The backoff alone would be under 50 ms here; the server asked for a second.
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_ends_the_retries_and_says_why() {
    let (url, script) = scripted(vec![Some((429, vec![("retry-after", "3600")], "later"))]).await;
    let frame = deliver(
        &engine(),
        &destination(DestinationKind::Webhook),
        post(&url, "{}"),
    )
    .await;
    assert!(!frame.ok);
    assert_eq!(frame.attempts, 1);
    assert_eq!(frame.status, Some(429));
    let error = frame.error.unwrap_or_default();
    assert!(error.contains("Retry-After 3600s"), "{error}");
    assert_eq!(script.seen.lock().unwrap().hits.len(), 1);
}

#[tokio::test]
async fn a_400_is_not_retried_and_its_body_is_shown() {
    let (url, script) = scripted(vec![Some((
        400,
        vec![("content-type", "application/json"), ("x-other", "hidden")],
        r#"{"error":"missing event_type"}"#,
    ))])
    .await;
    let frame = deliver(
        &engine(),
        &destination(DestinationKind::Webhook),
        post(&url, "{}"),
    )
    .await;
    assert_eq!(frame.attempts, 1);
    assert_eq!(frame.status, Some(400));
    assert!(!frame.ok);
    let response = frame.response.unwrap();
    assert_eq!(response.body, r#"{"error":"missing event_type"}"#);
    assert_eq!(response.body_bytes, 30);
    assert!(response.headers.iter().all(|(name, _)| name != "x-other"));
    assert_eq!(script.seen.lock().unwrap().hits.len(), 1);
}

#[tokio::test]
async fn exhausted_retries_report_the_last_answer() {
    let (url, script) = scripted(vec![Some((500, vec![], "boom"))]).await;
    let mut destination = destination(DestinationKind::Webhook);
    destination.max_attempts = 3;
    let frame = deliver(&engine(), &destination, post(&url, "{}")).await;
    assert_eq!(frame.attempts, 3);
    assert_eq!(frame.status, Some(500));
    assert!(!frame.ok);
    assert_eq!(frame.response.unwrap().body, "boom");
    assert_eq!(script.seen.lock().unwrap().hits.len(), 3);
}

#[tokio::test]
async fn a_hung_server_times_out() {
    let (url, script) = scripted(vec![None]).await;
    let mut destination = destination(DestinationKind::Webhook);
    destination.timeout = Duration::from_millis(300);
    destination.max_attempts = 2;
    let frame = deliver(&engine(), &destination, post(&url, "{}")).await;
    assert!(!frame.ok);
    assert_eq!(frame.status, None);
    assert_eq!(frame.error.as_deref(), Some("timeout after 300ms"));
    assert_eq!(frame.attempts, 2, "timeouts are retried");
    assert!(frame.latency_ms >= 300.0, "{}", frame.latency_ms);
    assert_eq!(script.seen.lock().unwrap().hits.len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut destination = destination(DestinationKind::Webhook);
    destination.max_attempts = 2;
    let url = format!("http://{addr}/hook?api_secret={SECRET}");
    let frame = deliver(&engine(), &destination, post(&url, "{}")).await;
    assert!(!frame.ok);
    assert_eq!(frame.status, None);
    assert_eq!(frame.error.as_deref(), Some("connection refused"));
    assert_eq!(frame.attempts, 2);
    assert!(frame.response.is_none());
    assert!(!frame.request.url.contains(SECRET), "{}", frame.request.url);
}

#[tokio::test]
async fn the_secret_never_appears_in_the_delivery() {
    let (url, _script) = serve(Script {
        replies: Mutex::new(vec![Some((200, vec![], ""))]),
        delay: Duration::ZERO,
        echo: true,
        seen: Mutex::default(),
    })
    .await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{SECRET}:")
        )
    );
    let mut request = post(
        &format!("{url}/mp/collect?api_secret={SECRET}"),
        &format!(r#"{{"api_key":"{SECRET}","event":"x"}}"#),
    );
    request
        .headers
        .push(("Authorization".into(), basic.clone()));
    request.headers.push(("X-Api-Key".into(), SECRET.into()));
    let frame = deliver(&engine(), &destination(DestinationKind::Webhook), request).await;
    assert!(frame.ok, "{frame:?}");
    let json = serde_json::to_string(&frame).unwrap();
    let encoded = basic.trim_start_matches("Basic ");
    assert!(
        !json.contains(SECRET) && !json.contains(encoded),
        "secret in the delivery: {json}"
    );
    // The echo came back and was masked, not dropped.
    let echoed = &frame.response.unwrap().body;
    assert!(echoed.contains("x-api-key"), "{echoed}");
    assert!(json.contains("api_secret=sk_l…CRET"), "{json}");
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-engine-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn append(path: &std::path::Path, body: &str) -> Request {
    Request {
        method: "APPEND".into(),
        url: format!("file://{}", path.display()),
        headers: vec![],
        body: body.as_bytes().to_vec(),
        carries: vec![Carried {
            seq: None,
            message_id: Some("m-1".into()),
        }],
    }
}

#[tokio::test]
async fn the_file_kind_appends() {
    let dir = temp_dir();
    let path = dir.join("out.ndjson");
    let mut destination = destination(DestinationKind::File);
    destination.file = Some(path.clone());
    let engine = engine();
    for line in ["{\"n\":1}\n", "{\"n\":2}\n{\"n\":3}\n"] {
        let frame = deliver(&engine, &destination, append(&path, line)).await;
        assert!(frame.ok, "{frame:?}");
        assert_eq!(frame.status, None);
        assert_eq!(frame.attempts, 1);
        assert_eq!(frame.kind, "file");
        assert_eq!(frame.request.method, "APPEND");
    }
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");

    let missing = dir.join("no-such-dir").join("out.ndjson");
    let frame = deliver(&engine, &destination, append(&missing, "{}\n")).await;
    assert!(!frame.ok);
    let error = frame.error.unwrap_or_default();
    assert!(
        error.contains("no-such-dir") && error.contains("directory does not exist"),
        "{error}"
    );
    assert_eq!(frame.attempts, 1, "a missing directory is not retried");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn send_keeps_at_most_the_destinations_concurrency_in_flight() {
    let (url, script) = serve(Script {
        replies: Mutex::new(vec![Some((200, vec![], "ok"))]),
        delay: Duration::from_millis(30),
        echo: false,
        seen: Mutex::default(),
    })
    .await;
    let mut destination = destination(DestinationKind::Webhook);
    destination.concurrency = 3;
    let requests: Vec<Request> = (0..20).map(|i| post(&url, &format!("{i}"))).collect();
    let mut deliveries = engine().send(Arc::new(destination), requests);
    let mut frames = Vec::new();
    while let Some(frame) = tokio::time::timeout(DEADLINE, deliveries.recv())
        .await
        .expect("deliveries within the deadline")
    {
        frames.push(frame);
    }
    assert_eq!(frames.len(), 20);
    assert!(frames.iter().all(|f| f.ok));
    let mut bodies: Vec<u32> = frames
        .iter()
        .map(|f| f.request.body.parse().unwrap())
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, (0..20).collect::<Vec<_>>());
    let seen = script.seen.lock().unwrap();
    assert!(seen.max_in_flight <= 3, "{} in flight", seen.max_in_flight);
    assert!(seen.max_in_flight >= 2, "requests overlapped");
}

#[tokio::test]
async fn a_rate_spaces_the_requests_out() {
    let (url, script) = scripted(vec![Some((200, vec![], "ok"))]).await;
    let requests: Vec<Request> = (0..5).map(|i| post(&url, &format!("{i}"))).collect();
    // 5 messages at 20 per second: the last starts 200 ms after the first, so it cannot
    // arrive sooner after the sending began (the first one's connect may delay the first
    // arrival, so the spread between arrivals is no bound).
    let began = std::time::Instant::now();
    let mut deliveries = engine().send_stream(
        Arc::new(destination(DestinationKind::Webhook)),
        futures_util::stream::iter(requests),
        SendOptions { rate: Some(20.0) },
    );
    let mut delivered = 0;
    while let Some(frame) = tokio::time::timeout(DEADLINE, deliveries.recv())
        .await
        .unwrap()
    {
        assert!(frame.ok);
        delivered += 1;
    }
    assert_eq!(delivered, 5);
    let seen = script.seen.lock().unwrap();
    let last = seen.hits[4].0 - began;
    assert!(last >= Duration::from_millis(190), "{last:?}");
}

#[tokio::test]
async fn dropping_the_receiver_stops_sending() {
    let (url, script) = serve(Script {
        replies: Mutex::new(vec![Some((200, vec![], "ok"))]),
        delay: Duration::from_millis(20),
        echo: false,
        seen: Mutex::default(),
    })
    .await;
    let mut destination = destination(DestinationKind::Webhook);
    destination.concurrency = 1;
    let requests: Vec<Request> = (0..200).map(|i| post(&url, &format!("{i}"))).collect();
    let mut deliveries = engine().send(Arc::new(destination), requests);
    let first = tokio::time::timeout(DEADLINE, deliveries.recv())
        .await
        .unwrap();
    assert!(first.is_some());
    drop(deliveries);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let hits = script.seen.lock().unwrap().hits.len();
    assert!(
        hits < 20,
        "{hits} requests sent after the receiver went away"
    );
}
