//! The viewer's state and its one place of change, `update`. Drawing reads this state and
//! never changes it; the event loop feeds it frames, keys and background results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::deliveries::{Deliveries, DeliveryId, MessageFilter, Origin};
use super::forward::{ForwardPopup, MAX_EDIT_MESSAGES, Prepared, Preview};
use super::keys::KeyMap;
use super::marks::Marks;
use super::replay::ReplayPopup;
use super::store::Store;
use super::summary::Summary;
use super::theme::Theme;
use eventscope_core::entry::{Entry, EntryBuilder, EntryId, EntryKind};
use eventscope_core::filter::{FilterError, Query};
use eventscope_core::forward::replay::CollectorTarget;
use eventscope_core::forward::{Destination, Outgoing, Request};
use eventscope_core::inspect::redact::RedactMode;
use eventscope_core::inspect::{Finding, Inspector};
use eventscope_core::model::pretty::{Bounds, PrettyDoc, PrettyLine, pretty, pretty_within};
use eventscope_core::model::{DeliveryFrame, Frame};

/// Rows tested at once when a filter changes; the rest is done in slices by the event loop.
const RESCAN_NOW: usize = 20_000;

/// Where the frames come from, as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// The collector embedded in this process, at `http://ADDR`.
    Embedded {
        addr: String,
        note: Option<String>,
    },
    Remote {
        url: String,
    },
    File {
        path: String,
    },
}

/// The state of the feed, as shown in the header.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Connecting,
    Live,
    Reconnecting {
        error: String,
        retry_at: Instant,
    },
    Loading {
        done: u64,
        total: u64,
    },
    /// A file read to its end.
    Loaded,
    Closed {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Pretty,
    Raw,
    Call,
    Findings,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Pretty, Tab::Raw, Tab::Call, Tab::Findings];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Pretty => "Pretty",
            Tab::Raw => "Raw",
            Tab::Call => "Call",
            Tab::Findings => "Findings",
        }
    }

    fn step(self, forward: bool) -> Tab {
        let i = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let n = Tab::ALL.len();
        Tab::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// Modes and popups, topmost first: keys go to the mode, drawing puts it on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Help,
    Summary,
    /// The forward popup (`App::forward` holds its state).
    Forward,
    /// The replay popup (`App::replay` holds its state).
    Replay,
}

/// What the body of the screen shows, under any popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The message list and the detail pane.
    Messages,
    /// One row per delivery, the selected one's request and response below.
    Deliveries,
}

/// The panes of the Deliveries view, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryPane {
    #[default]
    List,
    Request,
    Response,
}

/// The selected delivery's bodies, pretty-printed (highlighting comes from workers).
#[derive(Debug, Clone)]
pub struct DeliveryDocs {
    pub id: DeliveryId,
    pub request: Arc<PrettyDoc>,
    pub response: Arc<PrettyDoc>,
}

/// The Deliveries view's selection and scrolling.
#[derive(Debug)]
pub struct DeliveryView {
    pub selected: Option<DeliveryId>,
    /// Index (into the visible rows) of the first row drawn.
    pub offset: usize,
    /// Keep the newest delivery selected as they arrive.
    pub follow: bool,
    pub pane: DeliveryPane,
    /// First line drawn in the request and response panes.
    pub scroll: [usize; 2],
    pub docs: Option<DeliveryDocs>,
    /// Rows of the list and lines of each pane at the last draw, for paging and bounds.
    pub rows_height: usize,
    pub pane_height: usize,
    pub pane_lines: [usize; 2],
    /// The message selected when `D` opened the view, selected again on the way back.
    pub from_message: Option<EntryId>,
}

impl Default for DeliveryView {
    fn default() -> Self {
        DeliveryView {
            selected: None,
            offset: 0,
            follow: true,
            pane: DeliveryPane::List,
            scroll: [0, 0],
            docs: None,
            rows_height: 10,
            pane_height: 10,
            pane_lines: [usize::MAX, usize::MAX],
            from_message: None,
        }
    }
}

/// The destinations of the config, ready to use, or why there are none.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    pub list: Vec<Arc<Destination>>,
    /// The config's `[[destination]]` tables could not be used: one line, shown in the popup.
    pub problem: Option<String>,
    /// The config file read, if any, for the popup's hint.
    pub config_path: Option<String>,
}

impl Destinations {
    /// Resolves the config's `[[destination]]` tables (reading `env:VAR` credentials). The
    /// viewer starts even when one is unusable: the usable ones can be chosen, and the forward
    /// popup says what is wrong with the others.
    pub fn from_config(
        tables: &[eventscope_core::forward::destination::DestinationConfig],
        config_path: Option<&std::path::Path>,
    ) -> Destinations {
        let mut list: Vec<Arc<Destination>> = Vec::new();
        let mut problems = Vec::new();
        for table in tables {
            match Destination::from_config(table) {
                Ok(destination) if list.iter().any(|d| d.name == destination.name) => problems
                    .push(format!(
                        "destination `{}` is configured twice; names must be unique",
                        destination.name
                    )),
                Ok(destination) => list.push(Arc::new(destination)),
                Err(e) => problems.push(e.to_string()),
            }
        }
        Destinations {
            list,
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
            config_path: config_path.map(|p| p.display().to_string()),
        }
    }
}

/// Requests in flight for one forward or replay.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    /// The destination's name, or `collector`.
    pub label: String,
    pub done: usize,
    pub ok: usize,
    pub failed: usize,
    /// The last failure, e.g. `500` or `timeout after 5s`.
    pub last_failure: Option<String>,
}

/// Mapping the picked messages to a destination's requests (off the UI task).
#[derive(Clone)]
pub struct MapJob {
    pub generation: u64,
    pub destination: Arc<Destination>,
    pub messages: Arc<Vec<Outgoing>>,
    pub inspector: Arc<Inspector>,
}

impl std::fmt::Debug for MapJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapJob")
            .field("generation", &self.generation)
            .field("destination", &self.destination.name)
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

/// Sending mapped requests through the engine.
#[derive(Debug, Clone)]
pub struct SendJob {
    pub job: u64,
    pub destination: Arc<Destination>,
    pub requests: Vec<Request>,
}

/// Posting messages again into a collector.
#[derive(Debug, Clone)]
pub struct ReplayJob {
    pub job: u64,
    pub target: CollectorTarget,
    pub messages: Arc<Vec<Outgoing>>,
    pub new_ids: bool,
    pub to_now: bool,
}

/// The filter bar being edited.
#[derive(Debug, Default)]
pub struct FilterInput {
    pub text: String,
    /// The query text when editing started, restored by Esc.
    pub before: String,
    pub error: Option<FilterError>,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
}

/// A message for the status line, fading after a while.
#[derive(Debug, Clone)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
    pub at: Instant,
}

