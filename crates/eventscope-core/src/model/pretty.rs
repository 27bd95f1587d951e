//! Pretty-printing of a JSON text for the detail pane, without building a `serde_json::Value`.
//!
//! The raw text is re-indented by a small hand-written tokenizer, so key order, duplicate keys,
//! number literals (`42.50`, `1e-7`, big integers) and string escapes stay exactly as sent.
//! Every output line knows the JSON path of the value that starts on it, so findings about a
//! field can be shown under its line.
//!
//! Paths: `""` for the root, `.`-joined identifier keys (`properties.revenue`), `[i]` for array
//! elements (`properties.products[0].price`), and `["…"]` for keys that are not identifiers
//! (`context["user-agent"]`), the key escaped as a JSON string. [`key_path`] and
//! [`index_path`] build the same paths for code that walks a parsed value.

use std::borrow::Cow;
use std::ops::Range;

/// Two spaces per level.
const INDENT: &str = "  ";

/// Deeper documents are shown raw (serde_json refuses them too).
const MAX_DEPTH: usize = 128;

/// A JSON text laid out one value per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrettyDoc {
    pub lines: Vec<PrettyLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrettyLine {
    /// The line as shown, e.g. `    "revenue": 42.50,`.
    pub text: String,
    /// JSON path of the value that starts on this line (`""` for the root); a closing-bracket
    /// line carries the path of the container it closes. Empty on raw (fallback) lines.
    pub path: String,
    /// Nesting depth: the indentation is `2 * depth` spaces.
    pub depth: u16,
    /// Byte range of the key, quotes included, within `text`.
    pub key: Option<Range<usize>>,
    /// Byte range of a scalar value (string with quotes, number, `true`, `false`, `null`)
    /// within `text`; `None` for brackets, empty containers and raw lines.
    pub value: Option<Range<usize>>,
    /// On the opening line of a non-empty container whose closing line was laid out: where
    /// it closes and how many items or keys it holds (what folding needs).
    pub fold: Option<Fold>,
}

/// A non-empty container seen from its opening line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    /// The index of its closing-bracket line (greater than the opening line's).
    pub close: usize,
    /// Its elements (an array) or members (an object).
    pub items: usize,
    /// An object (`{…}`), else an array.
    pub object: bool,
}

impl PrettyLine {
    /// Cuts the text (and the path) to at most `max` bytes on a character boundary, ending
    /// with `…`; the key and value ranges are kept within what is left.
    fn cut(&mut self, max: usize) {
        if self.text.len() > max {
            let end = floor_boundary(&self.text, max.saturating_sub('…'.len_utf8()));
            self.text.truncate(end);
            self.text.push('…');
            let clamp = |range: &mut Option<Range<usize>>| {
                if let Some(r) = range {
                    *r = r.start.min(end)..r.end.min(end);
                }
            };
            clamp(&mut self.key);
            clamp(&mut self.value);
        }
        if self.path.len() > max {
            let end = floor_boundary(&self.path, max);
            self.path.truncate(end);
            self.path.shrink_to_fit();
        }
    }

    fn raw(text: &str) -> PrettyLine {
        PrettyLine {
            text: text.to_string(),
            path: String::new(),
            depth: 0,
            key: None,
            value: None,
            fold: None,
        }
    }
}

impl PrettyDoc {
    /// The first line whose path equals `path`: for a container, its opening line.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        self.lines.iter().position(|line| line.path == path)
    }
}

/// Pretty-prints `json` with a 2-space indent, `"key": value`, and empty `{}` / `[]` on one
/// line. Text that is not one valid JSON value comes back raw, split on newlines, with empty
/// paths; this never panics.
pub fn pretty(json: &str) -> PrettyDoc {
    pretty_within(json, Bounds::NONE).0
}

/// How much of a document [`pretty_within`] lays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Lines at most.
    pub lines: usize,
    /// Bytes of a line's text (and of its path) at most: longer lines are cut on a character
    /// boundary and end with `…`.
    pub line_bytes: usize,
    /// Bytes of text in all the lines: the layout stops after the line that reaches it.
    pub total_bytes: usize,
}

impl Bounds {
    /// Everything.
    pub const NONE: Bounds = Bounds {
        lines: usize::MAX,
        line_bytes: usize::MAX,
        total_bytes: usize::MAX,
    };
}

