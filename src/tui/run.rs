//! The event loop: one `select!` over the keyboard and mouse, the feed, highlighting results,
//! a timer and SIGTERM. It draws only when something changed, at most once per frame budget,
//! and restores the terminal on every way out.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind, MouseButton,
    MouseEvent, MouseEventKind,
};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::layout::{Position, Rect};
use tokio::sync::{mpsc, watch};

use super::action::Action;
use super::app::{App, Effect, Mode};
use super::feed::Feed;
use super::highlight::{HighlightKey, HighlightWorker, Highlighted};
use super::rules::Rules;
use super::views::{self, DrawnLayout};

/// At most this often a frame is drawn (about 60 per second).
const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// How often time-based text (rate, countdowns) is refreshed without other changes.
const TICK_INTERVAL: Duration = Duration::from_millis(500);
/// UI time spent per loop turn applying a new filter to retained rows (jq costs ~5 µs a row,
/// free text well under 1 µs), so keys are served between steps.
const RESCAN_SLICE: Duration = Duration::from_millis(8);
/// Rows tested between clock checks.
const RESCAN_CHUNK: usize = 1024;
/// Feed batches (of up to 1024 rows) taken per wake-up before drawing, so that a firehose or
/// a large file never holds the keyboard off for long.
const FEED_DRAIN: usize = 8;

/// Runs the viewer until the user quits or the process is told to stop.
pub async fn run(
    app: App,
    feed: mpsc::Receiver<Feed>,
    rules: watch::Receiver<Rules>,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, app, feed, rules).await;
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

