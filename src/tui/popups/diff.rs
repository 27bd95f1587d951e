//! The diff pane, one component: a structural diff of two messages (`eventscope_core::diff`)
//! over the list — added (`+`), removed (`-`), changed (`~`) and type-changed (`!`) paths and
//! array lengths (`#`), in colours, the volatile fields (`messageId`, the clocks, `_metadata`)
//! hidden with a count until toggled. Its state, the keys it answers ([`HELP`], bound in
//! `keys`), what they do ([`DiffPane::handle`]) and how it is drawn (only the visible rows).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::text::{fit, pad};
use crate::tui::theme::{Role, Theme};
use eventscope_core::diff::{Change, ChangeKind, MessageDiff};
use eventscope_core::model::count;

/// The diff pane's keys for the help overlay, filled in from the bindings.
pub const HELP: &str = "{diff-down}/{diff-up} scroll · {diff-page-down}/{diff-page-up} page · \
{diff-toggle-volatile} show / hide the volatile fields (messageId, timestamps, _metadata) · \
{diff-close} back to the list";

/// The short hint on the pane's border.
const BORDER_HINT: &str = " {diff-toggle-volatile} volatile fields · {diff-close} back ";

/// What the diff pane asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Close,
}

/// One of the two messages compared, as the pane names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub seq: Option<u64>,
    /// The event: a track's name, else the message type (and its name).
    pub event: String,
}

impl Side {
    fn label(&self) -> String {
        match self.seq {
            Some(seq) => format!("seq {seq} {}", self.event),
            None => self.event.clone(),
        }
    }
}

/// Both diffs of a pair: with the volatile fields hidden (counted) and with them shown.
#[derive(Debug, Clone, Default)]
pub struct Compared {
    pub hidden: MessageDiff,
    pub all: MessageDiff,
}

/// The diff pane: the pair, their diff once computed, and the scroll.
#[derive(Debug)]
pub struct DiffPane {
    pub before: Side,
    pub after: Side,
    /// Which diff this pane waits for, when it is computed off the UI task.
    pub generation: u64,
    /// `None` while a large pair is compared off the UI task; `Err` when a side is no JSON.
    result: Option<Result<Compared, String>>,
    pub show_volatile: bool,
    /// The first row drawn.
    pub offset: usize,
    /// Rows visible at the last draw (for paging).
    pub page: usize,
}

impl DiffPane {
    pub fn new(before: Side, after: Side, generation: u64) -> DiffPane {
        DiffPane {
            before,
            after,
            generation,
            result: None,
            show_volatile: false,
            offset: 0,
            page: 10,
        }
    }

    pub fn set_result(&mut self, result: Result<Compared, String>) {
        self.result = Some(result);
    }

    /// The diff shown: with or without the volatile fields.
    pub fn shown(&self) -> Option<&MessageDiff> {
        match &self.result {
            Some(Ok(compared)) if self.show_volatile => Some(&compared.all),
            Some(Ok(compared)) => Some(&compared.hidden),
            _ => None,
        }
    }

    /// Rows: one per change, and the "… N more" tail.
    fn rows(&self) -> usize {
        self.shown()
            .map_or(0, |d| d.changes.len() + usize::from(d.more > 0))
    }

    /// Answers one of the diff pane's actions.
    pub fn handle(&mut self, action: Action) -> Option<Outcome> {
        let last = self.rows().saturating_sub(self.page.max(1)) as isize;
        let page = self.page.max(1) as isize;
        let delta = match action {
            Action::DiffClose => return Some(Outcome::Close),
            Action::DiffToggleVolatile => {
                self.show_volatile = !self.show_volatile;
                self.offset = 0;
                return None;
            }
            Action::DiffUp => -1,
            Action::DiffDown => 1,
            Action::DiffPageUp => -page,
            Action::DiffPageDown => page,
            Action::DiffTop => -(self.offset as isize),
            Action::DiffBottom => last,
            _ => return None,
        };
        self.offset = (self.offset as isize + delta).clamp(0, last.max(0)) as usize;
        None
    }