/// [`pretty`] within `bounds`; true when lines were left out at the end. A document that ends
/// early is shown as far as it goes, even if the rest would not have parsed.
pub fn pretty_within(json: &str, bounds: Bounds) -> (PrettyDoc, bool) {
    let mut formatter = Formatter::new(json, bounds);
    let lines = match formatter.run() {
        Some(()) => formatter.lines,
        None => {
            formatter.lines.clear();
            formatter.text_bytes = 0;
            for line in json.lines() {
                if formatter.full() {
                    break;
                }
                formatter.add(PrettyLine::raw(line));
            }
            formatter.lines
        }
    };
    (PrettyDoc { lines }, formatter.cut)
}

/// The path of member `key` of the container at `parent`.
pub fn key_path(parent: &str, key: &str) -> String {
    let mut path = String::with_capacity(parent.len() + key.len() + 5);
    path.push_str(parent);
    if is_identifier(key) {
        if !parent.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push('[');
        // Serializing a string cannot fail.
        path.push_str(&serde_json::to_string(key).unwrap_or_default());
        path.push(']');
    }
    path
}

/// The path of element `index` of the array at `parent`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Keys written with a dot: the identifiers of jq, `[A-Za-z_][A-Za-z0-9_]*`.
fn is_identifier(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The value of a key token (quotes included), for its path.
fn decode_key(raw: &str) -> Cow<'_, str> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    // Escapes the tokenizer accepts but serde_json does not (a lone surrogate) keep the raw text.
    serde_json::from_str::<String>(raw)
        .map(Cow::Owned)
        .unwrap_or(Cow::Borrowed(inner))
}

/// The largest index at most `at` that is a character boundary of `text`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn head(text: &str, max: usize) -> &str {
    &text[..floor_boundary(text, max)]
}

/// An open, non-empty container.
struct Open {
    path: String,
    close: u8,
    /// Items read so far (the next element's index).
    next_index: usize,
    /// Its opening line.
    line: usize,
}

/// One value still to read: its path and the byte range of its key in the source.
struct Next {
    path: String,
    key: Option<Range<usize>>,
}

struct Formatter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    lines: Vec<PrettyLine>,
    bounds: Bounds,
    /// Bytes of text in `lines`.
    text_bytes: usize,
    /// The bounds were reached: lines were left out.
    cut: bool,
}

