//! How events' shapes evolve over a recording: per event (a track's name, else the message
//! type), every path with the JSON types it held, and the changes in order — a path that
//! appeared after the event's first message, one absent from some seq to the end, a path whose
//! types changed — each with the first seq of the change. Array elements collapse to `[]`
//! (`properties.products[].price`), so a path's types in one message may be several
//! (`number|string`). Bounded: events, paths per event, depth and changes kept per event, with
//! counts of what went past.

use std::collections::HashMap;
use std::fmt;

use crate::model::json::Json;
use crate::model::pretty::key_path;

/// How much [`Shapes`] keeps.
#[derive(Debug, Clone)]
pub struct ShapeOptions {
    /// Only this event (a track's name or a message type), or every one.
    pub event: Option<String>,
    /// Events followed; messages of newer names are counted in [`Shapes::untracked`].
    pub max_events: usize,
    /// Paths followed per event; newer ones are counted in [`EventShape::untracked_paths`].
    pub max_paths: usize,
    /// Levels walked into a message.
    pub max_depth: usize,
    /// Changes kept per event; the rest are counted in [`EventShape::more`].
    pub max_changes: usize,
}

impl Default for ShapeOptions {
    fn default() -> Self {
        ShapeOptions {
            event: None,
            max_events: 1_000,
            max_paths: 2_000,
            max_depth: 16,
            max_changes: 1_000,
        }
    }
}

/// A set of JSON types, as a bit per type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Types(u8);

const TYPE_NAMES: [&str; 6] = ["null", "boolean", "number", "string", "array", "object"];

impl Types {
    pub fn of(value: &Json) -> Types {
        let bit = match value {
            Json::Null => 0,
            Json::Bool(_) => 1,
            Json::Number(_) => 2,
            Json::String(_) => 3,
            Json::Array(_) => 4,
            Json::Object(_) => 5,
        };
        Types(1 << bit)
    }

    fn with(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    /// The types' names, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        TYPE_NAMES
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, name)| *name)
    }
}

/// `number`, or `number|string` for several.
impl fmt::Display for Types {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// One path of an event over the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathShape {
    pub path: String,
    /// Every type it held.
    pub types: Types,
    /// The types it held in the last message that had it.
    pub last_types: Types,
    pub first_seq: u64,
    pub last_seq: u64,
    /// Absent from this seq on (the message after its last one), until it comes back.
    gone_at: Option<u64>,
}

/// What changed at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeChangeKind {
    /// First seen after the event's first message.
    Appeared {
        types: Types,
    },
    /// Absent from this seq to the end of the recording.
    Disappeared {
        types: Types,
    },
    TypeChanged {
        from: Types,
        to: Types,
    },
}

impl ShapeChangeKind {
    /// `appeared`, `disappeared` or `type`: the JSON output's `change`.
    pub fn name(&self) -> &'static str {
        match self {
            ShapeChangeKind::Appeared { .. } => "appeared",
            ShapeChangeKind::Disappeared { .. } => "disappeared",
            ShapeChangeKind::TypeChanged { .. } => "type",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeChange {
    /// The first seq of the change.
    pub seq: u64,
    pub path: String,
    pub kind: ShapeChangeKind,
}

/// One event's shape over the recording.
#[derive(Debug, Clone, Default)]
pub struct EventShape {
    /// A track's event name, else the message type.
    pub name: String,
    /// The message type (`track`, `identify`, …).
    pub kind: String,
    pub messages: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// In the order they were first seen.
    pub paths: Vec<PathShape>,
    index: HashMap<String, usize>,
    /// The paths (indexes) the last message had.
    present: Vec<usize>,
    /// Changes in seq order (then path order, once finished).
    pub changes: Vec<ShapeChange>,
    /// Changes past [`ShapeOptions::max_changes`].
    pub more: u64,
    /// Paths first seen past [`ShapeOptions::max_paths`], not followed.
    pub untracked_paths: u64,
}

/// The shapes of every event of a recording (or one), fed one message at a time.
#[derive(Debug, Default)]
pub struct Shapes {
    options: ShapeOptions,
    events: Vec<EventShape>,
    index: HashMap<String, usize>,
    /// Messages of events past [`ShapeOptions::max_events`].
    pub untracked: u64,
    /// Messages fed (of the event asked for, with [`ShapeOptions::event`]).
    pub messages: u64,
}

/// A message's event: a track's name, else its type.
pub fn event_name<'j>(message: &'j Json) -> (&'j str, &'j str) {
    let kind = message.get("type").and_then(Json::as_str).unwrap_or("");
    let name = match kind {
        "track" => message.get("event").and_then(Json::as_str).unwrap_or(""),
        _ => kind,
    };
    (name, kind)
}

impl Shapes {
    pub fn new(options: ShapeOptions) -> Shapes {
        Shapes {
            options,
            ..Shapes::default()
        }
    }

