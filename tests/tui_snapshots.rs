//! The viewer's screens rendered into ratatui's TestBackend: text snapshots (insta, volatile
//! text masked) plus assertions on styles, which text snapshots cannot show.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

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
    let highlighted = app.detail.doc.as_ref().map(|(id, doc)| Highlighted {
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

/// analytics.js's telemetry posts (`/v1/m`) are counted in the header, not shown as rows.
#[test]
fn the_header_counts_sdk_metrics_posts_apart_from_events_and_rejections() {
    let header = |app: &App| {
        let terminal = render(app, 120, 24);
        let buffer = terminal.backend().buffer();
        (0..buffer.area.width)
            .map(|x| buffer[(x, 0)].symbol().to_string())
            .collect::<String>()
    };
    let mut app = embedded_app();
    let metrics = eventscope::hub::MetricsCounter::default();
    app.sdk_metrics = Some(metrics.clone());
    assert!(
        !header(&app).contains("metrics"),
        "none yet: {}",
        header(&app)
    );
    metrics.add();
    metrics.add();
    let line = header(&app);
    assert!(line.contains("0 rejected · 2 metrics"), "{line}");
    assert!(line.contains("0 events"), "{line}");
    // And no row for them: the list still waits for its first event.
    find(
        render(&app, 120, 24).backend().buffer(),
        "Waiting for events.",
    );
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
    // The main view's bindings one per line (wrapped at 80 columns); the popups' keys, the
    // row marks and the filter terms follow (see tests/tui_keys.rs).
    // Only the overlay's columns: the view around it must not split a wrapped description.
    let screen = screen_text(&render(&app, 120, 100));
    let top = screen.lines().find(|l| l.contains("┌ Keys")).unwrap();
    let left = top.chars().position(|c| c == '┌').unwrap();
    let right = left + top.chars().skip(left).position(|c| c == '┐').unwrap();
    let overlay: Vec<String> = screen
        .lines()
        .map(|l| l.chars().skip(left).take(right + 1 - left).collect())
        .collect();
    let all = words(&overlay.join("\n"));
    for action in Action::ALL
        .into_iter()
        .filter(|a| a.context() == eventscope::tui::action::Context::Main)
    {
        assert!(all.contains(&words(action.description())), "{action:?}");
    }
}

/// The text as words: borders and runs of spaces become one space.
fn words(text: &str) -> String {
    text.replace(['│', '┌', '┐', '└', '┘', '─'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The detail pane's column of a side-by-side screen, as words.
fn detail_words(screen: &str) -> String {
    let column: Vec<&str> = screen
        .lines()
        .filter_map(|line| line.split('│').nth(3))
        .collect();
    words(&column.join("\n"))
}

#[test]
fn at_80_by_24_the_header_keeps_its_state_and_the_help_scrolls_through_every_term() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.apply_filter("type:track or type:page");
    app.update(Action::Up);
    app.ingest(
        vec![event(
            4,
            404,
            r#"{"type":"page","name":"Docs","anonymousId":"anon-2","messageId":"m-4"}"#,
        )],
        Instant::now(),
    );
    let terminal = render(&app, 80, 24);
    let text = screen_text(&terminal);
    let header = text.lines().next().unwrap();
    assert!(header.contains("scrolled · 1 new ↓"), "{text}");
    assert!(header.contains("3 shown"), "{text}");
    assert!(header.trim_end().chars().count() <= 80, "{text}");

    // The help, page by page: every filter term and every row mark, nothing cut at the right.
    app.update(Action::Help);
    let mut seen = String::new();
    for _ in 0..10 {
        let text = screen_text(&render(&app, 80, 24));
        assert!(text.contains("┌ Keys"), "{text}");
        seen.push_str(&words(&text));
        seen.push(' ');
        app.update(Action::PageDown);
    }
    for term in eventscope::filter::TERMS {
        assert!(
            seen.contains(&words(&format!("{} {}", term.syntax, term.help))),
            "{} is missing from the help at 80×24",
            term.syntax
        );
    }
    for (glyph, meaning) in eventscope::tui::glyphs::LEGEND {
        assert!(
            seen.contains(&words(&format!("{glyph} {meaning}"))),
            "{glyph}"
        );
    }
}

#[test]
fn a_scrolled_list_says_it_is_not_following_and_g_follows_again() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.update(Action::Up);
    let more = (4..6)
        .map(|seq| {
            event(
                seq,
                500,
                r#"{"type":"track","event":"Late","userId":"u","messageId":"m-late"}"#,
            )
        })
        .collect();
    app.ingest(more, Instant::now());
    let text = screen_text(&render(&app, 160, 45));
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("↑ scrolled · 2 new ↓ · G follows"),
        "{text}"
    );
    assert!(!text.contains("● live"), "{text}");
    app.update(Action::Live);
    let text = screen_text(&render(&app, 160, 45));
    assert!(text.lines().next().unwrap().contains("● live"), "{text}");
}

#[test]
fn at_160_by_45_findings_say_path_and_value_once_and_wrap_without_cutting() {
    let app = judged_app(vec![event(3, 303, WRONG_TYPE)]);
    let text = screen_text(&render(&app, 160, 45));
    let detail = detail_words(&text);
    assert!(
        detail.contains(
            "╰ ✗ plan/type + spec/reserved-type should be a number, got string \"42.50\" (Order Completed v1)"
        ),
        "{text}"
    );
    // The plan and the spec judge the same field for the same cause: one finding, both rules.
    assert_eq!(
        detail.matches("\"42.50\"").count(),
        2,
        "the line and its one finding: {detail}"
    );
    assert!(
        !detail.contains("properties.total properties.total"),
        "{detail}"
    );
}

#[test]
fn pii_in_its_expected_place_gets_no_row_mark_and_the_footer_explains_the_marks_once() {
    let mut app = judged_app(vec![event(
        1,
        101,
        r#"{"type":"identify","userId":"user_42","traits":{"email":"jane@example.com"},"messageId":"m-e","context":{"library":{"name":"analytics.js","version":"1"}}}"#,
    )]);
    let text = screen_text(&render(&app, 160, 45));
    let row = text.lines().find(|l| l.contains("identify")).unwrap();
    let list = row.split('│').nth(1).unwrap();
    assert!(!list.contains('·') && !list.contains('●'), "{row}");
    assert!(!text.contains("row marks:"), "no glyph yet: {text}");

    let entries = eventscope::entry::EntryBuilder::judging(Arc::clone(&app.inspector))
        .build_all(vec![event(2, 202, WRONG_TYPE)]);
    app.ingest_entries(entries, Instant::now());
    let text = screen_text(&render(&app, 160, 45));
    assert!(
        text.contains("row marks: ✗ error · ! warning · ● PII · · note"),
        "{text}"
    );
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
    use eventscope::entry::EntryBuilder;
    use eventscope::inspect::Inspector;
    let plan = eventscope::cli::plan::load(std::path::Path::new(concat!(
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
        .detail
        .findings
        .findings
        .iter()
        .position(|f| f.rule == "pii/phone")
        .unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::JumpToFinding);
    assert_eq!(app.detail.tab, eventscope::tui::app::Tab::Pretty);
    let doc = &app.detail.doc.as_ref().unwrap().1;
    assert_eq!(doc.lines[app.detail.cursor].path, "traits.notes");
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

/// The fixture's 600 messages as frames.
fn fixture_frames() -> Vec<Frame> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/events.ndjson"
    ))
    .unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| event(i as u64 + 1, (i % 1000) as u32, line))
        .collect()
}

/// The screen's text, its lines joined by spaces (a wrapped cell reads whole within a line).
fn joined(terminal: &Terminal<TestBackend>) -> String {
    screen_text(terminal).lines().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_summary_fits_80x24_and_160x45_with_every_rule_of_every_row_shown_whole() {
    use eventscope::tui::popups::summary::SummaryTab;
    for (width, height) in [(80, 24), (160, 45)] {
        let mut app = judged_app(fixture_frames());
        app.update(Action::Summary);
        let rows = match &app.mode {
            Mode::Summary(view) => view.events.clone(),
            other => panic!("{other:?}"),
        };
        assert!(rows.len() > 10, "{rows:?}");
        assert!(rows.iter().any(|r| r.errors > 0 && !r.rules.is_empty()));
        // Every row in turn is selected, hence drawn: its name and every rule×count whole.
        for (i, row) in rows.iter().enumerate() {
            let terminal = render(&app, width, height);
            let screen = joined(&terminal);
            let name_shown: String = row.name.chars().take(20).collect();
            assert!(
                screen.contains(&format!("▶ {name_shown}")) || row.name.is_empty(),
                "{width}x{height}: row {i} {:?} is not drawn:\n{}",
                row.name,
                screen_text(&terminal)
            );
            for (rule, n) in &row.rules {
                let cell = format!("{rule}×{}", views::thousands(*n));
                assert!(
                    screen.contains(&cell),
                    "{width}x{height}: {cell} of {:?} is cut or missing:\n{}",
                    row.name,
                    screen_text(&terminal)
                );
            }
            for word in ["PII-R", "PII-Y", "secrets", "personal data", "err", "warn"] {
                assert!(screen.contains(word), "{width}x{height}: no {word}");
            }
            app.update(Action::SummaryDown);
        }
        // The by-rule tab at the same size: every rule code whole, with its severity.
        app.update(Action::SummaryNextTab);
        let rules = match &app.mode {
            Mode::Summary(view) => {
                assert_eq!(view.tab, SummaryTab::ByRule);
                view.rules.clone()
            }
            other => panic!("{other:?}"),
        };
        assert!(
            rules.iter().any(|r| r.rule.starts_with("plan/")),
            "{rules:?}"
        );
        for rule in &rules {
            let terminal = render(&app, width, height);
            let screen = joined(&terminal);
            assert!(
                screen.contains(&format!("▶ {}", rule.rule)),
                "{width}x{height}: {} is not drawn whole:\n{}",
                rule.rule,
                screen_text(&terminal)
            );
            let top = &rule.events[0];
            let top_name = if top.name.is_empty() {
                &top.kind
            } else {
                &top.name
            };
            assert!(screen.contains(&format!("{top_name}×")), "{top_name}");
            app.update(Action::SummaryDown);
        }
        if (width, height) == (80, 24) {
            app.update(Action::SummaryTop);
            snapshot("summary_by_rule_80x24", &render(&app, width, height));
            app.update(Action::SummaryPrevTab);
            snapshot("summary_by_event_80x24", &render(&app, width, height));
        }
    }
}

// ---- Marks, forwarding and deliveries ----

use eventscope::config::Config;
use eventscope::tui::app::{Destinations, Effect, Mode, View};
use eventscope::tui::views::Highlights;

const DESTINATIONS: &str = r#"
[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9000/in"
shared_secret = "whsec_0123456789abcdef"
headers = { Authorization = "Bearer tok_live_0123456789abcdef" }

[[destination]]
name = "ga"
kind = "ga4"
measurement_id = "G-TEST123"
api_secret = "sk_ga_0123456789abcdef"
"#;

fn destinations(toml: &str) -> Destinations {
    let config = Config::parse(toml, "eventscope.toml").unwrap();
    Destinations::from_config(
        &config.destination,
        Some(std::path::Path::new("eventscope.toml")),
    )
}

/// Runs the mapping an `Effect::Map` asks for, as the event loop does off the UI task.
fn run_map(app: &mut App, effect: Option<Effect>) {
    match effect {
        Some(Effect::Map(job)) => {
            let result = eventscope::tui::forward::prepare(
                job.destination,
                &job.messages,
                Some(&job.inspector),
            );
            app.forward_mapped(job.generation, result);
        }
        other => panic!("expected a mapping, got {other:?}"),
    }
}

fn highlight(id: u64, doc: &Arc<eventscope::model::pretty::PrettyDoc>, app: &App) -> Highlighted {
    Highlighted {
        key: HighlightKey {
            id,
            theme: app.theme.name.clone(),
        },
        doc: Arc::clone(doc),
        lines: Arc::new(highlight_doc(doc, &app.theme)),
    }
}

/// Renders with every highlighting ready (as the workers would make it).
fn render_all(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let message = app
        .detail
        .doc
        .as_ref()
        .map(|(id, doc)| highlight(*id, doc, app));
    let forward = app.forward_popup().and_then(|popup| {
        let shown = popup.shown.as_ref()?;
        Some(highlight(popup.highlight_id(), &shown.doc, app))
    });
    let docs = app.delivery_view.docs.as_ref();
    let request = docs.map(|d| highlight(d.id, &d.request, app));
    let response = docs.map(|d| highlight(d.id, &d.response, app));
    let highlights = Highlights {
        message: message.as_ref(),
        forward: forward.as_ref(),
        request: request.as_ref(),
        response: response.as_ref(),
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            views::draw_all(f, app, &highlights);
        })
        .unwrap();
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn marked_rows_show_a_mark_and_the_header_counts_them() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.update(Action::Top);
    app.update(Action::ToggleMark);
    app.update(Action::Down);
    app.update(Action::ToggleMark);
    let terminal = render(&app, 140, 12);
    snapshot("marked_rows", &terminal);
    let buffer = terminal.backend().buffer();
    find(buffer, "2 marked");
    let (x, y) = find(buffer, "● 10:00:00.101");
    assert_eq!(
        buffer[(x, y)].fg,
        app.theme.ui.accent,
        "the mark is in the accent colour"
    );
    find(buffer, "● 10:00:00.303");
    let text = screen_text(&terminal);
    assert!(
        text.contains("  10:00:00.202"),
        "the unmarked row has an empty gutter"
    );
    find(buffer, "f forward");
}

#[test]
fn the_forward_preview_shows_the_exact_request_with_secrets_masked() {
    let mut app = embedded_app();
    app.destinations = destinations(DESTINATIONS);
    app.ingest(sample_events(), Instant::now());
    app.update(Action::MarkMatching);
    let effect = app.update(Action::Forward);
    assert!(matches!(app.mode, Mode::Forward(_)));
    run_map(&mut app, effect);
    app.status = None;
    let terminal = render_all(&app, 140, 32);
    snapshot("forward_preview", &terminal);
    let text = screen_text(&terminal);
    assert!(text.contains("Forward 3 messages"), "{text}");
    assert!(text.contains("POST http://127.0.0.1:9000/in"), "{text}");
    assert!(text.contains("request 1 of 3"), "{text}");
    assert!(text.contains("Authorization: Bear…cdef"), "{text}");
    assert!(
        !text.contains("tok_live_0123456789abcdef"),
        "the secret never shows"
    );
    assert!(text.contains("X-Signature: "), "{text}");
    let buffer = terminal.backend().buffer();
    let key = find(buffer, "\"type\"");
    let value = find(buffer, "\"page\"");
    assert_ne!(buffer[key].fg, buffer[value].fg, "the body is highlighted");

    // The next request, then GA4: its api_secret sits in the URL, masked.
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char(']'),
    ));
    let text = screen_text(&render_all(&app, 140, 32));
    assert!(text.contains("request 2 of 3"), "{text}");
    assert!(text.contains("\"identify\""), "{text}");
    let effect = app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Right,
    ));
    run_map(&mut app, effect);
    let text = screen_text(&render_all(&app, 140, 32));
    assert!(text.contains("api_secret=sk_g…cdef"), "{text}");
    assert!(
        !text.contains("sk_ga_0123456789abcdef"),
        "the secret never shows"
    );
    assert!(text.contains("measurement_id=G-TEST123"), "{text}");
}

