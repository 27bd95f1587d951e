//! The fold state of the Pretty tree: which containers of a laid-out [`PrettyDoc`] are folded,
//! and the lines that stay visible. Folding never lays the document out again: the visible
//! lines are one pass over the fold flags, jumping over each folded container with the close
//! line the layout recorded ([`Fold::close`]).
//!
//! Lines are the document's own indexes throughout (the cursor, the scroll position, finding
//! anchors and filter matches keep meaning the same line whatever is folded); a folded
//! container shows as its opening line, and its body and closing line are hidden.

use eventscope_core::entry::EntryId;
use eventscope_core::model::pretty::{Fold, PrettyDoc};

/// The tree's keys in the help overlay (filled in from the bindings).
pub const HELP: &str = "{fold-node}/{fold-node.2} folds the node (on a leaf or a folded node: its \
     parent), {unfold-node}/{unfold-node.2} unfolds it, {fold-siblings}/{unfold-siblings} fold or \
     unfold it and its siblings, {fold-all}/{unfold-all} fold or unfold everything; \
     {copy-value} copies the value under the cursor, {copy-path} its path.";

/// The folded containers of one message's layout, and the lines they leave visible.
#[derive(Debug, Clone, Default)]
pub struct Folds {
    /// The message these folds belong to.
    pub id: Option<EntryId>,
    /// Per document line: its container is folded (only lines with a [`Fold`] are ever set).
    folded: Vec<bool>,
    /// The visible document lines, ascending.
    visible: Vec<usize>,
}

impl Folds {
    /// Nothing folded: every line of `doc` visible.
    pub fn new(id: EntryId, doc: &PrettyDoc) -> Folds {
        let mut folds = Folds {
            id: Some(id),
            folded: vec![false; doc.lines.len()],
            visible: Vec::new(),
        };
        folds.refresh(doc);
        folds
    }

    /// Keeps the folds for a new layout of the same message (a reloaded plan re-lays it out),
    /// dropping those that no longer open a container.
    pub fn relayout(&mut self, doc: &PrettyDoc) {
        self.folded.resize(doc.lines.len(), false);
        for (flag, line) in self.folded.iter_mut().zip(&doc.lines) {
            *flag &= line.fold.is_some();
        }
        self.refresh(doc);
    }

    /// Works out the visible lines from the fold flags: one pass, skipping folded bodies.
    fn refresh(&mut self, doc: &PrettyDoc) {
        self.visible.clear();
        let mut line = 0;
        while line < doc.lines.len() {
            self.visible.push(line);
            line = match doc.lines[line].fold {
                // A close is after its opening line; `max` keeps a hand-made doc finite.
                Some(fold) if self.is_folded(line) => (fold.close + 1).max(line + 1),
                _ => line + 1,
            };
        }
    }

    /// The visible lines, ascending.
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    pub fn is_folded(&self, line: usize) -> bool {
        self.folded.get(line).copied().unwrap_or(false)
    }

    /// True when some container is folded.
    pub fn any(&self) -> bool {
        self.visible.len() < self.folded.len()
    }

    /// The position among the visible lines of `line`, or of the folded line hiding it.
    pub fn index_of(&self, line: usize) -> usize {
        self.visible
            .partition_point(|v| *v <= line)
            .saturating_sub(1)
    }

    /// The visible line at `index` (clamped to the last).
    pub fn line_at(&self, index: usize) -> usize {
        self.visible
            .get(index)
            .or(self.visible.last())
            .copied()
            .unwrap_or(0)
    }

    /// `line` if visible, else the folded line hiding it.
    pub fn shown(&self, line: usize) -> usize {
        self.line_at(self.index_of(line))
    }

    /// Folds (`fold` true) or unfolds the container opening at `line`; false when `line`
    /// opens no container or it already was so.
    pub fn set(&mut self, doc: &PrettyDoc, line: usize, fold: bool) -> bool {
        let opens = doc.lines.get(line).is_some_and(|l| l.fold.is_some());
        match self.folded.get_mut(line) {
            Some(flag) if opens && *flag != fold => *flag = fold,
            _ => return false,
        }
        self.refresh(doc);
        true
    }

