//! What a warehouse does with a value loaded into a column of another type: coerced (and to
//! what), or lost (NULL). Segment's docs say only "coerced or lost"; this follows what
//! Postgres/Redshift casts accept: anything becomes text in a varchar column, numbers and
//! booleans written as text are parsed, a float in an integer column loses its decimals.

use crate::model::parse_timestamp;
use crate::warehouse::{ColumnType, Value};

/// A value's fate in a column of another type.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Loaded as this (as the column holds it).
    Coerced(String),
    /// Not castable: loaded as NULL.
    Lost,
}

/// What a column of type `column` makes of `value`.
pub fn fate(column: ColumnType, value: &Value) -> Fate {
    let text = match value {
        Value::Timestamp(s) | Value::Varchar(s) => s.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    };
    let trimmed = text.trim();
    let coerced = match (column, value) {
        (ColumnType::Varchar, _) => Some(format!("{text:?}")),
        (ColumnType::Integer, Value::Float(f)) if f.is_finite() => {
            Some(format!("{}", f.trunc() as i64))
        }
        (ColumnType::Integer, Value::Varchar(_)) => {
            trimmed.parse::<i64>().ok().map(|i| i.to_string())
        }
        (ColumnType::Float, Value::Integer(i)) => Some(i.to_string()),
        (ColumnType::Float, Value::Varchar(_)) => trimmed
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f.to_string()),
        (ColumnType::Boolean, Value::Varchar(_)) => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Some("true".to_string()),
            "false" | "f" | "0" | "no" => Some("false".to_string()),
            _ => None,
        },
        (ColumnType::Timestamp, Value::Varchar(_)) => {
            parse_timestamp(trimmed).map(|_| format!("{text:?}"))
        }
        _ => None,
    };
    coerced.map_or(Fate::Lost, Fate::Coerced)
}
