//! Popup keys go through the key map: rebound under `[keys]` in the config file, the new key
//! drives the forward popup and the old one no longer does, and the help overlay and the
//! popup's own key bar show the new key. The Pretty tree's keys fold and unfold it, the folds
//! staying with the selected message. Drawn into ratatui's TestBackend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use eventscope::config::Config;
use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, Destinations, Effect, Focus, Mode, SourceKind, Tab};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views::{self, Highlights};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONFIG: &str = r#"
[keys]
forward-next-request = ["n"]
forward-close = ["x"]

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9000/in"
"#;

fn app(config: &str) -> App {
    let config = Config::parse(config, "eventscope.toml").unwrap();
    let keys = KeyMap::with_overrides(&config.keys).unwrap();
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::Embedded {
        addr: "127.0.0.1:8707".into(),
        note: None,
    };
    let mut app = App::new(source, 1000, theme, keys);
    app.connection = Connection::Live;
    app.destinations = Destinations::from_config(&config.destination, None);
    let frames = (1..=3)
        .map(|seq| {
            let text = format!(
                r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T10:00:00.000Z","source":{{"path":"/v1/batch"}},"message":{{"type":"track","event":"E{seq}","userId":"u","messageId":"m-{seq}"}}}}"#
            );
            match parse_frame_text(&text).unwrap() {
                Incoming::Frame(frame) => frame,
                other => panic!("{other:?}"),
            }
        })
        .collect::<Vec<Frame>>();
    app.ingest(frames, Instant::now());
    app
}

fn press(app: &mut App, code: KeyCode) -> Option<Effect> {
    app.handle_key(KeyEvent::from(code))
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

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            views::draw_all(f, app, &Highlights::default());
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_forward_popup_key_rebound_in_the_config_works_and_the_old_one_does_not() {
    let mut app = app(CONFIG);
    press(&mut app, KeyCode::Char('*'));
    let effect = press(&mut app, KeyCode::Char('f'));
    assert!(matches!(app.mode, Mode::Forward(_)));
    run_map(&mut app, effect);
    let text = screen(&app, 140, 32);
    assert!(text.contains("request 1 of 3"), "{text}");
    assert!(
        text.contains("[/n request") && text.contains("x close"),
        "the popup's key bar shows the bound keys: {text}"
    );

    // The old key does nothing in the popup; the new one shows the next request.
    press(&mut app, KeyCode::Char(']'));
    assert!(screen(&app, 140, 32).contains("request 1 of 3"));
    press(&mut app, KeyCode::Char('n'));
    assert!(screen(&app, 140, 32).contains("request 2 of 3"));
    // `[` was not rebound and still goes back.
    press(&mut app, KeyCode::Char('['));
    assert!(screen(&app, 140, 32).contains("request 1 of 3"));

    // Esc no longer closes the popup; x does.
    press(&mut app, KeyCode::Esc);
    assert!(matches!(app.mode, Mode::Forward(_)), "Esc was rebound away");
    press(&mut app, KeyCode::Char('x'));
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.forward_popup().is_none());

    // The main view's keys are untouched: `n` is still the next match, `]` the next tab.
    assert_eq!(
        app.keys.action(KeyEvent::from(KeyCode::Char(']'))),
        Some(Action::NextTab)
    );
    assert_eq!(
        app.keys.action(KeyEvent::from(KeyCode::Char('n'))),
        Some(Action::NextMatch)
    );
}

#[test]
fn the_help_overlay_shows_the_popup_keys_as_bound() {
    let mut app = app(CONFIG);
    press(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.mode, Mode::Help(_)));
    // Tall enough for the whole overlay; its lines wrap at 80 columns, so read it as words.
    let screen = screen(&app, 140, 100);
    let text = screen
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(
            "Forward popup: Enter send · e edit in $EDITOR · i ignore routing (send what Segment \
             would drop) · ←/→ 1-9 destination · [/n request · ↑/↓ PgUp/PgDn scroll · x close"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Replay popup: Enter replay · ↑/↓ option · Space ←/→ change (i ids, t times) · Esc cancel"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Deliveries: ↑/↓ delivery · / filter (dest: status: user: event: text) · Tab panes · \
             Enter its message · Esc back"
        ),
        "{text}"
    );
}

