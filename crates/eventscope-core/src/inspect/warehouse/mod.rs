//! Warehouse verdicts (`warehouse/…`): what would not land as sent — a value whose type is not
//! its column's, a property dropped for a reserved name, two properties collapsing onto one
//! column, a string cut at 512, event names that differ only by digits or ids (a table per
//! id), a table past the column limit. Read from one message's rows and what the schema
//! tracker decided when it observed them (`warehouse::Schema::observe`); each finding names
//! the earlier messages involved (`seqs`). Severities from `[warehouse]`.

mod fate;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use super::{Finding, Kind};
use crate::warehouse::{
    Conflict, Dropped, Family, MAX_VARCHAR_CHARS, Observed, Row, Schema, WarehouseSettings,
};

pub use fate::{Fate, fate};

/// A value whose type is not the type its column was created with.
pub const TYPE_CONFLICT: &str = "warehouse/type-conflict";
/// A property or trait dropped because its column name is reserved (`user_id`, `id`…).
pub const RESERVED_COLUMN: &str = "warehouse/reserved-column";
/// Two paths collapsing onto one column name: the later one is not loaded.
pub const COLUMN_COLLISION: &str = "warehouse/column-collision";
/// A string cut at 512 characters.
pub const VALUE_TRUNCATED: &str = "warehouse/value-truncated";
/// Event names that differ only by digits or ids: a table per id.
pub const UNBOUNDED_TABLES: &str = "warehouse/unbounded-tables";
/// A table past `[warehouse] column_limit` columns.
pub const COLUMN_LIMIT: &str = "warehouse/column-limit";

/// The findings for the message whose `rows` the schema just observed (`observed` is what
/// `observe` said of it; `schema` is the schema after it).
pub fn verdicts(
    rows: &[Row],
    observed: &Observed,
    schema: &Schema,
    settings: &WarehouseSettings,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let new = |rule: &'static str, path: &str, message: String| -> Option<Finding> {
        let severity = settings.severity(rule)?;
        Some(Finding::new(Kind::Warehouse, rule, path, severity, message))
    };
    // A context path lands in `tracks` and in the event's table: one finding per path, naming
    // every table.
    for (path, conflicts) in by_path(observed.conflicts.iter().map(|c| (c.path.as_str(), c))) {
        let first = conflicts[0];
        let tables = tables(
            conflicts
                .iter()
                .map(|c| (c.table.as_str(), c.column.as_str())),
        );
        if let Some(finding) = new(TYPE_CONFLICT, path, type_conflict(first, &tables)) {
            out.push(
                finding
                    .expected(format!("{} (the column's type)", first.column_type))
                    .actual(format!(
                        "{} {}",
                        first.value.column_type(),
                        shown(&first.value)
                    ))
                    .seqs(conflicts.iter().map(|c| c.first_seq)),
            );
        }
    }
    let discarded = rows.iter().flat_map(|r| {
        r.discarded
            .iter()
            .filter(|d| d.why == Dropped::Reserved)
            .map(move |d| (d.path.as_str(), (&*r.table, d.column.as_str())))
    });
    for (path, places) in by_path(discarded) {
        let column = places[0].1;
        let message = format!(
            "{path} is not loaded: its column name {column} is reserved in {} (Segment's own \
             column wins and the property is discarded); rename the property",
            tables(places.iter().copied())
        );
        if let Some(finding) = new(RESERVED_COLUMN, path, message) {
            out.push(
                finding
                    .expected(format!("a property name other than {column}"))
                    .actual(path.to_string()),
            );
        }
    }
    let collisions = rows.iter().flat_map(|r| {
        r.collisions
            .iter()
            .map(move |c| (c.lost.as_str(), (&*r.table, c)))
    });
    for (path, places) in by_path(collisions) {
        let collision = places[0].1;
        let message = format!(
            "{path} and {} both become column {} in {}: the first is loaded, {path}'s value \
             is lost; send one of them",
            collision.kept,
            collision.column,
            tables(places.iter().map(|(t, c)| (*t, c.column.as_str())))
        );
        if let Some(finding) = new(COLUMN_COLLISION, path, message) {
            out.push(
                finding
                    .expected(format!("one path per column ({})", collision.column))
                    .actual(format!("{} and {path}", collision.kept)),
            );
        }
    }
    let truncated = rows.iter().flat_map(|r| {
        r.truncated
            .iter()
            .map(move |t| (t.path.as_str(), (&*r.table, t)))
    });
    for (path, places) in by_path(truncated) {
        let cut = places[0].1;
        let keep = if places.len() == 1 { "keeps" } else { "keep" };
        let message = format!(
            "{path} is {} characters: {} {keep} the first {MAX_VARCHAR_CHARS}, the rest is \
             lost",
            cut.chars,
            tables(places.iter().map(|(t, c)| (*t, c.column.as_str())))
        );
        if let Some(finding) = new(VALUE_TRUNCATED, path, message) {
            out.push(
                finding
                    .expected(format!("at most {MAX_VARCHAR_CHARS} characters"))
                    .actual(format!("{} characters", cut.chars)),
            );
        }
    }
    if let Some(family) = &observed.family
        && let Some(finding) = new(UNBOUNDED_TABLES, "event", unbounded(family))
    {
        out.push(
            finding
                .expected("one event name, the id in a property")
                .actual(format!("{} and {}", family.first_table, family.table))
                .seqs([family.first_seq]),
        );
    }
    for (table, added) in added_per_table(observed) {
        let Some(now) = schema.table(table).map(|t| t.columns().len()) else {
            continue;
        };
        let limit = settings.column_limit;
        if now > limit && now - added <= limit {
            let first = schema.table(table).map(|t| t.first_seq());
            let message = format!(
                "table {table} now has {now} columns, past the limit of {limit} ([warehouse] \
                 column_limit; Postgres and Redshift refuse more): new properties on it would \
                 not be loaded; move rarely used ones into an object you stringify, or split \
                 the event"
            );
            if let Some(finding) = new(COLUMN_LIMIT, "", message) {
                out.push(
                    finding
                        .expected(format!("at most {limit} columns"))
                        .actual(format!("{now} columns"))
                        .seqs(first.filter(|s| *s != observed.seq)),
                );
            }
        }
    }
    out
}

