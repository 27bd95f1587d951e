//! The real Segment SDKs, installed from their package registries, pointed at the collector:
//! every message they send must arrive on the live stream, intact and attributed to its request.
//!
//! - `@segment/analytics-node` (npm), pinned in `tests/sdk/node/package.json` + lockfile and
//!   installed with `npm ci` into `target/sdk/node/`.
//! - `segment-analytics-python` (PyPI), pinned in `tests/sdk/python/requirements.txt` and
//!   installed into the venv `target/sdk/python/venv`, sending gzipped batches.
//!
//! - In a real browser (`tests/sdk/browser`, `npm ci` into `target/sdk/browser/`):
//!   `@segment/analytics-next` and RudderStack JS v3 (`@rudderstack/analytics-js`), bundled
//!   with esbuild into a page served from another loopback origin (so CORS applies), run in
//!   Debian's headless Chromium (`/usr/bin/chromium`, or `$CHROMIUM`) by `playwright-core`.
//!   No internet: analytics-next gets inline CDN settings, RudderStack its source config from
//!   the page's server and its plugins from its bundled build.
//!
//! Installs are reused while the pins are unchanged. Without node/npm (or python3 with venv,
//! or Chromium) a test prints `SKIPPED: …` and returns, unless `CI` is set: then it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio_tungstenite::tungstenite::Message;

/// Guards against hangs (each websocket read, the server's start, one SDK run); not a timing
/// assertion.
const DEADLINE: Duration = Duration::from_secs(30);
/// An SDK run: its own flush timeouts are 10–20 s.
const SEND_DEADLINE: Duration = Duration::from_secs(90);
/// `npm ci` / `pip install` download from the registry, which can be slow.
const INSTALL_DEADLINE: Duration = Duration::from_secs(15 * 60);

const NODE_WRITE_KEY: &str = "wk_node_0123456789abcdef";
const PYTHON_WRITE_KEY: &str = "wk_python_0123456789abcdef";
const NEXT_WRITE_KEY: &str = "wk_next_0123456789abcdef";
const RUDDER_WRITE_KEY: &str = "wk_rudder_0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn analytics_node_delivers_track_identify_page() {
    let Some(tools) = probe_node().await else {
        return;
    };
    say(&format!("real_sdks: using {tools}"));
    let sdk_version = pinned_node_sdk_version();
    let dir = install_node_sdk().await;

    let server = Server::start().await;
    let mut stream = Stream::connect(&server).await;
    let host = format!("http://{}", server.addr);
    let script = dir.join("send.mjs");
    let mut node = Command::new("node");
    node.arg(&script)
        .args([host.as_str(), NODE_WRITE_KEY])
        .current_dir(&dir);
    run_sender("node send.mjs", node, &server).await;

    let frames = stream.frames_until_sentinel(&server).await;
    let events = sdk_events(&frames, &server);
    assert_three_messages(
        &events,
        &server,
        &Expect {
            write_key: NODE_WRITE_KEY,
            key_from: "basic",
            library: "@segment/analytics-node",
            library_version: &sdk_version,
            user_agent_prefix: "analytics-node",
            user_id: "user_node_1",
            revenue: 42.5,
            email: "ada@example.com",
        },
    );
    // analytics-node ids are "node-next-<ms>-<uuid>".
    for event in &events {
        let id = event["message"]["messageId"].as_str().unwrap_or_default();
        assert!(id.starts_with("node-next-"), "messageId {id:?}: {event}");
    }
}