#[test]
fn with_default_keys_the_popup_hints_read_as_before() {
    let keys = KeyMap::default();
    assert_eq!(
        keys.hint(eventscope::tui::popups::forward::HELP),
        "Enter send · e edit in $EDITOR · i ignore routing (send what Segment would drop) · ←/→ \
         1-9 destination · [/] request · ↑/↓ PgUp/PgDn scroll · Esc close"
    );
    assert_eq!(
        keys.hint(eventscope::tui::popups::replay::HELP),
        "Enter replay · ↑/↓ option · Space ←/→ change (i ids, t times) · Esc cancel"
    );
    assert_eq!(
        keys.hint(eventscope::tui::app::DELIVERIES_HELP),
        "↑/↓ delivery · / filter (dest: status: user: event: text) · Tab panes · Enter its \
         message · Esc back"
    );
}

#[test]
fn unknown_popup_action_names_are_refused_by_name() {
    let config = Config::parse("[keys]\nforward-fly = [\"x\"]\n", "eventscope.toml").unwrap();
    let error = KeyMap::with_overrides(&config.keys).unwrap_err();
    assert!(error.contains("forward-fly"), "{error}");
}

/// An order with a 3-item `products` array and a `context` of 2 keys.
const ORDER: &str = r#"{"type":"track","event":"Order Completed","userId":"u","messageId":"m-order","properties":{"order_id":"ord_1","revenue":42.50,"products":[{"sku":"sk-1","price":10},{"sku":"sk-2","price":20.50},{"sku":"sk-3","price":12}]},"context":{"ip":"10.0.0.1","library":{"name":"analytics.js","version":"2.1"}}}"#;

fn frame(seq: u64, message: &str) -> Frame {
    let text = format!(
        r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T10:00:00.000Z","source":{{"path":"/v1/batch"}},"message":{message}}}"#
    );
    match parse_frame_text(&text).unwrap() {
        Incoming::Frame(frame) => frame,
        other => panic!("{other:?}"),
    }
}

/// A viewer holding the order then a page, the order selected and the detail pane focused.
fn order_app() -> App {
    let mut app = app("");
    app.ingest(
        vec![
            frame(4, ORDER),
            frame(
                5,
                r#"{"type":"page","name":"Home","userId":"u","messageId":"m-5"}"#,
            ),
        ],
        Instant::now(),
    );
    // Up from the newest (the page) to the order: the list stops following.
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Detail);
    assert!(screen(&app, 140, 40).contains("Order Completed"));
    app
}

/// Moves the detail cursor with `j`/`k` to the line of `path`.
fn cursor_to(app: &mut App, path: &str) {
    let line = {
        let (_, doc) = app.detail.doc.as_ref().unwrap();
        doc.line_of(path).unwrap()
    };
    for _ in 0..200 {
        let at = app.detail.cursor;
        if at == line {
            return;
        }
        press(app, KeyCode::Char(if at < line { 'j' } else { 'k' }));
    }
    panic!("the cursor did not reach {path}");
}

