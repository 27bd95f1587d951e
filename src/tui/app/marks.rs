//! Marking messages (Space, `V`, `*`, `u`) and picking what `f` and `R` work on: the marked
//! messages, or else the selected one.

use super::App;
use eventscope_core::entry::{Entry, EntryId, EntryKind};
use eventscope_core::forward::Outgoing;

impl App {
    /// The row under the selection, if it is a message (not a gap or a rejected request).
    pub(super) fn selected_event(&self) -> Option<&Entry> {
        self.selected
            .and_then(|id| self.store.get(id))
            .filter(|e| matches!(e.kind, EntryKind::Event))
    }

    /// Space: marks (or unmarks) the selected message and moves down, so that a run of
    /// Space presses marks a run of rows.
    pub(super) fn toggle_mark(&mut self) {
        let Some(id) = self.selected_event().map(|e| e.id) else {
            self.set_status("only messages can be marked", true);
            return;
        };
        self.marks.toggle(id);
        self.move_selection(1);
    }

    /// `V`: marks the messages from the anchor (the last row toggled) to the selection.
    pub(super) fn mark_range(&mut self) {
        let Some(selected) = self.selected_index() else {
            return;
        };
        let Some(anchor) = self.marks.anchor() else {
            self.toggle_mark();
            return;
        };
        let visible = self.store.visible();
        // An anchor hidden by the filter since: the nearest row shown after it.
        let from = visible
            .partition_point(|id| *id < anchor)
            .min(visible.len() - 1);
        let (lo, hi) = (
            from.min(selected),
            from.max(selected).min(self.shown_len() - 1),
        );
        let ids: Vec<EntryId> = (lo..=hi)
            .filter_map(|i| visible.get(i).copied())
            .filter(|id| {
                self.store
                    .get(*id)
                    .is_some_and(|e| matches!(e.kind, EntryKind::Event))
            })
            .collect();
        let added = self.marks.mark_all(ids);
        self.set_status(
            format!(
                "marked {} more",
                eventscope_core::model::count(added as u64, "message")
            ),
            false,
        );
    }

    /// `*`: marks every message the filter shows.
    pub(super) fn mark_matching(&mut self) {
        let ids: Vec<EntryId> = (0..self.shown_len())
            .filter_map(|i| self.shown_id(i))
            .filter(|id| {
                self.store
                    .get(*id)
                    .is_some_and(|e| matches!(e.kind, EntryKind::Event))
            })
            .collect();
        let shown = ids.len();
        let added = self.marks.mark_all(ids);
        let what = if self.store.filter().source().is_empty() {
            "every message".to_string()
        } else {
            match shown {
                1 => "the 1 message the filter shows".to_string(),
                n => format!(
                    "the {} the filter shows",
                    eventscope_core::model::count(n as u64, "message")
                ),
            }
        };
        self.set_status(
            format!(
                "marked {what} ({} new)",
                crate::tui::views::thousands(added as u64)
            ),
            false,
        );
    }

    pub(super) fn clear_marks(&mut self) {
        let count = self.marks.clear();
        if count > 0 {
            self.set_status(format!("{count} marks cleared"), false);
        }
    }

    /// The marked messages, oldest first, or else the selected one.
    pub fn picked(&self) -> Vec<Outgoing> {
        let entries: Vec<&Entry> = if self.marks.is_empty() {
            self.selected_event().into_iter().collect()
        } else {
            self.marks
                .iter()
                .filter_map(|id| self.store.get(id))
                .filter(|e| matches!(e.kind, EntryKind::Event))
                .collect()
        };
        entries
            .into_iter()
            // An event's text is the JSON the collector or reader accepted.
            .filter_map(|e| Outgoing::from_text(e.seq, &e.text).ok())
            .collect()
    }
}
