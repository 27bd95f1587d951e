//! Terminal safety and huge messages in the viewer, rendered into ratatui's TestBackend:
//! control, bidi and zero-width characters are shown escaped and never reach the terminal,
//! wide characters keep the columns aligned, and a huge message is shown cut, laid out once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::sync::Arc;
use std::time::Instant;

use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, SourceKind, Tab};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::text::is_hidden;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn app() -> App {
    let theme = Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap());
    let source = SourceKind::Embedded {
        addr: "127.0.0.1:8707".into(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.connection = Connection::Live;
    app
}

fn frame(text: &str) -> Frame {
    match parse_frame_text(text).unwrap() {
        Incoming::Frame(frame) => frame,
        other => panic!("{other:?}"),
    }
}

/// An event frame; `path` is the request path the source names.
fn event(seq: u64, path: &str, message: &str) -> Frame {
    frame(&format!(
        r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T10:00:00.{seq:03}Z","source":{{"writeKey":"wk_t…cdef","path":{path},"ip":"127.0.0.1"}},"message":{message}}}"#,
        path = serde_json::to_string(path).unwrap()
    ))
}

fn track(seq: u64, name: &str) -> Frame {
    let message = serde_json::json!({
        "type": "track",
        "event": name,
        "userId": format!("user-{seq}"),
        "messageId": format!("m-{seq}"),
    });
    event(seq, "/v1/track", &message.to_string())
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            views::draw(f, app, None);
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

/// The cells of row `y` from `x` on, as text.
fn row_from(buffer: &Buffer, x: u16, y: u16) -> String {
    (x..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect()
}

/// The column and row where `text` starts, looking only at columns below `max_x`.
fn cell_of(buffer: &Buffer, text: &str, max_x: u16) -> Option<(u16, u16)> {
    for y in 0..buffer.area.height {
        for x in 0..max_x.min(buffer.area.width) {
            if row_from(buffer, x, y).starts_with(text) {
                return Some((x, y));
            }
        }
    }
    None
}

fn screen_text(buffer: &Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| row_from(buffer, 0, y))
        .collect::<Vec<_>>()
        .join("\n")
}

/// No cell holds a character a terminal would act on or hide.
fn assert_nothing_hidden(buffer: &Buffer) {
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let symbol = buffer[(x, y)].symbol();
            assert!(
                !symbol.chars().any(is_hidden),
                "cell ({x}, {y}) holds {:?}:\n{}",
                symbol.escape_unicode().to_string(),
                screen_text(buffer)
            );
        }
    }
}

/// Names with a NUL, an ANSI colour, a right-to-left override, a zero-width joiner, wide CJK
/// and emoji, and plain ASCII for reference.
const NAMES: [&str; 8] = [
    "Order Completed",
    "nul\u{0}byte",
    "\u{1b}[31mRed Alert",
    "abc\u{202e}fed",
    "zero\u{200d}width\u{200b}join",
    "注文完了",
    "🎉 Party 👨‍👩‍👧 time",
    "長い名前長い名前長い名前長い名前長い名前長い名前長い名前長い名前",
];

#[test]
fn columns_after_the_name_line_up_whatever_the_name_holds() {
    let mut app = app();
    let frames = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| track(i as u64 + 1, name))
        .collect();
    app.ingest(frames, Instant::now());
    let buffer = render(&app, 140, 20);
    // The list is the left half: find each row's user id there.
    let list_width = 70;
    let mut user_columns = Vec::new();
    for seq in 1..=NAMES.len() {
        let (x, _) = cell_of(&buffer, &format!("user-{seq}"), list_width)
            .unwrap_or_else(|| panic!("user-{seq} in the list:\n{}", screen_text(&buffer)));
        user_columns.push(x);
    }
    assert!(
        user_columns.iter().all(|x| *x == user_columns[0]),
        "the user column starts at the same x on every row: {user_columns:?}\n{}",
        screen_text(&buffer)
    );
    assert_nothing_hidden(&buffer);
    let screen = screen_text(&buffer);
    for shown in [
        "nul\\u0000byte",
        "\\u001b[31mRed",
        "abc\\u202efed",
        "zero\\u200dwidth",
    ] {
        assert!(screen.contains(shown), "{shown} shown escaped:\n{screen}");
    }
    assert!(
        screen.contains("注 文 完 了") || screen.contains("注文完了"),
        "{screen}"
    );
    assert!(
        screen.contains("長 い 名 前"),
        "a long wide name is cut, not dropped:\n{screen}"
    );
}

#[test]
fn a_wide_name_is_cut_on_a_character_at_the_column_edge() {
    let mut app = app();
    app.ingest(vec![track(1, NAMES[7]), track(2, "x")], Instant::now());
    // Every width, so the cut falls both on and between the halves of a wide character (the
    // panes stack under 100 columns: the list is as wide as the screen).
    for width in 80..=95 {
        let buffer = render(&app, width, 24);
        let (a, _) = cell_of(&buffer, "user-1", width).expect("user-1");
        let (b, _) = cell_of(&buffer, "user-2", width).expect("user-2");
        assert_eq!(a, b, "width {width}:\n{}", screen_text(&buffer));
        let (x, y) = cell_of(&buffer, "長", width).expect("the name");
        let name = row_from(&buffer, x, y);
        let cut = name.split('…').next().unwrap();
        assert!(name.contains('…'), "{name}");
        assert!(!cut.contains('\u{fffd}'), "no character split: {cut}");
    }
}

