//! The detail pane's side of the state: the selected message laid out (here, or off the UI
//! task when it is large), its verdicts and the line each sits under, its routing verdicts,
//! its warehouse rows (when the Warehouse tab shows), the cursor and scrolling, and jumping
//! between filter matches.

use std::sync::Arc;

use super::{App, Tab};
use crate::tui::action::Action;
use crate::tui::tree::Folds;
use crate::tui::warehouse::{Line as WarehouseLine, WarehouseRows};
use eventscope_core::entry::{EntryId, EntryKind};
use eventscope_core::inspect::{Finding, Inspector};
use eventscope_core::model::call::sdk_call;
use eventscope_core::model::json::Json;
use eventscope_core::model::pretty::{Bounds, PrettyDoc, PrettyLine, pretty_within};
use eventscope_core::routing::{Named, Verdict, route_each};
use eventscope_core::warehouse::SharedSchema;

/// What the detail pane shows and where it stands.
#[derive(Debug)]
pub struct DetailPane {
    pub tab: Tab,
    pub wrap: bool,
    /// First line drawn, and the cursor line (for `Y`, `n`, `N`).
    pub scroll: usize,
    pub cursor: usize,
    /// Lines visible at the last draw (for paging).
    pub height: usize,
    /// The pretty-printed selected message.
    pub doc: Option<(EntryId, Arc<PrettyDoc>)>,
    /// The selected message's verdicts.
    pub findings: Arc<SelectedFindings>,
    /// The large selected message being laid out and judged off the UI task.
    pub pending: Option<EntryId>,
    /// The selected message's routing verdict per configured destination (in `App::routing`'s
    /// order), worked out with `doc`; `None` when it is not a message object.
    pub routes: Option<Arc<[Verdict]>>,
    /// The SDK call of the message `doc` lays out, written once with it (for messages laid out
    /// here: a larger one gets no Call view); `None` for what is not a message object.
    pub call: Option<Arc<str>>,
    /// The Warehouse tab's rows: of the selected message when its `id` is the selection,
    /// worked out once it is selected with the tab shown (see [`App::refresh_warehouse`]).
    pub warehouse: Option<Arc<WarehouseRows>>,
    /// The Pretty tree's folds, of the message `doc` lays out (kept while it stays selected).
    pub folds: Folds,
}