#[tokio::test]
async fn analytics_python_delivers_gzipped_batches() {
    let Some(python) = probe_python().await else {
        return;
    };
    say(&format!("real_sdks: using {python}"));
    let sdk_version = pinned_python_sdk_version();
    let venv_python = install_python_sdk(&python).await;

    let server = Server::start().await;
    let mut stream = Stream::connect(&server).await;
    let host = format!("http://{}", server.addr);
    let script = sdk_source_dir("python").join("send.py");
    let mut send = Command::new(&venv_python);
    send.arg(&script).args([host.as_str(), PYTHON_WRITE_KEY]);
    run_sender("python send.py", send, &server).await;

    let frames = stream.frames_until_sentinel(&server).await;
    let events = sdk_events(&frames, &server);
    assert_three_messages(
        &events,
        &server,
        &Expect {
            write_key: PYTHON_WRITE_KEY,
            // segment-analytics-python 2.4 sends the key both as Basic auth and as the body's
            // `writeKey`; the header wins. (2.3.x sent it in the body only.)
            key_from: "basic",
            library: "analytics-python",
            library_version: &sdk_version,
            user_agent_prefix: &format!("analytics-python/{sdk_version}"),
            user_id: "user_python_1",
            revenue: 19.99,
            email: "grace@example.com",
        },
    );
}

/// analytics-next with `apiHost` set, as the README says to use it: its five calls arrive, and
/// its metrics post to `/v1/m` (forced with a short `metrics.flushTimer`) is answered 200 and
/// counted in `/health`, with no `rejected` frame (it was a red `rejected 404` row before).
#[tokio::test]
async fn analytics_next_in_chromium_delivers_every_call_and_its_metrics_are_no_rejection() {
    const TEST: &str =
        "analytics_next_in_chromium_delivers_every_call_and_its_metrics_are_no_rejection";
    let Some(dir) = browser_setup(TEST).await else {
        return;
    };
    let server = Server::start().await;
    let mut stream = Stream::connect(&server).await;
    run_sender(
        "node drive.mjs analytics-next",
        drive(&dir, "analytics-next", &server, NEXT_WRITE_KEY),
        &server,
    )
    .await;

    let frames = stream.frames_until_sentinel(&server).await;
    let events = sdk_events(&frames, &server);
    let version = pinned_browser_version("@segment/analytics-next");
    assert_five_calls(&events, &server, NEXT_WRITE_KEY, "basic");
    for event in &events {
        let message = &event["message"];
        let path = event["source"]["path"].as_str().unwrap_or_default();
        let short = &message["type"].as_str().unwrap_or_default()[..1];
        assert_eq!(
            path,
            format!("/v1/{short}"),
            "analytics.js's short paths: {event}"
        );
        assert_eq!(
            message["context"]["library"],
            json!({"name": "analytics.js", "version": format!("npm:next-{version}")}),
            "{event}"
        );
    }
    let health = health(&server).await;
    assert!(
        health["metrics"].as_u64().unwrap_or(0) >= 1,
        "the metrics post is counted: {health}"
    );
    assert_eq!(health["rejected"], 0, "{health}");
    assert_eq!(
        health["events"], 6,
        "the five calls and the sentinel: {health}"
    );
}

/// RudderStack JS v3 with `useBeacon: true`: one `navigator.sendBeacon` of `text/plain` to
/// `/beacon/v1/batch?writeKey=K` (no Authorization header) carries the five calls, and the key
/// is taken from the query (`keyFrom: "query"`), masked.
#[tokio::test]
async fn rudderstack_beacon_in_chromium_delivers_every_call() {
    const TEST: &str = "rudderstack_beacon_in_chromium_delivers_every_call";
    let Some(dir) = browser_setup(TEST).await else {
        return;
    };
    let server = Server::start().await;
    let mut stream = Stream::connect(&server).await;
    run_sender(
        "node drive.mjs rudderstack",
        drive(&dir, "rudderstack", &server, RUDDER_WRITE_KEY),
        &server,
    )
    .await;

    let frames = stream.frames_until_sentinel(&server).await;
    let events = sdk_events(&frames, &server);
    let version = pinned_browser_version("@rudderstack/analytics-js");
    assert_five_calls(&events, &server, RUDDER_WRITE_KEY, "query");
    for event in &events {
        assert_eq!(event["source"]["path"], "/beacon/v1/batch", "{event}");
        let library = &event["message"]["context"]["library"];
        assert_eq!(library["name"], "RudderLabs JavaScript SDK", "{event}");
        assert_eq!(library["version"], version.as_str(), "{event}");
    }
}

