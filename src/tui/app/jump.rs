//! What the jump prompt (`t`) asks of the app: the first shown message received at or after
//! a time, selected, and said in the status line; a time that does not read, or that no
//! message reaches, is an error in the prompt.

use crossterm::event::KeyEvent;

use super::{App, Effect, Mode, SourceKind};
use crate::tui::popups::jump::{JumpPrompt, Outcome, target_ms};
use crate::tui::views::format_time;

impl App {
    /// `t`: opens the prompt.
    pub(super) fn open_jump(&mut self) {
        if self.shown_len() == 0 {
            self.set_status("nothing to jump in: the list is empty", true);
            return;
        }
        self.mode = Mode::Jump(JumpPrompt::default());
    }

    /// A key typed in the jump prompt.
    pub(super) fn jump_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let Mode::Jump(prompt) = &mut self.mode else {
            return None;
        };
        match prompt.handle(key)? {
            Outcome::Cancel => self.mode = Mode::Normal,
            Outcome::Jump(input) => {
                if let Err(error) = self.jump_to(&input)
                    && let Mode::Jump(prompt) = &mut self.mode
                {
                    prompt.error = Some(error);
                }
            }
        }
        None
    }

    /// Selects the first shown message received at or after the time `input` names.
    fn jump_to(&mut self, input: &str) -> Result<(), String> {
        let newest = (0..self.shown_len())
            .rev()
            .filter_map(|i| self.shown_id(i))
            .filter_map(|id| self.store.get(id))
            .map(|entry| entry.received_ms)
            .find(|ms| *ms != 0);
        // A time of day is on the recording's day, or today for a live stream.
        let day = match (&self.source, newest) {
            (SourceKind::File { .. }, Some(ms)) => chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.date_naive())
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
            _ => chrono::Utc::now().date_naive(),
        };
        let target = target_ms(input, day, newest)?;
        // Rows are in arrival order; receivedAt mostly rises with it, but not always (merged
        // recordings, clock steps): the first in list order at or after the time.
        let found = (0..self.shown_len())
            .filter_map(|i| self.shown_id(i))
            .filter_map(|id| self.store.get(id))
            .find(|entry| entry.received_ms != 0 && entry.received_ms >= target)
            .map(|entry| (entry.id, entry.received_ms, entry.seq));
        let Some((id, at, seq)) = found else {
            return Err(format!(
                "no message shown at or after {}{}",
                format_time(target),
                newest
                    .map(|ms| format!(" (the newest is {})", format_time(ms)))
                    .unwrap_or_default()
            ));
        };
        self.select_shown(id);
        let seq = seq.map(|s| format!(" (seq {s})")).unwrap_or_default();
        self.set_status(
            format!("jumped to {} {}{seq}", format_time(at), "UTC"),
            false,
        );
        Ok(())
    }
}
