//! The viewer's event loop run headless: a real embedded collector feeds it, keys go in through
//! its input channel, and each drawn frame comes out of a `TestBackend` through a test
//! [`Console`]. Tests speak only in keys and screen text, so they hold whatever the views and
//! popups look like inside. Waiting is always for a frame or a channel, bounded by a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

mod common;

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use eventscope::config::Config;
use eventscope::filter::jq_worker::{JqLimits, WorkerCommand};
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
    draws: Arc<std::sync::atomic::AtomicUsize>,
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
        self.draws
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
    /// Frames drawn so far.
    draws: Arc<std::sync::atomic::AtomicUsize>,
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

    /// Opens the filter bar, replaces its text with `query` (typed key by key, as a person
    /// would) and applies it.
    async fn filter(&self, query: &str) {
        self.key(KeyCode::Char('/')).await;
        let clear = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        self.keys.send(Ok(Event::Key(clear))).await.unwrap();
        self.type_text(query).await;
        self.key(KeyCode::Enter).await;
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

/// Settings that answer `jq:` terms with an error: these tests need no worker.
fn no_jq() -> JqSettings {
    JqSettings {
        command: Err("no jq worker in these tests".into()),
        limits: Default::default(),
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
    viewer_with(collector, destinations, no_jq(), (140, 36))
}

/// [`viewer`] with `jq` answering `jq:` terms, on a `size` terminal.
fn viewer_with(
    collector: &RunningServer,
    destinations: Destinations,
    jq: JqSettings,
    size: (u16, u16),
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
    viewer_loop(app, feed, rules, jq, size)
}

/// The loop over `app` fed by `feed`, and its screen (140×36, no jq worker).
fn viewer_of(
    app: App,
    feed: feed::FeedReceiver,
    rules: watch::Receiver<rules::Rules>,
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
    viewer_loop(app, feed, rules, no_jq(), (140, 36))
}

/// The loop over `app` fed by `feed` on a `width`×`height` `TestBackend`, and its screen.
fn viewer_loop(
    app: App,
    feed: feed::FeedReceiver,
    rules: watch::Receiver<rules::Rules>,
    jq: JqSettings,
    (width, height): (u16, u16),
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
    let (keys, input) = mpsc::channel(INPUT_QUEUE);
    let (screen, frames) = watch::channel(String::new());
    let (copies, copied) = mpsc::unbounded_channel();
    let draws = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let recorder_draws = Arc::clone(&draws);
    let run = async move {
        let mut terminal = Terminal::new(TestBackend::new(width, height))?;
        let mut console = Recorder {
            screen,
            copied: copies,
            draws: recorder_draws,
        };
        run::event_loop(&mut terminal, &mut console, input, app, feed, rules, jq).await
    };
    let screen = Screen {
        keys,
        frames,
        copied,
        draws,
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
async fn an_fql_condition_pasted_from_segment_filters_the_list_and_a_bad_one_names_its_column() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .load(
                &collector,
                &[
                    track_with("Order Completed", "m-1", json!({"total": 120})),
                    track_with("Order Completed", "m-2", json!({"total": 5})),
                    track_with("Cart Viewed", "m-3", json!({"total": 300})),
                ],
            )
            .await;
        // A destination filter's condition, as written in a Segment workspace.
        screen
            .filter("fql: match(event, 'Order *') and properties.total > 100")
            .await;
        let narrowed = screen
            .wait_for("the FQL-filtered list", |s| s.contains("Messages 1/3"))
            .await;
        let shown = rows(&narrowed);
        assert_eq!(shown.len(), 1, "{narrowed}");
        assert!(shown[0].contains("Order Completed"), "{narrowed}");

        // `==` is not FQL: the bar says so.
        screen.filter("fql: event == 'Cart Viewed'").await;
        screen
            .wait_for("the FQL error", |s| s.contains("invalid FQL: expected `=`"))
            .await;
        // Esc leaves the bar (an invalid filter keeps it open), then `q` quits.
        screen.key(KeyCode::Esc).await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// The viewer over `collector` routing to the `[[destination]]` tables of `toml`.
fn routing_viewer(
    collector: &RunningServer,
    toml: &str,
) -> (
    Screen,
    impl std::future::Future<Output = anyhow::Result<()>> + use<>,
) {
    let config = Config::parse(toml, "eventscope.toml").unwrap();
    let (named, problems) = eventscope::routing::Named::all(&config.destination);
    assert!(problems.is_empty(), "{problems:?}");
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::Embedded {
        addr: collector.addr.to_string(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Live;
    app.destinations = Destinations::from_config(&config.destination, None);
    let rules = rules::fixed_routing(Arc::new(Inspector::default()), named.into());
    let feed = feed::embedded(Arc::clone(&collector.hub), rules.clone());
    viewer_of(app, feed, rules)
}

/// `amp` needs Analytics consent; `mix` is Mixpanel; `hook` drops test events.
const ROUTING: &str = r#"
[[destination]]
name = "amp"
kind = "amplitude"
api_key = "amp_key"
consent = ["Analytics"]

[[destination]]
name = "mix"
kind = "mixpanel"
token = "mp_token"

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9/in"

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"
"#;

/// A track by `u1` with `extra` fields merged in.
fn track_and(event: &str, id: &str, extra: Value) -> Value {
    let mut message = track(event, id);
    if let (Some(message), Some(extra)) = (message.as_object_mut(), extra.as_object()) {
        message.extend(extra.clone());
    }
    message
}

fn consent(analytics: bool) -> Value {
    json!({"consent": {"categoryPreferences": {"Analytics": analytics}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routed_and_dropped_terms_filter_the_list_by_what_segment_would_deliver() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = routing_viewer(&collector, ROUTING);
    let script = async {
        screen
            .load(
                &collector,
                &[
                    track_and("Signed Up", "m-1", json!({"context": consent(true)})),
                    track_and("Cart Viewed", "m-2", json!({"context": consent(false)})),
                    track_and(
                        "Order Completed",
                        "m-3",
                        json!({"context": consent(true), "integrations": {"Mixpanel": false}}),
                    ),
                    track_and("Test Event", "m-4", json!({"context": consent(true)})),
                ],
            )
            .await;
        let only = |screen: &str, names: &[&str]| {
            let shown = rows(screen);
            assert_eq!(shown.len(), names.len(), "{screen}");
            for (row, name) in shown.iter().zip(names) {
                assert!(row.contains(name), "{name} in {row}:\n{screen}");
            }
        };

        screen.filter("dropped:amp").await;
        let dropped = screen
            .wait_for("amp's drops", |s| s.contains("Messages 1/4"))
            .await;
        only(&dropped, &["Cart Viewed"]);

        screen.filter("dropped:amp:consent").await;
        let consent = screen
            .wait_for("amp's consent drops", |s| {
                s.contains("/ dropped:amp:consent") && s.contains("Messages 1/4")
            })
            .await;
        only(&consent, &["Cart Viewed"]);

        screen.filter("dropped:amp:integrations").await;
        screen
            .wait_for("no integrations drop for amp", |s| {
                s.contains("Messages 0/4")
            })
            .await;

        screen.filter("routed:mix").await;
        let routed = screen
            .wait_for("mix's deliveries", |s| s.contains("Messages 3/4"))
            .await;
        only(&routed, &["Signed Up", "Cart Viewed", "Test Event"]);

        screen.filter("dropped:hook:filter or dropped:mix").await;
        let either = screen
            .wait_for("hook's filter drops and mix's", |s| {
                s.contains("Messages 2/4")
            })
            .await;
        only(&either, &["Order Completed", "Test Event"]);

        // An unknown name is an error listing the configured ones; the last valid prefix typed
        // (`dropped:amp`) stays applied.
        screen.filter("dropped:amplitude").await;
        screen
            .wait_for("the unknown destination", |s| {
                s.contains("unknown destination `amplitude`; destinations: amp, mix, hook")
                    && s.contains("Messages 1/4")
            })
            .await;
        screen.key(KeyCode::Esc).await;
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
    viewer_of(app, feed, rules)
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
        // Names that differ by letters: names differing only by digits are a table per id
        // (`warehouse/unbounded-tables`), which would sort first.
        let name = |i: u8| {
            format!(
                "Event {}{}",
                (b'A' + i / 26) as char,
                (b'A' + i % 26) as char
            )
        };
        let messages: Vec<Value> = (0..60)
            .map(|i| track(&name(i), &format!("m-{i}")))
            .collect();
        screen.load(&collector, &messages).await;
        screen.type_text("s").await;
        let top = screen
            .wait_for("the summary", |s| s.contains("Summary of the 60"))
            .await;
        // Same counts everywhere: the rows are in name order.
        assert!(summary_row(&top, "Event AA").is_some(), "{top}");
        assert!(summary_row(&top, "Event CH").is_none(), "{top}");
        screen.type_text("G").await;
        let bottom = screen
            .wait_for("the last row", |s| summary_row(s, "Event CH").is_some())
            .await;
        assert!(summary_row(&bottom, "Event AA").is_none(), "{bottom}");
        assert!(
            bottom.contains("▶ Event CH"),
            "the cursor is on it:\n{bottom}"
        );
        screen.key(KeyCode::PageUp).await;
        screen.type_text("k").await;
        let moved = screen
            .wait_for("a page up", |s| summary_row(s, "Event CH").is_none())
            .await;
        assert!(!moved.contains("▶ Event CH"), "{moved}");
        screen.type_text("g").await;
        screen
            .wait_for("the first row again", |s| s.contains("▶ Event AA"))
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

/// The viewer with a real jq worker (`eventscope __jq-worker`, the binary under test).
fn jq_worker() -> JqSettings {
    JqSettings {
        command: Ok(WorkerCommand::eventscope(env!("CARGO_BIN_EXE_eventscope"))),
        limits: JqLimits {
            budget: DEADLINE,
            ..JqLimits::default()
        },
    }
}

/// 600 messages: 100 identifies, then 500 tracks. A filter `type:identify or jq: …` decides
/// the identifies at once and waits for the worker on every track, in batches: the list
/// fills in slices.
fn identifies_then_tracks() -> Vec<Value> {
    (1..=600)
        .map(|i| {
            if i <= 100 {
                json!({"type": "identify", "userId": format!("u{i}"), "messageId": format!("m-{i}")})
            } else {
                track(&format!("Event {i}"), &format!("m-{i}"))
            }
        })
        .collect()
}

/// The list shows a full page (the 140×36 screen with the filter bar has room for 29 rows).
fn assert_full_page(screen: &str, what: &str) {
    let shown = rows(screen);
    assert!(
        shown.len() >= 25,
        "{what}: the list shows {} rows of 101 matches:\n{screen}",
        shown.len()
    );
}

const IDENTIFIES_AND_599: &str = "type:identify or jq: .event == \"Event 599\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_applied_in_slices_fills_the_list_live_scrolled_and_paused() {
    let collector = common::start_default().await;
    let (mut screen, viewer) =
        viewer_with(&collector, Destinations::default(), jq_worker(), (140, 36));
    let script = async {
        screen.load(&collector, &identifies_then_tracks()).await;

        // Live: the matches fill the page, the newest at the bottom.
        screen.filter(IDENTIFIES_AND_599).await;
        let live = screen
            .wait_for("the identifies and Event 599", |s| {
                s.contains("Messages 101/600")
            })
            .await;
        assert_full_page(&live, "live");
        assert!(rows(&live).last().unwrap().contains("Event 599"), "{live}");

        // Scrolled up (not following), another filter and back: a full page again.
        screen.type_text("kkk").await;
        screen.filter("jq: .type == \"track\"").await;
        screen
            .wait_for("the tracks", |s| s.contains("Messages 500/600"))
            .await;
        screen.filter(IDENTIFIES_AND_599).await;
        let scrolled = screen
            .wait_for("the identifies again", |s| s.contains("Messages 101/600"))
            .await;
        assert_full_page(&scrolled, "scrolled");

        // Paused: the same.
        screen.type_text("Gp").await;
        screen.filter("jq: .type == \"track\"").await;
        screen
            .wait_for("the tracks while paused", |s| {
                s.contains("Messages 500/600") && s.contains("paused")
            })
            .await;
        screen.filter(IDENTIFIES_AND_599).await;
        let paused = screen
            .wait_for("the identifies while paused", |s| {
                s.contains("Messages 101/600") && s.contains("paused")
            })
            .await;
        assert_full_page(&paused, "paused");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// The detail pane's cells (right of the list) on each line, joined.
fn detail_pane(screen: &str) -> String {
    screen
        .lines()
        .filter_map(|line| line.split('│').nth(3))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A batch as analytics-python 2.x sends it: the SDK stamps `timestamp` and `messageId`, the
/// collector adds `receivedAt` and corrects `timestamp` for the device clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_tab_shows_analytics_python_calls_in_python_without_server_fields() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .wait_for("the empty state", |s| s.contains("Waiting for events"))
            .await;
        post_batch(
            &collector,
            json!({
                "batch": [{
                    "type": "track", "userId": "user_python_1", "event": "Order Completed",
                    "properties": {"revenue": 19.99, "paid": true, "coupon": null},
                    "integrations": {}, "anonymousId": null,
                    "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
                    "timestamp": "2026-11-22T12:00:00.000+00:00",
                    "messageId": "7b3f5c2e-0000-4000-8000-000000000001"
                }],
                "sentAt": "2026-11-22T12:00:00.500+00:00"
            }),
        )
        .await;
        screen
            .wait_for("the row", |s| s.contains("Messages 1/1"))
            .await;
        screen.key(KeyCode::Char('3')).await;
        let call = screen
            .wait_for("the Python call", |s| s.contains("analytics.track("))
            .await;
        let pane = detail_pane(&call);
        for expected in [
            "user_id='user_python_1'",
            "event='Order Completed'",
            "properties={'coupon': None, 'paid': True, 'revenue': 19.99}",
        ] {
            assert!(pane.contains(expected), "{expected} in\n{call}");
        }
        for server_field in [
            "timestamp",
            "receivedAt",
            "message_id",
            "7b3f5c2e",
            "library",
        ] {
            assert!(!pane.contains(server_field), "{server_field} in\n{call}");
        }
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// RudderStack JS v3: `page()` before `identify` sends `userId: ""`, and `identify` puts the
/// traits in `context.traits`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudderstack_messages_show_the_anonymous_id_and_identify_calls_with_their_traits() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let library = json!({"name": "RudderLabs JavaScript SDK", "version": "3.11.0"});
    let script = async {
        let all = screen
            .load(
                &collector,
                &[
                    json!({"type": "page", "name": "Pricing", "userId": "",
                        "anonymousId": "anon-rs-7", "messageId": "rs-1",
                        "context": {"library": library, "traits": {}}}),
                    json!({"type": "identify", "userId": "user-rs-9",
                        "anonymousId": "anon-rs-8", "messageId": "rs-2",
                        "context": {"library": library, "locale": "en-US",
                            "traits": {"email": "ada@example.com", "plan": "pro"}}}),
                ],
            )
            .await;
        let page_row = rows(&all)
            .into_iter()
            .find(|row| row.contains("Pricing"))
            .unwrap_or_else(|| panic!("no page row:\n{all}"));
        assert!(page_row.contains("anon-rs-7"), "{all}");

        // `user:` finds the page by its anonymousId.
        screen.type_text("/user:anon-rs-7\r").await;
        screen
            .wait_for("the page alone", |s| s.contains("Messages 1/2"))
            .await;

        // The bar opens holding the current filter: erase it, then ask for the identify.
        screen.type_text("/").await;
        for _ in "user:anon-rs-7".chars() {
            screen.key(KeyCode::Backspace).await;
        }
        screen.type_text("user:user-rs-9\r").await;
        screen
            .wait_for("the identify alone", |s| s.contains("Messages 1/2"))
            .await;
        screen.key(KeyCode::Char('3')).await;
        let call = screen
            .wait_for("the identify call", |s| {
                s.contains("rudderanalytics.identify(")
            })
            .await;
        let pane = detail_pane(&call);
        assert!(pane.contains(r#""user-rs-9","#), "{call}");
        assert!(
            pane.contains(r#"{ email: "ada@example.com", plan: "pro" }"#),
            "{call}"
        );
        for whole_message in ["context", "locale", "anonymousId", "messageId"] {
            assert!(!pane.contains(whole_message), "{whole_message} in\n{call}");
        }
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

/// An idle viewer draws only on its slow tick: the welcome screen (no detail pane drawn) once
/// counted as a layout change on every frame and redrew at full rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_viewer_on_the_welcome_screen_does_not_redraw_every_frame() {
    use std::sync::atomic::Ordering;
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .wait_for("the welcome screen", |s| s.contains("Waiting for events"))
            .await;
        let before = screen.draws.load(Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let drawn = screen.draws.load(Ordering::Relaxed) - before;
        // The tick (500 ms) redraws 4 times in 2 s; a frame-rate loop would draw ~100.
        assert!(
            drawn <= 10,
            "{drawn} frames drawn in 2 s with nothing happening"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

// ---- Routing in forwards (issue 12): what Segment would drop is not sent, and says why ----

/// The webhook at `hook`, routed as Segment would: catalog name `Hook`, mapped to Analytics
/// consent, test events dropped, emails and product SKUs stripped.
fn routed_hook(hook: std::net::SocketAddr) -> Destinations {
    hook_destination_with(
        hook,
        r#"segment_name = "Hook"
consent = ["Analytics"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"

[[destination.filter]]
action = "block_fields"
fields = ["properties.email", "properties.products.sku"]"#,
    )
}

/// One message Segment delivers (without its email and SKUs), then one for each reason it
/// would not: the integrations object, consent, a drop filter.
fn routed_messages() -> Vec<Value> {
    let consent =
        |analytics: bool| json!({"consent": {"categoryPreferences": {"Analytics": analytics}}});
    vec![
        json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m-sent",
            "context": consent(true),
            "properties": {"email": "ada@example.com", "total": 12,
                "products": [{"sku": "A-1", "name": "pen"}, {"sku": "B-2", "name": "ink"}]}}),
        json!({"type": "track", "event": "Order Completed", "userId": "u2", "messageId": "m-integrations",
            "context": consent(true), "integrations": {"Hook": false}}),
        json!({"type": "track", "event": "Order Completed", "userId": "u3", "messageId": "m-consent",
            "context": consent(false)}),
        json!({"type": "track", "event": "Test Event", "userId": "u4", "messageId": "m-filter",
            "context": consent(true)}),
    ]
}

/// The next body the webhook got, as JSON.
async fn next_body(received: &mut mpsc::UnboundedReceiver<String>) -> Value {
    let body = tokio::time::timeout(DEADLINE, received.recv())
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forward_popup_names_what_routing_drops_and_deliveries_show_the_dropped_rows() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let (mut screen, viewer) = viewer_with(&collector, routed_hook(hook), no_jq(), (220, 40));
    let script = async {
        screen.load(&collector, &routed_messages()).await;
        screen.type_text("*f").await;
        let popup = screen
            .wait_for("the routing lines", |s| {
                s.contains("Forward 4 messages") && s.contains("dropped by routing")
            })
            .await;
        for expected in [
            "3 dropped by routing: 1 integrations (integrations.Hook = false), 1 consent \
             (consent Analytics not given), 1 filter (filter 1 drops: event = 'Test Event')",
            "i sends them anyway",
            "seq 2: integrations: integrations.Hook = false · seq 3: consent: consent Analytics \
             not given · seq 4: filter: filter 1 drops: event = 'Test Event'",
            "fields stripped by filters: properties.email, properties.products.sku (1 message)",
            "1 request",
        ] {
            assert!(popup.contains(expected), "{expected}\n{popup}");
        }
        // The preview is what is sent: the stripped fields are not in it.
        assert!(popup.contains("\"total\": 12"), "{popup}");
        assert!(!popup.contains("ada@example.com"), "{popup}");
        assert!(!popup.contains("A-1"), "{popup}");

        screen.type_text("\r").await;
        let sent = next_body(&mut received).await;
        assert_eq!(sent["messageId"], "m-sent");
        assert!(sent["properties"].get("email").is_none(), "{sent}");
        assert!(
            sent["properties"]["products"][0].get("sku").is_none(),
            "{sent}"
        );
        assert_eq!(sent["properties"]["products"][0]["name"], "pen");

        // Where deliveries are looked for: one row per dropped message, with the reason.
        let deliveries = screen
            .wait_for("the delivery and the dropped rows", |s| {
                s.contains(" 200 ") && s.matches("local-hook  ").count() >= 4
            })
            .await;
        let dropped: Vec<&str> = deliveries
            .lines()
            .filter(|l| l.contains('⊘') && l.contains("local-hook"))
            .collect();
        assert_eq!(dropped.len(), 3, "{deliveries}");
        for (user, reason) in [
            ("u2", "— integrations: integrations.Hook = false"),
            ("u3", "— consent: consent Analytics not given"),
            ("u4", "— filter: filter 1 drops: event = 'Test Event'"),
        ] {
            assert!(
                dropped.iter().any(|row| row.contains(" dropped ")
                    && row.contains(user)
                    && row.contains(reason)),
                "{reason}\n{deliveries}"
            );
        }
        assert!(
            deliveries.contains("4 deliveries · 1 delivered · 0 failed · 3 not sent"),
            "{deliveries}"
        );
        assert!(
            received.try_recv().is_err(),
            "only the routed message is sent"
        );

        // The filter of the view finds them, and the selected one says why in full.
        screen.type_text("/status:dropped consent\r").await;
        let narrowed = screen
            .wait_for("the consent row alone", |s| {
                s.contains("1 delivery matching status:dropped consent")
            })
            .await;
        assert!(
            narrowed.contains("dropped — consent: consent Analytics not given"),
            "{narrowed}"
        );
        assert!(
            narrowed.contains("Segment would not deliver it either"),
            "{narrowed}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn i_in_the_forward_popup_ignores_routing_loudly_and_sends_everything_unstripped() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let (mut screen, viewer) = viewer_with(&collector, routed_hook(hook), no_jq(), (220, 40));
    let script = async {
        screen.load(&collector, &routed_messages()).await;
        screen.type_text("*f").await;
        screen
            .wait_for("the routing lines", |s| s.contains("3 dropped by routing"))
            .await;
        screen.type_text("i").await;
        let popup = screen
            .wait_for("the warning and 4 requests", |s| {
                s.contains("⚠ routing ignored") && s.contains("4 requests")
            })
            .await;
        assert!(
            popup.contains(
                "messages Segment would drop (consent, integrations, filters) are sent, unstripped"
            ),
            "{popup}"
        );
        assert!(
            popup.contains("sent anyway: 3 dropped by routing: 1 integrations"),
            "{popup}"
        );
        assert!(!popup.contains("i sends them anyway"), "{popup}");
        assert!(popup.contains("ada@example.com"), "unstripped: {popup}");

        screen.type_text("\r").await;
        let mut ids = Vec::new();
        for _ in 0..4 {
            let body = next_body(&mut received).await;
            if body["messageId"] == "m-sent" {
                assert_eq!(body["properties"]["email"], "ada@example.com");
                assert_eq!(body["properties"]["products"][1]["sku"], "B-2");
            }
            ids.push(body["messageId"].as_str().unwrap().to_string());
        }
        ids.sort();
        assert_eq!(ids, ["m-consent", "m-filter", "m-integrations", "m-sent"]);
        // Each delivery made so is marked.
        let deliveries = screen
            .wait_for("4 delivered", |s| s.contains("4 delivered"))
            .await;
        let marked = deliveries
            .lines()
            .filter(|l| l.contains('⚠') && l.contains("local-hook") && l.contains(" 200 "))
            .count();
        assert_eq!(marked, 4, "{deliveries}");
        assert!(
            deliveries.contains("⚠ sent with routing ignored"),
            "the selected delivery says so: {deliveries}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// `--ignore-routing` (here set as `cli::tui` sets it): the header says so from the start, and
/// the forward popup opens with routing ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_routing_for_the_viewer_is_in_the_header_and_the_popup() {
    let collector = common::start_default().await;
    let (hook, mut received) = start_hook().await;
    let mut destinations = routed_hook(hook);
    destinations.set_ignore_routing(true);
    let (mut screen, viewer) = viewer_with(&collector, destinations, no_jq(), (220, 40));
    let script = async {
        let loaded = screen.load(&collector, &routed_messages()[2..3]).await;
        assert!(
            loaded.contains("⚠ routing ignored (--ignore-routing)"),
            "{loaded}"
        );
        screen.type_text("f").await;
        screen
            .wait_for("the warning", |s| {
                s.contains("⚠ routing ignored") && s.contains("1 request")
            })
            .await;
        screen.type_text("\r").await;
        let sent = next_body(&mut received).await;
        assert_eq!(sent["messageId"], "m-consent", "no consent, sent anyway");
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn person_filter_follows_a_merge_live_and_finds_the_anonymous_messages_before_login() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .load(
                &collector,
                &[
                    json!({"type": "track", "event": "Browsed Anonymously", "anonymousId": "anon-9f", "messageId": "m-1"}),
                    json!({"type": "track", "event": "Logged In Elsewhere", "userId": "user-77", "anonymousId": "anon-2", "messageId": "m-2"}),
                    json!({"type": "track", "event": "Someone Else", "userId": "user-9", "messageId": "m-3"}),
                ],
            )
            .await;
        screen.filter("person:user-77").await;
        let before = screen
            .wait_for("user-77's one message", |s| s.contains("Messages 1/3"))
            .await;
        assert!(rows(&before)[0].contains("Logged In Elsewhere"), "{before}");

        // Logging in on the first device merges its anonymous profile into user-77's: the
        // filter follows without being typed again.
        post_batch(
            &collector,
            json!({"batch": [
                {"type": "identify", "userId": "user-77", "anonymousId": "anon-9f", "messageId": "m-4"}
            ]}),
        )
        .await;
        let merged = screen
            .wait_for("user-77's messages after the merge", |s| {
                s.contains("Messages 3/4")
            })
            .await;
        let shown = rows(&merged).join("\n");
        assert!(shown.contains("Browsed Anonymously"), "{merged}");
        assert!(!shown.contains("Someone Else"), "{merged}");

        // Any of the person's ids names them.
        screen.filter("person:anon-2").await;
        screen
            .wait_for("the same person by another id", |s| {
                s.contains("Messages 3/4")
            })
            .await;
        screen.filter("person:nobody").await;
        screen
            .wait_for("an unknown person", |s| s.contains("Messages 0/4"))
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// The person view's timeline (the popup's rows under its "Timeline" heading).
fn timeline(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .skip_while(|l| !l.contains("Timeline"))
        .skip(1)
        .take_while(|l| !l.contains("└"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_view_grows_live_as_a_login_merges_and_enter_selects_a_timeline_row() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        screen
            .load(
                &collector,
                &[
                    json!({"type": "page", "name": "Viewed Pricing", "anonymousId": "anon-9f", "messageId": "m-a"}),
                    json!({"type": "track", "event": "Logged In Elsewhere", "userId": "user-77", "messageId": "m-b"}),
                    json!({"type": "track", "event": "Someone Else", "userId": "user-9", "messageId": "m-c"}),
                    json!({"type": "track", "event": "Browsed Anonymously", "anonymousId": "anon-9f", "messageId": "m-d"}),
                ],
            )
            .await;
        // P on the newest (anonymous) message: only the anonymous profile so far.
        screen.type_text("P").await;
        let opened = screen
            .wait_for("the anonymous person", |s| {
                s.contains("Person anon-9f · 1 id") && s.contains("2 messages retained")
            })
            .await;
        let opened_rows = timeline(&opened).join("\n");
        assert!(opened_rows.contains("Viewed Pricing"), "{opened}");
        assert!(!opened_rows.contains("Logged In Elsewhere"), "{opened}");

        // Logging in on this device merges user-77's profile in, while the view is open.
        post_batch(
            &collector,
            json!({"batch": [
                {"type": "identify", "userId": "user-77", "anonymousId": "anon-9f", "messageId": "m-e"}
            ]}),
        )
        .await;
        let merged = screen
            .wait_for("the merge, live", |s| {
                s.contains("Person user-77 · 2 ids") && s.contains("4 messages retained")
            })
            .await;
        let merged_rows = timeline(&merged);
        let at = |text: &str| {
            merged_rows
                .iter()
                .position(|l| l.contains(text))
                .unwrap_or_else(|| panic!("{text} not in the timeline:\n{merged}"))
        };
        assert!(at("Viewed Pricing") < at("Logged In Elsewhere"), "{merged}");
        assert!(
            at("Logged In Elsewhere") < at("Browsed Anonymously"),
            "{merged}"
        );
        assert!(
            at("Browsed Anonymously")
                < at("merged user_id user-77 ↔ anonymous_id anon-9f by identify"),
            "{merged}"
        );
        assert!(
            !merged_rows.iter().any(|l| l.contains("Someone Else")),
            "{merged}"
        );

        // The cursor stayed on the message P was pressed on; one up is user-77's older
        // message, and Enter selects it in the list and leaves the view.
        screen.type_text("k\r").await;
        let selected = screen
            .wait_for("the list again, on user-77's message", |s| {
                !s.contains("Timeline") && s.contains("\"messageId\": \"m-b\"")
            })
            .await;
        assert!(selected.contains("Messages 5/5"), "{selected}");

        // `/` in the view narrows the list to the person, and the list's title says who.
        screen.type_text("P/").await;
        let narrowed = screen
            .wait_for("the list narrowed to the person", |s| {
                s.contains("Messages 4/5 · person: user-77 (2 ids)")
            })
            .await;
        assert!(
            !rows(&narrowed).iter().any(|r| r.contains("Someone Else")),
            "{narrowed}"
        );
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warehouse_tab_and_the_schema_view_show_drift_and_its_filters_narrow_the_list() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let order = |id: &str, properties: Value| json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": id, "properties": properties});
    let script = async {
        screen
            .load(
                &collector,
                &[
                    order("m-1", json!({"total": 42})),
                    order("m-2", json!({"total": "42.50", "coupon": "SPRING"})),
                    order("m-3", json!({"total": 7})),
                ],
            )
            .await;
        // The second order, in the Warehouse tab: a new column, and a conflict naming the
        // message that made the column.
        screen.type_text("k6").await;
        let tab = screen
            .wait_for("the Warehouse tab of the second order", |s| {
                s.contains("Segment would load 2 rows (seq 2)")
            })
            .await;
        let pane = detail_pane(&tab);
        assert!(
            pane.contains("↳ conflict: first integer at seq 1 · lost"),
            "{tab}"
        );
        assert!(
            pane.lines()
                .any(|l| l.contains("coupon") && l.contains("+ new column")),
            "{tab}"
        );

        // The first made its tables and the second drifted them; the third sent the same shape.
        screen.filter("has:drift").await;
        let drift = screen
            .wait_for("the messages that drifted", |s| s.contains("Messages 2/3"))
            .await;
        assert!(!rows(&drift).join("\n").is_empty(), "{drift}");
        screen.filter("rule:warehouse/type-conflict").await;
        screen
            .wait_for("the conflicting message", |s| s.contains("Messages 1/3"))
            .await;
        screen.ctrl('l').await;

        // W: the schema, with each table's rows and the conflict.
        screen.type_text("W").await;
        let schema = screen
            .wait_for("the schema view", |s| {
                s.contains("Warehouse schema · 2 tables")
            })
            .await;
        let table = schema
            .lines()
            .find(|l| l.contains("▸ order_completed"))
            .unwrap_or_else(|| panic!("no order_completed row:\n{schema}"));
        assert!(
            table.contains(" 3 ") && table.contains("seq 1") && table.contains("1 conflict"),
            "{table}"
        );
        screen.key(KeyCode::Esc).await;
        screen
            .wait_for("the list again", |s| !s.contains("Warehouse schema"))
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// `:`: SQL over the retained messages — the warehouse tables and the findings answer, a bad
/// query is told in place, a writing one is refused, and Enter on an answer row selects its
/// message in the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_prompt_answers_over_the_retained_messages_and_selects_a_row() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let order = |id: &str, total: Value| json!({"type": "track", "event": "Order Completed", "userId": "u1", "messageId": id, "properties": {"total": total}});
    let script = async {
        screen
            .load(
                &collector,
                &[
                    order("m-1", json!(42)),
                    json!({"type": "page", "name": "Home", "anonymousId": "a1", "messageId": "m-2"}),
                    order("m-3", json!("42.50")),
                    order("m-4", json!(7)),
                ],
            )
            .await;
        screen.type_text(":").await;
        screen
            .wait_for("the prompt, its database built", |s| {
                s.contains("SQL · 4 messages retained")
            })
            .await;
        // The warehouse table of the event, and its columns as Segment makes them.
        screen
            .type_text("SELECT id, total FROM order_completed ORDER BY id")
            .await;
        screen.key(KeyCode::Enter).await;
        let answer = screen
            .wait_for("the answer", |s| s.contains("3 rows in"))
            .await;
        for row in ["m-1", "m-3", "m-4"] {
            assert!(answer.contains(row), "{answer}");
        }
        // Findings are there, with the warehouse's own.
        screen.key(KeyCode::Tab).await;
        screen.ctrl('u').await;
        screen
            .type_text("SELECT seq, rule FROM findings WHERE rule LIKE 'warehouse/%'")
            .await;
        screen.key(KeyCode::Enter).await;
        let findings = screen
            .wait_for("the warehouse finding", |s| s.contains("1 row in"))
            .await;
        assert!(findings.contains("warehouse/type-conflict"), "{findings}");
        // Enter on the row: the third message is selected in the list.
        screen.key(KeyCode::Enter).await;
        let selected = screen
            .wait_for("the list with the row selected", |s| !s.contains("SQL ·"))
            .await;
        // (Following had the newest, m-4, selected.)
        assert!(detail_pane(&selected).contains("\"m-3\""), "{selected}");
        // A query that does not parse, and one that would write, are told in place.
        screen.type_text(":").await;
        screen.ctrl('u').await;
        screen.type_text("SELEC nothing").await;
        screen.key(KeyCode::Enter).await;
        screen
            .wait_for("the syntax error", |s| s.contains("syntax error"))
            .await;
        screen.ctrl('u').await;
        screen.type_text("DELETE FROM messages").await;
        screen.key(KeyCode::Enter).await;
        screen
            .wait_for("the refusal", |s| {
                s.contains("only queries that read (SELECT, WITH, EXPLAIN) run here")
            })
            .await;
        screen.key(KeyCode::Esc).await;
        screen
            .wait_for("the list again", |s| !s.contains("SQL ·"))
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// One key must not wipe the buffer: `X` asks first, any other key keeps the messages, `y`
/// clears them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_the_messages_asks_first_and_only_y_clears() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let page = |id: &str| json!({"type": "page", "name": "Home", "anonymousId": "a1", "messageId": id});
        screen
            .load(&collector, &[page("m-1"), page("m-2"), page("m-3")])
            .await;
        screen.type_text("X").await;
        screen
            .wait_for("the question", |s| {
                s.contains("Clear all 3 retained messages from the viewer?")
            })
            .await;
        screen.type_text("n").await;
        let kept = screen
            .wait_for("the messages kept", |s| s.contains("kept the messages"))
            .await;
        assert!(kept.contains("Messages 3/3"), "{kept}");
        screen.type_text("X").await;
        screen
            .wait_for("the question again", |s| s.contains("Clear all 3"))
            .await;
        screen.type_text("y").await;
        screen
            .wait_for("the list cleared", |s| {
                s.contains("cleared") && !s.contains("Messages 3/3")
            })
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}

/// Waits until `path` holds `expected` (the loop writes it off the UI task).
async fn file_reads(path: &std::path::Path, expected: &str) {
    let waited = tokio::time::timeout(DEADLINE, async {
        loop {
            if tokio::fs::read_to_string(path).await.ok().as_deref() == Some(expected) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    let found = std::fs::read_to_string(path);
    assert!(
        waited.is_ok(),
        "{path:?} never read {expected:?}: {found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_copies_the_value_under_the_cursor_to_the_copy_to_file_and_h_folds_it() {
    let collector = common::start_default().await;
    let dir = std::env::temp_dir().join(format!("eventscope-copy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clip.txt");
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::Embedded {
        addr: collector.addr.to_string(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Live;
    app.copy_to = Some(file.clone());
    let rules = rules::fixed(Arc::new(Inspector::default()));
    let feed = feed::embedded(Arc::clone(&collector.hub), rules.clone());
    let (mut screen, viewer) = viewer_of(app, feed, rules);
    let script = async {
        let order = json!({
            "type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m-1",
            "properties": {"products": [{"sku": "sk-1", "price": 10}, {"sku": "sk-2", "price": 20.50}]}
        });
        screen.load(&collector, &[order]).await;
        // Focus the detail pane, and go to the `sk-2` line with the filter's `n`.
        screen.key(KeyCode::Tab).await;
        screen.filter("sk-2").await;
        screen.type_text("n").await;
        screen.type_text("c").await;
        let copied = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(copied, r#""sk-2""#);
        file_reads(&file, r#""sk-2""#).await;
        screen
            .wait_for("the status", |s| {
                s.contains("copied 6 bytes: properties.products[1].sku")
            })
            .await;

        // `h` on the leaf folds its product; `c` then copies the product whole, as sent.
        screen.type_text("h").await;
        screen
            .wait_for("the folded product", |s| s.contains("{2 keys}"))
            .await;
        screen.type_text("c").await;
        // (`json!` sorts keys and writes 20.50 as 20.5; tests/tui_keys.rs checks literals.)
        let product = "{\n  \"price\": 20.5,\n  \"sku\": \"sk-2\"\n}";
        let copied = tokio::time::timeout(DEADLINE, screen.copied.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(copied, product);
        file_reads(&file, product).await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- The diff pane (`=`) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equals_diffs_two_marked_messages_or_the_previous_of_the_same_event() {
    let collector = common::start_default().await;
    let (mut screen, viewer) = viewer(&collector, Destinations::default());
    let script = async {
        let messages = vec![
            track_with("Order Completed", "oc-1", json!({"price": 9.99})),
            track_with("Viewed", "v-1", json!({"x": 1})),
            track_with("Order Completed", "oc-2", json!({"price": "9.99"})),
            track_with(
                "Order Completed",
                "oc-3",
                json!({"price": 9.99, "coupon": "WINTER"}),
            ),
        ];
        screen.load(&collector, &messages).await;

        // Marks on the first and third rows: Space marks and moves down.
        screen.type_text("g j").await;
        screen.key(KeyCode::Char(' ')).await;
        screen.type_text("=").await;
        let pane = screen
            .wait_for("the diff pane", |s| s.contains("Diff · seq 1"))
            .await;
        assert!(
            pane.contains("Diff · seq 1 \"Order Completed\" → seq 3 \"Order Completed\""),
            "{pane}"
        );
        let price = pane
            .lines()
            .find(|l| l.contains("properties.price"))
            .unwrap_or_else(|| panic!("no price line:\n{pane}"));
        assert!(price.contains("type number → string"), "{price}");
        assert!(price.contains("9.99 → \"9.99\""), "{price}");
        // The messageId differs, hidden and counted until `v`.
        assert!(!pane.contains("messageId  "), "{pane}");
        assert!(pane.contains("in volatile fields hidden"), "{pane}");
        screen.type_text("v").await;
        let shown = screen
            .wait_for("the volatile fields", |s| {
                s.lines()
                    .any(|l| l.contains("messageId") && l.contains("\"oc-1\" → \"oc-2\""))
            })
            .await;
        assert!(shown.contains("properties.price"), "{shown}");
        screen.key(KeyCode::Esc).await;
        screen
            .wait_for("the pane closed", |s| !s.contains("Diff · seq"))
            .await;

        // No marks: the selected message and the previous one of its event.
        screen.type_text("uG=").await;
        let pane = screen
            .wait_for("the diff with the previous", |s| s.contains("Diff · seq 3"))
            .await;
        assert!(pane.contains("→ seq 4 \"Order Completed\""), "{pane}");
        let price = pane
            .lines()
            .find(|l| l.contains("properties.price"))
            .unwrap_or_else(|| panic!("no price line:\n{pane}"));
        assert!(price.contains("type string → number"), "{price}");
        assert!(
            pane.lines()
                .any(|l| l.contains("properties.coupon") && l.contains("added string \"WINTER\"")),
            "{pane}"
        );
        screen.type_text("=").await;
        screen
            .wait_for("the pane closed by =", |s| !s.contains("Diff · seq"))
            .await;

        // The only message of its event: nothing to compare, and the status line says why.
        screen.type_text("gj=").await;
        screen
            .wait_for("why nothing is compared", |s| {
                s.contains("nothing to compare: no earlier \"Viewed\" message is retained")
            })
            .await;
        screen.type_text("q").await;
    };
    let (result, ()) = tokio::join!(viewer, script);
    result.unwrap();
    collector.stop().await.unwrap();
}
