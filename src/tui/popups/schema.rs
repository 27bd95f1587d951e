//! The schema view, one component: the warehouse schema the viewer's messages build, over the
//! list — its tables (rows loaded, columns, the seq that made each, type conflicts), each
//! expandable to its columns (type, the seq that added it, conflicts), live as messages
//! arrive. Its state (the model of `tui::schema` and the cursor), the keys it answers
//! ([`HELP`], bound in `keys`), what they do ([`SchemaView::handle`]) and how it is drawn
//! (only the visible rows).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::schema::{RowKey, SchemaModel, SchemaRow};
use crate::tui::text::{fit, pad};
use crate::tui::theme::Role;
use crate::tui::views::thousands;
use eventscope_core::model::count;
use eventscope_core::warehouse::SharedSchema;

/// The schema view's keys for the help overlay, filled in from the bindings.
pub const HELP: &str = "{schema-down}/{schema-up} move · {schema-page-down}/{schema-page-up} \
page · {schema-select} on a table: expand / collapse its columns; on a column: select the \
message that added it · {schema-close} back to the list";

/// The short hint on the view's border.
const BORDER_HINT: &str =
    " {schema-select} expand table / select a column's first message · {schema-close} back ";

/// Widths of the columns after the name.
const TYPE_W: usize = 14;
const ROWS_W: usize = 10;
const SEQ_W: usize = 12;
const CONFLICTS_W: usize = 15;

/// What the schema view asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Close,
    /// Expand or collapse the table under the cursor (the app reads the schema for it).
    Toggle,
    /// Select the message with this seq in the list, and close.
    Select(u64),
}

/// The schema view: its model and where the user is in it.
#[derive(Debug)]
pub struct SchemaView {
    pub model: SchemaModel,
    /// The selected row.
    pub cursor: usize,
    /// The first row drawn.
    pub offset: usize,
    /// Rows visible at the last draw (for paging).
    pub page: usize,
    /// The row under the cursor, kept as tables arrive around it.
    key: Option<RowKey>,
}

impl SchemaView {
    pub fn new(model: SchemaModel) -> SchemaView {
        let mut view = SchemaView {
            model,
            cursor: 0,
            offset: 0,
            page: 10,
            key: None,
        };
        view.key = view.model.key(0);
        view
    }

    /// Copies the schema again if it moved; the cursor stays on its row. True when it moved.
    pub fn refresh(&mut self, schema: &SharedSchema) -> bool {
        let moved = self.model.refresh(schema);
        if moved {
            self.place();
        }
        moved
    }

    /// Expands or collapses the table under the cursor.
    pub fn toggle(&mut self, schema: &SharedSchema) {
        let Some(key) = self.model.key(self.cursor) else {
            return;
        };
        self.model.toggle(&key.table, schema);
        self.key = Some(key);
        self.place();
    }

