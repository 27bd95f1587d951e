//! Recursive descent over the tokens. Precedence, loosest first: `or`, `and`, `!`, one
//! comparison (`=`, `!=`, `>`, `>=`, `<`, `<=`, `in`; not chained), primaries (literals,
//! lists of literals, paths, function calls, parentheses). Nesting is limited to
//! [`MAX_DEPTH`] levels so no input can exhaust the stack here or when the tree is
//! evaluated, printed or dropped.

use super::FqlError;
use super::ast::{CmpOp, Col, Expr, Func};
use super::glob::Glob;
use super::lex::{Tok, Token, lex};

pub const MAX_DEPTH: usize = 64;

pub(super) fn parse(text: &str) -> Result<Expr, FqlError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    let next = parser.peek();
    if next.tok != Tok::End {
        return Err(FqlError::at(
            next.column,
            format!(
                "expected `and`, `or` or the end of the statement, found {}",
                next.tok.describe()
            ),
        ));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // `lex` always ends the list with `End`, and `bump` never passes it.
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.at += 1;
        }
        token
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), FqlError> {
        let next = self.bump();
        if next.tok == tok {
            Ok(())
        } else {
            Err(FqlError::at(
                next.column,
                format!("expected {what}, found {}", next.tok.describe()),
            ))
        }
    }

    fn enter(&mut self, column: usize) -> Result<(), FqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FqlError::at(
                column,
                format!("expected at most {MAX_DEPTH} levels of nesting"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, FqlError> {
        let column = self.peek().column;
        self.enter(column)?;
        let mut items = vec![self.and()?];
        while self.peek().tok == Tok::Or {
            self.bump();
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, FqlError> {
        let mut items = vec![self.not()?];
        while self.peek().tok == Tok::And {
            self.bump();
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, FqlError> {
        if self.peek().tok != Tok::Not {
            return self.comparison();
        }
        let column = self.bump().column;
        self.enter(column)?;
        let inner = self.not()?;
        self.depth -= 1;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn comparison(&mut self) -> Result<Expr, FqlError> {
        let left = self.primary()?;
        let next = self.peek();
        let op = match next.tok {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::In => CmpOp::In,
            _ => return Ok(left),
        };
        let col = Col(next.column);
        self.bump();
        let right = self.primary()?;
        Ok(Expr::Cmp {
            op,
            left: Box::new(left),
            right: Box::new(right),
            col,
        })
    }

    fn primary(&mut self) -> Result<Expr, FqlError> {
        let token = self.bump();
        match token.tok {
            Tok::Null => Ok(Expr::Null),
            Tok::True => Ok(Expr::Bool(true)),
            Tok::False => Ok(Expr::Bool(false)),
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::LBracket => self.list(token.column),
            Tok::LParen => {
                let inner = self.or()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::Path { segments, bare } if bare && self.peek().tok == Tok::LParen => {
                self.call(&segments[0], token.column)
            }
            Tok::Path { segments, .. } => Ok(Expr::Path(segments)),
            other => Err(FqlError::at(
                token.column,
                format!(
                    "expected a path, a literal, a list, a function or `(`, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// After `[`: literals separated by commas, then `]`.
    fn list(&mut self, column: usize) -> Result<Expr, FqlError> {
        self.enter(column)?;
        let mut items = Vec::new();
        if self.peek().tok == Tok::RBracket {
            self.bump();
        } else {
            loop {
                let token = self.bump();
                items.push(match token.tok {
                    Tok::Null => Expr::Null,
                    Tok::True => Expr::Bool(true),
                    Tok::False => Expr::Bool(false),
                    Tok::Num(n) => Expr::Num(n),
                    Tok::Str(s) => Expr::Str(s),
                    Tok::LBracket => self.list(token.column)?,
                    other => {
                        return Err(FqlError::at(
                            token.column,
                            format!("expected a literal in the list, found {}", other.describe()),
                        ));
                    }
                });
                let next = self.bump();
                match next.tok {
                    Tok::Comma => {}
                    Tok::RBracket => break,
                    other => {
                        return Err(FqlError::at(
                            next.column,
                            format!("expected `,` or `]`, found {}", other.describe()),
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        Ok(Expr::List(items))
    }

    /// `name(` …: the arguments, their count checked, `match`'s literal pattern compiled.
    fn call(&mut self, name: &str, column: usize) -> Result<Expr, FqlError> {
        let Some(func) = Func::ALL.into_iter().find(|f| f.name() == name) else {
            let names: Vec<_> = Func::ALL.iter().map(|f| f.name()).collect();
            return Err(FqlError::at(
                column,
                format!("expected a function ({}), found `{name}`", names.join(", ")),
            ));
        };
        self.bump(); // (
        self.enter(column)?;
        let mut args = Vec::new();
        let mut arg_columns = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.bump();
        } else {
            loop {
                arg_columns.push(self.peek().column);
                args.push(self.or()?);
                let next = self.bump();
                match next.tok {
                    Tok::Comma => {}
                    Tok::RParen => break,
                    other => {
                        return Err(FqlError::at(
                            next.column,
                            format!(
                                "expected `,` or `)` in {name}(), found {}",
                                other.describe()
                            ),
                        ));
                    }
                }
            }
        }
        self.depth -= 1;
        if args.len() != func.arity() {
            return Err(FqlError::at(
                column,
                format!(
                    "expected {} argument(s) to {name}(), found {}",
                    func.arity(),
                    args.len()
                ),
            ));
        }
        let glob = match (func, args.get(1)) {
            (Func::Match, Some(Expr::Str(pattern))) => match Glob::compile(pattern) {
                Ok(glob) => Some(glob),
                Err((_, message)) => {
                    let at = arg_columns.get(1).copied().unwrap_or(column);
                    return Err(FqlError::at(
                        at,
                        format!("in the match() pattern: {message}"),
                    ));
                }
            },
            _ => None,
        };
        Ok(Expr::Call {
            func,
            args,
            glob,
            col: Col(column),
        })
    }
}
