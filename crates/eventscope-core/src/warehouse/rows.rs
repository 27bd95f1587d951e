//! One message → the warehouse rows Segment would load from it, pure: `tracks` and the
//! event's own table, `identifies` and `users`, `pages`, `screens`, `groups` and `accounts`,
//! `aliases`. Each row also says what did not make it as sent (a property dropped for a
//! reserved name, two paths collapsing onto one column, a string cut at 512), for the schema
//! tracker and the warehouse verdicts.
//!
//! Choices where Segment's docs are silent (reference §2):
//! - `null` makes no column (the column stays NULL in the row; a `null` never creates or
//!   types a column), and an empty object makes none either.
//! - When two paths collapse onto one column (`accountType` and `account_type`, or a
//!   property `context_ip` beside `context.ip`), the first in document order keeps it and the
//!   later one is recorded as a [`Collision`]. Pages and screens write the top-level `name`
//!   (and `category`) first; a property of that name with the same value (analytics.js copies
//!   them into `properties`) is no collision.
//! - A name that go-snakecase makes empty (`"¿?"`, `"日本"`) makes no column and is recorded
//!   in `discarded` with [`Dropped::EmptyName`]; an event name that does makes no event table.
//! - `uuid_ts` (and `loaded_at`) are the loader's: not in the rows, but reserved.
//! - `timestamp` is the message's `timestamp`: the collector has already corrected it for the
//!   device's clock (`receivedAt − (sentAt − originalTimestamp)`, `collector/envelope.rs`) and
//!   kept the device's value as `originalTimestamp`, which `original_timestamp` takes (the
//!   message's `timestamp` when there is none: a raw SDK payload, as in the fixtures).
//! - Ids (`messageId`, `userId`, `anonymousId`, `groupId`, `previousId`) are varchar whatever
//!   their JSON type (a number as its text).

use std::sync::Arc;

use super::names::{self, Names};
use super::naming::table_name;
use super::value::{Value, infer, varchar};
use crate::model::json::{Json, Object};

/// Columns every call's table has, that a property or trait may not take.
pub const COMMON_COLUMNS: &[&str] = &[
    "id",
    "anonymous_id",
    "user_id",
    "received_at",
    "sent_at",
    "timestamp",
    "original_timestamp",
    "uuid_ts",
    "loaded_at",
];

/// Columns of the upserted `users` and `accounts` tables a trait may not take.
pub const UPSERT_COLUMNS: &[&str] = &["id", "received_at", "uuid_ts", "loaded_at"];

/// How a row is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// A new row, idempotent on `id` (the messageId).
    Insert,
    /// `users` and `accounts`: one row per `id`, the latest traits win.
    Upsert,
}

/// One column of a row. Its name and path are shared texts from the thread's memo of names
/// (`names`): cloning a row copies no text.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Arc<str>,
    pub value: Value,
    /// Where in the message it was read (`properties.address.street`, `context.ip`,
    /// `messageId`); empty for a value Segment computes (`timestamp` corrected, `event`).
    pub path: Arc<str>,
}

impl Column {
    pub fn column_type(&self) -> super::ColumnType {
        self.value.column_type()
    }
}

/// Why a path made no column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its name is one of the table's own columns (`user_id`, `id`, `received_at`…).
    Reserved,
    /// go-snakecase makes its name empty.
    EmptyName,
}

/// A path that made no column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discarded {
    pub path: String,
    /// The column name it would have had (empty for [`Dropped::EmptyName`]).
    pub column: String,
    pub why: Dropped,
}

/// Two paths with one column name: `kept` holds the column, `lost`'s value is not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    pub column: String,
    pub kept: String,
    pub lost: String,
}

/// A string cut to 512 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    pub column: String,
    pub path: String,
    /// Its length as sent, in characters.
    pub chars: usize,
}

/// One row of one table, in the order Segment's loader would see its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub table: Arc<str>,
    pub load: Load,
    pub columns: Vec<Column>,
    pub discarded: Vec<Discarded>,
    pub collisions: Vec<Collision>,
    pub truncated: Vec<Truncated>,
}

impl Row {
    fn new(table: Arc<str>, load: Load) -> Row {
        Row {
            table,
            load,
            // Common columns plus a typical context: no regrowth for most messages.
            columns: Vec::with_capacity(48),
            discarded: Vec::new(),
            collisions: Vec::new(),
            truncated: Vec::new(),
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| &*c.name == name)
    }

    /// Adds one column from `json` (a scalar or an array) unless its name is taken; strings
    /// are cut and recorded. `reserved` is checked by the caller.
    fn put(&mut self, name: Arc<str>, path: Arc<str>, json: &Json<'_>) {
        let Some((value, cut)) = infer(json) else {
            return;
        };
        self.put_value(name, path, value, cut);
    }

