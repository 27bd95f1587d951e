//! The real binary in a pseudo-terminal: post to its embedded collector, read the screen, type
//! a filter, quit — and find the terminal restored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::DEADLINE;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::json;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Everything the program wrote, to check the restoring sequences.
    raw: Arc<Mutex<Vec<u8>>>,
    /// Set when the reader has seen the end of the program's output.
    ended: Arc<std::sync::atomic::AtomicBool>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    fn spawn(args: &[&str]) -> Screen {
        Screen::spawn_with_env(args, &[])
    }

    fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 140,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eventscope"));
        command.args(args);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        // The filter history goes to a scratch data directory, never the user's.
        command.env(
            "XDG_DATA_HOME",
            std::env::temp_dir().join(format!("eventscope-pty-data-{}", std::process::id())),
        );
        for (name, value) in env {
            command.env(name, value);
        }
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pty.slave.spawn_command(command).expect("spawn");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(140).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (parser_in, raw_in, ended_in) =
            (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&ended));
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                parser_in.lock().unwrap().process(&buf[..n]);
                raw_in.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            ended_in.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        Screen {
            parser,
            raw,
            ended,
            writer,
            child,
        }
    }

    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen satisfies `check`; panics with the screen otherwise.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(DEADLINE, what, check)
    }

    /// [`Screen::wait_for`] with another guard deadline.
    fn wait_for_within(
        &self,
        deadline: Duration,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            if check(&self.text()) {
                // A frame can arrive in several reads: judge the screen once the program has
                // stopped writing, not a half-drawn frame whose header is already new.
                let text = self.settled_text();
                if check(&text) {
                    return text;
                }
            }
            let text = self.text();
            assert!(
                start.elapsed() < deadline,
                "waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The screen after 40 ms without output (or after 1 s of steady output, as it is then).
    fn settled_text(&self) -> String {
        let start = Instant::now();
        let mut seen = self.raw.lock().unwrap().len();
        while start.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(40));
            let now = self.raw.lock().unwrap().len();
            if now == seen {
                break;
            }
            seen = now;
        }
        self.text()
    }

    fn type_text(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its last bytes (the restoring sequences) may still be on their way to the
                // reader: wait for the end of the output (bounded: a leftover grandchild
                // could hold the terminal open).
                let exited = Instant::now();
                while !self.ended.load(std::sync::atomic::Ordering::SeqCst)
                    && exited.elapsed() < Duration::from_secs(5)
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "did not exit; screen:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// reqwest is built without a default TLS crypto provider: install ring first.
fn http_client() -> reqwest::Client {
    eventscope::forward::http_client_builder().build().unwrap()
}

fn address_on(screen: &str) -> String {
    let start = screen
        .find("http://127.0.0.1:")
        .expect("the address is on screen");
    screen[start + "http://".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect()
}

#[test]
fn the_viewer_shows_posted_messages_filters_them_and_quits_cleanly() {
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0"]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = http_client();
        let batch = json!({"batch": [
            {"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"revenue": 10}},
            {"type": "identify", "userId": "jane", "traits": {"email": "jane@example.com"}},
            {"type": "track", "event": "Product Viewed", "userId": "u1"},
            {"type": "identify", "userId": "joe", "traits": {"name": "Joe"}},
            {"type": "page", "name": "Pricing", "anonymousId": "a1"},
        ]});
        let response = client
            .post(format!("http://{addr}/v1/batch"))
            .body(batch.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
    let text = screen.wait_for("five rows", |s| s.contains("Messages 5/5"));
    assert!(
        text.contains("Order Completed") && text.contains("Pricing"),
        "{text}"
    );

    screen.type_text("/type:identify\r");
    let text = screen.wait_for("the filtered view", |s| s.contains("Messages 2/5"));
    let list: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" 10:") || l.contains("identify ") || l.contains("track "))
        .collect();
    assert!(text.contains("jane") && text.contains("joe"), "{text}");
    assert!(
        !text.contains("Product Viewed") && !text.contains("Pricing"),
        "{list:?}"
    );

    screen.type_text("q");
    let status = screen.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let raw = screen.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw);
    let left_alternate = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
    let entered_alternate = raw
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    assert!(left_alternate > entered_alternate);
    assert!(!screen.parser.lock().unwrap().screen().alternate_screen());
}

#[test]
fn open_shows_every_message_of_a_recording() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    let text = screen.wait_for("the whole file", |s| {
        s.contains("600 events") && s.contains("Messages 600/600")
    });
    assert!(text.contains("0 rejected"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    let pid = screen.child.process_id().expect("a pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    assert!(screen.wait_exit().success());
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).into_owned();
    assert!(
        raw.rfind("\x1b[?1049l") > raw.rfind("\x1b[?1049h"),
        "left the alternate screen"
    );
    assert!(!screen.parser.lock().unwrap().screen().alternate_screen());
}

/// A local webhook receiver: records each request's headers and body, answers 200.
struct Hook {
    addr: std::net::SocketAddr,
    received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

fn start_hook(runtime: &tokio::runtime::Runtime) -> Hook {
    let received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let store = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let store = Arc::clone(&store);
            async move {
                store.lock().unwrap().push((headers, body));
                axum::Json(json!({"ok": true}))
            }
        }),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Hook { addr, received }
}

/// A config with two destinations: one never used, and the local webhook (chosen with `2`).
fn write_config(hook: &Hook) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("eventscope.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[[destination]]
name = "amp-dev"
kind = "amplitude"
endpoint = "http://127.0.0.1:9"
api_key = "amp_key_0123456789abcdef"

[[destination]]
name = "local-hook"
kind = "webhook"
endpoint = "http://{}/hook"
shared_secret = "whsec_pty_0123456789"
"#,
            hook.addr
        ),
    )
    .unwrap();
    path
}

