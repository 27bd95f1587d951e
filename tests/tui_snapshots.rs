//! The viewer's screens rendered into ratatui's TestBackend: text snapshots (insta, volatile
//! text masked) plus assertions on styles, which text snapshots cannot show.

use std::sync::Arc;
use std::time::Instant;

use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, SourceKind};
use eventscope::tui::highlight::{HighlightKey, Highlighted, highlight_doc};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, Theme, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn theme() -> Arc<Theme> {
    Arc::new(load_theme("dark", ColorMode::TrueColor).unwrap())
}

fn embedded_app() -> App {
    let source = SourceKind::Embedded {
        addr: "127.0.0.1:8707".into(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme(), KeyMap::default());
    app.connection = Connection::Live;
    app
}

fn frame(text: &str) -> Frame {
    match parse_frame_text(text).unwrap() {
        Incoming::Frame(frame) => frame,
        other => panic!("{other:?}"),
    }
}

fn event(seq: u64, millis: u32, message: &str) -> Frame {
    frame(&format!(
        r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T10:00:00.{millis:03}Z","source":{{"writeKey":"wk_t…cdef","keyFrom":"basic","path":"/v1/batch","ip":"127.0.0.1"}},"message":{message}}}"#
    ))
}

const ORDER: &str = r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"order_id":"ord_1","revenue":42.5,"currency":"USD","products":[{"sku":"sk-1","price":42.5}]},"context":{"library":{"name":"analytics.js","version":"next-1.70.0"}},"messageId":"m-order","timestamp":"2026-11-22T10:00:00.100Z"}"#;

fn sample_events() -> Vec<Frame> {
    vec![
        event(
            1,
            101,
            r#"{"type":"page","name":"Pricing","anonymousId":"anon-1","messageId":"m-1"}"#,
        ),
        event(
            2,
            202,
            r#"{"type":"identify","userId":"user_42","traits":{"email":"jane@example.com"},"messageId":"m-2"}"#,
        ),
        event(3, 303, ORDER),
    ]
}

/// Renders with the selected message highlighted synchronously (as the worker would).
fn render(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let highlighted = app.detail_doc.as_ref().map(|(id, doc)| Highlighted {
        key: HighlightKey {
            id: *id,
            theme: app.theme.name.clone(),
        },
        doc: Arc::clone(doc),
        lines: Arc::new(highlight_doc(doc, &app.theme)),
    });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            views::draw(f, app, highlighted.as_ref());
        })
        .unwrap();
    terminal
}

fn snapshot(name: &str, terminal: &Terminal<TestBackend>) {
    insta::with_settings!({filters => vec![(r"\d+/s", "N/s")]}, {
        insta::assert_snapshot!(name, terminal.backend());
    });
}

/// The cell at the first occurrence of `text` on screen.
fn find(buffer: &Buffer, text: &str) -> (u16, u16) {
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return (x, y);
        }
    }
    panic!("{text:?} not on screen");
}

#[test]
fn empty_state_tells_where_to_point_an_sdk() {
    let app = embedded_app();
    let terminal = render(&app, 120, 24);
    snapshot("empty_state", &terminal);
}

#[test]
fn list_and_detail_with_a_highlighted_track_message() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    let terminal = render(&app, 140, 30);
    snapshot("list_and_detail", &terminal);
    let buffer = terminal.backend().buffer();
    let key = find(buffer, "\"revenue\"");
    let value = find(buffer, "\"Order Completed\",");
    let number = find(buffer, "42.5,");
    let (key_fg, value_fg, number_fg) = (
        buffer[key].fg,
        buffer[(value.0 + 1, value.1)].fg,
        buffer[number].fg,
    );
    assert_ne!(key_fg, value_fg, "keys and strings are coloured apart");
    assert_ne!(
        value_fg, number_fg,
        "strings and numbers are coloured apart"
    );
    assert!(matches!(key_fg, Color::Rgb(..)), "true colour: {key_fg:?}");
}

