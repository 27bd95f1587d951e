//! The person view, one component: one person of the identity graph over the list — their
//! identifiers (type, value, first and last seen, the message that added each), merged traits
//! (with the message that set each), message counts by event, first and last seen, alias links
//! to other profiles, and the timeline of every retained message of theirs with merges and
//! refused merges as separator rows. Its state (the model of `tui::person` and the cursor),
//! the keys it answers ([`HELP`], bound in `keys`), what they do ([`PersonView::handle`]) and
//! how it is drawn (only the visible slice of the timeline).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::person::{Marker, PersonModel, TimelineKey, TimelineRow};
use crate::tui::store::Store;
use crate::tui::text::{fit, pad};
use crate::tui::theme::Role;
use crate::tui::views::{format_time, thousands};
use eventscope_core::identity::SharedGraph;

/// The person view's keys for the help overlay, filled in from the bindings.
pub const HELP: &str = "{person-down}/{person-up} move in the timeline · {person-page-down}/\
{person-page-up} page · {person-select} select the message in the list · {person-narrow} \
narrow the list to this person (person:ID) · {person-close} back to the list";

/// The short hint on the view's border.
const BORDER_HINT: &str = " {person-select} select in list · {person-narrow} narrow list to \
person · {person-close} back ";

/// Lines given to the identifiers and traits at most (the timeline gets the rest).
const MAX_TOP: usize = 12;

/// What the person view asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Close,
    /// Select the list row timeline row `usize` stands for, and close.
    Select(usize),
    /// Narrow the list to the person (`person:ID`), and close.
    Narrow,
}

/// The person view: its model and where the user is in the timeline.
#[derive(Debug)]
pub struct PersonView {
    pub model: PersonModel,
    /// The selected timeline row.
    pub cursor: usize,
    /// The first timeline row drawn.
    pub offset: usize,
    /// Timeline rows visible at the last draw (for paging).
    pub page: usize,
    /// The row under the cursor, kept as rows and separators arrive around it.
    key: Option<TimelineKey>,
    /// On the newest row: stays on the newest as the person's messages arrive.
    follow: bool,
}

impl PersonView {
    /// The view of `model`, the cursor on `at` (the message it was opened on) if given.
    pub fn new(model: PersonModel, at: Option<TimelineKey>) -> PersonView {
        let mut view = PersonView {
            model,
            cursor: 0,
            offset: 0,
            page: 10,
            key: at,
            follow: at.is_none(),
        };
        view.place();
        view
    }

    /// Brings the model up to date (see [`PersonModel::refresh`]); the cursor stays on its
    /// row. True when every retained row is scanned.
    pub fn refresh(&mut self, graph: &SharedGraph, store: &Store) -> bool {
        let done = self.model.refresh(graph, store);
        self.place();
        done
    }

    /// Puts the cursor back on its row (or the newest, when following) and in view.
    fn place(&mut self) {
        let len = self.model.len();
        self.cursor = match self.key {
            _ if len == 0 => 0,
            _ if self.follow => len - 1,
            Some(key) => self.model.index_of(key),
            None => 0,
        };
        self.key = self.model.key(self.cursor);
        self.scroll_to_cursor();
    }

    fn scroll_to_cursor(&mut self) {
        let page = self.page.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + page {
            self.offset = self.cursor + 1 - page;
        }
        self.offset = self.offset.min(self.model.len().saturating_sub(page));
    }

    /// Answers one of the person view's actions.
    pub fn handle(&mut self, action: Action) -> Option<Outcome> {
        let last = self.model.len().saturating_sub(1) as isize;
        let page = self.page.max(1) as isize;
        let delta = match action {
            Action::PersonClose => return Some(Outcome::Close),
            Action::PersonSelect => {
                return (!self.model.is_empty()).then_some(Outcome::Select(self.cursor));
            }
            Action::PersonNarrow => return Some(Outcome::Narrow),
            Action::PersonUp => -1,
            Action::PersonDown => 1,
            Action::PersonPageUp => -page,
            Action::PersonPageDown => page,
            Action::PersonTop => -last - 1,
            Action::PersonBottom => last + 1,
            _ => return None,
        };
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
        self.follow = self.cursor as isize == last && delta > 0;
        self.key = self.model.key(self.cursor);
        self.scroll_to_cursor();
        None
    }

