//! Evaluates a parsed statement against one message. Paths that lead nowhere are `null`;
//! `=`/`!=` are strict (same type and equal); `>`, `>=`, `<`, `<=` hold only between numbers;
//! `and`/`or`/`!` treat anything but `true` as not true. A function given a type it has no
//! rule for (say `lowercase(5)`), a non-list right of `in` or an invalid runtime `match()`
//! pattern cannot be evaluated: an error, which callers treat as "not sent".

use std::borrow::Cow;

use super::FqlError;
use super::ast::{CmpOp, Col, Expr, Func};
use super::glob::Glob;
use crate::model::json::Json;

/// A value during evaluation: literals borrow from the statement, arrays and objects from
/// the message.
#[derive(Debug, Clone)]
enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    /// An array or object of the message.
    Json(&'a Json<'a>),
    /// A literal list of the statement.
    List(Vec<Val<'a>>),
}

impl Val<'_> {
    fn is_true(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::List(_) | Val::Json(Json::Array(_)) => "list",
            Val::Json(_) => "object",
        }
    }

    /// The elements, when this is a list.
    fn items(&self) -> Option<Vec<Val<'_>>> {
        match self {
            Val::List(items) => Some(items.clone()),
            Val::Json(Json::Array(items)) => Some(items.iter().map(from_json).collect()),
            _ => None,
        }
    }
}

fn from_json<'a>(json: &'a Json<'a>) -> Val<'a> {
    match json {
        Json::Null => Val::Null,
        Json::Bool(b) => Val::Bool(*b),
        Json::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Val::Str(Cow::Borrowed(s)),
        Json::Array(_) | Json::Object(_) => Val::Json(json),
    }
}

pub(super) fn matches(expr: &Expr, message: &Json<'_>) -> Result<bool, FqlError> {
    Ok(eval(expr, message)?.is_true())
}

fn eval<'a>(expr: &'a Expr, message: &'a Json<'a>) -> Result<Val<'a>, FqlError> {
    Ok(match expr {
        Expr::Null => Val::Null,
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Num(n) => Val::Num(*n),
        Expr::Str(s) => Val::Str(Cow::Borrowed(s)),
        Expr::List(items) => Val::List(
            items
                .iter()
                .map(|e| eval(e, message))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Path(segments) => lookup(message, segments),
        Expr::Not(inner) => Val::Bool(!eval(inner, message)?.is_true()),
        Expr::And(items) => {
            for item in items {
                if !eval(item, message)?.is_true() {
                    return Ok(Val::Bool(false));
                }
            }
            Val::Bool(true)
        }
        Expr::Or(items) => {
            for item in items {
                if eval(item, message)?.is_true() {
                    return Ok(Val::Bool(true));
                }
            }
            Val::Bool(false)
        }
        Expr::Cmp {
            op,
            left,
            right,
            col,
        } => {
            let (l, r) = (eval(left, message)?, eval(right, message)?);
            Val::Bool(compare(*op, &l, &r, *col)?)
        }
        Expr::Call {
            func,
            args,
            glob,
            col,
        } => {
            let args = args
                .iter()
                .map(|e| eval(e, message))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, &args, glob.as_ref(), *col)?
        }
    })
}

/// Follows a dot path: object keys, and array indexes written as numbers.
fn lookup<'a>(message: &'a Json<'a>, segments: &[String]) -> Val<'a> {
    let mut at = message;
    for segment in segments {
        let next = match at {
            Json::Object(object) => object.get(segment),
            Json::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(json) => at = json,
            None => return Val::Null,
        }
    }
    from_json(at)
}

fn strict_eq(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Json(Json::Object(x)), Val::Json(Json::Object(y))) => x == y,
        _ => match (a.items(), b.items()) {
            (Some(x), Some(y)) => {
                x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| strict_eq(p, q))
            }
            _ => false,
        },
    }
}

fn compare(op: CmpOp, l: &Val<'_>, r: &Val<'_>, col: Col) -> Result<bool, FqlError> {
    let numbers = match (l, r) {
        (Val::Num(x), Val::Num(y)) => Some((*x, *y)),
        _ => None,
    };
    Ok(match op {
        CmpOp::Eq => strict_eq(l, r),
        CmpOp::Ne => !strict_eq(l, r),
        CmpOp::Gt => numbers.is_some_and(|(x, y)| x > y),
        CmpOp::Ge => numbers.is_some_and(|(x, y)| x >= y),
        CmpOp::Lt => numbers.is_some_and(|(x, y)| x < y),
        CmpOp::Le => numbers.is_some_and(|(x, y)| x <= y),
        CmpOp::In => match r.items() {
            Some(items) => items.iter().any(|item| strict_eq(l, item)),
            None if matches!(r, Val::Null) => false,
            None => {
                return Err(FqlError::at(
                    col.0,
                    format!("expected a list right of `in`, found a {}", r.type_name()),
                ));
            }
        },
    })
}

fn call<'a>(
    func: Func,
    args: &[Val<'a>],
    glob: Option<&Glob>,
    col: Col,
) -> Result<Val<'a>, FqlError> {
    let wrong = |what: &str, v: &Val<'_>| {
        FqlError::at(
            col.0,
            format!(
                "expected {what} in {}(), found a {}",
                func.name(),
                v.type_name()
            ),
        )
    };
    let [first, rest @ ..] = args else {
        return Err(FqlError::at(
            col.0,
            format!("expected arguments to {}()", func.name()),
        ));
    };
    Ok(match func {
        Func::Typeof => Val::Str(Cow::Borrowed(first.type_name())),
        Func::Length => match first {
            Val::Null => Val::Num(0.0),
            Val::Str(s) => Val::Num(s.len() as f64),
            other => match other.items() {
                Some(items) => Val::Num(items.len() as f64),
                None => return Err(wrong("a string or a list", other)),
            },
        },
        Func::Lowercase => match first {
            Val::Null => Val::Null,
            Val::Str(s) => Val::Str(Cow::Owned(s.to_lowercase())),
            other => return Err(wrong("a string", other)),
        },
        Func::Contains => match (first, rest.first()) {
            (Val::Null, _) => Val::Bool(false),
            (Val::Str(s), Some(Val::Str(sub))) => Val::Bool(s.contains(sub.as_ref())),
            (Val::Str(_), Some(other)) => return Err(wrong("a string to look for", other)),
            (other, _) => return Err(wrong("a string", other)),
        },
        Func::Match => match (first, rest.first()) {
            (Val::Null, _) => Val::Bool(false),
            (Val::Str(s), Some(Val::Str(pattern))) => match glob {
                Some(glob) => Val::Bool(glob.is_match(s)),
                None => match Glob::compile(pattern) {
                    Ok(glob) => Val::Bool(glob.is_match(s)),
                    Err((_, message)) => {
                        return Err(FqlError::at(
                            col.0,
                            format!("in the match() pattern: {message}"),
                        ));
                    }
                },
            },
            (Val::Str(_), Some(other)) => return Err(wrong("a string pattern", other)),
            (other, _) => return Err(wrong("a string", other)),
        },
    })
}
