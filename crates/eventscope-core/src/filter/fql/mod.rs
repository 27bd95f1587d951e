//! Segment's Filter Query Language (FQL), the condition language of destination filters:
//! parse a statement once, evaluate it against many messages. Pure: no I/O.
//!
//! ```text
//! event = 'Button Clicked'                  strict equality: same type and equal
//! type = 'identify' or type = 'track'       and / or / ! (null counts as not true)
//! properties.total >= 10                    > >= < <= hold only between numbers
//! 'dark-mode' in properties.features        in: the value is in the list
//! type in ['track', 'page']                 literal lists
//! properties.product\ 1.price = 5           escape characters outside [A-Za-z0-9_-] with \
//! match(context.library.version, '1.*')     whole-string, case-sensitive glob: * ? [abc] [a-z] \x
//! contains(s, sub)  length(list|string)  lowercase(s)  typeof(v)
//! ```
//!
//! Paths that lead nowhere are `null`. Null rules: `contains(null, …)` false, `length(null)`
//! 0 (string lengths are bytes), `lowercase(null)` null, `typeof(null)` "null",
//! `match(null, …)` false. `typeof` answers "string", "number", "list", "bool", "null" (and
//! "object" for an object). A statement that does not parse, or cannot be evaluated on a
//! message ([`Query::matches`] returns `Err`, e.g. `lowercase(5)`), means "not sent" to
//! Segment. Errors name the 1-based column and what was expected.
//!
//! [`Query`]'s `Display` is a canonical form (single-quoted strings, escaped paths,
//! parentheses only where needed) that parses back to an equal `Query`.

mod ast;
mod eval;
mod glob;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

use crate::model::json::Json;

pub use parse::MAX_DEPTH;

/// A parsed FQL statement, reusable across messages and threads.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    expr: ast::Expr,
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, FqlError> {
        Ok(Query {
            expr: parse::parse(text)?,
        })
    }

    /// Whether the statement holds for `message`; `Err` when it cannot be evaluated on it.
    pub fn matches(&self, message: &Json<'_>) -> Result<bool, FqlError> {
        eval::matches(&self.expr, message)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// Why a statement does not parse or cannot be evaluated: the 1-based column (in characters)
/// and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FqlError {
    pub column: usize,
    pub message: String,
}

impl FqlError {
    fn at(column: usize, message: impl Into<String>) -> FqlError {
        FqlError {
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for FqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FQL column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FqlError {}
