//! Bounds on what a peer can hold or open: blank stream tokens are refused at start, idle and
//! slow connections are closed, the connection count is capped under the open-file limit,
//! requests hyper refuses are counted and published, and silent stream viewers are dropped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::binary::*;
use common::*;
use eventscope::server::{ConnectionLimits, Timeouts};
use eventscope::stream::Keepalive;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdout, Command};

/// `eventscope serve ARGS` under `ulimit ULIMIT` (e.g. `-n 256`: at most 256 open files, soft
/// and hard); the child, its stdout and the address it listens on.
async fn serve_with_ulimit(
    ulimit: &str,
    args: &[&str],
) -> (Child, Lines<BufReader<ChildStdout>>, String) {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!("ulimit {ulimit} && exec \"$0\" serve \"$@\""))
        .arg(env!("CARGO_BIN_EXE_eventscope"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_remove("EVENTSCOPE_TOKEN")
        .kill_on_drop(true);
    let mut child = command.spawn().expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = listening_address(&mut lines).await;
    (child, lines, addr)
}

/// `/health` over a new connection each time (no pooled one to reuse), within the deadline.
async fn fresh_health(addr: &str) -> Value {
    let client = eventscope::forward::http_client_builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response =
        tokio::time::timeout(DEADLINE, client.get(format!("http://{addr}/health")).send())
            .await
            .expect("/health answers within the deadline")
            .expect("/health answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("health is JSON")
}

/// Polls `/health` until `done` holds for it; the last report.
async fn health_until(addr: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let report = fresh_health(addr).await;
        if done(&report) {
            return report;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within the deadline: {report}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the server closes `stream` (EOF or reset); panics at the deadline.
async fn closed_by_server(stream: &mut TcpStream, what: &str) {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(DEADLINE, stream.read(&mut buf)).await {
            Err(_) => panic!("{what}: still open at the deadline"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => {}
        }
    }
}

/// Whether the server has closed `stream`, without waiting.
fn is_closed(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match stream.try_read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// Reads one HTTP/1.1 response (head and a Content-Length body); its status and body.
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if received.len() >= end + 4 + length {
                    let status = head
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .expect("a status line");
                    let body = &received[end + 4..end + 4 + length];
                    return (status, String::from_utf8_lossy(body).to_string());
                }
            }
            let n = stream.read(&mut buf).await.expect("readable");
            assert!(n > 0, "closed before a whole response: {received:?}");
            received.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("a response within the deadline")
}

const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: eventscope\r\n\r\n";

// ---- Tokens ----

#[tokio::test]
async fn blank_tokens_are_a_usage_error_for_every_command_that_takes_one() {
    let cases: [(&[&str], Option<&str>); 6] = [
        (&["serve", "--listen", "0.0.0.0:0"], Some("")),
        (&["serve", "--listen", "0.0.0.0:0", "--token", ""], None),
        (&["serve", "--listen", "0.0.0.0:0", "--token", " "], None),
        (&["serve", "--listen", "127.0.0.1:0", "--token", "\t"], None),
        (&["tail", "http://127.0.0.1:9", "--token", ""], None),
        (&["connect", "http://127.0.0.1:9"], Some("  ")),
    ];
    for (args, env) in cases {
        let mut command = eventscope();
        command.args(args);
        if let Some(value) = env {
            command.env("EVENTSCOPE_TOKEN", value);
        }
        let output = tokio::time::timeout(DEADLINE, command.output())
            .await
            .expect("exits within the deadline")
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("token"), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing listened: {args:?}");
    }
}

#[tokio::test]
async fn the_server_refuses_a_blank_token_when_embedded_too() {
    for token in ["", " ", "\t\n"] {
        let mut config = config();
        config.token = Some(token.into());
        match eventscope::server::Server::bind(config).await {
            Err(e) => assert!(e.is_usage() && e.to_string().contains("token"), "{e}"),
            Ok(_) => panic!("{token:?} was accepted as a token"),
        }
    }
}

#[tokio::test]
async fn an_empty_token_in_the_query_is_refused_by_a_server_with_a_token() {
    let (_child, _lines, addr) = serve(&["--listen", "127.0.0.1:0", "--token", "s3cret"]).await;
    let url = format!("ws://{addr}/v1/stream");
    for (query, headers) in [
        ("?token=", vec![]),
        ("", vec![("Authorization", "Bearer ")]),
        ("?token=", vec![("Authorization", "Bearer")]),
    ] {
        match Viewer::try_connect(&format!("{url}{query}"), &headers).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401, "{query} {headers:?}");
            }
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    let mut viewer = Viewer::try_connect(&format!("{url}?token=s3cret"), &[])
        .await
        .expect("the real token opens the stream");
    assert_eq!(viewer.next().await["type"], "hello");
}

// ---- Connections ----

#[tokio::test]
async fn health_answers_while_300_idle_connections_sit_under_a_low_fd_limit() {
    // Timeouts far away: only the connection cap can make room here.
    let (_child, _lines, addr) = serve_with_ulimit(
        "-n 256",
        &[
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "10m",
            "--idle-timeout",
            "10m",
        ],
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    let mut report = Value::Null;
    for _ in 0..5 {
        report = fresh_health(&addr).await;
        assert_eq!(report["ok"], true);
    }
    let cap = report["maxConnections"].as_u64().unwrap();
    assert!(cap < 256, "the cap fits under the fd limit: {report}");
    assert!(
        report["connections"].as_u64().unwrap() <= cap,
        "never more than the cap: {report}"
    );
    let evicted = report["evictedConnections"].as_u64().unwrap();
    assert!(evicted >= 300 - cap, "idle ones made room: {report}");
    assert_eq!(report["refusedConnections"], 0, "{report}");

    // The ones closed to make room really were closed, and the rest are still open.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let closed = idle.iter().filter(|s| is_closed(s)).count() as u64;
        if closed >= 300 - cap {
            assert!(closed < 300, "not every idle connection was dropped");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{closed} of 300 closed; expected at least {}",
            300 - cap
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The oldest went first: the newest is still being held.
    let newest = idle.last_mut().unwrap();
    newest.write_all(GET_HEALTH).await.unwrap();
    assert_eq!(read_response(newest).await.0, 200);
}

#[tokio::test]
async fn the_soft_open_file_limit_is_raised_to_the_hard_limit_at_start() {
    let hard = std::process::Command::new("bash")
        .args(["-c", "ulimit -H -n"])
        .output()
        .expect("bash runs");
    let hard = String::from_utf8_lossy(&hard.stdout).trim().to_string();
    if hard != "unlimited" && hard.parse::<u64>().unwrap_or(0) < 2048 {
        eprintln!("skipped: the hard open-file limit ({hard}) leaves nothing to raise");
        return;
    }
    let (_child, _lines, addr) = serve_with_ulimit("-S -n 256", &["--listen", "127.0.0.1:0"]).await;
    let report = fresh_health(&addr).await;
    // Under the soft limit of 256 the cap would be 224.
    assert_eq!(report["maxConnections"], 1024, "{report}");
}

#[tokio::test]
async fn a_slowloris_and_a_silent_connection_are_closed_after_the_header_timeout() {
    let (_child, _lines, addr) =
        serve(&["--listen", "127.0.0.1:0", "--header-timeout", "1s"]).await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: eventscope\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    closed_by_server(&mut slow, "a connection sending half a head").await;
    closed_by_server(&mut silent, "a connection sending nothing").await;
    let report = health_until(&addr, "both timeouts counted", |r| {
        r["timedOutConnections"].as_u64() >= Some(2)
    })
    .await;
    assert_eq!(report["connections"], 1, "only /health's own: {report}");
}

#[tokio::test]
async fn an_idle_keep_alive_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let (_child, _lines, addr) = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--header-timeout",
        "1s",
        "--idle-timeout",
        "5s",
    ])
    .await;
    let mut keep_alive = TcpStream::connect(&addr).await.unwrap();
    keep_alive.write_all(GET_HEALTH).await.unwrap();
    assert_eq!(read_response(&mut keep_alive).await.0, 200);

    // A silent connection opened after the keep-alive went idle is closed by the header
    // timeout; the keep-alive, idle for longer by then, is still served.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    closed_by_server(&mut silent, "a silent connection").await;
    keep_alive.write_all(GET_HEALTH).await.unwrap();
    let (status, body) = read_response(&mut keep_alive).await;
    assert_eq!(status, 200);
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["timedOutConnections"], 1, "{report}");

    closed_by_server(&mut keep_alive, "an idle keep-alive").await;
    health_until(&addr, "the idle timeout counted", |r| {
        r["timedOutConnections"] == 2
    })
    .await;
}