#[test]
fn the_forward_popup_without_destinations_says_what_to_write() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    assert!(app.update(Action::Forward).is_none());
    let text = screen_text(&render_all(&app, 120, 24));
    assert!(text.contains("No destination is configured."), "{text}");
    assert!(text.contains("[[destination]]"), "{text}");
    assert!(text.contains("kind = \"webhook\""), "{text}");
}

fn delivery_frames() -> Vec<Frame> {
    vec![
        frame(
            r#"{"type":"delivery","seq":4,"at":"2026-11-22T10:00:01.250Z","destination":"upstream","kind":"upstream","forSeqs":[3],"messageIds":["m-order"],"request":{"method":"POST","url":"https://api.segment.io/v1/batch","headers":[["Authorization","Basic d2tf…Og=="],["Content-Type","application/json"]],"body":"{\"batch\":[{\"type\":\"track\",\"event\":\"Order Completed\"}]}","bodyBytes":52},"status":200,"ok":true,"latencyMs":42.3,"totalMs":42.3,"attempts":1,"response":{"headers":[["content-type","application/json"]],"body":"{\"success\":true}","bodyBytes":16}}"#,
        ),
        frame(
            r#"{"type":"delivery","at":"2026-11-22T10:00:02.500Z","destination":"amp-dev","kind":"amplitude","forSeqs":[1,3],"messageIds":["m-1","m-order"],"request":{"method":"POST","url":"https://api2.amplitude.com/2/httpapi","headers":[["Content-Type","application/json"]],"body":"{\"api_key\":\"am…ef\",\"events\":[{\"event_type\":\"Order Completed\",\"user_id\":\"u42\"}]}","bodyBytes":86},"status":400,"ok":false,"latencyMs":180.0,"totalMs":180.0,"attempts":1,"response":{"headers":[["content-type","application/json"]],"body":"{\"code\":400,\"error\":\"Invalid id length for user_id or device_id\",\"events_with_invalid_id_lengths\":{\"user_id\":[0]}}","bodyBytes":109},"notes":[{"path":"events[0].user_id","code":"invalid_id_length","message":"user_id must be at least 5 characters"}]}"#,
        ),
    ]
}

