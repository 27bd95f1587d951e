//! The event loop: one `select!` over the keyboard and mouse, the feed, highlighting results,
//! a timer and SIGTERM. It draws only when something changed, at most once per frame budget,
//! and restores the terminal on every way out. The loop itself ([`event_loop`]) is generic
//! over ratatui's `Backend` and reads input from a channel, so tests drive it headless.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEvent,
    MouseEventKind,
};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::{Position, Rect};
use tokio::sync::{mpsc, watch};

use super::action::Action;
use super::app::{App, Effect, Mode, View};
use super::console::{Console, Input, Tty};
use super::deliveries::Origin;
use super::feed::{Feed, FeedReceiver};
use super::forward::Prepared;
use super::highlight::{HighlightKey, HighlightWorker, Highlighted};
use super::jq::{JqOutcome, JqRunner, JqSettings};
use super::rules::Rules;
use super::sql::{SqlOutcome, SqlRunner};
use super::views::{self, DrawnLayout, Highlights};
use eventscope_core::forward::engine::Engine;
use eventscope_core::inspect::Finding;
use eventscope_core::model::DeliveryFrame;
use eventscope_core::model::pretty::PrettyDoc;

mod jobs;

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
/// Background results (mappings, deliveries) taken per wake-up.
const BACKGROUND_DRAIN: usize = 256;
/// Rows (and bytes of JSON) handed to the jq worker at once.
const JQ_BATCH_ROWS: usize = 256;
const JQ_BATCH_BYTES: usize = 1024 * 1024;

/// What work done off the UI task reports back.
#[derive(Debug)]
enum Background {
    /// The forward popup's mapping (see [`App::forward_mapped`]).
    Mapped {
        generation: u64,
        result: Result<Prepared, String>,
    },
    /// One delivery of a forward or replay.
    Delivery { job: u64, frame: Box<DeliveryFrame> },
    /// Every request of the job is done.
    JobDone { job: u64 },
    /// A large message laid out, judged and routed (see [`App::detail_ready`]).
    Detail {
        id: u64,
        doc: Box<PrettyDoc>,
        findings: Vec<Finding>,
        routes: Option<Arc<[eventscope_core::routing::Verdict]>>,
        warehouse: Option<Box<super::warehouse::WarehouseRows>>,
    },
    /// A large pair compared (see [`App::diff_ready`]).
    Diff {
        generation: u64,
        result: Box<Result<super::popups::diff::Compared, String>>,
    },
    /// The view written to an NDJSON file (see [`Effect::Write`]), or why not.
    Written {
        path: String,
        messages: usize,
        result: Result<(), String>,
    },
    /// A copy written to the `--copy-to` file, or why not.
    CopiedTo {
        path: std::path::PathBuf,
        result: Result<(), String>,
    },
}

impl Background {
    /// Hands one delivery of `job` to the UI loop; false once the loop is gone.
    async fn delivered(tx: &mpsc::Sender<Background>, job: u64, frame: DeliveryFrame) -> bool {
        let delivery = Background::Delivery {
            job,
            frame: Box::new(frame),
        };
        tx.send(delivery).await.is_ok()
    }
}

/// Runs the viewer until the user quits or the process is told to stop.
pub async fn run(
    app: App,
    feed: FeedReceiver,
    rules: watch::Receiver<Rules>,
    jq: JqSettings,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture);
    let (mut tty, input) = Tty::start();
    let result = event_loop(&mut terminal, &mut tty, input, app, feed, rules, jq).await;
    tty.stop().await;
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

struct Loop {
    app: App,
    worker: HighlightWorker,
    highlighted: Option<Highlighted>,
    /// The forward popup's request body, and the selected delivery's request and response
    /// bodies: one worker each, since all can be on screen at once.
    forward_worker: HighlightWorker,
    forward_highlighted: Option<Highlighted>,
    delivery_workers: [HighlightWorker; 2],
    delivery_highlighted: [Option<Highlighted>; 2],
    layout: DrawnLayout,
    dirty: bool,
    background: mpsc::Sender<Background>,
    /// Started at the first forward: one HTTP client for every send.
    engine: Option<Arc<Engine>>,
    /// Text to edit in `$EDITOR` before the next turn of the loop.
    pending_edit: Option<String>,
    /// Answers the filter's `jq:` term in a worker process.
    jq: JqRunner,
    /// Holds the `:` prompt's database and answers its queries, on its own thread.
    sql: SqlRunner,
    /// The large message whose layout was asked for last: older jobs stop early.
    detail_wanted: Arc<AtomicU64>,
}

