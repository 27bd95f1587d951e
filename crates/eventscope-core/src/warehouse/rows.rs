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

use super::naming::{column_name, table_name};
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

/// One column of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub value: Value,
    /// Where in the message it was read (`properties.address.street`, `context.ip`,
    /// `messageId`); empty for a value Segment computes (`timestamp` corrected, `event`).
    pub path: String,
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
    pub table: String,
    pub load: Load,
    pub columns: Vec<Column>,
    pub discarded: Vec<Discarded>,
    pub collisions: Vec<Collision>,
    pub truncated: Vec<Truncated>,
}

impl Row {
    fn new(table: impl Into<String>, load: Load) -> Row {
        Row {
            table: table.into(),
            load,
            columns: Vec::new(),
            discarded: Vec::new(),
            collisions: Vec::new(),
            truncated: Vec::new(),
        }
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Adds one column from `json` (a scalar or an array) unless its name is taken; strings
    /// are cut and recorded. `reserved` is checked by the caller.
    fn put(&mut self, name: String, path: String, json: &Json<'_>) {
        let Some((value, cut)) = infer(json) else {
            return;
        };
        self.put_value(name, path, value, cut);
    }

    fn put_value(&mut self, name: String, path: String, value: Value, cut: Option<usize>) {
        if let Some(existing) = self.column(&name) {
            let top_level_copy = !existing.path.contains('.') && existing.value == value;
            if !top_level_copy {
                self.collisions.push(Collision {
                    column: name,
                    kept: existing.path.clone(),
                    lost: path,
                });
            }
            return;
        }
        if let Some(chars) = cut {
            self.truncated.push(Truncated {
                column: name.clone(),
                path: path.clone(),
                chars,
            });
        }
        self.columns.push(Column { name, value, path });
    }

    /// An id field as varchar (`None` when absent or null).
    fn put_id(&mut self, name: &str, message: &Json<'_>, key: &str) {
        let Some(text) = message.get(key).and_then(id_text) else {
            return;
        };
        let (value, cut) = varchar(&text);
        self.put_value(name.to_string(), key.to_string(), value, cut);
    }

    /// Every leaf of `object`, flattened under `prefix` (`context` → `context_app_version`;
    /// empty for properties and traits, which are un-prefixed), `reserved` names dropped.
    /// Recursion is bounded by the parse: serde_json refuses nesting deeper than 128.
    fn put_flattened(&mut self, prefix: &str, path: &str, object: &Object<'_>, reserved: &[&str]) {
        for (key, value) in object {
            let raw = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}_{key}")
            };
            let path = format!("{path}.{key}");
            match value {
                Json::Object(inner) => self.put_flattened(&raw, &path, inner, reserved),
                Json::Null => {}
                _ => {
                    let name = column_name(&raw);
                    if name.is_empty() {
                        self.discarded.push(Discarded {
                            path,
                            column: String::new(),
                            why: Dropped::EmptyName,
                        });
                    } else if reserved.contains(&name.as_ref()) {
                        self.discarded.push(Discarded {
                            path,
                            column: name.into_owned(),
                            why: Dropped::Reserved,
                        });
                    } else {
                        self.put(name.into_owned(), path, value);
                    }
                }
            }
        }
    }

    /// `key`'s object in `message`, flattened (un-prefixed for properties and traits).
    fn put_object(&mut self, message: &Json<'_>, key: &str, prefix: &str, reserved: &[&str]) {
        if let Some(object) = message.get(key).and_then(Json::as_object) {
            self.put_flattened(prefix, key, object, reserved);
        }
    }
}

/// The rows `message` becomes, in load order; none for a call type warehouses don't load.
pub fn rows(message: &Json<'_>) -> Vec<Row> {
    let call = message.get("type").and_then(Json::as_str).unwrap_or("");
    match call {
        "track" => track(message),
        "identify" => {
            let mut out = vec![call_row(message, "identifies", &[], "traits")];
            if let Some(user) = upsert(message, "users", "userId", "traits") {
                out.push(user);
            }
            out
        }
        "page" => vec![named(message, "pages")],
        "screen" => vec![named(message, "screens")],
        "group" => {
            let mut out = vec![call_row(
                message,
                "groups",
                &[("group_id", "groupId")],
                "traits",
            )];
            if let Some(account) = upsert(message, "accounts", "groupId", "traits") {
                out.push(account);
            }
            out
        }
        "alias" => vec![call_row(
            message,
            "aliases",
            &[("previous_id", "previousId")],
            "",
        )],
        _ => Vec::new(),
    }
}

