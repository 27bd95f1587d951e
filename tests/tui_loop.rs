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
use eventscope::tui::publish::Publisher;
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
    viewer_of(app, feed, rules)
}

/// The loop over `app` fed by `feed`, and its screen.
fn viewer_of(
    app: App,
    feed: feed::FeedReceiver,
    rules: watch::Receiver<rules::Rules>,
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
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
    let config = Config::parse(
        &format!(
            "[[destination]]\nname = \"local-hook\"\nkind = \"webhook\"\nendpoint = \"http://{hook}/hook\"\n"
        ),
        "eventscope.toml",
    )
    .unwrap();
    Destinations::from_config(&config.destination, None)
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
            deliveries.contains("1 delivery · 1 delivered · 0 failed"),
            "{deliveries}"
        );
        assert!(received.try_recv().is_err(), "one request only");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w_writes_the_view_off_the_ui_task_and_says_where() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .load(
                &collector,
                &[track("Signed Up", "w-1"), track("Cart Viewed", "w-2")],
            )
            .await;
        screen.type_text("w").await;
        let status = screen
            .wait_for("the written status", |s| s.contains("wrote 2 messages to "))
            .await;
        let path = status
            .split("wrote 2 messages to ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap()
            .to_string();
        let written = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let ids: Vec<String> = written
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["messageId"].to_string())
            .collect();
        assert_eq!(ids, ["\"w-1\"", "\"w-2\""], "{written}");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
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

fn track_by(event: &str, id: &str, user: &str) -> Value {
    json!({"type": "track", "event": event, "userId": user, "messageId": id})
}