#[test]
fn the_deliveries_view_shows_ok_and_failed_rows_and_the_selected_exchange() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.ingest(delivery_frames(), Instant::now());
    assert_eq!(app.store.len(), 3, "deliveries are not message rows");
    app.update(Action::Deliveries);
    assert_eq!(app.view, View::Deliveries);
    let terminal = render_all(&app, 150, 34);
    snapshot("deliveries_view", &terminal);
    let buffer = terminal.backend().buffer();
    let ok = find(buffer, "✓ 10:00:01.250");
    let failed = find(buffer, "✗ 10:00:02.500");
    assert_eq!(buffer[ok].fg, app.theme.ui.live, "delivered rows are green");
    assert_eq!(
        buffer[(failed.0 + 4, failed.1)].fg,
        app.theme.ui.error,
        "failed rows are red"
    );
    let text = screen_text(&terminal);
    assert!(text.contains("Response 400 · 180 ms · 1 attempt"), "{text}");
    assert!(
        text.contains("✗ invalid_id_length events[0].user_id user_id must be at least 5"),
        "{text}"
    );
    let key = find(buffer, "\"events_with_invalid_id_lengths\"");
    let number = find(buffer, "400,");
    assert_ne!(
        buffer[key].fg, buffer[number].fg,
        "the response body is highlighted"
    );

    // The first one, and its message.
    app.update(Action::Up);
    let text = screen_text(&render_all(&app, 150, 34));
    assert!(text.contains("Authorization: Basic d2tf…Og=="), "{text}");
    assert!(text.contains("\"success\": true"), "{text}");
    app.update(Action::JumpToFinding);
    assert_eq!(app.view, View::Messages);
    assert_eq!(app.store.get(app.selected.unwrap()).unwrap().seq, Some(3));
}

