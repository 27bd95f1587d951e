//! The jump prompt (`t`), one component: a time typed (`14:03`, `-5m`, an ISO timestamp),
//! what its keys do ([`JumpPrompt::handle`]: Enter asks the app to jump, Esc cancels), the
//! error shown in place when the time does not read, and how it is drawn. It reads text, so
//! its keys are not bindings (like the write prompt's).

use chrono::{NaiveDate, NaiveTime};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::tui::app::App;
use crate::tui::text::escape_line;
use crate::tui::theme::Role;
use eventscope_core::model::{parse_duration_ms, parse_timestamp};

/// The prompt open over the list.
#[derive(Debug, Clone, Default)]
pub struct JumpPrompt {
    /// The time as typed.
    pub input: String,
    /// Why the last Enter did not jump, shown under the input until the next key.
    pub error: Option<String>,
}

/// What the prompt asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Enter: jump to the time typed.
    Jump(String),
    /// Esc (or Ctrl-C): close without jumping.
    Cancel,
}

impl JumpPrompt {
    /// A key typed in the prompt.
    pub fn handle(&mut self, key: KeyEvent) -> Option<Outcome> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return Some(Outcome::Cancel),
            KeyCode::Char('c') if ctrl => return Some(Outcome::Cancel),
            KeyCode::Enter => return Some(Outcome::Jump(self.input.trim().to_string())),
            KeyCode::Backspace => {
                self.input.pop();
            }
            KeyCode::Char('u') if ctrl => self.input.clear(),
            KeyCode::Char(c) if !ctrl => self.input.push(c),
            _ => return None,
        }
        self.error = None;
        None
    }

    /// Draws the prompt in the middle of `area`, over (and clearing) what is below.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let strong = t.fg(t.ui.fg).add_modifier(Modifier::BOLD);
        let muted = t.style(Role::Muted);
        let key = |k: &str| t.key(k);
        let mut lines = vec![
            Line::styled(
                "Jump to the first message received at or after:",
                t.fg(t.ui.fg),
            ),
            escape_line(Line::from(vec![
                Span::styled(self.input.clone(), strong),
                Span::styled("█", t.style(Role::Accent)),
            ])),
        ];
        match &self.error {
            Some(error) => lines.push(escape_line(Line::styled(
                error.clone(),
                t.style(Role::Error),
            ))),
            None => lines.push(Line::styled(
                "14:03 · 14:03:30 · -5m · 2026-11-22T14:03:00Z (UTC)",
                muted,
            )),
        }
        lines.push(Line::from(vec![
            key("Enter"),
            Span::styled(" jump · ", muted),
            key("Esc"),
            Span::styled(" cancel · ", muted),
            key("Ctrl-U"),
            Span::styled(" clear", muted),
        ]));
        let widest = lines.iter().map(Line::width).max().unwrap_or(40) as u16;
        let popup = super::centered(
            frame,
            area,
            (widest + 4).clamp(56, 100),
            lines.len() as u16 + 2,
        );
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(" Jump to a time ")
            .style(t.style(Role::Base));
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}

/// The time `input` names, in Unix ms: `HH:MM[:SS]` on `day` (UTC), `-DURATION` before
/// `newest_ms` (the newest message's time), or an ISO-8601 timestamp. The error says what
/// reads.
pub fn target_ms(input: &str, day: NaiveDate, newest_ms: Option<i64>) -> Result<i64, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("type a time: 14:03, -5m or 2026-11-22T14:03:00Z".into());
    }
    if let Some(ago) = input.strip_prefix('-') {
        let Some(ms) = parse_duration_ms(ago) else {
            return Err(format!(
                "`{input}`: write -5m, -90s, -2h (units ms, s, m, h, d)"
            ));
        };
        let Some(newest) = newest_ms else {
            return Err("no messages yet to count back from".into());
        };
        return Ok(newest - ms);
    }
    for format in ["%H:%M", "%H:%M:%S", "%H:%M:%S%.f"] {
        if let Ok(time) = NaiveTime::parse_from_str(input, format) {
            return Ok(day.and_time(time).and_utc().timestamp_millis());
        }
    }
    match parse_timestamp(input) {
        Some(time) => Ok(time.timestamp_millis()),
        None => Err(format!(
            "`{input}` is not a time: write 14:03, 14:03:30, -5m or 2026-11-22T14:03:00Z"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_durations_back_and_iso_timestamps_read() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let at = |s: &str| parse_timestamp(s).unwrap().timestamp_millis();
        let newest = Some(at("2026-11-22T15:00:00Z"));
        assert_eq!(
            target_ms("14:03", day, newest),
            Ok(at("2026-11-22T14:03:00Z"))
        );
        assert_eq!(
            target_ms(" 14:03:30 ", day, newest),
            Ok(at("2026-11-22T14:03:30Z"))
        );
        assert_eq!(
            target_ms("-5m", day, newest),
            Ok(at("2026-11-22T14:55:00Z"))
        );
        assert_eq!(
            target_ms("2026-11-21T08:00:00+01:00", day, newest),
            Ok(at("2026-11-21T07:00:00Z"))
        );
        for bad in ["", "25:00", "soon", "-5", "-5y", "14h03"] {
            assert!(target_ms(bad, day, newest).is_err(), "{bad}");
        }
        assert!(target_ms("-5m", day, None).is_err());
    }

    #[test]
    fn typing_clears_the_error_and_enter_asks_to_jump() {
        let mut prompt = JumpPrompt {
            error: Some("bad".into()),
            ..JumpPrompt::default()
        };
        for c in "-5m".chars() {
            assert_eq!(prompt.handle(KeyEvent::from(KeyCode::Char(c))), None);
        }
        assert_eq!(prompt.error, None);
        assert_eq!(
            prompt.handle(KeyEvent::from(KeyCode::Enter)),
            Some(Outcome::Jump("-5m".into()))
        );
        assert_eq!(
            prompt.handle(KeyEvent::from(KeyCode::Esc)),
            Some(Outcome::Cancel)
        );
    }
}
