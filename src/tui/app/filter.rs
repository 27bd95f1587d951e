//! The filter bar: editing the query (live, keeping the last valid one), its history, and
//! applying a query to the rows. The bar reads text, so its keys are not bindings.

use eventscope_core::filter::{FilterError, Query};

use super::{App, Mode};

/// Rows tested at once when a filter changes; the rest is done in slices by the event loop.
const RESCAN_NOW: usize = 20_000;

/// The filter bar being edited.
#[derive(Debug, Default)]
pub struct FilterInput {
    pub text: String,
    /// The query text when editing started, restored by Esc.
    pub before: String,
    pub error: Option<FilterError>,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
}

impl App {
    /// Applies `text` as the filter if it parses; otherwise keeps the last valid one and
    /// shows the error in the bar.
    pub fn apply_filter(&mut self, text: &str) -> bool {
        match Query::parse(text) {
            Ok(query) => {
                self.filter_input.error = None;
                if query.source() != self.store.filter().source() {
                    self.store.set_filter(query);
                    // A first slice now; the event loop applies it to the rest between keys.
                    self.store.rescan_step(RESCAN_NOW);
                    self.after_change();
                }
                true
            }
            Err(error) => {
                self.filter_input.error = Some(error);
                false
            }
        }
    }

    /// A key typed while the filter bar is open.
    pub fn filter_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{KeyCode, KeyModifiers};
        let input = &mut self.filter_input;
        match key.code {
            KeyCode::Esc => {
                let before = std::mem::take(&mut input.before);
                self.mode = Mode::Normal;
                self.apply_filter(&before);
                self.filter_input.error = None;
                return;
            }
            KeyCode::Enter => {
                let text = input.text.trim().to_string();
                if self.apply_filter(&text) {
                    self.mode = Mode::Normal;
                    let history = &mut self.filter_input.history;
                    if !text.is_empty() && history.last() != Some(&text) {
                        history.push(text);
                    }
                }
                return;
            }
            KeyCode::Up => {
                let pos = match input.history_pos {
                    None => input.history.len().checked_sub(1),
                    Some(p) => Some(p.saturating_sub(1)),
                };
                if let Some(p) = pos {
                    input.history_pos = Some(p);
                    input.text = input.history[p].clone();
                }
            }
            KeyCode::Down => {
                if let Some(p) = input.history_pos {
                    if p + 1 < input.history.len() {
                        input.history_pos = Some(p + 1);
                        input.text = input.history[p + 1].clone();
                    } else {
                        input.history_pos = None;
                        input.text.clear();
                    }
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text.clear();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.mode = Mode::Normal;
                return;
            }
            KeyCode::Char(c) => input.text.push(c),
            _ => return,
        }
        let text = self.filter_input.text.clone();
        self.apply_filter(&text);
    }
}
