//! Privacy matchers: values and key names that hold personal data or secrets.
//!
//! Two families, as in Segment's Privacy Portal:
//! - **Value matchers** look inside strings (anywhere in the text: "call me on +1 (415) 555-9120")
//!   for email addresses, phone numbers, payment cards (Luhn + issuer prefix), US SSNs, IBANs
//!   (mod-97), IPv4/IPv6 addresses, JWTs (the header must decode to JSON with `alg`), API keys
//!   (AWS, Stripe, GitHub, Slack), private key blocks and bearer tokens. A JSON integer of 13–19
//!   digits is checked as a card number too.
//! - **Key-name matchers**: the Privacy Portal defaults (`password`, `ssn`, `email`, `phone`,
//!   `address`, `name`…) matched on whole words of the key (`first_name`, `firstName`,
//!   `First Name` and `first-name` are all the words `first name`).
//!
//! Where: `properties`, `traits`, `context` and the identity fields (`userId`, `anonymousId`,
//! `previousId`, `groupId`). Not `messageId`, timestamps, `type`, `event`, `integrations`.
//!
//! Severity: a Red match is an `error`, a Yellow one a `warning`, except in *expected places*,
//! where personal data belongs and a Yellow match is only `info`:
//! - the reserved traits of identify and group calls (`traits.email`, `traits.name`,
//!   `traits.first_name`, `traits.phone`, `traits.address.*`, `traits.birthday`…, in any casing);
//! - `context.traits.*`, `context.ip`, `context.device.*` (device ids and push tokens),
//!   `context.location.*`, `context.groupId`;
//! - the identity fields: an email used as `userId` is common and deliberate.
//!
//! Red data (secrets, cards, SSNs, IBANs, passwords…) is never expected in a built-in place: a
//! card number in `traits.email` is still an error. Places listed in `[pii] expected` are vouched
//! for by the user and give `info` for both classes.
//!
//! Key-name choices (to keep ordinary analytics keys quiet):
//! - `name` alone is a person's name only directly under `traits`/`context.traits`, with a
//!   qualifier in the key (`first_name`, `customer_name`, `billing_name`…), or under a parent
//!   that is a person (`recipient.name`, `customer.name`). `properties.name`, a product's
//!   `name`, `coupon_name`, `context.app.name` are not personal data.
//! - `username`/`user_name` is an account handle, like `userId`: not matched by key (value
//!   matchers still look at it).
//! - A key that names *something about* the data is not the data: `email_id`, `email_verified`,
//!   `phone_model`, `password_reset_sent`, `token_count`, `ip_country`… (per-matcher
//!   neutral words).
//! - `token` is Red, but a push/device token (`push_token`, `context.device.token`) is Yellow,
//!   and expected in `context.device`.
//! - `condition` and `procedure` need a health word (`medical_condition`), so a product's
//!   `condition: "used"` is not flagged.
//! - The spec's own `context` keys (`ip`, `page`, `device`…) and the keys inside SDK-filled
//!   parts (`context.page`, `campaign`, `app`…) and product lists (`products[]`, `items[]`) are
//!   not matched by name; their values are scanned. `context.library`, `os`, `screen`,
//!   `network`, `locale` and `timezone` (fixed-format facts the SDK fills in) are not scanned;
//!   `context.userAgent`, `userAgentData` and `app` get only the unmistakable value matchers
//!   (email, JWT, keys), not the digit-based ones (a user agent is full of version numbers).
//! - Identifier-like matchers (email, phone, name…) fire on non-empty strings, numbers and
//!   non-empty containers; attribute matchers (gender, veteran, diagnosis…) on booleans too;
//!   secret matchers (password, token) on strings only.
//!
//! When a value matcher fires on a value, the key-name finding for the same path is dropped
//! unless it is of a higher class. A key match on a container is reported once, on the
//! container.
//!
//! `actual` is always masked: the first and last two characters at most.
//!
//! Cost: each string is profiled once (digit count, a few marker bytes, 16 bytes at a time);
//! a matcher runs only if the profile allows it (phones and cards need 9 digits, emails an `@`,
//! JWTs `eyJ`…). A key is split into words and turned away by a Bloom filter of the rule words
//! unless one could match. With the built-in matchers nothing is allocated unless something
//! matched: the path of a value is a chain of stack frames (`model::path::PathNode`), made a
//! string only for a finding.
//!
//! The parts, one file each: `walk` goes through a message and decides what is looked at where
//! (`place` says where a value sits and where personal data is expected), `values` runs the
//! value matchers on a string or a number (`profile` decides which may match, `shapes` and
//! `digits` recognise each kind), `keys` matches key names against the rules of `tables`.
//! The small helpers the walk calls across these files are `#[inline]`, so that the split costs
//! the hot path none of the inlining it had as one file (see `benches/verdicts.rs`).

