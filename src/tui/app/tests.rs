//! The app state's unit tests.

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::tui::popups::forward::Preview;
use crate::tui::theme::{ColorMode, load_theme};
use eventscope_core::model::{DeliveryFrame, Frame};

fn app() -> App {
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::File { path: "t".into() };
    App::new(source, 100, theme, KeyMap::default())
}

fn tracks(app: &mut App, range: std::ops::Range<u64>) {
    let frames = range
        .map(|seq| {
            let message = format!(r#"{{"type":"track","event":"E{seq}","userId":"u"}}"#);
            Frame::Event(eventscope_core::model::EventFrame::from_plain(
                seq,
                serde_json::value::RawValue::from_string(message).unwrap(),
                "t",
            ))
        })
        .collect();
    app.ingest(frames, Instant::now());
}

#[test]
fn follows_the_newest_until_moved_up_and_g_goes_back_to_live() {
    let mut app = app();
    tracks(&mut app, 1..6);
    assert_eq!(app.selected, Some(5));
    app.update(Action::Up);
    assert!(!app.follow);
    tracks(&mut app, 6..8);
    assert_eq!(app.selected, Some(4), "stays put while not following");
    app.update(Action::Live);
    assert_eq!(app.selected, Some(7));
    tracks(&mut app, 8..9);
    assert_eq!(app.selected, Some(8), "follows again");
}

#[test]
fn a_click_selects_its_row_and_leaves_live_mode_unless_it_is_the_last() {
    let mut app = app();
    tracks(&mut app, 1..6);
    app.select_row(1);
    assert_eq!((app.selected, app.follow), (Some(2), false));
    app.select_row(99);
    assert_eq!(
        app.selected,
        Some(2),
        "a click below the rows changes nothing"
    );
    app.select_row(4);
    assert_eq!((app.selected, app.follow), (Some(5), true));
}

#[test]
fn pause_freezes_the_rows_and_counts_new_ones() {
    let mut app = app();
    tracks(&mut app, 1..4);
    app.update(Action::TogglePause);
    tracks(&mut app, 4..10);
    assert_eq!(app.shown_len(), 3);
    assert_eq!(app.waiting(), 6);
    assert_eq!(app.selected, Some(3));
    app.update(Action::TogglePause);
    assert_eq!(app.shown_len(), 9);
    assert_eq!(app.selected, Some(9));
}

#[test]
fn the_selection_survives_eviction() {
    let mut app = app();
    tracks(&mut app, 1..50);
    app.update(Action::Top);
    assert_eq!(app.selected, Some(1));
    tracks(&mut app, 50..130);
    let selected = app.selected.unwrap();
    assert!(
        app.store.get(selected).is_some(),
        "a retained row is selected"
    );
    assert_eq!(app.store.evicted(), 29);
}

fn marked(app: &App) -> Vec<EntryId> {
    app.marks.iter().collect()
}

#[test]
fn space_toggles_a_mark_and_moves_down() {
    let mut app = app();
    tracks(&mut app, 1..6);
    app.update(Action::Top);
    app.update(Action::ToggleMark);
    assert_eq!(marked(&app), [1]);
    assert_eq!(app.selected, Some(2), "the selection moved down");
    app.update(Action::ToggleMark);
    assert_eq!(marked(&app), [1, 2]);
    app.update(Action::Up);
    app.update(Action::ToggleMark);
    assert_eq!(marked(&app), [1], "a second Space unmarks");
    let texts: Vec<String> = app.picked().iter().map(|p| p.text().to_string()).collect();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("\"E1\""));
    app.update(Action::ClearMarks);
    assert!(app.marks.is_empty());
    assert_eq!(
        app.picked().len(),
        1,
        "without marks, the selected message is picked"
    );
}

#[test]
fn v_marks_the_range_from_the_anchor_to_the_selection_either_way() {
    let mut app = app();
    tracks(&mut app, 1..11);
    app.update(Action::Top);
    app.update(Action::Down);
    app.update(Action::ToggleMark); // marks 2, moves to 3
    for _ in 0..3 {
        app.update(Action::Down);
    }
    assert_eq!(app.selected, Some(6));
    app.update(Action::MarkRange);
    assert_eq!(marked(&app), [2, 3, 4, 5, 6]);
    // Upwards from a new anchor.
    app.update(Action::Live);
    app.update(Action::ToggleMark); // marks 10 (the last row stays selected)
    app.update(Action::Up);
    app.update(Action::Up);
    app.update(Action::MarkRange);
    assert_eq!(marked(&app), [2, 3, 4, 5, 6, 8, 9, 10]);
    // No anchor: V marks the selected row only.
    app.update(Action::ClearMarks);
    app.update(Action::MarkRange);
    assert_eq!(marked(&app), [8]);
}