#[test]
fn a_messages_detail_sums_up_its_deliveries_and_d_narrows_to_them() {
    let mut app = embedded_app();
    app.ingest(sample_events(), Instant::now());
    app.ingest(delivery_frames(), Instant::now());
    let text = screen_text(&render_all(&app, 140, 20));
    assert!(
        text.contains("⇢ upstream 200 · 42 ms · 1 attempt │ amp-dev 400 · 180 ms"),
        "{text}"
    );
    app.update(Action::MessageDeliveries);
    assert_eq!(app.deliveries.visible().len(), 2);
    app.update(Action::Back);
    app.update(Action::Up);
    app.update(Action::MessageDeliveries);
    let text = screen_text(&render_all(&app, 140, 20));
    assert!(text.contains("No delivery carried seq 2"), "{text}");
}

#[test]
fn the_header_says_how_many_requests_were_not_recorded() {
    let mut app = embedded_app();
    let refused = |seq: u64| {
        frame(&format!(
            r#"{{"type":"rejected","seq":{seq},"receivedAt":"2026-11-22T10:00:00.000Z","source":{{"path":"/v1/track"}},"status":503,"code":"record_failed","message":"the collector could not write its recording","body":"{{}}","bodyBytes":2}}"#
        ))
    };
    app.ingest(sample_events(), Instant::now());
    let text = screen_text(&render(&app, 140, 12));
    assert!(!text.contains("not recorded"), "{text}");
    app.ingest(vec![refused(10), refused(11)], Instant::now());
    let terminal = render(&app, 140, 12);
    let buffer = terminal.backend().buffer();
    let at = find(buffer, "2 not recorded");
    assert_eq!(buffer[at].fg, app.theme.ui.error, "shown as an error");
}

/// Every popup clears the cells it covers: over rows and a detail full of `Z`, no `Z` shows
/// inside its border (a cell not drawn by the popup would keep the view's character).
#[test]
fn popups_clear_the_cells_they_cover() {
    let zs = "Z".repeat(60);
    let popups: [(Action, &str); 3] = [
        (Action::Help, " Keys "),
        (Action::Forward, " Forward "),
        (Action::WriteView, " Write the view "),
    ];
    for (open, title) in popups {
        let mut app = embedded_app();
        let frames: Vec<Frame> = (1..=40)
            .map(|seq| {
                let message = format!(
                    r#"{{"type":"track","event":"{zs}","userId":"{zs}","properties":{{"{zs}":"{zs}","a":"{zs}","b":"{zs}","c":"{zs}"}},"messageId":"m-{seq}"}}"#
                );
                event(seq, seq as u32, &message)
            })
            .collect();
        app.ingest(frames, Instant::now());
        app.update(open);
        let terminal = render(&app, 140, 36);
        let buffer = terminal.backend().buffer();
        let (tx, ty) = find(buffer, title);
        let left = (0..tx)
            .rev()
            .find(|&x| buffer[(x, ty)].symbol() == "┌")
            .unwrap_or_else(|| panic!("{title}: no top-left corner"));
        let right = (tx..buffer.area.width)
            .find(|&x| buffer[(x, ty)].symbol() == "┐")
            .unwrap_or_else(|| panic!("{title}: no top-right corner"));
        let bottom = (ty + 1..buffer.area.height)
            .find(|&y| buffer[(left, y)].symbol() == "└")
            .unwrap_or_else(|| panic!("{title}: no bottom-left corner"));
        for y in ty + 1..bottom {
            let inside: String = (left + 1..right)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            assert!(
                !inside.contains('Z'),
                "{title}: the view shows through at row {y}: {inside}\n{}",
                views_text(buffer)
            );
        }
    }
}