mod digits;
mod keys;
mod place;
mod profile;
mod shapes;
mod tables;
mod values;
mod walk;

use std::borrow::Cow;

use regex::{Regex, RegexSet};
use serde::Deserialize;
use thiserror::Error;

use super::{Finding, PiiClass};
use crate::model::json::Json as Value;
use keys::{KeyRule, WordFilter, word_hash};
use place::{PlaceSeg, parse_place};
use tables::KEY_RULES;
use walk::Scan;

// ---------------------------------------------------------------------------------------------
// Configuration

/// The `[pii]` table of `eventscope.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PiiConfig {
    /// `[[pii.matcher]]`: custom matchers. One named like a default key matcher (`name`,
    /// `token`, `city`…) replaces that default.
    pub matcher: Vec<CustomMatcher>,
    /// Extra expected places, as finding paths; `*` stands for any one key or index
    /// (`properties.products[*].email`). A place covers everything below it.
    pub expected: Vec<String>,
}

/// One `[[pii.matcher]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CustomMatcher {
    pub name: String,
    pub class: MatcherClass,
    /// What the pattern is matched against (default: `value`). A key pattern is tried on the
    /// key as sent and on its normalised form (`firstName` → `first_name`).
    #[serde(default)]
    pub on: MatchOn,
    /// A regular expression (Rust `regex` syntax; `(?i)` for case-insensitive).
    pub pattern: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatcherClass {
    Red,
    Yellow,
}

