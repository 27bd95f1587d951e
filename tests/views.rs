//! Saved views (issue 16, item 4) in the viewer: the picker (`v`) rendered into ratatui's
//! TestBackend, applying a view through it by keys, and `--view` errors through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use eventscope::config::Config;
use eventscope::entry::EntryBuilder;
use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::app::{App, Connection, Mode, SourceKind};
use eventscope::tui::columns::Column;
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONFIG: &str = r#"
[[view]]
name = "checkout"
filter = "event:Checkout*"
columns = ["time", "name", "user"]

[[view]]
name = "bots"
filter = "has:bot"

[[view]]
name = "everything"
"#;

fn event(seq: u64, message: &str) -> Frame {
    let text = format!(
        r#"{{"type":"event","seq":{seq},"receivedAt":"2026-12-05T10:00:00.{seq:03}Z","source":{{"writeKey":"wk_t…cdef","path":"/v1/batch"}},"message":{message}}}"#
    );
    match parse_frame_text(&text).unwrap() {
        Incoming::Frame(frame) => frame,
        other => panic!("{other:?}"),
    }
}

fn app() -> App {
    let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
    let source = SourceKind::File {
        path: "session.ndjson".into(),
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Loaded;
    app.views = Config::parse(CONFIG, "eventscope.toml").unwrap().view;
    let frames = vec![
        event(
            1,
            r#"{"type":"track","event":"Checkout Started","userId":"u1"}"#,
        ),
        event(
            2,
            r#"{"type":"page","name":"Home","anonymousId":"a1","context":{"userAgent":"curl/8.4.0"}}"#,
        ),
        event(
            3,
            r#"{"type":"track","event":"Checkout Completed","userId":"u2"}"#,
        ),
    ];
    let inspector = Arc::clone(&app.inspector);
    let entries = EntryBuilder::judging(inspector).build_all(frames);
    app.ingest_entries(entries, Instant::now());
    app
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn render(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(100, 16)).unwrap();
    terminal
        .draw(|f| {
            views::draw(f, app, None);
        })
        .unwrap();
    terminal
}

#[test]
fn v_lists_the_views_with_their_filters_and_enter_applies_one() {
    let mut app = app();
    app.handle_key(key(KeyCode::Char('v')));
    assert!(matches!(app.mode, Mode::Views(_)), "v opens the picker");
    app.handle_key(key(KeyCode::Down));
    let terminal = render(&app);
    insta::assert_snapshot!("view_picker", terminal.backend());
    // The cursor's row is drawn selected (the snapshot shows text only).
    let buffer = terminal.backend().buffer();
    let row = |name: &str| {
        (0..buffer.area.height)
            .find(|y| {
                let line: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, *y)].symbol().to_string())
                    .collect();
                line.contains(&format!("  {name}  "))
            })
            .unwrap()
    };
    let selected = app.theme.style(eventscope::tui::theme::Role::Selected);
    let x = 8;
    assert_eq!(buffer[(x, row("bots"))].bg, selected.bg.unwrap_or_default());
    assert_ne!(buffer[(x, row("checkout"))].bg, buffer[(x, row("bots"))].bg);
    // Down, Down: `everything`; back up to `checkout` and apply it.
    app.handle_key(key(KeyCode::Up));
    app.handle_key(key(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.view_name.as_deref(), Some("checkout"));
    assert_eq!(app.store.filter().source(), "event:Checkout*");
    assert_eq!(app.shown_len(), 2);
    assert_eq!(
        app.columns.columns(),
        [Column::Time, Column::Name, Column::User]
    );
    // Opened again, the applied view is marked; Esc closes and changes nothing.
    app.handle_key(key(KeyCode::Char('v')));
    let screen = format!("{:?}", render(&app).backend());
    assert!(screen.contains("● checkout"), "{screen}");
    app.handle_key(key(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.shown_len(), 2);
    // A view without a filter shows every message again, with the default columns.
    let everything = app.view_index("everything").unwrap();
    app.apply_view(everything);
    assert_eq!(app.shown_len(), 3);
    assert_eq!(app.columns.columns().len(), Column::ALL.len());
    app.apply_view(app.view_index("bots").unwrap());
    assert_eq!(app.shown_len(), 1);
}

#[test]
fn without_views_v_says_where_they_come_from() {
    let mut app = app();
    app.views.clear();
    app.handle_key(key(KeyCode::Char('v')));
    assert!(matches!(app.mode, Mode::Normal));
    let status = app.status.as_ref().map(|s| s.text.clone()).unwrap();
    assert!(status.contains("[[view]]"), "{status}");
}

/// `--view` names a view of the config; a name it does not have, or columns the list does not
/// have, stop the viewer before it starts, naming what there is (exit 2).
#[test]
fn an_unknown_view_or_column_is_a_usage_error_naming_what_there_is() {
    let dir = std::env::temp_dir().join(format!("eventscope-views-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let recording = dir.join("empty.ndjson");
    std::fs::write(&recording, "").unwrap();
    let run = |config: &std::path::Path, view: &str| {
        Command::new(env!("CARGO_BIN_EXE_eventscope"))
            .arg("open")
            .arg(&recording)
            .arg("--config")
            .arg(config)
            .args(["--view", view])
            .output()
            .unwrap()
    };
    let output = run(&config, "nope");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--view nope") && stderr.contains("views: checkout, bots, everything"),
        "{stderr}"
    );
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[view]]\nname = \"a\"\nfilter = \"type:track\"\ncolumns = [\"time\", \"colour\"]\n",
    )
    .unwrap();
    let output = run(&bad, "a");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 2") && stderr.contains("unknown column `colour`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
