//! The SQL prompt (`:`), one component: a query over the retained messages (the warehouse
//! tables plus `messages`, `findings` and `deliveries`, as `eventscope sql` has them), its
//! answer as a scrollable table, and errors in place. Its state, what its keys do
//! ([`SqlPrompt::handle`]) and how it is drawn (only the visible rows and columns). The prompt
//! reads text, so its keys are not bindings (as the filter bar's); the answers come from the
//! database thread (`tui::sql`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::sql::{Answer, MAX_ROWS};
use crate::tui::text::{fit, pad, width};
use crate::tui::theme::Role;
use crate::tui::views::thousands;
use eventscope_core::model::count;
use eventscope_core::warehouse::load::capture::Cell;

/// The prompt's keys, for the help overlay and the README.
pub const HELP: &str = "type a query (SQLite) · Enter run it · ↑/↓ earlier queries · Tab or ↓ \
to the answer · in the answer: ↑/↓ j/k rows, PgUp/PgDn, ←/→ h/l columns, Enter select the \
row's message in the list, Tab or : back to the query · Esc close";

/// The widest a column is drawn.
const MAX_COLUMN: usize = 40;

/// Where the keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Query,
    Answer,
}

/// What the prompt asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Close,
    /// Run this query (and remember it).
    Run(String),
    /// Select this message in the list, and close.
    Select(u64),
}

/// The prompt: the query being edited, the last answer or error, and where the user is in it.
#[derive(Debug)]
pub struct SqlPrompt {
    pub text: String,
    /// The history entry shown, while walking it with ↑/↓.
    history_pos: Option<usize>,
    focus: Focus,
    /// The query asked and not answered yet (its generation).
    pub waiting: Option<u64>,
    pub answer: Option<Answer>,
    pub error: Option<String>,
    /// The selected answer row, the first drawn, and how many fit at the last draw (set by
    /// the event loop after drawing).
    pub cursor: usize,
    offset: usize,
    pub page: usize,
    /// The first answer column drawn.
    column: usize,
}

impl SqlPrompt {
    pub fn open(text: &str) -> SqlPrompt {
        SqlPrompt {
            text: text.to_string(),
            history_pos: None,
            focus: Focus::Query,
            waiting: None,
            answer: None,
            error: None,
            cursor: 0,
            offset: 0,
            // Not drawn yet: no row is scrolled away before the first draw says what fits.
            page: usize::MAX,
            column: 0,
        }
    }

    /// The answer (or error) to query `generation` came.
    pub fn answered(&mut self, generation: u64, answer: Result<Answer, String>) {
        if self.waiting != Some(generation) {
            return;
        }
        self.waiting = None;
        (self.cursor, self.offset, self.column) = (0, 0, 0);
        match answer {
            Ok(answer) => {
                self.error = None;
                if !answer.rows.is_empty() {
                    self.focus = Focus::Answer;
                }
                self.answer = Some(answer);
            }
            Err(error) => {
                self.error = Some(error);
                self.focus = Focus::Query;
            }
        }
    }

    fn rows(&self) -> usize {
        self.answer.as_ref().map_or(0, |a| a.rows.len())
    }

    /// A key; `history` holds the queries run before, oldest first.
    pub fn handle(&mut self, key: KeyEvent, history: &[String]) -> Option<Outcome> {
        if key.code == KeyCode::Esc {
            return Some(Outcome::Close);
        }
        match self.focus {
            Focus::Query => self.query_key(key, history),
            Focus::Answer => self.answer_key(key),
        }
    }