/// Runs the viewer on `terminal`, reading `input`, until the user quits, the input ends or the
/// process is told to stop. [`run`] wires it to the real terminal; tests to a `TestBackend`.
pub async fn event_loop<B: Backend, C: Console>(
    terminal: &mut Terminal<B>,
    console: &mut C,
    mut input: mpsc::Receiver<Input>,
    app: App,
    mut feed: FeedReceiver,
    mut rules: watch::Receiver<Rules>,
    jq: JqSettings,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut app = app;
    // The rows are routed by the feed; the filter and the detail pane name the same destinations.
    app.routing = Arc::clone(&rules.borrow().routing);
    // The feeds feed this graph; the person view and `person:` read it.
    app.identity = Arc::clone(&rules.borrow().identity);
    // … and this schema; the Warehouse tab and the schema view read it.
    app.schema = Arc::clone(&rules.borrow().schema);
    let (highlight_tx, mut highlight_rx) = mpsc::unbounded_channel();
    let (jq_tx, mut jq_rx) = mpsc::channel(4);
    let (sql_tx, mut sql_rx) = mpsc::unbounded_channel();
    let column_limit = app.inspector.warehouse.column_limit;
    let (forward_tx, mut forward_rx) = mpsc::unbounded_channel();
    let (request_tx, mut request_rx) = mpsc::unbounded_channel();
    let (response_tx, mut response_rx) = mpsc::unbounded_channel();
    let (background_tx, mut background_rx) = mpsc::channel(BACKGROUND_DRAIN);
    let mut state = Loop {
        app,
        worker: HighlightWorker::spawn(highlight_tx),
        highlighted: None,
        forward_worker: HighlightWorker::spawn(forward_tx),
        forward_highlighted: None,
        delivery_workers: [
            HighlightWorker::spawn(request_tx),
            HighlightWorker::spawn(response_tx),
        ],
        delivery_highlighted: [None, None],
        layout: DrawnLayout::default(),
        dirty: true,
        background: background_tx,
        engine: None,
        pending_edit: None,
        jq: JqRunner::spawn(jq, jq_tx),
        sql: SqlRunner::spawn(column_limit, sql_tx),
        detail_wanted: Arc::new(AtomicU64::new(0)),
    };
    let mut background = Vec::with_capacity(BACKGROUND_DRAIN);
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = sigterm();
    let mut last_draw = Instant::now() - FRAME_BUDGET;
    let mut feed_open = true;
    let mut batches = Vec::with_capacity(FEED_DRAIN);
    loop {
        if let Some(text) = state.pending_edit.take() {
            let result = console.edit(terminal, &text).await;
            let effect = state.app.forward_edited(result);
            if let Some(effect) = effect {
                state.apply(effect, console);
            }
            state.dirty = true;
        }
        let rescanning = !rescan_for(&mut state.app, RESCAN_SLICE);
        if rescanning {
            state.app.after_change();
            state.dirty = true;
        }
        state.feed_jq();
        state.feed_sql();
        state.app.report_history();
        if state.dirty && last_draw.elapsed() >= FRAME_BUDGET {
            state.draw(terminal, console)?;
            last_draw = Instant::now();
        }
        let next_draw = tokio::time::Instant::from_std(last_draw + FRAME_BUDGET);
        tokio::select! {
            event = input.recv() => match event {
                Some(Ok(event)) => {
                    if state.handle_input(event, console)? {
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
                        Feed::Deliveries(frames) => {
                            state.app.ingest_deliveries(frames, Origin::Stream)
                        }
                        Feed::Connection(connection) => state.app.connection = connection,
                        Feed::Relayed(origin) => state.app.relayed = origin,
                        Feed::Notice { text, is_error } => state.app.set_status(text, is_error),
                        Feed::Unread(unread) => state.app.unread = unread,
                    }
                }
                state.dirty = true;
            },
            received = background_rx.recv_many(&mut background, BACKGROUND_DRAIN) => {
                if received > 0 {
                    for item in background.drain(..) {
                        match item {
                            Background::Mapped { generation, result } => {
                                state.app.forward_mapped(generation, result)
                            }
                            Background::Delivery { job, frame } => state.app.delivered(job, *frame),
                            Background::JobDone { job } => state.app.job_done(job),
                            Background::Detail {
                                id,
                                doc,
                                findings,
                                routes,
                                warehouse,
                            } => state
                                .app
                                .detail_ready(id, *doc, findings, routes, warehouse.map(|w| *w)),
                            Background::Diff { generation, result } => {
                                state.app.diff_ready(generation, *result)
                            }
                            Background::Written {
                                path,
                                messages,
                                result,
                            } => match result {
                                Ok(()) => state.app.set_status(
                                    format!(
                                        "wrote {} to {path}",
                                        eventscope_core::model::count(messages as u64, "row")
                                    ),
                                    false,
                                ),
                                Err(e) => {
                                    state.app.set_status(format!("cannot write {path}: {e}"), true)
                                }
                            },
                            Background::CopiedTo { path, result } => {
                                if let Err(e) = result {
                                    state.app.set_status(
                                        format!("cannot copy to {}: {e}", path.display()),
                                        true,
                                    );
                                }
                            }
                        }
                    }
                    state.dirty = true;
                }
            },
            Some(outcome) = jq_rx.recv() => {
                let store = &mut state.app.store;
                match outcome {
                    JqOutcome::Answers { generation, answers } => {
                        store.jq_answered(generation, answers)
                    }
                    JqOutcome::Stopped { generation, error } => store.jq_stopped(generation, error),
                }
                rescan_for(&mut state.app, RESCAN_SLICE);
                state.app.after_change();
                state.dirty = true;
            },
            Some(outcome) = sql_rx.recv() => {
                match outcome {
                    SqlOutcome::Loaded { messages } => state.app.sql_loaded(messages),
                    SqlOutcome::Answered { generation, answer } => {
                        state.app.sql_answered(generation, answer)
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
            Some(result) = forward_rx.recv() => {
                if Some(&result.key) == state.forward_key().as_ref() {
                    state.forward_highlighted = Some(result);
                    state.dirty = true;
                }
            },
            Some(result) = request_rx.recv() => {
                if Some(&result.key) == state.delivery_key().as_ref() {
                    state.delivery_highlighted[0] = Some(result);
                    state.dirty = true;
                }
            },
            Some(result) = response_rx.recv() => {
                if Some(&result.key) == state.delivery_key().as_ref() {
                    state.delivery_highlighted[1] = Some(result);
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
    /// Keeps the jq task on the current filter and hands it the rows waiting for answers.
    fn feed_jq(&mut self) {
        let store = &mut self.app.store;
        self.jq.follow(store.filter_generation());
        if let Some(batch) = store.jq_batch(JQ_BATCH_ROWS, JQ_BATCH_BYTES)
            && let Err(batch) = self.jq.send(batch)
        {
            // Asked for again at a later turn (the tick wakes the loop).
            store.jq_unsent(batch.generation);
        }
    }

    /// Hands the SQL thread what the app has for it this turn.
    fn feed_sql(&mut self) {
        for command in self.app.sql_work() {
            if !self.sql.send(command) {
                self.app.sql_failed();
                self.dirty = true;
                return;
            }
        }
    }

    fn draw<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        console: &mut impl Console,
    ) -> anyhow::Result<()>
    where
        B::Error: Send + Sync + 'static,
    {
        self.start_detail_job();
        self.start_diff_job();
        // The open Summary counts what the list shows, a bounded slice per frame.
        let summary_counted = self.app.refresh_summary();
        // The open person view follows the graph and the rows (a bounded scan per frame).
        let person_scanned = self.app.refresh_person();
        // The open schema view follows the schema (a copy when it moved).
        self.app.refresh_schema();
        self.request_highlight();
        self.request_other_highlights();
        let app = &self.app;
        let highlights = Highlights {
            message: self.highlighted.as_ref(),
            forward: self.forward_highlighted.as_ref(),
            request: self.delivery_highlighted[0].as_ref(),
            response: self.delivery_highlighted[1].as_ref(),
        };
        let mut layout = DrawnLayout::default();
        let drawn = terminal.draw(|frame| layout = views::draw_all(frame, app, &highlights))?;
        console.drawn(drawn.buffer);
        self.layout = layout;
        self.dirty = false;
        if self.app.view == View::Messages {
            // At least 1 each, compared as stored: a pane not drawn (the welcome screen has no
            // detail pane) must not count as a change on every frame, or an idle viewer redraws
            // at full rate.
            let (rows, lines) = (
                (layout.list_rows.height as usize).max(1),
                (layout.detail_lines.height as usize).max(1),
            );
            if rows != self.app.list_height || lines != self.app.detail.height {
                self.app.list_height = rows;
                self.app.detail.height = lines;
                self.app.after_change();
                self.dirty = true;
            }
        } else {
            let view = &mut self.app.delivery_view;
            view.rows_height = (layout.delivery_rows.height as usize).max(1);
            view.pane_height = (layout.delivery_panes[0].height as usize).max(1);
            view.pane_lines = layout.delivery_lines;
        }
        if let Mode::Forward(popup) = &mut self.app.mode {
            popup.height = (layout.forward_lines.height as usize).max(1);
        }
        if let Mode::Summary(view) = &mut self.app.mode {
            view.page = (layout.summary_rows.height as usize).max(1);
        }
        if let Mode::Person(view) = &mut self.app.mode {
            view.page = (layout.person_rows.height as usize).max(1);
        }
        if let Mode::Schema(view) = &mut self.app.mode {
            view.page = (layout.schema_rows.height as usize).max(1);
        }
        if let Mode::Diff(pane) = &mut self.app.mode {
            pane.page = (layout.diff_rows.height as usize).max(1);
        }
        if let Mode::Sql(prompt) = &mut self.app.mode {
            // The first line is the answer's header.
            prompt.page = (layout.sql_rows.height as usize).saturating_sub(1).max(1);
        }
        if !summary_counted || !person_scanned {
            self.dirty = true;
        }
        Ok(())
    }

    /// The highlight the forward popup's request wants, if it is open.
    fn forward_key(&self) -> Option<HighlightKey> {
        let popup = self.app.forward_popup()?;
        popup.shown.as_ref()?;
        Some(HighlightKey {
            id: popup.highlight_id(),
            theme: self.app.theme.name.clone(),
        })
    }

    /// The highlight the selected delivery's panes want, if the Deliveries view is shown.
    fn delivery_key(&self) -> Option<HighlightKey> {
        if self.app.view != View::Deliveries {
            return None;
        }
        let docs = self.app.delivery_view.docs.as_ref()?;
        Some(HighlightKey {
            id: docs.id,
            theme: self.app.theme.name.clone(),
        })
    }

    /// Asks for the forward popup's and the Deliveries view's highlighting, as
    /// [`Loop::request_highlight`] does for the message.
    fn request_other_highlights(&mut self) {
        if let Some(key) = self.forward_key()
            && self
                .forward_highlighted
                .as_ref()
                .is_none_or(|h| h.key != key)
        {
            match self.forward_worker.cached(&key) {
                Some(cached) => self.forward_highlighted = Some(cached),
                None => {
                    if let Some(shown) = self.app.forward_popup().and_then(|p| p.shown.as_ref()) {
                        let body = Arc::clone(&shown.body);
                        self.forward_worker
                            .request(key, body, Arc::clone(&self.app.theme));
                    }
                }
            }
        }
        let Some(key) = self.delivery_key() else {
            return;
        };
        let Some(delivery) = self.app.deliveries.get(key.id) else {
            return;
        };
        let bodies = [
            delivery.frame.request.body.as_str(),
            delivery
                .frame
                .response
                .as_ref()
                .map_or("", |r| r.body.as_str()),
        ];
        for (slot, body) in bodies.into_iter().enumerate() {
            if self.delivery_highlighted[slot]
                .as_ref()
                .is_some_and(|h| h.key == key)
            {
                continue;
            }
            match self.delivery_workers[slot].cached(&key) {
                Some(cached) => self.delivery_highlighted[slot] = Some(cached),
                None => self.delivery_workers[slot].request(
                    key.clone(),
                    Arc::from(body),
                    Arc::clone(&self.app.theme),
                ),
            }
        }
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
        // The detail pane's document, shared: a long message is laid out (and held) once.
        if let Some((_, doc)) = self
            .app
            .detail
            .doc
            .as_ref()
            .filter(|(doc_id, _)| *doc_id == id)
        {
            self.worker
                .request_doc(key, Arc::clone(doc), Arc::clone(&self.app.theme));
        }
    }

    /// Returns true when the viewer should quit.
    fn handle_input(&mut self, event: Event, console: &mut impl Console) -> anyhow::Result<bool> {
        self.dirty = true;
        let effect = match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.app.handle_key(key),
            Event::Mouse(mouse) => {
                self.handle_mouse(mouse);
                None
            }
            _ => None,
        };
        Ok(effect.is_some_and(|effect| self.apply(effect, console)))
    }

    /// Does what an effect asks; true when the viewer should quit. Slow work is spawned and
    /// reports back on the background channel.
    fn apply(&mut self, effect: Effect, console: &mut impl Console) -> bool {
        match effect {
            Effect::Quit => return true,
            Effect::Copy(text) => {
                console.copy(&text);
                self.spawn_copy_to(text);
            }
            Effect::Write { path, lines } => self.spawn_write(path, lines),
            Effect::Map(job) => self.spawn_map(job),
            Effect::Send(job) => self.spawn_send(job),
            Effect::Replay(job) => self.spawn_replay(job),
            Effect::Edit { text } => self.pending_edit = Some(text),
        }
        false
    }

    fn handle_mouse(&mut self, mouse: MouseEvent) {
        let at = Position::new(mouse.column, mouse.row);
        let inside = |area: Rect| area.contains(at);
        if matches!(self.app.mode, Mode::Summary(_)) {
            // The Summary is on top: the wheel scrolls it, nothing reaches the view below.
            let action = match mouse.kind {
                MouseEventKind::ScrollDown => Action::SummaryDown,
                MouseEventKind::ScrollUp => Action::SummaryUp,
                _ => return,
            };
            self.app.update(action);
            return;
        }
        if matches!(self.app.mode, Mode::Person(_)) {
            // The person view is on top: the wheel moves in its timeline.
            let action = match mouse.kind {
                MouseEventKind::ScrollDown => Action::PersonDown,
                MouseEventKind::ScrollUp => Action::PersonUp,
                _ => return,
            };
            self.app.update(action);
            return;
        }
        if matches!(self.app.mode, Mode::Diff(_)) {
            // The diff pane is on top: the wheel scrolls its changes.
            let action = match mouse.kind {
                MouseEventKind::ScrollDown => Action::DiffDown,
                MouseEventKind::ScrollUp => Action::DiffUp,
                _ => return,
            };
            self.app.update(action);
            return;
        }
        if matches!(self.app.mode, Mode::Schema(_)) {
            // The schema view is on top: the wheel moves in its rows.
            let action = match mouse.kind {
                MouseEventKind::ScrollDown => Action::SchemaDown,
                MouseEventKind::ScrollUp => Action::SchemaUp,
                _ => return,
            };
            self.app.update(action);
            return;
        }
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) if inside(self.layout.list_rows) => {
                let row = (mouse.row - self.layout.list_rows.y) as usize;
                self.app.select_row(self.app.list_offset + row);
            }
            MouseEventKind::Down(MouseButton::Left) if inside(self.layout.delivery_rows) => {
                let row = (mouse.row - self.layout.delivery_rows.y) as usize;
                self.app.click_delivery_row(row);
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