#[test]
fn star_marks_every_message_the_filter_shows_and_marks_outlive_the_filter() {
    let mut app = app();
    tracks(&mut app, 1..11);
    app.apply_filter("event:E1*");
    while !app.store.rescan_step(100) {}
    app.after_change();
    app.update(Action::MarkMatching);
    assert_eq!(marked(&app), [1, 10]);
    app.apply_filter("");
    while !app.store.rescan_step(100) {}
    assert_eq!(marked(&app), [1, 10], "marks stay when the filter changes");
    assert_eq!(app.picked().len(), 2);
    // Esc with nothing else open clears them.
    app.update(Action::Back);
    assert!(app.marks.is_empty());
}

#[test]
fn marks_go_with_evicted_rows_and_with_clear() {
    let mut app = app();
    tracks(&mut app, 1..6);
    app.update(Action::MarkMatching);
    tracks(&mut app, 6..103);
    assert_eq!(app.store.evicted(), 2);
    assert_eq!(marked(&app), [3, 4, 5]);
    // Clear asks first: another key keeps the rows and the marks, `y` clears both.
    app.update(Action::Clear);
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('n'),
    ));
    assert_eq!(marked(&app), [3, 4, 5]);
    app.update(Action::Clear);
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('y'),
    ));
    assert!(app.marks.is_empty());
    assert!(app.store.is_empty());
}

#[test]
fn deliveries_are_not_rows_and_d_jumps_to_a_messages_deliveries_and_back() {
    let mut app = app();
    tracks(&mut app, 1..4);
    let delivery = |seq: u64, status: u16| {
        Frame::Delivery(DeliveryFrame {
            destination: "upstream".into(),
            kind: "upstream".into(),
            for_seqs: vec![seq],
            status: Some(status),
            ok: status == 200,
            latency_ms: 12.0,
            attempts: 1,
            ..DeliveryFrame::default()
        })
    };
    app.ingest(vec![delivery(2, 200), delivery(3, 503)], Instant::now());
    assert_eq!(app.store.len(), 3, "deliveries are not rows");
    assert_eq!(app.deliveries.len(), 2);
    app.update(Action::Up);
    assert_eq!(app.selected, Some(2));
    let lines: Vec<String> = app
        .selected_deliveries()
        .iter()
        .map(|d| d.one_line())
        .collect();
    assert_eq!(lines, ["upstream 200 · 12 ms · 1 attempt"]);
    app.update(Action::MessageDeliveries);
    assert_eq!(app.view, View::Deliveries);
    assert_eq!(app.deliveries.visible().len(), 1);
    app.update(Action::Back);
    assert_eq!(app.view, View::Messages);
    assert_eq!(app.selected, Some(2), "back on the same message");
    // All deliveries; Enter shows the selected one's message.
    app.update(Action::Deliveries);
    assert_eq!(app.deliveries.visible().len(), 2);
    assert_eq!(app.delivery_view.selected, Some(2), "the newest");
    app.update(Action::JumpToFinding);
    assert_eq!(app.view, View::Messages);
    assert_eq!(app.selected, Some(3));
}

#[test]
fn forward_without_destinations_explains_and_replay_needs_a_collector() {
    let mut app = app();
    tracks(&mut app, 1..3);
    assert!(app.update(Action::Forward).is_none(), "nothing to map");
    assert!(matches!(
        app.forward_popup().unwrap().preview,
        Preview::NoDestination
    ));
    app.handle_key(KeyEvent::from(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));
    assert!(app.forward_popup().is_none());
    app.update(Action::Replay);
    assert!(matches!(app.mode, Mode::Normal), "a file has no collector");
    assert!(app.status.as_ref().unwrap().text.contains("collector"));
}