    fn query_key(&mut self, key: KeyEvent, history: &[String]) -> Option<Outcome> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter if !self.text.trim().is_empty() => {
                self.history_pos = None;
                return Some(Outcome::Run(self.text.clone()));
            }
            KeyCode::Tab if self.rows() > 0 => self.focus = Focus::Answer,
            KeyCode::Down if self.history_pos.is_none() && self.rows() > 0 => {
                self.focus = Focus::Answer
            }
            KeyCode::Up | KeyCode::Down if !history.is_empty() => {
                let last = history.len() - 1;
                let pos = match (key.code, self.history_pos) {
                    (KeyCode::Up, None) => Some(last),
                    (KeyCode::Up, Some(p)) => Some(p.saturating_sub(1)),
                    (_, Some(p)) if p < last => Some(p + 1),
                    _ => None,
                };
                self.history_pos = pos;
                self.text = pos.map_or_else(String::new, |p| history[p].clone());
            }
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Char('u') if ctrl => self.text.clear(),
            KeyCode::Char(c) if !ctrl => self.text.push(c),
            _ => {}
        }
        None
    }

    fn answer_key(&mut self, key: KeyEvent) -> Option<Outcome> {
        let outcome = self.move_in_answer(key);
        self.offset = scrolled(self.offset, self.cursor, self.page);
        outcome
    }

    fn move_in_answer(&mut self, key: KeyEvent) -> Option<Outcome> {
        let rows = self.rows();
        let last = rows.saturating_sub(1);
        let columns = self.answer.as_ref().map_or(0, |a| a.columns.len());
        match key.code {
            KeyCode::Char('q') => return Some(Outcome::Close),
            KeyCode::Tab | KeyCode::Char(':') | KeyCode::Char('i') => self.focus = Focus::Query,
            KeyCode::Up | KeyCode::Char('k') if self.cursor == 0 => self.focus = Focus::Query,
            KeyCode::Up | KeyCode::Char('k') => self.cursor -= 1,
            KeyCode::Down | KeyCode::Char('j') => self.cursor = (self.cursor + 1).min(last),
            KeyCode::PageDown => self.cursor = (self.cursor + self.page).min(last),
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(self.page),
            KeyCode::Home | KeyCode::Char('g') => self.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => self.cursor = last,
            KeyCode::Left | KeyCode::Char('h') => self.column = self.column.saturating_sub(1),
            KeyCode::Right | KeyCode::Char('l') => {
                self.column = (self.column + 1).min(columns.saturating_sub(1))
            }
            KeyCode::Enter => {
                let seq = self.answer.as_ref()?.seqs.get(self.cursor).copied()?;
                return match seq {
                    Some(seq) => Some(Outcome::Select(seq)),
                    None => {
                        self.error = Some(
                            "this row names no message: select a seq, or a message_id (id) \
                             the messages table holds"
                                .to_string(),
                        );
                        None
                    }
                };
            }
            _ => {}
        }
        None
    }

    /// Draws the prompt over `area`; returns where the answer's rows go (for paging).
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) -> Rect {
        let t = &app.theme;
        let loaded = app.sql.loaded;
        let popup = super::whole_screen(frame, area);
        let width_all = popup.width.saturating_sub(2) as usize;
        let held = match loaded {
            Some(n) => format!("{} retained", count(n, "message")),
            None => "building the database…".to_string(),
        };
        let title = format!(" SQL · {held} · tables: messages, findings, deliveries, tracks, … ");
        let hint = " Enter run · Tab answer · Enter on a row selects it · Esc close ";
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(fit(&title, width_all))
            .title_bottom(Line::styled(fit(hint, width_all), t.style(Role::Muted)).right_aligned())
            .style(t.style(Role::Base));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [query_area, status_area, table_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(inner);
        let w = inner.width as usize;
        // The query's end stays in view as it grows.
        let shown = tail(&self.text, w.saturating_sub(3));
        let mut query = vec![
            Span::styled(": ", t.style(Role::Accent)),
            Span::raw(fit(&shown, w.saturating_sub(3))),
        ];
        if self.focus == Focus::Query {
            query.push(Span::styled(" ", t.style(Role::Selected)));
        }
        frame.render_widget(Paragraph::new(Line::from(query)), query_area);
        let status = match (&self.error, self.waiting, &self.answer) {
            (Some(error), _, _) => Line::styled(fit(error, w), t.style(Role::Error)),
            (None, Some(_), _) => Line::styled("running…", t.style(Role::Muted)),
            (None, None, Some(a)) => {
                let mut text = format!(
                    "{} in {} ms",
                    count(a.rows.len() as u64, "row"),
                    thousands(a.took.as_millis() as u64)
                );
                if a.cut {
                    text.push_str(&format!(
                        " · cut at {} rows or 8 MiB: narrow the query",
                        thousands(MAX_ROWS as u64)
                    ));
                }
                Line::styled(fit(&text, w), t.style(Role::Muted))
            }
            (None, None, None) => Line::styled(
                fit(
                    "e.g. SELECT event, count(*) FROM tracks GROUP BY 1 ORDER BY 2 DESC",
                    w,
                ),
                t.style(Role::Muted),
            ),
        };
        frame.render_widget(Paragraph::new(status), status_area);
        let page = (table_area.height as usize).saturating_sub(1).max(1);
        if let Some(answer) = &self.answer {
            let offset = scrolled(self.offset, self.cursor, page);
            let focused = self.focus == Focus::Answer;
            let lines = table(answer, self.column, offset, page, w)
                .into_iter()
                .enumerate()
                .map(|(i, text)| {
                    let role = match i {
                        0 => Role::Header,
                        _ if focused && offset + i - 1 == self.cursor => Role::Selected,
                        _ => Role::Base,
                    };
                    let style = t.style(role);
                    let style = if i == 0 {
                        style.add_modifier(Modifier::BOLD)
                    } else {
                        style
                    };
                    Line::styled(text, style)
                })
                .collect::<Vec<_>>();
            frame.render_widget(Paragraph::new(lines), table_area);
        }
        table_area
    }
}

