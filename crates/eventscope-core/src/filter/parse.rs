//! Lexing and parsing the query text into a [`Node`] tree of compiled predicates.
//!
//! Grammar (AND binds tighter than `or`):
//!
//! ```text
//! query   = [ or ]
//! or      = and { "or" and }
//! and     = unary { unary }
//! unary   = ( "not" | "-" ) unary | primary
//! primary = "(" or ")" | TEXT | FIELD ":" VALUE | ( "jq:" | "fql:" ) REST-OF-INPUT
//! ```

use std::sync::Arc;

use aho_corasick::AhoCorasick;

use super::FilterError;
use super::fql;
use super::glob::Glob;
use super::jq::JqFilter;
use super::node::Node;
use super::predicate::{Compare, Field, Flag, KeyPattern, PersonTerm, Predicate};
use crate::routing::Reason;

/// The result of parsing: the tree and what to highlight.
pub(crate) struct Parsed {
    pub(crate) root: Node,
    pub(crate) highlights: Vec<String>,
}

/// Parses `input`; `destinations` are the names `routed:` and `dropped:` may use, in the order
/// of [`Filterable::routes`](super::Filterable::routes).
pub(crate) fn parse(input: &str, destinations: &[&str]) -> Result<Parsed, FilterError> {
    let tokens = lex(input)?;
    check_parentheses(&tokens)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        depth: 0,
        highlights: Vec::new(),
        destinations,
    };
    let root = if parser.tokens.is_empty() {
        Node::All
    } else {
        parser.or(false)?
    };
    debug_assert!(parser.at == parser.tokens.len(), "parentheses were checked");
    let mut highlights = parser.highlights;
    let mut seen = std::collections::HashSet::new();
    highlights.retain(|h| seen.insert(h.clone()));
    Ok(Parsed { root, highlights })
}

#[derive(Debug)]
enum Tok<'a> {
    LParen,
    RParen,
    Or,
    Not,
    Minus,
    /// Free text, unquoted and unescaped.
    Text(String),
    Field {
        field: Field,
        value: String,
        value_pos: usize,
    },
    Jq {
        code: &'a str,
        code_pos: usize,
    },
    Fql {
        code: &'a str,
        code_pos: usize,
    },
}

#[derive(Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Byte offset of the token's start in the input.
    pos: usize,
}

fn error(message: impl Into<String>, position: usize) -> FilterError {
    FilterError {
        message: message.into(),
        position,
    }
}

fn lex(input: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = input[i..].chars().next() {
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let pos = i;
        let tok = match c {
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '-' => {
                i += 1;
                if input[i..].chars().next().is_none_or(char::is_whitespace) {
                    return Err(error(
                        "dangling `-`: it must be directly followed by a term \
                         (write \"-\" to search for a dash)",
                        pos,
                    ));
                }
                Tok::Minus
            }
            '"' => {
                let (text, end) = quoted(input, pos)?;
                if text.is_empty() {
                    return Err(error("empty value: \"\" searches for nothing", pos));
                }
                i = end;
                Tok::Text(text)
            }
            _ => {
                let end = input[i..]
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .map_or(input.len(), |n| i + n);
                let word = &input[i..end];
                if let Some(name) = field_name(word) {
                    let Some(field) = Field::from_name(name) else {
                        let fields: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
                        return Err(error(
                            format!("unknown field `{name}`; fields: {}", fields.join(", ")),
                            pos,
                        ));
                    };
                    let value_pos = pos + name.len() + 1;
                    if field == Field::Jq || field == Field::Fql {
                        let code = &input[value_pos..];
                        if code.trim().is_empty() {
                            let what = if field == Field::Jq {
                                "a jq expression"
                            } else {
                                "an FQL condition"
                            };
                            return Err(error(
                                format!("empty value after `{}:`: expected {what}", field.name()),
                                value_pos,
                            ));
                        }
                        i = input.len();
                        if field == Field::Jq {
                            Tok::Jq {
                                code,
                                code_pos: value_pos,
                            }
                        } else {
                            Tok::Fql {
                                code,
                                code_pos: value_pos,
                            }
                        }
                    } else {
                        let value = if input[value_pos..].starts_with('"') {
                            let (value, after) = quoted(input, value_pos)?;
                            i = after;
                            value
                        } else {
                            i = end;
                            input[value_pos..end].to_string()
                        };
                        if value.is_empty() {
                            return Err(error(
                                format!("empty value after `{}:`", field.name()),
                                value_pos,
                            ));
                        }
                        Tok::Field {
                            field,
                            value,
                            value_pos,
                        }
                    }
                } else {
                    i = end;
                    if word.eq_ignore_ascii_case("or") {
                        Tok::Or
                    } else if word.eq_ignore_ascii_case("not") {
                        Tok::Not
                    } else {
                        Tok::Text(word.to_string())
                    }
                }
            }
        };
        tokens.push(Token { tok, pos });
    }
    Ok(tokens)
}