#[tokio::test]
async fn requests_hyper_refuses_are_counted_answered_and_published() {
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, None).await;
    let many_headers: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases: [(String, u16); 4] = [
        (
            "POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"
                .into(),
            400,
        ),
        ("\u{1}\u{2} nonsense\r\n\r\n".into(), 400),
        (
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)),
            414,
        ),
        (format!("GET / HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"), 431),
    ];
    for (request, status) in &cases {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        assert_eq!(
            read_response(&mut stream).await.0,
            *status,
            "{:.60}",
            request
        );
    }
    let mut statuses = Vec::new();
    for _ in 0..cases.len() {
        let frame = viewer.next().await;
        assert_eq!(frame["type"], "rejected", "{frame}");
        assert_eq!(frame["code"], "malformed_http", "{frame}");
        assert_eq!(frame["source"]["ip"], "127.0.0.1", "{frame}");
        assert_eq!(frame["body"], "", "{frame}");
        assert!(!frame["message"].as_str().unwrap().is_empty(), "{frame}");
        statuses.push(frame["status"].as_u64().unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [400, 400, 414, 431]);
    let report = health(&server.addr.to_string()).await;
    assert_eq!(report["malformedHttp"], 4, "{report}");
    assert_eq!(report["rejected"], 4, "{report}");
    // Well-formed requests are served as before.
    let track = json!({"type": "track", "event": "After", "userId": "u"}).to_string();
    assert_eq!(post(&server, "/v1/track", track, &[]).await.0, 200);
    assert_eq!(viewer.next().await["message"]["event"], "After");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_stream_viewer_that_stops_answering_pings_is_closed_and_a_live_one_stays() {
    let mut config = config();
    config.connections = ConnectionLimits {
        // Shorter than the test: a websocket is never closed by these.
        timeouts: Timeouts {
            header: Duration::from_millis(300),
            idle: Duration::from_millis(300),
        },
        stream: Keepalive {
            ping_every: Duration::from_millis(200),
            dead_after: Duration::from_millis(500),
            ..Keepalive::default()
        },
        ..ConnectionLimits::default()
    };
    let server = start(config).await;
    let addr = server.addr.to_string();
    // Reads nothing after the hello, so it answers no ping.
    let (mut silent, _) = Viewer::connect(&server, None).await;
    // Reads all the time (tungstenite answers pings while reading).
    let (live, _) = Viewer::connect(&server, None).await;
    let (frames_tx, mut frames) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut live = live;
        loop {
            let frame = live.next().await;
            if frames_tx.send(frame).is_err() {
                break;
            }
        }
    });
    let report = health_until(&addr, "the silent viewer closed", |r| {
        r["timedOutConnections"] == 1 && r["subscribers"] == 1
    })
    .await;
    assert_eq!(
        report["connections"], 2,
        "the live viewer and /health: {report}"
    );
    // The silent one sees its stream end.
    let ended = tokio::time::timeout(DEADLINE, async {
        use futures_util::StreamExt;
        loop {
            match silent.ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the silent viewer's stream ended");

    let track = json!({"type": "track", "event": "StillLive", "userId": "u"}).to_string();
    assert_eq!(post(&server, "/v1/track", track, &[]).await.0, 200);
    let frame = tokio::time::timeout(DEADLINE, frames.recv())
        .await
        .expect("the live viewer gets the event")
        .expect("reader running");
    assert_eq!(frame["message"]["event"], "StillLive");
    reader.abort();
    server.stop().await.unwrap();
}