/// The end of `text` that fits in `columns` (the whole text when it fits).
fn tail(text: &str, columns: usize) -> String {
    let mut start = 0;
    while width(&text[start..]) > columns {
        start += text[start..].chars().next().map_or(1, char::len_utf8);
    }
    text[start..].to_string()
}

/// The first row drawn so that `cursor` is among `page` rows from it.
fn scrolled(offset: usize, cursor: usize, page: usize) -> usize {
    if cursor < offset {
        cursor
    } else if cursor >= offset.saturating_add(page) {
        cursor + 1 - page
    } else {
        offset
    }
}

/// The header and the visible rows, from column `first` on, in `w` columns; each column as
/// wide as its widest visible cell (at most [`MAX_COLUMN`]), numbers to the right.
fn table(answer: &Answer, first: usize, offset: usize, page: usize, w: usize) -> Vec<String> {
    let visible =
        &answer.rows[offset.min(answer.rows.len())..(offset + page).min(answer.rows.len())];
    let columns = &answer.columns[first.min(answer.columns.len())..];
    let texts: Vec<Vec<String>> = visible
        .iter()
        .map(|row| row.iter().skip(first).map(Cell::text).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            texts
                .iter()
                .filter_map(|r| r.get(i))
                .map(|text| width(&crate::tui::text::escape(text)))
                .chain([width(name)])
                .max()
                .unwrap_or(0)
                .min(MAX_COLUMN)
        })
        .collect();
    let line = |cells: Vec<String>| fit(cells.join("  ").trim_end(), w);
    let mut out = vec![line(
        columns
            .iter()
            .zip(&widths)
            .map(|(name, w)| pad(name, *w))
            .collect(),
    )];
    for (row, cells) in texts.iter().zip(visible) {
        out.push(line(
            row.iter()
                .zip(cells.iter().skip(first))
                .zip(&widths)
                .map(|((text, cell), w)| match cell {
                    Cell::Integer(_) | Cell::Real(_) => format!("{text:>w$}"),
                    _ => pad(text, *w),
                })
                .collect(),
        ));
    }
    out
}
