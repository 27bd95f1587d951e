//! The Summary overlay: the live violations report, one row per event name and type.

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{fit, pad, thousands};
use crate::tui::app::App;
use crate::tui::theme::Role;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let popup = area.inner(Margin::new(2, 1));
    frame.render_widget(Clear, popup);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Accent))
        .title(" Summary: messages and findings per event ")
        .style(t.style(Role::Base));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let width = inner.width as usize;
    let name_width = (width / 3).max(12);
    let heading = format!(
        "{:<name_width$} {:<9} {:>9} {:>7} {:>8} {:>6} {:>6}  rules (messages)",
        "event / name", "type", "messages", "errors", "warnings", "PII-Y", "PII-R"
    );
    let mut lines = vec![Line::styled(
        fit(&heading, width),
        t.style(Role::Muted).add_modifier(Modifier::BOLD),
    )];
    if app.summary.is_empty() {
        lines.push(Line::styled("No messages yet.", t.style(Role::Muted)));
    }
    for ((name, kind), row) in app.summary.sorted().into_iter().take(inner.height as usize) {
        let rules: Vec<String> = row
            .rules
            .iter()
            .map(|(rule, count)| format!("{rule}×{count}"))
            .collect();
        let counts = format!(
            "{} {} {:>9} {:>7} {:>8} {:>6} {:>6}  ",
            pad(if name.is_empty() { "—" } else { name }, name_width),
            pad(kind, 9),
            thousands(row.messages),
            thousands(row.errors),
            thousands(row.warnings),
            thousands(row.pii_yellow),
            thousands(row.pii_red),
        );
        let style = if row.errors > 0 {
            t.style(Role::Error)
        } else if row.warnings > 0 {
            t.style(Role::Warning)
        } else {
            t.fg(t.ui.fg)
        };
        lines.push(Line::from(vec![
            Span::styled(counts, style),
            Span::styled(rules.join(" "), t.style(Role::Muted)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
