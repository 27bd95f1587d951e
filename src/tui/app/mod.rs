//! The viewer's state and its one place of change, `update`. Drawing reads this state and
//! never changes it; the event loop feeds it frames, keys ([`App::handle_key`]) and background
//! results.
//!
//! One file per part of the state: `detail` (the selected message's layout and verdicts),
//! `tab` (the detail pane's tabs), `marks`, `filter` (the filter bar), `delivery_view` (the
//! Deliveries view), `jobs` (forwards and replays), `summary`, `person` and `schema` (what
//! those popups ask of the app) and `rate`. The popups' own state lives in their components
//! (`tui::popups`), held by [`Mode`].

mod delivery_view;
mod detail;
mod diff;
mod filter;
mod jobs;
mod jump;
mod marks;
mod person;
mod rate;
mod schema;
mod selection;
mod sequence;
mod sql;
mod summary;
mod tab;
#[cfg(test)]
mod tests;
mod tree;
mod views;

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyEvent, KeyModifiers};

use super::action::{Action, Context};
use super::deliveries::{Deliveries, Origin};
use super::keys::KeyMap;
use super::marks::Marks;
use super::popups::views::Picked;
use super::popups::write::Outcome as WriteOutcome;
use super::popups::{FilterBar, ForwardPopup, HelpOverlay, ReplayPopup, WritePrompt};
use super::store::Store;
use super::theme::Theme;
use eventscope_core::entry::{Entry, EntryBuilder, EntryId, EntryKind};
use eventscope_core::hub::MetricsCounter;
use eventscope_core::identity::{IdentityGraph, SharedGraph};
use eventscope_core::inspect::Inspector;
use eventscope_core::inspect::redact::RedactMode;
use eventscope_core::model::RelayOrigin;
use eventscope_core::model::{DeliveryFrame, Frame};
use eventscope_core::routing::Named;
use eventscope_core::warehouse::SharedSchema;

pub use delivery_view::{DeliveryDocs, DeliveryPane, DeliveryView, HELP as DELIVERIES_HELP};
pub use detail::{
    DETAIL_BOUNDS, DetailJob, DetailPane, SYNC_DETAIL_BYTES, SelectedFindings, detail_doc,
};
pub use diff::DiffJob;
pub use jobs::{Destinations, Job, MapJob, ReplayJob, SendJob, Unusable};
pub use rate::{RateHistory, RateMeter, sparkline};
pub use tab::Tab;

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
pub enum Focus {
    List,
    Detail,
}

/// Modes and popups, topmost first: keys go to the mode, drawing puts it on top. A popup's
/// state lives in its variant, so it exists exactly while the popup is open.
#[derive(Debug)]
pub enum Mode {
    Normal,
    Filter(FilterBar),
    Help(HelpOverlay),
    Summary(summary::SummaryBox),
    /// `P`: one person of the identity graph (boxed: its model is large beside the others).
    Person(Box<crate::tui::popups::PersonView>),
    /// `W`: the warehouse schema (boxed, as the person view).
    Schema(Box<crate::tui::popups::SchemaView>),
    Forward(ForwardPopup),
    Replay(ReplayPopup),
    /// `w`: the path to write the view to.
    Write(WritePrompt),
    /// `X`: whether to clear every retained message.
    Confirm(crate::tui::popups::confirm::ConfirmClear),
    /// `:`: a query over the retained messages (boxed: its answer is large beside the others).
    Sql(Box<crate::tui::popups::sql::SqlPrompt>),
    /// `v`: the saved views (`[[view]]`) to pick from.
    Views(crate::tui::popups::views::ViewPicker),
    /// `t`: the time to jump to in the list.
    Jump(crate::tui::popups::jump::JumpPrompt),
    /// `=`: a structural diff of two messages (boxed, as the person view).
    Diff(Box<crate::tui::popups::diff::DiffPane>),
}

impl Mode {
    /// Where keys are looked up while this mode is on top.
    pub fn context(&self) -> Context {
        match self {
            Mode::Forward(_) => Context::Forward,
            Mode::Replay(_) => Context::Replay,
            Mode::Summary(_) => Context::Summary,
            Mode::Person(_) => Context::Person,
            Mode::Schema(_) => Context::Schema,
            Mode::Diff(_) => Context::Diff,
            Mode::Normal
            | Mode::Filter(_)
            | Mode::Help(_)
            | Mode::Write(_)
            | Mode::Sql(_)
            | Mode::Confirm(_)
            | Mode::Views(_)
            | Mode::Jump(_) => Context::Main,
        }
    }
}