    /// Feeds one message, seqs ascending.
    pub fn observe(&mut self, seq: u64, message: &Json) {
        let (name, kind) = event_name(message);
        if self.options.event.as_deref().is_some_and(|e| e != name) {
            return;
        }
        self.messages += 1;
        let at = match self.index.get(name) {
            Some(at) => *at,
            None if self.events.len() >= self.options.max_events => {
                self.untracked += 1;
                return;
            }
            None => {
                self.index.insert(name.to_string(), self.events.len());
                self.events.push(EventShape {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    first_seq: seq,
                    ..EventShape::default()
                });
                self.events.len() - 1
            }
        };
        let mut seen: HashMap<String, Types> = HashMap::new();
        collect(message, String::new(), 0, self.options.max_depth, &mut seen);
        // Document order is lost in the map: sort, so that new paths keep a stable order.
        let mut seen: Vec<(String, Types)> = seen.into_iter().collect();
        seen.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.events[at].observe(seq, seen, &self.options);
    }

    /// The events in the order first seen, their changes complete.
    pub fn finish(self) -> Vec<EventShape> {
        let max_changes = self.options.max_changes;
        self.events
            .into_iter()
            .map(|event| event.finish(max_changes))
            .collect()
    }
}

impl EventShape {
    fn observe(&mut self, seq: u64, seen: Vec<(String, Types)>, options: &ShapeOptions) {
        let first = self.messages == 0;
        self.messages += 1;
        self.last_seq = seq;
        let mut present = Vec::with_capacity(seen.len());
        for (path, types) in seen {
            let at = match self.index.get(&path) {
                Some(at) => *at,
                None if self.paths.len() >= options.max_paths => {
                    self.untracked_paths += 1;
                    continue;
                }
                None => {
                    if !first {
                        let kind = ShapeChangeKind::Appeared { types };
                        self.change(seq, &path, kind, options.max_changes);
                    }
                    self.index.insert(path.clone(), self.paths.len());
                    self.paths.push(PathShape {
                        path,
                        types,
                        last_types: types,
                        first_seq: seq,
                        last_seq: seq,
                        gone_at: None,
                    });
                    present.push(self.paths.len() - 1);
                    continue;
                }
            };
            let shape = &mut self.paths[at];
            let from = shape.last_types;
            shape.types = shape.types.with(types);
            shape.last_types = types;
            shape.last_seq = seq;
            shape.gone_at = None;
            present.push(at);
            if from != types {
                let path = shape.path.clone();
                let kind = ShapeChangeKind::TypeChanged { from, to: types };
                self.change(seq, &path, kind, options.max_changes);
            }
        }
        present.sort_unstable();
        for gone in self
            .present
            .iter()
            .filter(|at| present.binary_search(at).is_err())
        {
            if let Some(shape) = self.paths.get_mut(*gone) {
                shape.gone_at = Some(seq);
            }
        }
        self.present = present;
    }

    fn change(&mut self, seq: u64, path: &str, kind: ShapeChangeKind, max: usize) {
        if self.changes.len() >= max {
            self.more += 1;
        } else {
            self.changes.push(ShapeChange {
                seq,
                path: path.to_string(),
                kind,
            });
        }
    }

    /// Adds the paths absent to the end, and orders the changes by seq, then path.
    fn finish(mut self, max_changes: usize) -> EventShape {
        let gone: Vec<(u64, String, Types)> = self
            .paths
            .iter()
            .filter_map(|p| Some((p.gone_at?, p.path.clone(), p.last_types)))
            .collect();
        for (seq, path, types) in gone {
            let kind = ShapeChangeKind::Disappeared { types };
            self.change(seq, &path, kind, max_changes);
        }
        self.changes
            .sort_by(|a, b| a.seq.cmp(&b.seq).then_with(|| a.path.cmp(&b.path)));
        self.index = HashMap::new();
        self.present = Vec::new();
        self
    }

    /// The seq from which the path is absent to the end, if it is.
    pub fn gone_at(&self, path: &str) -> Option<u64> {
        self.paths.iter().find(|p| p.path == path)?.gone_at
    }
}

/// Every path under `value` (itself included, except the root) with its types; array elements
/// collapse to `[]`.
fn collect(
    value: &Json,
    path: String,
    depth: usize,
    max_depth: usize,
    seen: &mut HashMap<String, Types>,
) {
    if !path.is_empty() {
        let types = Types::of(value);
        let entry = seen.entry(path.clone()).or_default();
        *entry = entry.with(types);
    }
    if depth >= max_depth {
        return;
    }
    match value {
        Json::Object(object) => {
            for (key, child) in object.iter() {
                collect(child, key_path(&path, key), depth + 1, max_depth, seen);
            }
        }
        Json::Array(items) => {
            let element = format!("{path}[]");
            for item in items {
                collect(item, element.clone(), depth + 1, max_depth, seen);
            }
        }
        _ => {}
    }
}