/// page, identify, track, group and alias from a browser page, each once, the key masked.
fn assert_five_calls(events: &[Value], server: &Server, write_key: &str, key_from: &str) {
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["message"]["type"].as_str().unwrap_or("?"))
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["alias", "group", "identify", "page", "track"],
        "one call of each kind; frames: {events:#?}\n{}",
        server.log()
    );
    for event in events {
        let source = &event["source"];
        let message = &event["message"];
        assert_eq!(source["keyFrom"], key_from, "{event}");
        let masked = source["writeKey"].as_str().unwrap_or_default();
        assert!(
            masked.starts_with(&write_key[..4]) && masked.len() < write_key.len(),
            "source.writeKey is the masked key: {event}"
        );
        assert!(
            !event.to_string().contains(write_key),
            "the full write key leaked into a frame: {event}"
        );
        let user_agent = source["userAgent"].as_str().unwrap_or_default();
        assert!(user_agent.contains("HeadlessChrome/"), "{event}");
        match message["type"].as_str() {
            Some("track") => {
                assert_eq!(message["event"], "Order Completed", "{event}");
                assert_eq!(
                    message["properties"]["revenue"].as_f64(),
                    Some(42.5),
                    "{event}"
                );
            }
            Some("identify") => {
                assert_eq!(
                    message["traits"]["email"]
                        .as_str()
                        .or(message["context"]["traits"]["email"].as_str()),
                    Some("ada@example.com"),
                    "{event}"
                );
            }
            Some("page") => assert_eq!(message["properties"]["path"], "/browser-sdk", "{event}"),
            Some("group") => assert!(message["groupId"].is_string(), "{event}"),
            Some("alias") => assert!(message["previousId"].is_string(), "{event}"),
            other => panic!("unexpected message type {other:?}: {event}"),
        }
    }
}

/// node and npm, Chromium, and the browser SDKs installed; `None` when skipped.
async fn browser_setup(test: &str) -> Option<PathBuf> {
    let tools = probe_node_for(test).await?;
    let chromium = chromium_path();
    let Some(version) = version_of(&chromium, &["--version"]).await else {
        missing(
            test,
            &format!("Chromium ({chromium}; set CHROMIUM to use another)"),
        );
        return None;
    };
    say(&format!("real_sdks: using {tools}, {version}"));
    Some(
        install_npm_sdk(
            "browser",
            BROWSER_FILES,
            "node_modules/playwright-core/package.json",
        )
        .await,
    )
}

const BROWSER_FILES: &[&str] = &[
    "package.json",
    "drive.mjs",
    "pages/analytics-next.mjs",
    "pages/rudderstack.mjs",
];

fn chromium_path() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// `node drive.mjs SDK HOST:PORT KEY` in the browser SDKs' install directory.
fn drive(dir: &Path, sdk: &str, server: &Server, write_key: &str) -> Command {
    let mut node = Command::new("node");
    node.arg(dir.join("drive.mjs"))
        .args([sdk, server.addr.as_str(), write_key])
        .env("CHROMIUM", chromium_path())
        .current_dir(dir);
    node
}

/// `GET /health` as JSON.
async fn health(server: &Server) -> Value {
    eventscope::forward::http_client_builder()
        .build()
        .unwrap()
        .get(format!("http://{}/health", server.addr))
        .timeout(DEADLINE)
        .send()
        .await
        .expect("GET /health")
        .json()
        .await
        .expect("/health is JSON")
}

