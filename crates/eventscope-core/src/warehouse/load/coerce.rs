//! A value into a column of a given type, as Segment's loader would: the value as it is when
//! the types agree (an integer widens into a float column), coerced where it can be (`42` into
//! a varchar column as `"42"`, `"42"` into an integer column, `42.5` into an integer column
//! as `42`: an integer column keeps no decimals), else NULL — the same rules as the
//! `warehouse/type-conflict` verdict's fate (`inspect::warehouse::fate`; a test keeps them in
//! step). Also what every database takes: timestamps in one UTC form, no NUL characters, no
//! NaN or infinity, varchars cut at 512.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::model::parse_timestamp;
use crate::warehouse::{ColumnType, Value, conflicts, varchar};

/// What became of a value whose type was not its column's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Loaded as it was sent (the types agree, or an integer into a float column).
    Kept,
    /// Converted to the column's type.
    Coerced,
    /// Not convertible: NULL.
    Nulled,
}

/// `value` as a cell of a `column` column (its variant is then `column`'s), or `Err` with the
/// value itself when it loads as NULL; and what became of it.
pub fn coerce(value: Value, column: ColumnType) -> (Result<Value, Value>, Fate) {
    if !conflicts(column, value.column_type()) {
        let cell = match value {
            Value::Integer(i) if column == ColumnType::Float => Ok(Value::Float(i as f64)),
            other => clean(other),
        };
        // A timestamp out of every database's range, a NaN: NULL, though the types agree.
        let fate = if cell.is_ok() {
            Fate::Kept
        } else {
            Fate::Nulled
        };
        return (cell, fate);
    }
    let cell = match (column, &value) {
        (ColumnType::Varchar, other) => Some(Value::Varchar(text(other).into())),
        (ColumnType::Integer, Value::Float(f)) => integer_of(*f),
        (ColumnType::Integer, Value::Varchar(s)) => {
            s.trim().parse::<i64>().ok().map(Value::Integer)
        }
        (ColumnType::Float, Value::Varchar(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float),
        (ColumnType::Boolean, Value::Varchar(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Some(Value::Boolean(true)),
            "false" | "f" | "0" | "no" => Some(Value::Boolean(false)),
            _ => None,
        },
        (ColumnType::Timestamp, Value::Varchar(s)) => parse_timestamp(s.trim()).and_then(utc),
        _ => None,
    };
    match cell {
        Some(cell) => (Ok(cell), Fate::Coerced),
        None => (Err(value), Fate::Nulled),
    }
}

/// A value of the column's own type as every database takes it; `Err` (the value) when none
/// can.
fn clean(value: Value) -> Result<Value, Value> {
    match value {
        Value::Timestamp(s) => match parse_timestamp(&s).and_then(utc) {
            Some(t) => Ok(t),
            None => Err(Value::Timestamp(s)),
        },
        Value::Float(f) if !f.is_finite() => Err(value),
        Value::Varchar(s) if s.contains('\0') => Ok(Value::Varchar(s.replace('\0', "").into())),
        other => Ok(other),
    }
}

/// A float's whole part, when it fits.
fn integer_of(f: f64) -> Option<Value> {
    // `as` saturates: keep only what is in range (and not NaN).
    (f.is_finite() && f.trunc() >= i64::MIN as f64 && f.trunc() < i64::MAX as f64)
        .then(|| Value::Integer(f.trunc() as i64))
}

/// A timestamp in one UTC form with microseconds (`2026-11-01T00:00:00.021000Z`): ordered as
/// text too (SQLite keeps it as text), in every database's range (years 1 to 9999).
fn utc(t: DateTime<Utc>) -> Option<Value> {
    let year = chrono::Datelike::year(&t);
    (1..=9999)
        .contains(&year)
        .then(|| Value::Timestamp(t.to_rfc3339_opts(SecondsFormat::Micros, true).into()))
}

/// Any value as varchar text, cut at 512 characters.
fn text(value: &Value) -> String {
    let s = match value {
        Value::Timestamp(s) | Value::Varchar(s) => s.replace('\0', ""),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    };
    match varchar(&s) {
        (Value::Varchar(cut), _) => cut.to_string(),
        _ => s,
    }
}

/// The value a `Timestamp` cell holds, normalised (for a column the loader fills itself).
pub fn timestamp(text: &str) -> Option<Value> {
    parse_timestamp(text.trim()).and_then(utc)
}