/// Rows of the Deliveries view: lines with a delivered or failed mark and `destination`.
fn delivery_rows<'a>(screen: &'a str, destination: &str) -> Vec<&'a str> {
    screen
        .lines()
        .filter(|l| (l.contains('✓') || l.contains('✗')) && l.contains(destination))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_from_the_viewer_are_recorded_streamed_to_others_and_shown_by_open() {
    let recording = std::env::temp_dir().join(format!(
        "eventscope-deliveries-{}.ndjson",
        uuid::Uuid::new_v4()
    ));
    let collector = common::start(eventscope::server::ServeConfig {
        record: Some(recording.clone()),
        ..common::config()
    })
    .await;
    let (mut other, _) = common::Viewer::connect(&collector, None).await;
    let (hook, mut received) = start_hook().await;
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::Embedded {
        addr: collector.addr.to_string(),
        note: None,
    };
    let mut app = App::new(source, 1000, Arc::clone(&theme), KeyMap::default());
    app.connection = Connection::Live;
    app.destinations = hook_destination(hook);
    app.publisher = Some(Publisher::Hub(Arc::clone(&collector.hub)));
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let feed = feed::embedded(Arc::clone(&collector.hub), rules.clone());
    let (mut screen, viewer) = viewer_of(app, feed, rules);
    let script = async {
        screen
            .load(
                &collector,
                &[
                    track_by("Signed Up", "m-1", "u-1"),
                    track_by("Order Completed", "m-2", "u-2"),
                    track_by("Cart Viewed", "m-3", "u-3"),
                ],
            )
            .await;
        // Mark the three (Space marks and moves down) and forward them: three requests.
        screen.type_text("g   ").await;
        screen
            .wait_for("three marks", |s| s.contains("3 marked"))
            .await;
        screen.type_text("f1").await;
        screen
            .wait_for("the mapped requests", |s| s.contains("request 1 of 3"))
            .await;
        screen.type_text("\r").await;
        for _ in 0..3 {
            tokio::time::timeout(DEADLINE, received.recv())
                .await
                .unwrap()
                .unwrap();
        }
        // Another subscriber of the collector gets each delivery as a frame.
        let mut frames = Vec::new();
        while frames.len() < 3 {
            let frame = other.next().await;
            if frame["type"] == "delivery" {
                frames.push(frame);
            }
        }
        let mut users: Vec<&str> = frames
            .iter()
            .map(|f| {
                assert!(f["seq"].as_u64().is_some(), "{f}");
                assert_eq!(f["destination"], "local-hook", "{f}");
                assert_eq!(f["status"], 200, "{f}");
                assert_eq!(f["messageIds"].as_array().unwrap().len(), 1, "{f}");
                f["users"][0].as_str().unwrap()
            })
            .collect();
        users.sort();
        assert_eq!(users, ["u-1", "u-2", "u-3"]);

        let shown = screen
            .wait_for("three deliveries", |s| {
                delivery_rows(s, "local-hook").len() == 3
            })
            .await;
        assert!(
            shown.contains("3 deliveries · 3 delivered · 0 failed"),
            "{shown}"
        );
        let row = delivery_rows(&shown, "local-hook")
            .into_iter()
            .find(|l| l.contains("u-2"))
            .unwrap_or_else(|| panic!("no row for u-2:\n{shown}"));
        assert!(
            row.contains("Order Completed") && row.contains("m-2"),
            "{row}"
        );
        assert!(
            shown.contains("event") && shown.contains("messageId"),
            "{shown}"
        );

        // `/` inside the view filters the deliveries (the messages' filter stays as it was).
        screen.type_text("/user:u-2\r").await;
        let filtered = screen
            .wait_for("u-2's delivery", |s| {
                s.contains("1 delivery matching user:u-2 · 0 failed · of 3")
            })
            .await;
        let rows = delivery_rows(&filtered, "local-hook");
        assert_eq!(rows.len(), 1, "{filtered}");
        assert!(rows[0].contains("u-2"), "{filtered}");
        assert!(filtered.contains("/ user:u-2"), "{filtered}");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    other.close().await;
    collector.stop().await.unwrap();

    let text = std::fs::read_to_string(&recording).unwrap();
    let delivery_lines = text
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"delivery""#))
        .count();
    assert_eq!(delivery_lines, 3, "{text}");

    // `open` of the recording shows the deliveries, with their events and users.
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let feed = feed::file(recording.clone(), u64::MAX, rules.clone());
    let source = SourceKind::File {
        path: recording.display().to_string(),
    };
    let app = App::new(source, 1000, theme, KeyMap::default());
    let (mut screen, viewer) = viewer_of(app, feed, rules);
    let script = async {
        screen
            .wait_for("the recording", |s| s.contains("Messages 3/3"))
            .await;
        screen.type_text("d").await;
        let shown = screen
            .wait_for("the recorded deliveries", |s| {
                delivery_rows(s, "local-hook").len() == 3
            })
            .await;
        assert!(
            shown.contains("3 deliveries · 3 delivered · 0 failed"),
            "{shown}"
        );
        assert!(!shown.contains("No deliveries yet"), "{shown}");
        for user in ["u-1", "u-2", "u-3"] {
            assert!(
                delivery_rows(&shown, "local-hook")
                    .iter()
                    .any(|l| l.contains(user)),
                "{user}:\n{shown}"
            );
        }
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    let _ = std::fs::remove_file(&recording);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_env_credential_is_named_at_start_and_disabled_in_the_forward_popup() {
    let collector = common::start_default().await;
    let (hook, _received) = start_hook().await;
    let config = Config::parse(
        &format!(
            "[[destination]]\nname = \"local-hook\"\nkind = \"webhook\"\nendpoint = \"http://{hook}/hook\"\n\n\
             [[destination]]\nname = \"amp-dev\"\nkind = \"amplitude\"\napi_key = \"env:EVENTSCOPE_TEST_UNSET_AMP_KEY\"\n"
        ),
        "eventscope.toml",
    )
    .unwrap();
    let destinations = Destinations::from_config(&config.destination, None);
    let (mut screen, viewer) = viewer(&collector, destinations);
    let script = async {
        // Before any key: the header names it.
        let first = screen
            .wait_for("the empty state", |s| s.contains("Waiting for events"))
            .await;
        let header = first.lines().next().unwrap();
        assert!(
            header.contains("✗ amp-dev: env EVENTSCOPE_TEST_UNSET_AMP_KEY not set"),
            "{header}"
        );
        post_batch(&collector, json!({"batch": [track("Signed Up", "c-1")]})).await;
        screen
            .wait_for("the row", |s| s.contains("Messages 1/1"))
            .await;
        screen.type_text("f").await;
        let popup = screen
            .wait_for("the forward popup", |s| s.contains("Forward 1 message"))
            .await;
        assert!(popup.contains("1 local-hook (webhook)"), "{popup}");
        assert!(
            popup.contains("✗ amp-dev disabled: `api_key` reads env:EVENTSCOPE_TEST_UNSET_AMP_KEY"),
            "{popup}"
        );
        // q closes the popup, then quits.
        screen.type_text("qq").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_of_a_remote_collector_sends_its_deliveries_there_and_shows_each_once() {
    use eventscope::stream::client::ClientOptions;

    let collector = common::start_default().await;
    let (mut other, _) = common::Viewer::connect(&collector, None).await;
    let (hook, mut received) = start_hook().await;
    let url = format!("ws://{}/v1/stream", collector.addr);
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let mut app = App::new(
        SourceKind::Remote { url: url.clone() },
        1000,
        theme,
        KeyMap::default(),
    );
    app.destinations = hook_destination(hook);
    let (publisher, deliveries) = Publisher::stream();
    app.publisher = Some(publisher);
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let options = ClientOptions {
        url,
        token: None,
        since: Some(0),
    };
    let feed = feed::remote(options, rules.clone(), Some(deliveries));
    let (mut screen, viewer) = viewer_of(app, feed, rules);
    let script = async {
        screen
            .load(&collector, &[track_by("Order Completed", "r-1", "u-7")])
            .await;
        screen.type_text("f1").await;
        screen
            .wait_for("the webhook's request", |s| {
                s.contains(&format!("POST http://{hook}/hook"))
            })
            .await;
        screen.type_text("\r").await;
        tokio::time::timeout(DEADLINE, received.recv())
            .await
            .unwrap()
            .unwrap();
        let frame = loop {
            let frame = other.next().await;
            if frame["type"] == "delivery" {
                break frame;
            }
        };
        assert_eq!(frame["users"], json!(["u-7"]), "{frame}");
        assert_eq!(frame["events"], json!(["Order Completed"]), "{frame}");
        assert_eq!(frame["messageIds"], json!(["r-1"]), "{frame}");
        // The frame comes back on the viewer's own socket before the next event: by the time
        // that event is listed, the copy has been seen, and the delivery is still shown once.
        post_batch(
            &collector,
            json!({"batch": [track_by("Later", "r-2", "u-8")]}),
        )
        .await;
        let shown = screen
            .wait_for("the next event", |s| s.contains(" 2 events "))
            .await;
        assert_eq!(delivery_rows(&shown, "local-hook").len(), 1, "{shown}");
        assert!(
            shown.contains("1 delivery · 1 delivered · 0 failed"),
            "{shown}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    other.close().await;
    collector.stop().await.unwrap();
}