/// The field name of a `name:value` word: an ASCII identifier before the first `:`.
/// `https://…` stays free text.
fn field_name(word: &str) -> Option<&str> {
    let (name, rest) = word.split_once(':')?;
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    (ident && !rest.starts_with("//")).then_some(name)
}

/// Reads a `"…"` string starting at `start` (the opening quote): `\"` and `\\` are escapes,
/// any other backslash is literal. Returns the text and the offset after the closing quote,
/// which must end the term.
fn quoted(input: &str, start: usize) -> Result<(String, usize), FilterError> {
    let mut text = String::new();
    let mut chars = input[start + 1..].char_indices();
    while let Some((n, c)) = chars.next() {
        match c {
            '"' => {
                let end = start + 1 + n + 1;
                if input[end..]
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace() && c != '(' && c != ')')
                {
                    return Err(error(
                        "unexpected text right after a closing quote: separate terms with a space",
                        end,
                    ));
                }
                return Ok((text, end));
            }
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => text.push(e),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            },
            c => text.push(c),
        }
    }
    Err(error("unterminated quote: missing closing `\"`", start))
}

/// Reports unbalanced parentheses before anything is compiled, so that they are named
/// as such even when a `jq:` term swallowed the closing one.
fn check_parentheses(tokens: &[Token<'_>]) -> Result<(), FilterError> {
    let mut open = Vec::new();
    for t in tokens {
        match t.tok {
            Tok::LParen => open.push(t.pos),
            Tok::RParen if open.pop().is_none() => {
                return Err(error(
                    "unbalanced parenthesis: `)` without a matching `(`",
                    t.pos,
                ));
            }
            _ => {}
        }
    }
    match open.last() {
        None => Ok(()),
        Some(&pos) => {
            let rest = tokens.iter().find_map(|t| match t.tok {
                Tok::Jq { .. } => Some("jq"),
                Tok::Fql { .. } => Some("fql"),
                _ => None,
            });
            let hint = match rest {
                Some(name) => format!(
                    " (`{name}:` takes the rest of the input, so it cannot be inside parentheses)"
                ),
                None => String::new(),
            };
            Err(error(
                format!("unbalanced parenthesis: `(` is never closed{hint}"),
                pos,
            ))
        }
    }
}

/// How deeply parentheses and negations may nest (the parser and evaluation recurse).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    at: usize,
    /// Current nesting of parentheses and negations.
    depth: usize,
    highlights: Vec<String>,
    /// The destinations `routed:` and `dropped:` may name.
    destinations: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok<'_>> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    /// Whether the next token cannot start a term.
    fn at_term_end(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Or | Tok::RParen))
    }

    /// Runs `nested` one level deeper, refusing absurd nesting before it can overflow the
    /// stack.
    fn nest<T>(
        &mut self,
        pos: usize,
        nested: impl FnOnce(&mut Self) -> Result<T, FilterError>,
    ) -> Result<T, FilterError> {
        if self.depth == MAX_DEPTH {
            return Err(error(
                format!(
                    "too deeply nested: at most {MAX_DEPTH} levels of parentheses and negations"
                ),
                pos,
            ));
        }
        self.depth += 1;
        let result = nested(self);
        self.depth -= 1;
        result
    }

    fn dangling_or(pos: usize) -> FilterError {
        error("dangling `or`: it needs a term on each side", pos)
    }

    /// `negated`: whether an odd number of `not`/`-` applies (such terms are not highlighted).
    fn or(&mut self, negated: bool) -> Result<Node, FilterError> {
        if let Some(Tok::Or) = self.peek() {
            return Err(Self::dangling_or(self.tokens[self.at].pos));
        }
        let mut any = vec![self.and(negated)?];
        while let Some(Tok::Or) = self.peek() {
            let pos = self.tokens[self.at].pos;
            self.at += 1;
            if self.at_term_end() {
                return Err(Self::dangling_or(pos));
            }
            any.push(self.and(negated)?);
        }
        Ok(Node::or(any))
    }

    fn and(&mut self, negated: bool) -> Result<Node, FilterError> {
        let mut all = Vec::new();
        while !self.at_term_end() {
            all.push(self.unary(negated)?);
        }
        Ok(Node::and(all))
    }

    fn unary(&mut self, negated: bool) -> Result<Node, FilterError> {
        let token = &self.tokens[self.at];
        let what = match token.tok {
            Tok::Not => "dangling `not`: it must be followed by a term",
            Tok::Minus => "dangling `-`: it must be directly followed by a term",
            _ => return self.primary(negated),
        };
        let pos = token.pos;
        self.at += 1;
        if self.at_term_end() {
            return Err(error(what, pos));
        }
        let inner = self.nest(pos, |p| p.unary(!negated))?;
        Ok(Node::Not(Box::new(inner)))
    }

    fn primary(&mut self, negated: bool) -> Result<Node, FilterError> {
        let index = self.at;
        let pos = self.tokens[index].pos;
        self.at += 1;
        let predicate = match &self.tokens[index].tok {
            Tok::LParen => {
                if let Some(Tok::RParen) = self.peek() {
                    return Err(error("empty parentheses: expected a term inside", pos));
                }
                let inner = self.nest(pos, |p| p.or(negated))?;
                // Balance was checked up front, so this is the matching `)`.
                debug_assert!(matches!(self.peek(), Some(Tok::RParen)));
                self.at += 1;
                return Ok(inner);
            }
            Tok::Text(text) => {
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build([text])
                    .map_err(|e| error(format!("cannot search for this text: {e}"), pos))?;
                if !negated {
                    self.highlights.push(text.to_ascii_lowercase());
                }
                Predicate::Text(ac)
            }
            Tok::Field {
                field,
                value,
                value_pos,
            } => {
                let predicate = match field {
                    Field::Routed | Field::Dropped => {
                        route_predicate(*field, value, *value_pos, self.destinations)?
                    }
                    _ => field_predicate(*field, value, *value_pos)?,
                };
                if let (false, Predicate::Event(g) | Predicate::User(g) | Predicate::Id(g)) =
                    (negated, &predicate)
                {
                    self.highlights
                        .extend(g.literals().map(str::to_ascii_lowercase));
                }
                predicate
            }
            Tok::Jq { code, code_pos } => {
                let code_pos = *code_pos;
                let jq = JqFilter::compile(code).map_err(|e| {
                    error(
                        format!("invalid jq expression: {}", e.message),
                        code_pos + e.offset,
                    )
                })?;
                Predicate::Jq(std::sync::Arc::new(jq))
            }
            Tok::Fql { code, code_pos } => {
                let query = fql::Query::parse(code).map_err(|e| {
                    // FQL columns count characters from 1; filter errors are byte offsets.
                    let offset = code
                        .char_indices()
                        .nth(e.column.saturating_sub(1))
                        .map_or(code.len(), |(byte, _)| byte);
                    error(format!("invalid FQL: {}", e.message), *code_pos + offset)
                })?;
                Predicate::Fql(std::sync::Arc::new(query))
            }
            // `or`, `not`, `-` and `)` are handled by the callers before reaching here.
            Tok::RParen | Tok::Or | Tok::Not | Tok::Minus => {
                unreachable!("callers only reach a primary at the start of a term")
            }
        };
        Ok(Node::Pred(predicate))
    }
}

