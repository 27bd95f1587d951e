//! Saved views (`[[view]]`: `v`, `--view NAME`) and the filter history kept between runs.

use super::{App, Mode};
use crate::tui::columns::ColumnSet;
use crate::tui::history;
use crate::tui::popups::views::ViewPicker;

impl App {
    /// `v`: the picker, on the view applied; a word on where views come from when there are
    /// none.
    pub(super) fn open_views(&mut self) {
        if self.views.is_empty() {
            self.set_status(
                "no saved views: add [[view]] tables (name, filter, columns) to eventscope.toml",
                false,
            );
            return;
        }
        let current = self
            .view_name
            .as_ref()
            .and_then(|name| self.views.iter().position(|v| &v.name == name));
        self.mode = Mode::Views(ViewPicker::new(current));
    }

    /// Applies the view at `index`: its filter and its columns (checked at start; the default
    /// set when it names none). The order is arrival, the only one views have.
    pub fn apply_view(&mut self, index: usize) {
        let Some(view) = self.views.get(index).cloned() else {
            return;
        };
        let columns = if view.columns.is_empty() {
            Ok(ColumnSet::default())
        } else {
            ColumnSet::parse(&view.columns)
        };
        match columns {
            Ok(columns) => self.columns = columns,
            Err(e) => {
                self.set_status(format!("view {}: {e}", view.name), true);
                return;
            }
        }
        if !self.apply_filter(&view.filter) {
            self.set_status(
                format!("view {}: cannot filter to {}", view.name, view.filter),
                true,
            );
            return;
        }
        self.set_status(format!("view: {}", view.name), false);
        self.view_name = Some(view.name);
    }

    /// The index of the view named `name`.
    pub fn view_index(&self, name: &str) -> Option<usize> {
        self.views.iter().position(|v| v.name == name)
    }

    /// Keeps `text` at the end of the filter history (each query once) and writes the history
    /// to its file when it is kept between runs (on its own thread: see [`history::HistoryWriter`]).
    pub(super) fn remember_filter(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let history = &mut self.filter_history;
        if history.last().map(String::as_str) == Some(text) {
            return;
        }
        history.retain(|q| q != text);
        history.push(text.to_string());
        if history.len() > history::MAX_ENTRIES {
            let excess = history.len() - history::MAX_ENTRIES;
            history.drain(..excess);
        }
        if let Some(writer) = &self.history_writer {
            writer.save(self.filter_history.clone());
        }
    }

    /// Starts keeping the filter history in `path`: what it holds comes first.
    pub fn keep_history(&mut self, path: std::path::PathBuf) {
        let (queries, warning) = history::load(&path);
        self.filter_history = queries;
        if let Some(warning) = warning {
            self.set_status(warning, true);
        }
        match history::HistoryWriter::start(path) {
            Ok(writer) => self.history_writer = Some(writer),
            Err(e) => self.set_status(format!("the filter history is not kept: {e}"), true),
        }
    }

    /// Says on the status line when saving the filter history failed (the loop asks each turn).
    pub fn report_history(&mut self) {
        if let Some(failure) = self.history_writer.as_ref().and_then(|w| w.failure()) {
            self.set_status(failure, true);
        }
    }
}
