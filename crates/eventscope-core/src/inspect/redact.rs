//! `--redact`: masking secrets (or all personal data) in a message before the collector
//! publishes or records it.
//!
//! The privacy matchers ([`PiiMatchers::scan`]) decide what is masked: with
//! [`RedactMode::Secrets`] every value a Red finding points at (API keys, tokens, private keys,
//! cards, SSNs, IBANs, passwords…), with [`RedactMode::Pii`] every PII finding, Red or Yellow.
//! The class decides, not the severity: a Red value in a place listed in `[pii] expected` is
//! masked too.
//!
//! Masking rewrites the message *text* in place: each flagged value is replaced by a JSON
//! string of [`super::pii::mask`] (the form PII findings already show as `actual`: at most the
//! first and last two characters, the rest `*`), and every other byte (key order, whitespace,
//! number literals, escapes) stays as it was. A value matcher that fires inside a longer text
//! masks the whole string. A key-name finding on a container (`credentials: {…}`) masks every
//! string and number inside it (numbers become masked strings); booleans and nulls stay.
//!
//! The common case, nothing to mask, costs one parse into the borrowed tree and one scan.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::pii::{PiiConfig, PiiConfigError, PiiMatchers, mask};
use super::{Finding, Kind, PiiClass, Severity};
use crate::model::json::Json;
use crate::model::pretty::{index_path, key_path};

/// What `--redact` masks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RedactMode {
    /// Nothing: frames carry messages as sent (fidelity).
    #[default]
    None,
    /// Red-class values: secrets, cards, government and bank ids, passwords.
    Secrets,
    /// Every PII finding, Red and Yellow.
    Pii,
}

impl RedactMode {
    pub const NAMES: [&'static str; 3] = ["none", "secrets", "pii"];

    pub fn as_str(self) -> &'static str {
        match self {
            RedactMode::None => "none",
            RedactMode::Secrets => "secrets",
            RedactMode::Pii => "pii",
        }
    }

    /// Whether a finding of `class` is masked.
    fn masks(self, class: PiiClass) -> bool {
        match self {
            RedactMode::None => false,
            RedactMode::Secrets => class == PiiClass::Red,
            RedactMode::Pii => true,
        }
    }
}

impl fmt::Display for RedactMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RedactMode {
    type Err = String;

    fn from_str(s: &str) -> Result<RedactMode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(RedactMode::None),
            "secrets" => Ok(RedactMode::Secrets),
            "pii" => Ok(RedactMode::Pii),
            _ => Err(format!(
                "`{s}` is not a redact mode; use secrets, pii or none"
            )),
        }
    }
}

/// One masked value, as the `redacted` field of an event frame lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactedField {
    /// The finding's path, e.g. `properties.aws_key`.
    pub path: String,
    /// The finding's rule, e.g. `pii/api-key`, `pii/key-name`.
    pub rule: String,
    pub class: PiiClass,
    /// The finding's severity as the collector judged the original.
    pub severity: Severity,
}

/// A masked message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The message text with the flagged values masked.
    pub json: String,
    /// What was masked, one entry per finding (in the scan's order).
    pub masked: Vec<RedactedField>,
    /// The masked values as they appeared in the text (string contents without quotes,
    /// number literals): to mask copies of the same request elsewhere (the proxy's delivery
    /// preview) with [`crate::model::mask_in_text`].
    pub raw_values: Vec<String>,
}

/// Masks messages by the configured privacy matchers.
#[derive(Debug)]
pub struct Redactor {
    mode: RedactMode,
    matchers: PiiMatchers,
}

/// Deeper than serde_json parses anyway.
const MAX_DEPTH: usize = 256;

/// At most this many `redacted` entries are read from a frame (a hostile stream could send
/// millions); a 32 KB message cannot need more.
pub const MAX_REDACTED: usize = 4096;

impl Redactor {
    /// A redactor using the `[pii]` matchers; `None` for [`RedactMode::None`].
    pub fn new(mode: RedactMode, pii: &PiiConfig) -> Result<Option<Redactor>, PiiConfigError> {
        if mode == RedactMode::None {
            return Ok(None);
        }
        Ok(Redactor::with_matchers(
            mode,
            PiiMatchers::from_config(pii)?,
        ))
    }

    /// A redactor with matchers already built; `None` for [`RedactMode::None`].
    pub fn with_matchers(mode: RedactMode, matchers: PiiMatchers) -> Option<Redactor> {
        (mode != RedactMode::None).then_some(Redactor { mode, matchers })
    }

