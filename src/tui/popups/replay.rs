//! The replay popup, one component: its state (where the messages go and the two choices:
//! new or kept `messageId`s, timestamps kept or moved to now), the keys it answers ([`HELP`],
//! bound in `keys`), what it does with them ([`ReplayPopup::handle`]) and how it is drawn. The
//! posting itself is `tui::replay`'s.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::theme::Role;
use eventscope_core::forward::Outgoing;
use eventscope_core::forward::replay::CollectorTarget;

/// The popup's keys for the help overlay, filled in from the bindings.
pub const HELP: &str = "{replay-send} replay · {replay-prev-option}/{replay-next-option} option · \
{replay-change} {replay-change.2}/{replay-change.3} change \
({replay-toggle-ids} ids, {replay-toggle-times} times) · {replay-close} cancel";

/// The replay popup: the two choices and where the messages go.
#[derive(Debug, Clone)]
pub struct ReplayPopup {
    pub messages: Arc<Vec<Outgoing>>,
    /// Fresh `messageId`s (true) or the captured ones.
    pub new_ids: bool,
    /// Timestamps moved to now (true) or kept.
    pub to_now: bool,
    /// The option under the cursor: 0 ids, 1 timestamps.
    pub row: usize,
    pub target: CollectorTarget,
}

/// What the popup asks of the app after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Close,
    /// Replay with the options chosen, then close.
    Replay,
}

impl ReplayPopup {
    /// The popup over `messages`, with fresh ids and kept timestamps.
    pub fn new(messages: Vec<Outgoing>, target: CollectorTarget) -> ReplayPopup {
        ReplayPopup {
            messages: Arc::new(messages),
            new_ids: true,
            to_now: false,
            row: 0,
            target,
        }
    }

    /// Answers one of the popup's actions.
    pub fn handle(&mut self, action: Action) -> Option<Outcome> {
        match action {
            Action::ReplayClose => return Some(Outcome::Close),
            Action::ReplaySend => return Some(Outcome::Replay),
            Action::ReplayPrevOption => self.row = 0,
            Action::ReplayNextOption => self.row = 1,
            Action::ReplayChange if self.row == 0 => self.new_ids = !self.new_ids,
            Action::ReplayChange => self.to_now = !self.to_now,
            Action::ReplayToggleIds => self.new_ids = !self.new_ids,
            Action::ReplayToggleTimes => self.to_now = !self.to_now,
            _ => {}
        }
        None
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let popup = self;
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
        let key = |k: &str| t.key(k);
        let hint = |template: &str| key(&app.keys.hint(template));
        let what = |w: &str| Span::styled(w.to_string(), t.style(Role::Muted));
        let lines = vec![
            Line::from(vec![
                Span::styled(
                    format!(
                        " {} → ",
                        eventscope_core::model::count(count as u64, "message")
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
                hint(" {replay-send}"),
                what(" replay  "),
                hint("{replay-prev-option}/{replay-next-option}"),
                what(" option  "),
                hint("{replay-change} {replay-change.2}/{replay-change.3}"),
                what(" change  "),
                hint("{replay-close}"),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_row_decides_what_change_flips() {
        let target = CollectorTarget {
            batch_url: "http://127.0.0.1:8707/v1/batch".into(),
            write_key: None,
        };
        let mut popup = ReplayPopup::new(Vec::new(), target);
        assert_eq!(popup.handle(Action::ReplayChange), None);
        assert!(!popup.new_ids);
        popup.handle(Action::ReplayNextOption);
        popup.handle(Action::ReplayChange);
        assert!(popup.to_now);
        popup.handle(Action::ReplayToggleIds);
        assert!(popup.new_ids);
        assert_eq!(popup.handle(Action::Quit), None, "not a replay action");
        assert_eq!(popup.handle(Action::ReplaySend), Some(Outcome::Replay));
        assert_eq!(popup.handle(Action::ReplayClose), Some(Outcome::Close));
    }
}
