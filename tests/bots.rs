//! Bots (issue 16, item 6) where a person meets them: the list's `b` mark and the header's
//! count (rendered into ratatui's TestBackend), the Summary's count, `has:bot` in the viewer,
//! and `check`'s summary through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use eventscope::entry::EntryBuilder;
use eventscope::inspect::Inspector;
use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, SourceKind};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const GOOGLEBOT: &str = r#"{"type":"page","name":"Pricing","anonymousId":"anon-g","messageId":"m-1","context":{"userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}"#;
const PERSON: &str = r#"{"type":"page","name":"Pricing","anonymousId":"anon-p","messageId":"m-2","context":{"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"}}"#;
const CURL: &str = r#"{"type":"track","event":"Health Checked","userId":"ops","messageId":"m-3","context":{"userAgent":"curl/8.4.0"}}"#;

fn event(seq: u64, message: &str) -> Frame {
    let text = format!(
        r#"{{"type":"event","seq":{seq},"receivedAt":"2026-12-05T10:00:00.{seq:03}Z","source":{{"writeKey":"wk_t…cdef","keyFrom":"basic","path":"/v1/batch","ip":"127.0.0.1"}},"message":{message}}}"#
    );
    match parse_frame_text(&text).unwrap() {
        Incoming::Frame(frame) => frame,
        other => panic!("{other:?}"),
    }
}

/// The viewer over its collector with three rows judged as the feeds judge them.
fn app() -> App {
    let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
    let source = SourceKind::Embedded {
        addr: "127.0.0.1:8707".into(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Live;
    let inspector = Arc::new(Inspector::default());
    app.inspector = Arc::clone(&inspector);
    let frames = vec![event(1, GOOGLEBOT), event(2, PERSON), event(3, CURL)];
    let entries = EntryBuilder::judging(inspector).build_all(frames);
    app.ingest_entries(entries, Instant::now());
    app
}

fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            views::draw(f, app, None);
        })
        .unwrap();
    terminal
}

fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn bot_rows_get_their_mark_and_the_header_counts_them() {
    let app = app();
    let terminal = render(&app, 120, 10);
    insta::with_settings!({filters => vec![(r"\d+/s", "N/s")]}, {
        insta::assert_snapshot!("bots_mark_and_header", terminal.backend());
    });
    let screen = lines(&terminal);
    assert!(screen[0].contains("· 2 bots"), "{}", screen[0]);
    let row = |needle: &str| {
        screen
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen: {screen:#?}"))
    };
    // The verdict column: `b` on the bots' rows (in the accent colour), nothing on the person's.
    let buffer = terminal.backend().buffer();
    for (needle, bot) in [("anon-g", true), ("anon-p", false), ("ops", true)] {
        let y = row(needle) as u16;
        let line = &screen[y as usize];
        let mark_at = line.find(" b ").filter(|_| bot);
        assert_eq!(mark_at.is_some(), bot, "{line}");
        if let Some(byte) = mark_at {
            let x = line[..byte].chars().count() as u16 + 1;
            assert_eq!(buffer[(x, y)].fg, app.theme.ui.accent, "{line}");
        }
    }
}

#[test]
fn has_bot_narrows_the_list_and_the_summary_counts_bots() {
    let mut app = app();
    app.update(Action::Summary);
    let terminal = render(&app, 150, 20);
    let screen = lines(&terminal).join("\n");
    assert!(
        screen.contains("Summary of the 3 messages shown · 2 bots"),
        "{screen}"
    );
    app.update(Action::Back);
    app.apply_filter("-has:bot");
    assert_eq!(app.shown_len(), 1);
    app.apply_filter("has:bot");
    assert_eq!(app.shown_len(), 2);
}

#[test]
fn check_counts_the_messages_bots_sent() {
    let dir = std::env::temp_dir().join(format!("eventscope-bots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bots.ndjson");
    std::fs::write(&file, format!("{GOOGLEBOT}\n{PERSON}\n{CURL}\n")).unwrap();
    let run = |format: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_eventscope"))
            .args(["check", "--format", format, "--show", "info"])
            .arg(&file)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["summary"]["bots"], 2, "{json}");
    assert_eq!(json["summary"]["by_rule"]["traffic/bot"], 2, "{json}");
    let bot = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "traffic/bot")
        .unwrap();
    assert_eq!(bot["severity"], "info");
    assert_eq!(bot["path"], "context.userAgent");
    let text = run("text");
    assert!(text.contains("2 messages sent by bots"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}
