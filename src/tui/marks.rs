//! Marked messages: the selection `f` (forward) and `R` (replay) act on.
//!
//! Marks are row ids of the store, so they survive filtering (a mark hidden by the filter is
//! still a mark: the header counts it and `f` sends it) and eviction removes them with their
//! rows. The anchor is the last row toggled with Space: `V` marks from it to the selection, as
//! shift-click does in a file manager.

use std::collections::BTreeSet;

use eventscope_core::entry::EntryId;

#[derive(Debug, Default, Clone)]
pub struct Marks {
    ids: BTreeSet<EntryId>,
    anchor: Option<EntryId>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn contains(&self, id: EntryId) -> bool {
        self.ids.contains(&id)
    }

    /// The marked ids, oldest first (the order messages are sent in).
    pub fn iter(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.ids.iter().copied()
    }

    /// Where `V` starts: the last row toggled.
    pub fn anchor(&self) -> Option<EntryId> {
        self.anchor
    }

    /// Marks `id`, or unmarks it when marked; it becomes the anchor. True when now marked.
    pub fn toggle(&mut self, id: EntryId) -> bool {
        self.anchor = Some(id);
        if self.ids.remove(&id) {
            false
        } else {
            self.ids.insert(id);
            true
        }
    }

    /// Marks every id given; returns how many were not marked before.
    pub fn mark_all(&mut self, ids: impl IntoIterator<Item = EntryId>) -> usize {
        let before = self.ids.len();
        self.ids.extend(ids);
        self.ids.len() - before
    }

    /// Unmarks everything; returns how many marks there were.
    pub fn clear(&mut self) -> usize {
        let count = self.ids.len();
        self.ids.clear();
        self.anchor = None;
        count
    }

    /// Drops the marks of rows older than `first` (evicted from the store).
    pub fn forget_before(&mut self, first: EntryId) {
        if self.ids.first().is_some_and(|id| *id < first) {
            self.ids = self.ids.split_off(&first);
        }
        if self.anchor.is_some_and(|id| id < first) {
            self.anchor = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggle_marks_unmarks_and_moves_the_anchor() {
        let mut marks = Marks::default();
        assert!(marks.toggle(3));
        assert!(marks.toggle(5));
        assert_eq!(marks.anchor(), Some(5));
        assert!(!marks.toggle(3));
        assert_eq!(marks.iter().collect::<Vec<_>>(), [5]);
        assert_eq!(marks.anchor(), Some(3), "unmarking moves the anchor too");
    }

    #[test]
    fn mark_all_counts_new_marks_and_eviction_forgets_old_ones() {
        let mut marks = Marks::default();
        marks.toggle(2);
        assert_eq!(marks.mark_all([1, 2, 3, 4]), 3);
        marks.forget_before(3);
        assert_eq!(marks.iter().collect::<Vec<_>>(), [3, 4]);
        assert_eq!(marks.anchor(), None, "the anchor row was evicted");
        assert_eq!(marks.clear(), 2);
        assert!(marks.is_empty());
    }
}