    /// Draws the view over `area`; returns where its timeline rows are.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) -> Rect {
        let t = &app.theme;
        let model = &self.model;
        let title = format!(
            " Person {} · {} · {} ",
            model.name,
            eventscope_core::model::count(model.identifiers.len() as u64, "id"),
            eventscope_core::model::count(model.messages, "message"),
        );
        let inner = super::framed(frame, area, app, &title, BORDER_HINT);
        let w = inner.width as usize;
        let heading = t.style(Role::Muted).add_modifier(Modifier::BOLD);

        let wide = w >= 96;
        let ids = self.identifier_lines(if wide { w * 11 / 20 } else { w }, app);
        let traits = self.trait_lines(if wide { w - w * 11 / 20 - 1 } else { w }, app);
        let top = if wide {
            ids.len().max(traits.len())
        } else {
            ids.len() + traits.len()
        }
        .min(MAX_TOP)
        .min((inner.height as usize).saturating_sub(4) / 2);
        let aliases = model.aliases.len().min(3);
        let [seen_area, top_area, alias_area, heading_area, rows_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(top as u16),
            Constraint::Length(aliases as u16),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);

        let time = |at: Option<chrono::DateTime<chrono::Utc>>| {
            at.map_or("—".to_string(), |t| {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            })
        };
        let seen = format!(
            "first seen {} · last seen {} · profile {}",
            time(model.first_seen),
            time(model.last_seen),
            model.person
        );
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&seen, w), t.style(Role::Muted))),
            seen_area,
        );
        if wide {
            let [left, _, right] = Layout::horizontal([
                Constraint::Length((w * 11 / 20) as u16),
                Constraint::Length(1),
                Constraint::Min(1),
            ])
            .areas(top_area);
            frame.render_widget(Paragraph::new(ids), left);
            frame.render_widget(Paragraph::new(traits), right);
        } else {
            let lines: Vec<Line> = ids.into_iter().chain(traits).collect();
            frame.render_widget(Paragraph::new(lines), top_area);
        }
        let alias_lines: Vec<Line> = model
            .aliases
            .iter()
            .take(aliases)
            .map(|a| Line::styled(fit(a, w), t.style(Role::Warning)))
            .collect();
        frame.render_widget(Paragraph::new(alias_lines), alias_area);

        let (merges, refused) = model.separator_counts();
        let timeline = format!(
            "Timeline · {} retained · {} · {}",
            eventscope_core::model::count(model.retained() as u64, "message"),
            eventscope_core::model::count(merges as u64, "merge"),
            eventscope_core::model::count(refused as u64, "refused merge"),
        );
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&timeline, w), heading)),
            heading_area,
        );
        let height = rows_area.height as usize;
        let lines: Vec<Line> = (self.offset..self.offset + height)
            .filter_map(|i| {
                let row = model.row(i)?;
                let line = self.timeline_line(row, w, app);
                Some(if i == self.cursor {
                    line.patch_style(t.style(Role::Selected))
                } else {
                    line
                })
            })
            .collect();
        let lines = if lines.is_empty() {
            let text = if model.found {
                "No retained message of this person."
            } else {
                "The person is no longer known (the messages were cleared)."
            };
            vec![Line::styled(text, t.style(Role::Muted))]
        } else {
            lines
        };
        frame.render_widget(Paragraph::new(lines), rows_area);
        rows_area
    }

    /// "type  value  first seen  last seen  added by", one line per identifier.
    fn identifier_lines(&self, w: usize, app: &App) -> Vec<Line<'static>> {
        let t = &app.theme;
        let kind_w = self
            .model
            .identifiers
            .iter()
            .map(|r| r.kind.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 14);
        const SEEN: usize = 8;
        const SEQ: usize = 9;
        let value_w = w.saturating_sub(kind_w + 2 * SEEN + SEQ + 4).max(6);
        let mut lines = vec![Line::styled(
            fit(
                &format!(
                    "{} {} {:<SEEN$} {:<SEEN$} {}",
                    pad("id type", kind_w),
                    pad("value", value_w),
                    "first",
                    "last",
                    "added by"
                ),
                w,
            ),
            t.style(Role::Muted).add_modifier(Modifier::BOLD),
        )];
        for r in &self.model.identifiers {
            let text = format!(
                "{} {} {:<SEEN$} {:<SEEN$} seq {}",
                pad(&r.kind, kind_w),
                pad(&r.value, value_w),
                r.first_seen.format("%H:%M:%S"),
                r.last_seen.format("%H:%M:%S"),
                r.first_seq
            );
            lines.push(Line::styled(fit(&text, w), t.fg(t.ui.fg)));
        }
        lines
    }

    /// "traits: name = value (seq N)" lines, then the counts by event.
    fn trait_lines(&self, w: usize, app: &App) -> Vec<Line<'static>> {
        let t = &app.theme;
        let bold = t.style(Role::Muted).add_modifier(Modifier::BOLD);
        let mut lines = vec![Line::styled("traits (value · set by)", bold)];
        if self.model.traits.is_empty() {
            lines.push(Line::styled("none", t.style(Role::Muted)));
        }
        for (name, value) in &self.model.traits {
            let source = format!(" seq {}", value.seq);
            let room = w.saturating_sub(source.chars().count());
            lines.push(Line::from(vec![
                Span::styled(
                    fit(&format!("{name} = {}", value.value), room),
                    t.fg(t.ui.fg),
                ),
                Span::styled(source, t.style(Role::Muted)),
            ]));
        }
        let events: Vec<String> = self
            .model
            .events
            .iter()
            .map(|(name, n)| format!("{name}×{}", thousands(*n)))
            .collect();
        lines.push(Line::styled("events", bold));
        lines.push(Line::styled(
            fit(&events.join(" · "), w),
            t.style(Role::Muted),
        ));
        lines
    }

    fn timeline_line(&self, row: TimelineRow<'_>, w: usize, app: &App) -> Line<'static> {
        let t = &app.theme;
        match row {
            TimelineRow::Separator(s) => {
                let role = match s.marker {
                    Marker::Merge => Role::Accent,
                    Marker::Refused => Role::Warning,
                };
                Line::styled(
                    fit(&format!("── {} ──", s.text), w),
                    t.style(role).add_modifier(Modifier::BOLD),
                )
            }
            TimelineRow::Message(id) => {
                let Some(entry) = app.store.get(id) else {
                    return Line::styled("(evicted)", t.style(Role::Muted));
                };
                let summary = &entry.summary;
                let seq = entry.seq.map_or(String::new(), |s| format!("seq {s}"));
                let user = summary.user(&entry.text);
                let fixed = 12 + 1 + 10 + 1 + 9 + 1;
                let user_w = (w.saturating_sub(fixed) / 3).min(24);
                let name_w = w.saturating_sub(fixed + user_w + 1);
                Line::from(vec![
                    Span::styled(
                        format!("{:<12} ", format_time(entry.received_ms)),
                        t.style(Role::Muted),
                    ),
                    Span::styled(format!("{} ", pad(&seq, 10)), t.style(Role::Muted)),
                    Span::styled(
                        format!("{} ", pad(summary.type_str(&entry.text), 9)),
                        t.style(Role::Accent),
                    ),
                    Span::styled(
                        format!("{} ", pad(&summary.display_name(&entry.text), name_w)),
                        t.fg(t.ui.fg),
                    ),
                    Span::styled(pad(&user, user_w), t.style(Role::Muted)),
                ])
            }
        }
    }
}
