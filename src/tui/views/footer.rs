//! The footer: the keys that matter now, or a status message. (The filter bar above it is a
//! component, `popups::filter`.)

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::{App, Mode, View};
use crate::tui::keys::{FOOTER, FOOTER_DELIVERIES, FOOTER_MARKED};
use crate::tui::text::{escape, escape_line};
use crate::tui::theme::Role;

/// How long a status message stays in the footer.
pub const STATUS_FOR: Duration = Duration::from_secs(4);

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    if let Some(status) = app.status.as_ref().filter(|s| s.at.elapsed() < STATUS_FOR) {
        let color = if status.is_error { ui.error } else { ui.info };
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" {}", escape(&status.text)),
                Style::new().fg(color),
            )),
            area,
        );
        return;
    }
    let key_style = t.style(Role::Accent).add_modifier(Modifier::BOLD);
    let text_style = t.style(Role::Muted);
    let mut spans = Vec::new();
    let pairs: Vec<(String, &str)> = match &app.mode {
        Mode::Filter(_) => vec![
            ("Enter".into(), "apply"),
            ("Esc".into(), "cancel"),
            ("↑/↓".into(), "history"),
            ("Ctrl-u".into(), "clear"),
        ],
        Mode::Help(_) => vec![(app.keys.first_key_label(Action::Back), "close help")],
        // The popups show their own keys.
        Mode::Summary(_)
        | Mode::Person(_)
        | Mode::Schema(_)
        | Mode::Diff(_)
        | Mode::Sql(_)
        | Mode::Confirm(_)
        | Mode::Forward(_)
        | Mode::Replay(_)
        | Mode::Write(_)
        | Mode::Views(_)
        | Mode::Jump(_) => Vec::new(),
        Mode::Normal => {
            let actions: &[Action] = match app.view {
                View::Deliveries => FOOTER_DELIVERIES,
                View::Messages if !app.marks.is_empty() => FOOTER_MARKED,
                View::Messages => FOOTER,
            };
            let mut pairs: Vec<(String, &str)> = actions
                .iter()
                .map(|action| (app.keys.first_key_label(*action), short(*action)))
                .collect();
            // Deliveries exist: say where to see them.
            if app.view == View::Messages && app.marks.is_empty() && !app.deliveries.is_empty() {
                let at = pairs.len().saturating_sub(2);
                pairs.insert(
                    at,
                    (app.keys.first_key_label(Action::Deliveries), "deliveries"),
                );
            }
            pairs
        }
    };
    for (key, what) in pairs {
        spans.push(Span::styled(format!(" {key}"), key_style));
        spans.push(Span::styled(format!(" {what} "), text_style));
    }
    frame.render_widget(Paragraph::new(escape_line(Line::from(spans))), area);
}

fn short(action: Action) -> &'static str {
    match action {
        Action::OpenFilter => "filter",
        Action::TogglePause => "pause",
        Action::Live => "live",
        Action::SwitchFocus => "focus",
        Action::NextTab => "tab",
        Action::CopyMessage => "copy",
        Action::WriteView => "write",
        Action::Help => "help",
        Action::Quit => "quit",
        Action::Forward => "forward",
        Action::Replay => "replay",
        Action::ClearMarks => "unmark",
        Action::MarkRange => "mark range",
        Action::ToggleMark => "mark",
        Action::Deliveries => "deliveries",
        Action::MessageDeliveries => "its deliveries",
        Action::JumpToFinding => "show message",
        Action::Back => "back",
        other => other.description(),
    }
}
