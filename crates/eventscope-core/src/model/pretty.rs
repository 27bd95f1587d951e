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
    next_index: usize,
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
                    next = Some(if top.close == b'}' {
                        let parent = top.path.clone();
                        self.member(&parent)?
                    } else {
                        let index = top.next_index;
                        top.next_index += 1;
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
                    self.push(stack.len(), open.path, None, body, false);
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
mod tests {
    use super::*;

    fn texts(doc: &PrettyDoc) -> Vec<&str> {
        doc.lines.iter().map(|l| l.text.as_str()).collect()
    }

    fn paths(doc: &PrettyDoc) -> Vec<&str> {
        doc.lines.iter().map(|l| l.path.as_str()).collect()
    }

    fn reparsed(doc: &PrettyDoc) -> serde_json::Value {
        let joined: String = doc.lines.iter().map(|l| l.text.trim()).collect();
        serde_json::from_str(&joined).expect("pretty output is JSON")
    }

    #[test]
    fn nested_objects_and_arrays() {
        let doc = pretty(r#"{"a":1,"b":{"c":[true,false,null],"d":"x"},"e":[[1,2],{"f":3}]}"#);
        assert_eq!(
            texts(&doc),
            [
                "{",
                r#"  "a": 1,"#,
                r#"  "b": {"#,
                r#"    "c": ["#,
                "      true,",
                "      false,",
                "      null",
                "    ],",
                r#"    "d": "x""#,
                "  },",
                r#"  "e": ["#,
                "    [",
                "      1,",
                "      2",
                "    ],",
                "    {",
                r#"      "f": 3"#,
                "    }",
                "  ]",
                "}",
            ]
        );
        assert_eq!(
            paths(&doc),
            [
                "", "a", "b", "b.c", "b.c[0]", "b.c[1]", "b.c[2]", "b.c", "b.d", "b", "e", "e[0]",
                "e[0][0]", "e[0][1]", "e[0]", "e[1]", "e[1].f", "e[1]", "e", "",
            ]
        );
        let depths: Vec<u16> = doc.lines.iter().map(|l| l.depth).collect();
        assert_eq!(
            depths,
            [0, 1, 1, 2, 3, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 2, 3, 2, 1, 0]
        );
    }

    #[test]
    fn empty_containers_stay_on_one_line() {
        let doc = pretty(r#" { "a" : { } , "b":[ ],"c":[{}, []] } "#);
        assert_eq!(
            texts(&doc),
            [
                "{",
                r#"  "a": {},"#,
                r#"  "b": [],"#,
                r#"  "c": ["#,
                "    {},",
                "    []",
                "  ]",
                "}",
            ]
        );
        assert_eq!(paths(&doc), ["", "a", "b", "c", "c[0]", "c[1]", "c", ""]);
        assert!(doc.lines.iter().all(|l| l.value.is_none()));
        assert_eq!(texts(&pretty("{}")), ["{}"]);
        assert_eq!(texts(&pretty("\n[ \t]\r\n")), ["[]"]);
    }

    #[test]
    fn scalar_roots() {
        for text in ["0", "-1.5", "\"x\"", "true", "false", "null"] {
            let doc = pretty(text);
            assert_eq!(texts(&doc), [text]);
            assert_eq!(doc.lines[0].value, Some(0..text.len()));
            assert_eq!(doc.lines[0].path, "");
        }
        let doc = pretty("[1]");
        assert_eq!(paths(&doc), ["", "[0]", ""]);
    }

    #[test]
    fn escapes_are_kept_byte_exact() {
        let input = r#"{"s":"say \"hi\" \\ caf\u00e9 \/ \n\t","k\"ey":"é🙂"}"#;
        let doc = pretty(input);
        assert_eq!(
            texts(&doc),
            [
                "{",
                r#"  "s": "say \"hi\" \\ caf\u00e9 \/ \n\t","#,
                r#"  "k\"ey": "é🙂""#,
                "}",
            ]
        );
        assert_eq!(paths(&doc), ["", "s", r#"["k\"ey"]"#, ""]);
        assert_eq!(
            reparsed(&doc),
            serde_json::from_str::<serde_json::Value>(input).unwrap()
        );
    }

    #[test]
    fn key_and_value_ranges() {
        let doc = pretty(r#"{"properties":{"revenue":42.50,"tags":["a"]}}"#);
        let line = &doc.lines[2];
        assert_eq!(line.text, r#"    "revenue": 42.50,"#);
        assert_eq!(&line.text[line.key.clone().unwrap()], r#""revenue""#);
        assert_eq!(&line.text[line.value.clone().unwrap()], "42.50");
        let open = &doc.lines[1];
        assert_eq!(&open.text[open.key.clone().unwrap()], r#""properties""#);
        assert_eq!(open.value, None);
        let element = &doc.lines[4];
        assert_eq!(element.text, r#"      "a""#);
        assert_eq!(element.key, None);
        assert_eq!(&element.text[element.value.clone().unwrap()], r#""a""#);
    }

    #[test]
    fn odd_keys_are_bracketed() {
        let doc = pretty(
            r#"{"context":{"user-agent":"x","a b":1,"ok_1":2,"1x":3,"":4,"caf\u00e9":5,"_u":6,"$set":7}}"#,
        );
        assert_eq!(
            paths(&doc),
            [
                "",
                "context",
                r#"context["user-agent"]"#,
                r#"context["a b"]"#,
                "context.ok_1",
                r#"context["1x"]"#,
                r#"context[""]"#,
                r#"context["café"]"#,
                "context._u",
                r#"context["$set"]"#,
                "context",
                "",
            ]
        );
        assert_eq!(key_path("", "user-agent"), r#"["user-agent"]"#);
        assert_eq!(key_path("", "userId"), "userId");
        assert_eq!(index_path("products", 3), "products[3]");
    }

    #[test]
    fn numbers_are_kept_exactly() {
        let numbers = [
            "1e-7",
            "42.50",
            "-0",
            "-0.0",
            "1E+10",
            "2.5e3",
            "123456789012345678901234567890",
            "0.1000",
        ];
        let input = format!("[{}]", numbers.join(","));
        let doc = pretty(&input);
        for (i, number) in numbers.iter().enumerate() {
            let line = &doc.lines[i + 1];
            assert_eq!(&line.text[line.value.clone().unwrap()], *number);
            assert_eq!(line.path, format!("[{i}]"));
        }
    }

    #[test]
    fn path_and_line_of() {
        let doc = pretty(
            r#"{"properties":{"revenue":42.50,"products":[{"price":1},{"price":2}]},"context":{"user-agent":"x"}}"#,
        );
        let at = |path: &str| doc.line_of(path).map(|i| doc.lines[i].text.trim());
        assert_eq!(at(""), Some("{"));
        assert_eq!(at("properties.revenue"), Some(r#""revenue": 42.50,"#));
        assert_eq!(at("properties.products"), Some(r#""products": ["#));
        assert_eq!(at("properties.products[1].price"), Some(r#""price": 2"#));
        assert_eq!(at(r#"context["user-agent"]"#), Some(r#""user-agent": "x""#));
        assert_eq!(at("properties.missing"), None);
        // The closing line of a container carries its path, after the opening line.
        let closing = doc
            .lines
            .iter()
            .rposition(|l| l.path == "properties")
            .unwrap();
        assert_eq!(doc.lines[closing].text, "  },");
        assert!(closing > doc.line_of("properties").unwrap());
    }

    #[test]
    fn invalid_json_falls_back_to_raw_lines() {
        let cases = [
            "",
            "   ",
            "{\"a\": [1, 2",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "{1:2}",
            "tru",
            "nul",
            "01",
            "1.",
            "1e",
            "-",
            "+1",
            ".5",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"unterminated",
            "\"tab\tinside\"",
            "{} x",
            "{}{}",
            "[1]]",
            "{\"a\":1]",
            "\u{feff}{}",
            "line one\nline two\r\n{",
        ];
        for case in cases {
            let doc = pretty(case);
            let expected: Vec<&str> = case.lines().collect();
            assert_eq!(texts(&doc), expected, "input {case:?}");
            assert!(doc.lines.iter().all(|l| l.path.is_empty()
                && l.key.is_none()
                && l.value.is_none()
                && l.depth == 0));
        }
    }

    #[test]
    fn truncations_never_panic() {
        let input = r#"{"a":[1,{"b":"c\"\u00e9"},-2.5e+3,true,null,{}],"d":{"e":[]}}"#;
        for end in 0..input.len() {
            if input.is_char_boundary(end) {
                let _ = pretty(&input[..end]);
            }
        }
        assert_eq!(pretty(input).lines.len(), 15);
    }

    #[test]
    fn deep_nesting_falls_back() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(pretty(&ok).lines.len(), 2 * MAX_DEPTH - 1);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(pretty(&deep).lines.len(), 1);
    }

    #[test]
    fn fixture_messages_round_trip() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/events.ndjson"
        );
        let fixture = std::fs::read_to_string(path).expect("fixture");
        let largest = fixture.lines().max_by_key(|l| l.len()).unwrap();
        assert!(largest.len() > 9_000);
        for line in fixture.lines() {
            let doc = pretty(line);
            assert!(doc.lines.len() > 1);
            assert_eq!(
                reparsed(&doc),
                serde_json::from_str::<serde_json::Value>(line).unwrap()
            );
            // The output is fully re-indented: keys and values sit where the ranges say.
            for l in &doc.lines {
                assert!(l.text.starts_with(&INDENT.repeat(l.depth as usize)));
                if let Some(key) = &l.key {
                    assert!(l.text[key.clone()].starts_with('"'));
                }
            }
        }
        let doc = pretty(largest);
        let message: serde_json::Value = serde_json::from_str(largest).unwrap();
        // Every scalar line's path leads to the value on it.
        for l in doc.lines.iter().filter(|l| l.value.is_some()) {
            let value: serde_json::Value =
                serde_json::from_str(&l.text[l.value.clone().unwrap()]).unwrap();
            assert_eq!(lookup(&message, &l.path), Some(&value), "path {}", l.path);
        }
    }

    /// Follows a path made only of identifier keys and indexes (enough for the fixture).
    fn lookup<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
        let mut current = value;
        for part in path.split('.') {
            let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
            if !name.is_empty() {
                current = current.get(name)?;
            }
            if !indexes.is_empty() {
                for index in indexes.trim_end_matches(']').split("][") {
                    current = current.get(index.parse::<usize>().ok()?)?;
                }
            }
        }
        Some(current)
    }

    #[test]
    fn bounds_cut_long_lines_on_a_character_boundary_and_stop_at_the_budget() {
        let json = format!(
            r#"{{"a":"{}","b":[1,2,3],"c":"é{}"}}"#,
            "x".repeat(100),
            "é".repeat(50)
        );
        let bounds = Bounds {
            lines: 100,
            line_bytes: 40,
            total_bytes: usize::MAX,
        };
        let (doc, cut) = pretty_within(&json, bounds);
        assert!(!cut);
        assert_eq!(texts(&doc), pretty_texts_cut(&json, 40));
        for line in &doc.lines {
            assert!(line.text.len() <= 40, "{:?}", line.text);
            if let Some(value) = &line.value {
                assert!(line.text.get(value.clone()).is_some());
            }
        }
        assert!(doc.lines[1].text.ends_with('…') && !doc.lines[1].text.ends_with(",…"));
        let (doc, cut) = pretty_within(
            &json,
            Bounds {
                lines: 3,
                ..Bounds::NONE
            },
        );
        assert!(cut);
        assert_eq!(doc.lines.len(), 3);
        let (doc, cut) = pretty_within(
            &json,
            Bounds {
                total_bytes: 10,
                ..Bounds::NONE
            },
        );
        assert!(cut);
        assert_eq!(doc.lines.len(), 2, "{:?}", texts(&doc));
        let (whole, cut) = pretty_within(&json, Bounds::NONE);
        assert!(!cut);
        assert_eq!(whole, pretty(&json));
    }

    /// `pretty`'s lines, each cut as the bounds cut it.
    fn pretty_texts_cut(json: &str, max: usize) -> Vec<String> {
        pretty(json)
            .lines
            .into_iter()
            .map(|mut line| {
                line.cut(max);
                line.text
            })
            .collect()
    }

    #[test]
    fn text_that_is_not_json_is_bounded_too() {
        let text = format!("not json\n{}\nthird\nfourth", "y".repeat(1000));
        let (doc, cut) = pretty_within(
            &text,
            Bounds {
                lines: 3,
                line_bytes: 10,
                total_bytes: usize::MAX,
            },
        );
        assert!(cut);
        assert_eq!(texts(&doc), ["not json", "yyyyyyy…", "third"]);
    }
}