fn field_predicate(field: Field, value: &str, value_pos: usize) -> Result<Predicate, FilterError> {
    Ok(match field {
        Field::Type => Predicate::Type(value.to_ascii_lowercase().into()),
        Field::Event => Predicate::Event(Glob::new(value, true)),
        Field::User => Predicate::User(Glob::new(value, false)),
        Field::Id => Predicate::Id(Glob::new(value, false)),
        Field::Key => Predicate::Key(KeyPattern::new(value)),
        Field::Person => Predicate::Person(PersonTerm {
            value: value.into(),
            members: Arc::from([]),
        }),
        Field::Has => match Flag::from_name(value) {
            Some(flag) => Predicate::Has(flag),
            None => {
                let values: Vec<_> = Flag::ALL.iter().map(|f| f.name()).collect();
                return Err(error(
                    format!(
                        "unknown `has:` value `{value}`; values: {}",
                        values.join(", ")
                    ),
                    value_pos,
                ));
            }
        },
        // `rule:plan` is every `plan/…` rule: a value without `/` or `*` is a prefix.
        Field::Rule if !value.contains(['/', '*']) => {
            Predicate::Rule(Glob::new(&format!("{value}/*"), false))
        }
        Field::Rule => Predicate::Rule(Glob::new(value, false)),
        Field::Pii => match value.to_ascii_lowercase().as_str() {
            "red" => Predicate::Pii(super::PII_RED),
            "yellow" => Predicate::Pii(super::PII_YELLOW),
            _ => {
                return Err(error(
                    format!("unknown `pii:` class `{value}`; classes: red, yellow"),
                    value_pos,
                ));
            }
        },
        Field::Source => Predicate::Source(Glob::new(value, true), KeyPattern::new(value)),
        Field::Late | Field::Skew => {
            let Some(compare) = Compare::parse(value) else {
                return Err(error(
                    format!(
                        "`{}:{value}` is not a duration: write >5m, <30s, >2h (units ms, s, m, \
                         h, d)",
                        field.name()
                    ),
                    value_pos,
                ));
            };
            if field == Field::Late {
                Predicate::Late(compare)
            } else {
                Predicate::Skew(compare)
            }
        }
        Field::Jq | Field::Fql => unreachable!("`jq:` and `fql:` are lexed as their own tokens"),
        Field::Routed | Field::Dropped => {
            unreachable!("`routed:` and `dropped:` are compiled by `route_predicate`")
        }
    })
}