/// What the body of the screen shows, under any popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The message list and the detail pane.
    Messages,
    /// One row per delivery, the selected one's request and response below.
    Deliveries,
}

/// A message for the status line, fading after a while.
#[derive(Debug, Clone)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
    pub at: Instant,
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
    /// Connected to a relay: the bus stream it reads (the header says so).
    pub relayed: Option<RelayOrigin>,
    pub rate: RateMeter,
    /// Events per second of `receivedAt` over the last minutes (the header's sparkline).
    pub rate_history: RateHistory,
    /// Events per source, for the header (and the list's source column, once there are two).
    pub source_counts: crate::tui::sources::SourceCounts,
    /// A message with a known lateness has arrived (the list's latency column shows).
    pub lateness_seen: bool,
    pub keys: KeyMap,
    pub theme: Arc<Theme>,
    pub mode: Mode,
    pub focus: Focus,
    /// Queries applied from the filter bar, oldest first (↑/↓ in the bar).
    pub filter_history: Vec<String>,
    /// Saves the filter history between runs (`None`: not kept; see `tui::history`).
    pub history_writer: Option<super::history::HistoryWriter>,
    /// The config's `[[view]]` tables (`v`, `--view`), columns checked at start.
    pub views: Vec<eventscope_core::config::ViewConfig>,
    /// The view applied last, by name.
    pub view_name: Option<String>,
    /// The id selected, if any.
    pub selected: Option<EntryId>,
    /// Index (into the visible rows) of the first row drawn.
    pub list_offset: usize,
    /// The list's columns, in order (a narrow list leaves the optional ones out).
    pub columns: crate::tui::columns::ColumnSet,
    /// Keep the newest message selected as frames arrive (see [`App::set_follow`]).
    pub follow: bool,
    /// While not following: the newest id when following stopped; newer rows are "new".
    unfollowed_at: Option<EntryId>,
    /// The footer has said once what the row glyphs mean.
    glyphs_explained: bool,
    /// While paused: the last id shown; newer ones wait.
    pub paused_at: Option<EntryId>,
    /// The detail pane: its tab, scroll and cursor, and the selected message laid out.
    pub detail: DetailPane,
    /// The rules messages are judged by.
    pub inspector: Arc<Inspector>,
    /// Hide PII values on screen.
    pub mask_pii: bool,
    pub status: Option<Status>,
    /// The first key of a sequence typed in the main view (`z` of `zc`), waiting for the next.
    pub pending_lead: Option<char>,
    /// Rows and lines visible at the last draw (for paging).
    pub list_height: usize,
    /// Messages or Deliveries, under any popup.
    pub view: View,
    /// Marked messages, for `f` and `R`.
    pub marks: Marks,
    pub deliveries: Deliveries,
    pub delivery_view: DeliveryView,
    /// Where `f` can send.
    pub destinations: Destinations,
    /// Every configured destination, as routing sees it: the rows' outcomes, the `routed:` and
    /// `dropped:` terms, the Routing tab and the Summary's By destination tab follow its order.
    pub routing: Arc<[Named]>,
    /// The people the rows make (the feeds feed it): the person view and `person:` read it.
    pub identity: SharedGraph,
    /// The warehouse schema the rows make (the feeds feed it): the Warehouse tab and the
    /// schema view read it.
    pub schema: SharedSchema,
    /// The `:` prompt's database against the rows.
    pub sql: sql::SqlSync,
    /// While the filter names a person: "person: user-77 (3 ids)", for the list's title.
    pub narrowed_to: Option<String>,
    /// The write key replays into the embedded collector use (its first `--write-key`).
    pub collector_write_key: Option<String>,
    /// The embedded collector's count of SDK telemetry posts (`/v1/m`), for the header.
    pub sdk_metrics: Option<MetricsCounter>,
    /// What the embedded collector masks (`--redact`), shown in the header.
    pub redact: RedactMode,
    /// Forwards and replays in flight.
    pub jobs: Vec<Job>,
    /// A recording's lines that could not be read (`open`).
    pub unread: crate::tui::feed::Unread,
    /// Where our deliveries are published (none for a recording).
    pub publisher: Option<crate::tui::publish::Publisher>,
    /// `--copy-to`: each copy is also written to this file (for terminals without OSC 52).
    pub copy_to: Option<std::path::PathBuf>,
    /// The job to start for a large selected message (see [`DetailPane::pending`]).
    detail_job: Option<DetailJob>,
    /// The comparison to start for a large pair (see [`App::take_diff_job`]).
    diff_job: Option<DiffJob>,
    next_generation: u64,
    next_job: u64,
}