/// Events per second over the last few seconds.
#[derive(Debug, Default)]
pub struct RateMeter {
    window: std::collections::VecDeque<(Instant, u64)>,
}

impl RateMeter {
    const SPAN: Duration = Duration::from_secs(2);

    pub fn record(&mut self, now: Instant, count: u64) {
        self.window.push_back((now, count));
        while self
            .window
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN)
        {
            self.window.pop_front();
        }
    }

    pub fn per_second(&self, now: Instant) -> f64 {
        let total: u64 = self
            .window
            .iter()
            .filter(|(t, _)| now.duration_since(*t) <= Self::SPAN)
            .map(|(_, c)| c)
            .sum();
        total as f64 / Self::SPAN.as_secs_f64()
    }
}

/// The verdicts of the selected message, and the Pretty line each one sits under.
#[derive(Debug, Default)]
pub struct SelectedFindings {
    pub findings: Vec<Finding>,
    /// For each finding, the line of its path (or of its nearest ancestor present).
    pub lines: Vec<usize>,
}

impl SelectedFindings {
    fn of(findings: Vec<Finding>, doc: &PrettyDoc) -> SelectedFindings {
        let lines = findings.iter().map(|f| anchor_line(doc, &f.path)).collect();
        SelectedFindings { findings, lines }
    }

    /// Indexes of the findings under `line`.
    pub fn at_line(&self, line: usize) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .iter()
            .enumerate()
            .filter(move |(_, l)| **l == line)
            .map(|(i, _)| i)
    }
}

/// What the detail pane lays out of a message: all of any message Segment accepts (32 KB); of
/// a larger one, lines cut at 16 KiB and at most 20,000 lines or 1 MiB of text, so that one huge
/// message costs the viewer a bounded amount of memory and drawing.
pub const DETAIL_BOUNDS: Bounds = Bounds {
    lines: 20_000,
    line_bytes: 16 * 1024,
    total_bytes: 1024 * 1024,
};

/// The selected message pretty-printed within [`DETAIL_BOUNDS`], ending with a line that says
/// so when it is cut; `copy_key` is the key that copies the whole message.
pub fn detail_doc(text: &str, copy_key: &str) -> PrettyDoc {
    let (mut doc, cut) = pretty_within(text, DETAIL_BOUNDS);
    if cut {
        doc.lines.push(PrettyLine {
            text: format!(
                "… the rest is not shown: the message is {} bytes; {copy_key} copies it whole",
                eventscope_core::model::thousands(text.len() as u64)
            ),
            path: String::new(),
            depth: 0,
            key: None,
            value: None,
        });
    }
    doc
}

/// Larger messages are laid out and judged off the UI task (see [`App::take_detail_job`]).
pub const SYNC_DETAIL_BYTES: usize = 256 * 1024;

/// A large selected message to lay out and judge off the UI task; the result goes to
/// [`App::detail_ready`].
pub struct DetailJob {
    pub id: EntryId,
    text: String,
    judge: bool,
    inspector: Arc<Inspector>,
    copy_key: String,
}

impl DetailJob {
    /// The message laid out within [`DETAIL_BOUNDS`].
    pub fn layout(&self) -> PrettyDoc {
        detail_doc(&self.text, &self.copy_key)
    }

    /// The message's findings.
    pub fn judge(&self) -> Vec<Finding> {
        if self.judge {
            self.inspector.inspect_text(&self.text)
        } else {
            Vec::new()
        }
    }
}

/// The line of `path`, or of its nearest ancestor that has one (a missing property sits
/// under its parent object).
fn anchor_line(doc: &PrettyDoc, path: &str) -> usize {
    let mut path = path;
    loop {
        if let Some(line) = doc.line_of(path) {
            return line;
        }
        match parent_path(path) {
            Some(parent) => path = parent,
            None => return 0,
        }
    }
}

/// `properties.products[0].price` → `properties.products[0]` → `properties.products`.
fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = if path.ends_with(']') {
        path.rfind('[')
    } else {
        path.rfind('.')
    };
    Some(cut.map_or("", |at| &path[..at]))
}

/// Something the event loop must do outside the state (the terminal, the disk, the network).
#[derive(Debug, Clone)]
pub enum Effect {
    Quit,
    /// Copy to the clipboard with OSC 52.
    Copy(String),
    /// Write these NDJSON lines to a file.
    Write {
        path: String,
        lines: Vec<String>,
    },
    /// Map messages for the forward popup; answer with [`App::forward_mapped`].
    Map(MapJob),
    /// Send requests; answer with [`App::delivered`] per delivery and [`App::job_done`].
    Send(SendJob),
    /// Suspend the screen and edit `text` in `$EDITOR`; answer with [`App::forward_edited`].
    Edit {
        text: String,
    },
    /// Post messages into a collector; answer like [`Effect::Send`].
    Replay(ReplayJob),
}

pub struct App {
    pub store: Store,
    pub source: SourceKind,
    pub connection: Connection,
    pub rate: RateMeter,
    pub keys: KeyMap,
    pub theme: Arc<Theme>,
    pub mode: Mode,
    pub focus: Focus,
    pub filter_input: FilterInput,
    /// The id selected, if any.
    pub selected: Option<EntryId>,
    /// Index (into the visible rows) of the first row drawn.
    pub list_offset: usize,
    /// Keep the newest message selected as frames arrive.
    pub follow: bool,
    /// While paused: the last id shown; newer ones wait.
    pub paused_at: Option<EntryId>,
    pub tab: Tab,
    pub wrap: bool,
    /// First line of the detail pane drawn, and the cursor line (for `Y`, `n`, `N`).
    pub detail_scroll: usize,
    pub detail_cursor: usize,
    /// The pretty-printed selected message.
    pub detail_doc: Option<(EntryId, Arc<PrettyDoc>)>,
    /// The selected message's verdicts.
    pub detail_findings: Arc<SelectedFindings>,
    /// The rules messages are judged by.
    pub inspector: Arc<Inspector>,
    /// Hide PII values on screen.
    pub mask_pii: bool,
    /// Per event name: messages, findings by rule, PII by class.
    pub summary: Summary,
    pub status: Option<Status>,
    /// Rows and lines visible at the last draw (for paging).
    pub list_height: usize,
    pub detail_height: usize,
    /// Messages or Deliveries, under any popup.
    pub view: View,
    /// Marked messages, for `f` and `R`.
    pub marks: Marks,
    pub deliveries: Deliveries,
    pub delivery_view: DeliveryView,
    /// Where `f` can send.
    pub destinations: Destinations,
    /// The write key replays into the embedded collector use (its first `--write-key`).
    pub collector_write_key: Option<String>,
    /// What the embedded collector masks (`--redact`), shown in the header.
    pub redact: RedactMode,
    pub forward: Option<ForwardPopup>,
    /// Body lines of the forward popup visible at the last draw (for paging).
    pub forward_height: usize,
    pub replay: Option<ReplayPopup>,
    /// Forwards and replays in flight.
    pub jobs: Vec<Job>,
    /// First line of the help overlay drawn.
    pub help_scroll: usize,
    /// A recording's lines that could not be read (`open`).
    pub unread: super::feed::Unread,
    /// The large selected message being laid out and judged off the UI task, and the job to
    /// start for it.
    pub detail_pending: Option<EntryId>,
    detail_job: Option<DetailJob>,
    next_generation: u64,
    next_job: u64,
}