impl Default for DetailPane {
    fn default() -> DetailPane {
        DetailPane {
            tab: Tab::Pretty,
            wrap: false,
            scroll: 0,
            cursor: 0,
            height: 20,
            doc: None,
            findings: Arc::default(),
            pending: None,
            routes: None,
            call: None,
            warehouse: None,
            folds: Folds::default(),
        }
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
    pub(super) fn of(findings: Vec<Finding>, doc: &PrettyDoc) -> SelectedFindings {
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
            fold: None,
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
    routing: Arc<[Named]>,
    copy_key: String,
    /// The message's seq and the schema, for its warehouse rows.
    seq: Option<u64>,
    schema: SharedSchema,
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

    /// The message's warehouse rows (see [`DetailPane::warehouse`]).
    pub fn warehouse(&self) -> Option<WarehouseRows> {
        match (self.judge, self.seq) {
            (true, Some(seq)) => WarehouseRows::of(self.id, seq, &self.text, &self.schema),
            _ => None,
        }
    }

    /// The message's routing verdicts (see [`DetailPane::routes`]).
    pub fn route(&self) -> Option<Arc<[Verdict]>> {
        if self.judge {
            route_text(&self.text, &self.routing)
        } else {
            None
        }
    }
}

/// The routing verdicts of a message's text for each of `routing`; `None` without
/// destinations, or for text that is not a JSON object.
pub fn route_text(text: &str, routing: &[Named]) -> Option<Arc<[Verdict]>> {
    if routing.is_empty() {
        return None;
    }
    let message = Json::parse(text).ok()?;
    message.as_object()?;
    Some(route_each(&message, routing).into())
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

impl App {
    /// Brings the detail pane to the selected message: its layout and verdicts, and its
    /// warehouse rows if the Warehouse tab shows.
    pub(super) fn refresh_detail_doc(&mut self) {
        self.lay_out_selected();
        self.refresh_warehouse();
    }

    /// The Warehouse tab's rows of the selected message, once per selected message and only
    /// while the tab shows; a large message's come with its layout, off the UI task.
    pub(super) fn refresh_warehouse(&mut self) {
        if self.detail.tab != Tab::Warehouse {
            return;
        }
        let Some(id) = self.selected else {
            self.detail.warehouse = None;
            return;
        };
        if self.detail.warehouse.as_ref().is_some_and(|w| w.id == id) {
            return;
        }
        let Some(entry) = self.store.get(id) else {
            return;
        };
        if entry.text.len() > SYNC_DETAIL_BYTES {
            return;
        }
        self.detail.warehouse = match (&entry.kind, entry.seq) {
            (EntryKind::Event, Some(seq)) => {
                WarehouseRows::of(id, seq, &entry.text, &self.schema).map(Arc::new)
            }
            _ => None,
        };
    }

    fn lay_out_selected(&mut self) {
        let Some(id) = self.selected else {
            self.detail.doc = None;
            self.detail.routes = None;
            self.detail.findings = Arc::default();
            self.detail.pending = None;
            self.detail_job = None;
            return;
        };
        if self
            .detail
            .doc
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
            if self.detail.pending != Some(id) {
                self.detail.doc = None;
                self.detail.routes = None;
                self.detail.findings = Arc::default();
                self.detail.pending = Some(id);
                self.detail_job = Some(DetailJob {
                    id,
                    text: entry.text.to_string(),
                    judge: matches!(entry.kind, EntryKind::Event),
                    inspector: Arc::clone(&self.inspector),
                    routing: Arc::clone(&self.routing),
                    copy_key,
                    seq: entry.seq,
                    schema: Arc::clone(&self.schema),
                });
            }
            return;
        }
        self.detail.pending = None;
        self.detail_job = None;
        self.detail.call = matches!(entry.kind, EntryKind::Event)
            .then(|| sdk_call(&entry.text))
            .flatten()
            .map(Arc::from);
        let doc = Arc::new(detail_doc(&entry.text, &copy_key));
        let findings = entry.findings(&self.inspector);
        self.detail.routes = match entry.kind {
            EntryKind::Event => route_text(&entry.text, &self.routing),
            _ => None,
        };
        self.detail.findings = Arc::new(SelectedFindings::of(findings, &doc));
        self.set_doc(id, doc);
    }

    /// Shows `doc` as message `id`'s layout: its folds stay if it is the message they were
    /// made for (a new layout of it), else none is folded.
    fn set_doc(&mut self, id: EntryId, doc: Arc<PrettyDoc>) {
        if self.detail.folds.id == Some(id) {
            self.detail.folds.relayout(&doc);
        } else {
            self.detail.folds = Folds::new(id, &doc);
        }
        self.detail.doc = Some((id, doc));
    }

    /// Judges again with new rules (a reloaded plan): the selected message now, rows as
    /// they arrive.
    pub fn set_inspector(&mut self, inspector: Arc<Inspector>) {
        self.inspector = inspector;
        self.detail.doc = None;
        self.detail.pending = None;
        self.refresh_detail_doc();
    }

    /// The large selected message's layout and verdicts to compute off the UI task, once.
    pub fn take_detail_job(&mut self) -> Option<DetailJob> {
        self.detail_job.take()
    }

    /// A [`DetailJob`]'s result: shown if its message is still the one awaited.
    pub fn detail_ready(
        &mut self,
        id: EntryId,
        doc: PrettyDoc,
        findings: Vec<Finding>,
        routes: Option<Arc<[Verdict]>>,
        warehouse: Option<WarehouseRows>,
    ) {
        if self.detail.pending != Some(id) || self.selected != Some(id) {
            return;
        }
        self.detail.pending = None;
        self.detail.routes = routes;
        self.detail.warehouse = warehouse.map(Arc::new);
        let doc = Arc::new(doc);
        self.detail.findings = Arc::new(SelectedFindings::of(findings, &doc));
        self.set_doc(id, doc);
    }

    /// Selects the row shown at `index` (a mouse click); following resumes on the last row.
    pub(super) fn detail_lines(&self) -> usize {
        if self.detail.tab == Tab::Warehouse {
            return self
                .detail
                .warehouse
                .as_ref()
                .filter(|w| Some(w.id) == self.selected)
                .map_or(0, |w| w.len());
        }
        self.detail
            .doc
            .as_ref()
            .map_or(0, |(_, doc)| doc.lines.len())
    }

    /// The JSON path under the detail pane's cursor (`Y`): the Pretty line's, or in the
    /// Warehouse tab the path the column under the cursor was read from.
    pub(super) fn cursor_path(&self) -> Option<String> {
        let cursor = self.detail.cursor;
        if self.detail.tab == Tab::Warehouse {
            let rows = self
                .detail
                .warehouse
                .as_ref()
                .filter(|w| Some(w.id) == self.selected)?;
            return match rows.line(cursor)? {
                WarehouseLine::Column(r, c) | WarehouseLine::Fate(r, c) => {
                    let column = rows.rows.get(r)?.row.columns.get(c)?;
                    Some(column.path.to_string()).filter(|p| !p.is_empty())
                }
                _ => None,
            };
        }
        let (_, doc) = self.detail.doc.as_ref()?;
        doc.lines.get(cursor).map(|l| l.path.clone())
    }

    pub(super) fn scroll_detail(&mut self, delta: isize) {
        if self.detail.tab == Tab::Pretty {
            return self.scroll_tree(delta);
        }
        let lines = self.detail_lines();
        if lines == 0 {
            return;
        }
        let cursor = (self.detail.cursor as isize + delta).clamp(0, lines as isize - 1) as usize;
        self.detail.cursor = cursor;
        let height = self.detail.height.max(1);
        if cursor < self.detail.scroll {
            self.detail.scroll = cursor;
        } else if cursor >= self.detail.scroll + height {
            self.detail.scroll = cursor + 1 - height;
        }
    }

    /// Lines of the detail pane that contain a filter match.
    pub fn match_lines(&self) -> Vec<usize> {
        let terms = self.store.filter().highlights();
        let Some((_, doc)) = &self.detail.doc else {
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

    pub(super) fn jump_to_match(&mut self, forward: bool) {
        let lines = self.match_lines();
        let target = if forward {
            lines
                .iter()
                .find(|l| **l > self.detail.cursor)
                .or(lines.first())
        } else {
            lines
                .iter()
                .rev()
                .find(|l| **l < self.detail.cursor)
                .or(lines.last())
        };
        match target {
            Some(line) => self.go_to_line(*line),
            None => self.set_status("no match in this message", false),
        }
    }
}