    /// Puts the cursor back on its row and in view.
    fn place(&mut self) {
        self.cursor = self.key.as_ref().map_or(0, |k| self.model.index_of(k));
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

    /// Answers one of the schema view's actions.
    pub fn handle(&mut self, action: Action) -> Option<Outcome> {
        let last = self.model.len().saturating_sub(1) as isize;
        let page = self.page.max(1) as isize;
        let delta = match action {
            Action::SchemaClose => return Some(Outcome::Close),
            Action::SchemaSelect => {
                return match self.model.row(self.cursor)? {
                    SchemaRow::Table { .. } => Some(Outcome::Toggle),
                    SchemaRow::Column { column, .. } => Some(Outcome::Select(column.first_seq)),
                };
            }
            Action::SchemaUp => -1,
            Action::SchemaDown => 1,
            Action::SchemaPageUp => -page,
            Action::SchemaPageDown => page,
            Action::SchemaTop => -last - 1,
            Action::SchemaBottom => last + 1,
            _ => return None,
        };
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
        self.key = self.model.key(self.cursor);
        self.scroll_to_cursor();
        None
    }

    /// Draws the view over `area`; returns where its rows are.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) -> Rect {
        let t = &app.theme;
        let model = &self.model;
        let title = format!(
            " Warehouse schema · {} · {} · {} ",
            count(model.tables.len() as u64, "table"),
            count(model.columns as u64, "column"),
            count(model.conflicts, "conflict"),
        );
        let inner = super::framed(frame, area, app, &title, BORDER_HINT);
        let w = inner.width as usize;
        let [note_area, heading_area, rows_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);
        let mut note = "Where the messages land: Segment's warehouse tables, as the viewer's \
                        messages have built them, live."
            .to_string();
        if model.dropped_tables + model.dropped_columns > 0 {
            note = format!(
                "Past the schema's caps, not kept: {} and {} (each time one was seen).",
                count(model.dropped_tables, "new table"),
                count(model.dropped_columns, "new column"),
            );
        }
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&note, w), t.style(Role::Muted))),
            note_area,
        );
        // As wide as the longest name (up to what the other columns leave).
        let name_w = model
            .longest_name()
            .max(16)
            .min(w.saturating_sub(TYPE_W + ROWS_W + SEQ_W + CONFLICTS_W + 4))
            .max(12);
        let heading = format!(
            "{} {} {} {} conflicts",
            pad("table / column", name_w),
            pad("type", TYPE_W),
            pad("rows", ROWS_W),
            pad("first seq", SEQ_W),
        );
        frame.render_widget(
            Paragraph::new(Line::styled(
                fit(&heading, w),
                t.style(Role::Muted).add_modifier(Modifier::BOLD),
            )),
            heading_area,
        );
        let height = rows_area.height as usize;
        let lines: Vec<Line> = (self.offset..self.offset + height)
            .filter_map(|i| {
                let line = row_line(model.row(i)?, name_w, w, app);
                Some(if i == self.cursor {
                    line.patch_style(t.style(Role::Selected))
                } else {
                    line
                })
            })
            .collect();
        let lines = if lines.is_empty() {
            vec![Line::styled(
                "No warehouse rows yet: track, identify, page, screen, group and alias messages \
                 make them.",
                t.style(Role::Muted),
            )]
        } else {
            lines
        };
        frame.render_widget(Paragraph::new(lines), rows_area);
        rows_area
    }
}

/// One table or column row: name, type (or column count), rows, first seq, conflicts.
fn row_line(row: SchemaRow<'_>, name_w: usize, w: usize, app: &App) -> Line<'static> {
    let t = &app.theme;
    let conflict_style = |n: u64| {
        if n > 0 {
            t.style(Role::Warning)
        } else {
            t.style(Role::Muted)
        }
    };
    let conflicts = |n: u64| {
        if n > 0 {
            count(n, "conflict")
        } else {
            "—".to_string()
        }
    };
    let spans = match row {
        SchemaRow::Table { table, expanded } => {
            let name = format!("{} {}", if expanded { "▾" } else { "▸" }, table.name);
            vec![
                Span::styled(
                    format!("{} ", pad(&name, name_w)),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    format!("{} ", pad(&count(table.columns as u64, "column"), TYPE_W)),
                    t.style(Role::Muted),
                ),
                Span::styled(
                    format!("{} ", pad(&thousands(table.rows), ROWS_W)),
                    t.fg(t.ui.fg),
                ),
                Span::styled(
                    format!("{} ", pad(&format!("seq {}", table.first_seq), SEQ_W)),
                    t.style(Role::Muted),
                ),
                Span::styled(conflicts(table.conflicts), conflict_style(table.conflicts)),
            ]
        }
        SchemaRow::Column { column, .. } => vec![
            Span::styled(
                format!("{} ", pad(&format!("    {}", column.name), name_w)),
                t.fg(t.ui.fg),
            ),
            Span::styled(
                format!("{} ", pad(column.column_type.as_str(), TYPE_W)),
                t.style(Role::Accent),
            ),
            Span::raw(format!("{} ", pad("", ROWS_W))),
            Span::styled(
                format!("{} ", pad(&format!("seq {}", column.first_seq), SEQ_W)),
                t.style(Role::Muted),
            ),
            Span::styled(
                conflicts(column.conflicts),
                conflict_style(column.conflicts),
            ),
        ],
    };
    let line = Line::from(spans);
    if line.width() > w {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        Line::styled(fit(&text, w), t.fg(t.ui.fg))
    } else {
        line
    }
}