#[test]
fn h_and_l_fold_and_unfold_the_node_and_a_leaf_folds_its_parent() {
    let mut app = order_app();
    cursor_to(&mut app, "properties.products");
    press(&mut app, KeyCode::Char('h'));
    let folded = screen(&app, 140, 40);
    assert!(folded.contains(r#""products": [3 items]"#), "{folded}");
    assert!(!folded.contains("sk-2"), "the body is hidden: {folded}");
    // Moving down from the fold line skips its body.
    press(&mut app, KeyCode::Char('j'));
    let (_, doc) = app.detail.doc.clone().unwrap();
    assert_eq!(doc.lines[app.detail.cursor].text.trim(), "},");
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('l'));
    assert!(screen(&app, 140, 40).contains("sk-2"));

    // On a leaf, `h` goes to its parent and folds it (jless); again, the grandparent.
    cursor_to(&mut app, "properties.products[1].price");
    press(&mut app, KeyCode::Char('h'));
    let text = screen(&app, 140, 40);
    assert!(text.contains("{2 keys},"), "{text}");
    assert_eq!(
        doc.lines[app.detail.cursor].path, "properties.products[1]",
        "the cursor is on the folded parent"
    );
    press(&mut app, KeyCode::Char('h'));
    assert!(screen(&app, 140, 40).contains(r#""products": [3 items]"#));
    assert_eq!(doc.lines[app.detail.cursor].path, "properties.products");

    // ← and → fold and unfold here, not switch tabs; with the list focused they switch tabs.
    press(&mut app, KeyCode::Right);
    assert!(screen(&app, 140, 40).contains("sk-1"));
    assert_eq!(app.detail.tab, Tab::Pretty);
    press(&mut app, KeyCode::Left);
    assert!(screen(&app, 140, 40).contains("[3 items]"));
    assert_eq!(app.detail.tab, Tab::Pretty);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    assert_eq!(app.detail.tab, Tab::Raw, "→ switches tabs from the list");
}

#[test]
fn shift_h_and_shift_l_fold_siblings_and_alt_folds_everything() {
    let mut app = order_app();
    cursor_to(&mut app, "properties.products[0]");
    press(&mut app, KeyCode::Char('H'));
    let text = screen(&app, 140, 40);
    assert_eq!(text.matches("{2 keys}").count(), 3, "{text}");
    assert!(!text.contains("sk-"), "{text}");
    press(&mut app, KeyCode::Char('L'));
    let text = screen(&app, 140, 40);
    assert!(text.contains("sk-1") && text.contains("sk-3"), "{text}");

    // Top-level keys are siblings: H on `context` folds `properties` too.
    cursor_to(&mut app, "context");
    press(&mut app, KeyCode::Char('H'));
    let text = screen(&app, 140, 40);
    assert!(text.contains(r#""properties": {3 keys},"#), "{text}");
    assert!(text.contains(r#""context": {2 keys}"#), "{text}");

    let alt = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
    app.handle_key(alt('l'));
    let text = screen(&app, 140, 40);
    assert!(
        text.contains("analytics.js") && text.contains("sk-2"),
        "{text}"
    );
    app.handle_key(alt('h'));
    let text = screen(&app, 140, 40);
    assert!(text.contains(r#""properties": {3 keys},"#), "{text}");
    assert!(
        !text.contains("sk-") && !text.contains("analytics.js"),
        "{text}"
    );
}

#[test]
fn vim_sequences_fold_in_the_tree_and_z_alone_still_wraps() {
    let mut app = order_app();
    cursor_to(&mut app, "properties.products");
    // `z` waits for its second key and says what may follow.
    press(&mut app, KeyCode::Char('z'));
    let status = app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(status.starts_with("z… c "), "{status}");
    assert!(status.contains("M ") && status.contains("R "), "{status}");
    assert!(!app.detail.wrap, "nothing happens until the second key");
    press(&mut app, KeyCode::Char('c'));
    assert!(screen(&app, 140, 40).contains(r#""products": [3 items]"#));
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Char('o'));
    assert!(screen(&app, 140, 40).contains("sk-2"));

    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Char('M'));
    let text = screen(&app, 140, 40);
    assert!(text.contains(r#""properties": {3 keys},"#), "{text}");
    assert!(!text.contains("analytics.js"), "{text}");
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Char('R'));
    let text = screen(&app, 140, 40);
    assert!(
        text.contains("analytics.js") && text.contains("sk-2"),
        "{text}"
    );

    // A key that completes no sequence: `z` is taken as itself (wrap), then the key.
    let cursor = app.detail.cursor;
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Char('j'));
    assert!(app.detail.wrap, "z alone toggles wrap");
    assert_eq!(app.detail.cursor, cursor + 1, "and j still moves");
    // Esc drops a waiting `z`.
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Esc);
    assert!(app.detail.wrap && app.pending_lead.is_none());
    // With the list focused `z` is no lead: it wraps at once.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('z'));
    assert!(!app.detail.wrap && app.pending_lead.is_none());
}

#[test]
fn folds_stay_with_the_selected_message_and_reset_for_another() {
    let mut app = order_app();
    cursor_to(&mut app, "context");
    press(&mut app, KeyCode::Char('h'));
    assert!(screen(&app, 140, 40).contains(r#""context": {2 keys}"#));

    // New messages arrive (the list is not following): the order stays folded.
    app.ingest(
        vec![frame(
            6,
            r#"{"type":"track","event":"Later","userId":"u","messageId":"m-6"}"#,
        )],
        Instant::now(),
    );
    assert!(screen(&app, 140, 40).contains(r#""context": {2 keys}"#));
    // Other tabs and back.
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('1'));
    assert!(screen(&app, 140, 40).contains(r#""context": {2 keys}"#));

    // Another message, then the order again: it starts unfolded.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('j'));
    assert!(screen(&app, 140, 40).contains(r#""name": "Home""#));
    press(&mut app, KeyCode::Char('k'));
    let text = screen(&app, 140, 40);
    assert!(text.contains("analytics.js"), "{text}");
    assert!(!text.contains("{2 keys}"), "{text}");
}

#[test]
fn n_and_a_finding_jump_unfold_what_hides_their_line() {
    let mut app = order_app();
    app.handle_key(KeyEvent::new(KeyCode::Char('h'), KeyModifiers::ALT));
    assert!(!screen(&app, 140, 40).contains("sk-3"));
    // A filter match inside the folded products: `n` unfolds down to it.
    press(&mut app, KeyCode::Char('/'));
    for c in "sk-3".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('n'));
    let (_, doc) = app.detail.doc.clone().unwrap();
    assert_eq!(
        doc.lines[app.detail.cursor].path,
        "properties.products[2].sku"
    );
    let text = screen(&app, 140, 40);
    assert!(text.contains(r#""sku": "sk-3""#), "{text}");
    assert!(text.contains(r#""context": {2 keys}"#), "{text}");
}

#[test]
fn c_copies_the_value_under_the_cursor_as_sent() {
    let mut app = order_app();
    cursor_to(&mut app, "properties.revenue");
    match press(&mut app, KeyCode::Char('c')) {
        Some(Effect::Copy(text)) => assert_eq!(text, "42.50"),
        other => panic!("{other:?}"),
    }
    assert!(screen(&app, 140, 40).contains("copied 5 bytes: properties.revenue"));
    cursor_to(&mut app, "properties.products[1]");
    match press(&mut app, KeyCode::Char('c')) {
        Some(Effect::Copy(text)) => {
            assert_eq!(text, "{\n  \"sku\": \"sk-2\",\n  \"price\": 20.50\n}")
        }
        other => panic!("{other:?}"),
    }
    // `Y` still copies the path.
    match press(&mut app, KeyCode::Char('Y')) {
        Some(Effect::Copy(text)) => assert_eq!(text, "properties.products[1]"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn enter_on_a_finding_unfolds_what_hides_its_line() {
    let mut app = app("");
    app.ingest(
        vec![frame(
            4,
            r#"{"type":"track","event":"Signed Up","userId":"u","messageId":"m-4","properties":{"profile":{"plan":"pro","contact":{"email":"jane@example.com"}}}}"#,
        )],
        Instant::now(),
    );
    press(&mut app, KeyCode::Tab);
    let finding_line = *app.detail.findings.lines.first().expect("a PII finding");
    let (_, doc) = app.detail.doc.clone().unwrap();
    assert!(
        doc.lines[finding_line]
            .path
            .starts_with("properties.profile")
    );
    app.handle_key(KeyEvent::new(KeyCode::Char('h'), KeyModifiers::ALT));
    let folded = screen(&app, 140, 40);
    assert!(folded.contains(r#""properties": {1 key}"#), "{folded}");
    assert!(!folded.contains("jane@example.com"), "{folded}");
    // The Findings tab, Enter: back in Pretty on the finding's line, unfolded down to it.
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.detail.tab, Tab::Pretty);
    assert_eq!(app.detail.cursor, finding_line);
    let text = screen(&app, 140, 40);
    assert!(text.contains("jane@example.com"), "{text}");
}

#[test]
fn the_tree_keys_can_be_rebound() {
    let mut app = app("[keys]\nfold-node = [\"-\"]\ncopy-value = [\"C\"]\n");
    app.ingest(vec![frame(4, ORDER)], Instant::now());
    press(&mut app, KeyCode::Tab);
    cursor_to(&mut app, "context");
    press(&mut app, KeyCode::Char('h'));
    assert!(!screen(&app, 140, 40).contains("{2 keys}"), "h is unbound");
    press(&mut app, KeyCode::Char('-'));
    assert!(screen(&app, 140, 40).contains(r#""context": {2 keys}"#));
    assert!(
        press(&mut app, KeyCode::Char('c')).is_none(),
        "c is unbound"
    );
    assert!(matches!(
        press(&mut app, KeyCode::Char('C')),
        Some(Effect::Copy(_))
    ));
}