impl App {
    pub fn new(source: SourceKind, capacity: usize, theme: Arc<Theme>, keys: KeyMap) -> App {
        App {
            store: Store::new(capacity),
            source,
            connection: Connection::Connecting,
            relayed: None,
            rate: RateMeter::default(),
            rate_history: RateHistory::default(),
            source_counts: crate::tui::sources::SourceCounts::default(),
            lateness_seen: false,
            keys,
            theme,
            mode: Mode::Normal,
            focus: Focus::List,
            filter_history: Vec::new(),
            history_writer: None,
            views: Vec::new(),
            view_name: None,
            selected: None,
            list_offset: 0,
            columns: crate::tui::columns::ColumnSet::default(),
            follow: true,
            unfollowed_at: None,
            glyphs_explained: false,
            paused_at: None,
            inspector: Arc::new(Inspector::default()),
            mask_pii: false,
            status: None,
            pending_lead: None,
            list_height: 20,
            view: View::Messages,
            marks: Marks::default(),
            deliveries: Deliveries::default(),
            delivery_view: DeliveryView::default(),
            destinations: Destinations::default(),
            routing: Arc::from([]),
            identity: Arc::new(std::sync::Mutex::new(
                IdentityGraph::new(Default::default()),
            )),
            schema: SharedSchema::default(),
            sql: sql::SqlSync::default(),
            narrowed_to: None,
            collector_write_key: None,
            sdk_metrics: None,
            redact: RedactMode::None,
            jobs: Vec::new(),
            unread: crate::tui::feed::Unread::default(),
            publisher: None,
            copy_to: None,
            detail: DetailPane::default(),
            detail_job: None,
            diff_job: None,
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
        let mut builder = EntryBuilder::default();
        builder.set_routing(Arc::clone(&self.routing));
        self.ingest_entries(builder.build_all(frames), now);
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
            // Ours, back from the stream: shown already.
            if origin == Origin::Stream && self.deliveries.is_echo(&frame) {
                continue;
            }
            let mut frame = frame;
            super::deliveries::fill_from_rows(&self.store, &mut frame);
            self.deliveries.push(frame, origin);
        }
        self.deliveries_changed();
    }

    /// Adds rows built by the feed.
    pub fn ingest_entries(&mut self, entries: Vec<Entry>, now: Instant) {
        let mut events = 0;
        if !self.glyphs_explained && entries.iter().any(super::glyphs::has_glyph) {
            // Once, the first time a row glyph shows: what the glyphs mean.
            self.glyphs_explained = true;
            let help = self.keys.first_key_label(Action::Help);
            self.set_status(super::glyphs::hint(&help), false);
        }
        // The graph saw these rows already: `person:` follows its merges before they land.
        self.bind_people();
        for entry in entries {
            if matches!(entry.kind, EntryKind::Event) {
                events += 1;
                self.rate_history.record(entry.received_ms);
                self.source_counts.count(&entry.source);
                self.lateness_seen |= entry.lateness.late_ms().is_some();
            }
            self.store.push_entry(entry);
        }
        self.rate.record(now, events);
        self.after_change();
    }

    /// Drops every retained row and what hangs on them (marks, the detail pane, the SQL
    /// database); the schema and the identity graph stay, as a warehouse keeps its tables.
    fn clear_all(&mut self) {
        self.store.clear();
        self.sql_cleared();
        self.marks.clear();
        self.detail.doc = None;
        self.detail.warehouse = None;
        self.detail.pending = None;
        self.detail_job = None;
        self.selected = None;
        self.list_offset = 0;
        self.paused_at = None;
        self.set_status("cleared", false);
    }

    pub fn set_status(&mut self, text: impl Into<String>, is_error: bool) {
        self.status = Some(Status {
            text: text.into(),
            is_error,
            at: Instant::now(),
        });
    }