/// The exact version of `package` pinned in tests/sdk/browser/package.json.
fn pinned_browser_version(package: &str) -> String {
    let manifest: Value =
        serde_json::from_str(&read(&sdk_source_dir("browser").join("package.json")))
            .expect("tests/sdk/browser/package.json is JSON");
    manifest["dependencies"][package]
        .as_str()
        .unwrap_or_else(|| panic!("tests/sdk/browser/package.json pins {package}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// What every SDK's three messages must look like on the stream
// ---------------------------------------------------------------------------------------------

struct Expect<'a> {
    write_key: &'a str,
    key_from: &'a str,
    library: &'a str,
    library_version: &'a str,
    user_agent_prefix: &'a str,
    user_id: &'a str,
    revenue: f64,
    email: &'a str,
}

fn assert_three_messages(events: &[Value], server: &Server, expect: &Expect<'_>) {
    let context = || format!("frames: {events:#?}\n{}", server.log());
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["message"]["type"].as_str().unwrap_or("?"))
        .collect();
    let mut sorted = types.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["identify", "page", "track"],
        "one track, identify and page each; {}",
        context()
    );

    let mut seqs = Vec::new();
    for event in events {
        let source = &event["source"];
        let message = &event["message"];
        assert_eq!(source["path"], "/v1/batch", "{event}");
        assert_eq!(source["keyFrom"], expect.key_from, "{event}");
        assert_eq!(source["ip"], "127.0.0.1", "{event}");
        let masked = source["writeKey"].as_str().unwrap_or_default();
        let key = expect.write_key;
        assert!(
            !masked.contains(key)
                && masked.len() < key.len()
                && masked.starts_with(&key[..4])
                && masked.ends_with(&key[key.len() - 4..]),
            "source.writeKey must be the masked key (first 4 … last 4), got {masked:?}: {event}"
        );
        assert!(
            !event.to_string().contains(key),
            "the full write key leaked into a frame: {event}"
        );
        let user_agent = source["userAgent"].as_str().unwrap_or_default();
        assert!(
            user_agent.starts_with(expect.user_agent_prefix),
            "source.userAgent {user_agent:?}, expected {:?}…: {event}",
            expect.user_agent_prefix
        );
        assert_eq!(
            message["context"]["library"],
            json!({"name": expect.library, "version": expect.library_version}),
            "context.library: {event}"
        );
        let id = message["messageId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "messageId missing: {event}");
        assert_eq!(message["userId"], expect.user_id, "{event}");
        assert!(message["timestamp"].is_string(), "timestamp: {event}");
        assert!(event["receivedAt"].is_string(), "receivedAt: {event}");
        seqs.push(event["seq"].as_u64().expect("seq"));

        match message["type"].as_str() {
            Some("track") => {
                assert_eq!(message["event"], "Order Completed", "{event}");
                assert_eq!(
                    message["properties"]["revenue"].as_f64(),
                    Some(expect.revenue),
                    "revenue: {event}"
                );
                assert!(message["properties"]["orderId"].is_string(), "{event}");
                assert!(
                    message["properties"]["products"][0]["quantity"].is_u64(),
                    "nested properties: {event}"
                );
            }
            Some("identify") => {
                assert_eq!(message["traits"]["email"], expect.email, "{event}");
            }
            Some("page") => {
                assert_eq!(message["name"], "Pricing", "{event}");
                assert_eq!(message["properties"]["path"], "/pricing", "{event}");
            }
            other => panic!("unexpected message type {other:?}: {event}"),
        }
    }
    let ids: std::collections::HashSet<&str> = events
        .iter()
        .filter_map(|e| e["message"]["messageId"].as_str())
        .collect();
    assert_eq!(ids.len(), 3, "messageIds must be distinct; {}", context());
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seqs must increase: {seqs:?}"
    );
}

/// The SDK's frames: everything before the sentinel, which must all be events (no rejections,
/// gaps or anything else).
fn sdk_events(frames: &[Value], server: &Server) -> Vec<Value> {
    for frame in frames {
        assert_eq!(
            frame["type"],
            "event",
            "the SDK's requests must all be accepted, got {frame:#}\n{}",
            server.log()
        );
    }
    frames.to_vec()
}