#[test]
fn every_pane_escapes_what_a_peer_sent() {
    let mut app = app();
    let message = serde_json::json!({
        "type": "track",
        "event": "\u{1b}[2J\u{1b}]0;owned\u{7}",
        "userId": "u\u{202e}1",
        "properties": {"note": "\u{9b}31m c1 \u{2066}isolate\u{2069} \u{feff}bom"},
    });
    app.ingest(
        vec![
            event(1, "/v1/track\u{1b}[1m", &message.to_string()),
            frame(
                r#"{"type":"rejected","seq":2,"receivedAt":"2026-11-22T10:00:01.000Z","source":{"path":"/v1/t\u001b[5m","ip":"127.0.0.1"},"status":400,"code":"invalid_json","message":"bad \u001b[41m JSON","body":"{\"a\":\"\u001b[2J\u0000\"\n\t\"b\u202e\"","bodyBytes":20}"#,
            ),
            frame(
                r#"{"type":"gap","from":3,"to":4,"reason":"evicted \u001b[8m hidden"}"#,
            ),
        ],
        Instant::now(),
    );
    // Each row selected in turn, in each tab.
    for index in 0..3 {
        app.select_row(index);
        for &tab in Tab::shown(!app.routing.is_empty()) {
            while app.detail.tab != tab {
                app.update(Action::NextTab);
            }
            let buffer = render(&app, 140, 30);
            assert_nothing_hidden(&buffer);
        }
    }
    app.select_row(0);
    while app.detail.tab != Tab::Raw {
        app.update(Action::NextTab);
    }
    let screen = screen_text(&render(&app, 140, 30));
    assert!(screen.contains("\\u001b[2J"), "{screen}");
    assert!(
        screen.contains("/v1/track\\u001b[1m"),
        "the title escapes the path: {screen}"
    );
    assert!(screen.contains("\\u2066isolate\\u2069"), "{screen}");
    app.select_row(1);
    let screen = screen_text(&render(&app, 140, 30));
    assert!(screen.contains("bad \\u001b[41m JSON"), "{screen}");
    assert!(
        screen.contains("\\u001b[2J\\u0000"),
        "the rejected body: {screen}"
    );
    assert!(screen.contains("    \"b\\u202e\""), "tabs indent: {screen}");
    app.update(Action::OpenFilter);
    let screen = screen_text(&render(&app, 140, 30));
    assert!(!screen.contains('\u{1b}'));
}

#[test]
fn a_huge_message_is_laid_out_once_off_the_ui_task_and_shown_cut() {
    let mut app = app();
    let blob = "a".repeat(3 << 20);
    let many: serde_json::Map<String, serde_json::Value> =
        (0..30_000).map(|i| (format!("k{i}"), i.into())).collect();
    let message = serde_json::json!({
        "type": "track",
        "event": "Huge Payload",
        "userId": "user-1",
        "properties": {"blob": blob, "many": many},
    });
    app.ingest(
        vec![
            event(1, "/v1/track", &message.to_string()),
            track(2, "Small"),
        ],
        Instant::now(),
    );
    app.select_row(0);
    assert!(app.detail.doc.is_none(), "not laid out on the UI task");
    assert_eq!(app.detail.pending, app.selected);
    let screen = screen_text(&render(&app, 140, 30));
    assert!(
        screen.contains("Laying out and judging this message"),
        "{screen}"
    );

    let job = app.take_detail_job().expect("a job for the loop to run");
    assert!(app.take_detail_job().is_none(), "asked for once");
    let (doc, findings) = (job.layout(), job.judge());
    assert!(
        findings.iter().any(|f| &*f.rule == "spec/too-large"),
        "judged: {findings:?}"
    );
    let shown: usize = doc.lines.iter().map(|l| l.text.len()).sum();
    assert!(shown < 2 << 20, "the layout is bounded: {shown} bytes");
    assert!(doc.lines.iter().all(|l| l.text.len() <= 16 * 1024));
    app.detail_ready(job.id, doc, findings, job.route(), job.warehouse());
    let doc = &app.detail.doc.as_ref().expect("shown").1;
    assert!(
        doc.lines
            .last()
            .unwrap()
            .text
            .contains("the rest is not shown"),
        "{:?}",
        doc.lines.last()
    );
    let screen = screen_text(&render(&app, 140, 30));
    assert!(screen.contains("\"blob\": \"aaaa"), "{screen}");

    while app.detail.tab != Tab::Raw {
        app.update(Action::NextTab);
    }
    let screen = screen_text(&render(&app, 140, 30));
    assert!(screen.contains("The first 65,536 bytes of"), "{screen}");
    while app.detail.tab != Tab::Call {
        app.update(Action::NextTab);
    }
    let screen = screen_text(&render(&app, 140, 30));
    assert!(
        screen.contains("No SDK call for 3,573,599 bytes"),
        "{screen}"
    );

    // A result that comes after the selection moved on is dropped.
    app.select_row(1);
    app.detail_ready(job.id, Default::default(), Vec::new(), None, None);
    assert_ne!(app.detail.doc.as_ref().map(|(id, _)| *id), Some(job.id));
}