fn views_text(buffer: &Buffer) -> String {
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- Routing: would Segment deliver it, and why not ----

/// Four destinations: Amplitude and GA4 mapped to consent categories, Mixpanel, and a webhook
/// whose first filter strips two fields and whose second drops test events.
const ROUTED: &str = r#"
[[destination]]
name = "amplitude"
kind = "amplitude"
api_key = "amp_key"
consent = ["Analytics"]

[[destination]]
name = "mixpanel"
kind = "mixpanel"
token = "mp_token"

[[destination]]
name = "ga4"
kind = "ga4"
measurement_id = "G-TEST123"
api_secret = "sk_ga_0123456789abcdef"
consent = ["Advertising"]

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9000/in"

[[destination.filter]]
action = "block_fields"
fields = ["properties.email", "context.ip"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"
"#;

/// Analytics consented, Advertising not, Mixpanel switched off, an email and an IP to strip.
const CONSENTED_ORDER: &str = r#"{"type":"track","event":"Order Completed","userId":"user_42","messageId":"m-order","properties":{"total":42.5,"email":"jane@example.com"},"integrations":{"Mixpanel":false},"context":{"ip":"203.0.113.9","consent":{"categoryPreferences":{"Analytics":true,"Advertising":false}}}}"#;
/// Every category consented: only the webhook's filter drops it.
const TEST_EVENT: &str = r#"{"type":"track","event":"Test Event","userId":"user_42","messageId":"m-test","context":{"consent":{"categoryPreferences":{"Analytics":true,"Advertising":true}}}}"#;
/// An alias: no Amplitude call carries it.
const ALIAS: &str = r#"{"type":"alias","userId":"user_42","previousId":"anon-1","messageId":"m-alias","context":{"consent":{"categoryPreferences":{"Analytics":true,"Advertising":true}}}}"#;

fn routed_app() -> App {
    let config = Config::parse(ROUTED, "eventscope.toml").unwrap();
    let (named, problems) = eventscope::routing::Named::all(&config.destination);
    assert!(problems.is_empty(), "{problems:?}");
    let mut app = embedded_app();
    app.routing = named.into();
    app.ingest(
        vec![
            event(1, 101, CONSENTED_ORDER),
            event(2, 202, TEST_EVENT),
            event(3, 303, ALIAS),
        ],
        Instant::now(),
    );
    app
}

/// The detail pane's text (right of the list), trimmed, one line each.
fn detail_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    screen_text(terminal)
        .lines()
        .filter_map(|line| line.split('│').nth(3))
        .map(|cell| cell.trim().to_string())
        .filter(|cell| !cell.is_empty())
        .collect()
}

#[test]
fn the_routing_tab_shows_each_destinations_verdict_its_reason_and_stripped_fields() {
    let mut app = routed_app();
    app.select_row(0);
    app.update(Action::ShowRouting);
    let terminal = render(&app, 150, 20);
    snapshot("routing_tab", &terminal);
    let lines = detail_lines(&terminal);
    let has = |lines: &[String], text: &str| {
        assert!(
            lines.iter().any(|l| l.contains(text)),
            "{text:?} not in {lines:#?}"
        )
    };
    has(&lines, "Segment would deliver it to 2 of 4 destinations:");
    has(&lines, "✓ amplitude");
    has(&lines, "✗ mixpanel  — integrations.Mixpanel = false");
    has(&lines, "✗ ga4       — consent Advertising not given");
    has(&lines, "✓ hook      — strips properties.email, context.ip");
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "✓ amplitude");
    assert_eq!(buffer[(x, y)].fg, app.theme.ui.live, "routed is green");
    let (x, y) = find(buffer, "✗ mixpanel");
    assert_eq!(
        buffer[(x, y)].fg,
        app.theme.ui.warning,
        "dropped stands out"
    );

    // The tab stays as the selection moves: each message is routed when selected.
    app.select_row(1);
    let terminal = render(&app, 150, 20);
    snapshot("routing_tab_filter_drop", &terminal);
    let lines = detail_lines(&terminal);
    has(&lines, "✓ amplitude");
    has(&lines, "✓ ga4");
    has(&lines, "✗ hook      — filter 2 drops: event = 'Test Event'");
    app.select_row(2);
    let terminal = render(&app, 150, 20);
    snapshot("routing_tab_unsupported", &terminal);
    let lines = detail_lines(&terminal);
    has(&lines, "✗ amplitude — Amplitude cannot carry alias calls");
    has(&lines, "✓ hook");
}

#[test]
fn without_destinations_there_is_no_routing_tab_and_5_says_why() {
    let mut app = embedded_app();
    app.ingest(vec![event(1, 101, CONSENTED_ORDER)], Instant::now());
    let text = screen_text(&render(&app, 150, 20));
    assert!(text.contains("Findings"), "{text}");
    assert!(!text.contains("Routing"), "{text}");
    app.update(Action::ShowRouting);
    assert_eq!(app.detail.tab, eventscope::tui::app::Tab::Pretty);
    let text = screen_text(&render(&app, 150, 20));
    assert!(text.contains("no destinations to route to"), "{text}");
    // ] steps through the five tabs and back.
    for _ in 0..5 {
        app.update(Action::NextTab);
        assert_ne!(app.detail.tab, eventscope::tui::app::Tab::Routing);
    }
    assert_eq!(app.detail.tab, eventscope::tui::app::Tab::Pretty);
}

#[test]
fn the_summary_counts_routed_and_dropped_by_reason_per_destination() {
    let mut app = routed_app();
    app.update(Action::Summary);
    app.update(Action::SummaryNextTab);
    app.update(Action::SummaryNextTab);
    let terminal = render(&app, 150, 24);
    snapshot("summary_by_destination", &terminal);
    let text = screen_text(&terminal);
    let row = |name: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{text}"));
        let cells: Vec<String> = line
            .split_whitespace()
            .map(str::to_string)
            .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
            .collect();
        cells
    };
    // routed, dropped, consent, integrations, filter, unsupported
    // (Only the webhook carries the alias.)
    assert_eq!(row("amplitude"), ["2", "1", "0", "0", "0", "1"]);
    assert_eq!(row("mixpanel"), ["1", "2", "0", "1", "0", "1"]);
    assert_eq!(row("ga4"), ["1", "2", "1", "0", "0", "1"]);
    assert_eq!(row("hook"), ["2", "1", "0", "0", "1", "0"]);

    // Enter on the row lists its drops; on a reason's cell, those.
    app.update(Action::SummaryDown);
    app.update(Action::SummaryNextCell);
    app.update(Action::SummaryNextCell);
    app.update(Action::SummaryNextCell);
    app.update(Action::SummaryFilter);
    assert_eq!(app.store.filter().source(), "dropped:mixpanel:integrations");
    assert_eq!(app.shown_len(), 1);
}

/// An app whose rows feed its identity graph, as the viewer's feeds do.
fn people_app(frames: Vec<Frame>) -> App {
    let mut app = embedded_app();
    let mut builder = eventscope::entry::EntryBuilder::default();
    builder.set_identity(Arc::clone(&app.identity));
    app.ingest_entries(builder.build_all(frames), Instant::now());
    app
}

