//! One JSON grammar for the collector and every reader, and one line per frame.
//!
//! The collector keeps each value's text exactly as the SDK sent it (key order, number literals,
//! string escapes), checked by serde_json but not rebuilt. Two things about that text must still
//! change or be refused before it goes into a frame:
//! - **insignificant whitespace** (newlines of a pretty-printed body, as curl and Postman users
//!   send) is removed, so a frame is always one NDJSON line. Inside strings nothing changes:
//!   a JSON string cannot hold a raw newline, so removing whitespace outside strings is enough.
//! - what serde_json's *skipping* parser lets through but its *building* parser (every reader:
//!   `check`, `open`, the viewer, jq) refuses: nesting deeper than [`MAX_DEPTH`], lone UTF-16
//!   surrogates in `\u` escapes, and numbers beyond `f64` (`1e400`). These are refused with
//!   their own codes, so that what the collector accepts, every reader reads.
//!
//! The input must already be valid JSON (serde_json accepted it): this is one byte pass for
//! the checks and the copy, not a parser.

use std::fmt;

/// Deepest nesting of objects and arrays a message may have (the message object is level 1).
/// A frame wraps its message one level deeper, well inside serde_json's limit of 128.
pub const MAX_DEPTH: usize = 100;

/// Why a message's JSON is refused although it parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Objects and arrays nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A `\uD800`–`\uDFFF` escape not part of a surrogate pair; `at` is its byte offset.
    LoneSurrogate { at: usize, escape: String },
    /// A number that does not fit a 64-bit float, such as `1e400`.
    NumberOutOfRange { literal: String },
}

impl JsonProblem {
    /// The stable code in the collector's answer and `rejected` frame.
    pub fn code(&self) -> &'static str {
        match self {
            JsonProblem::TooDeep => "too_deep",
            JsonProblem::LoneSurrogate { .. } => "lone_surrogate",
            JsonProblem::NumberOutOfRange { .. } => "number_out_of_range",
        }
    }
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonProblem::TooDeep => write!(
                f,
                "objects and arrays are nested deeper than {MAX_DEPTH} levels; JSON readers refuse such messages"
            ),
            JsonProblem::LoneSurrogate { at, escape } => write!(
                f,
                "the string escape {escape} at byte {at} is half of a UTF-16 surrogate pair; JSON readers refuse it (send the character itself, or both halves)"
            ),
            JsonProblem::NumberOutOfRange { literal } => {
                let shown = crate::model::cut_to(literal, 40);
                write!(
                    f,
                    "the number {shown} is out of range for a 64-bit float; JSON readers refuse it (send it as a string)"
                )
            }
        }
    }
}

/// Checks `text`, a JSON value nested `depth` levels deep, and returns it without insignificant
/// whitespace: `None` when it has none (the common case, nothing copied).
pub fn compact(text: &str, depth: usize) -> Result<Option<String>, JsonProblem> {
    compact_within(text, depth, Some(MAX_DEPTH))
}

/// Valid JSON text without the whitespace between its tokens, checking nothing: for messages
/// a reader already parsed (a bare message in a file, on a plain stream).
pub fn without_whitespace(text: &str) -> String {
    match compact_within(text, 0, None) {
        Ok(Some(compacted)) => compacted,
        _ => text.to_string(),
    }
}

/// A whole frame (a message one level down) as one line, for writers of frames that came
/// from elsewhere (`tail`); `None` when it is already one line. The text must be valid JSON.
pub fn frame_line(text: &str) -> Result<Option<String>, JsonProblem> {
    if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_none() {
        return Ok(None);
    }
    compact_within(text, 0, Some(MAX_DEPTH + 1))
}

