//! The Pretty tree's actions: folding and unfolding nodes (per selected message, see
//! [`Folds`]), moving the cursor over what folds leave visible, and `c` (copy the value under
//! the cursor).

use std::sync::Arc;

use super::{App, Effect, Focus, Tab, View};
use crate::tui::action::Action;
use crate::tui::tree::{self, Folds};
use eventscope_core::entry::EntryKind;
use eventscope_core::model::pretty::PrettyDoc;

impl App {
    /// True when the Pretty tree's keys come first: the detail pane has focus on the Pretty tab
    /// of a message (a rejected body or a gap is no tree).
    pub(super) fn tree_has_focus(&self) -> bool {
        self.view == View::Messages
            && self.focus == Focus::Detail
            && self.detail.tab == Tab::Pretty
            && self
                .selected
                .and_then(|id| self.store.get(id))
                .is_some_and(|entry| matches!(entry.kind, EntryKind::Event))
    }

    /// The selected message's layout with its folds (made fresh for a newly selected one).
    fn tree(&mut self) -> Option<(Arc<PrettyDoc>, &mut Folds)> {
        let (id, doc) = self.detail.doc.as_ref()?;
        if Some(*id) != self.selected {
            return None;
        }
        let doc = Arc::clone(doc);
        if self.detail.folds.id != Some(*id) {
            self.detail.folds = Folds::new(*id, &doc);
        }
        Some((doc, &mut self.detail.folds))
    }

    pub(super) fn update_tree(&mut self, action: Action) -> Option<Effect> {
        if self.detail.tab != Tab::Pretty {
            return None;
        }
        let cursor = self.detail.cursor;
        let (doc, folds) = self.tree()?;
        let node = tree::node_of(&doc, cursor);
        let target = match action {
            Action::FoldNode => {
                if !folds.set(&doc, node, true) {
                    // A leaf or a folded node: fold its parent, like jless.
                    if let Some(parent) = tree::parent_of(&doc, node) {
                        folds.set(&doc, parent, true);
                        Some(parent)
                    } else {
                        None
                    }
                } else {
                    Some(node)
                }
            }
            Action::UnfoldNode => {
                folds.set(&doc, node, false);
                Some(node)
            }
            Action::FoldSiblings | Action::UnfoldSiblings => {
                let fold = action == Action::FoldSiblings;
                match tree::parent_of(&doc, node) {
                    Some(parent) => folds.set_all(&doc, tree::children(&doc, parent), fold),
                    None => folds.set_all(&doc, [node], fold),
                };
                Some(node)
            }
            Action::FoldAll => {
                folds.set_all(&doc, tree::containers(&doc), true);
                Some(folds.shown(node))
            }
            Action::UnfoldAll => {
                folds.set_all(&doc, 0..doc.lines.len(), false);
                Some(node)
            }
            _ => None,
        };
        let line = target.unwrap_or(cursor);
        let shown = self.detail.folds.shown(line);
        self.place_cursor(shown);
        None
    }

    /// Puts the detail cursor on `line` (of the Pretty layout), unfolding what hides it, and
    /// scrolls so that it shows.
    pub(super) fn go_to_line(&mut self, line: usize) {
        if self.detail.tab == Tab::Pretty
            && let Some((doc, folds)) = self.tree()
        {
            folds.reveal(&doc, line);
        }
        self.place_cursor(line);
    }

    /// The cursor on the visible `line`, the scroll keeping it on screen.
    fn place_cursor(&mut self, line: usize) {
        self.detail.cursor = line;
        let folds = &self.detail.folds;
        let at = folds.index_of(line);
        let top = folds.index_of(self.detail.scroll);
        let height = self.detail.height.max(1);
        if at < top {
            self.detail.scroll = line;
        } else if at >= top + height {
            self.detail.scroll = folds.line_at(at + 1 - height);
        } else {
            self.detail.scroll = folds.line_at(top);
        }
    }

    /// Moves the Pretty cursor by `delta` visible lines.
    pub(super) fn scroll_tree(&mut self, delta: isize) {
        if self.tree().is_none() {
            return;
        }
        let folds = &self.detail.folds;
        let last = folds.visible().len().saturating_sub(1) as isize;
        let at = (folds.index_of(self.detail.cursor) as isize + delta).clamp(0, last);
        let line = folds.line_at(at as usize);
        self.place_cursor(line);
    }

    /// `c`: the JSON of the value under the Pretty cursor, as sent; `--copy-to` also gets it.
    pub(super) fn copy_value(&mut self) -> Option<Effect> {
        if self.detail.tab != Tab::Pretty {
            self.set_status("copy a value from the Pretty tab", true);
            return None;
        }
        let (doc, _) = self.tree()?;
        let node = tree::node_of(&doc, self.detail.cursor);
        let Some(text) = tree::value_text(&doc, node) else {
            let copy = self.keys.first_key_label(Action::CopyMessage);
            self.set_status(
                format!("no whole JSON value on this line; {copy} copies the message"),
                true,
            );
            return None;
        };
        let path = doc.lines.get(node).map_or("", |l| l.path.as_str());
        let shown = if path.is_empty() { "(root)" } else { path };
        self.set_status(format!("copied {} bytes: {shown}", text.len()), false);
        Some(Effect::Copy(text))
    }
}