/// A person browsing anonymously, logging in (a merge), an alias from an old id (a separate
/// profile), a stranger on the same device (a refused merge) and someone else.
fn person_events() -> Vec<Frame> {
    vec![
        event(
            1,
            101,
            r#"{"type":"page","name":"Pricing","anonymousId":"anon-9f","messageId":"m-1"}"#,
        ),
        event(
            2,
            202,
            r#"{"type":"track","event":"Product Viewed","anonymousId":"anon-9f","messageId":"m-2"}"#,
        ),
        event(
            3,
            303,
            r#"{"type":"identify","userId":"user-77","traits":{"email":"jane@example.com","plan":"pro"},"messageId":"m-3"}"#,
        ),
        event(
            4,
            404,
            r#"{"type":"track","event":"Old App Opened","userId":"old-77","messageId":"m-4"}"#,
        ),
        event(
            5,
            505,
            r#"{"type":"identify","userId":"user-77","anonymousId":"anon-9f","traits":{"plan":"team"},"messageId":"m-5"}"#,
        ),
        event(
            6,
            606,
            r#"{"type":"track","event":"Order Completed","userId":"user-77","messageId":"m-6"}"#,
        ),
        event(
            7,
            707,
            r#"{"type":"track","event":"Shared Device","userId":"user-88","anonymousId":"anon-9f","messageId":"m-7"}"#,
        ),
        event(
            8,
            808,
            r#"{"type":"alias","previousId":"old-77","userId":"user-77","messageId":"m-8"}"#,
        ),
        event(
            9,
            909,
            r#"{"type":"track","event":"Someone Else","userId":"user-9","messageId":"m-9"}"#,
        ),
    ]
}

#[test]
fn the_person_view_shows_ids_traits_and_a_timeline_with_a_merge_and_a_refused_merge() {
    let mut app = people_app(person_events());
    // P on the first anonymous page view: the person is who anon-9f became.
    app.select_row(0);
    app.update(Action::Person);
    let terminal = render(&app, 140, 40);
    snapshot("person_view", &terminal);
    let screen = screen_text(&terminal);
    assert!(screen.contains("Person user-77 · 3 ids"), "{screen}");
    for identifier in ["anon-9f", "user-77", "jane@example.com"] {
        assert!(screen.contains(identifier), "{identifier}: {screen}");
    }
    // Last write wins, with the message that set it.
    assert!(screen.contains("plan = \"team\" seq 5"), "{screen}");
    assert!(
        screen.contains("email = \"jane@example.com\" seq 3"),
        "{screen}"
    );
    assert!(
        screen.contains("merged user_id user-77 ↔ anonymous_id anon-9f by identify, seq 5"),
        "{screen}"
    );
    assert!(
        screen.contains("refused: 2nd user_id for anonymous_id anon-9f, seq 7"),
        "{screen}"
    );
    assert!(
        screen.contains("alias old-77 → user-77: a separate profile"),
        "{screen}"
    );
    // The timeline: the person's messages across their ids, the merge before the message
    // that caused it; not the old id's, the stranger's or someone else's.
    let timeline: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Timeline"))
        .collect();
    let order = |text: &str| {
        timeline
            .iter()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not in the timeline:\n{screen}"))
    };
    assert!(order("Pricing") < order("Product Viewed"));
    assert!(order("Product Viewed") < order("10:00:00.303 seq 3"));
    assert!(order("10:00:00.303 seq 3") < order("merged"));
    assert!(order("merged") < order("10:00:00.505 seq 5"));
    assert!(order("10:00:00.505 seq 5") < order("Order Completed"));
    assert!(order("Order Completed") < order("refused:"));
    for stranger in ["Old App Opened", "Shared Device", "Someone Else"] {
        assert!(
            !timeline.iter().any(|l| l.contains(stranger)),
            "{stranger}: {screen}"
        );
    }
}

#[test]
fn the_list_header_names_the_person_it_is_narrowed_to() {
    let mut app = people_app(person_events());
    assert!(app.apply_filter("person:anon-9f"));
    while !app.store.rescan_step(1000) {}
    app.after_change();
    let screen = screen_text(&render(&app, 140, 30));
    assert!(
        screen.contains("Messages 6/9 · person: anon-9f (3 ids)"),
        "{screen}"
    );
}

#[test]
fn enter_on_an_id_in_the_pretty_tab_opens_the_person_holding_it() {
    let mut app = people_app(person_events());
    // m-7: a stranger's message on the shared device; its anonymousId belongs to user-77.
    app.select_row(6);
    app.update(Action::SwitchFocus);
    let doc = &app.detail.doc.as_ref().expect("laid out").1;
    let (user, anonymous) = (
        doc.line_of("userId").unwrap(),
        doc.line_of("anonymousId").unwrap(),
    );
    for _ in 0..user {
        app.update(Action::Down);
    }
    app.update(Action::JumpToFinding);
    let screen = screen_text(&render(&app, 140, 40));
    assert!(screen.contains("Person user-88 · 1 id"), "{screen}");
    app.update(Action::PersonClose);
    for _ in user..anonymous {
        app.update(Action::Down);
    }
    app.update(Action::JumpToFinding);
    let screen = screen_text(&render(&app, 140, 40));
    assert!(screen.contains("Person user-77 · 3 ids"), "{screen}");
    app.update(Action::PersonClose);
    // A value no one holds as an identifier says so.
    let kind = app.detail.doc.as_ref().unwrap().1.line_of("event").unwrap();
    app.update(Action::Top);
    for _ in 0..kind {
        app.update(Action::Down);
    }
    app.update(Action::JumpToFinding);
    let screen = screen_text(&render(&app, 140, 40));
    assert!(!screen.contains("Timeline"), "{screen}");
    assert!(
        screen.contains("Shared Device is no one's identifier"),
        "{screen}"
    );
}

#[test]
fn enter_on_a_timeline_row_the_filter_hides_says_how_to_see_it_and_slash_narrows_to_the_person() {
    let mut app = people_app(person_events());
    assert!(app.apply_filter("type:track"));
    while !app.store.rescan_step(1000) {}
    app.after_change();
    // Product Viewed (m-2), the second track shown; the identify before the merge is hidden.
    app.select_row(0);
    app.update(Action::Person);
    app.update(Action::PersonDown);
    app.update(Action::PersonSelect);
    let screen = screen_text(&render(&app, 140, 40));
    assert!(screen.contains("Timeline"), "the view stays open: {screen}");
    assert!(
        screen.contains("not in the list (filtered out, or after the pause): / narrows"),
        "{screen}"
    );
    app.update(Action::PersonNarrow);
    while !app.store.rescan_step(1000) {}
    app.after_change();
    let screen = screen_text(&render(&app, 140, 40));
    assert!(!screen.contains("Timeline"), "{screen}");
    assert!(
        screen.contains("Messages 6/9 · person: user-77 (3 ids)"),
        "{screen}"
    );
}

