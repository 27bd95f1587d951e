//! Popup keys go through the key map: rebound under `[keys]` in the config file, the new key
//! drives the forward popup and the old one no longer does, and the help overlay and the
//! popup's own key bar show the new key. Drawn into ratatui's TestBackend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};
use eventscope::config::Config;
use eventscope::model::{Frame, Incoming, parse_frame_text};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, Destinations, Effect, Mode, SourceKind};
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