#[test]
fn a_rejected_request_is_a_red_row_with_its_error_and_body() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.ingest(
        vec![frame(
            r#"{"type":"rejected","seq":4,"receivedAt":"2026-11-22T10:00:01.000Z","source":{"path":"/v1/track","ip":"127.0.0.1"},"status":400,"code":"invalid_json","message":"Invalid JSON: EOF while parsing an object at line 1 column 19","body":"{\"event\":\"Signed Up\"","bodyBytes":20}"#,
        )],
        Instant::now(),
    );
    let terminal = render(&app, 140, 24);
    snapshot("rejected_row", &terminal);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "rejected");
    assert_eq!(buffer[(x, y)].fg, app.theme.ui.rejected);
    find(buffer, "400 invalid_json");
    find(buffer, "{\"event\":\"Signed Up\"");
}

#[test]
fn a_gap_is_a_separator_row_naming_what_was_missed() {
    let mut app = embedded_app();
    let mut frames = sample_events();
    frames.insert(
        1,
        frame(r#"{"type":"gap","from":2,"to":1235,"reason":"subscriber too slow: frames were evicted before they could be sent (--buffer 100000)"}"#),
    );
    app.ingest(frames, Instant::now());
    let terminal = render(&app, 140, 20);
    snapshot("gap_separator", &terminal);
    let buffer = terminal.backend().buffer();
    let at = find(buffer, "— 1,234 frames missed");
    assert_eq!(buffer[at].fg, app.theme.ui.gap);
}

#[test]
fn an_active_filter_shows_only_matches_and_marks_them_in_the_detail() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.update(Action::OpenFilter);
    for c in "user:user_42 revenue".chars() {
        app.filter_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
    app.filter_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Enter,
    ));
    assert_eq!(app.shown_len(), 1);
    let terminal = render(&app, 140, 24);
    snapshot("filter_with_matches", &terminal);
    let buffer = terminal.backend().buffer();
    let at = find(buffer, "revenue\":");
    assert_eq!(buffer[at].bg, app.theme.ui.match_bg, "the match is marked");
}

#[test]
fn a_filter_that_does_not_parse_shows_its_error_and_keeps_the_last_valid_one() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.update(Action::OpenFilter);
    // Filtering is live: each prefix that parses applies; `or (` never does.
    for c in "type:page or (".chars() {
        app.filter_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
    assert_eq!(app.store.filter().source(), "type:page o");
    assert_eq!(app.shown_len(), 1, "the last valid filter stays");
    let terminal = render(&app, 140, 12);
    let buffer = terminal.backend().buffer();
    let at = find(buffer, "✗");
    assert_eq!(buffer[at].fg, app.theme.ui.error);
    // Esc restores the filter from before editing.
    app.filter_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Esc,
    ));
    assert_eq!(app.store.filter().source(), "");
    assert_eq!(app.shown_len(), 3);
}

#[test]
fn the_help_overlay_lists_every_binding() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.update(Action::Help);
    let terminal = render(&app, 120, 40);
    snapshot("help_overlay", &terminal);
    let buffer = terminal.backend().buffer();
    for action in Action::ALL {
        find(buffer, action.description());
    }
}

#[test]
fn under_100_columns_the_panes_stack() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    let terminal = render(&app, 90, 40);
    snapshot("narrow_layout", &terminal);
    let buffer = terminal.backend().buffer();
    let (_, list_y) = find(buffer, "Messages");
    let (_, detail_y) = find(buffer, "Pretty");
    assert!(detail_y > list_y + 3, "the detail pane is below the list");
}

#[test]
fn no_color_draws_without_colours_and_keeps_the_selection_visible() {
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::File {
        path: "session.ndjson".into(),
    };
    let mut app = App::new(source, 1000, theme, KeyMap::default());
    app.ingest(sample_events(), Instant::now());
    let terminal = render(&app, 140, 20);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    let (x, y) = find(buffer, "Order Completed ");
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED),
        "the selected row is in reverse video"
    );
}