/// An app whose rows are judged and feed its warehouse schema, as the viewer's feeds do.
fn warehouse_app(frames: Vec<Frame>) -> App {
    let mut app = embedded_app();
    let mut builder = eventscope::entry::EntryBuilder::judging(Arc::clone(&app.inspector));
    builder.set_schema(Arc::clone(&app.schema));
    app.ingest_entries(builder.build_all(frames), Instant::now());
    app
}

/// An order with an integer total, then one whose total is a string (a conflict) with a new
/// coupon, a property named like a reserved column, two spellings of one column, and an
/// identify (a row in `identifies`, an upsert in `users`).
fn drifting_events() -> Vec<Frame> {
    vec![
        event(
            12,
            101,
            r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"total":42,"currency":"USD"},"messageId":"m-12"}"#,
        ),
        event(
            13,
            202,
            r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"total":"42.50","currency":"USD","coupon":"SPRING","user_id":"u-42","accountType":"pro","account_type":"team"},"messageId":"m-13"}"#,
        ),
        event(
            14,
            303,
            r#"{"type":"identify","userId":"user_42","traits":{"plan":"pro"},"messageId":"m-14"}"#,
        ),
    ]
}

#[test]
fn the_warehouse_tab_shows_the_rows_with_new_columns_and_a_conflict_naming_its_seq() {
    let mut app = warehouse_app(drifting_events());
    app.select_row(1);
    app.update(Action::ShowWarehouse);
    let terminal = render(&app, 160, 40);
    snapshot("warehouse_tab", &terminal);
    let lines = detail_lines(&terminal);
    let has = |text: &str| {
        assert!(
            lines.iter().any(|l| l.contains(text)),
            "{text:?} not in:\n{}",
            lines.join("\n")
        )
    };
    has("Segment would load 2 rows (seq 13): 2 new columns, 1 conflict.");
    has("order_completed · insert");
    has("✗ conflict");
    has("↳ conflict: first integer at seq 12 · lost: a varchar there loads as NULL");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("coupon") && l.contains("+ new column")),
        "{}",
        lines.join("\n")
    );
    has("✗ discarded: properties.user_id (user_id is a reserved column)");
    has("✗ collision: account_type keeps properties.accountType; properties.account_");
    // In the pane, the cursor walks the tab's lines and Y copies a column's JSON path.
    app.update(Action::SwitchFocus);
    let copied = (0..40).find_map(|_| {
        app.update(Action::Down);
        match app.update(Action::CopyPath) {
            Some(Effect::Copy(path)) if path.contains("total") => Some(path),
            _ => None,
        }
    });
    assert_eq!(copied.as_deref(), Some("properties.total"));
    app.update(Action::SwitchFocus);
    // The conflict is a finding of the row too: its glyph, the Findings tab, rule:.
    let text = screen_text(&terminal);
    assert!(text.contains("Warehouse"), "{text}");
    assert!(app.apply_filter("rule:warehouse/type-conflict"));
    while !app.store.rescan_step(1000) {}
    assert_eq!(app.shown_len(), 1);
    assert!(app.apply_filter("has:drift"));
    while !app.store.rescan_step(1000) {}
    assert_eq!(app.shown_len(), 3, "each made a table or a column");

    // The identify: a new table of its own and an upsert.
    assert!(app.apply_filter(""));
    while !app.store.rescan_step(1000) {}
    app.after_change();
    app.select_row(2);
    let lines = detail_lines(&render(&app, 160, 40));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("users · upsert") && l.contains("+ new table")),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn warehouse_severities_set_the_rows_glyph() {
    use eventscope::inspect::Severity;
    let mut inspector = eventscope::inspect::Inspector::default();
    inspector
        .warehouse
        .set_severity("type-conflict", Some(Severity::Error));
    let mut app = embedded_app();
    app.inspector = Arc::new(inspector);
    let mut builder = eventscope::entry::EntryBuilder::judging(Arc::clone(&app.inspector));
    builder.set_schema(Arc::clone(&app.schema));
    app.ingest_entries(builder.build_all(drifting_events()), Instant::now());
    let conflicting = app.store.get(app.shown_id(1).unwrap()).unwrap();
    assert_eq!(conflicting.verdict.worst, Some(Severity::Error));
    let screen = screen_text(&render(&app, 160, 20));
    let row = screen
        .lines()
        .find(|l| l.contains("205B"))
        .unwrap_or_else(|| panic!("the second order's row:\n{screen}"));
    assert!(row.contains("205B ✗"), "{row}");
}

#[test]
fn the_schema_view_lists_tables_with_row_counts_and_expands_to_columns_and_conflicts() {
    use eventscope::tui::schema::SchemaRow;
    let mut app = warehouse_app(drifting_events());
    app.update(Action::Schema);
    // identifies, order_completed, tracks, users: expand order_completed.
    app.update(Action::SchemaDown);
    app.update(Action::SchemaSelect);
    let terminal = render(&app, 140, 30);
    snapshot("schema_view", &terminal);
    let screen = screen_text(&terminal);
    assert!(
        screen.contains("Warehouse schema · 4 tables · "),
        "{screen}"
    );
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not in:\n{screen}"))
            .to_string()
    };
    let order = row("▾ order_completed");
    assert!(
        order.contains("seq 12") && order.contains("1 conflict"),
        "{order}"
    );
    assert!(row("▸ tracks").contains("2 "), "2 rows: {screen}");
    let total = row("    total");
    assert!(
        total.contains("integer") && total.contains("seq 12") && total.contains("1 conflict"),
        "{total}"
    );
    assert!(row("    coupon").contains("seq 13"), "{screen}");

    // Enter on a column selects the message that added it and closes the view.
    let on_coupon = |app: &App| match &app.mode {
        Mode::Schema(view) => matches!(
            view.model.row(view.cursor),
            Some(SchemaRow::Column { column, .. }) if column.name == "coupon"
        ),
        _ => false,
    };
    for _ in 0..10 {
        if on_coupon(&app) {
            break;
        }
        app.update(Action::SchemaDown);
    }
    assert!(on_coupon(&app), "the cursor reaches the coupon column");
    app.update(Action::SchemaSelect);
    assert!(matches!(app.mode, Mode::Normal));
    let selected = app.selected.and_then(|id| app.store.get(id)).unwrap();
    assert_eq!(selected.seq, Some(13));
}