/// "properties.price is float 42.5 here, but column order_completed.price was created integer
/// at seq 3: …".
fn type_conflict(conflict: &Conflict, tables: &str) -> String {
    let now = conflict.value.column_type();
    let what = match fate(conflict.column_type, &conflict.value) {
        Fate::Coerced(text) if now == crate::warehouse::ColumnType::Float => {
            format!("loaded as {text}: the decimals are lost")
        }
        Fate::Coerced(text) => format!("coerced to {text}"),
        Fate::Lost => "it cannot be coerced and is loaded as NULL: the value is lost".to_string(),
    };
    format!(
        "{} is {now} {} here, but column {tables} was created {} at seq {}: {what}; send one \
         type (changing the column needs Segment support and a backfill)",
        conflict.path,
        shown(&conflict.value),
        conflict.column_type,
        conflict.first_seq,
    )
}

fn unbounded(family: &Family) -> String {
    format!(
        "event table {} and {} (seq {}) differ only by digits or ids ({}): each id makes a \
         new warehouse table; name the event once and send the id as a property",
        family.table, family.first_table, family.first_seq, family.pattern
    )
}

/// Items grouped by path, in first-seen order (indexed: a message may hold many).
fn by_path<'a, T>(items: impl Iterator<Item = (&'a str, T)>) -> Vec<(&'a str, Vec<T>)> {
    let mut out: Vec<(&str, Vec<T>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (path, item) in items {
        match index.get(path) {
            Some(&i) => out[i].1.push(item),
            None => {
                index.insert(path, out.len());
                out.push((path, vec![item]));
            }
        }
    }
    out
}

/// `tracks.context_ip and order_completed.context_ip`.
fn tables<'a>(places: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    places
        .map(|(table, column)| format!("{table}.{column}"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// A value as a person reads it: strings quoted, cut at 40 characters.
fn shown(value: &crate::warehouse::Value) -> String {
    use crate::warehouse::Value;
    let text = match value {
        Value::Timestamp(s) | Value::Varchar(s) => format!("{s:?}"),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    };
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(39).collect::<String>())
    } else {
        text
    }
}

/// Each table this message added columns to, and how many.
fn added_per_table(observed: &Observed) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for new in &observed.new_columns {
        *out.entry(new.table.as_str()).or_insert(0) += 1;
    }
    out
}
