//! The list's selection: which rows are shown (the pause point), the selected row and the
//! list's scroll, following the newest row or not, and keeping all of that valid as rows arrive,
//! leave or are filtered.

use super::{App, Focus, Mode};
use eventscope_core::entry::EntryId;

impl App {
    /// Rows shown: visible ids, cut at the pause point while paused.
    pub fn shown_len(&self) -> usize {
        let visible = self.store.visible();
        match self.paused_at {
            Some(last) => visible.partition_point(|id| *id <= last),
            None => visible.len(),
        }
    }

    /// New rows waiting behind a pause.
    pub fn waiting(&self) -> usize {
        self.store.visible().len() - self.shown_len()
    }

    pub fn shown_id(&self, index: usize) -> Option<EntryId> {
        (index < self.shown_len())
            .then(|| self.store.visible().get(index).copied())
            .flatten()
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.store.position(self.selected?)
    }

    /// Keeps the selection valid, following and visible after any change.
    pub fn after_change(&mut self) {
        match self.store.last_id() {
            Some(last) => self
                .marks
                .forget_before((last + 1).saturating_sub(self.store.len() as u64)),
            None => {
                self.marks.clear();
            }
        }
        let len = self.shown_len();
        if len == 0 {
            self.selected = None;
            self.list_offset = 0;
            return;
        }
        let index = if self.follow || self.selected.is_none() {
            len - 1
        } else {
            match self.selected_index() {
                Some(i) if i < len => i,
                // The selected row was evicted or filtered out: the nearest newer one.
                _ => {
                    let selected = self.selected.unwrap_or(0);
                    let next = self.store.visible().partition_point(|id| *id < selected);
                    next.min(len - 1)
                }
            }
        };
        self.select_index(index);
    }

    /// Selects the retained row with this seq in the list (see [`App::select_shown`]), or
    /// says in the status line why it cannot (`what` names the row: "the message that added
    /// it").
    pub(super) fn select_seq(&mut self, seq: u64, what: &str) {
        let Some(id) = self.store.id_of_seq(seq) else {
            return self.set_status(format!("{what} (seq {seq}) is not retained"), true);
        };
        if !self.select_shown(id) {
            self.set_status(
                format!("{what} (seq {seq}) is not in the list: filtered out, or after the pause"),
                true,
            );
        }
    }

    /// Selects row `id` in the list (following stops) and closes the popup on top; false when
    /// the filter or the pause hides it.
    pub(super) fn select_shown(&mut self, id: EntryId) -> bool {
        let Some(index) = self.store.position(id).filter(|i| *i < self.shown_len()) else {
            return false;
        };
        self.mode = Mode::Normal;
        self.focus = Focus::List;
        self.set_follow(false);
        self.select_index(index);
        true
    }

    pub(super) fn select_index(&mut self, index: usize) {
        let id = self.shown_id(index);
        if id != self.selected {
            self.selected = id;
            self.detail.scroll = 0;
            self.detail.cursor = 0;
        }
        let height = self.list_height.max(1);
        if index < self.list_offset {
            self.list_offset = index;
        } else if index >= self.list_offset + height {
            self.list_offset = index + 1 - height;
        }
        // The page stays full: no rows are hidden above while there is room below (the rows
        // shrink when a filter changes and grow back as its slices complete).
        self.list_offset = self
            .list_offset
            .min(self.shown_len().saturating_sub(height));
        self.refresh_detail_doc();
    }

    /// Selects the row shown at `index` (a mouse click); following resumes on the last row.
    pub fn select_row(&mut self, index: usize) {
        let len = self.shown_len();
        if index < len {
            self.focus = Focus::List;
            self.set_follow(index == len - 1 && self.paused_at.is_none());
            self.select_index(index);
        }
    }

    pub(super) fn move_selection(&mut self, delta: isize) {
        let len = self.shown_len();
        if len == 0 {
            return;
        }
        let current = self.selected_index().unwrap_or(len - 1) as isize;
        let target = (current + delta).clamp(0, len as isize - 1) as usize;
        self.set_follow(target == len - 1 && delta > 0 && self.paused_at.is_none());
        self.select_index(target);
    }

    /// Follows the newest message, or stops following (a move up): rows arriving after
    /// that are counted by [`App::new_below`].
    pub fn set_follow(&mut self, follow: bool) {
        if follow {
            self.unfollowed_at = None;
        } else if self.follow || self.unfollowed_at.is_none() {
            self.unfollowed_at = Some(self.store.last_id().unwrap_or(0));
        }
        self.follow = follow;
    }

    /// Rows shown that arrived since following stopped (off-screen below); `None` while
    /// following.
    pub fn new_below(&self) -> Option<usize> {
        if self.follow {
            return None;
        }
        let since = self.unfollowed_at.unwrap_or(0);
        let len = self.shown_len();
        Some(
            len - self
                .store
                .visible()
                .partition_point(|id| *id <= since)
                .min(len),
        )
    }
}
