//! `match()` patterns: whole-string, case-sensitive globs. `*` any run of characters (also
//! empty), `?` one character, `[abc]` one of, `[a-z]` a range, `[!a-z]` / `[^a-z]` none of,
//! `\x` the character `x`. Matching is O(text × pattern) (one backtrack point), never
//! exponential.

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Char(char),
    Any,
    Star,
    /// (negated, items) where an item is an inclusive range (a single char is `(c, c)`).
    Class(bool, Vec<(char, char)>),
}

impl Piece {
    fn matches(&self, c: char) -> bool {
        match self {
            Piece::Char(p) => *p == c,
            Piece::Any => true,
            Piece::Star => false,
            Piece::Class(negated, items) => {
                items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glob(Vec<Piece>);

impl Glob {
    /// Compiles `pattern`; the error names the character offset (0-based) and what was expected.
    pub(crate) fn compile(pattern: &str) -> Result<Glob, (usize, String)> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                    i += 1;
                }
                '?' => {
                    pieces.push(Piece::Any);
                    i += 1;
                }
                '\\' => match chars.get(i + 1) {
                    Some(&c) => {
                        pieces.push(Piece::Char(c));
                        i += 2;
                    }
                    None => return Err((i, "expected a character after `\\`".into())),
                },
                '[' => {
                    let (piece, len) = class(&chars[i..]).map_err(|(at, m)| (i + at, m))?;
                    pieces.push(piece);
                    i += len;
                }
                c => {
                    pieces.push(Piece::Char(c));
                    i += 1;
                }
            }
        }
        Ok(Glob(pieces))
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        let pattern = &self.0;
        // `t` is a byte offset into `text`, always on a character boundary.
        let next_char = |t: usize| text.get(t..).and_then(|rest| rest.chars().next());
        let (mut t, mut p) = (0, 0);
        // The last `*` seen and the text offset it currently absorbs up to.
        let mut backtrack: Option<(usize, usize)> = None;
        while let Some(c) = next_char(t) {
            match pattern.get(p) {
                Some(Piece::Star) => {
                    backtrack = Some((p, t));
                    p += 1;
                }
                Some(piece) if piece.matches(c) => {
                    p += 1;
                    t += c.len_utf8();
                }
                _ => match backtrack {
                    Some((star, absorbed)) => {
                        let absorbed = absorbed + next_char(absorbed).map_or(1, char::len_utf8);
                        backtrack = Some((star, absorbed));
                        p = star + 1;
                        t = absorbed;
                    }
                    None => return false,
                },
            }
        }
        pattern[p.min(pattern.len())..]
            .iter()
            .all(|piece| *piece == Piece::Star)
    }
}

/// `[...]` at the start of `chars`: the piece and how many characters it took.
fn class(chars: &[char]) -> Result<(Piece, usize), (usize, String)> {
    let mut i = 1;
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let lo = match chars.get(i) {
            None => return Err((chars.len(), "expected `]` to close the `[` class".into())),
            Some(']') if !first => return Ok((Piece::Class(negated, items), i + 1)),
            Some('\\') => {
                i += 1;
                *chars
                    .get(i)
                    .ok_or((i, "expected a character after `\\`".to_string()))?
            }
            Some(&c) => c,
        };
        i += 1;
        first = false;
        let hi = if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            i += 1;
            let hi = match chars.get(i) {
                Some('\\') => {
                    i += 1;
                    *chars
                        .get(i)
                        .ok_or((i, "expected a character after `\\`".to_string()))?
                }
                Some(&c) => c,
                None => return Err((i, "expected the end of the range".into())),
            };
            i += 1;
            if hi < lo {
                return Err((
                    i - 1,
                    format!("expected a range in order, `{lo}-{hi}` is reversed"),
                ));
            }
            hi
        } else {
            lo
        };
        items.push((lo, hi));
    }
}