    /// Folds or unfolds each of `lines` that opens a container, then works out the visible
    /// lines once; how many changed.
    pub fn set_all(
        &mut self,
        doc: &PrettyDoc,
        lines: impl IntoIterator<Item = usize>,
        fold: bool,
    ) -> usize {
        let mut changed = 0;
        for line in lines {
            let opens = doc.lines.get(line).is_some_and(|l| l.fold.is_some());
            if let Some(flag) = self.folded.get_mut(line)
                && opens
                && *flag != fold
            {
                *flag = fold;
                changed += 1;
            }
        }
        if changed > 0 {
            self.refresh(doc);
        }
        changed
    }

    /// Unfolds every container hiding `line`, so that it shows.
    pub fn reveal(&mut self, doc: &PrettyDoc, line: usize) {
        while self.shown(line) != line {
            let hiding = self.shown(line);
            match self.folded.get_mut(hiding) {
                Some(flag) if *flag => *flag = false,
                _ => break,
            }
            self.refresh(doc);
        }
    }
}

/// The node a line stands for: a closing-bracket line stands for its container (its opening
/// line), any other line for itself.
pub fn node_of(doc: &PrettyDoc, line: usize) -> usize {
    let Some(this) = doc.lines.get(line) else {
        return line;
    };
    if this.fold.is_some() || this.value.is_some() || this.key.is_some() || line == 0 {
        return line;
    }
    // A bracket line without a fold of its own closes a container (or is an empty one).
    (0..line)
        .rev()
        .take_while(|i| doc.lines[*i].depth >= this.depth)
        .find(|i| doc.lines[*i].fold.is_some_and(|f| f.close == line))
        .unwrap_or(line)
}

/// The opening line of the container holding `node` (an opening or value line); `None` at
/// the root and on raw lines.
pub fn parent_of(doc: &PrettyDoc, node: usize) -> Option<usize> {
    let depth = doc.lines.get(node)?.depth;
    if depth == 0 {
        return None;
    }
    (0..node)
        .rev()
        .find(|i| doc.lines[*i].depth < depth)
        .filter(|i| doc.lines[*i].fold.is_some_and(|f| f.close > node))
}

/// The opening lines of the containers directly inside the one opening at `parent`.
pub fn children(doc: &PrettyDoc, parent: usize) -> Vec<usize> {
    let Some(Fold { close, .. }) = doc.lines.get(parent).and_then(|l| l.fold) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut line = parent + 1;
    while line < close {
        let Some(this) = doc.lines.get(line) else {
            break;
        };
        match this.fold {
            Some(fold) => {
                out.push(line);
                line = (fold.close + 1).max(line + 1);
            }
            None => line += 1,
        }
    }
    out
}

/// Every line opening a container, the root's excepted (what "fold all" folds).
pub fn containers(doc: &PrettyDoc) -> impl Iterator<Item = usize> + '_ {
    doc.lines
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| l.fold.is_some())
        .map(|(i, _)| i)
}

/// The one-line preview of a folded container after its opening bracket: `3 items]` or
/// `{8 keys}`'s `8 keys}`, with the closing line's comma.
pub fn preview(doc: &PrettyDoc, line: usize) -> Option<String> {
    let fold = doc.lines.get(line)?.fold?;
    let (noun, bracket) = if fold.object {
        ("key", '}')
    } else {
        ("item", ']')
    };
    let plural = if fold.items == 1 { "" } else { "s" };
    let comma = doc
        .lines
        .get(fold.close)
        .is_some_and(|l| l.text.ends_with(','));
    Some(format!(
        "{} {noun}{plural}{bracket}{}",
        fold.items,
        if comma { "," } else { "" }
    ))
}

