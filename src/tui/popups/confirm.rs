//! The question before clearing every retained message (`X`), one component: one key must not
//! wipe the buffer. `y` clears; any other key keeps the messages. Its state (how many would
//! go), what a key answers ([`ConfirmClear::handle`]) and how it is drawn.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::theme::Role;
use eventscope_core::model::count;

/// Asking whether to clear `messages` retained rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmClear {
    pub messages: usize,
}

impl ConfirmClear {
    /// True to clear: `y` (or `Y`); any other key keeps the messages.
    pub fn handle(&self, key: KeyEvent) -> bool {
        matches!(key.code, KeyCode::Char('y' | 'Y'))
    }

    /// Draws the question in the middle of `area`, over (and clearing) what is below.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let key = |k: &str| t.key(k);
        let lines = vec![
            Line::styled(
                format!(
                    "Clear all {} from the viewer?",
                    count(self.messages as u64, "retained message")
                ),
                t.fg(t.ui.fg).add_modifier(Modifier::BOLD),
            ),
            Line::styled(
                "The collector and a recording keep theirs; marks go too.",
                t.style(Role::Muted),
            ),
            Line::from(vec![
                key("y"),
                Span::styled(" clear · ", t.style(Role::Muted)),
                key("any other key"),
                Span::styled(" keep them", t.style(Role::Muted)),
            ]),
        ];
        let widest = lines.iter().map(Line::width).max().unwrap_or(40) as u16;
        let popup = super::centered(frame, area, widest + 4, lines.len() as u16 + 2);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Error))
            .title(" Clear ")
            .style(t.style(Role::Base));
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}