impl<'a> Formatter<'a> {
    fn new(src: &'a str, bounds: Bounds) -> Formatter<'a> {
        Formatter {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            lines: Vec::new(),
            bounds,
            text_bytes: 0,
            cut: false,
        }
    }

    /// True (and `cut` set) when no more lines fit the bounds.
    fn full(&mut self) -> bool {
        if self.lines.len() >= self.bounds.lines || self.text_bytes >= self.bounds.total_bytes {
            self.cut = true;
        }
        self.cut
    }

    fn add(&mut self, mut line: PrettyLine) {
        line.cut(self.bounds.line_bytes);
        self.text_bytes += line.text.len();
        self.lines.push(line);
    }

    /// Lays out the lines; `None` when the text is not exactly one JSON value (unless the
    /// bounds stopped it first).
    fn run(&mut self) -> Option<()> {
        let mut stack: Vec<Open> = Vec::new();
        let mut next = Some(Next {
            path: String::new(),
            key: None,
        });
        loop {
            if self.full() {
                return Some(());
            }
            if let Some(Next { path, key }) = next.take() {
                self.skip_ws();
                let depth = stack.len();
                let start = self.pos;
                match self.peek()? {
                    open @ (b'{' | b'[') => {
                        let close = if open == b'{' { b'}' } else { b']' };
                        self.pos += 1;
                        self.skip_ws();
                        if self.peek()? == close {
                            self.pos += 1;
                            let body = if open == b'{' { "{}" } else { "[]" };
                            self.push(depth, path, key, body, false);
                        } else {
                            if depth >= MAX_DEPTH {
                                return None;
                            }
                            let body = if open == b'{' { "{" } else { "[" };
                            let line = self.lines.len();
                            self.push(depth, path.clone(), key, body, false);
                            next = Some(if open == b'{' {
                                self.member(&path)?
                            } else {
                                Next {
                                    path: index_path(&path, 0),
                                    key: None,
                                }
                            });
                            stack.push(Open {
                                path,
                                close,
                                next_index: 1,
                                line,
                            });
                            continue;
                        }
                    }
                    b'"' => {
                        self.string()?;
                        self.push_scalar(depth, path, key, start);
                    }
                    b'-' | b'0'..=b'9' => {
                        self.number()?;
                        self.push_scalar(depth, path, key, start);
                    }
                    b't' | b'f' | b'n' => {
                        self.literal()?;
                        self.push_scalar(depth, path, key, start);
                    }
                    _ => return None,
                }
            }

            // A value is complete: what follows depends on the container it is in.
            self.skip_ws();
            let Some(top) = stack.last_mut() else {
                return (self.pos == self.bytes.len()).then_some(());
            };
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    let last = self.lines.last_mut()?;
                    // A cut line ends with `…` (a whole one ends with a quote, a digit, a
                    // letter or a bracket) and stays within its bound.
                    if !last.text.ends_with('…') {
                        last.text.push(',');
                        self.text_bytes += 1;
                    }
                    let index = top.next_index;
                    top.next_index += 1;
                    next = Some(if top.close == b'}' {
                        let parent = top.path.clone();
                        self.member(&parent)?
                    } else {
                        Next {
                            path: index_path(&top.path, index),
                            key: None,
                        }
                    });
                }
                byte if byte == top.close => {
                    self.pos += 1;
                    let open = stack.pop()?;
                    let body = if open.close == b'}' { "}" } else { "]" };
                    let close = self.lines.len();
                    self.push(stack.len(), open.path, None, body, false);
                    if let Some(opening) = self.lines.get_mut(open.line) {
                        opening.fold = Some(Fold {
                            close,
                            items: open.next_index,
                            object: open.close == b'}',
                        });
                    }
                }
                _ => return None,
            }
        }
    }

    /// Reads `"key":` of an object member of `parent`.
    fn member(&mut self, parent: &str) -> Option<Next> {
        self.skip_ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.pos;
        self.string()?;
        let key = start..self.pos;
        self.skip_ws();
        if self.peek()? != b':' {
            return None;
        }
        self.pos += 1;
        Some(Next {
            path: key_path(parent, &decode_key(&self.src[key.clone()])),
            key: Some(key),
        })
    }

    fn push_scalar(&mut self, depth: usize, path: String, key: Option<Range<usize>>, start: usize) {
        let src = self.src;
        self.push(depth, path, key, &src[start..self.pos], true);
    }

    fn push(
        &mut self,
        depth: usize,
        path: String,
        key: Option<Range<usize>>,
        body: &str,
        scalar: bool,
    ) {
        // Only what can be shown is copied: a little more than the line's bound, so that
        // cutting it leaves its `…`.
        let most = self.bounds.line_bytes.saturating_add(4);
        let key_text = key.map(|range| head(&self.src[range], most));
        let body = head(body, most);
        let mut text = String::with_capacity(
            depth * INDENT.len() + key_text.map_or(0, |k| k.len() + 2) + body.len() + 1,
        );
        for _ in 0..depth {
            text.push_str(INDENT);
        }
        let key = key_text.map(|k| {
            let start = text.len();
            text.push_str(k);
            text.push_str(": ");
            start..start + k.len()
        });
        let value_start = text.len();
        text.push_str(body);
        self.add(PrettyLine {
            text,
            path,
            // MAX_DEPTH keeps this in range.
            depth: depth as u16,
            key,
            value: scalar.then(|| value_start..value_start + body.len()),
            fold: None,
        });
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// A string token, at its opening quote.
    fn string(&mut self) -> Option<()> {
        self.pos += 1;
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.pos + 1..self.pos + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.pos += 5;
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// A number token: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.digits();
        (self.pos > start).then_some(())
    }

    fn literal(&mut self) -> Option<()> {
        let rest = &self.bytes[self.pos..];
        let len = [&b"true"[..], b"false", b"null"]
            .into_iter()
            .find(|word| rest.starts_with(word))?
            .len();
        self.pos += len;
        Some(())
    }
}

#[cfg(test)]
mod tests;
