//! The viewer's event loop run headless: a real embedded collector feeds it, keys go in through
//! its input channel, and each drawn frame comes out of a `TestBackend` through a test
//! [`Console`]. Tests speak only in keys and screen text, so they hold whatever the views and
//! popups look like inside. Waiting is always for a frame or a channel, bounded by a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

mod common;

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use eventscope::config::Config;
use eventscope::inspect::Inspector;
use eventscope::server::RunningServer;
use eventscope::tui::app::{App, Connection, Destinations, SourceKind};
use eventscope::tui::console::{Console, INPUT_QUEUE, Input};
use eventscope::tui::jq::JqSettings;
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::{feed, rules, run};
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::Buffer;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use unicode_width::UnicodeWidthStr;

use common::DEADLINE;

/// The test's side of the terminal: frames go to a watch channel as text, copies to a queue,
/// and the "editor" renames the event `Signup` to `Edited`.
struct Recorder {
    screen: watch::Sender<String>,
    copied: mpsc::UnboundedSender<String>,
}

impl Console for Recorder {
    fn copy(&mut self, text: &str) {
        let _ = self.copied.send(text.to_string());
    }

    async fn edit<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        text: &str,
    ) -> Result<String, String> {
        // As after a real editor: the next frame is drawn whole.
        terminal.swap_buffers();
        Ok(text.replace("\"Signup\"", "\"Edited\""))
    }

    fn drawn(&mut self, frame: &Buffer) {
        self.screen.send_replace(screen_text(frame));
    }
}

/// The frame as lines of text, a wide character taking one place (as on a terminal).
fn screen_text(frame: &Buffer) -> String {
    let width = frame.area.width as usize;
    let mut text = String::new();
    for row in frame.content.chunks(width) {
        let mut skip = 0;
        for cell in row {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            text.push_str(cell.symbol());
            skip = cell.symbol().width().saturating_sub(1);
        }
        text.push('\n');
    }
    text
}

/// Keys in, screens out.
struct Screen {
    keys: mpsc::Sender<Input>,
    frames: watch::Receiver<String>,
    copied: mpsc::UnboundedReceiver<String>,
}

impl Screen {
    async fn key(&self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        self.keys.send(Ok(Event::Key(key))).await.unwrap();
    }

    /// Types `text`, `\r` being Enter.
    async fn type_text(&self, text: &str) {
        for c in text.chars() {
            let code = match c {
                '\r' => KeyCode::Enter,
                c => KeyCode::Char(c),
            };
            self.key(code).await;
        }
    }

    /// Waits for the empty viewer, posts `messages` as one batch to `collector` and returns the
    /// first frame that lists them all.
    async fn load(&mut self, collector: &RunningServer, messages: &[Value]) -> String {
        self.wait_for("the empty state", |s| s.contains("Waiting for events"))
            .await;
        post_batch(collector, json!({ "batch": messages })).await;
        let all = format!("Messages {0}/{0}", messages.len());
        self.wait_for(&all, |s| s.contains(&all)).await
    }

    /// The first frame (from now on, or the last one drawn) that passes `check`.
    async fn wait_for(&mut self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let waited = tokio::time::timeout(DEADLINE, self.frames.wait_for(|s| check(s)))
            .await
            .map(|found| found.map(|screen| screen.clone()));
        match waited {
            Ok(Ok(screen)) => screen,
            Ok(Err(_)) => panic!("the loop ended before {what}:\n{}", *self.frames.borrow()),
            Err(_) => panic!("no {what} within {DEADLINE:?}:\n{}", *self.frames.borrow()),
        }
    }
}