/// With a `limit`, the readers' grammar is checked too (depth, surrogates, numbers).
fn compact_within(
    text: &str,
    depth: usize,
    limit: Option<usize>,
) -> Result<Option<String>, JsonProblem> {
    let strict = limit.is_some();
    let bytes = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    // Start of the run of bytes not yet copied to `out`.
    let mut copied = 0;
    let mut depth = depth;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                out.extend_from_slice(&bytes[copied..i]);
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                copied = i;
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                if limit.is_some_and(|limit| depth > limit) {
                    return Err(JsonProblem::TooDeep);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                i = string_end(bytes, i + 1, strict)?;
                continue;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                if strict {
                    check_number(&text[start..i])?;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(out.map(|mut out| {
        out.extend_from_slice(&bytes[copied..]);
        // Only ASCII whitespace between tokens was removed from valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }))
}

/// The index just past the closing quote of the string whose contents start at `i`.
fn string_end(bytes: &[u8], mut i: usize, strict: bool) -> Result<usize, JsonProblem> {
    loop {
        let Some(offset) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
            // serde_json accepted the text, so strings are closed; be safe anyway.
            return Ok(bytes.len());
        };
        i += offset;
        if bytes[i] == b'"' {
            return Ok(i + 1);
        }
        // An escape: `\uXXXX` is checked for surrogates, the others are two bytes.
        if strict && bytes.get(i + 1) == Some(&b'u') {
            let unit = hex4(bytes, i + 2);
            match unit {
                Some(0xD800..=0xDBFF) => {
                    let pair = (bytes.get(i + 6) == Some(&b'\\')
                        && bytes.get(i + 7) == Some(&b'u'))
                    .then(|| hex4(bytes, i + 8))
                    .flatten();
                    if !matches!(pair, Some(0xDC00..=0xDFFF)) {
                        return Err(lone_surrogate(bytes, i));
                    }
                    i += 12;
                }
                Some(0xDC00..=0xDFFF) => return Err(lone_surrogate(bytes, i)),
                _ => i += 6,
            }
        } else {
            i += 2;
        }
        i = i.min(bytes.len());
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

fn lone_surrogate(bytes: &[u8], at: usize) -> JsonProblem {
    let end = (at + 6).min(bytes.len());
    JsonProblem::LoneSurrogate {
        at,
        escape: String::from_utf8_lossy(&bytes[at..end]).into_owned(),
    }
}

/// serde_json builds integers into `u64`/`i64` and everything else into `f64`, refusing what
/// overflows it. Short integers without a fraction or exponent always fit.
fn check_number(literal: &str) -> Result<(), JsonProblem> {
    let simple = literal.len() <= 300 && !literal.contains(['e', 'E']);
    if simple || literal.parse::<f64>().is_ok_and(f64::is_finite) {
        return Ok(());
    }
    Err(JsonProblem::NumberOutOfRange {
        literal: literal.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compacted(text: &str) -> String {
        compact(text, 1)
            .unwrap()
            .unwrap_or_else(|| text.to_string())
    }

    #[test]
    fn removes_whitespace_between_tokens_only() {
        let pretty = "{\n  \"a\" : [ 1 ,\t2.50 ],\r\n  \"b\": \"x  y\\n\\\" z\" ,\"c\":{ }\n}";
        assert_eq!(
            compacted(pretty),
            r#"{"a":[1,2.50],"b":"x  y\n\" z","c":{}}"#
        );
    }

    #[test]
    fn compact_text_is_not_copied() {
        assert_eq!(compact(r#"{"a":[1,"b c"],"d":-1.5e3}"#, 1), Ok(None));
        assert_eq!(compact(r#""\ud83d\ude00""#, 1), Ok(None));
    }

    #[test]
    fn keeps_number_literals_and_escapes_exactly() {
        assert_eq!(
            compacted("[ 1.0 , 1e2 , -0 , \"\\u00e9\\/\" ]"),
            r#"[1.0,1e2,-0,"\u00e9\/"]"#
        );
    }

    #[test]
    fn refuses_nesting_deeper_than_the_limit() {
        // The message is level 1: values may open MAX_DEPTH - 1 more levels.
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(compact(&ok, 1).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(compact(&deep, 1), Err(JsonProblem::TooDeep));
        // Brackets inside strings are text.
        assert!(compact(&format!("\"{}\"", "[".repeat(500)), 1).is_ok());
    }

    #[test]
    fn refuses_lone_surrogates() {
        for text in [
            r#""\ud800""#,
            r#""a\uDBFFb""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
        ] {
            let problem = compact(text, 1).unwrap_err();
            assert_eq!(problem.code(), "lone_surrogate", "{text}");
        }
        assert!(compact(r#""\\ud800""#, 1).is_ok(), "an escaped backslash");
    }

    #[test]
    fn refuses_numbers_beyond_f64() {
        for text in ["1e400", "-1E309", &"9".repeat(400)] {
            let problem = compact(text, 1).unwrap_err();
            assert_eq!(problem.code(), "number_out_of_range", "{text}");
        }
        for text in ["1e-400", "1e308", "123456789012345678901234567890"] {
            assert!(compact(text, 1).is_ok(), "{text}");
        }
    }

    #[test]
    fn what_it_accepts_serde_json_builds() {
        for text in [
            "{\"a\": [1e308, -0.0, \"\\ud83d\\ude00\"]}",
            &format!(
                "{}1{}",
                "[".repeat(MAX_DEPTH - 1),
                "]".repeat(MAX_DEPTH - 1)
            ),
        ] {
            let out = compacted(text);
            // Wrapped as a frame wraps a message.
            let frame = format!("{{\"message\":{{\"v\":{out}}}}}");
            serde_json::from_str::<serde_json::Value>(&frame).unwrap();
        }
    }
}