/// An app whose rows are judged, as the feeds do it, with the fixture plan.
fn judged_app(frames: Vec<Frame>) -> App {
    use eventscope::inspect::Inspector;
    use eventscope::inspect::plan::TrackingPlan;
    use eventscope::tui::store::EntryBuilder;
    let plan = TrackingPlan::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/plan.json"
    )))
    .unwrap();
    let inspector = Arc::new(Inspector {
        plan: Some(plan),
        ..Inspector::default()
    });
    let mut app = embedded_app();
    app.inspector = Arc::clone(&inspector);
    let entries = EntryBuilder::judging(inspector).build_all(frames);
    app.ingest_entries(entries, Instant::now());
    app
}

const WRONG_TYPE: &str = r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"order_id":"ord_1","checkout_id":"chk_1","total":"42.50","revenue":40,"currency":"USD","products":[]},"messageId":"m-wrong"}"#;
const PHONE_IN_NOTES: &str = r#"{"type":"group","groupId":"grp_1","userId":"user_42","traits":{"name":"Globex","notes":"call me on +1 (415) 555-9120 after 5pm"},"messageId":"m-phone"}"#;

#[test]
fn verdicts_show_in_the_list_and_under_the_offending_line() {
    let app = judged_app(vec![
        event(
            1,
            101,
            r#"{"type":"page","name":"Pricing","anonymousId":"anon-1","messageId":"m-1"}"#,
        ),
        event(2, 202, PHONE_IN_NOTES),
        event(3, 303, WRONG_TYPE),
    ]);
    let terminal = render(&app, 150, 24);
    snapshot("verdicts_inline", &terminal);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "✗");
    assert_eq!(
        buffer[(x, y)].fg,
        app.theme.ui.error,
        "the verdict column marks errors"
    );
    let (_, offending) = find(buffer, "\"total\": \"42.50\"");
    let (_, finding) = find(buffer, "╰ ✗ plan/type");
    assert_eq!(
        finding,
        offending + 1,
        "the finding sits right under its line"
    );
}

#[test]
fn pii_values_are_highlighted_and_the_findings_tab_lists_everything() {
    let mut app = judged_app(vec![event(1, 101, PHONE_IN_NOTES)]);
    let terminal = render(&app, 150, 20);
    snapshot("pii_highlight", &terminal);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "\"call me on");
    assert_eq!(
        buffer[(x, y)].fg,
        app.theme.ui.pii,
        "the PII value is highlighted"
    );
    find(buffer, "pii/phone");

    app.update(Action::ToggleMask);
    let terminal = render(&app, 150, 20);
    let buffer = terminal.backend().buffer();
    find(buffer, "\"notes\": \"••••••\"");

    app.update(Action::ShowFindings);
    let terminal = render(&app, 150, 20);
    snapshot("findings_tab", &terminal);
    let buffer = terminal.backend().buffer();
    find(buffer, "pii/phone traits.notes");

    // Enter on a finding shows its line in the Pretty tab.
    app.update(Action::SwitchFocus);
    let index = app
        .detail_findings
        .findings
        .iter()
        .position(|f| f.rule == "pii/phone")
        .unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::JumpToFinding);
    assert_eq!(app.tab, eventscope::tui::app::Tab::Pretty);
    let doc = &app.detail_doc.as_ref().unwrap().1;
    assert_eq!(doc.lines[app.detail_cursor].path, "traits.notes");
}

#[test]
fn the_summary_view_counts_messages_findings_and_pii_per_event() {
    let mut app = judged_app(vec![
        event(
            1,
            101,
            r#"{"type":"page","name":"Pricing","anonymousId":"anon-1","messageId":"m-1"}"#,
        ),
        event(2, 202, PHONE_IN_NOTES),
        event(3, 303, WRONG_TYPE),
        event(4, 404, WRONG_TYPE),
    ]);
    app.update(Action::Summary);
    let terminal = render(&app, 150, 20);
    snapshot("summary_view", &terminal);
    let buffer = terminal.backend().buffer();
    let (_, y) = find(buffer, "Order Completed");
    let row: String = (0..150)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    assert!(row.contains("plan/type×2"), "{row}");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(cells.contains(&"2"), "two messages: {row}");
}