/// The viewer over `collector`'s hub with `destinations`, and its screen. The returned future
/// is the loop: run it alongside the test's script (which ends with `q`).
fn viewer(
    collector: &RunningServer,
    destinations: Destinations,
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::Embedded {
        addr: collector.addr.to_string(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Live;
    app.destinations = destinations;
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let feed = feed::embedded(Arc::clone(&collector.hub), rules.clone());
    let jq = JqSettings {
        command: Err("no jq worker in these tests".into()),
        limits: Default::default(),
    };
    let (keys, input) = mpsc::channel(INPUT_QUEUE);
    let (screen, frames) = watch::channel(String::new());
    let (copies, copied) = mpsc::unbounded_channel();
    let run = async move {
        let mut terminal = Terminal::new(TestBackend::new(140, 36))?;
        let mut console = Recorder {
            screen,
            copied: copies,
        };
        run::event_loop(&mut terminal, &mut console, input, app, feed, rules, jq).await
    };
    let screen = Screen {
        keys,
        frames,
        copied,
    };
    (screen, run)
}

async fn post_batch(collector: &RunningServer, batch: Value) {
    let (status, answer) = common::post(collector, "/v1/batch", batch.to_string(), &[]).await;
    assert_eq!(status, 200, "{answer}");
}

fn track(event: &str, id: &str) -> Value {
    json!({"type": "track", "event": event, "userId": "u1", "messageId": id})
}

/// The list pane's rows: its cells (left of the detail pane) that start with a time.
fn rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter_map(|line| line.split('│').nth(1))
        .filter(|cell| cell.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_a_filter_narrows_the_list_on_screen() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let all = screen
            .load(
                &collector,
                &[
                    track("Signed Up", "m-1"),
                    track("Order Completed", "m-2"),
                    track("Cart Viewed", "m-3"),
                ],
            )
            .await;
        assert_eq!(rows(&all).len(), 3, "{all}");

        screen.type_text("/Order").await;
        let narrowed = screen
            .wait_for("the filtered list", |s| s.contains("Messages 1/3"))
            .await;
        let shown = rows(&narrowed);
        assert_eq!(shown.len(), 1, "{narrowed}");
        assert!(shown[0].contains("Order Completed"), "{narrowed}");

        // Enter keeps the filter and leaves the bar; the list stays narrowed.
        screen.type_text("\r").await;
        screen.key(KeyCode::Char('y')).await;
        let copied = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            copied.contains("\"m-2\""),
            "the filtered row is selected: {copied}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_freezes_the_list_while_messages_keep_arriving_and_resume_shows_them() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .load(
                &collector,
                &[track("Signed Up", "m-1"), track("Cart Viewed", "m-2")],
            )
            .await;

        screen.type_text("p").await;
        screen
            .wait_for("the paused header", |s| s.contains("paused"))
            .await;
        post_batch(
            &collector,
            json!({"batch": [track("Order Completed", "m-3"), track("Checkout Started", "m-4")]}),
        )
        .await;
        let frozen = screen
            .wait_for("two new while paused", |s| s.contains("paused · 2 new"))
            .await;
        let shown = rows(&frozen);
        assert_eq!(shown.len(), 2, "the list is frozen: {frozen}");
        assert!(shown[0].contains("Signed Up"), "{frozen}");
        assert!(shown[1].contains("Cart Viewed"), "{frozen}");
        assert!(frozen.contains("Messages 2/4"), "{frozen}");

        screen.type_text("p").await;
        let resumed = screen
            .wait_for("the list with the new rows", |s| {
                s.contains("Order Completed") && s.contains("Checkout Started")
            })
            .await;
        assert!(!resumed.contains("paused"), "{resumed}");
        assert!(resumed.contains("Messages 4/4"), "{resumed}");
        assert_eq!(rows(&resumed).len(), 4, "{resumed}");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// A webhook on 127.0.0.1:0 that hands each request's body to the test.
async fn start_hook() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                axum::Json(json!({"ok": true}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, rx)
}

/// One destination: the webhook at `hook`.
fn hook_destination(hook: std::net::SocketAddr) -> Destinations {
    hook_destination_with(hook, "")
}

/// The webhook at `hook`, with `extra` lines in its table.
fn hook_destination_with(hook: std::net::SocketAddr, extra: &str) -> Destinations {
    let config = Config::parse(
        &format!(
            "[[destination]]\nname = \"local-hook\"\nkind = \"webhook\"\nendpoint = \"http://{hook}/hook\"\n{extra}\n"
        ),
        "eventscope.toml",
    )
    .unwrap();
    Destinations::from_config(&config.destination, None)
}

/// A transform failing on one of the marked messages: the popup names it as skipped with the
/// reason, and Enter sends the others (through a jq assignment to a path they lack).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transform_failing_on_one_message_skips_it_and_forwards_the_rest() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let transform = r#"transform = 'if .event == "Bad" then error("no bad events") else .properties.via = "eventscope" end'"#;
    let (mut screen, viewer) = viewer(&collector, hook_destination_with(hook, transform));
    let script = async {
        screen
            .load(
                &collector,
                &[
                    track("Good", "t-1"),
                    track("Bad", "t-2"),
                    track("Fine", "t-3"),
                ],
            )
            .await;
        screen.type_text("*f").await;
        screen
            .wait_for("the forward popup", |s| s.contains("Forward 3 messages"))
            .await;
        screen.type_text("1").await;
        screen
            .wait_for("the skipped message", |s| {
                s.contains("1 skipped (seq 2: transform failed: no bad events)")
            })
            .await;
        screen.type_text("\r").await;
        let mut events = Vec::new();
        for _ in 0..2 {
            let body = tokio::time::timeout(DEADLINE, received.recv())
                .await
                .unwrap()
                .unwrap();
            let message: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(message["properties"]["via"], "eventscope", "{body}");
            events.push(message["event"].as_str().unwrap().to_string());
        }
        events.sort();
        assert_eq!(events, ["Fine", "Good"]);
        screen
            .wait_for("both delivered", |s| s.contains("2 delivered"))
            .await;
        assert!(
            received.try_recv().is_err(),
            "the failing message is not sent"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_then_enter_forwards_the_selected_message_to_a_local_webhook() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let (mut screen, viewer) = viewer(&collector, hook_destination(hook));
    let script = async {
        screen
            .load(
                &collector,
                &[track("Signed Up", "m-1"), track("Order Completed", "m-2")],
            )
            .await;

        // The newest row is selected: forward it.
        screen.type_text("f").await;
        screen
            .wait_for("the forward popup", |s| s.contains("Forward 1 message"))
            .await;
        screen.type_text("1").await;
        let preview = screen
            .wait_for("the webhook's request", |s| {
                s.contains(&format!("POST http://{hook}/hook"))
            })
            .await;
        assert!(preview.contains("\"Order Completed\""), "{preview}");

        screen.type_text("\r").await;
        let body = tokio::time::timeout(DEADLINE, received.recv())
            .await
            .unwrap()
            .unwrap();
        let message: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(message["event"], "Order Completed", "{body}");
        assert_eq!(message["messageId"], "m-2", "{body}");

        let deliveries = screen
            .wait_for("the 200 delivery", |s| {
                s.lines()
                    .any(|l| l.contains('✓') && l.contains("local-hook") && l.contains(" 200 "))
            })
            .await;
        assert!(
            deliveries.contains("Deliveries 1 · 1 delivered · 0 failed"),
            "{deliveries}"
        );
        assert!(received.try_recv().is_err(), "one request only");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// The viewer over a recording (as `eventscope open FILE`), and its screen.
fn file_viewer(
    path: std::path::PathBuf,
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::File {
        path: path.display().to_string(),
    };
    let app = App::new(source, 1000, theme, KeyMap::default());
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let feed = feed::file(path, 1 << 20, rules.clone());
    let jq = JqSettings {
        command: Err("no jq worker in these tests".into()),
        limits: Default::default(),
    };
    let (keys, input) = mpsc::channel(INPUT_QUEUE);
    let (screen, frames) = watch::channel(String::new());
    let (copies, copied) = mpsc::unbounded_channel();
    let run = async move {
        let mut terminal = Terminal::new(TestBackend::new(140, 36))?;
        let mut console = Recorder {
            screen,
            copied: copies,
        };
        run::event_loop(&mut terminal, &mut console, input, app, feed, rules, jq).await
    };
    let screen = Screen {
        keys,
        frames,
        copied,
    };
    (screen, run)
}

/// `w` asks for the path (a default shown, editable), writes the rows as recorded frames
/// (rejected requests and sources included), and `open` of the file shows the same rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w_asks_for_a_path_and_writes_frames_that_open_shows_the_same() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let path = std::env::temp_dir().join(format!("eventscope-w-{}.ndjson", uuid::Uuid::new_v4()));
    let written_path = path.display().to_string();
    let script = async {
        screen
            .load(
                &collector,
                &[track("Signed Up", "w-1"), track("Cart Viewed", "w-2")],
            )
            .await;
        let (status, _) = common::post(&collector, "/v1/track", r#"{"event":"Torn""#, &[]).await;
        assert_eq!(status, 400);
        let before = screen
            .wait_for("the rejected row", |s| s.contains("Messages 3/3"))
            .await;
        screen.type_text("w").await;
        let prompt = screen
            .wait_for("the path prompt", |s| {
                s.contains("Write 3 rows as recorded")
            })
            .await;
        assert!(
            prompt.contains("eventscope-") && prompt.contains(".ndjson"),
            "{prompt}"
        );
        // Esc cancels: nothing written, the view is back.
        screen.key(KeyCode::Esc).await;
        screen
            .wait_for("the prompt closed", |s| !s.contains("Write 3 rows"))
            .await;
        screen.type_text("w").await;
        screen
            .wait_for("the path prompt", |s| {
                s.contains("Write 3 rows as recorded")
            })
            .await;
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        screen.keys.send(Ok(Event::Key(ctrl_u))).await.unwrap();
        screen.type_text(&format!("{written_path}\r")).await;
        let wrote = format!("wrote 3 rows to {written_path}");
        screen.wait_for(&wrote, |s| s.contains(&wrote)).await;
        screen.type_text("q").await;
        before
    };
    let (result, before) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();

    let written = std::fs::read_to_string(&path).unwrap();
    let kinds: Vec<String> = written
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"event\"", "\"event\"", "\"rejected\""],
        "{written}"
    );
    assert!(
        written.contains(r#""path":"/v1/batch""#),
        "sources kept: {written}"
    );

    let (mut opened, viewer) = file_viewer(path.clone());
    let script = async {
        let after = opened
            .wait_for("the recording's rows", |s| s.contains("Messages 3/3"))
            .await;
        opened.type_text("q").await;
        after
    };
    let (result, after) = tokio::join!(viewer, script);
    result.unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        rows(&after),
        rows(&before),
        "the same rows:\n{before}\n{after}"
    );
    assert_eq!(rows(&after).len(), 3);
    assert!(after.contains("rejected"), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_in_the_forward_popup_edits_through_the_console_and_sends_the_edit() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let (mut screen, viewer) = viewer(&collector, hook_destination(hook));
    let script = async {
        screen.load(&collector, &[track("Signup", "e-1")]).await;
        screen.type_text("f1").await;
        screen
            .wait_for("the webhook's request", |s| s.contains("\"Signup\""))
            .await;
        screen.type_text("e").await;
        let edited = screen
            .wait_for("the edited request", |s| {
                s.contains("(edited)") && s.contains("\"Edited\"")
            })
            .await;
        assert!(edited.contains("┌ Forward 1 message"), "{edited}");
        screen.type_text("\r").await;
        let body = tokio::time::timeout(DEADLINE, received.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(body.contains("\"event\":\"Edited\""), "{body}");
        screen
            .wait_for("the 200 delivery", |s| {
                s.lines()
                    .any(|l| l.contains('✓') && l.contains("local-hook") && l.contains(" 200 "))
            })
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// The welcome screen shows each command whole on a line of its own (no border to copy along,
/// no wrapping inside it), and `y` copies the curl example.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_welcome_screen_shows_whole_commands_and_y_copies_the_curl_example() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let addr = collector.addr.to_string();
    let curl =
        format!(r#"curl -u KEY: http://{addr}/v1/track -d '{{"event":"Test","userId":"u1"}}'"#);
    let script = async {
        let welcome = screen
            .wait_for("the welcome screen", |s| s.contains("Waiting for events"))
            .await;
        for command in [
            curl.as_str(),
            &format!("new Analytics({{ writeKey, host: 'http://{addr}' }})"),
            &format!("analytics.host = 'http://{addr}'"),
        ] {
            let line = welcome
                .lines()
                .find(|l| l.contains(command))
                .unwrap_or_else(|| panic!("`{command}` is not on one line:\n{welcome}"));
            assert!(!line.contains('│'), "no border on the line: {line}");
            assert_eq!(line.trim(), command);
        }
        screen.type_text("y").await;
        let copied = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(copied, curl);
        screen
            .wait_for("the status", |s| s.contains("copied the curl example"))
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}