impl App {
    pub fn new(source: SourceKind, capacity: usize, theme: Arc<Theme>, keys: KeyMap) -> App {
        App {
            store: Store::new(capacity),
            source,
            connection: Connection::Connecting,
            rate: RateMeter::default(),
            keys,
            theme,
            mode: Mode::Normal,
            focus: Focus::List,
            filter_input: FilterInput::default(),
            selected: None,
            list_offset: 0,
            follow: true,
            paused_at: None,
            tab: Tab::Pretty,
            wrap: false,
            detail_scroll: 0,
            detail_cursor: 0,
            detail_doc: None,
            detail_findings: Arc::default(),
            inspector: Arc::new(Inspector::default()),
            mask_pii: false,
            summary: Summary::default(),
            status: None,
            list_height: 20,
            detail_height: 20,
            view: View::Messages,
            marks: Marks::default(),
            deliveries: Deliveries::default(),
            delivery_view: DeliveryView::default(),
            destinations: Destinations::default(),
            collector_write_key: None,
            redact: RedactMode::None,
            forward: None,
            forward_height: 20,
            replay: None,
            jobs: Vec::new(),
            help_scroll: 0,
            unread: super::feed::Unread::default(),
            detail_pending: None,
            detail_job: None,
            next_generation: 1,
            next_job: 1,
        }
    }

    /// Adds frames (building their rows here; the feed does that off the UI task). Delivery
    /// frames go to the deliveries, not the rows.
    pub fn ingest(&mut self, frames: Vec<Frame>, now: Instant) {
        let (deliveries, frames): (Vec<Frame>, Vec<Frame>) = frames
            .into_iter()
            .partition(|f| matches!(f, Frame::Delivery(_)));
        self.ingest_entries(EntryBuilder::default().build_all(frames), now);
        self.ingest_deliveries(
            deliveries
                .into_iter()
                .filter_map(|f| match f {
                    Frame::Delivery(d) => Some(d),
                    _ => None,
                })
                .collect(),
            Origin::Stream,
        );
    }

    /// Adds deliveries (from the stream, or made here).
    pub fn ingest_deliveries(&mut self, frames: Vec<DeliveryFrame>, origin: Origin) {
        if frames.is_empty() {
            return;
        }
        for frame in frames {
            self.deliveries.push(frame, origin);
        }
        self.deliveries_changed();
    }

    /// Adds rows built by the feed.
    pub fn ingest_entries(&mut self, entries: Vec<Entry>, now: Instant) {
        let mut events = 0;
        for entry in entries {
            if matches!(entry.kind, EntryKind::Event) {
                events += 1;
            }
            self.summary.record(&entry);
            self.store.push_entry(entry);
        }
        self.rate.record(now, events);
        self.after_change();
    }

    /// Rows shown: visible ids, cut at the pause point while paused.
    pub fn shown_len(&self) -> usize {
        let visible = self.store.visible();
        match self.paused_at {
            Some(last) => visible.partition_point(|id| *id <= last),
            None => visible.len(),
        }
    }

    /// New rows waiting behind a pause.
    pub fn waiting(&self) -> usize {
        self.store.visible().len() - self.shown_len()
    }

    pub fn shown_id(&self, index: usize) -> Option<EntryId> {
        (index < self.shown_len())
            .then(|| self.store.visible().get(index).copied())
            .flatten()
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.store.position(self.selected?)
    }

    /// Keeps the selection valid, following and visible after any change.
    pub fn after_change(&mut self) {
        match self.store.last_id() {
            Some(last) => self
                .marks
                .forget_before((last + 1).saturating_sub(self.store.len() as u64)),
            None => {
                self.marks.clear();
            }
        }
        let len = self.shown_len();
        if len == 0 {
            self.selected = None;
            self.list_offset = 0;
            return;
        }
        let index = if self.follow || self.selected.is_none() {
            len - 1
        } else {
            match self.selected_index() {
                Some(i) if i < len => i,
                // The selected row was evicted or filtered out: the nearest newer one.
                _ => {
                    let selected = self.selected.unwrap_or(0);
                    let next = self.store.visible().partition_point(|id| *id < selected);
                    next.min(len - 1)
                }
            }
        };
        self.select_index(index);
    }

    fn select_index(&mut self, index: usize) {
        let id = self.shown_id(index);
        if id != self.selected {
            self.selected = id;
            self.detail_scroll = 0;
            self.detail_cursor = 0;
        }
        let height = self.list_height.max(1);
        if index < self.list_offset {
            self.list_offset = index;
        } else if index >= self.list_offset + height {
            self.list_offset = index + 1 - height;
        }
        self.list_offset = self.list_offset.min(self.shown_len().saturating_sub(1));
        self.refresh_detail_doc();
    }

    fn refresh_detail_doc(&mut self) {
        let Some(id) = self.selected else {
            self.detail_doc = None;
            self.detail_findings = Arc::default();
            self.detail_pending = None;
            self.detail_job = None;
            return;
        };
        if self
            .detail_doc
            .as_ref()
            .is_some_and(|(doc_id, _)| *doc_id == id)
        {
            return;
        }
        let Some(entry) = self.store.get(id) else {
            return;
        };
        let copy_key = self.keys.first_key_label(Action::CopyMessage);
        if entry.text.len() > SYNC_DETAIL_BYTES {
            if self.detail_pending != Some(id) {
                self.detail_doc = None;
                self.detail_findings = Arc::default();
                self.detail_pending = Some(id);
                self.detail_job = Some(DetailJob {
                    id,
                    text: entry.text.to_string(),
                    judge: matches!(entry.kind, EntryKind::Event),
                    inspector: Arc::clone(&self.inspector),
                    copy_key,
                });
            }
            return;
        }
        self.detail_pending = None;
        self.detail_job = None;
        let doc = Arc::new(detail_doc(&entry.text, &copy_key));
        let findings = entry.findings(&self.inspector);
        self.detail_findings = Arc::new(SelectedFindings::of(findings, &doc));
        self.detail_doc = Some((id, doc));
    }

    /// Judges again with new rules (a reloaded plan): the selected message now, rows as
    /// they arrive.
    pub fn set_inspector(&mut self, inspector: Arc<Inspector>) {
        self.inspector = inspector;
        self.detail_doc = None;
        self.detail_pending = None;
        self.refresh_detail_doc();
    }

