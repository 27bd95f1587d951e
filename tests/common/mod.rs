//! Shared helpers for the integration tests: a real server on 127.0.0.1 port 0, a real
//! websocket viewer, and HTTP posting. Waiting is always bounded by a deadline (a guard against
//! hangs, never a timing assertion).
#![allow(dead_code)]

pub mod binary;
pub mod cluster;
pub mod nats;

use std::time::Duration;

use eventscope::server::{RunningServer, ServeConfig, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const DEADLINE: Duration = Duration::from_secs(20);
pub const WRITE_KEY: &str = "wk_test_0123456789abcdef";

pub fn config() -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeConfig::default()
    }
}

pub async fn start(config: ServeConfig) -> RunningServer {
    Server::bind(config).await.expect("bind").spawn()
}

pub async fn start_default() -> RunningServer {
    start(config()).await
}

pub struct Viewer {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Viewer {
    /// Connects to `server`'s stream with an optional `?since=` and reads the hello.
    pub async fn connect(server: &RunningServer, since: Option<u64>) -> (Viewer, Value) {
        Viewer::connect_to(&server.addr.to_string(), since).await
    }

    /// Connects to the stream at `ws://ADDR/v1/stream` (e.g. a child process's) with an
    /// optional `?since=` and reads the hello.
    pub async fn connect_to(addr: &str, since: Option<u64>) -> (Viewer, Value) {
        let mut url = format!("ws://{addr}/v1/stream");
        if let Some(since) = since {
            url.push_str(&format!("?since={since}"));
        }
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        let mut viewer = Viewer { ws };
        let hello = viewer.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        (viewer, hello)
    }

    /// Connects with a custom request (headers), returning the handshake result.
    pub async fn try_connect(
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Viewer, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request().unwrap();
        for (name, value) in headers {
            let name =
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                    .unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Viewer { ws })
    }

    /// The next text frame, as received.
    pub async fn next_text(&mut self) -> String {
        loop {
            let message = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("a frame within the deadline")
                .expect("stream open")
                .expect("no websocket error");
            match message {
                Message::Text(text) => return text.to_string(),
                Message::Ping(payload) => {
                    let _ = self.ws.send(Message::Pong(payload)).await;
                }
                Message::Close(frame) => panic!("stream closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Sends a text frame (a viewer's `delivery` frame).
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("the stream takes a frame");
    }

    /// The next text frame, or `None` when the server closes the stream.
    pub async fn next_text_or_close(&mut self) -> Option<String> {
        loop {
            let message = tokio::time::timeout(DEADLINE, self.ws.next())
                .await
                .expect("a frame or a close within the deadline");
            match message {
                Some(Ok(Message::Text(text))) => return Some(text.to_string()),
                Some(Ok(Message::Ping(payload))) => {
                    let _ = self.ws.send(Message::Pong(payload)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    pub async fn next(&mut self) -> Value {
        let text = self.next_text().await;
        serde_json::from_str(&text).expect("frames are JSON")
    }

    /// The next `n` frames.
    pub async fn take(&mut self, n: usize) -> Vec<Value> {
        let mut frames = Vec::with_capacity(n);
        for _ in 0..n {
            frames.push(self.next().await);
        }
        frames
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

pub fn client() -> reqwest::Client {
    eventscope::forward::http_client_builder().build().unwrap()
}

/// POSTs `body` to `path` and returns the status and JSON answer.
pub async fn post(
    server: &RunningServer,
    path: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}{path}", server.http_url()))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

/// `GET http://ADDR/health` as JSON.
pub async fn health(addr: &str) -> Value {
    client()
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .expect("health answers")
        .json()
        .await
        .expect("health is JSON")
}

pub fn basic(key: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The fixture messages (600 Segment messages, about 1 KB each).
pub fn fixture_messages() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.ndjson");
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

pub fn batch_of(messages: &[String]) -> String {
    format!(r#"{{"batch":[{}]}}"#, messages.join(","))
}

/// Resident memory of process `pid` (VmRSS in /proc/PID/status), in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// What [`flood`] did.
#[derive(Debug, Default)]
pub struct Flood {
    pub accepted: usize,
    pub refused: usize,
    pub bytes_posted: u64,
    /// The highest VmRSS sampled while posting.
    pub peak_rss: u64,
}

/// A valid track message of about `size` bytes (under the 32 KB message cap).
pub fn message_of(size: usize, n: usize) -> String {
    let text = serde_json::json!({"type": "track", "event": "Flood", "userId": format!("u{n}"),
                      "properties": {"n": n, "padding": ""}})
    .to_string();
    let padding = "x".repeat(size.saturating_sub(text.len()));
    serde_json::json!({"type": "track", "event": "Flood", "userId": format!("u{n}"),
           "properties": {"n": n, "padding": padding}})
    .to_string()
}

/// Posts ~30 KB messages to `http://ADDR/v1/track` from `clients` concurrent clients, as fast
/// as they are answered, for at least `wall` and until at least `min_bytes` were posted
/// (whichever comes last, so a slow machine still posts enough); samples `pid`'s VmRSS every
/// 20 ms meanwhile. Panics after [`DEADLINE`] × 6, as a guard against hangs.
pub async fn flood(addr: &str, pid: u32, clients: usize, wall: Duration, min_bytes: u64) -> Flood {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    let started = std::time::Instant::now();
    let posted = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, peak) = (Arc::clone(&done), Arc::clone(&peak));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_bytes(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let mut tasks = Vec::new();
    for client_n in 0..clients {
        let url = format!("http://{addr}/v1/track");
        let (posted, accepted, refused) = (
            Arc::clone(&posted),
            Arc::clone(&accepted),
            Arc::clone(&refused),
        );
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut n = client_n;
            loop {
                let enough =
                    started.elapsed() >= wall && posted.load(Ordering::Relaxed) >= min_bytes;
                if enough {
                    return;
                }
                assert!(
                    started.elapsed() < DEADLINE * 6,
                    "flood: {} bytes posted before the guard deadline",
                    posted.load(Ordering::Relaxed)
                );
                let body = message_of(30_000, n);
                n += clients;
                let size = body.len() as u64;
                match http.post(&url).body(body).send().await {
                    Ok(response) if response.status() == 200 => {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        posted.fetch_add(size, Ordering::Relaxed);
                    }
                    _ => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a flooding client");
    }
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    if let Some(rss) = rss_bytes(pid) {
        peak.fetch_max(rss, Ordering::Relaxed);
    }
    Flood {
        accepted: accepted.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        bytes_posted: posted.load(Ordering::Relaxed),
        peak_rss: peak.load(Ordering::Relaxed),
    }
}