    /// A key: looked up in the key map for the mode on top, then applied by [`App::update`].
    /// The filter bar reads text instead; in Help any other key closes it. A
    /// quit key with Ctrl quits from anywhere.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let main = self.keys.action(key);
        let quit_key = main == Some(Action::Quit) && key.modifiers.contains(KeyModifiers::CONTROL);
        let action = match &self.mode {
            _ if quit_key => Action::Quit,
            Mode::Filter(_) => {
                self.filter_key(key);
                return None;
            }
            Mode::Sql(_) => {
                self.sql_key(key);
                return None;
            }
            Mode::Views(picker) => {
                let mut picker = *picker;
                match picker.handle(key, self.views.len()) {
                    Some(Picked::Apply(index)) => {
                        self.mode = Mode::Normal;
                        self.apply_view(index);
                    }
                    Some(Picked::Close) => self.mode = Mode::Normal,
                    None => self.mode = Mode::Views(picker),
                }
                return None;
            }
            Mode::Confirm(confirm) => {
                if confirm.handle(key) {
                    self.clear_all();
                } else {
                    self.set_status("kept the messages", false);
                }
                self.mode = Mode::Normal;
                return None;
            }
            Mode::Write(_) => return self.write_key(key),
            Mode::Jump(_) => return self.jump_key(key),
            Mode::Forward(_)
            | Mode::Replay(_)
            | Mode::Summary(_)
            | Mode::Person(_)
            | Mode::Schema(_)
            | Mode::Diff(_) => self.keys.action_in(self.mode.context(), key)?,
            Mode::Help(_) => match main? {
                Action::Quit => Action::Quit,
                action @ (Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Live) => action,
                _ => Action::Back,
            },
            Mode::Normal => return self.normal_key(key, main),
        };
        self.update(action)
    }

    /// Applies an action; returns what the event loop must do besides redrawing. The popups'
    /// actions go to the open popup, which answers what the app must do.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        match action.context() {
            Context::Forward => return self.update_forward(action),
            Context::Replay => return self.update_replay(action),
            Context::Summary => return self.update_summary(action),
            Context::Person => return self.update_person(action),
            Context::Schema => return self.update_schema(action),
            Context::Tree => return self.update_tree(action),
            Context::Diff => return self.update_diff(action),
            Context::Main => {}
        }
        let page = self.list_height;
        if let Mode::Help(help) = &mut self.mode
            && help.handle(action, page, &self.keys)
        {
            return None;
        }
        if self.view == View::Deliveries
            && let Some(effect) = self.update_deliveries(action)
        {
            return effect;
        }
        let page = self.list_height.max(1) as isize;
        let detail_page = self.detail.height.max(1) as isize;
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
                    self.set_follow(false);
                    self.select_index(0);
                }
            }
            Action::Live => {
                if in_detail {
                    self.scroll_detail(self.detail_lines() as isize);
                } else {
                    self.paused_at = None;
                    self.set_follow(true);
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
                self.mode = Mode::Filter(FilterBar::open(self.store.filter().source()));
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
                self.detail.tab = self
                    .detail
                    .tab
                    .step(action == Action::NextTab, !self.routing.is_empty());
                self.detail.cursor = 0;
                self.detail.scroll = 0;
                self.refresh_warehouse();
            }
            Action::ShowPretty => self.detail.tab = Tab::Pretty,
            Action::ShowRaw => self.detail.tab = Tab::Raw,
            Action::ShowCall => self.detail.tab = Tab::Call,
            Action::ShowFindings => {
                self.detail.tab = Tab::Findings;
                self.detail.cursor = 0;
                self.detail.scroll = 0;
            }
            Action::ShowRouting if self.routing.is_empty() => self.set_status(
                "no destinations to route to: add [[destination]] tables to eventscope.toml",
                true,
            ),
            Action::ShowRouting => {
                self.detail.tab = Tab::Routing;
                self.detail.cursor = 0;
                self.detail.scroll = 0;
            }
            Action::ShowWarehouse => {
                self.detail.tab = Tab::Warehouse;
                self.detail.cursor = 0;
                self.detail.scroll = 0;
                self.refresh_warehouse();
            }
            Action::JumpToFinding if self.detail.tab == Tab::Pretty && in_detail => {
                self.open_person_at_cursor()
            }
            Action::JumpToFinding => {
                if self.detail.tab == Tab::Findings
                    && let Some(line) = self.detail.findings.lines.get(self.detail.cursor).copied()
                {
                    self.detail.tab = Tab::Pretty;
                    self.focus = Focus::Detail;
                    self.detail.cursor = 0;
                    self.detail.scroll = 0;
                    self.go_to_line(line);
                }
            }
            Action::ToggleMask => {
                self.mask_pii = !self.mask_pii;
                let state = if self.mask_pii { "masked" } else { "shown" };
                self.set_status(format!("PII values {state}"), false);
            }
            Action::ToggleWrap => self.detail.wrap = !self.detail.wrap,
            Action::CopyMessage if self.store.is_empty() => {
                // The welcome screen: `y` copies its curl example.
                if let SourceKind::Embedded { addr, .. } = &self.source {
                    let curl = crate::tui::views::welcome::curl_example(addr);
                    self.set_status("copied the curl example", false);
                    return Some(Effect::Copy(curl));
                }
            }
            Action::CopyMessage => {
                let entry = self.selected.and_then(|id| self.store.get(id));
                if let Some(entry) = entry {
                    let text = entry.text.to_string();
                    self.set_status(format!("copied {} bytes of JSON", text.len()), false);
                    return Some(Effect::Copy(text));
                }
            }
            Action::CopyPath => {
                if let Some(path) = self.cursor_path() {
                    let shown = if path.is_empty() { "(root)" } else { &path };
                    self.set_status(format!("copied path {shown}"), false);
                    return Some(Effect::Copy(path));
                }
            }
            Action::CopyValue => return self.copy_value(),
            Action::WriteView => return self.write_view(),
            Action::Clear if self.store.is_empty() => {
                self.set_status("nothing to clear", false);
            }
            Action::Clear => {
                self.mode = Mode::Confirm(crate::tui::popups::confirm::ConfirmClear {
                    messages: self.store.len(),
                });
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
                self.mode = if matches!(self.mode, Mode::Help(_)) {
                    Mode::Normal
                } else {
                    Mode::Help(HelpOverlay::default())
                }
            }
            Action::Summary => self.open_summary(),
            Action::SavedViews => self.open_views(),
            Action::Person => self.open_selected_person(),
            Action::Schema => self.open_schema(),
            Action::Sql => self.open_sql(),
            Action::JumpToTime => self.open_jump(),
            Action::Diff => self.open_diff(),
            Action::Back => {
                if !matches!(self.mode, Mode::Normal) {
                    self.mode = Mode::Normal;
                } else if self.focus == Focus::Detail {
                    self.focus = Focus::List;
                } else if !self.marks.is_empty() {
                    self.clear_marks();
                }
            }
            // The popups' actions went to them above.
            _ => {}
        }
        None
    }

    /// `w`: opens the write prompt over the rows the view shows.
    fn write_view(&mut self) -> Option<Effect> {
        let rows = self.rows_to_write().count();
        if rows == 0 {
            self.set_status("nothing to write: the view has no messages", true);
            return None;
        }
        let path = format!(
            "eventscope-{}.ndjson",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        );
        self.mode = Mode::Write(WritePrompt::open(path, rows));
        None
    }

    /// The rows `w` writes: what the view shows, messages and rejected requests (gaps are no
    /// frames).
    fn rows_to_write(&self) -> impl Iterator<Item = &Entry> {
        (0..self.shown_len())
            .filter_map(|i| self.shown_id(i))
            .filter_map(|id| self.store.get(id))
            .filter(|entry| !entry.is_gap())
    }

    /// A key typed in the write prompt: Enter writes the rows as recorded frames (so `open`
    /// of the file shows the same rows), Esc closes it.
    fn write_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let Mode::Write(prompt) = &mut self.mode else {
            return None;
        };
        match prompt.handle(key)? {
            WriteOutcome::Cancel => {
                self.mode = Mode::Normal;
                None
            }
            WriteOutcome::Write(path) => {
                self.mode = Mode::Normal;
                let lines: Vec<String> = self
                    .rows_to_write()
                    .filter_map(|entry| entry.to_frame())
                    .map(|frame| frame.to_json())
                    .collect();
                Some(Effect::Write { path, lines })
            }
        }
    }
}