#[test]
fn the_sql_prompt_shows_its_answer_as_a_table_and_an_error_in_place() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use eventscope::tui::sql::Answer;
    use eventscope::warehouse::load::capture::Cell;
    let mut app = warehouse_app(drifting_events());
    app.update(Action::Sql);
    let key = |app: &mut App, code: KeyCode| {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    };
    for c in "SELECT seq, event, total FROM messages".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    // The database thread's answer, as the event loop hands it over.
    let answer = Answer {
        columns: vec!["seq".into(), "event".into(), "total".into()],
        rows: vec![
            vec![
                Cell::Integer(12),
                Cell::Text("Order Completed".into()),
                Cell::Integer(42),
            ],
            vec![
                Cell::Integer(13),
                Cell::Text("Order Completed".into()),
                Cell::Text("42.50".into()),
            ],
            vec![Cell::Integer(14), Cell::Null, Cell::Null],
        ],
        seqs: vec![Some(12), Some(13), Some(14)],
        cut: false,
        took: std::time::Duration::from_millis(3),
    };
    app.sql_loaded(3);
    app.sql_answered(1, Ok(answer));
    // The answer has the keys: the second row is selected.
    key(&mut app, KeyCode::Down);
    let terminal = render(&app, 100, 14);
    snapshot("sql_prompt", &terminal);
    let screen = screen_text(&terminal);
    assert!(screen.contains("SQL · 3 messages retained"), "{screen}");
    assert!(screen.contains("3 rows in 3 ms"), "{screen}");
    assert!(screen.contains("NULL"), "{screen}");
    // An error shows in place of the status, the query stays to fix.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('x'));
    key(&mut app, KeyCode::Enter);
    app.sql_answered(2, Err("no such column: totalx".into()));
    let screen = screen_text(&render(&app, 100, 14));
    assert!(screen.contains("no such column: totalx"), "{screen}");
    assert!(
        screen.contains(": SELECT seq, event, total FROM messagesx"),
        "{screen}"
    );
    // Esc closes it.
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Normal));
}

/// An order whose `properties.total` is a string (a plan error) and whose `products` and
/// `context` get folded.
const FOLDED_ORDER: &str = r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"order_id":"ord_1","checkout_id":"chk_1","total":"42.50","revenue":40,"currency":"USD","products":[{"sku":"sk-1","price":10},{"sku":"sk-2","price":30}]},"context":{"ip":"10.0.0.1","library":{"name":"analytics.js","version":"2.1"}},"messageId":"m-fold"}"#;

#[test]
fn a_folded_tree_shows_previews_and_the_findings_it_hides() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut app = judged_app(vec![event(1, 101, FOLDED_ORDER)]);
    let press = |app: &mut App, code| app.handle_key(KeyEvent::from(code));
    press(&mut app, KeyCode::Tab);
    let line_of = |app: &App, path: &str| {
        let (_, doc) = app.detail.doc.as_ref().unwrap();
        doc.line_of(path).unwrap()
    };
    let fold = |app: &mut App, path: &str| {
        let line = line_of(app, path);
        while app.detail.cursor < line {
            press(app, KeyCode::Char('j'));
        }
        while app.detail.cursor > line {
            press(app, KeyCode::Char('k'));
        }
        press(app, KeyCode::Char('h'));
    };
    fold(&mut app, "properties.products");
    fold(&mut app, "context");
    let terminal = render(&app, 120, 30);
    let text = screen_text(&terminal);
    assert!(text.contains(r#""products": [2 items]"#), "{text}");
    assert!(text.contains(r#""context": {2 keys}"#), "{text}");
    // Folding `properties` hides the wrong type: its mark goes to the fold line.
    fold(&mut app, "properties");
    let terminal = render(&app, 120, 30);
    snapshot("folded_tree", &terminal);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, r#""properties": {6 keys},"#);
    let line: String = (x..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    assert!(line.contains("{6 keys},  ✗"), "{line}");
    let (px, py) = find(buffer, "6 keys},");
    assert_eq!(
        buffer[(px, py)].fg,
        app.theme
            .style(eventscope::tui::theme::Role::Muted)
            .fg
            .unwrap(),
        "the preview is muted"
    );
    let (mx, my) = find(&buffer.clone(), "✗");
    assert_eq!(buffer[(mx, my)].fg, app.theme.ui.error);
}

#[test]
fn the_diff_pane_colours_added_removed_changed_and_type_changed_paths() {
    let mut app = embedded_app();
    let second = r#"{"type":"track","event":"Order Completed","userId":"user_42","properties":{"order_id":"ord_2","revenue":"42.50","products":[{"sku":"sk-1","price":42.5},{"sku":"sk-2","price":3}],"coupon":"WINTER"},"context":{"library":{"name":"analytics.js","version":"next-1.70.0"}},"messageId":"m-order-2","timestamp":"2026-11-22T10:00:01.100Z"}"#;
    let mut events = sample_events();
    events.push(event(4, 404, second));
    app.ingest(events, Instant::now());
    // The newest is selected: `=` compares it with the previous "Order Completed" (seq 3).
    app.update(Action::Diff);
    let terminal = render(&app, 120, 18);
    snapshot("diff_pane", &terminal);
    let buffer = terminal.backend().buffer();
    find(
        buffer,
        "Diff · seq 3 \"Order Completed\" → seq 4 \"Order Completed\"",
    );
    find(buffer, "2 changes in volatile fields hidden");
    let ui = &app.theme.ui;
    for (text, colour) in [
        ("type number → string", ui.info),
        ("\"ord_1\" → \"ord_2\"", ui.warning),
        ("added string \"WINTER\"", ui.live),
        ("removed string \"USD\"", ui.error),
        ("length 1 → 2", ui.muted),
    ] {
        let (x, y) = find(buffer, text);
        assert_eq!(buffer[(x, y)].fg, colour, "{text}");
    }
    // `v` shows the volatile fields; Esc closes the pane.
    app.update(Action::DiffToggleVolatile);
    let screen = screen_text(&render(&app, 120, 18));
    assert!(screen.contains("\"m-order\" → \"m-order-2\""), "{screen}");
    app.update(Action::DiffClose);
    assert!(matches!(app.mode, Mode::Normal));
}
