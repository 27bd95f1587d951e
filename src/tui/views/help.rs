//! The help overlay, generated from the same key table the dispatcher uses.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let bindings = app.keys.bindings();
    let key_width = bindings
        .iter()
        .map(|(action, _)| app.keys.keys_label(*action).chars().count())
        .max()
        .unwrap_or(8);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|(action, _)| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<key_width$}  ", app.keys.keys_label(*action)),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(action.description(), t.fg(ui.fg)),
            ])
        })
        .collect();
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
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Accent))
        .title(" Keys ")
        .style(Style::new().bg(ui.bg));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
