//! Structural diffs of messages: [`diff`] compares two messages path by path (added, removed,
//! changed, type changed, array length changed), hiding the fields that differ between any two
//! sends ([`VOLATILE`]); [`shape`] follows how one event's paths and types evolve over a
//! recording. Pure: no terminal, no I/O; the viewer's `=` and `eventscope diff` are built on it.
//!
//! Paths are written as the detail pane writes them (`model::pretty::{key_path, index_path}`):
//! `properties.items[0]["unit price"]`.

pub mod shape;
#[cfg(test)]
mod tests;

use crate::model::json::Json;
use crate::model::pretty::{index_path, key_path};

/// Top-level fields that differ between any two sends of the same call, hidden by default:
/// the message's id and its clocks, and `_metadata` (the SDK's bundling bookkeeping).
/// `context.library` is not among them: a changed SDK version is what "what changed between
/// the build that worked and this one?" is often about.
pub const VOLATILE: [&str; 6] = [
    "messageId",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "_metadata",
];

/// How far a diff goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffOptions {
    /// Show changes under the [`VOLATILE`] fields too.
    pub show_volatile: bool,
    /// Levels compared one by one; deeper, a subtree that differs is one change.
    pub max_depth: usize,
    /// Changes kept; the rest are counted in [`MessageDiff::more`].
    pub max_changes: usize,
    /// Bytes of a value shown (compact JSON); longer ones end in `…`.
    pub max_value_bytes: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            show_volatile: false,
            max_depth: 32,
            max_changes: 2_000,
            max_value_bytes: 200,
        }
    }
}

/// What happened at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the second message.
    Added { value: String, kind: &'static str },
    /// Only in the first message.
    Removed { value: String, kind: &'static str },
    /// The same JSON type, another value.
    Changed { before: String, after: String },
    /// Another JSON type (`number` → `string`, `object` → `array`).
    TypeChanged {
        before: String,
        after: String,
        from: &'static str,
        to: &'static str,
    },
    /// An array's length; its elements are compared by index besides.
    Length { before: usize, after: usize },
}

impl ChangeKind {
    /// `added`, `removed`, `changed`, `type` or `length`: the JSON output's `change`.
    pub fn name(&self) -> &'static str {
        match self {
            ChangeKind::Added { .. } => "added",
            ChangeKind::Removed { .. } => "removed",
            ChangeKind::Changed { .. } => "changed",
            ChangeKind::TypeChanged { .. } => "type",
            ChangeKind::Length { .. } => "length",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

/// The differences between two messages, in document order (the first message's keys first,
/// then the keys only the second has).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageDiff {
    pub changes: Vec<Change>,
    /// Changes under [`VOLATILE`] fields, not in `changes` (unless they are shown).
    pub hidden: usize,
    /// Changes past [`DiffOptions::max_changes`], not kept.
    pub more: usize,
}

impl MessageDiff {
    /// Nothing differs, hidden fields aside.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.more == 0
    }
}

/// Compares `before` with `after`, path by path. Arrays are compared by index, with their
/// length change reported on the array's own path.
pub fn diff(before: &Json, after: &Json, options: &DiffOptions) -> MessageDiff {
    let mut walk = Walk {
        options,
        out: MessageDiff::default(),
    };
    walk.node("", before, after, 0, false);
    walk.out
}

struct Walk<'o> {
    options: &'o DiffOptions,
    out: MessageDiff,
}

impl Walk<'_> {
    fn push(&mut self, path: String, kind: ChangeKind, volatile: bool) {
        if volatile && !self.options.show_volatile {
            self.out.hidden += 1;
        } else if self.out.changes.len() >= self.options.max_changes {
            self.out.more += 1;
        } else {
            self.out.changes.push(Change { path, kind });
        }
    }

    fn node(&mut self, path: &str, before: &Json, after: &Json, depth: usize, volatile: bool) {
        match (before, after) {
            (Json::Object(a), Json::Object(b)) if depth < self.options.max_depth => {
                for (key, value) in a.iter() {
                    let child = key_path(path, key);
                    let volatile = volatile || (depth == 0 && VOLATILE.contains(&key));
                    match b.get(key) {
                        Some(other) => self.node(&child, value, other, depth + 1, volatile),
                        None => {
                            let kind = ChangeKind::Removed {
                                value: self.shown(value),
                                kind: value.type_name(),
                            };
                            self.push(child, kind, volatile);
                        }
                    }
                }
                for (key, value) in b.iter().filter(|(key, _)| !a.contains_key(key)) {
                    let volatile = volatile || (depth == 0 && VOLATILE.contains(&key));
                    let kind = ChangeKind::Added {
                        value: self.shown(value),
                        kind: value.type_name(),
                    };
                    self.push(key_path(path, key), kind, volatile);
                }
            }
            (Json::Array(a), Json::Array(b)) if depth < self.options.max_depth => {
                if a.len() != b.len() {
                    let kind = ChangeKind::Length {
                        before: a.len(),
                        after: b.len(),
                    };
                    self.push(path.to_string(), kind, volatile);
                }
                for (index, (x, y)) in a.iter().zip(b).enumerate() {
                    self.node(&index_path(path, index), x, y, depth + 1, volatile);
                }
                for (index, value) in a.iter().enumerate().skip(b.len()) {
                    let kind = ChangeKind::Removed {
                        value: self.shown(value),
                        kind: value.type_name(),
                    };
                    self.push(index_path(path, index), kind, volatile);
                }
                for (index, value) in b.iter().enumerate().skip(a.len()) {
                    let kind = ChangeKind::Added {
                        value: self.shown(value),
                        kind: value.type_name(),
                    };
                    self.push(index_path(path, index), kind, volatile);
                }
            }
            _ if before == after => {}
            _ if before.type_name() != after.type_name() => {
                let kind = ChangeKind::TypeChanged {
                    before: self.shown(before),
                    after: self.shown(after),
                    from: before.type_name(),
                    to: after.type_name(),
                };
                self.push(path.to_string(), kind, volatile);
            }
            _ => {
                let kind = ChangeKind::Changed {
                    before: self.shown(before),
                    after: self.shown(after),
                };
                self.push(path.to_string(), kind, volatile);
            }
        }
    }

    /// A value as compact JSON, cut at [`DiffOptions::max_value_bytes`].
    fn shown(&self, value: &Json) -> String {
        bounded(value, self.options.max_value_bytes)
    }
}

/// `value` as compact JSON of at most `max` bytes (and `…`); a large value is not written out
/// in full to be cut.
pub fn bounded(value: &Json, max: usize) -> String {
    use std::fmt::Write;
    let mut out = Bounded {
        text: String::new(),
        max,
        cut: false,
    };
    let _ = write!(out, "{value}");
    if out.cut {
        out.text.push('…');
    }
    out.text
}

/// A `fmt::Write` that keeps the first `max` bytes (on a character boundary) and then stops
/// the writer with an error.
struct Bounded {
    text: String,
    max: usize,
    cut: bool,
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.max.saturating_sub(self.text.len());
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        let mut end = room;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
        self.cut = true;
        Err(std::fmt::Error)
    }
}
