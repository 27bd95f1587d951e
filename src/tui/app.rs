//! The viewer's state and its one place of change, `update`. Drawing reads this state and
//! never changes it; the event loop feeds it frames, keys and background results.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::action::Action;
use super::keys::KeyMap;
use super::store::{Entry, EntryBuilder, EntryId, EntryKind, Store};
use super::summary::Summary;
use super::theme::Theme;
use crate::filter::{FilterError, Query};
use crate::inspect::{Finding, Inspector};
use crate::model::Frame;
use crate::model::pretty::{PrettyDoc, pretty};

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

/// Something the event loop must do outside the state (the terminal, the disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Copy to the clipboard with OSC 52.
    Copy(String),
    /// Write these NDJSON lines to a file.
    Write {
        path: String,
        lines: Vec<String>,
    },
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
        }
    }

    /// Adds frames (building their rows here; the feed does that off the UI task).
    pub fn ingest(&mut self, frames: Vec<Frame>, now: Instant) {
        self.ingest_entries(EntryBuilder::default().build_all(frames), now);
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
        let doc = Arc::new(pretty(&entry.text));
        let findings = match entry.kind {
            EntryKind::Event => self.inspector.inspect_text(&entry.text),
            _ => Vec::new(),
        };
        self.detail_findings = Arc::new(SelectedFindings::of(findings, &doc));
        self.detail_doc = Some((id, doc));
    }

    /// Judges again with new rules (a reloaded plan): the selected message now, rows as
    /// they arrive.
    pub fn set_inspector(&mut self, inspector: Arc<Inspector>) {
        self.inspector = inspector;
        self.detail_doc = None;
        self.refresh_detail_doc();
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
                self.detail_doc = None;
                self.selected = None;
                self.paused_at = None;
                self.set_status("cleared", false);
            }
            Action::Help => {
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
                }
            }
        }
        None
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
                Frame::Event(crate::model::EventFrame::from_plain(
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
        assert_eq!(
            app.update(Action::CopyPath),
            Some(Effect::Copy("type".into()))
        );
        match app.update(Action::WriteView) {
            Some(Effect::Write { lines, path }) => {
                assert_eq!(lines.len(), 2);
                assert!(path.ends_with(".ndjson"));
            }
            other => panic!("{other:?}"),
        }
    }
}
