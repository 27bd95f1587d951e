//! Sources and time in the viewer, rendered into ratatui's TestBackend: the source column in
//! each source's colour, the latency column with its skew mark, the header's sparkline and
//! counts per source, and `t` jumping to a time (typed as keys, read off the screen).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use eventscope::entry::{Entry, EntryBuilder};
use eventscope::inspect::Inspector;
use eventscope::model::{Source, SourceLabels, mask_secret};
use eventscope::tui::app::{App, Connection, Mode, SourceKind};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::sources::source_style;
use eventscope::tui::theme::{ColorMode, Theme, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

const WEB_KEY: &str = "wk_live_web_0123456789";
const IOS_KEY: &str = "wk_live_ios_9876543210";
const SERVER_KEY: &str = "wk_live_srv_5555555555";

fn theme() -> Arc<Theme> {
    Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap())
}

/// A recording's viewer (its sparkline ends at the newest message, not the clock).
fn file_app() -> App {
    let source = SourceKind::File {
        path: "session.ndjson".into(),
    };
    let mut app = App::new(source, 1000, theme(), KeyMap::default());
    app.connection = Connection::Loaded;
    app
}

/// Rows as the feed builds them, with `web` and `ios` labelled and the server key not.
fn rows(messages: &[(&str, &str, &str)]) -> Vec<Entry> {
    // As the viewer's feeds build them: judged by the default rules.
    let mut builder = EntryBuilder::judging(Arc::new(Inspector::default()));
    builder.set_sources(Arc::new(SourceLabels::new([
        (WEB_KEY, "web"),
        (IOS_KEY, "ios"),
    ])));
    messages
        .iter()
        .enumerate()
        .map(|(i, (key, received_at, message))| {
            builder.event(
                i as u64 + 1,
                received_at,
                Source {
                    write_key: Some(mask_secret(key)),
                    path: "/v1/batch".into(),
                    ..Source::default()
                },
                None,
                None,
                Box::from(*message),
            )
        })
        .collect()
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

fn screen_line(buffer: &Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect()
}

/// The cell at the first occurrence of `text` on screen.
fn find(buffer: &Buffer, text: &str) -> (u16, u16) {
    for y in 0..buffer.area.height {
        let line = screen_line(buffer, y);
        if let Some(byte) = line.find(text) {
            return (line[..byte].chars().count() as u16, y);
        }
    }
    panic!("{text:?} not on screen");
}

fn on_screen(buffer: &Buffer, text: &str) -> bool {
    (0..buffer.area.height).any(|y| screen_line(buffer, y).contains(text))
}

fn three_sources() -> Vec<Entry> {
    rows(&[
        (
            WEB_KEY,
            "2026-11-22T14:00:00.000Z",
            r#"{"type":"page","name":"Home","anonymousId":"a1","timestamp":"2026-11-22T13:59:59.750Z"}"#,
        ),
        // A mobile batch: stamped three hours before it arrived, sent just now.
        (
            IOS_KEY,
            "2026-11-22T14:01:00.000Z",
            r#"{"type":"track","event":"Song Played","userId":"u1","timestamp":"2026-11-22T11:01:00.000Z"}"#,
        ),
        // The device clock two hours ahead; sent 4 s after it happened.
        (
            IOS_KEY,
            "2026-11-22T14:02:00.000Z",
            r#"{"type":"track","event":"Song Paused","userId":"u1","originalTimestamp":"2026-11-22T16:01:56.000Z","sentAt":"2026-11-22T16:02:00.000Z"}"#,
        ),
        (
            SERVER_KEY,
            "2026-11-22T14:03:00.000Z",
            r#"{"type":"identify","userId":"u1","timestamp":"2026-11-22T14:02:59.000Z"}"#,
        ),
    ])
}

#[test]
fn the_source_column_shows_labels_else_the_masked_key_each_in_its_colour() {
    let mut app = file_app();
    app.ingest_entries(three_sources(), Instant::now());
    let terminal = render(&app, 180, 12);
    insta::assert_snapshot!("sources_and_latency", terminal.backend());
    let buffer = terminal.backend().buffer();
    let t = &app.theme;
    let colour = |text: &str| {
        let (x, y) = find(buffer, text);
        buffer[(x, y)].fg
    };
    let web = colour("web ");
    let ios = colour("ios ");
    let server = colour(&mask_secret(SERVER_KEY));
    assert_eq!(Some(web), source_style(t, "web").fg);
    assert_eq!(Some(ios), source_style(t, "ios").fg);
    assert_eq!(Some(server), source_style(t, &mask_secret(SERVER_KEY)).fg);
    assert!(
        web != ios || ios != server,
        "three sources, one colour: {web:?}"
    );
    // The same source keeps its colour from row to row.
    let (_, first_ios) = find(buffer, "Song Played");
    let (_, second_ios) = find(buffer, "Song Paused");
    let (x, _) = find(buffer, "ios ");
    assert_eq!(buffer[(x, first_ios)].fg, buffer[(x, second_ios)].fg);
}

#[test]
fn the_latency_column_shows_lateness_corrected_for_skew_and_marks_it() {
    let mut app = file_app();
    app.ingest_entries(three_sources(), Instant::now());
    let terminal = render(&app, 180, 12);
    let buffer = terminal.backend().buffer();
    let row = |name: &str| screen_line(buffer, find(buffer, name).1);
    assert!(row("Home").contains("250ms"), "{}", row("Home"));
    // Three hours late: over the default threshold, in the warning colour, and a note (·).
    let late = row("Song Played");
    assert!(late.contains("3h00m") && late.contains('·'), "{late}");
    let (x, y) = find(buffer, "3h00m");
    assert_eq!(
        Some(buffer[(x, y)].fg),
        app.theme.fg(app.theme.ui.warning).fg
    );
    // Two hours of clock skew corrected out: 4 s late, marked `~`.
    let skewed = row("Song Paused");
    assert!(skewed.contains("4s~"), "{skewed}");
    let server = row("5555 identify");
    assert!(server.contains(" 1s "), "{server}");
}

#[test]
fn the_header_draws_a_sparkline_and_counts_per_source() {
    let mut app = file_app();
    // Five minutes of traffic: a burst at the start, a trickle, a burst at the end.
    let mut messages = Vec::new();
    let times: Vec<String> = (0..300)
        .filter(|s| *s < 20 || *s % 60 == 0 || *s >= 285)
        .map(|s| format!("2026-11-22T14:{:02}:{:02}.000Z", s / 60, s % 60))
        .collect();
    for (i, at) in times.iter().enumerate() {
        let key = match i % 5 {
            0 => IOS_KEY,
            4 => SERVER_KEY,
            _ => WEB_KEY,
        };
        messages.push((
            key,
            at.as_str(),
            r#"{"type":"track","event":"Tick","userId":"u1"}"#,
        ));
    }
    app.ingest_entries(rows(&messages), Instant::now());
    let terminal = render(&app, 160, 10);
    insta::assert_snapshot!(
        "header_sparkline",
        screen_line(terminal.backend().buffer(), 0)
    );
    let header = screen_line(terminal.backend().buffer(), 0);
    assert!(header.contains("web 24"), "{header}");
    assert!(header.contains("ios 8"), "{header}");
    assert!(header.contains('█') && header.contains('▁'), "{header}");
    // Narrow: the top source only, and how many more.
    let narrow = screen_line(render(&app, 90, 10).backend().buffer(), 0);
    assert!(
        narrow.contains("web 24") && narrow.contains("+2 more"),
        "{narrow}"
    );
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn jump(app: &mut App, to: &str) -> Terminal<TestBackend> {
    key(app, KeyCode::Char('t'));
    assert!(matches!(app.mode, Mode::Jump(_)), "t opens the prompt");
    type_text(app, to);
    key(app, KeyCode::Enter);
    render(app, 150, 14)
}

fn selected_name(app: &App) -> String {
    let id = app.selected.unwrap();
    let entry = app.store.get(id).unwrap();
    entry.summary.display_name(&entry.text)
}

#[test]
fn t_jumps_to_a_time_of_day_back_from_the_newest_or_an_iso_time_and_refuses_bad_input() {
    let mut app = file_app();
    app.ingest_entries(three_sources(), Instant::now());
    assert_eq!(selected_name(&app), "u1", "the newest is selected");

    // 14:01 on the recording's day: the first message received at or after it.
    let terminal = jump(&mut app, "14:01");
    assert!(matches!(app.mode, Mode::Normal), "a jump closes the prompt");
    assert_eq!(selected_name(&app), "Song Played");
    assert!(!app.follow, "a jump stops following");
    assert!(on_screen(
        terminal.backend().buffer(),
        "jumped to 14:01:00.000 UTC (seq 2)"
    ));
    // The Findings tab says why the row has a note: it arrived three hours late.
    key(&mut app, KeyCode::Char('4'));
    let findings = render(&app, 180, 14);
    assert!(on_screen(findings.backend().buffer(), "spec/late"));
    assert!(on_screen(
        findings.backend().buffer(),
        "arrived 3h00m after its timestamp"
    ));
    key(&mut app, KeyCode::Char('1'));

    // Back from the newest (14:03): -2m is 14:01 again, -90s the message after it.
    jump(&mut app, "-90s");
    assert_eq!(selected_name(&app), "Song Paused");
    jump(&mut app, "-3m");
    assert_eq!(selected_name(&app), "Home");

    // An ISO timestamp, with an offset.
    jump(&mut app, "2026-11-22T15:02:30+01:00");
    assert_eq!(selected_name(&app), "u1");

    // Bad input: an error in the prompt, which stays open; the selection does not move.
    let terminal = jump(&mut app, "half past two");
    assert!(matches!(app.mode, Mode::Jump(_)));
    assert!(on_screen(
        terminal.backend().buffer(),
        "`half past two` is not a time"
    ));
    assert_eq!(selected_name(&app), "u1");
    key(&mut app, KeyCode::Esc);
    // After the newest: said in the prompt.
    let terminal = jump(&mut app, "14:30");
    assert!(on_screen(
        terminal.backend().buffer(),
        "no message shown at or after 14:30:00.000"
    ));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(selected_name(&app), "u1");
}
