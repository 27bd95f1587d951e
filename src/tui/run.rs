//! The event loop: one `select!` over the keyboard and mouse, the feed, highlighting results,
//! a timer and SIGTERM. It draws only when something changed, at most once per frame budget,
//! and restores the terminal on every way out.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind, MouseButton,
    MouseEvent, MouseEventKind,
};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::layout::{Position, Rect};
use tokio::sync::{mpsc, watch};

use super::action::Action;
use super::app::{App, Effect, MapJob, Mode, ReplayJob, SendJob, View};
use super::deliveries::Origin;
use super::feed::{Feed, FeedReceiver};
use super::forward::{Prepared, prepare};
use super::highlight::{HighlightKey, HighlightWorker, Highlighted};
use super::jq::{JqOutcome, JqRunner, JqSettings};
use super::rules::Rules;
use super::views::{self, DrawnLayout, Highlights};
use eventscope_core::forward::engine::Engine;
use eventscope_core::inspect::Finding;
use eventscope_core::model::DeliveryFrame;
use eventscope_core::model::pretty::PrettyDoc;

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
    /// A large message laid out and judged (see [`App::detail_ready`]).
    Detail {
        id: u64,
        doc: Box<PrettyDoc>,
        findings: Vec<Finding>,
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
    let result = event_loop(&mut terminal, app, feed, rules, jq).await;
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
    /// The large message whose layout was asked for last: older jobs stop early.
    detail_wanted: Arc<AtomicU64>,
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: App,
    mut feed: FeedReceiver,
    mut rules: watch::Receiver<Rules>,
    jq: JqSettings,
) -> anyhow::Result<()> {
    let (highlight_tx, mut highlight_rx) = mpsc::unbounded_channel();
    let (jq_tx, mut jq_rx) = mpsc::channel(4);
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
        detail_wanted: Arc::new(AtomicU64::new(0)),
    };
    let mut background = Vec::with_capacity(BACKGROUND_DRAIN);
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = sigterm();
    let mut last_draw = Instant::now() - FRAME_BUDGET;
    let mut feed_open = true;
    let mut batches = Vec::with_capacity(FEED_DRAIN);
    loop {
        if let Some(text) = state.pending_edit.take() {
            // The editor owns the terminal meanwhile: stop reading keys (crossterm's reader
            // would steal them), hand the screen over, and take both back after.
            drop(input);
            let result = edit_in_editor(terminal, &text).await;
            input = EventStream::new();
            let effect = state.app.forward_edited(result);
            if let Some(effect) = effect {
                state.apply(effect);
            }
            state.dirty = true;
        }
        let rescanning = !rescan_for(&mut state.app, RESCAN_SLICE);
        if rescanning {
            state.app.after_change();
            state.dirty = true;
        }
        state.feed_jq();
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
                        Feed::Deliveries(frames) => {
                            state.app.ingest_deliveries(frames, Origin::Stream)
                        }
                        Feed::Connection(connection) => state.app.connection = connection,
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
                            Background::Detail { id, doc, findings } => {
                                state.app.detail_ready(id, *doc, findings)
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

    fn draw(&mut self, terminal: &mut DefaultTerminal) -> anyhow::Result<()> {
        self.start_detail_job();
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
        terminal.draw(|frame| layout = views::draw_all(frame, app, &highlights))?;
        self.layout = layout;
        self.dirty = false;
        if self.app.view == View::Messages {
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
        } else {
            let view = &mut self.app.delivery_view;
            view.rows_height = (layout.delivery_rows.height as usize).max(1);
            view.pane_height = (layout.delivery_panes[0].height as usize).max(1);
            view.pane_lines = layout.delivery_lines;
        }
        if let Mode::Forward(popup) = &mut self.app.mode {
            popup.height = (layout.forward_lines.height as usize).max(1);
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

    /// Lays out and judges a large selected message on a thread of its own (not the blocking
    /// pool: quitting must not wait for it); a job overtaken by a newer one stops between steps.
    fn start_detail_job(&mut self) {
        let Some(job) = self.app.take_detail_job() else {
            return;
        };
        self.detail_wanted.store(job.id, Ordering::Relaxed);
        let wanted = Arc::clone(&self.detail_wanted);
        let tx = self.background.clone();
        let spawned = std::thread::Builder::new()
            .name("eventscope-detail".into())
            .spawn(move || {
                let current = || wanted.load(Ordering::Relaxed) == job.id;
                if !current() {
                    return;
                }
                let doc = job.layout();
                if !current() {
                    return;
                }
                let findings = job.judge();
                let _ = tx.blocking_send(Background::Detail {
                    id: job.id,
                    doc: Box::new(doc),
                    findings,
                });
            });
        if let Err(e) = spawned {
            self.app
                .set_status(format!("cannot lay out the message: {e}"), true);
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
            .detail_doc
            .as_ref()
            .filter(|(doc_id, _)| *doc_id == id)
        {
            self.worker
                .request_doc(key, Arc::clone(doc), Arc::clone(&self.app.theme));
        }
    }

    /// Returns true when the viewer should quit.
    fn handle_input(&mut self, event: Event) -> anyhow::Result<bool> {
        self.dirty = true;
        let effect = match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.app.handle_key(key),
            Event::Mouse(mouse) => {
                self.handle_mouse(mouse);
                None
            }
            _ => None,
        };
        Ok(effect.is_some_and(|effect| self.apply(effect)))
    }

    /// Does what an effect asks; true when the viewer should quit. Slow work is spawned and
    /// reports back on the background channel.
    fn apply(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Quit => return true,
            Effect::Copy(text) => copy_osc52(&text),
            Effect::Write { path, lines } => {
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
            Effect::Map(job) => self.spawn_map(job),
            Effect::Send(job) => self.spawn_send(job),
            Effect::Replay(job) => self.spawn_replay(job),
            Effect::Edit { text } => self.pending_edit = Some(text),
        }
        false
    }

    fn spawn_map(&self, job: MapJob) {
        let tx = self.background.clone();
        tokio::spawn(async move {
            let MapJob {
                generation,
                destination,
                messages,
                inspector,
            } = job;
            let mapped = tokio::task::spawn_blocking(move || {
                prepare(destination, &messages, Some(&inspector))
            })
            .await;
            let result = mapped.unwrap_or_else(|e| Err(format!("mapping failed: {e}")));
            let _ = tx.send(Background::Mapped { generation, result }).await;
        });
    }

    fn spawn_send(&mut self, job: SendJob) {
        let engine = match &self.engine {
            Some(engine) => Arc::clone(engine),
            None => match Engine::new() {
                Ok(engine) => {
                    let engine = Arc::new(engine);
                    self.engine = Some(Arc::clone(&engine));
                    engine
                }
                Err(e) => {
                    self.app.set_status(e.to_string(), true);
                    self.app.job_done(job.job);
                    return;
                }
            },
        };
        let tx = self.background.clone();
        let SendJob {
            job,
            destination,
            requests,
        } = job;
        let mut deliveries = engine.send(destination, requests);
        tokio::spawn(async move {
            while let Some(frame) = deliveries.recv().await {
                if !Background::delivered(&tx, job, frame).await {
                    return;
                }
            }
            let _ = tx.send(Background::JobDone { job }).await;
        });
    }

    fn spawn_replay(&self, job: ReplayJob) {
        let tx = self.background.clone();
        tokio::spawn(async move {
            let ReplayJob {
                job,
                target,
                messages,
                new_ids,
                to_now,
            } = job;
            let picked = Arc::clone(&messages);
            let rewritten = tokio::task::spawn_blocking(move || {
                super::replay::rewrite(&picked, new_ids, to_now, chrono::Utc::now())
            })
            .await
            .unwrap_or_default();
            for frame in super::replay::send(&target, &messages, rewritten).await {
                if !Background::delivered(&tx, job, frame).await {
                    return;
                }
            }
            let _ = tx.send(Background::JobDone { job }).await;
        });
    }

    fn handle_mouse(&mut self, mouse: MouseEvent) {
        let at = Position::new(mouse.column, mouse.row);
        let inside = |area: Rect| area.contains(at);
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

/// Hands `text` to `$VISUAL` / `$EDITOR` (else `vi`) in a temporary file, with the terminal
/// given back to normal mode meanwhile; returns the file's text after, or why there is none.
async fn edit_in_editor(terminal: &mut DefaultTerminal, text: &str) -> Result<String, String> {
    use crossterm::terminal::{
        EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
    };
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi").to_string();
    let args: Vec<String> = words.map(str::to_string).collect();
    // A fresh name, created only if absent: nobody can plant a link there first.
    let path = std::env::temp_dir().join(format!("eventscope-edit-{}.json", uuid::Uuid::new_v4()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(e) = written {
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    let mut stdout = std::io::stdout();
    let _ = crossterm::execute!(stdout, DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(stdout, crossterm::cursor::Show);
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .arg(&path)
        .status()
        .await;
    let _ = enable_raw_mode();
    let _ = crossterm::execute!(
        stdout,
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    );
    // The screen is blank now: forget the last frame so the next draw paints everything.
    // (`Terminal::clear` would do it too, but asks the terminal where the cursor is first,
    // and waits for an answer some terminals never give.)
    terminal.swap_buffers();
    let result = match status {
        Ok(status) if status.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the edit back from {}: {e}", path.display())),
        Ok(status) => Err(format!(
            "edit cancelled: `{editor}` exited with {status}; nothing changed"
        )),
        Err(e) => Err(format!(
            "cannot run the editor `{editor}`: {e} (set $EDITOR); nothing changed"
        )),
    };
    let _ = std::fs::remove_file(&path);
    result
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