    /// `name` and `path` come from the message's [`Names`], so a taken name is the same `Arc`.
    fn put_value(&mut self, name: Arc<str>, path: Arc<str>, value: Value, cut: Option<usize>) {
        if let Some(existing) = self.columns.iter().find(|c| names::same(&c.name, &name)) {
            let top_level_copy = !existing.path.contains('.') && existing.value == value;
            if !top_level_copy {
                self.collisions.push(Collision {
                    column: name.to_string(),
                    kept: existing.path.to_string(),
                    lost: path.to_string(),
                });
            }
            return;
        }
        if let Some(chars) = cut {
            self.truncated.push(Truncated {
                column: name.to_string(),
                path: path.to_string(),
                chars,
            });
        }
        self.columns.push(Column { name, value, path });
    }
}

/// The rows `message` becomes, in load order; none for a call type warehouses don't load.
pub fn rows(message: &Json<'_>) -> Vec<Row> {
    let call = message.get("type").and_then(Json::as_str).unwrap_or("");
    names::with(|names| {
        let mut map = Mapper {
            names,
            message,
            path: String::new(),
            strip: 0,
        };
        match call {
            "track" => map.track(),
            "identify" => {
                let mut out = vec![map.call_row("identifies", &[], "traits")];
                out.extend(map.upsert("users", "userId", "traits"));
                out
            }
            "page" => vec![map.named("pages")],
            "screen" => vec![map.named("screens")],
            "group" => {
                let mut out = vec![map.call_row("groups", &[("group_id", "groupId")], "traits")];
                out.extend(map.upsert("accounts", "groupId", "traits"));
                out
            }
            "alias" => vec![map.call_row("aliases", &[("previous_id", "previousId")], "")],
            _ => Vec::new(),
        }
    })
}

/// The columns a track's tables have beside the common ones.
const EVENT_COLUMNS: &[&str] = &["event", "event_text"];

/// Names a property, trait or context key may not take: one or more lists of a table's own
/// columns.
type Reserved<'a> = &'a [&'a [&'a str]];

/// One message being mapped: the thread's memo of names, and the path of the leaf being read
/// (a buffer reused across a message's leaves) with where its column name starts.
struct Mapper<'m, 'j> {
    names: &'m mut Names,
    message: &'m Json<'j>,
    path: String,
    /// Bytes of `path` before the column name: the object's key and its dot for properties
    /// and traits (un-prefixed), none for `context` (`context_…`).
    strip: usize,
}

impl Mapper<'_, '_> {
    /// `tracks` (common columns, `event`, `event_text`) and the event's table (the same and
    /// its properties).
    fn track(&mut self) -> Vec<Row> {
        let event_text = self
            .message
            .get("event")
            .and_then(Json::as_str)
            .unwrap_or("");
        let slug = table_name(event_text);
        let mut tracks = self.row("tracks", Load::Insert);
        self.common(&mut tracks);
        self.put_event(&mut tracks, event_text, &slug);
        if slug.is_empty() {
            tracks.discarded.push(Discarded {
                path: "event".to_string(),
                column: String::new(),
                why: Dropped::EmptyName,
            });
            return vec![tracks];
        }
        // The event's table starts as `tracks` does: its columns are shared, not read again.
        let mut table = tracks.clone();
        table.table = self.names.text(&slug);
        self.object(
            &mut table,
            "properties",
            false,
            &[COMMON_COLUMNS, EVENT_COLUMNS],
        );
        vec![tracks, table]
    }

    fn put_event(&mut self, row: &mut Row, event_text: &str, slug: &str) {
        let (text, cut) = varchar(event_text);
        let (event, empty) = (self.names.text("event"), self.names.text(""));
        row.put_value(Arc::clone(&event), empty, Value::Varchar(slug.into()), None);
        let event_text_column = self.names.text("event_text");
        row.put_value(event_text_column, event, text, cut);
    }

    /// `pages` / `screens`: common columns, `name` and `category`, then the properties.
    fn named(&mut self, table: &str) -> Row {
        let mut row = self.row(table, Load::Insert);
        self.common(&mut row);
        for key in ["name", "category"] {
            self.field(&mut row, key, key);
        }
        self.object(&mut row, "properties", false, &[COMMON_COLUMNS]);
        row
    }