    /// Draws the pane over `area`; returns where its rows are.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) -> Rect {
        let t = &app.theme;
        let title = format!(" Diff · {} → {} ", self.before.label(), self.after.label());
        let inner = super::framed(frame, area, app, &title, BORDER_HINT);
        let w = inner.width as usize;
        let [note_area, rows_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        let height = rows_area.height as usize;
        let (note, rows): (String, Vec<Line>) = match (&self.result, self.shown()) {
            (None, _) => ("Comparing the two messages…".to_string(), Vec::new()),
            (Some(Err(e)), _) => (format!("Cannot compare them: {e}"), Vec::new()),
            (Some(Ok(compared)), Some(diff)) => {
                let note = self.note(diff, compared.hidden.hidden, app);
                let path_w = diff
                    .changes
                    .iter()
                    .map(|c| c.path.chars().count())
                    .max()
                    .unwrap_or(0)
                    .clamp(8, (w / 2).max(8));
                let mut rows: Vec<Line> = diff
                    .changes
                    .iter()
                    .skip(self.offset)
                    .take(height)
                    .map(|c| change_line(c, path_w, w, t))
                    .collect();
                if diff.more > 0 && rows.len() < height {
                    rows.push(Line::styled(
                        format!("… {} more", count(diff.more as u64, "change")),
                        t.style(Role::Muted),
                    ));
                }
                (note, rows)
            }
            (Some(Ok(_)), None) => (String::new(), Vec::new()),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&note, w), t.style(Role::Muted))),
            note_area,
        );
        frame.render_widget(Paragraph::new(rows), rows_area);
        rows_area
    }

    /// The line above the rows: how many changes, and what is hidden.
    fn note(&self, diff: &MessageDiff, hidden: usize, app: &App) -> String {
        let total = diff.changes.len() + diff.more;
        let key = app.keys.first_key_label(Action::DiffToggleVolatile);
        let changes = if total == 0 {
            "No differences".to_string()
        } else {
            count(total as u64, "change")
        };
        match (self.show_volatile, hidden) {
            (_, 0) => format!("{changes}."),
            (false, n) => format!(
                "{changes}; {} in volatile fields hidden ({key} shows them: messageId, \
                 timestamps, _metadata).",
                count(n as u64, "change"),
            ),
            (true, n) => format!(
                "{changes}, {} in volatile fields among them ({key} hides them).",
                count(n as u64, "change")
            ),
        }
    }
}

/// One change: its glyph, path and what happened, coloured by kind.
fn change_line(change: &Change, path_w: usize, w: usize, t: &Theme) -> Line<'static> {
    let (glyph, style, what) = match &change.kind {
        ChangeKind::Added { value, kind } => {
            ("+", t.style(Role::Live), format!("added {kind} {value}"))
        }
        ChangeKind::Removed { value, kind } => {
            ("-", t.style(Role::Error), format!("removed {kind} {value}"))
        }
        ChangeKind::Changed { before, after } => {
            ("~", t.style(Role::Warning), format!("{before} → {after}"))
        }
        ChangeKind::TypeChanged {
            before,
            after,
            from,
            to,
        } => (
            "!",
            t.style(Role::Info).add_modifier(Modifier::BOLD),
            format!("type {from} → {to}: {before} → {after}"),
        ),
        ChangeKind::Length { before, after } => (
            "#",
            t.style(Role::Muted),
            format!("length {before} → {after}"),
        ),
    };
    let path = fit(&change.path, path_w);
    let rest = w.saturating_sub(path_w + 3);
    Line::from(vec![
        Span::styled(format!("{glyph} "), style),
        Span::styled(format!("{} ", pad(&path, path_w)), t.fg(t.ui.fg)),
        Span::styled(fit(&what, rest), style.patch(Style::new())),
    ])
}
