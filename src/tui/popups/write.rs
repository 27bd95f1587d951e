//! The write prompt, one component: the path the shown rows are written to (a default,
//! editable), what its keys do ([`WritePrompt::handle`]: Enter writes, Esc cancels) and how it
//! is drawn. It reads text, so its keys are not bindings (like the filter bar's).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::text::escape_line;
use crate::tui::theme::Role;
use eventscope_core::model::count;

/// The prompt open over the view.
#[derive(Debug, Clone)]
pub struct WritePrompt {
    /// The path as edited (the default at first).
    pub path: String,
    /// Rows that will be written (messages and rejected requests shown by the filter).
    pub rows: usize,
}

/// What the prompt asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Enter: write to this path.
    Write(String),
    /// Esc (or Ctrl-C): close without writing.
    Cancel,
}

impl WritePrompt {
    pub fn open(default_path: String, rows: usize) -> WritePrompt {
        WritePrompt {
            path: default_path,
            rows,
        }
    }

    /// A key typed in the prompt.
    pub fn handle(&mut self, key: KeyEvent) -> Option<Outcome> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Some(Outcome::Cancel),
            KeyCode::Char('c') if ctrl => return Some(Outcome::Cancel),
            KeyCode::Enter => {
                let path = self.path.trim();
                if !path.is_empty() {
                    return Some(Outcome::Write(path.to_string()));
                }
            }
            KeyCode::Backspace => {
                self.path.pop();
            }
            KeyCode::Char('u') if ctrl => self.path.clear(),
            KeyCode::Char(c) if !ctrl => self.path.push(c),
            _ => {}
        }
        None
    }

    /// Draws the prompt in the middle of `area`, over (and clearing) what is below.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let strong = t.fg(t.ui.fg).add_modifier(Modifier::BOLD);
        let key = |k: &str| t.key(k);
        let lines = vec![
            Line::styled(
                format!(
                    "Write {} as recorded (NDJSON frames) to:",
                    count(self.rows as u64, "row")
                ),
                t.fg(t.ui.fg),
            ),
            escape_line(Line::from(vec![
                Span::styled(self.path.clone(), strong),
                Span::styled("█", t.style(Role::Accent)),
            ])),
            Line::from(vec![
                key("Enter"),
                Span::styled(" write · ", t.style(Role::Muted)),
                key("Esc"),
                Span::styled(" cancel · ", t.style(Role::Muted)),
                key("Ctrl-U"),
                Span::styled(" clear", t.style(Role::Muted)),
            ]),
        ];
        let widest = lines.iter().map(Line::width).max().unwrap_or(40) as u16;
        let popup = super::centered(
            frame,
            area,
            (widest + 4).clamp(50, 100),
            lines.len() as u16 + 2,
        );
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(" Write the view ")
            .style(t.style(Role::Base));
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_editable_enter_writes_and_esc_cancels() {
        let mut prompt = WritePrompt::open("view.ndjson".into(), 3);
        for code in [KeyCode::Backspace; 6] {
            assert_eq!(prompt.handle(KeyEvent::from(code)), None);
        }
        for c in "x.ndjson".chars() {
            prompt.handle(KeyEvent::from(KeyCode::Char(c)));
        }
        assert_eq!(prompt.path, "view.x.ndjson");
        assert_eq!(
            prompt.handle(KeyEvent::from(KeyCode::Enter)),
            Some(Outcome::Write("view.x.ndjson".into()))
        );
        prompt.handle(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(
            prompt.handle(KeyEvent::from(KeyCode::Enter)),
            None,
            "no empty path"
        );
        assert_eq!(
            prompt.handle(KeyEvent::from(KeyCode::Esc)),
            Some(Outcome::Cancel)
        );
    }
}
