//! The help overlay, one component: every binding of the main view with its description,
//! then one line per popup or view with keys of its own, then the filter syntax — all keys
//! filled in from the key map, so a rebound key shows as bound. It scrolls when the terminal
//! is shorter than the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::action::{Action, Context};
use crate::tui::app::App;
use crate::tui::keys::KeyMap;
use crate::tui::theme::Role;

/// The popups' and the Deliveries view's keys, one line each (see [`KeyMap::hint`]).
pub const SECTIONS: [(&str, &str); 4] = [
    ("Forward popup", super::forward::HELP),
    ("Replay popup", super::replay::HELP),
    ("Summary", super::summary::HELP),
    ("Deliveries", crate::tui::app::DELIVERIES_HELP),
];

/// The help overlay: how far it is scrolled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelpOverlay {
    /// First line drawn.
    pub scroll: usize,
}

impl HelpOverlay {
    /// Lines of the overlay's text.
    pub fn line_count(keys: &KeyMap) -> usize {
        keys.bindings(Context::Main).count() + 1 + SECTIONS.len() + 1 + 2
    }

    /// Scrolls for a moving action (a page is `page` lines); false for any other action.
    pub fn handle(&mut self, action: Action, page: usize, keys: &KeyMap) -> bool {
        let last = Self::line_count(keys).saturating_sub(1) as isize;
        let page = page.max(1) as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -last,
            Action::Live => last,
            _ => return false,
        };
        self.scroll = (self.scroll as isize + delta).clamp(0, last) as usize;
        true
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let ui = &app.theme.ui;
        let t = &app.theme;
        let key_width = app
            .keys
            .bindings(Context::Main)
            .map(|(action, _)| app.keys.keys_label(*action).chars().count())
            .max()
            .unwrap_or(8);
        let key_style = t.style(Role::Accent).add_modifier(Modifier::BOLD);
        let mut lines: Vec<Line> = app
            .keys
            .bindings(Context::Main)
            .map(|(action, _)| {
                Line::from(vec![
                    Span::styled(
                        format!(" {:<key_width$}  ", app.keys.keys_label(*action)),
                        key_style,
                    ),
                    Span::styled(action.description(), t.fg(ui.fg)),
                ])
            })
            .collect();
        lines.push(Line::raw(""));
        for (place, hint) in SECTIONS {
            lines.push(Line::from(vec![
                Span::styled(format!(" {place}: "), key_style),
                Span::styled(app.keys.hint(hint), t.fg(ui.fg)),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            " Filter: free text · type:track · event:\"Order *\" · user:ID · id:MSGID · key:KEY",
            t.style(Role::Muted),
        ));
        lines.push(Line::styled(
        "         has:rejected · -term / not term · a or b · ( … ) · jq: .properties.revenue > 100",
        t.style(Role::Muted),
    ));
        let width = (lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 2).min(area.width);
        let height = (lines.len() as u16 + 2).min(area.height);
        let [popup] = Layout::horizontal([Constraint::Length(width)])
            .flex(Flex::Center)
            .areas(area);
        let [popup] = Layout::vertical([Constraint::Length(height)])
            .flex(Flex::Center)
            .areas(popup);
        frame.render_widget(Clear, popup);
        let shown = height.saturating_sub(2) as usize;
        let scroll = self.scroll.min(lines.len().saturating_sub(shown));
        let mut block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(" Keys ")
            .style(Style::new().bg(ui.bg));
        if lines.len() > shown {
            block = block.title_bottom(
                Line::styled(
                    format!(
                        " ↑/↓ scroll · {}–{} of {} ",
                        scroll + 1,
                        scroll + shown,
                        lines.len()
                    ),
                    t.style(Role::Muted),
                )
                .right_aligned(),
            );
        }
        let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}
