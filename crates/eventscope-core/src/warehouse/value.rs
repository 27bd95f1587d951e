//! A column's value and type as a warehouse would hold it: `timestamp`, `integer`, `float`,
//! `boolean` or `varchar`, inferred from one JSON value; strings cut at 512 characters.

use std::fmt;
use std::sync::Arc;

use crate::model::json::Json;
use crate::model::parse_timestamp;

/// The longest string a column keeps, in characters (Segment cuts longer ones).
pub const MAX_VARCHAR_CHARS: usize = 512;

/// A column's warehouse type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    Timestamp,
    Integer,
    Float,
    Boolean,
    Varchar,
}

impl ColumnType {
    /// `timestamp`, `integer`, `float`, `boolean` or `varchar`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Timestamp => "timestamp",
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Boolean => "boolean",
            ColumnType::Varchar => "varchar",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A column's value; its variant is its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An ISO-8601 string, kept as sent.
    Timestamp(Arc<str>),
    Integer(i64),
    /// A JSON number with a fraction or exponent, or an integer beyond `i64`.
    Float(f64),
    Boolean(bool),
    /// A string (at most 512 characters) or an array as JSON text.
    Varchar(Arc<str>),
}

impl Value {
    pub fn column_type(&self) -> ColumnType {
        match self {
            Value::Timestamp(_) => ColumnType::Timestamp,
            Value::Integer(_) => ColumnType::Integer,
            Value::Float(_) => ColumnType::Float,
            Value::Boolean(_) => ColumnType::Boolean,
            Value::Varchar(_) => ColumnType::Varchar,
        }
    }
}

/// A scalar's or an array's value, and the original length in characters when a string was
/// cut. `None` for `null` (no column) and objects (flattened by the caller).
pub fn infer(json: &Json<'_>) -> Option<(Value, Option<usize>)> {
    Some(match json {
        Json::Null | Json::Object(_) => return None,
        Json::Bool(b) => (Value::Boolean(*b), None),
        Json::Number(n) => match n.as_i64() {
            Some(i) => (Value::Integer(i), None),
            None => (Value::Float(n.as_f64().unwrap_or(f64::NAN)), None),
        },
        Json::String(s) if iso_date_prefix(s) && parse_timestamp(s).is_some() => {
            (Value::Timestamp(Arc::from(&**s)), None)
        }
        Json::String(s) => varchar(s),
        Json::Array(_) => varchar(&json.to_string()),
    })
}

/// Starts `YYYY-MM-DD`, as the ISO-8601 timestamps a warehouse types as `timestamp` do: most
/// strings (a name, a price) are told apart here, without chrono's format parsing.
fn iso_date_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

/// `s` as a varchar: cut to 512 characters (never inside a character), with the original
/// character count when it was cut.
pub fn varchar(s: &str) -> (Value, Option<usize>) {
    // A string of at most 512 bytes has at most 512 characters: no need to count them.
    let end = if s.len() <= MAX_VARCHAR_CHARS {
        None
    } else {
        s.char_indices().nth(MAX_VARCHAR_CHARS)
    };
    match end {
        None => (Value::Varchar(s.into()), None),
        Some((end, _)) => (Value::Varchar(s[..end].into()), Some(s.chars().count())),
    }
}
