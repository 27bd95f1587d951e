//! The filter bar, one component: the query being edited (live: each prefix that parses
//! applies, the last valid one stays), its history, what its keys do ([`FilterBar::handle`])
//! and how it is drawn above the footer. The bar reads text, so its keys are not bindings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Mode};
use crate::tui::text::escape_line;
use crate::tui::theme::Role;
use eventscope_core::filter::FilterError;

/// The filter bar being edited.
#[derive(Debug, Default)]
pub struct FilterBar {
    pub text: String,
    /// The query text when editing started, restored by Esc.
    pub before: String,
    /// Why the text does not parse (the last valid query stays applied).
    pub error: Option<FilterError>,
    /// The history entry shown, while walking it with ↑/↓.
    pub history_pos: Option<usize>,
}

/// What the bar asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Esc: restore the query from before editing, and close.
    Cancel { before: String },
    /// Close, keeping whatever applies.
    Close,
    /// Enter: apply this query and close if it parses.
    Submit(String),
    /// The text changed: apply it if it parses.
    Changed(String),
}

impl FilterBar {
    /// The bar opened over the active query.
    pub fn open(current: &str) -> FilterBar {
        FilterBar {
            text: current.to_string(),
            before: current.to_string(),
            error: None,
            history_pos: None,
        }
    }

    /// A key typed in the bar; `history` holds the queries applied before, oldest first.
    pub fn handle(&mut self, key: KeyEvent, history: &[String]) -> Option<Outcome> {
        match key.code {
            KeyCode::Esc => {
                return Some(Outcome::Cancel {
                    before: std::mem::take(&mut self.before),
                });
            }
            KeyCode::Enter => return Some(Outcome::Submit(self.text.trim().to_string())),
            KeyCode::Up => {
                let pos = match self.history_pos {
                    None => history.len().checked_sub(1),
                    Some(p) => Some(p.saturating_sub(1)),
                };
                if let Some(p) = pos {
                    self.history_pos = Some(p);
                    self.text = history[p].clone();
                }
            }
            KeyCode::Down => {
                if let Some(p) = self.history_pos {
                    if p + 1 < history.len() {
                        self.history_pos = Some(p + 1);
                        self.text = history[p + 1].clone();
                    } else {
                        self.history_pos = None;
                        self.text.clear();
                    }
                }
            }
            KeyCode::Backspace => {
                self.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.text.clear();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return Some(Outcome::Close);
            }
            KeyCode::Char(c) => self.text.push(c),
            _ => return None,
        }
        Some(Outcome::Changed(self.text.clone()))
    }
}

/// Draws the bar: the query being edited (with its error), or else the active filter.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let editing = match &app.mode {
        Mode::Filter(bar) => Some(bar),
        _ => None,
    };
    let text = editing.map_or(app.store.filter().source(), |bar| bar.text.as_str());
    let mut spans = vec![
        Span::styled(" / ", t.style(Role::Accent).add_modifier(Modifier::BOLD)),
        Span::styled(text.to_string(), t.fg(ui.fg)),
    ];
    if editing.is_some() {
        spans.push(Span::styled("█", t.style(Role::Accent)));
    }
    if let Some(error) = editing.and_then(|bar| bar.error.as_ref()) {
        spans.push(Span::styled(
            format!("   ✗ {} (at {})", error.message, error.position),
            t.style(Role::Error),
        ));
    } else if let Some(error) = app.store.jq_error() {
        spans.push(Span::styled(format!("   ✗ {error}"), t.style(Role::Error)));
    } else if app.store.rescan_progress() < 1.0 {
        spans.push(Span::styled(
            format!("   filtering… {:.0}%", app.store.rescan_progress() * 100.0),
            t.style(Role::Muted),
        ));
    }
    frame.render_widget(Paragraph::new(escape_line(Line::from(spans))), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::from(code)
    }

    #[test]
    fn typing_walking_the_history_and_esc_answer_what_the_app_must_do() {
        let history = vec!["type:page".to_string(), "user:u".to_string()];
        let mut bar = FilterBar::open("event:A");
        assert_eq!(
            bar.handle(key(KeyCode::Char('x')), &history),
            Some(Outcome::Changed("event:Ax".into()))
        );
        assert_eq!(
            bar.handle(key(KeyCode::Up), &history),
            Some(Outcome::Changed("user:u".into()))
        );
        assert_eq!(
            bar.handle(key(KeyCode::Up), &history),
            Some(Outcome::Changed("type:page".into()))
        );
        assert_eq!(
            bar.handle(key(KeyCode::Down), &history),
            Some(Outcome::Changed("user:u".into()))
        );
        assert_eq!(
            bar.handle(key(KeyCode::Down), &history),
            Some(Outcome::Changed(String::new())),
            "past the newest entry: an empty bar"
        );
        assert_eq!(bar.handle(key(KeyCode::F(5)), &history), None);
        assert_eq!(
            bar.handle(key(KeyCode::Esc), &history),
            Some(Outcome::Cancel {
                before: "event:A".into()
            })
        );
    }
}