fn post_batch(runtime: &tokio::runtime::Runtime, addr: &str, batch: serde_json::Value) {
    runtime.block_on(async {
        let response = http_client()
            .post(format!("http://{addr}/v1/batch"))
            .body(batch.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
}

#[test]
fn marked_messages_forwarded_to_a_local_webhook_come_back_as_two_200_deliveries() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hook = start_hook(&runtime);
    let config = write_config(&hook);
    let config_arg = config.display().to_string();
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0", "--config", &config_arg]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [
            {"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "pty-1"},
            {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "pty-2",
             "properties": {"revenue": 10}},
        ]}),
    );
    screen.wait_for("two rows", |s| s.contains("Messages 2/2"));

    // Mark both: the first row, Space (marks and moves down), Space.
    screen.type_text("g  ");
    screen.wait_for("two marks", |s| s.contains("2 marked"));
    screen.type_text("f");
    screen.wait_for("the forward popup", |s| s.contains("Forward 2 messages"));
    screen.type_text("2");
    let preview = screen.wait_for("the webhook's request", |s| {
        s.contains(&format!("POST http://{}/hook", hook.addr)) && s.contains("request 1 of 2")
    });
    assert!(preview.contains("X-Signature: "), "{preview}");
    assert!(preview.contains("\"Signed Up\""), "{preview}");
    assert!(!preview.contains("whsec_pty_0123456789"), "{preview}");

    screen.type_text("\r");
    let deliveries = screen.wait_for("two 200 deliveries", |s| {
        s.lines()
            .filter(|l| l.contains('✓') && l.contains("local-hook") && l.contains(" 200 "))
            .count()
            == 2
    });
    assert!(
        deliveries.contains("2 deliveries · 2 delivered · 0 failed"),
        "{deliveries}"
    );

    let received = hook.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "the webhook got two requests");
    let mut events: Vec<String> = received
        .iter()
        .map(|(headers, body)| {
            assert!(headers.contains_key("x-signature"), "{headers:?}");
            let message: serde_json::Value = serde_json::from_str(body).unwrap();
            message["event"].as_str().unwrap().to_string()
        })
        .collect();
    events.sort();
    assert_eq!(events, ["Order Completed", "Signed Up"]);

    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[test]
fn the_payload_is_edited_in_editor_and_mapped_again() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let hook = start_hook(&runtime);
    let config = write_config(&hook);
    let config_arg = config.display().to_string();
    let mut screen = Screen::spawn_with_env(
        &["--listen", "127.0.0.1:0", "--config", &config_arg],
        &[("EDITOR", "sed -i s/Signup/Edited/"), ("VISUAL", "")],
    );
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [{"type": "track", "event": "Signup", "userId": "u1"}]}),
    );
    screen.wait_for("the row", |s| s.contains("Messages 1/1"));
    screen.type_text("f2");
    screen.wait_for("the webhook's request", |s| s.contains("\"Signup\""));
    screen.type_text("e");
    let edited = screen.wait_for("the edited request", |s| {
        s.contains("(edited)") && s.contains("\"Edited\"")
    });
    assert!(
        edited.contains("┌ Forward 1 message") && edited.contains(" eventscope http://"),
        "the whole screen is drawn again after the editor: {edited}"
    );
    screen.type_text("\r");
    screen.wait_for("one 200 delivery", |s| {
        s.lines()
            .any(|l| l.contains('✓') && l.contains("local-hook"))
    });
    let received = hook.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].1.contains("\"event\":\"Edited\""),
        "{}",
        received[0].1
    );
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

#[test]
fn r_replays_a_message_into_the_embedded_collector_with_a_new_message_id() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0"]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [{"type": "track", "event": "Replay Me", "userId": "u1",
                          "messageId": "orig-1", "timestamp": "2026-01-02T03:04:05.000Z"}]}),
    );
    screen.wait_for("the row", |s| s.contains("Messages 1/1"));
    screen.type_text("R");
    screen.wait_for("the replay popup", |s| {
        s.contains("Replay into the collector")
    });
    screen.type_text("\r");
    let text = screen.wait_for("the replayed copy", |s| {
        s.contains("Messages 2/2") && s.contains("\"es-replay-")
    });
    // Kept exactly: the replay sends no `sentAt`, so the collector corrects nothing.
    assert!(
        text.contains(r#""timestamp": "2026-01-02T03:04:05.000Z""#),
        "the timestamp is kept: {text}"
    );
    screen.type_text("d");
    screen.wait_for("its delivery", |s| {
        s.lines()
            .any(|l| l.contains('✓') && l.contains("collector") && l.contains(" 200 "))
    });
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn the_proxys_upstream_answers_show_on_the_message_and_in_deliveries() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let upstream_hits: Arc<Mutex<u32>> = Arc::default();
    let hits = Arc::clone(&upstream_hits);
    let app = axum::Router::new().fallback(move || {
        let hits = Arc::clone(&hits);
        async move {
            *hits.lock().unwrap() += 1;
            axum::Json(json!({"success": true}))
        }
    });
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0", "--upstream", &upstream]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [{"type": "track", "event": "Proxied", "userId": "u1"}]}),
    );
    let text = screen.wait_for("the delivery on the message", |s| {
        s.contains("Messages 1/1") && s.contains("⇢ upstream 200")
    });
    assert!(
        !text.contains("Messages 2/"),
        "a delivery is not a row: {text}"
    );
    assert_eq!(*upstream_hits.lock().unwrap(), 1);
    screen.type_text("D");
    screen.wait_for("the message's deliveries", |s| {
        s.contains("for seq 1") && s.lines().any(|l| l.contains('✓') && l.contains("upstream"))
    });
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

