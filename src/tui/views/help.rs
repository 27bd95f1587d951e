//! The help overlay, generated from the same key table the dispatcher uses, then the keys of
//! the popups and views that read keys directly, and the filter syntax. It scrolls when the
//! terminal is shorter than the list.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::theme::Role;

/// Keys that do not go through the key table: the popups' and the Deliveries view's.
const OTHER_KEYS: &[(&str, &str)] = &[
    (
        "Forward popup",
        "Enter send · e edit in $EDITOR · ←/→ 1-9 destination · [/] request · ↑/↓ PgUp/PgDn scroll · Esc close",
    ),
    (
        "Replay popup",
        "Enter replay · ↑/↓ option · Space ←/→ change (i ids, t times) · Esc cancel",
    ),
    (
        "Deliveries",
        "↑/↓ delivery · Tab list / request / response · Enter its message · Esc back",
    ),
];

/// Lines of the overlay's text.
pub fn line_count(app: &App) -> usize {
    app.keys.bindings().len() + 1 + OTHER_KEYS.len() + 1 + 2
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let bindings = app.keys.bindings();
    let key_width = bindings
        .iter()
        .map(|(action, _)| app.keys.keys_label(*action).chars().count())
        .max()
        .unwrap_or(8);
    let key_style = t.style(Role::Accent).add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = bindings
        .iter()
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
    for (place, keys) in OTHER_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!(" {place}: "), key_style),
            Span::styled(*keys, t.fg(ui.fg)),
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
    let scroll = app.help_scroll.min(lines.len().saturating_sub(shown));
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