    /// The large selected message's layout and verdicts to compute off the UI task, once.
    pub fn take_detail_job(&mut self) -> Option<DetailJob> {
        self.detail_job.take()
    }

    /// A [`DetailJob`]'s result: shown if its message is still the one awaited.
    pub fn detail_ready(&mut self, id: EntryId, doc: PrettyDoc, findings: Vec<Finding>) {
        if self.detail_pending != Some(id) || self.selected != Some(id) {
            return;
        }
        self.detail_pending = None;
        let doc = Arc::new(doc);
        self.detail_findings = Arc::new(SelectedFindings::of(findings, &doc));
        self.detail_doc = Some((id, doc));
    }

    /// Selects the row shown at `index` (a mouse click); following resumes on the last row.
    pub fn select_row(&mut self, index: usize) {
        let len = self.shown_len();
        if index < len {
            self.focus = Focus::List;
            self.follow = index == len - 1 && self.paused_at.is_none();
            self.select_index(index);
        }
    }

    fn move_selection(&mut self, delta: isize) {
        let len = self.shown_len();
        if len == 0 {
            return;
        }
        let current = self.selected_index().unwrap_or(len - 1) as isize;
        let target = (current + delta).clamp(0, len as isize - 1) as usize;
        self.follow = target == len - 1 && delta > 0 && self.paused_at.is_none();
        self.select_index(target);
    }

    fn detail_lines(&self) -> usize {
        self.detail_doc
            .as_ref()
            .map_or(0, |(_, doc)| doc.lines.len())
    }

    fn scroll_detail(&mut self, delta: isize) {
        let lines = self.detail_lines();
        if lines == 0 {
            return;
        }
        let cursor = (self.detail_cursor as isize + delta).clamp(0, lines as isize - 1) as usize;
        self.detail_cursor = cursor;
        let height = self.detail_height.max(1);
        if cursor < self.detail_scroll {
            self.detail_scroll = cursor;
        } else if cursor >= self.detail_scroll + height {
            self.detail_scroll = cursor + 1 - height;
        }
    }

    pub fn set_status(&mut self, text: impl Into<String>, is_error: bool) {
        self.status = Some(Status {
            text: text.into(),
            is_error,
            at: Instant::now(),
        });
    }