/// `tracks` (common columns, `event`, `event_text`) and the event's table (the same and its
/// properties).
fn track(message: &Json<'_>) -> Vec<Row> {
    let event_text = message.get("event").and_then(Json::as_str).unwrap_or("");
    let slug = table_name(event_text);
    let reserved: Vec<&str> = COMMON_COLUMNS
        .iter()
        .copied()
        .chain(["event", "event_text"])
        .collect();
    let mut tracks = Row::new("tracks", Load::Insert);
    common(&mut tracks, message);
    put_event(&mut tracks, event_text, &slug);
    if slug.is_empty() {
        tracks.discarded.push(Discarded {
            path: "event".to_string(),
            column: String::new(),
            why: Dropped::EmptyName,
        });
        return vec![tracks];
    }
    let mut table = Row::new(slug.as_ref(), Load::Insert);
    common(&mut table, message);
    put_event(&mut table, event_text, &slug);
    table.put_object(message, "properties", "", &reserved);
    vec![tracks, table]
}

fn put_event(row: &mut Row, event_text: &str, slug: &str) {
    let (text, cut) = varchar(event_text);
    row.put_value(
        "event".to_string(),
        String::new(),
        Value::Varchar(slug.to_string()),
        None,
    );
    row.put_value("event_text".to_string(), "event".to_string(), text, cut);
}

/// `pages` / `screens`: common columns, `name` and `category`, then the properties.
fn named(message: &Json<'_>, table: &str) -> Row {
    let mut row = Row::new(table, Load::Insert);
    common(&mut row, message);
    for key in ["name", "category"] {
        if let Some(value) = message.get(key) {
            row.put(key.to_string(), key.to_string(), value);
        }
    }
    row.put_object(message, "properties", "", COMMON_COLUMNS);
    row
}

/// A call's own table: common columns, its id columns (`group_id`, `previous_id`) and the
/// object at `fields` (traits) un-prefixed.
fn call_row(message: &Json<'_>, table: &str, ids: &[(&str, &str)], fields: &str) -> Row {
    let mut row = Row::new(table, Load::Insert);
    common(&mut row, message);
    for (name, key) in ids {
        row.put_id(name, message, key);
    }
    if !fields.is_empty() {
        let reserved: Vec<&str> = COMMON_COLUMNS
            .iter()
            .copied()
            .chain(ids.iter().map(|(name, _)| *name))
            .collect();
        row.put_object(message, fields, "", &reserved);
    }
    row
}

/// `users` / `accounts`: `id` from `key`, `received_at` and the latest traits; none without
/// the id.
fn upsert(message: &Json<'_>, table: &str, key: &str, fields: &str) -> Option<Row> {
    message.get(key).and_then(id_text)?;
    let mut row = Row::new(table, Load::Upsert);
    row.put_id("id", message, key);
    if let Some(received) = message.get("receivedAt") {
        row.put(
            "received_at".to_string(),
            "receivedAt".to_string(),
            received,
        );
    }
    row.put_object(message, fields, "", UPSERT_COLUMNS);
    Some(row)
}

/// The columns every call's table starts with, `context_*` flattened.
fn common(row: &mut Row, message: &Json<'_>) {
    row.put_id("id", message, "messageId");
    row.put_id("anonymous_id", message, "anonymousId");
    row.put_id("user_id", message, "userId");
    for (name, key) in [("received_at", "receivedAt"), ("sent_at", "sentAt")] {
        if let Some(value) = message.get(key) {
            row.put(name.to_string(), key.to_string(), value);
        }
    }
    if let Some(value) = message.get("timestamp") {
        row.put("timestamp".to_string(), "timestamp".to_string(), value);
    }
    let original = ["originalTimestamp", "timestamp"]
        .into_iter()
        .find_map(|key| Some((key, message.get(key).filter(|v| !v.is_null())?)));
    if let Some((key, value)) = original {
        row.put("original_timestamp".to_string(), key.to_string(), value);
    }
    row.put_object(message, "context", "context", COMMON_COLUMNS);
}

/// An id's text: a string as is, another scalar as its JSON text; `None` for null, objects
/// and arrays.
fn id_text(json: &Json<'_>) -> Option<String> {
    match json {
        Json::String(s) => Some(s.to_string()),
        Json::Bool(_) | Json::Number(_) => Some(json.to_string()),
        Json::Null | Json::Array(_) | Json::Object(_) => None,
    }
}