/// The number before `word` on the screen, e.g. 1,234 in "1,234 evicted".
fn count_before(screen: &str, word: &str) -> Option<u64> {
    let end = screen.find(&format!(" {word}"))?;
    let digits: String = screen[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn the_viewer_stays_within_its_byte_budget_under_a_flood_and_shows_what_it_evicted() {
    const BUDGET: u64 = 64 << 20;
    const OVERHEAD: u64 = 100 << 20;
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0", "--buffer-bytes", "64MiB"]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    let pid = screen.child.process_id().expect("a pid");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let flood = runtime.block_on(common::flood(
        &addr,
        pid,
        8,
        Duration::from_secs(10),
        2 * BUDGET,
    ));
    assert_eq!(flood.refused, 0, "{flood:?}");
    // The viewer catches up (or is told what it missed) and shows what its rows let go; its
    // memory is sampled meanwhile too. Judging 30 KB messages in a debug build on a busy
    // machine takes a while: the deadline only guards against a hang.
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = common::rss_bytes(pid).unwrap_or(0).max(peak);
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let text = screen.wait_for_within(DEADLINE * 6, "an eviction count", |s| {
        count_before(s, "evicted").is_some_and(|n| n > 0)
    });
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let after = common::rss_bytes(pid).expect("the viewer's VmRSS");
    let peak = flood.peak_rss.max(after).max(sampler.join().unwrap());
    eprintln!(
        "{} messages ({} MiB) posted; viewer peak RSS {} MiB, {} MiB after",
        flood.accepted,
        flood.bytes_posted >> 20,
        peak >> 20,
        after >> 20
    );
    assert!(
        peak < BUDGET + OVERHEAD,
        "peak RSS {} MiB over the budget of {} MiB + {} MiB; screen:\n{text}",
        peak >> 20,
        BUDGET >> 20,
        OVERHEAD >> 20
    );
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

/// Waits for the viewer to exit, at most `bound` after now: the liveness bound of a key or a
/// signal (polled; a guard against a frozen UI, not a measure of speed).
fn exits_within(screen: &mut Screen, bound: Duration) -> portable_pty::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = screen.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < bound,
            "still running {bound:?} later; screen:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the screen left the alternate screen (the reader thread may still be catching
/// up with the last bytes the viewer wrote when it exited).
fn wait_left_alternate_screen(screen: &Screen) {
    let start = Instant::now();
    while screen.parser.lock().unwrap().screen().alternate_screen() {
        assert!(
            start.elapsed() < DEADLINE,
            "still on the alternate screen:\n{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The jq worker the viewer started (its child running `__jq-worker`), read from /proc.
#[cfg(target_os = "linux")]
fn jq_worker_of(viewer: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // `pid (comm) state ppid …`: the command name may hold spaces, so split after `)`.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if ppid == Some(viewer) && String::from_utf8_lossy(&cmdline).contains("__jq-worker") {
            return Some(pid);
        }
    }
    None
}

/// Dead: gone, or a zombie left for init to reap.
#[cfg(target_os = "linux")]
fn wait_dead(pid: u32) {
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if state.is_none_or(|s| s == "Z" || s == "X") {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "jq worker {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_runaway_jq_filter_is_stopped_in_place_and_q_still_quits_at_once() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    screen.type_text("/jq: last(range(1e10))\r");
    let text = screen.wait_for("the budget error in the filter bar", |s| {
        s.contains("jq filter stopped: over its budget of 100 ms on message seq")
    });
    assert!(text.contains("Messages 0/600"), "{text}");
    screen.type_text("q");
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
    wait_left_alternate_screen(&screen);
}

#[test]
fn q_quits_while_a_jq_filter_is_still_running() {
    // A budget long enough that the filter is still running when `q` comes.
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson", "--jq-budget", "60s"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    screen.type_text("/jq: last(range(1e10))\r");
    let text = screen.wait_for("the filter applied", |s| {
        s.contains("Messages 0/600") && s.contains("filtering…")
    });
    assert!(!text.contains("jq filter stopped"), "{text}");
    #[cfg(target_os = "linux")]
    let worker = {
        let viewer = screen.child.process_id().expect("a pid");
        let start = Instant::now();
        loop {
            if let Some(worker) = jq_worker_of(viewer) {
                break worker;
            }
            assert!(start.elapsed() < DEADLINE, "no jq worker started");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    screen.type_text("q");
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
    wait_left_alternate_screen(&screen);
    #[cfg(target_os = "linux")]
    wait_dead(worker);
}

#[test]
fn esc_and_ctrl_c_answer_in_the_filter_bar_while_its_jq_filter_runs() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson", "--jq-budget", "60s"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    // No Enter: the filter applies as it is typed, and the bar stays open.
    for _ in 0..2 {
        screen.type_text("/jq: last(range(1e10))");
        screen.wait_for("the filter applied", |s| {
            s.contains("Messages 0/600") && s.contains("filtering…")
        });
        // Esc leaves the bar and puts the filter from before back.
        screen.type_text("\x1b");
        screen.wait_for("every row again", |s| s.contains("Messages 600/600"));
    }
    screen.type_text("/jq: last(range(1e10))");
    screen.wait_for("the filter applied", |s| {
        s.contains("Messages 0/600") && s.contains("filtering…")
    });
    screen.type_text("\x03");
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
    wait_left_alternate_screen(&screen);
}

#[test]
fn sigterm_ends_the_viewer_while_a_jq_filter_runs() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson", "--jq-budget", "60s"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    screen.type_text("/jq: last(range(1e10))\r");
    screen.wait_for("the filter applied", |s| {
        s.contains("Messages 0/600") && s.contains("filtering…")
    });
    let pid = screen.child.process_id().expect("a pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).into_owned();
    assert!(
        raw.rfind("\x1b[?1049l") > raw.rfind("\x1b[?1049h"),
        "left the alternate screen"
    );
}

#[test]
fn jq_filters_that_eat_memory_or_the_stack_are_stopped_and_the_viewer_carries_on() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    for program in ["[limit(100000000; repeat(1))]", "def f: 1 + f; f"] {
        screen.type_text(&format!("/jq: {program}\r"));
        let text = screen.wait_for("the error in the filter bar", |s| {
            s.contains("jq filter stopped: ")
        });
        assert!(text.contains(program), "the filter stays as typed: {text}");
        // Still answering keys: clear the filter (`/`, Ctrl-U, Enter) and see every row.
        screen.type_text("/\x15\r");
        // (Both in one condition: a frame can be read half drawn, header before footer.)
        screen.wait_for("every row again, the error gone", |s| {
            s.contains("Messages 600/600") && !s.contains("jq filter stopped")
        });
    }
    // A jq filter that behaves still filters, through the worker.
    screen.type_text("/jq: .type == \"identify\"\r");
    let text = screen.wait_for("the identifies", |s| {
        s.contains("Messages 49/600") && !s.contains("filtering…")
    });
    assert!(!text.contains("jq filter stopped"), "{text}");
    screen.type_text("q");
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn q_quits_while_a_destination_transform_runs_away() {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        format!(
            "[[destination]]\nname = \"archive\"\nkind = \"file\"\npath = \"{}\"\ntransform = \"last(range(1e10))\"\n",
            dir.join("out.ndjson").display()
        ),
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let mut screen = Screen::spawn(&[
        "open",
        "tests/fixtures/events.ndjson",
        "--config",
        &config_arg,
    ]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    // The forward popup maps the message off the UI task, through the transform that loops.
    screen.type_text("f");
    screen.wait_for("the forward popup", |s| s.contains("Forward 1 message"));
    screen.type_text("\x1b");
    screen.wait_for("the popup closed", |s| !s.contains("Forward 1 message"));
    screen.type_text("q");
    let status = exits_within(&mut screen, Duration::from_secs(1));
    assert!(status.success(), "exit status {status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn open_reads_every_pretty_printed_message_the_collector_recorded() {
    let dir = std::env::temp_dir().join(format!("eventscope-pretty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let record = dir.join("rec.ndjson");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut config = common::config();
        config.record = Some(record.clone());
        let server = common::start(config).await;
        for n in 0..5 {
            let message = serde_json::json!({"type": "track", "event": format!("Pretty {n}"),
                "userId": "u", "properties": {"note": "a\nb", "items": [1, 2]}});
            let body = serde_json::to_string_pretty(&message).unwrap();
            let (status, _) = common::post(&server, "/v1/track", body, &[]).await;
            assert_eq!(status, 200);
        }
        server.stop().await.unwrap();
    });
    let mut screen = Screen::spawn(&["open", record.to_str().unwrap()]);
    let text = screen.wait_for("every recorded message", |s| {
        s.contains("5 events") && s.contains("Messages 5/5")
    });
    assert!(text.contains("Pretty 4"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file of `lines` in a fresh directory.
fn write_recording(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn an_event_name_holding_a_clear_screen_sequence_is_shown_escaped_and_clears_nothing() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0"]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [
            {"type": "track", "event": "Before It", "userId": "u1"},
            {"type": "track", "event": "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}Evil", "userId": "u\u{202e}2"},
            {"type": "track", "event": "注文完了", "userId": "u3"},
        ]}),
    );
    let text = screen.wait_for("three rows", |s| {
        s.contains("Messages 3/3") && s.contains("\\u001b[2J\\u001b[H")
    });
    assert!(
        text.contains("Before It") && text.contains(" eventscope http://"),
        "nothing was cleared: {text}"
    );
    assert!(text.contains("u\\u202e2"), "{text}");
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).into_owned();
    assert!(!raw.contains("\x1b]0;pwned"), "no title was set");
    assert!(!raw.contains("\u{202e}"), "no bidi override was written");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn open_counts_a_line_over_max_line_in_the_header() {
    let small = |n: u32| format!(r#"{{"type":"track","event":"Row {n}","userId":"u{n}"}}"#);
    let long = format!(
        r#"{{"type":"track","event":"Too Long","properties":{{"x":"{}"}}}}"#,
        "a".repeat(4096)
    );
    let path = write_recording(
        "long.ndjson",
        format!("{}\n{long}\n{}\n", small(1), small(3)).as_bytes(),
    );
    let file = path.display().to_string();
    let mut screen = Screen::spawn(&["open", "--max-line", "1KiB", &file]);
    let text = screen.wait_for("the file and the count", |s| {
        s.contains("Messages 2/2") && s.contains("1 line skipped (1 over --max-line 1 KiB)")
    });
    assert!(!text.contains("Too Long"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn open_shows_what_a_truncated_gzip_held_and_says_the_read_failed() {
    let lines: String = (1..=3)
        .map(|n| format!("{{\"type\":\"track\",\"event\":\"Row {n}\",\"userId\":\"u{n}\"}}\n"))
        .collect();
    let mut data = common::gzip(lines.as_bytes());
    let rest = common::gzip(
        (4..=300)
            .map(|n| format!("{{\"type\":\"track\",\"event\":\"Row {n}\"}}\n"))
            .collect::<String>()
            .as_bytes(),
    );
    data.extend_from_slice(&rest[..rest.len() / 2]);
    let path = write_recording("cut.ndjson.gz", &data);
    let file = path.display().to_string();
    let mut screen = Screen::spawn(&["open", &file]);
    let text = screen.wait_for("the rows read and the failure", |s| {
        s.contains("read failed") && s.contains("Row ")
    });
    assert!(!text.contains("Row 300"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// VmRSS of a running process, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[cfg(target_os = "linux")]
#[test]
fn a_huge_message_is_shown_cut_in_every_tab_and_q_still_quits() {
    const MIB: usize = 24;
    let big = format!(
        r#"{{"type":"track","event":"Huge Payload","userId":"u2","properties":{{"blob":"{}"}}}}"#,
        "a".repeat(MIB << 20)
    );
    let small = |n: u32| format!(r#"{{"type":"track","event":"Row {n}","userId":"u{n}"}}"#);
    let path = write_recording(
        "huge.ndjson",
        format!("{}\n{big}\n{}\n", small(1), small(3)).as_bytes(),
    );
    drop(big);
    let file = path.display().to_string();
    let mut screen = Screen::spawn(&["open", &file]);
    screen.wait_for("the file", |s| s.contains("Messages 3/3"));
    let pid = screen.child.process_id().expect("a pid");
    // Select the huge message; Raw, Call, Findings, Warehouse and back to Pretty.
    screen.type_text("k");
    screen.wait_for("its layout", |s| s.contains("\"blob\": \"aaaa"));
    screen.type_text("]");
    screen.wait_for("the Raw view's start", |s| {
        s.contains("The first 65,536 bytes of")
    });
    screen.type_text("]");
    screen.wait_for("no call", |s| s.contains("No SDK call for"));
    screen.type_text("]");
    screen.wait_for("the findings", |s| s.contains("spec/too-large"));
    // Its warehouse rows, mapped with its layout off the UI thread: the blob is cut at 512.
    screen.type_text("]");
    screen.wait_for("the warehouse rows", |s| {
        s.contains("! cut: properties.blob is 25,165,824 characters")
    });
    screen.type_text("]");
    screen.wait_for("Pretty again", |s| s.contains("\"blob\": \"aaaa"));
    let rss = rss_mib(pid);
    // The message itself is held once (24 MiB); drawing it must not hold it again and again.
    assert!(
        rss < 4 * MIB as u64 + 100,
        "{rss} MiB resident with a {MIB} MiB message on screen"
    );
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// The on-call question — "what did the destination answer for user X's last event?" — asked
/// of a running viewer that has forwarded events of several users earlier, by someone who read
/// only `?`: the Deliveries view (`d`), its own filter (`/`) on the user, Enter. The keys are
/// counted (at most 12); the count and the time are printed, never asserted on.
#[test]
fn on_call_reaches_a_past_delivery_answer_for_one_user_in_few_keys() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A destination that answers each request with the user it carried.
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|body: String| async move {
            let message: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            axum::Json(json!({"accepted": true, "answerFor": message["userId"]}))
        }),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let hook = Hook {
        addr: listener.local_addr().unwrap(),
        received: Arc::default(),
    };
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let config = write_config(&hook);
    let config_arg = config.display().to_string();
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0", "--config", &config_arg]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [
            {"type": "track", "event": "Signed Up", "userId": "u-1", "messageId": "oc-1"},
            {"type": "track", "event": "Order Completed", "userId": "u-2", "messageId": "oc-2"},
            {"type": "track", "event": "Cart Viewed", "userId": "u-3", "messageId": "oc-3"},
        ]}),
    );
    screen.wait_for("three rows", |s| s.contains("Messages 3/3"));
    // Earlier that day: the three were forwarded to the webhook (setup, not counted).
    screen.type_text("g   ");
    screen.wait_for("three marks", |s| s.contains("3 marked"));
    screen.type_text("f");
    screen.wait_for("the forward popup", |s| s.contains("Forward 3 messages"));
    screen.type_text("2");
    screen.wait_for("the mapped requests", |s| s.contains("request 1 of 3"));
    screen.type_text("\r");
    screen.wait_for("three deliveries", |s| {
        s.contains("3 deliveries · 3 delivered · 0 failed")
    });
    // Back to the messages, where the on-call engineer starts; more events arrive meanwhile.
    screen.type_text("\x1b");
    screen.wait_for("the messages", |s| s.contains("Messages 3/3"));
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [{"type": "page", "name": "Home", "userId": "u-9"}]}),
    );
    screen.wait_for("four rows", |s| s.contains("Messages 4/4"));

    // The question, key by key.
    let started = Instant::now();
    let keys = ["d", "/", "u", "-", "2", "\r"];
    for key in keys {
        screen.type_text(key);
    }
    let answer = screen.wait_for("u-2's delivery and its answer", |s| {
        s.contains("1 delivery matching u-2") && s.contains(r#""answerFor": "u-2""#)
    });
    let elapsed = started.elapsed();
    assert!(answer.contains("Order Completed"), "{answer}");
    assert!(!answer.contains(r#""answerFor": "u-1""#), "{answer}");
    println!(
        "on-call: {} keys ({}), {:.2} s from a running viewer to u-2's delivery answer",
        keys.len(),
        keys.join(" ").replace('\r', "Enter"),
        elapsed.as_secs_f64()
    );
    assert!(keys.len() <= 12, "{} keys", keys.len());

    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(config.parent().unwrap());
}

/// The QA question, "which events in this release recording break the plan?", asked of the
/// viewer by someone who read only `?`: from `open` to the per-event violation table. The keys
/// are counted (at most 10); the count and the time are printed for the lead's figures.
#[test]
fn qa_reaches_the_per_event_violation_table_in_a_few_keys() {
    let mut screen = Screen::spawn(&[
        "open",
        "--plan",
        "tests/fixtures/plan.json",
        "tests/fixtures/events.ndjson",
    ]);
    screen.wait_for("the whole recording", |s| s.contains("Messages 600/600"));
    let start = Instant::now();
    let mut keys = 0;
    let mut press = |screen: &mut Screen, key: &str| {
        keys += 1;
        screen.type_text(key);
    };
    // `?` lists the keys; the Summary is `s` ("summary of the shown messages: errors, …").
    press(&mut screen, "?");
    screen.wait_for("the help", |s| s.contains("summary of the shown messages"));
    press(&mut screen, "\x1b");
    screen.wait_for("the help closed", |s| {
        !s.contains("summary of the shown messages")
    });
    press(&mut screen, "s");
    let table = screen.wait_for("the per-event violation table", |s| {
        s.contains("Summary of the 600 messages shown") && s.contains("err") && s.contains("plan/")
    });
    let elapsed = start.elapsed();
    // The rows with plan errors come first, with their rules beside them.
    let first = table
        .lines()
        .find(|l| l.contains('▶'))
        .expect("a selected row");
    let counts: Vec<u64> = first
        .split_whitespace()
        .filter_map(|c| c.replace(',', "").parse().ok())
        .collect();
    assert!(counts.len() >= 5 && counts[1] > 0, "errors first: {first}");
    println!("QA figure: {keys} keys from `open` to the per-event violation table, {elapsed:?}");
    assert!(keys <= 10, "{keys} keys");
    screen.type_text("q");
    screen.wait_for("the summary closed", |s| !s.contains("Summary of the"));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

/// The real viewer started with `--config` routes what it receives: the Routing tab (`5`) says
/// why a destination would not get the selected message, and `dropped:` filters the list.
#[test]
fn the_routing_tab_says_why_a_destination_would_not_get_it_and_dropped_filters_the_list() {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        r#"
[[destination]]
name = "amp"
kind = "amplitude"
endpoint = "http://127.0.0.1:9"
api_key = "amp_key_0123456789abcdef"
consent = ["Analytics"]

[[destination]]
name = "mix"
kind = "mixpanel"
endpoint = "http://127.0.0.1:9"
token = "mp_token_0123456789"

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9/hook"

[[destination.filter]]
action = "block_fields"
fields = ["properties.email"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"
"#,
    )
    .unwrap();
    let config_arg = config.display().to_string();
    let mut screen = Screen::spawn(&["--listen", "127.0.0.1:0", "--config", &config_arg]);
    let text = screen.wait_for("the empty state", |s| s.contains("Waiting for events"));
    let addr = address_on(&text);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let consent =
        |analytics: bool| json!({"consent": {"categoryPreferences": {"Analytics": analytics}}});
    post_batch(
        &runtime,
        &addr,
        json!({"batch": [
            {"type": "track", "event": "Test Event", "userId": "u1", "context": consent(true)},
            {"type": "track", "event": "Signed Up", "userId": "u1", "context": consent(true)},
            {"type": "track", "event": "Order Completed", "userId": "u1",
             "properties": {"email": "jane@example.com"},
             "integrations": {"Mixpanel": false}, "context": consent(false)},
        ]}),
    );
    screen.wait_for("three rows", |s| s.contains("Messages 3/3"));

    // The newest row is selected: Order Completed.
    screen.type_text("5");
    let routing = screen.wait_for("the routing lines", |s| {
        s.contains("Segment would deliver it to 1 of 3 destinations")
    });
    for line in [
        "✗ amp  — consent Analytics not given",
        "✗ mix  — integrations.Mixpanel = false",
        "✓ hook — strips properties.email",
    ] {
        assert!(routing.contains(line), "{line:?} in:\n{routing}");
    }

    screen.type_text("/dropped:amp:consent\r");
    let text = screen.wait_for("amp's consent drops", |s| {
        s.contains("Messages 1/3") && s.contains("/ dropped:amp:consent")
    });
    assert!(
        text.contains("Order Completed") && !text.contains("Signed Up"),
        "{text}"
    );
    // Ctrl-U clears the bar before the next query.
    screen.type_text("/\x15dropped:hook\r");
    let text = screen.wait_for("hook's drops", |s| {
        s.contains("Messages 1/3") && s.contains("/ dropped:hook ")
    });
    assert!(text.contains("Test Event"), "{text}");
    assert!(
        text.contains("✗ hook — filter 2 drops: event = 'Test Event'"),
        "the selection follows the filter, the tab stays: {text}"
    );

    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--ignore-routing` on a viewer: said in the header from the first frame.
#[test]
fn ignore_routing_is_said_in_the_header() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson", "--ignore-routing"]);
    let text = screen.wait_for("the warning", |s| {
        s.contains("Messages 600/600") && s.contains("⚠ routing ignored (--ignore-routing)")
    });
    assert!(text.contains("600 events"), "{text}");
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn connect_shows_what_a_relay_reads_from_the_bus() {
    let Some(nats) =
        common::nats::NatsServer::start("connect_shows_what_a_relay_reads_from_the_bus")
    else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (server, relay_addr, _relay) = runtime.block_on(async {
        let mut config = common::config();
        config.bus = Some(eventscope::bus::BusConfig {
            servers: vec![nats.url()],
            stream: eventscope::bus::StreamSettings::default(),
        });
        let server = common::start(config).await;
        let mut relay = common::binary::eventscope()
            .args(["relay", "--bus", &nats.url(), "--listen", "127.0.0.1:0"])
            .spawn()
            .expect("spawn");
        let stdout = relay.stdout.take().expect("piped");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let addr = common::binary::listening_address(&mut lines).await;
        (server, addr, relay)
    });
    post_batch(
        &runtime,
        &server.addr.to_string(),
        json!({"batch": [
            {"type": "track", "event": "Order Completed", "userId": "u1"},
            {"type": "page", "name": "Pricing", "anonymousId": "a1"},
        ]}),
    );
    let mut screen = Screen::spawn(&["connect", &format!("http://{relay_addr}")]);
    let text = screen.wait_for("both messages", |s| s.contains("Messages 2/2"));
    assert!(
        text.contains("Order Completed") && text.contains("Pricing"),
        "{text}"
    );
    assert!(text.contains("via relay · stream EVENTSCOPE"), "{text}");
    post_batch(
        &runtime,
        &server.addr.to_string(),
        json!({"batch": [
            {"type": "identify", "userId": "jane", "traits": {"email": "jane@example.com"}},
        ]}),
    );
    screen.wait_for("the live one", |s| s.contains("Messages 3/3"));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    runtime.block_on(server.stop()).unwrap();
}

/// `P` opens the selected message's person, `Enter` selects a timeline row in the list, `Esc`
/// goes back: through the real binary, on a recording where a login merges two profiles.
#[test]
fn p_opens_the_person_of_a_recorded_message_enter_selects_a_row_and_esc_goes_back() {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("people.ndjson");
    let messages = [
        json!({"type": "page", "name": "Viewed Pricing", "anonymousId": "anon-9f", "messageId": "m-a", "timestamp": "2026-12-01T10:00:00Z"}),
        json!({"type": "track", "event": "Logged In Elsewhere", "userId": "user-77", "messageId": "m-b", "timestamp": "2026-12-01T10:01:00Z"}),
        json!({"type": "identify", "userId": "user-77", "anonymousId": "anon-9f", "messageId": "m-c", "timestamp": "2026-12-01T10:02:00Z"}),
        json!({"type": "track", "event": "Someone Else", "userId": "user-9", "messageId": "m-d", "timestamp": "2026-12-01T10:03:00Z"}),
    ];
    let lines: Vec<String> = messages.iter().map(|m| m.to_string()).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let file = path.display().to_string();
    let mut screen = Screen::spawn(&["open", &file]);
    screen.wait_for("the recording", |s| s.contains("Messages 4/4"));
    // The first row: the anonymous page view, whose person is now user-77.
    screen.type_text("g");
    screen.wait_for("the first row", |s| s.contains("\"messageId\": \"m-a\""));
    screen.type_text("P");
    let person = screen.wait_for("the person view", |s| {
        s.contains("Person user-77 · 2 ids") && s.contains("3 messages retained")
    });
    assert!(
        person.contains("merged user_id user-77 ↔ anonymous_id anon-9f by identify"),
        "{person}"
    );
    // Down to user-77's message (the cursor starts on the one P was pressed on); Enter.
    screen.type_text("j\r");
    let selected = screen.wait_for("the list, on user-77's message", |s| {
        !s.contains("Timeline") && s.contains("\"messageId\": \"m-b\"")
    });
    assert!(selected.contains("Messages 4/4"), "{selected}");
    // P again, Esc: back to the list, where it was.
    screen.type_text("P");
    screen.wait_for("the person view again", |s| s.contains("Timeline"));
    screen.type_text("\x1b");
    screen.wait_for("the list, still on user-77's message", |s| {
        !s.contains("Timeline") && s.contains("\"messageId\": \"m-b\"")
    });
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn w_opens_the_warehouse_schema_of_a_recording_and_esc_goes_back() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    screen.type_text("W");
    let schema = screen.wait_for("the schema view", |s| {
        s.contains("Warehouse schema · ") && s.contains("▸ accounts")
    });
    assert!(schema.contains("first seq"), "{schema}");
    // G: the last table, sorted by name.
    screen.type_text("G");
    screen.wait_for("the last table", |s| s.contains("▸ users"));
    screen.type_text("\x1b");
    screen.wait_for("the list again", |s| {
        !s.contains("Warehouse schema") && s.contains("Messages 600/600")
    });
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn colon_queries_a_recording_in_sql_and_enter_selects_the_row() {
    let mut screen = Screen::spawn(&["open", "tests/fixtures/events.ndjson"]);
    screen.wait_for("the file", |s| s.contains("Messages 600/600"));
    screen.type_text(":");
    screen.wait_for("the prompt over every message", |s| {
        s.contains("SQL · 600 messages retained")
    });
    // Three track calls, by the warehouse's own table: their `id` names the message.
    screen.type_text("SELECT id, event_text FROM tracks ORDER BY id LIMIT 3\r");
    let answer = screen.wait_for("the answer", |s| s.contains("3 rows in"));
    assert!(answer.contains("event_text"), "{answer}");
    // Enter on the first row selects it and closes the prompt.
    screen.type_text("\r");
    screen.wait_for("the list again", |s| {
        !s.contains("SQL · ") && s.contains("Messages 600/600")
    });
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

/// `[[source]]` labels from the config reach the real viewer's rows: the source column and the
/// header's counts say `web` and `ios`, `source:` and `late:` filter by them, and `t` jumps to
/// a time typed in its prompt.
#[test]
fn config_source_labels_show_in_the_list_and_t_jumps_to_a_time() {
    let dir = std::env::temp_dir().join(format!("eventscope-sources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        "[[source]]\nkey = \"wk_live_web_0123456789\"\nlabel = \"web\"\n\n\
         [[source]]\nkey = \"wk_live_ios_9876543210\"\nlabel = \"ios\"\n",
    )
    .unwrap();
    let frame = |seq: u64, key: &str, minute: u32, event: &str, timestamp: &str| {
        format!(
            r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T14:0{minute}:00.000Z","source":{{"writeKey":"{key}","path":"/v1/batch"}},"message":{{"type":"track","event":"{event}","userId":"u1","messageId":"m-{seq}","timestamp":"{timestamp}"}}}}"#
        )
    };
    let recording = dir.join("two-sources.ndjson");
    std::fs::write(
        &recording,
        [
            frame(1, "wk_l…6789", 0, "Home Viewed", "2026-11-22T13:59:59.000Z"),
            frame(2, "wk_l…3210", 1, "Song Played", "2026-11-22T11:01:00.000Z"),
            frame(3, "wk_l…6789", 2, "Cart Viewed", "2026-11-22T14:01:59.000Z"),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let (recording, config) = (recording.to_str().unwrap(), config.to_str().unwrap());
    let mut screen = Screen::spawn(&["open", recording, "--config", config]);
    let text = screen.wait_for("the labelled rows", |s| {
        s.contains("Messages 3/3") && s.contains("web 2") && s.contains("ios 1")
    });
    let played = text.lines().find(|l| l.contains("Song Played")).unwrap();
    // Three hours late: a note (spec/late, info); at this width the late column has made room.
    assert!(played.contains("ios") && played.contains('·'), "{text}");

    screen.type_text("/source:ios late:>1h\r");
    screen.wait_for("the late ios row alone", |s| s.contains("Messages 1/3"));
    screen.type_text("\x0c"); // Ctrl-L clears the filter
    screen.wait_for("every row again", |s| s.contains("Messages 3/3"));

    screen.type_text("t14:01\r");
    screen.wait_for("the jump said", |s| {
        s.contains("jumped to 14:01:00.000 UTC (seq 2)")
    });
    screen.type_text("tnoon\r");
    screen.wait_for("the error in the prompt", |s| {
        s.contains("`noon` is not a time")
    });
    screen.type_text("\x1b");
    screen.wait_for("the prompt closed", |s| !s.contains("Jump to a time"));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
}

#[test]
fn h_folds_the_tree_and_c_copies_the_value_to_the_copy_to_file() {
    let message = r#"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m-1","properties":{"revenue":42.50,"products":[{"sku":"sk-1","price":10},{"sku":"sk-2","price":20.50}]},"context":{"ip":"10.0.0.1"}}"#;
    let frame = format!(
        r#"{{"type":"event","seq":1,"receivedAt":"2026-11-22T10:00:00.000Z","source":{{"path":"/v1/batch"}},"message":{message}}}"#
    );
    let recording = write_recording("order.ndjson", format!("{frame}\n").as_bytes());
    let clip = recording.with_file_name("clip.txt");
    let (recording_arg, clip_arg) = (recording.display().to_string(), clip.display().to_string());
    let mut screen = Screen::spawn(&["open", &recording_arg, "--copy-to", &clip_arg]);
    screen.wait_for("the recording", |s| s.contains("Messages 1/1"));
    // The detail pane focused, the cursor on `sk-2` (the filter's `n`), `h` folds its product.
    screen.type_text("\t");
    screen.type_text("/sk-2\r");
    screen.type_text("n");
    screen.type_text("h");
    let text = screen.wait_for("the folded product", |s| s.contains("{2 keys}"));
    assert!(!text.contains("20.50"), "{text}");
    screen.type_text("c");
    screen.wait_for("the status", |s| {
        s.contains("copied 37 bytes: properties.products[1]")
    });
    let product = "{\n  \"sku\": \"sk-2\",\n  \"price\": 20.50\n}";
    let deadline = Instant::now() + DEADLINE;
    while std::fs::read_to_string(&clip).ok().as_deref() != Some(product) {
        assert!(
            Instant::now() < deadline,
            "{clip:?} holds {:?}",
            std::fs::read_to_string(&clip)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The terminal got it too (OSC 52).
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(product)
    };
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).to_string();
    assert!(raw.contains(&format!("\x1b]52;c;{encoded}\x07")));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let _ = std::fs::remove_dir_all(recording.parent().unwrap());
}

/// `--view NAME` opens the viewer with the view's filter applied, and a filter typed in one run
/// is in the next run's history (`↑` in the bar), kept in the data directory given.
#[test]
fn a_saved_view_opens_filtered_and_the_filter_history_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("eventscope-pty-view-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        "[[view]]\nname = \"orders\"\nfilter = \"event:Order*\"\n",
    )
    .unwrap();
    let recording = dir.join("session.ndjson");
    std::fs::write(
        &recording,
        concat!(
            r#"{"type":"track","event":"Order Completed","userId":"u1"}"#,
            "\n",
            r#"{"type":"page","name":"Pricing","anonymousId":"a1"}"#,
            "\n",
            r#"{"type":"track","event":"Order Refunded","userId":"u2"}"#,
            "\n",
        ),
    )
    .unwrap();
    let data = dir.join("data");
    let (config, recording, data) = (
        config.display().to_string(),
        recording.display().to_string(),
        data.display().to_string(),
    );
    let env = [("XDG_DATA_HOME", data.as_str())];
    let args = ["open", &recording, "--config", &config, "--view", "orders"];
    let mut screen = Screen::spawn_with_env(&args, &env);
    let text = screen.wait_for("the view's rows", |s| s.contains("Messages 2/3"));
    assert!(
        text.contains("Order Completed") && text.contains("Order Refunded"),
        "{text}"
    );
    assert!(!text.contains("Pricing"), "{text}");
    // The bar opens on the view's filter: Ctrl-u clears it first.
    screen.type_text("/\x15type:page\r");
    screen.wait_for("the typed filter", |s| s.contains("Messages 1/3"));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let history = std::fs::read_to_string(dir.join("data/eventscope/history")).unwrap();
    assert_eq!(history, "\"type:page\"\n");

    // A second run, without the view: ↑ in the filter bar brings the query back.
    let args = ["open", &recording, "--config", &config];
    let mut screen = Screen::spawn_with_env(&args, &env);
    screen.wait_for("every row", |s| s.contains("Messages 3/3"));
    screen.type_text("/");
    screen.type_text("\x1b[A");
    screen.wait_for("the remembered filter", |s| s.contains("Messages 1/3"));
    screen.type_text("\r");
    screen.type_text("q");
    assert!(screen.wait_exit().success());

    // Off with EVENTSCOPE_NO_HISTORY=1: nothing new is written.
    let env = [
        ("XDG_DATA_HOME", data.as_str()),
        ("EVENTSCOPE_NO_HISTORY", "1"),
    ];
    let mut screen = Screen::spawn_with_env(&args, &env);
    screen.wait_for("every row", |s| s.contains("Messages 3/3"));
    screen.type_text("/type:track\r");
    screen.wait_for("the typed filter", |s| s.contains("Messages 2/3"));
    screen.type_text("q");
    assert!(screen.wait_exit().success());
    let history = std::fs::read_to_string(dir.join("data/eventscope/history")).unwrap();
    assert_eq!(history, "\"type:page\"\n");
    std::fs::remove_dir_all(&dir).ok();
}
