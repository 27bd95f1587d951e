//! The saved views' picker (`v`), one component: the config's `[[view]]` tables, each with its
//! filter, the one applied marked; `↑`/`↓` (`k`/`j`) move, `Enter` applies, `Esc` (or `q`)
//! closes. Its state (the cursor), what a key answers ([`ViewPicker::handle`]) and `draw`.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::text::fit;
use crate::tui::theme::Role;

/// The picker over `App::views`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewPicker {
    /// Index of the view under the cursor.
    pub cursor: usize,
}

/// What a key asks of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// Apply the view at this index.
    Apply(usize),
    Close,
}

impl ViewPicker {
    /// Opens on the view applied (`current`), else the first.
    pub fn new(current: Option<usize>) -> ViewPicker {
        ViewPicker {
            cursor: current.unwrap_or(0),
        }
    }

    /// A key over `views` views.
    pub fn handle(&mut self, key: KeyEvent, views: usize) -> Option<Picked> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.cursor = self.cursor.saturating_sub(1);
                None
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.cursor = (self.cursor + 1).min(views.saturating_sub(1));
                None
            }
            KeyCode::Home | KeyCode::Char('g') => {
                self.cursor = 0;
                None
            }
            KeyCode::End | KeyCode::Char('G') => {
                self.cursor = views.saturating_sub(1);
                None
            }
            KeyCode::Enter if views > 0 => Some(Picked::Apply(self.cursor)),
            KeyCode::Esc | KeyCode::Char('q' | 'v') => Some(Picked::Close),
            _ => None,
        }
    }

    /// Draws the list of views in the middle of `area`, over (and clearing) what is below.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let width = area.width.saturating_sub(8).clamp(20, 100);
        let room = usize::from(width.saturating_sub(4));
        let name_width = app
            .views
            .iter()
            .map(|v| v.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(room / 3);
        let mut lines: Vec<Line> = app
            .views
            .iter()
            .enumerate()
            .map(|(index, view)| {
                let current = app.view_name.as_deref() == Some(view.name.as_str());
                let mark = if current { "● " } else { "  " };
                let filter = if view.filter.is_empty() {
                    "(every message)".to_string()
                } else {
                    view.filter.clone()
                };
                let name = format!("{:<name_width$}", fit(&view.name, name_width));
                let rest = room.saturating_sub(name_width + 4);
                let line = Line::from(vec![
                    Span::styled(mark, t.style(Role::Accent).add_modifier(Modifier::BOLD)),
                    Span::styled(name, t.fg(t.ui.fg).add_modifier(Modifier::BOLD)),
                    Span::raw("  "),
                    Span::styled(fit(&filter, rest), t.style(Role::Muted)),
                ]);
                if index == self.cursor {
                    line.patch_style(t.style(Role::Selected))
                } else {
                    line
                }
            })
            .collect();
        lines.push(Line::styled(
            "↑/↓ choose · Enter apply · Esc close · ● applied",
            t.style(Role::Muted),
        ));
        let height = (lines.len() as u16 + 2).min(area.height);
        let popup = super::centered(frame, area, width, height);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(" Saved views ")
            .style(t.style(Role::Base));
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_move_within_the_views_and_enter_applies() {
        let mut picker = ViewPicker::new(Some(1));
        assert_eq!(picker.handle(key(KeyCode::Down), 3), None);
        assert_eq!(picker.handle(key(KeyCode::Down), 3), None);
        assert_eq!(picker.cursor, 2);
        assert_eq!(
            picker.handle(key(KeyCode::Enter), 3),
            Some(Picked::Apply(2))
        );
        assert_eq!(picker.handle(key(KeyCode::Char('k')), 3), None);
        assert_eq!(picker.cursor, 1);
        assert_eq!(picker.handle(key(KeyCode::Esc), 3), Some(Picked::Close));
        assert_eq!(ViewPicker::new(None).handle(key(KeyCode::Enter), 0), None);
    }
}
