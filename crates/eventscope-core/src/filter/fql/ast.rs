//! The parsed statement, and its canonical text (parentheses only where the grammar needs
//! them, strings in single quotes, paths escaped), which parses back to an equal tree.

use std::fmt;

use super::glob::Glob;
use super::lex::is_path_char;

/// A source column kept for runtime errors; every column equals every other, so trees compare
/// by meaning (a printed and re-parsed statement equals the original).
#[derive(Debug, Clone, Copy)]
pub(super) struct Col(pub usize);

impl PartialEq for Col {
    fn eq(&self, _: &Col) -> bool {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::In => "in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Contains,
    Length,
    Lowercase,
    Typeof,
    Match,
}

impl Func {
    pub(super) const ALL: [Func; 5] = [
        Func::Contains,
        Func::Length,
        Func::Lowercase,
        Func::Typeof,
        Func::Match,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Func::Contains => "contains",
            Func::Length => "length",
            Func::Lowercase => "lowercase",
            Func::Typeof => "typeof",
            Func::Match => "match",
        }
    }

    pub(super) fn arity(self) -> usize {
        match self {
            Func::Contains | Func::Match => 2,
            Func::Length | Func::Lowercase | Func::Typeof => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// A literal list: `['a', 1, null]`.
    List(Vec<Expr>),
    Path(Vec<String>),
    /// `glob` is the pattern compiled at parse time when it is a string literal.
    Call {
        func: Func,
        args: Vec<Expr>,
        glob: Option<Glob>,
        col: Col,
    },
    Not(Box<Expr>),
    /// Two or more operands, in order (a parenthesized `and` inside stays its own node).
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Cmp {
        op: CmpOp,
        left: Box<Expr>,
        right: Box<Expr>,
        col: Col,
    },
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Null => f.write_str("null"),
            Expr::Bool(b) => write!(f, "{b}"),
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Str(s) => {
                f.write_str("'")?;
                for c in s.chars() {
                    if c == '\'' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("'")
            }
            Expr::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Expr::Path(segments) => write_path(f, segments),
            Expr::Call { func, args, .. } => {
                write!(f, "{}(", func.name())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
            Expr::Not(inner) => {
                if matches!(**inner, Expr::And(_) | Expr::Or(_)) {
                    write!(f, "!({inner})")
                } else {
                    write!(f, "!{inner}")
                }
            }
            Expr::And(items) => join(f, items, " and ", |e| {
                matches!(e, Expr::And(_) | Expr::Or(_))
            }),
            Expr::Or(items) => join(f, items, " or ", |e| matches!(e, Expr::Or(_))),
            Expr::Cmp {
                op, left, right, ..
            } => {
                operand(f, left)?;
                write!(f, " {} ", op.symbol())?;
                operand(f, right)
            }
        }
    }
}

fn join(
    f: &mut fmt::Formatter<'_>,
    items: &[Expr],
    separator: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        if needs_parens(item) {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}

/// A comparison's side: anything looser than a primary is parenthesized.
fn operand(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    if matches!(
        e,
        Expr::And(_) | Expr::Or(_) | Expr::Not(_) | Expr::Cmp { .. }
    ) {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// Escapes what the lexer would not read back as the same path: characters outside
/// `[A-Za-z0-9_-]`, a leading digit or `-`, and a one-segment path spelling a keyword.
fn write_path(f: &mut fmt::Formatter<'_>, segments: &[String]) -> fmt::Result {
    let keyword = segments.len() == 1
        && matches!(
            segments[0].as_str(),
            "true" | "false" | "null" | "and" | "or" | "in"
        );
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            f.write_str(".")?;
        }
        for (j, c) in segment.chars().enumerate() {
            let first = i == 0 && j == 0;
            let plain = is_path_char(c) && !(first && (keyword || c.is_ascii_digit() || c == '-'));
            if !plain {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
    }
    Ok(())
}