/// `routed:NAME`, `dropped:NAME` and `dropped:NAME:REASON`, NAME one of `destinations` (exactly,
/// or else ignoring ASCII case).
fn route_predicate(
    field: Field,
    value: &str,
    value_pos: usize,
    destinations: &[&str],
) -> Result<Predicate, FilterError> {
    let find = |name: &str| {
        destinations.iter().position(|d| *d == name).or_else(|| {
            destinations
                .iter()
                .position(|d| d.eq_ignore_ascii_case(name))
        })
    };
    let reasons = [
        Reason::Consent,
        Reason::Integrations,
        Reason::Filter,
        Reason::Unsupported,
    ];
    let (index, reason) = match find(value) {
        Some(index) => (index, None),
        None => match value.rsplit_once(':') {
            Some((name, reason)) if field == Field::Dropped => {
                let Some(index) = find(name) else {
                    return Err(unknown_destination(name, value_pos, destinations));
                };
                let Some(reason) = reasons
                    .into_iter()
                    .find(|r| r.as_str().eq_ignore_ascii_case(reason))
                else {
                    return Err(error(
                        format!(
                            "unknown reason `{reason}` in `dropped:`; reasons: consent, \
                             integrations, filter, unsupported"
                        ),
                        value_pos + name.len() + 1,
                    ));
                };
                (index, Some(reason))
            }
            _ => return Err(unknown_destination(value, value_pos, destinations)),
        },
    };
    if index >= crate::routing::MAX_OUTCOMES {
        return Err(error(
            format!(
                "`{}` is destination {} of {}: only the first {} are routed per message",
                destinations[index],
                index + 1,
                destinations.len(),
                crate::routing::MAX_OUTCOMES
            ),
            value_pos,
        ));
    }
    Ok(match field {
        Field::Routed => Predicate::Routed(index),
        _ => Predicate::Dropped(index, reason),
    })
}

fn unknown_destination(name: &str, position: usize, destinations: &[&str]) -> FilterError {
    if destinations.is_empty() {
        return error(
            format!(
                "no destination `{name}`: none is configured (`[[destination]]` tables in \
                 eventscope.toml)"
            ),
            position,
        );
    }
    error(
        format!(
            "unknown destination `{name}`; destinations: {}",
            destinations.join(", ")
        ),
        position,
    )
}