// ---------------------------------------------------------------------------------------------
// The collector and its stream
// ---------------------------------------------------------------------------------------------

/// `eventscope serve` on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    /// Its stderr (logs), for failure messages.
    stderr: Arc<Mutex<String>>,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    async fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start eventscope serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let log = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                log.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        let read = tokio::time::timeout(DEADLINE, stdout.read_line(&mut first)).await;
        let mut server = Server {
            child,
            addr: String::new(),
            stderr,
            _stdout: stdout,
        };
        match read {
            Ok(Ok(n)) if n > 0 => {}
            other => panic!(
                "eventscope serve printed no first line ({other:?})\n{}",
                server.log()
            ),
        }
        server.addr = first
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}\n{}", server.log()))
            .to_string();
        server
    }

    fn log(&self) -> String {
        format!(
            "--- eventscope serve stderr ---\n{}",
            self.stderr.lock().unwrap()
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

struct Stream {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Stream {
    /// Connects with `since=0` (so nothing is missed) and reads the `hello` frame.
    async fn connect(server: &Server) -> Stream {
        let url = format!("ws://{}/v1/stream?since=0", server.addr);
        let (socket, _) = tokio::time::timeout(DEADLINE, tokio_tungstenite::connect_async(&url))
            .await
            .unwrap_or_else(|_| panic!("connecting to {url} timed out\n{}", server.log()))
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}\n{}", server.log()));
        let mut stream = Stream { socket };
        let hello = stream.next(server).await;
        assert_eq!(hello["type"], "hello", "first frame: {hello}");
        stream
    }

    /// The next JSON text frame, within [`DEADLINE`].
    async fn next(&mut self, server: &Server) -> Value {
        loop {
            let message = tokio::time::timeout(DEADLINE, self.socket.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no frame on the stream within {DEADLINE:?}\n{}",
                        server.log()
                    )
                })
                .unwrap_or_else(|| panic!("the stream closed\n{}", server.log()))
                .unwrap_or_else(|e| panic!("stream error: {e}\n{}", server.log()));
            match message {
                Message::Text(text) => {
                    return serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("frame is not JSON ({e}): {text}"));
                }
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected websocket message {other:?}"),
            }
        }
    }

    /// Posts a sentinel message after the SDK has exited (its requests are all answered, and
    /// the collector publishes before it answers), then returns every frame before the
    /// sentinel: exactly what the SDK's requests produced, with no sleeping.
    async fn frames_until_sentinel(&mut self, server: &Server) -> Vec<Value> {
        let sentinel = format!("real_sdks sentinel {}", std::process::id());
        let response = eventscope::forward::http_client_builder()
            .build()
            .unwrap()
            .post(format!("http://{}/v1/batch", server.addr))
            .json(&json!({
                "writeKey": "wk_sentinel_key",
                "batch": [{"type": "track", "event": sentinel, "userId": "sentinel"}],
            }))
            .timeout(DEADLINE)
            .send()
            .await
            .expect("post the sentinel");
        assert_eq!(
            response.status(),
            200,
            "the sentinel post\n{}",
            server.log()
        );
        let mut frames = Vec::new();
        loop {
            let frame = self.next(server).await;
            if frame["type"] == "event" && frame["message"]["event"] == sentinel.as_str() {
                return frames;
            }
            frames.push(frame);
        }
    }
}

/// Runs an SDK's send script to completion; it must exit 0.
async fn run_sender(what: &str, mut command: Command, server: &Server) {
    say(&format!(
        "real_sdks: running {what} against http://{}",
        server.addr
    ));
    command.stdin(Stdio::null()).kill_on_drop(true);
    let (status, output) = run_captured(&mut command, SEND_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}\n{}", server.log()));
    assert!(
        status.success(),
        "{what} exited with {status}\n--- its output ---\n{output}\n{}",
        server.log()
    );
    eprintln!("{}", indent(&output));
}