    /// A call's own table: common columns, its id columns (`group_id`, `previous_id`) and the
    /// object at `fields` (traits) un-prefixed.
    fn call_row(&mut self, table: &str, ids: &[(&str, &str)], fields: &str) -> Row {
        let mut row = self.row(table, Load::Insert);
        self.common(&mut row);
        for (name, key) in ids {
            self.id(&mut row, name, key);
        }
        if !fields.is_empty() {
            let own: Vec<&str> = ids.iter().map(|(name, _)| *name).collect();
            self.object(&mut row, fields, false, &[COMMON_COLUMNS, &own]);
        }
        row
    }

    /// `users` / `accounts`: `id` from `key`, `received_at` and the latest traits; none
    /// without the id.
    fn upsert(&mut self, table: &str, key: &str, fields: &str) -> Option<Row> {
        self.message.get(key).and_then(id_text)?;
        let mut row = self.row(table, Load::Upsert);
        self.id(&mut row, "id", key);
        self.field(&mut row, "received_at", "receivedAt");
        self.object(&mut row, fields, false, &[UPSERT_COLUMNS]);
        Some(row)
    }

    /// The columns every call's table starts with, `context_*` flattened.
    fn common(&mut self, row: &mut Row) {
        self.id(row, "id", "messageId");
        self.id(row, "anonymous_id", "anonymousId");
        self.id(row, "user_id", "userId");
        self.field(row, "received_at", "receivedAt");
        self.field(row, "sent_at", "sentAt");
        self.field(row, "timestamp", "timestamp");
        let message = self.message;
        let original = ["originalTimestamp", "timestamp"]
            .into_iter()
            .find(|key| message.get(key).is_some_and(|v| !v.is_null()));
        if let Some(key) = original {
            self.field(row, "original_timestamp", key);
        }
        self.object(row, "context", true, &[COMMON_COLUMNS]);
    }

    fn row(&mut self, table: &str, load: Load) -> Row {
        Row::new(self.names.text(table), load)
    }

    /// The message's `key` as column `name`, typed by its value.
    fn field(&mut self, row: &mut Row, name: &str, key: &str) {
        if let Some(value) = self.message.get(key) {
            let (name, path) = (self.names.text(name), self.names.text(key));
            row.put(name, path, value);
        }
    }

    /// An id field as varchar (absent or null: no column).
    fn id(&mut self, row: &mut Row, name: &str, key: &str) {
        let Some(text) = self.message.get(key).and_then(id_text) else {
            return;
        };
        let (value, cut) = varchar(&text);
        let (name, path) = (self.names.text(name), self.names.text(key));
        row.put_value(name, path, value, cut);
    }

    /// `key`'s object in the message, flattened: `prefixed` names its columns after `key`
    /// (`context` → `context_app_version`); properties and traits are un-prefixed.
    fn object(&mut self, row: &mut Row, key: &str, prefixed: bool, reserved: Reserved<'_>) {
        let message = self.message;
        if let Some(object) = message.get(key).and_then(Json::as_object) {
            self.path.clear();
            self.path.push_str(key);
            self.strip = if prefixed { 0 } else { key.len() + 1 };
            self.flatten(row, object, reserved);
        }
    }

    /// Every leaf of `object`, its path extending the buffer's, `reserved` names dropped.
    /// Recursion is bounded by the parse: serde_json refuses nesting deeper than 128.
    fn flatten(&mut self, row: &mut Row, object: &Object<'_>, reserved: Reserved<'_>) {
        for (key, value) in object {
            let path_len = self.path.len();
            self.path.push('.');
            self.path.push_str(key);
            match value {
                Json::Object(inner) => self.flatten(row, inner, reserved),
                Json::Null => {}
                _ => self.leaf(row, value, reserved),
            }
            self.path.truncate(path_len);
        }
    }

    /// The leaf at the buffer's path.
    fn leaf(&mut self, row: &mut Row, value: &Json<'_>, reserved: Reserved<'_>) {
        let (path, name) = self.names.leaf(&self.path, self.strip);
        if name.is_empty() {
            row.discarded.push(Discarded {
                path: self.path.clone(),
                column: String::new(),
                why: Dropped::EmptyName,
            });
        } else if reserved.iter().any(|own| own.contains(&&*name)) {
            row.discarded.push(Discarded {
                path: self.path.clone(),
                column: name.to_string(),
                why: Dropped::Reserved,
            });
        } else {
            row.put(name, path, value);
        }
    }
}

/// An id's text: a string as is, another scalar as its JSON text; `None` for null, objects
/// and arrays.
fn id_text<'j>(json: &'j Json<'_>) -> Option<std::borrow::Cow<'j, str>> {
    match json {
        Json::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        Json::Bool(_) | Json::Number(_) => Some(std::borrow::Cow::Owned(json.to_string())),
        Json::Null | Json::Array(_) | Json::Object(_) => None,
    }
}
