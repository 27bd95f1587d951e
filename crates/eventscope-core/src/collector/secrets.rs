//! Write keys kept out of frames: a refused body is shown in its `rejected` frame, and an
//! accepted message may carry its key in more places than `writeKey`.
//!
//! A refused body may not parse, so keys are found in its text: every key this request or
//! this collector knows (`--write-key`, the Basic user name, the body's `writeKey`), in plain
//! text and as Basic credentials (base64), plus whatever follows a `"writeKey":` or a `Basic `
//! even when the key is unknown. Masking runs over the whole body before the preview is cut,
//! so a cut never leaves half a key in the clear.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use regex::Regex;

use crate::model::{cut_to, mask_in_text, mask_secret};

/// `"writeKey": "…"` (and `write_key`), the value possibly cut off by the end of the text.
static WRITE_KEY_FIELD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?i)"write_?key"\s*:\s*"((?:[^"\\]|\\.)*)"#).ok());

/// `Basic dXNlcjo=` and `Bearer …` credentials echoed in a body.
static AUTH_CREDENTIALS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:basic|bearer)\s+([A-Za-z0-9+/=_.~-]{6,})").ok());

/// The shortest key searched for in free text.
pub const MIN_KEY_CHARS: usize = 8;

/// The secrets of one request: known keys and the forms they take on the wire.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    texts: Vec<String>,
}

impl Secrets {
    /// Adds a write key, with its Basic credential forms (`b64(key:)`, `b64(key)`). Keys
    /// shorter than [`MIN_KEY_CHARS`] are not searched for in free text: masking every `test`
    /// in every message would corrupt data to hide what is no secret (the `writeKey` field
    /// and `source` still mask them).
    pub fn add_key(&mut self, key: &str) {
        if key.chars().count() < MIN_KEY_CHARS || self.texts.iter().any(|k| k == key) {
            return;
        }
        self.texts.push(key.to_string());
        for form in [
            STANDARD.encode(format!("{key}:")),
            STANDARD_NO_PAD.encode(format!("{key}:")),
            STANDARD.encode(key),
        ] {
            if !self.texts.contains(&form) {
                self.texts.push(form);
            }
        }
    }

    pub fn with_keys<'a>(keys: impl IntoIterator<Item = &'a String>) -> Secrets {
        let mut secrets = Secrets::default();
        for key in keys {
            secrets.add_key(key);
        }
        secrets
    }

    /// Whether `text` holds any of the known secrets.
    pub fn found_in(&self, text: &str) -> bool {
        self.texts
            .iter()
            .any(|s| memchr::memmem::find(text.as_bytes(), s.as_bytes()).is_some())
    }

    /// `text` with every known secret masked; unchanged (not copied) when none is in it.
    pub fn mask_known(&self, text: String) -> String {
        if !self.found_in(&text) {
            return text;
        }
        // Longest first: a key's base64 form must not be half-masked by a shorter secret.
        let mut texts: Vec<&String> = self.texts.iter().collect();
        texts.sort_by_key(|s| std::cmp::Reverse(s.len()));
        texts
            .into_iter()
            .fold(text, |text, secret| mask_in_text(&text, secret))
    }

    /// A refused body as its `rejected` frame shows it: known secrets, `writeKey` values and
    /// echoed credentials masked, then cut to `max` bytes.
    pub fn preview(&self, body: &[u8], max: usize) -> String {
        let text = String::from_utf8_lossy(body).into_owned();
        let text = self.mask_known(text);
        let text = mask_captures(&WRITE_KEY_FIELD, text);
        let text = mask_captures(&AUTH_CREDENTIALS, text);
        cut_to(&text, max).to_string()
    }
}

/// Replaces each regex's first capture with its mask.
fn mask_captures(regex: &LazyLock<Option<Regex>>, text: String) -> String {
    let Some(regex) = regex.as_ref() else {
        return text;
    };
    if !regex.is_match(&text) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for captures in regex.captures_iter(&text) {
        // A known key was masked already: keep its recognisable mask.
        let Some(value) = captures.get(1).filter(|v| !v.as_str().contains('…')) else {
            continue;
        };
        out.push_str(&text[last..value.start()]);
        out.push_str(&mask_secret(value.as_str()));
        last = value.end();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "wk_live_0123456789abcdef";

    #[test]
    fn masks_known_keys_in_every_form() {
        let secrets = Secrets::with_keys([&KEY.to_string()]);
        let basic = STANDARD.encode(format!("{KEY}:"));
        let body = format!("oops {KEY} and Authorization: Basic {basic} {{not json");
        let preview = secrets.preview(body.as_bytes(), 4096);
        assert!(!preview.contains(KEY), "{preview}");
        assert!(!preview.contains(&basic), "{preview}");
        assert!(preview.contains("wk_l…cdef"), "{preview}");
    }

    #[test]
    fn masks_unknown_write_keys_in_unparsable_bodies() {
        let secrets = Secrets::default();
        for body in [
            r#"{"writeKey": "wk_unknown_secret_123", "event": }"#,
            r#"[{"write_key":"wk_unknown_secret_123"}]"#,
            // cut off in the middle of the key
            r#"{"type":"track","writeKey":"wk_unknown_secret_123"#,
        ] {
            let preview = secrets.preview(body.as_bytes(), 4096);
            assert!(!preview.contains("unknown_secret"), "{preview}");
        }
        let bearer = secrets.preview(b"curl -H 'Authorization: Bearer abcdefghijklmnop'", 4096);
        assert!(!bearer.contains("abcdefghijklmnop"), "{bearer}");
    }

    #[test]
    fn masks_before_cutting() {
        let secrets = Secrets::with_keys([&KEY.to_string()]);
        let body = format!("{}{KEY}", "x".repeat(100));
        let preview = secrets.preview(body.as_bytes(), 110);
        assert!(!preview.contains("wk_live_01"), "{preview}");
    }

    #[test]
    fn short_keys_do_not_mask_ordinary_words() {
        let secrets = Secrets::with_keys([&"test".to_string()]);
        let text = r#"{"event":"test purchase"}"#.to_string();
        assert_eq!(secrets.mask_known(text.clone()), text);
    }

    #[test]
    fn leaves_clean_text_alone() {
        let secrets = Secrets::with_keys([&KEY.to_string()]);
        let text = r#"{"event":"Signed Up"}"#.to_string();
        assert_eq!(secrets.mask_known(text.clone()), text);
    }
}