/// The JSON text of the value on `line` (`c`): a scalar as sent, or a container with its
/// subtree as laid out (dedented, without the trailing comma); `None` on raw lines, and where
/// the layout was cut (a line ending with `…`, or a container it did not close).
pub fn value_text(doc: &PrettyDoc, line: usize) -> Option<String> {
    let node = node_of(doc, line);
    let this = doc.lines.get(node)?;
    let last = this.fold.map_or(node, |f| f.close);
    // A whole line ends with a quote, a digit, a letter, a bracket or a comma.
    if doc
        .lines
        .get(node..=last)?
        .iter()
        .any(|l| l.text.ends_with('…'))
    {
        return None;
    }
    if let Some(value) = &this.value {
        return this.text.get(value.clone()).map(str::to_string);
    }
    let start = this
        .key
        .as_ref()
        .map_or(usize::from(this.depth) * 2, |k| k.end + 2);
    let head = this.text.get(start..)?.trim_end_matches(',');
    let Some(fold) = this.fold else {
        // `{}` / `[]`, or a raw line (no path, no brackets).
        return matches!(head, "{}" | "[]").then(|| head.to_string());
    };
    let indent = usize::from(this.depth) * 2;
    let mut text = String::from(head);
    for inner in doc.lines.get(node + 1..=fold.close)? {
        text.push('\n');
        text.push_str(inner.text.get(indent..).unwrap_or(inner.text.trim_start()));
    }
    if text.ends_with(',') {
        text.pop();
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::model::pretty::pretty;

    const DOC: &str = r#"{"a":1,"b":{"c":[true,false,null],"d":"x"},"e":[[1,2],{"f":3}]}"#;

    #[test]
    fn folding_hides_bodies_and_keeps_the_open_line() {
        let doc = pretty(DOC);
        let mut folds = Folds::new(1, &doc);
        assert_eq!(folds.visible().len(), doc.lines.len());
        assert!(folds.set(&doc, 2, true));
        assert!(!folds.set(&doc, 2, true));
        assert!(!folds.set(&doc, 1, true), "a scalar does not fold");
        assert_eq!(
            folds.visible(),
            [0, 1, 2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
        );
        assert_eq!(folds.shown(5), 2);
        assert_eq!(preview(&doc, 2).as_deref(), Some("2 keys},"));
        assert_eq!(preview(&doc, 15).as_deref(), Some("1 key}"));
        assert_eq!(preview(&doc, 3).as_deref(), Some("3 items],"));
        // Nested folds come back as they were.
        folds.set(&doc, 3, true);
        folds.set(&doc, 2, false);
        assert_eq!(&folds.visible()[..5], [0, 1, 2, 3, 8]);
        folds.reveal(&doc, 5);
        assert_eq!(folds.shown(5), 5);
        assert_eq!(folds.set_all(&doc, containers(&doc), true), 5);
        assert_eq!(folds.visible(), [0, 1, 2, 10, 19]);
        assert_eq!(folds.set_all(&doc, containers(&doc), false), 5);
        assert!(!folds.any());
    }

    #[test]
    fn nodes_parents_and_children() {
        let doc = pretty(DOC);
        assert_eq!(node_of(&doc, 7), 3);
        assert_eq!(node_of(&doc, 19), 0);
        assert_eq!(node_of(&doc, 4), 4);
        assert_eq!(parent_of(&doc, 4), Some(3));
        assert_eq!(parent_of(&doc, 3), Some(2));
        assert_eq!(parent_of(&doc, 16), Some(15));
        assert_eq!(parent_of(&doc, 0), None);
        assert_eq!(children(&doc, 0), [2, 10]);
        assert_eq!(children(&doc, 10), [11, 15]);
    }

    #[test]
    fn value_text_is_the_json_as_sent() {
        let doc = pretty(r#"{"p":{"price":42.50,"tags":["a",1e-7],"e":{}},"n":[]}"#);
        let at = |path: &str| value_text(&doc, doc.line_of(path).unwrap());
        assert_eq!(at("p.price").as_deref(), Some("42.50"));
        assert_eq!(at("p.tags").as_deref(), Some("[\n  \"a\",\n  1e-7\n]"));
        assert_eq!(at("p.e").as_deref(), Some("{}"));
        assert_eq!(at("n").as_deref(), Some("[]"));
        let whole = at("").unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&whole).unwrap();
        assert_eq!(parsed["p"]["price"], serde_json::json!(42.5));
        assert!(whole.starts_with("{\n  \"p\": {\n    \"price\": 42.50,"));
        // The closing line stands for its container.
        let close = doc.lines.iter().rposition(|l| l.path == "p.tags").unwrap();
        assert_eq!(value_text(&doc, close), at("p.tags"));
        assert_eq!(value_text(&pretty("not json"), 0), None);
        let (cut, _) = eventscope_core::model::pretty::pretty_within(
            r#"{"a":"a long string value","b":[1,2]}"#,
            eventscope_core::model::pretty::Bounds {
                line_bytes: 12,
                ..eventscope_core::model::pretty::Bounds::NONE
            },
        );
        assert_eq!(value_text(&cut, 1), None, "a cut value is not copied");
        assert_eq!(value_text(&cut, 0), None);
        assert_eq!(value_text(&cut, 3).as_deref(), Some("1"));
    }
}