    pub fn mode(&self) -> RedactMode {
        self.mode
    }

    /// The message with its flagged values masked; `None` when nothing needs masking (or the
    /// text is not JSON: the collector only passes messages it parsed).
    pub fn redact(&self, message_json: &str) -> Option<Redacted> {
        let tree = Json::parse(message_json).ok()?;
        let mut findings = Vec::new();
        self.matchers.scan(&tree, &mut findings);
        let mut masked: Vec<RedactedField> = Vec::new();
        for finding in findings {
            let Some(class) = finding.pii.filter(|&c| self.mode.masks(c)) else {
                continue;
            };
            if masked
                .iter()
                .any(|m| m.path == finding.path && m.rule == finding.rule)
            {
                continue;
            }
            masked.push(RedactedField {
                path: finding.path,
                rule: finding.rule.into_owned(),
                class,
                severity: finding.severity,
            });
        }
        if masked.is_empty() {
            return None;
        }
        let mut flagged: Vec<&str> = masked.iter().map(|m| m.path.as_str()).collect();
        flagged.sort_unstable();
        flagged.dedup();
        let (json, raw_values) =
            mask_text(message_json, &flagged).unwrap_or_else(|| mask_tree(&tree, &flagged));
        Some(Redacted {
            json,
            masked,
            raw_values,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Masking the text

/// Masks the values at `flagged` paths (sorted) in `text`, keeping every other byte;
/// `None` if the text is not the JSON the walker expects.
pub fn mask_text(text: &str, flagged: &[&str]) -> Option<(String, Vec<String>)> {
    let mut masker = Masker {
        text,
        flagged,
        out: String::with_capacity(text.len()),
        copied: 0,
        raw_values: Vec::new(),
    };
    let end = masker.value(0, "", false, 0)?;
    if skip_ws(text.as_bytes(), end) != text.len() {
        return None;
    }
    masker.out.push_str(text.get(masker.copied..)?);
    Some((masker.out, masker.raw_values))
}

struct Masker<'t, 'f> {
    text: &'t str,
    flagged: &'f [&'f str],
    out: String,
    /// The text before this offset is in `out`.
    copied: usize,
    raw_values: Vec<String>,
}

impl Masker<'_, '_> {
    fn is_flagged(&self, path: &str) -> bool {
        self.flagged.binary_search(&path).is_ok()
    }

    /// Walks the value starting at or after `i` (whitespace first); returns where it ends.
    fn value(&mut self, i: usize, path: &str, masking: bool, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let text = self.text;
        let b = text.as_bytes();
        let i = skip_ws(b, i);
        let masking = masking || self.is_flagged(path);
        match *b.get(i)? {
            b'{' => {
                let mut i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b'}') {
                    return Some(i + 1);
                }
                loop {
                    let key_end = string_end(b, i)?;
                    let key = decode(text.get(i..key_end)?)?;
                    let child = key_path(path, &key);
                    i = skip_ws(b, key_end);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(b, self.value(i + 1, &child, masking, depth + 1)?);
                    match *b.get(i)? {
                        b',' => i = skip_ws(b, i + 1),
                        b'}' => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let mut i = skip_ws(b, i + 1);
                if b.get(i) == Some(&b']') {
                    return Some(i + 1);
                }
                let mut index = 0;
                loop {
                    let child = index_path(path, index);
                    i = skip_ws(b, self.value(i, &child, masking, depth + 1)?);
                    index += 1;
                    match *b.get(i)? {
                        b',' => i += 1,
                        b']' => return Some(i + 1),
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let end = string_end(b, i)?;
                if masking {
                    let token = text.get(i..end)?;
                    let value = decode(token)?;
                    self.replace(i, end, &mask(&value), &token[1..token.len() - 1])?;
                }
                Some(end)
            }
            b'-' | b'0'..=b'9' => {
                let mut end = i + 1;
                while end < b.len()
                    && matches!(b[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    end += 1;
                }
                if masking {
                    let literal = text.get(i..end)?;
                    self.replace(i, end, &mask(literal), literal)?;
                }
                Some(end)
            }
            b't' => literal(b, i, b"true"),
            b'f' => literal(b, i, b"false"),
            b'n' => literal(b, i, b"null"),
            _ => None,
        }
    }

    /// Replaces `text[start..end]` by `masked` as a JSON string.
    fn replace(&mut self, start: usize, end: usize, masked: &str, raw: &str) -> Option<()> {
        self.out.push_str(self.text.get(self.copied..start)?);
        self.out
            .push_str(&serde_json::to_string(masked).unwrap_or_else(|_| "\"*\"".into()));
        self.copied = end;
        if !raw.is_empty() && !self.raw_values.iter().any(|r| r == raw) {
            self.raw_values.push(raw.to_string());
        }
        Some(())
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end (after the closing quote) of the string token starting at `b[i] == '"'`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// A string token's value (quotes included in `token`).
fn decode(token: &str) -> Option<Cow<'_, str>> {
    let inner = token.get(1..token.len().checked_sub(1)?)?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(token).ok().map(Cow::Owned)
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// The fallback when the text walker gives up (it should not, on text serde_json parsed): the
/// tree written out compactly with the flagged values masked. Number literals are then written
/// as serde_json writes them.
pub fn mask_tree(tree: &Json<'_>, flagged: &[&str]) -> (String, Vec<String>) {
    fn walk(
        value: &Json<'_>,
        path: &str,
        masking: bool,
        flagged: &[&str],
        out: &mut String,
        raw: &mut Vec<String>,
    ) {
        let masking = masking || flagged.binary_search(&path).is_ok();
        let mut masked = |text: String, out: &mut String| {
            out.push_str(&serde_json::to_string(&mask(&text)).unwrap_or_default());
            if !text.is_empty() && !raw.contains(&text) {
                raw.push(text);
            }
        };
        match value {
            Json::String(s) if masking => masked(s.to_string(), out),
            Json::Number(n) if masking => masked(n.to_string(), out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    walk(item, &index_path(path, i), masking, flagged, out, raw);
                }
                out.push(']');
            }
            Json::Object(object) => {
                out.push('{');
                for (i, (key, item)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).unwrap_or_default());
                    out.push(':');
                    walk(item, &key_path(path, key), masking, flagged, out, raw);
                }
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let (mut out, mut raw) = (String::new(), Vec::new());
    walk(tree, "", false, flagged, &mut out, &mut raw);
    (out, raw)
}

// ---------------------------------------------------------------------------------------------
// Reading the `redacted` field back

/// The `redacted` field of an event frame (at most [`MAX_REDACTED`] entries); empty when
/// absent or not the list the collector writes.
pub fn read_redacted(raw: Option<&RawValue>) -> Vec<RedactedField> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
        return Vec::new();
    };
    items
        .into_iter()
        .take(MAX_REDACTED)
        .filter_map(|item| serde_json::from_str(item.get()).ok())
        .collect()
}

/// Adds to a message's `findings` (computed over the masked text) one PII finding per masked
/// value the masked text no longer shows, so verdicts, filters and the Findings tab report what
/// the collector saw; then sorts them as [`super::Inspector::inspect_json`] does.
pub fn add_redacted_findings(findings: &mut Vec<Finding>, redacted: &[RedactedField]) {
    if redacted.is_empty() {
        return;
    }
    for field in redacted {
        if let Some(same) = findings
            .iter_mut()
            .find(|f| f.kind == Kind::Pii && f.path == field.path && f.rule == field.rule)
        {
            // A key-name finding still fires on the masked value: say it was masked.
            if !same.message.ends_with(REDACTED_NOTE) {
                same.message.push_str(REDACTED_NOTE);
            }
            same.severity = same.severity.max(field.severity);
            continue;
        }
        let class = match field.class {
            PiiClass::Red => "a secret (Red)",
            PiiClass::Yellow => "personal data (Yellow)",
        };
        let mut finding = Finding::new(
            Kind::Pii,
            field.rule.clone(),
            field.path.clone(),
            field.severity,
            format!("{class} in {}{REDACTED_NOTE}", field.path),
        );
        finding.pii = Some(field.class);
        findings.push(finding);
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
    });
}

const REDACTED_NOTE: &str = "; redacted by the collector (--redact)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::Inspector;

    fn secrets() -> Redactor {
        Redactor::new(RedactMode::Secrets, &PiiConfig::default())
            .unwrap()
            .unwrap()
    }

    fn pii() -> Redactor {
        Redactor::new(RedactMode::Pii, &PiiConfig::default())
            .unwrap()
            .unwrap()
    }

    const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
    const STRIPE: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    const CARD: &str = "4242424242424242";

    /// `masked` equals `original` once each `(original value text, masked JSON)` pair is put
    /// back: nothing else changed.
    fn assert_only_masked(original: &str, masked: &str, pairs: &[(&str, &str)]) {
        let mut restored = masked.to_string();
        for (value, replacement) in pairs {
            assert!(
                restored.contains(replacement),
                "{replacement} not in {masked}"
            );
            restored = restored.replacen(replacement, value, 1);
        }
        assert_eq!(restored, original);
    }

    fn masked_json(value: &str) -> String {
        serde_json::to_string(&mask(value)).unwrap()
    }

    #[test]
    fn masks_aws_and_stripe_keys_and_keeps_every_other_byte() {
        let text = format!(
            r#"{{ "type" : "track","event":"Deploy",  "properties":{{"aws":"{AWS}","note":"key {STRIPE} here","n":1.50e3,"ok":true}},"userId":"u1"}}"#
        );
        let r = secrets().redact(&text).expect("keys are masked");
        assert!(
            !r.json.contains(AWS) && !r.json.contains(STRIPE),
            "{}",
            r.json
        );
        let note = format!("key {STRIPE} here");
        assert_only_masked(
            &text,
            &r.json,
            &[
                (&format!("\"{AWS}\""), &masked_json(AWS)),
                (&format!("\"{note}\""), &masked_json(&note)),
            ],
        );
        assert!(r.json.contains("1.50e3"), "number literals stay");
        let paths: Vec<_> = r.masked.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["properties.aws", "properties.note"]);
        assert!(r.masked.iter().all(|m| m.rule == "pii/api-key"
            && m.class == PiiClass::Red
            && m.severity == Severity::Error));
        assert!(r.raw_values.contains(&AWS.to_string()));
        serde_json::from_str::<serde_json::Value>(&r.json).unwrap();
    }

    #[test]
    fn masks_cards_as_strings_and_numbers_and_passwords_by_key() {
        let text = format!(
            r#"{{"type":"track","properties":{{"card":"{CARD}","card_number":{CARD},"password":"hunter2!","plan":"pro"}}}}"#
        );
        let r = secrets().redact(&text).unwrap();
        assert_only_masked(
            &text,
            &r.json,
            &[
                (&format!("\"{CARD}\""), &masked_json(CARD)),
                (CARD, &masked_json(CARD)),
                ("\"hunter2!\"", &masked_json("hunter2!")),
            ],
        );
        let value: serde_json::Value = serde_json::from_str(&r.json).unwrap();
        assert_eq!(value["properties"]["card_number"], mask(CARD));
        assert_eq!(value["properties"]["plan"], "pro");
        let rules: Vec<_> = r.masked.iter().map(|m| m.rule.as_str()).collect();
        assert!(
            rules.contains(&"pii/card") && rules.contains(&"pii/key-name"),
            "{rules:?}"
        );
    }

    #[test]
    fn masks_inside_nested_arrays_escaped_strings_and_unicode() {
        // The key's last letter written as an escape.
        let escaped = format!("line\\n{}\\u0041", &AWS[..AWS.len() - 1]);
        let text = format!(
            r#"{{"type":"track","properties":{{"list":[[1,"x"],[{{"k":"{escaped}"}}]],"héllo \"q\"":"ünïcode {STRIPE} ✓","ok":"ünïcode"}}}}"#
        );
        let r = secrets().redact(&text).unwrap();
        let value: serde_json::Value = serde_json::from_str(&r.json).unwrap();
        let decoded = format!("line\n{}A", &AWS[..AWS.len() - 1]);
        assert_eq!(value["properties"]["list"][1][0]["k"], mask(&decoded));
        let unicode = format!("ünïcode {STRIPE} ✓");
        assert_eq!(value["properties"]["héllo \"q\""], mask(&unicode));
        assert_eq!(value["properties"]["ok"], "ünïcode");
        assert!(!r.json.contains(STRIPE) && !r.json.contains(&AWS[..16]));
        assert_only_masked(
            &text,
            &r.json,
            &[
                (&format!("\"{escaped}\""), &masked_json(&decoded)),
                (&format!("\"{unicode}\""), &masked_json(&unicode)),
            ],
        );
        let paths: Vec<_> = r.masked.iter().map(|m| m.path.as_str()).collect();
        assert!(paths.contains(&"properties.list[1][0].k"), "{paths:?}");
        assert!(paths.contains(&r#"properties["héllo \"q\""]"#), "{paths:?}");
    }

    #[test]
    fn a_key_name_on_a_container_masks_everything_inside() {
        let text = r#"{"type":"track","properties":{"credit_card":{"user":"bob","pin":12345,"nested":["s3cr3t",true,null]},"after":"kept"}}"#;
        let r = secrets().redact(text).unwrap();
        assert_eq!(r.masked[0].path, "properties.credit_card");
        assert_eq!(r.masked[0].rule, "pii/key-name");
        let value: serde_json::Value = serde_json::from_str(&r.json).unwrap();
        let credentials = &value["properties"]["credit_card"];
        assert_eq!(credentials["user"], mask("bob"));
        assert_eq!(credentials["pin"], mask("12345"));
        assert_eq!(credentials["nested"][0], mask("s3cr3t"));
        assert_eq!(credentials["nested"][1], true);
        assert_eq!(value["properties"]["after"], "kept");
        assert!(!r.json.contains("s3cr3t"));
    }

    #[test]
    fn clean_messages_and_yellow_data_under_secrets_give_none() {
        let r = secrets();
        assert!(
            r.redact(r#"{"type":"track","event":"A","properties":{"plan":"pro","price":9.5}}"#)
                .is_none()
        );
        let email = r#"{"type":"track","properties":{"email":"jane@example.com"}}"#;
        assert!(r.redact(email).is_none(), "Yellow is kept under `secrets`");
        let masked = pii().redact(email).expect("masked under `pii`");
        assert!(!masked.json.contains("jane@example.com"));
        assert_eq!(masked.masked[0].class, PiiClass::Yellow);
        assert!(r.redact("not json").is_none());
        assert!(r.redact("[1,2]").is_none());
        assert!(
            Redactor::new(RedactMode::None, &PiiConfig::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn never_panics_and_the_tree_fallback_masks_the_same() {
        let text = format!(r#"{{"type":"track","properties":{{"a":["{AWS}",{{"b":"{CARD}"}}]}}}}"#);
        let flagged = ["properties.a[0]", "properties.a[1].b"];
        let (by_text, _) = mask_text(&text, &flagged).unwrap();
        let tree = Json::parse(&text).unwrap();
        let (by_tree, raw) = mask_tree(&tree, &flagged);
        assert_eq!(by_text, by_tree);
        assert!(raw.contains(&CARD.to_string()));
        for broken in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":}",
            "[1,",
            "\"abc",
            "{\"a\":1}x",
            "tru",
            "{\"a\":\"\\",
        ] {
            assert!(mask_text(broken, &[""]).is_none(), "{broken}");
        }
        // Every prefix of a message with secrets: no panic.
        for end in 0..=text.len() {
            if let Some(prefix) = text.get(..end) {
                let _ = secrets().redact(prefix);
                let _ = mask_text(prefix, &flagged);
            }
        }
    }

    #[test]
    fn modes_parse() {
        assert_eq!("secrets".parse::<RedactMode>(), Ok(RedactMode::Secrets));
        assert_eq!(" PII ".parse::<RedactMode>(), Ok(RedactMode::Pii));
        assert_eq!("none".parse::<RedactMode>(), Ok(RedactMode::None));
        assert!("all".parse::<RedactMode>().is_err());
        for name in RedactMode::NAMES {
            assert_eq!(name.parse::<RedactMode>().unwrap().as_str(), name);
        }
    }

    #[test]
    fn the_verdicts_still_report_what_was_masked() {
        let text = format!(
            r#"{{"type":"track","event":"A","userId":"u","properties":{{"aws":"{AWS}","password":"hunter2!"}}}}"#
        );
        let r = secrets().redact(&text).unwrap();
        let frame_field = serde_json::to_string(&r.masked).unwrap();
        assert!(frame_field.contains(r#""class":"red""#), "{frame_field}");
        let raw = RawValue::from_string(frame_field).unwrap();
        let redacted = read_redacted(Some(&raw));
        assert_eq!(redacted, r.masked);

        let inspector = Inspector::default();
        let mut findings = inspector.inspect_text(&r.json);
        assert!(
            !findings.iter().any(|f| f.rule == "pii/api-key"),
            "the masked text no longer shows the key"
        );
        add_redacted_findings(&mut findings, &redacted);
        let original = inspector.inspect_text(&text);
        let pii = |findings: &[Finding]| {
            let mut v: Vec<(String, String, Option<PiiClass>)> = findings
                .iter()
                .filter(|f| f.kind == Kind::Pii)
                .map(|f| (f.path.clone(), f.rule.to_string(), f.pii))
                .collect();
            v.sort();
            v
        };
        assert_eq!(pii(&findings), pii(&original));
        assert!(
            findings
                .iter()
                .filter(|f| f.kind == Kind::Pii)
                .all(|f| f.message.contains("redacted by the collector"))
        );
        assert!(read_redacted(None).is_empty());
        let junk = RawValue::from_string("{\"x\":1}".into()).unwrap();
        assert!(read_redacted(Some(&junk)).is_empty());
    }
}