// ---------------------------------------------------------------------------------------------
// Tools on PATH: skip locally, fail on CI
// ---------------------------------------------------------------------------------------------

fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// A missing tool: fails under `CI`, otherwise says `SKIPPED: …` and the test returns.
fn missing(test: &str, what: &str) {
    if on_ci() {
        panic!(
            "{test}: {what} not found on PATH, and CI is set: CI must install it (the SDK test \
             never passes silently without it)"
        );
    }
    say(&format!(
        "SKIPPED: {test}: {what} not found (set CI=1 to make this a failure)"
    ));
}

/// `program args…`'s trimmed stdout if it ran and succeeded.
async fn version_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// node ≥ 20 (the SDK's engines field) and npm.
async fn probe_node() -> Option<String> {
    probe_node_for("analytics_node_delivers_track_identify_page").await
}

async fn probe_node_for(test: &str) -> Option<String> {
    let Some(node) = version_of("node", &["--version"]).await else {
        missing(test, "node");
        return None;
    };
    let major: u32 = node
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 20 {
        missing(test, &format!("node >= 20 (found {node})"));
        return None;
    }
    let Some(npm) = version_of("npm", &["--version"]).await else {
        missing(test, "npm");
        return None;
    };
    Some(format!("node {node}, npm {npm}"))
}

/// python3 with the `venv` and `ensurepip` modules (Debian splits them into python3-venv).
async fn probe_python() -> Option<String> {
    const TEST: &str = "analytics_python_delivers_gzipped_batches";
    let Some(python) = version_of("python3", &["--version"]).await else {
        missing(TEST, "python3");
        return None;
    };
    if version_of("python3", &["-c", "import venv, ensurepip"])
        .await
        .is_none()
    {
        missing(
            TEST,
            &format!("python3 with venv/ensurepip ({python} has not)"),
        );
        return None;
    }
    Some(python)
}

// ---------------------------------------------------------------------------------------------
// Installing the SDKs
// ---------------------------------------------------------------------------------------------

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sdk_source_dir(sdk: &str) -> PathBuf {
    manifest_dir().join("tests").join("sdk").join(sdk)
}

