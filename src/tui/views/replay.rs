//! The replay popup: where the messages go and the two choices (new or kept `messageId`s,
//! timestamps kept or moved to now).

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::thousands;
use crate::tui::app::App;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let Some(popup) = app.replay.as_ref() else {
        return;
    };
    let t = &app.theme;
    let count = popup.messages.len();
    let option = |row: usize, label: &str, choices: [&str; 2], first: bool| {
        let cursor = popup.row == row;
        let mut spans = vec![
            Span::styled(if cursor { " ▶ " } else { "   " }, t.style(Role::Accent)),
            Span::styled(format!("{label:<12}"), t.fg(t.ui.fg)),
        ];
        for (i, choice) in choices.iter().enumerate() {
            let chosen = (i == 0) == first;
            let style = if chosen {
                t.style(Role::Selected).add_modifier(Modifier::BOLD)
            } else {
                t.style(Role::Muted)
            };
            spans.push(Span::styled(format!(" {choice} "), style));
            spans.push(Span::raw(" "));
        }
        Line::from(spans)
    };
    let key = |k: &str| {
        Span::styled(
            k.to_string(),
            t.style(Role::Accent).add_modifier(Modifier::BOLD),
        )
    };
    let what = |w: &str| Span::styled(w.to_string(), t.style(Role::Muted));
    let lines = vec![
        Line::from(vec![
            Span::styled(
                format!(
                    " {} message{} → ",
                    thousands(count as u64),
                    if count == 1 { "" } else { "s" }
                ),
                t.fg(t.ui.fg),
            ),
            Span::styled(popup.target.batch_url.clone(), t.style(Role::Accent)),
        ]),
        Line::raw(""),
        option(0, "messageId", ["new", "kept"], popup.new_ids),
        option(1, "timestamps", ["kept", "moved to now"], !popup.to_now),
        Line::raw(""),
        Line::styled(
            "   sentAt and receivedAt are left to the collector; moved times keep their spacing",
            t.style(Role::Muted),
        ),
        Line::raw(""),
        Line::from(vec![
            key(" Enter"),
            what(" replay  "),
            key("↑/↓"),
            what(" option  "),
            key("Space ←/→"),
            what(" change  "),
            key("Esc"),
            what(" cancel"),
        ]),
    ];
    let width = (lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 4).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let [popup_area] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(area);
    let [popup_area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(popup_area);
    frame.render_widget(Clear, popup_area);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Accent))
        .title(" Replay into the collector ")
        .style(t.style(Role::Base));
    frame.render_widget(Paragraph::new(lines).block(block), popup_area);
}
