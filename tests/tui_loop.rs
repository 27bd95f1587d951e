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

    async fn ctrl(&self, c: char) {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
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

// ---- The Summary (`s`) ----

fn track_with(event: &str, id: &str, properties: Value) -> Value {
    json!({"type": "track", "event": event, "userId": "u1", "messageId": id, "properties": properties})
}

/// The Summary's table row of `name` (the line that starts with it, after the cursor mark).
fn summary_row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        line.split('│')
            .any(|cell| cell.trim_start_matches(['▶', ' ']).starts_with(name))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_counts_only_what_the_filter_shows_and_its_keys_never_reach_the_list() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let mut messages: Vec<Value> = (0..5)
            .map(|i| track("Product Viewed", &format!("pv-{i}")))
            .collect();
        messages.extend((0..3).map(|i| track("Order Completed", &format!("oc-{i}"))));
        screen.load(&collector, &messages).await;
        screen.type_text("/Order\r").await;
        screen
            .wait_for("the filtered list", |s| s.contains("Messages 3/8"))
            .await;
        // The first shown row selected, and what `y` copies then.
        screen.type_text("gy").await;
        let before = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(before.contains("\"oc-0\""), "{before}");

        screen.type_text("s").await;
        let summary = screen
            .wait_for("the summary of the filtered list", |s| {
                s.contains("Summary of the 3 messages shown")
            })
            .await;
        let row = summary_row(&summary, "Order Completed").expect(&summary);
        assert!(row.split_whitespace().any(|c| c == "3"), "{row}");
        assert!(
            summary_row(&summary, "Product Viewed").is_none(),
            "a row the filter hides:\n{summary}"
        );

        // Keys of the main view mean nothing here or something of the Summary's own: `j`/`k`
        // move its cursor, `c` (clear all messages) and `p` (pause) do nothing, `G`/`g` scroll it.
        screen.type_text("jjkGgcpwz").await;
        screen.key(KeyCode::Esc).await;
        let after = screen
            .wait_for("the list again", |s| !s.contains("Summary of the"))
            .await;
        assert!(
            after.contains("Messages 3/8"),
            "nothing was cleared:\n{after}"
        );
        assert!(!after.contains("paused"), "not paused:\n{after}");
        screen.type_text("y").await;
        let copied = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(copied, before, "the list's selection did not move");

        // The count follows a new filter and new messages.
        screen.ctrl('l').await; // clear the filter
        screen.type_text("/Product\r").await;
        screen
            .wait_for("the other filter", |s| s.contains("Messages 5/8"))
            .await;
        post_batch(
            &collector,
            json!({"batch": [track("Product Viewed", "pv-new")]}),
        )
        .await;
        screen
            .wait_for("the new message", |s| s.contains("Messages 6/9"))
            .await;
        screen.type_text("s").await;
        let summary = screen
            .wait_for("the summary of the new filter", |s| {
                s.contains("Summary of the 6 messages shown")
            })
            .await;
        assert!(
            summary_row(&summary, "Order Completed").is_none(),
            "{summary}"
        );
        screen.type_text("q").await;
        screen
            .wait_for("the summary closed by q", |s| !s.contains("Summary of the"))
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_scrolls_through_more_rows_than_fit() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let messages: Vec<Value> = (0..60)
            .map(|i| track(&format!("Event {i:02}"), &format!("m-{i}")))
            .collect();
        screen.load(&collector, &messages).await;
        screen.type_text("s").await;
        let top = screen
            .wait_for("the summary", |s| s.contains("Summary of the 60"))
            .await;
        // Same counts everywhere: the rows are in name order.
        assert!(summary_row(&top, "Event 00").is_some(), "{top}");
        assert!(summary_row(&top, "Event 59").is_none(), "{top}");
        screen.type_text("G").await;
        let bottom = screen
            .wait_for("the last row", |s| summary_row(s, "Event 59").is_some())
            .await;
        assert!(summary_row(&bottom, "Event 00").is_none(), "{bottom}");
        assert!(
            bottom.contains("▶ Event 59"),
            "the cursor is on it:\n{bottom}"
        );
        screen.key(KeyCode::PageUp).await;
        screen.type_text("k").await;
        let moved = screen
            .wait_for("a page up", |s| summary_row(s, "Event 59").is_none())
            .await;
        assert!(!moved.contains("▶ Event 59"), "{moved}");
        screen.type_text("g").await;
        screen
            .wait_for("the first row again", |s| s.contains("▶ Event 00"))
            .await;
        screen.type_text("sq").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_in_the_summary_filters_the_list_to_the_event_the_rule_or_both() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let note = json!({"note": "write to jane.doe@example.com"});
        let mut messages: Vec<Value> = (0..3)
            .map(|i| track_with("Product Viewed", &format!("pv-{i}"), note.clone()))
            .collect();
        messages.push(track_with("Signed Up", "su-1", note.clone()));
        messages.push(track("Order Completed", "oc-1"));
        messages.push(track("Order Completed", "oc-2"));
        screen.load(&collector, &messages).await;

        // By event: the selected row (most messages first: Product Viewed).
        screen.type_text("s").await;
        let summary = screen
            .wait_for("the summary", |s| s.contains("Summary of the 6"))
            .await;
        let row = summary_row(&summary, "Product Viewed").expect(&summary);
        assert!(row.contains("pii/email×3"), "{row}");
        screen.type_text("\r").await;
        let filtered = screen
            .wait_for("the list filtered to the event", |s| {
                s.contains("Messages 3/6")
            })
            .await;
        assert!(
            filtered.contains("type:track event:\"Product Viewed\""),
            "the filter bar shows the query:\n{filtered}"
        );
        assert_eq!(rows(&filtered).len(), 3, "{filtered}");

        // By rule, after clearing the filter: the rule's row filters to the rule.
        screen.ctrl('l').await;
        screen
            .wait_for("the filter cleared", |s| s.contains("Messages 6/6"))
            .await;
        screen.type_text("s").await;
        screen.key(KeyCode::Tab).await;
        let by_rule = screen
            .wait_for("the by-rule tab", |s| s.contains("top events"))
            .await;
        let row = summary_row(&by_rule, "pii/email").expect(&by_rule);
        assert!(row.contains("Product Viewed×3"), "{row}");
        assert!(row.contains("Signed Up×1"), "{row}");
        screen.type_text("\r").await;
        let filtered = screen
            .wait_for("the list filtered to the rule", |s| {
                s.contains("Messages 4/6")
            })
            .await;
        assert!(filtered.contains("rule:pii/email"), "{filtered}");

        // A picked cell: the rule's second top event → the rule and that event.
        screen.type_text("s").await;
        screen.key(KeyCode::Tab).await;
        screen
            .wait_for("the by-rule tab", |s| s.contains("top events"))
            .await;
        screen.type_text("ll\r").await;
        let filtered = screen
            .wait_for("the list filtered to the rule and event", |s| {
                s.contains("Messages 1/6")
            })
            .await;
        assert!(
            filtered.contains("rule:pii/email type:track event:\"Signed Up\""),
            "{filtered}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}