fn sdk_install_dir(sdk: &str) -> PathBuf {
    manifest_dir().join("target").join("sdk").join(sdk)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// An exclusive lock on `dir/.lock`, so concurrent test runs don't install over each other.
fn lock_dir(dir: &Path) -> File {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let path = dir.join(".lock");
    let file = File::create(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    file
}

/// The exact `@segment/analytics-node` version pinned in tests/sdk/node/package.json.
fn pinned_node_sdk_version() -> String {
    let package: Value = serde_json::from_str(&read(&sdk_source_dir("node").join("package.json")))
        .expect("tests/sdk/node/package.json is JSON");
    let version = package["dependencies"]["@segment/analytics-node"]
        .as_str()
        .expect("package.json depends on @segment/analytics-node")
        .to_string();
    assert!(
        version.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "pin an exact @segment/analytics-node version, not {version:?}"
    );
    version
}

/// The exact `segment-analytics-python` version pinned in tests/sdk/python/requirements.txt.
fn pinned_python_sdk_version() -> String {
    read(&sdk_source_dir("python").join("requirements.txt"))
        .lines()
        .find_map(|line| line.trim().strip_prefix("segment-analytics-python=="))
        .expect("requirements.txt pins segment-analytics-python==VERSION")
        .trim()
        .to_string()
}

/// Copies tests/sdk/node into target/sdk/node and runs `npm ci` there unless the same lockfile
/// is already installed. Returns the install directory.
async fn install_node_sdk() -> PathBuf {
    install_npm_sdk(
        "node",
        &["package.json", "send.mjs"],
        "node_modules/@segment/analytics-node/package.json",
    )
    .await
}

/// Copies `files` of tests/sdk/SDK into target/sdk/SDK and runs `npm ci` there unless the same
/// lockfile is already installed (and `installed_marker` exists). Returns the install directory.
async fn install_npm_sdk(sdk: &str, files: &[&str], installed_marker: &str) -> PathBuf {
    let src = sdk_source_dir(sdk);
    let dir = sdk_install_dir(sdk);
    let _lock = lock_dir(&dir);
    let lockfile = read(&src.join("package-lock.json"));
    for file in files {
        let to = dir.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        write(&to, &read(&src.join(file)));
    }
    // The stamp is the lockfile `npm ci` last installed successfully.
    let stamp = dir.join(".installed-package-lock.json");
    let installed = dir.join(installed_marker).is_file()
        && std::fs::read_to_string(&stamp).is_ok_and(|s| s == lockfile);
    if installed {
        say(&format!(
            "real_sdks: tests/sdk/{sdk} already installed in {}",
            dir.display()
        ));
        return dir;
    }
    let _ = std::fs::remove_file(&stamp);
    write(&dir.join("package-lock.json"), &lockfile);
    say(&format!(
        "real_sdks: installing tests/sdk/{sdk} with `npm ci` in {} (downloads from the npm \
         registry; allowing up to {INSTALL_DEADLINE:?})",
        dir.display()
    ));
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    install_step("npm ci", &mut npm).await;
    write(&stamp, &lockfile);
    dir
}

/// Creates the venv target/sdk/python/venv and pip-installs tests/sdk/python/requirements.txt
/// unless the same requirements are already installed there with the same python3. Returns the
/// venv's python.
async fn install_python_sdk(python_version: &str) -> PathBuf {
    let src = sdk_source_dir("python");
    let dir = sdk_install_dir("python");
    let _lock = lock_dir(&dir);
    let requirements = read(&src.join("requirements.txt"));
    let venv = dir.join("venv");
    let venv_python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    // The stamp: what was last installed successfully, and with which interpreter.
    let wanted = format!("# {python_version}\n{requirements}");
    let stamp = dir.join(".installed-requirements.txt");
    if venv_python.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        say(&format!(
            "real_sdks: segment-analytics-python already installed in {}",
            venv.display()
        ));
        return venv_python;
    }
    let _ = std::fs::remove_file(&stamp);
    let installed_requirements = dir.join("requirements.txt");
    write(&installed_requirements, &requirements);
    say(&format!(
        "real_sdks: creating {} and installing segment-analytics-python with pip (downloads \
         from PyPI; allowing up to {INSTALL_DEADLINE:?})",
        venv.display()
    ));
    let mut create = Command::new("python3");
    create
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    install_step("python3 -m venv", &mut create).await;
    let mut pip = Command::new(&venv_python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "-r",
    ])
    .arg(&installed_requirements)
    .stdin(Stdio::null())
    .kill_on_drop(true);
    install_step("pip install -r requirements.txt", &mut pip).await;
    write(&stamp, &wanted);
    venv_python
}

async fn install_step(what: &str, command: &mut Command) {
    let started = std::time::Instant::now();
    let (status, output) = run_captured(command, INSTALL_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        status.success(),
        "{what} failed ({status})\n--- its output ---\n{output}"
    );
    say(&format!(
        "real_sdks: {what} done in {:.1}s",
        started.elapsed().as_secs_f64()
    ));
}

/// Runs `command` to completion within `deadline`: its exit status and its stdout then stderr.
async fn run_captured(
    command: &mut Command,
    deadline: Duration,
) -> Result<(ExitStatus, String), String> {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let output = tokio::time::timeout(deadline, output)
        .await
        .map_err(|_| format!("did not finish within {deadline:?}"))?
        .map_err(|e| format!("cannot run it: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status, text))
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// Writes a line straight to stderr: unlike `eprintln!`, it is not captured by the test
/// harness, so skips and slow installs are visible in a plain `cargo test`.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
