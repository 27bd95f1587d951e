//! Splits FQL text into tokens, each with the 1-based column (in characters) it starts at.

use super::FqlError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A dot path; `bare` when it is one segment written without escapes (a keyword or a
    /// function name is never escaped).
    Path {
        segments: Vec<String>,
        bare: bool,
    },
    Str(String),
    Num(f64),
    True,
    False,
    Null,
    And,
    Or,
    In,
    Not,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

impl Tok {
    /// How an error message names it.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Path { segments, .. } => format!("path `{}`", segments.join(".")),
            Tok::Str(_) => "a string".into(),
            Tok::Num(n) => format!("number {n}"),
            Tok::True => "`true`".into(),
            Tok::False => "`false`".into(),
            Tok::Null => "`null`".into(),
            Tok::And => "`and`".into(),
            Tok::Or => "`or`".into(),
            Tok::In => "`in`".into(),
            Tok::Not => "`!`".into(),
            Tok::Eq => "`=`".into(),
            Tok::Ne => "`!=`".into(),
            Tok::Gt => "`>`".into(),
            Tok::Ge => "`>=`".into(),
            Tok::Lt => "`<`".into(),
            Tok::Le => "`<=`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::End => "the end of the statement".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub column: usize,
}

/// Characters a path segment may hold without a `\` escape.
pub(super) fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, FqlError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two = chars.get(i + 1).copied();
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '=' if two == Some('=') => {
                return Err(FqlError::at(column, "expected `=` (FQL has no `==`)"));
            }
            '=' => (Tok::Eq, 1),
            '!' if two == Some('=') => (Tok::Ne, 2),
            '!' => (Tok::Not, 1),
            '>' if two == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '<' if two == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '\'' | '"' => {
                let (s, len) = string(&chars[i..], column)?;
                (Tok::Str(s), len)
            }
            '-' | '0'..='9' => {
                let (n, len) = number(&chars[i..], column)?;
                (Tok::Num(n), len)
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '\\' => path(&chars[i..], column)?,
            other => {
                return Err(FqlError::at(
                    column,
                    format!(
                        "expected a path, a literal, an operator or a parenthesis, found `{other}`"
                    ),
                ));
            }
        };
        tokens.push(Token { tok, column });
        i += len;
    }
    tokens.push(Token {
        tok: Tok::End,
        column: chars.len() + 1,
    });
    Ok(tokens)
}

/// A quoted string (either quote); `\x` stands for `x`.
fn string(chars: &[char], column: usize) -> Result<(String, usize), FqlError> {
    let quote = chars[0];
    let mut out = String::new();
    let mut i = 1;
    loop {
        match chars.get(i) {
            None => {
                return Err(FqlError::at(
                    column + i,
                    format!("expected a closing {quote} for the string opened at column {column}"),
                ));
            }
            Some('\\') => match chars.get(i + 1) {
                Some(&c) => {
                    out.push(c);
                    i += 2;
                }
                None => {
                    return Err(FqlError::at(column + i, "expected a character after `\\`"));
                }
            },
            Some(&c) if c == quote => return Ok((out, i + 1)),
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// `-?digits(.digits)?([eE][+-]?digits)?`
fn number(chars: &[char], column: usize) -> Result<(f64, usize), FqlError> {
    let mut i = 0;
    if chars[0] == '-' {
        i += 1;
    }
    let digits = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let int = digits(i);
    if int == 0 {
        return Err(FqlError::at(column + i, "expected a digit"));
    }
    i += int;
    if chars.get(i) == Some(&'.') {
        let frac = digits(i + 1);
        if frac == 0 {
            return Err(FqlError::at(column + i + 1, "expected a digit after `.`"));
        }
        i += 1 + frac;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        let exp = digits(j);
        if exp == 0 {
            return Err(FqlError::at(column + j, "expected a digit in the exponent"));
        }
        i = j + exp;
    }
    if chars.get(i).is_some_and(|&c| is_path_char(c) || c == '\\') {
        return Err(FqlError::at(
            column + i,
            "expected an operator after the number",
        ));
    }
    let text: String = chars[..i].iter().collect();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((n, i)),
        _ => Err(FqlError::at(column, "expected a finite number")),
    }
}

/// A dot path with `\` escapes, or a keyword.
fn path(chars: &[char], column: usize) -> Result<(Tok, usize), FqlError> {
    let mut segments = vec![String::new()];
    let mut escaped = false;
    let mut i = 0;
    loop {
        match chars.get(i) {
            Some('\\') => match chars.get(i + 1) {
                Some(&c) => {
                    escaped = true;
                    if let Some(s) = segments.last_mut() {
                        s.push(c);
                    }
                    i += 2;
                }
                None => return Err(FqlError::at(column + i, "expected a character after `\\`")),
            },
            Some('.') => {
                if segments.last().is_some_and(String::is_empty) {
                    return Err(FqlError::at(
                        column + i,
                        "expected a path segment before `.`",
                    ));
                }
                segments.push(String::new());
                i += 1;
            }
            Some(&c) if is_path_char(c) => {
                if let Some(s) = segments.last_mut() {
                    s.push(c);
                }
                i += 1;
            }
            _ => break,
        }
    }
    if segments.last().is_some_and(String::is_empty) {
        return Err(FqlError::at(
            column + i,
            "expected a path segment after `.`",
        ));
    }
    let bare = !escaped && segments.len() == 1;
    let tok = match segments[0].as_str() {
        "true" if bare => Tok::True,
        "false" if bare => Tok::False,
        "null" if bare => Tok::Null,
        "and" if bare => Tok::And,
        "or" if bare => Tok::Or,
        "in" if bare => Tok::In,
        _ => Tok::Path { segments, bare },
    };
    Ok((tok, i))
}