struct Loop {
    app: App,
    worker: HighlightWorker,
    highlighted: Option<Highlighted>,
    layout: DrawnLayout,
    dirty: bool,
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: App,
    mut feed: mpsc::Receiver<Feed>,
    mut rules: watch::Receiver<Rules>,
) -> anyhow::Result<()> {
    let (highlight_tx, mut highlight_rx) = mpsc::unbounded_channel();
    let mut state = Loop {
        app,
        worker: HighlightWorker::spawn(highlight_tx),
        highlighted: None,
        layout: DrawnLayout::default(),
        dirty: true,
    };
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = sigterm();
    let mut last_draw = Instant::now() - FRAME_BUDGET;
    let mut feed_open = true;
    let mut batches = Vec::with_capacity(FEED_DRAIN);
    loop {
        let rescanning = !rescan_for(&mut state.app, RESCAN_SLICE);
        if rescanning {
            state.app.after_change();
            state.dirty = true;
        }
        if state.dirty && last_draw.elapsed() >= FRAME_BUDGET {
            state.draw(terminal)?;
            last_draw = Instant::now();
        }
        let next_draw = tokio::time::Instant::from_std(last_draw + FRAME_BUDGET);
        tokio::select! {
            event = input.next() => match event {
                Some(Ok(event)) => {
                    if state.handle_input(event)? {
                        return Ok(());
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            received = feed.recv_many(&mut batches, FEED_DRAIN), if feed_open => {
                if received == 0 {
                    feed_open = false;
                }
                let now = Instant::now();
                for item in batches.drain(..) {
                    match item {
                        Feed::Entries(entries) => state.app.ingest_entries(entries, now),
                        Feed::Connection(connection) => state.app.connection = connection,
                        Feed::Notice { text, is_error } => state.app.set_status(text, is_error),
                    }
                }
                state.dirty = true;
            },
            Some(result) = highlight_rx.recv() => {
                if Some(result.key.id) == state.app.selected {
                    state.highlighted = Some(result);
                    state.dirty = true;
                }
            },
            Ok(()) = rules.changed() => {
                let current = rules.borrow_and_update().clone();
                match current.error {
                    Some(error) => state.app.set_status(format!("plan not reloaded: {error}"), true),
                    None => {
                        state.app.set_inspector(current.inspector);
                        state.app.set_status("plan reloaded: new messages and the selection use it", false);
                    }
                }
                state.dirty = true;
            },
            _ = tick.tick() => state.dirty = true,
            _ = tokio::time::sleep_until(next_draw), if state.dirty => {},
            _ = tokio::task::yield_now(), if rescanning => {},
            _ = terminated(&mut terminate) => return Ok(()),
        }
    }
}

/// Applies the filter to more retained rows for up to `slice`; false while rows remain.
fn rescan_for(app: &mut App, slice: Duration) -> bool {
    let start = Instant::now();
    loop {
        if app.store.rescan_step(RESCAN_CHUNK) {
            return true;
        }
        if start.elapsed() >= slice {
            return false;
        }
    }
}

impl Loop {
    fn draw(&mut self, terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
        self.request_highlight();
        let app = &self.app;
        let highlighted = self.highlighted.as_ref();
        let mut layout = DrawnLayout::default();
        terminal.draw(|frame| layout = views::draw(frame, app, highlighted))?;
        self.layout = layout;
        self.dirty = false;
        let (rows, lines) = (
            layout.list_rows.height as usize,
            layout.detail_lines.height as usize,
        );
        if rows != self.app.list_height || lines != self.app.detail_height {
            self.app.list_height = rows.max(1);
            self.app.detail_height = lines.max(1);
            self.app.after_change();
            self.dirty = true;
        }
        Ok(())
    }

    /// Asks for the selected message's highlighting unless it is shown or cached already.
    fn request_highlight(&mut self) {
        let Some(id) = self.app.selected else {
            return;
        };
        let key = HighlightKey {
            id,
            theme: self.app.theme.name.clone(),
        };
        if self.highlighted.as_ref().is_some_and(|h| h.key == key) {
            return;
        }
        if let Some(cached) = self.worker.cached(&key) {
            self.highlighted = Some(cached);
            return;
        }
        if let Some(entry) = self.app.store.get(id) {
            let json: Arc<str> = Arc::from(&*entry.text);
            self.worker.request(key, json, Arc::clone(&self.app.theme));
        }
    }

    /// Returns true when the viewer should quit.
    fn handle_input(&mut self, event: Event) -> anyhow::Result<bool> {
        self.dirty = true;
        let action = match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                let quit_key = self.app.keys.action(key) == Some(Action::Quit)
                    && key
                        .modifiers
                        .contains(crossterm::event::KeyModifiers::CONTROL);
                if self.app.mode == Mode::Filter && !quit_key {
                    self.app.filter_key(key);
                    return Ok(false);
                }
                match self.app.keys.action(key) {
                    Some(action) if matches!(self.app.mode, Mode::Help | Mode::Summary) => {
                        match action {
                            Action::Quit => Some(Action::Quit),
                            _ => Some(Action::Back),
                        }
                    }
                    other => other,
                }
            }
            Event::Mouse(mouse) => {
                self.handle_mouse(mouse);
                None
            }
            _ => None,
        };
        let Some(action) = action else {
            return Ok(false);
        };
        match self.app.update(action) {
            Some(Effect::Quit) => return Ok(true),
            Some(Effect::Copy(text)) => copy_osc52(&text),
            Some(Effect::Write { path, lines }) => {
                let mut text = lines.join("\n");
                text.push('\n');
                match std::fs::write(&path, text) {
                    Ok(()) => self
                        .app
                        .set_status(format!("wrote {} messages to {path}", lines.len()), false),
                    Err(e) => self
                        .app
                        .set_status(format!("cannot write {path}: {e}"), true),
                }
            }
            None => {}
        }
        Ok(false)
    }

    fn handle_mouse(&mut self, mouse: MouseEvent) {
        let at = Position::new(mouse.column, mouse.row);
        let inside = |area: Rect| area.contains(at);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) if inside(self.layout.list_rows) => {
                let row = (mouse.row - self.layout.list_rows.y) as usize;
                self.app.select_row(self.app.list_offset + row);
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let action = if mouse.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                let focus = if inside(self.layout.detail) {
                    super::app::Focus::Detail
                } else {
                    super::app::Focus::List
                };
                let previous = std::mem::replace(&mut self.app.focus, focus);
                for _ in 0..3 {
                    self.app.update(action);
                }
                self.app.focus = previous;
            }
            _ => {}
        }
    }
}

/// Copies through the terminal (OSC 52), which works over SSH too.
fn copy_osc52(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "\x1b]52;c;{encoded}\x07");
    let _ = stdout.flush();
}

#[cfg(unix)]
type Terminate = Option<tokio::signal::unix::Signal>;

#[cfg(unix)]
fn sigterm() -> Terminate {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::terminate()).ok()
}

/// Completes when SIGTERM arrives (never where it cannot be watched).
#[cfg(unix)]
async fn terminated(terminate: &mut Terminate) {
    match terminate {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
type Terminate = ();

#[cfg(not(unix))]
fn sigterm() -> Terminate {}

#[cfg(not(unix))]
async fn terminated(_: &mut Terminate) {
    std::future::pending().await
}