    /// Applies an action; returns what the event loop must do besides redrawing.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        if self.view == View::Deliveries
            && let Some(effect) = self.update_deliveries(action)
        {
            return effect;
        }
        let page = self.list_height.max(1) as isize;
        let detail_page = self.detail_height.max(1) as isize;
        let in_detail = self.focus == Focus::Detail;
        match action {
            Action::Quit => return Some(Effect::Quit),
            Action::Up if in_detail => self.scroll_detail(-1),
            Action::Down if in_detail => self.scroll_detail(1),
            Action::PageUp if in_detail => self.scroll_detail(-detail_page),
            Action::PageDown if in_detail => self.scroll_detail(detail_page),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-page),
            Action::PageDown => self.move_selection(page),
            Action::Top => {
                if in_detail {
                    self.scroll_detail(-(self.detail_lines() as isize));
                } else {
                    self.follow = false;
                    self.select_index(0);
                }
            }
            Action::Live => {
                if in_detail {
                    self.scroll_detail(self.detail_lines() as isize);
                } else {
                    self.paused_at = None;
                    self.follow = true;
                    self.after_change();
                }
            }
            Action::TogglePause => {
                self.paused_at = match self.paused_at {
                    Some(_) => None,
                    None => Some(self.store.last_id().unwrap_or(0)),
                };
                if self.paused_at.is_none() && self.follow {
                    self.after_change();
                }
            }
            Action::OpenFilter => {
                self.mode = Mode::Filter;
                self.filter_input.before = self.store.filter().source().to_string();
                self.filter_input.text = self.filter_input.before.clone();
                self.filter_input.error = None;
                self.filter_input.history_pos = None;
            }
            Action::ClearFilter => {
                self.apply_filter("");
            }
            Action::NextMatch => self.jump_to_match(true),
            Action::PrevMatch => self.jump_to_match(false),
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::List => Focus::Detail,
                    Focus::Detail => Focus::List,
                }
            }
            Action::NextTab | Action::PrevTab => {
                self.tab = self.tab.step(action == Action::NextTab);
                self.detail_cursor = 0;
                self.detail_scroll = 0;
            }
            Action::ShowPretty => self.tab = Tab::Pretty,
            Action::ShowRaw => self.tab = Tab::Raw,
            Action::ShowCall => self.tab = Tab::Call,
            Action::ShowFindings => {
                self.tab = Tab::Findings;
                self.detail_cursor = 0;
                self.detail_scroll = 0;
            }
            Action::JumpToFinding => {
                if self.tab == Tab::Findings
                    && let Some(line) = self.detail_findings.lines.get(self.detail_cursor).copied()
                {
                    self.tab = Tab::Pretty;
                    self.focus = Focus::Detail;
                    self.detail_cursor = 0;
                    self.detail_scroll = 0;
                    self.scroll_detail(line as isize);
                }
            }
            Action::ToggleMask => {
                self.mask_pii = !self.mask_pii;
                let state = if self.mask_pii { "masked" } else { "shown" };
                self.set_status(format!("PII values {state}"), false);
            }
            Action::ToggleWrap => self.wrap = !self.wrap,
            Action::CopyMessage => {
                let entry = self.selected.and_then(|id| self.store.get(id));
                if let Some(entry) = entry {
                    let text = entry.text.to_string();
                    self.set_status(format!("copied {} bytes of JSON", text.len()), false);
                    return Some(Effect::Copy(text));
                }
            }
            Action::CopyPath => {
                let path = self
                    .detail_doc
                    .as_ref()
                    .and_then(|(_, doc)| doc.lines.get(self.detail_cursor).map(|l| l.path.clone()));
                if let Some(path) = path {
                    let shown = if path.is_empty() { "(root)" } else { &path };
                    self.set_status(format!("copied path {shown}"), false);
                    return Some(Effect::Copy(path));
                }
            }
            Action::WriteView => return self.write_view(),
            Action::Clear => {
                self.store.clear();
                self.marks.clear();
                self.detail_doc = None;
                self.detail_pending = None;
                self.detail_job = None;
                self.selected = None;
                self.paused_at = None;
                self.set_status("cleared", false);
            }
            Action::ToggleMark => self.toggle_mark(),
            Action::MarkRange => self.mark_range(),
            Action::MarkMatching => self.mark_matching(),
            Action::ClearMarks => self.clear_marks(),
            Action::Forward => return self.open_forward(),
            Action::Replay => self.open_replay(),
            Action::Deliveries => self.open_deliveries(None),
            Action::MessageDeliveries => self.open_message_deliveries(),
            Action::Help => {
                self.help_scroll = 0;
                self.mode = if self.mode == Mode::Help {
                    Mode::Normal
                } else {
                    Mode::Help
                }
            }
            Action::Summary => {
                self.mode = if self.mode == Mode::Summary {
                    Mode::Normal
                } else {
                    Mode::Summary
                }
            }
            Action::Back => {
                if self.mode != Mode::Normal {
                    self.mode = Mode::Normal;
                } else if self.focus == Focus::Detail {
                    self.focus = Focus::List;
                } else if !self.marks.is_empty() {
                    self.clear_marks();
                }
            }
        }
        None
    }

    /// Scrolls the help overlay (moving actions only; false for any other action).
    pub fn scroll_help(&mut self, action: Action) -> bool {
        let last = super::views::help_line_count(self).saturating_sub(1) as isize;
        let page = self.list_height.max(1) as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -last,
            Action::Live => last,
            _ => return false,
        };
        self.help_scroll = (self.help_scroll as isize + delta).clamp(0, last) as usize;
        true
    }

    /// The row under the selection, if it is a message (not a gap or a rejected request).
    fn selected_event(&self) -> Option<&Entry> {
        self.selected
            .and_then(|id| self.store.get(id))
            .filter(|e| matches!(e.kind, EntryKind::Event))
    }

    /// Space: marks (or unmarks) the selected message and moves down, so that a run of
    /// Space presses marks a run of rows.
    fn toggle_mark(&mut self) {
        let Some(id) = self.selected_event().map(|e| e.id) else {
            self.set_status("only messages can be marked", true);
            return;
        };
        self.marks.toggle(id);
        self.move_selection(1);
    }

    /// `V`: marks the messages from the anchor (the last row toggled) to the selection.
    fn mark_range(&mut self) {
        let Some(selected) = self.selected_index() else {
            return;
        };
        let Some(anchor) = self.marks.anchor() else {
            self.toggle_mark();
            return;
        };
        let visible = self.store.visible();
        // An anchor hidden by the filter since: the nearest row shown after it.
        let from = visible
            .partition_point(|id| *id < anchor)
            .min(visible.len() - 1);
        let (lo, hi) = (
            from.min(selected),
            from.max(selected).min(self.shown_len() - 1),
        );
        let ids: Vec<EntryId> = (lo..=hi)
            .filter_map(|i| visible.get(i).copied())
            .filter(|id| {
                self.store
                    .get(*id)
                    .is_some_and(|e| matches!(e.kind, EntryKind::Event))
            })
            .collect();
        let added = self.marks.mark_all(ids);
        self.set_status(format!("marked {added} more messages"), false);
    }

    /// `*`: marks every message the filter shows.
    fn mark_matching(&mut self) {
        let ids: Vec<EntryId> = (0..self.shown_len())
            .filter_map(|i| self.shown_id(i))
            .filter(|id| {
                self.store
                    .get(*id)
                    .is_some_and(|e| matches!(e.kind, EntryKind::Event))
            })
            .collect();
        let shown = ids.len();
        let added = self.marks.mark_all(ids);
        let what = if self.store.filter().source().is_empty() {
            "every message".to_string()
        } else {
            format!(
                "the {} messages the filter shows",
                super::views::thousands(shown as u64)
            )
        };
        self.set_status(
            format!(
                "marked {what} ({} new)",
                super::views::thousands(added as u64)
            ),
            false,
        );
    }

    fn clear_marks(&mut self) {
        let count = self.marks.clear();
        if count > 0 {
            self.set_status(format!("{count} marks cleared"), false);
        }
    }

    /// The marked messages, oldest first, or else the selected one.
    pub fn picked(&self) -> Vec<Outgoing> {
        let entries: Vec<&Entry> = if self.marks.is_empty() {
            self.selected_event().into_iter().collect()
        } else {
            self.marks
                .iter()
                .filter_map(|id| self.store.get(id))
                .filter(|e| matches!(e.kind, EntryKind::Event))
                .collect()
        };
        entries
            .into_iter()
            // An event's text is the JSON the collector or reader accepted.
            .filter_map(|e| Outgoing::from_text(e.seq, &e.text).ok())
            .collect()
    }

    /// `f`: the forward popup over the picked messages.
    fn open_forward(&mut self) -> Option<Effect> {
        let messages = self.picked();
        if messages.is_empty() {
            self.set_status("nothing to forward: select or mark a message", true);
            return None;
        }
        let mut popup = ForwardPopup::new(messages);
        let effect = self.remap(&mut popup);
        self.forward = Some(popup);
        self.mode = Mode::Forward;
        effect
    }

    /// Starts mapping the popup's messages for its destination.
    fn remap(&mut self, popup: &mut ForwardPopup) -> Option<Effect> {
        popup.shown = None;
        popup.request = 0;
        popup.scroll = 0;
        let Some(destination) = self.destinations.list.get(popup.destination).cloned() else {
            popup.preview = Preview::NoDestination;
            return None;
        };
        popup.generation = self.next_generation;
        self.next_generation += 1;
        popup.preview = Preview::Mapping;
        Some(Effect::Map(MapJob {
            generation: popup.generation,
            destination,
            messages: Arc::clone(&popup.messages),
            inspector: Arc::clone(&self.inspector),
        }))
    }

    /// The mapping for the forward popup is done (stale generations are dropped).
    pub fn forward_mapped(&mut self, generation: u64, result: Result<Prepared, String>) {
        let Some(popup) = self.forward.as_mut() else {
            return;
        };
        if popup.generation != generation {
            return;
        }
        popup.preview = match result {
            Ok(prepared) => Preview::Ready(Arc::new(prepared)),
            Err(error) => Preview::Failed(error),
        };
        popup.show_request(0);
    }

    /// The editor closed: `Ok(text)` is what the file holds now, `Err` why it could not run.
    pub fn forward_edited(&mut self, result: Result<String, String>) -> Option<Effect> {
        let mut popup = self.forward.take()?;
        let mut effect = None;
        match result {
            Err(error) => self.set_status(error, true),
            Ok(text) => match super::forward::parse_edit(&text, &popup.messages) {
                Ok(messages) if messages == *popup.messages => {
                    popup.draft = None;
                    self.set_status("no change", false);
                }
                Ok(messages) => {
                    let count = messages.len();
                    popup.messages = Arc::new(messages);
                    popup.edited = true;
                    popup.draft = None;
                    effect = self.remap(&mut popup);
                    self.set_status(format!("edited: {count} messages, mapped again"), false);
                }
                Err(error) => {
                    popup.draft = Some(text);
                    self.set_status(
                        format!(
                            "edit not applied: {error} — press e to fix it (your text is kept)"
                        ),
                        true,
                    );
                }
            },
        }
        self.forward = Some(popup);
        effect
    }

    /// A key while the forward popup is open.
    pub fn forward_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let Some(mut popup) = self.forward.take() else {
            self.mode = Mode::Normal;
            return None;
        };
        let page = self.forward_height.max(1);
        let total = popup.shown.as_ref().map_or(0, |s| s.total_lines());
        let last_line = total.saturating_sub(1);
        let destinations = self.destinations.list.len();
        let mut effect = None;
        let mut close = false;
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => close = true,
            KeyCode::Left | KeyCode::Char('h') | KeyCode::BackTab if destinations > 1 => {
                popup.destination = (popup.destination + destinations - 1) % destinations;
                effect = self.remap(&mut popup);
            }
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Tab if destinations > 1 => {
                popup.destination = (popup.destination + 1) % destinations;
                effect = self.remap(&mut popup);
            }
            KeyCode::Char(c @ '1'..='9') => {
                let index = c as usize - '1' as usize;
                if index < destinations && index != popup.destination {
                    popup.destination = index;
                    effect = self.remap(&mut popup);
                }
            }
            KeyCode::Char(']') => popup.show_request(popup.request + 1),
            KeyCode::Char('[') => popup.show_request(popup.request.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => popup.scroll = (popup.scroll + 1).min(last_line),
            KeyCode::Up | KeyCode::Char('k') => popup.scroll = popup.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                popup.scroll = (popup.scroll + page).min(last_line)
            }
            KeyCode::Char('d') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                popup.scroll = (popup.scroll + page).min(last_line)
            }
            KeyCode::PageUp => popup.scroll = popup.scroll.saturating_sub(page),
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                popup.scroll = popup.scroll.saturating_sub(page)
            }
            KeyCode::Home | KeyCode::Char('g') => popup.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => popup.scroll = total.saturating_sub(page),
            KeyCode::Char('e') => {
                if popup.messages.len() > MAX_EDIT_MESSAGES {
                    self.set_status(
                        format!("editing takes up to {MAX_EDIT_MESSAGES} messages; mark fewer"),
                        true,
                    );
                } else {
                    let text = popup
                        .draft
                        .clone()
                        .unwrap_or_else(|| super::forward::edit_text(&popup.messages));
                    effect = Some(Effect::Edit { text });
                }
            }
            KeyCode::Enter => match &popup.preview {
                Preview::Ready(prepared) if prepared.requests.is_empty() => {
                    self.set_status(
                        format!(
                            "nothing to send: {} skipped every message",
                            prepared.destination.name
                        ),
                        true,
                    );
                }
                Preview::Ready(prepared) => {
                    let job = self.start_job(&prepared.destination.name);
                    let count = prepared.requests.len();
                    effect = Some(Effect::Send(SendJob {
                        job,
                        destination: Arc::clone(&prepared.destination),
                        requests: prepared.requests.clone(),
                    }));
                    self.set_status(
                        format!(
                            "sending {count} request{} to {}…",
                            if count == 1 { "" } else { "s" },
                            prepared.destination.name
                        ),
                        false,
                    );
                    close = true;
                    self.open_deliveries(None);
                }
                Preview::Mapping => self.set_status("still mapping the messages…", false),
                Preview::Failed(error) => self.set_status(error.clone(), true),
                Preview::NoDestination => {
                    self.set_status("no destination: add a [[destination]] table", true)
                }
            },
            _ => {}
        }
        if close {
            self.mode = Mode::Normal;
        } else {
            self.forward = Some(popup);
        }
        effect
    }

    fn start_job(&mut self, label: &str) -> u64 {
        let id = self.next_job;
        self.next_job += 1;
        self.jobs.push(Job {
            id,
            label: label.to_string(),
            done: 0,
            ok: 0,
            failed: 0,
            last_failure: None,
        });
        id
    }

    /// One delivery of a forward or replay made here.
    pub fn delivered(&mut self, job: u64, frame: DeliveryFrame) {
        if let Some(progress) = self.jobs.iter_mut().find(|j| j.id == job) {
            progress.done += 1;
            if frame.ok {
                progress.ok += 1;
            } else {
                progress.failed += 1;
                progress.last_failure = Some(match (frame.status, &frame.error) {
                    (Some(status), _) => status.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "failed".into(),
                });
            }
        }
        self.ingest_deliveries(vec![frame], Origin::Here);
    }

    /// Every request of a forward or replay is done: say how it went.
    pub fn job_done(&mut self, job: u64) {
        let Some(at) = self.jobs.iter().position(|j| j.id == job) else {
            return;
        };
        let job = self.jobs.remove(at);
        let requests = format!(
            "{} request{}",
            job.done,
            if job.done == 1 { "" } else { "s" }
        );
        if job.failed == 0 {
            self.set_status(format!("{}: {requests}, all delivered", job.label), false);
        } else {
            let last = job.last_failure.unwrap_or_default();
            self.set_status(
                format!(
                    "{}: {requests}, {} failed (last: {last}) — d shows them",
                    job.label, job.failed
                ),
                true,
            );
        }
    }

    /// Where `R` posts: the embedded collector, or the one behind a remote stream.
    pub fn collector_target(&self) -> Result<CollectorTarget, String> {
        match &self.source {
            SourceKind::Embedded { addr, .. } => Ok(CollectorTarget {
                batch_url: format!("http://{addr}/v1/batch"),
                write_key: self.collector_write_key.clone(),
            }),
            SourceKind::Remote { url } => CollectorTarget::behind_stream(url)
                .ok_or_else(|| format!("replay: no collector is known behind {url}")),
            SourceKind::File { .. } => Err(
                "replay needs a collector: run `eventscope` (embedded) or `eventscope connect`; \
                 to send a recording to a destination, use f or `eventscope replay`"
                    .into(),
            ),
        }
    }

    /// `R`: the replay popup over the picked messages.
    fn open_replay(&mut self) {
        let target = match self.collector_target() {
            Ok(target) => target,
            Err(error) => {
                self.set_status(error, true);
                return;
            }
        };
        let messages = self.picked();
        if messages.is_empty() {
            self.set_status("nothing to replay: select or mark a message", true);
            return;
        }
        self.replay = Some(ReplayPopup {
            messages: Arc::new(messages),
            new_ids: true,
            to_now: false,
            row: 0,
            target,
        });
        self.mode = Mode::Replay;
    }

    /// A key while the replay popup is open.
    pub fn replay_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let Some(popup) = self.replay.as_mut() else {
            self.mode = Mode::Normal;
            return None;
        };
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => {
                self.replay = None;
                self.mode = Mode::Normal;
            }
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => popup.row = 0,
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => popup.row = 1,
            KeyCode::Char(' ' | 'h' | 'l') | KeyCode::Left | KeyCode::Right => {
                if popup.row == 0 {
                    popup.new_ids = !popup.new_ids;
                } else {
                    popup.to_now = !popup.to_now;
                }
            }
            KeyCode::Char('i') => popup.new_ids = !popup.new_ids,
            KeyCode::Char('t') => popup.to_now = !popup.to_now,
            KeyCode::Enter => {
                let popup = self.replay.take()?;
                self.mode = Mode::Normal;
                let job = self.start_job("collector");
                let count = popup.messages.len();
                self.set_status(
                    format!(
                        "replaying {count} message{} into {}…",
                        if count == 1 { "" } else { "s" },
                        popup.target.batch_url
                    ),
                    false,
                );
                return Some(Effect::Replay(ReplayJob {
                    job,
                    target: popup.target,
                    messages: popup.messages,
                    new_ids: popup.new_ids,
                    to_now: popup.to_now,
                }));
            }
            _ => {}
        }
        None
    }

    /// Deliveries of the selected message, oldest first.
    pub fn selected_deliveries(&self) -> Vec<&super::deliveries::Delivery> {
        let Some(entry) = self.selected_event() else {
            return Vec::new();
        };
        let message_id = entry
            .summary
            .message_id
            .as_ref()
            .map(|r| r.get(&entry.text));
        self.deliveries.for_message(entry.seq, message_id)
    }

    /// `d`: the Deliveries view, all of them (`None`) or one message's.
    fn open_deliveries(&mut self, filter: Option<MessageFilter>) {
        self.view = View::Deliveries;
        self.deliveries.set_filter(filter);
        let view = &mut self.delivery_view;
        view.follow = true;
        view.pane = DeliveryPane::List;
        view.selected = None;
        self.deliveries_changed();
    }

    /// `D`: the selected message's deliveries.
    fn open_message_deliveries(&mut self) {
        let Some(entry) = self.selected_event() else {
            self.set_status("select a message to see its deliveries", true);
            return;
        };
        let message_id = entry
            .summary
            .message_id
            .as_ref()
            .map(|r| r.get(&entry.text).to_string());
        let name = entry.summary.display_name(&entry.text);
        let label = match entry.seq {
            Some(seq) => format!("seq {seq} · {name}"),
            None => name,
        };
        let filter = MessageFilter {
            seq: entry.seq,
            message_id,
            label,
        };
        let from = entry.id;
        self.follow = false;
        self.open_deliveries(Some(filter));
        self.delivery_view.from_message = Some(from);
        if self.deliveries.visible().is_empty() {
            self.set_status("no delivery carried this message yet", false);
        }
    }

    /// Back from the Deliveries view to the messages, the selection as it was.
    fn close_deliveries(&mut self) {
        self.view = View::Messages;
        self.deliveries.set_filter(None);
        if let Some(id) = self.delivery_view.from_message.take()
            && let Some(index) = self.store.position(id)
        {
            self.select_index(index);
        }
    }

    /// Keeps the Deliveries view's selection valid and following (while it is shown; opening
    /// it selects again).
    fn deliveries_changed(&mut self) {
        if self.view != View::Deliveries {
            return;
        }
        let len = self.deliveries.visible().len();
        let view = &mut self.delivery_view;
        if len == 0 {
            view.selected = None;
            view.offset = 0;
            view.docs = None;
            return;
        }
        let index = match view.selected.and_then(|id| self.deliveries.position(id)) {
            Some(index) if !view.follow => index,
            _ if view.follow || view.selected.is_none() => len - 1,
            // The selected delivery was evicted: the oldest one left.
            _ => 0,
        };
        self.select_delivery(index);
    }

    /// Selects the delivery row shown at `index` below the first drawn (a mouse click).
    pub fn click_delivery_row(&mut self, row: usize) {
        let index = self.delivery_view.offset + row;
        let len = self.deliveries.visible().len();
        if index < len {
            self.delivery_view.pane = DeliveryPane::List;
            self.delivery_view.follow = index == len - 1;
            self.select_delivery(index);
        }
    }

    fn select_delivery(&mut self, index: usize) {
        let id = self.deliveries.visible().get(index).copied();
        let view = &mut self.delivery_view;
        if id != view.selected {
            view.selected = id;
            view.scroll = [0, 0];
            view.pane_lines = [usize::MAX, usize::MAX];
        }
        let height = view.rows_height.max(1);
        if index < view.offset {
            view.offset = index;
        } else if index >= view.offset + height {
            view.offset = index + 1 - height;
        }
        self.refresh_delivery_docs();
    }

    fn refresh_delivery_docs(&mut self) {
        let view = &mut self.delivery_view;
        let Some(id) = view.selected else {
            view.docs = None;
            return;
        };
        if view.docs.as_ref().is_some_and(|d| d.id == id) {
            return;
        }
        let Some(delivery) = self.deliveries.get(id) else {
            return;
        };
        let response = delivery
            .frame
            .response
            .as_ref()
            .map_or("", |r| r.body.as_str());
        view.docs = Some(DeliveryDocs {
            id,
            request: Arc::new(pretty(&delivery.frame.request.body)),
            response: Arc::new(pretty(response)),
        });
    }

    /// Actions in the Deliveries view; `None` for those that work as in the messages.
    fn update_deliveries(&mut self, action: Action) -> Option<Option<Effect>> {
        let len = self.deliveries.visible().len();
        let page = self.delivery_view.rows_height.max(1) as isize;
        let pane_page = self.delivery_view.pane_height.max(1) as isize;
        let pane = self.delivery_view.pane;
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown
                if pane != DeliveryPane::List =>
            {
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -pane_page,
                    _ => pane_page,
                };
                self.scroll_delivery_pane(delta);
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown if len > 0 => {
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    _ => page,
                };
                let current = self
                    .delivery_view
                    .selected
                    .and_then(|id| self.deliveries.position(id))
                    .unwrap_or(len - 1) as isize;
                let target = (current + delta).clamp(0, len as isize - 1) as usize;
                self.delivery_view.follow = target == len - 1 && delta > 0;
                self.select_delivery(target);
            }
            Action::Top if pane != DeliveryPane::List => self.scroll_delivery_pane(isize::MIN / 2),
            Action::Live if pane != DeliveryPane::List => self.scroll_delivery_pane(isize::MAX / 2),
            Action::Top if len > 0 => {
                self.delivery_view.follow = false;
                self.select_delivery(0);
            }
            Action::Live if len > 0 => {
                self.delivery_view.follow = true;
                self.select_delivery(len - 1);
            }
            Action::SwitchFocus => {
                self.delivery_view.pane = match pane {
                    DeliveryPane::List => DeliveryPane::Request,
                    DeliveryPane::Request => DeliveryPane::Response,
                    DeliveryPane::Response => DeliveryPane::List,
                }
            }
            Action::JumpToFinding => self.show_delivery_message(),
            Action::Back if pane != DeliveryPane::List => {
                self.delivery_view.pane = DeliveryPane::List
            }
            Action::Back | Action::Deliveries | Action::MessageDeliveries => {
                self.close_deliveries()
            }
            Action::OpenFilter => {
                self.close_deliveries();
                return None;
            }
            Action::ToggleMark | Action::MarkRange | Action::MarkMatching => {
                self.set_status("marks are set in the message list (d goes back)", false)
            }
            Action::Quit
            | Action::Help
            | Action::Summary
            | Action::Forward
            | Action::Replay
            | Action::ClearMarks
            | Action::ToggleMask
            | Action::ToggleWrap
            | Action::TogglePause
            | Action::ClearFilter
            | Action::Clear => return None,
            _ => {}
        }
        Some(None)
    }

    fn scroll_delivery_pane(&mut self, delta: isize) {
        let view = &mut self.delivery_view;
        let slot = match view.pane {
            DeliveryPane::Request => 0,
            DeliveryPane::Response => 1,
            DeliveryPane::List => return,
        };
        let last = view.pane_lines[slot].saturating_sub(1) as isize;
        view.scroll[slot] = (view.scroll[slot] as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Enter in the Deliveries view: back to the messages, on the delivery's first message.
    fn show_delivery_message(&mut self) {
        let Some(delivery) = self
            .delivery_view
            .selected
            .and_then(|id| self.deliveries.get(id))
        else {
            return;
        };
        let seqs = delivery.frame.for_seqs.clone();
        let ids = delivery.frame.message_ids.clone();
        // Newest first: a replayed message with a kept messageId is the one just seen.
        let found = self.store.visible().iter().rev().copied().find(|id| {
            self.store.get(*id).is_some_and(|entry| {
                matches!(entry.kind, EntryKind::Event)
                    && (entry.seq.is_some_and(|s| seqs.contains(&s))
                        || entry
                            .summary
                            .message_id
                            .as_ref()
                            .is_some_and(|m| ids.iter().any(|i| i == m.get(&entry.text))))
            })
        });
        match found.and_then(|id| self.store.position(id)) {
            Some(index) => {
                self.delivery_view.from_message = None;
                self.close_deliveries();
                self.follow = false;
                self.focus = Focus::List;
                self.select_index(index);
            }
            None => self.set_status(
                "its message is not in the list (evicted, or hidden by the filter)",
                true,
            ),
        }
    }

    /// Applies `text` as the filter if it parses; otherwise keeps the last valid one and
    /// shows the error in the bar.
    pub fn apply_filter(&mut self, text: &str) -> bool {
        match Query::parse(text) {
            Ok(query) => {
                self.filter_input.error = None;
                if query.source() != self.store.filter().source() {
                    self.store.set_filter(query);
                    // A first slice now; the event loop applies it to the rest between keys.
                    self.store.rescan_step(RESCAN_NOW);
                    self.after_change();
                }
                true
            }
            Err(error) => {
                self.filter_input.error = Some(error);
                false
            }
        }
    }

    /// Lines of the detail pane that contain a filter match.
    pub fn match_lines(&self) -> Vec<usize> {
        let terms = self.store.filter().highlights();
        let Some((_, doc)) = &self.detail_doc else {
            return Vec::new();
        };
        if terms.is_empty() {
            return Vec::new();
        }
        let terms: Vec<String> = terms.iter().map(|t| t.to_lowercase()).collect();
        doc.lines
            .iter()
            .enumerate()
            .filter(|(_, line)| {
                let lower = line.text.to_lowercase();
                terms.iter().any(|t| lower.contains(t.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn jump_to_match(&mut self, forward: bool) {
        let lines = self.match_lines();
        let target = if forward {
            lines
                .iter()
                .find(|l| **l > self.detail_cursor)
                .or(lines.first())
        } else {
            lines
                .iter()
                .rev()
                .find(|l| **l < self.detail_cursor)
                .or(lines.last())
        };
        match target {
            Some(line) => {
                let delta = *line as isize - self.detail_cursor as isize;
                self.scroll_detail(delta);
            }
            None => self.set_status("no match in this message", false),
        }
    }

    fn write_view(&mut self) -> Option<Effect> {
        let lines: Vec<String> = (0..self.shown_len())
            .filter_map(|i| self.shown_id(i))
            .filter_map(|id| self.store.get(id))
            .filter(|entry| !entry.is_gap() && entry.rejection().is_none())
            .map(|entry| entry.text.to_string())
            .collect();
        if lines.is_empty() {
            self.set_status("nothing to write: the view has no messages", true);
            return None;
        }
        let path = format!(
            "eventscope-{}.ndjson",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        );
        Some(Effect::Write { path, lines })
    }

    /// A key typed while the filter bar is open.
    pub fn filter_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let input = &mut self.filter_input;
        match key.code {
            KeyCode::Esc => {
                let before = std::mem::take(&mut input.before);
                self.mode = Mode::Normal;
                self.apply_filter(&before);
                self.filter_input.error = None;
                return;
            }
            KeyCode::Enter => {
                let text = input.text.trim().to_string();
                if self.apply_filter(&text) {
                    self.mode = Mode::Normal;
                    let history = &mut self.filter_input.history;
                    if !text.is_empty() && history.last() != Some(&text) {
                        history.push(text);
                    }
                }
                return;
            }
            KeyCode::Up => {
                let pos = match input.history_pos {
                    None => input.history.len().checked_sub(1),
                    Some(p) => Some(p.saturating_sub(1)),
                };
                if let Some(p) = pos {
                    input.history_pos = Some(p);
                    input.text = input.history[p].clone();
                }
            }
            KeyCode::Down => {
                if let Some(p) = input.history_pos {
                    if p + 1 < input.history.len() {
                        input.history_pos = Some(p + 1);
                        input.text = input.history[p + 1].clone();
                    } else {
                        input.history_pos = None;
                        input.text.clear();
                    }
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text.clear();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.mode = Mode::Normal;
                return;
            }
            KeyCode::Char(c) => input.text.push(c),
            _ => return,
        }
        let text = self.filter_input.text.clone();
        self.apply_filter(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::{ColorMode, load_theme};

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
        app.update(Action::Clear);
        assert!(app.marks.is_empty());
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
        assert_eq!(app.mode, Mode::Forward);
        assert!(matches!(
            app.forward.as_ref().unwrap().preview,
            Preview::NoDestination
        ));
        app.forward_key(KeyEvent::from(KeyCode::Esc));
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.forward.is_none());
        app.update(Action::Replay);
        assert_eq!(app.mode, Mode::Normal, "a file has no collector");
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
        match app.update(Action::WriteView) {
            Some(Effect::Write { lines, path }) => {
                assert_eq!(lines.len(), 2);
                assert!(path.ends_with(".ndjson"));
            }
            other => panic!("{other:?}"),
        }
    }
}