impl From<MatcherClass> for PiiClass {
    fn from(class: MatcherClass) -> PiiClass {
        match class {
            MatcherClass::Red => PiiClass::Red,
            MatcherClass::Yellow => PiiClass::Yellow,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchOn {
    Key,
    #[default]
    Value,
}

#[derive(Debug, Error)]
pub enum PiiConfigError {
    #[error("[[pii.matcher]] `{name}`: bad pattern: {source}")]
    BadPattern {
        name: String,
        #[source]
        source: regex::Error,
    },
    #[error("[[pii.matcher]]: a matcher needs a non-empty `name`")]
    EmptyName,
    #[error("[[pii.matcher]] `{0}` is defined twice")]
    Duplicate(String),
    #[error("pii.expected `{path}`: {reason}")]
    BadExpected { path: String, reason: &'static str },
}

// ---------------------------------------------------------------------------------------------
// The matchers

/// The configured matchers, compiled once.
#[derive(Debug)]
pub struct PiiMatchers {
    /// The built-in key rules still enabled (not replaced by a custom matcher).
    key_rules: Vec<&'static KeyRule>,
    /// A Bloom filter of the words of `key_rules`: a key none of whose words is in it matches
    /// no rule, and most keys are turned away by it without more work.
    key_words: WordFilter,
    /// (hash of the first word, rule index, sequence index) of every word sequence of
    /// `key_rules`, sorted: the rules a key may match, found from its words.
    key_seqs: Vec<(u64, u16, u16)>,
    custom_keys: Vec<Custom>,
    custom_key_set: Option<RegexSet>,
    custom_values: Vec<Custom>,
    custom_value_set: Option<RegexSet>,
    expected: Vec<Vec<PlaceSeg>>,
}

#[derive(Debug)]
struct Custom {
    name: String,
    rule: Cow<'static, str>,
    class: PiiClass,
    regex: Regex,
}

impl Default for PiiMatchers {
    #[allow(
        clippy::expect_used,
        reason = "the built-in tables are tested to compile"
    )]
    fn default() -> PiiMatchers {
        PiiMatchers::from_config(&PiiConfig::default()).expect("the built-in matchers compile")
    }
}

impl PiiMatchers {
    pub fn from_config(config: &PiiConfig) -> Result<PiiMatchers, PiiConfigError> {
        let mut names: Vec<String> = Vec::new();
        let (mut custom_keys, mut custom_values) = (Vec::new(), Vec::new());
        for m in &config.matcher {
            let name = m.name.trim();
            if name.is_empty() {
                return Err(PiiConfigError::EmptyName);
            }
            let folded = name.to_ascii_lowercase();
            if names.contains(&folded) {
                return Err(PiiConfigError::Duplicate(name.to_string()));
            }
            names.push(folded);
            let regex = Regex::new(&m.pattern).map_err(|source| PiiConfigError::BadPattern {
                name: name.to_string(),
                source,
            })?;
            let custom = Custom {
                name: name.to_string(),
                rule: Cow::Owned(format!("pii/custom:{name}")),
                class: m.class.into(),
                regex,
            };
            match m.on {
                MatchOn::Key => custom_keys.push(custom),
                MatchOn::Value => custom_values.push(custom),
            }
        }
        #[allow(
            clippy::expect_used,
            reason = "each pattern has compiled on its own above"
        )]
        let set = |list: &[Custom]| {
            (!list.is_empty()).then(|| {
                RegexSet::new(list.iter().map(|c| c.regex.as_str())).expect("compiled one by one")
            })
        };

        let key_rules: Vec<&'static KeyRule> = KEY_RULES
            .iter()
            .filter(|rule| !names.iter().any(|n| n.eq_ignore_ascii_case(rule.name)))
            .collect();
        let mut key_words = WordFilter::default();
        let mut key_seqs = Vec::new();
        for (r, rule) in key_rules.iter().enumerate() {
            for (q, seq) in rule.seqs.iter().enumerate() {
                key_words.insert(word_hash(seq[0].as_bytes()));
                key_seqs.push((word_hash(seq[0].as_bytes()), r as u16, q as u16));
            }
        }
        key_seqs.sort_unstable();

        let expected = config
            .expected
            .iter()
            .map(|path| {
                parse_place(path).map_err(|reason| PiiConfigError::BadExpected {
                    path: path.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        Ok(PiiMatchers {
            key_rules,
            key_words,
            key_seqs,
            custom_key_set: set(&custom_keys),
            custom_keys,
            custom_value_set: set(&custom_values),
            custom_values,
            expected,
        })
    }

    /// Appends a finding for each value or key that matches.
    pub fn scan(&self, message: &Value, out: &mut Vec<Finding>) {
        if let Value::Object(message) = message {
            Scan { m: self, out }.message(message);
        }
    }
}

/// The text with all but (at most) its first and last two characters replaced by `*`; short
/// texts keep less, and very long ones show at most 12 stars.
pub fn mask(text: &str) -> String {
    let n = if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    };
    let keep = match n {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    let stars = (n - 2 * keep).min(12);
    let mut out = String::with_capacity(keep * 8 + stars);
    if n == text.len() {
        out.push_str(&text[..keep]);
        out.extend(std::iter::repeat_n('*', stars));
        out.push_str(&text[n - keep..]);
    } else {
        out.extend(text.chars().take(keep));
        out.extend(std::iter::repeat_n('*', stars));
        out.extend(text.chars().skip(n - keep));
    }
    out
}

#[cfg(test)]
mod tests;