#[test]
fn copy_and_write_produce_effects() {
    let mut app = app();
    tracks(&mut app, 1..3);
    match app.update(Action::CopyMessage) {
        Some(Effect::Copy(text)) => assert!(text.contains("\"E2\"")),
        other => panic!("{other:?}"),
    }
    app.update(Action::SwitchFocus);
    app.update(Action::Down);
    assert!(matches!(
        app.update(Action::CopyPath),
        Some(Effect::Copy(path)) if path == "type"
    ));
    // `w` asks for the path (a default shown, editable); Enter writes the rows as frames.
    assert!(app.update(Action::WriteView).is_none());
    let Mode::Write(prompt) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert!(prompt.path.ends_with(".ndjson"), "{}", prompt.path);
    app.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in "out.ndjson".chars() {
        assert!(app.handle_key(KeyEvent::from(KeyCode::Char(c))).is_none());
    }
    match app.handle_key(KeyEvent::from(KeyCode::Enter)) {
        Some(Effect::Write { lines, path }) => {
            assert_eq!(path, "out.ndjson");
            assert_eq!(lines.len(), 2);
            assert!(
                lines.iter().all(|l| l.starts_with(r#"{"type":"event""#)),
                "{lines:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(app.mode, Mode::Normal));
    app.update(Action::WriteView);
    assert!(
        app.handle_key(KeyEvent::from(KeyCode::Esc)).is_none(),
        "Esc cancels"
    );
    assert!(matches!(app.mode, Mode::Normal));
}

/// An app of `capacity` rows holding `count` tracks named `E1`…, `list_height` rows drawn.
fn big_app(capacity: usize, count: u64, list_height: usize) -> App {
    let theme = Arc::new(load_theme("dark", ColorMode::NoColor).unwrap());
    let source = SourceKind::File { path: "t".into() };
    let mut app = App::new(source, capacity, theme, KeyMap::default());
    app.list_height = list_height;
    tracks(&mut app, 1..count + 1);
    app
}

/// Rows the list draws: from its offset to the end of the page.
fn drawn_rows(app: &App) -> usize {
    app.shown_len()
        .saturating_sub(app.list_offset)
        .min(app.list_height)
}

#[test]
fn a_filter_applied_in_slices_keeps_the_page_full_as_they_complete() {
    // 30,000 rows: the first slice tests 20,000 of them at once, the event loop the rest.
    for scrolled in [false, true] {
        let mut app = big_app(50_000, 30_000, 30);
        if scrolled {
            app.update(Action::PageUp);
        }
        app.apply_filter("E1");
        assert!(app.shown_len() > 30, "the first slice found matches");
        assert_eq!(drawn_rows(&app), 30, "scrolled: {scrolled}");
        while !app.store.rescan_step(1000) {
            app.after_change();
            assert_eq!(drawn_rows(&app), 30, "scrolled: {scrolled}");
        }
        app.after_change();
        assert_eq!(drawn_rows(&app), 30, "scrolled: {scrolled}");
        // `G` shows the newest match, at the bottom of a full page.
        app.update(Action::Live);
        assert_eq!(drawn_rows(&app), 30);
        assert_eq!(app.selected_index(), Some(app.shown_len() - 1));
    }
}

#[test]
fn clearing_and_refilling_keeps_the_page_full() {
    let mut app = big_app(1000, 500, 20);
    app.update(Action::Clear);
    tracks(&mut app, 501..531);
    assert_eq!(drawn_rows(&app), 20);
}

#[test]
fn moving_up_stops_following_and_counts_the_rows_that_arrive_below() {
    let mut app = app();
    tracks(&mut app, 1..6);
    assert_eq!(app.new_below(), None, "following");
    app.update(Action::Up);
    assert_eq!(app.new_below(), Some(0));
    tracks(&mut app, 6..9);
    assert_eq!(app.new_below(), Some(3));
    app.update(Action::Up);
    assert_eq!(
        app.new_below(),
        Some(3),
        "still counted from where following stopped"
    );
    app.update(Action::Live);
    assert_eq!(app.new_below(), None);
    assert_eq!(app.selected, Some(8));
}

#[test]
fn a_large_pair_is_compared_off_the_ui_task_and_shown_when_ready() {
    let mut app = app();
    let big = "x".repeat(SYNC_DETAIL_BYTES);
    let frames = [(1, r#"1"#), (2, r#""1""#)]
        .into_iter()
        .map(|(seq, price)| {
            let message = format!(
                r#"{{"type":"track","event":"Big","properties":{{"price":{price},"blob":"{big}"}}}}"#
            );
            Frame::Event(eventscope_core::model::EventFrame::from_plain(
                seq,
                serde_json::value::RawValue::from_string(message).unwrap(),
                "t",
            ))
        })
        .collect();
    app.ingest(frames, Instant::now());
    app.update(Action::Diff);
    let Mode::Diff(pane) = &app.mode else {
        panic!("no diff pane: {:?}", app.status);
    };
    assert!(pane.shown().is_none(), "not computed on the UI task");
    let job = app.take_diff_job().expect("a job for the loop to run");
    let generation = job.generation;
    // A stale result (another pane's) is ignored; this one's is shown.
    app.diff_ready(generation + 1, Ok(Default::default()));
    app.diff_ready(generation, job.run());
    let Mode::Diff(pane) = &app.mode else {
        panic!("the pane closed");
    };
    let diff = pane.shown().unwrap();
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(diff.changes[0].path, "properties.price");
}
