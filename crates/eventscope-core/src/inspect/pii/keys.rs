//! Key-name matching: a key split into words, a Bloom filter that turns most keys away, the
//! rules' verdicts (neutral words, person and health qualifiers) and the key findings.

use std::borrow::Cow;

use super::place::Place;
use super::tables::{HEALTH_WORDS, NAME_QUALIFIERS, PERSON_WORDS};
use super::walk::Scan;
use super::{PiiMatchers, mask};
use crate::inspect::{PiiClass, describe};
use crate::model::json::Json as Value;
use crate::model::path::PathNode;

/// What kind of value a key rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Takes {
    /// Non-empty strings only (passwords, tokens).
    Secret,
    /// Non-empty strings, numbers, non-empty containers (an email, a zip code).
    Identifier,
    /// All that, and booleans (`veteran: true` says something about a person).
    Attribute,
}

impl Takes {
    #[inline]
    pub(super) fn accepts(self, value: &Value) -> bool {
        match value {
            Value::String(s) => !s.trim().is_empty(),
            Value::Number(_) => self != Takes::Secret,
            Value::Bool(_) => self == Takes::Attribute,
            Value::Array(a) => self != Takes::Secret && !a.is_empty(),
            Value::Object(o) => self != Takes::Secret && !o.is_empty(),
            Value::Null => false,
        }
    }
}

/// What a key needs besides its matcher word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Nothing,
    /// A person qualifier in the key (`first`, `customer`…), a person parent (`recipient`), or
    /// a place whose members are a person's (`traits`).
    Person,
    /// A health word in the key or its parent (`medical_condition`).
    Health,
}

/// One built-in key rule: the words that name the data, and what keeps ordinary keys quiet.
#[derive(Debug)]
pub(super) struct KeyRule {
    /// The Privacy Portal matcher name; a custom matcher of this name replaces the rule.
    pub(super) name: &'static str,
    /// "a name", for messages.
    pub(super) what: &'static str,
    pub(super) class: PiiClass,
    pub(super) takes: Takes,
    /// Alternative word sequences, lower case.
    pub(super) seqs: &'static [&'static [&'static str]],
    /// Other words in the key that make it about the data rather than the data
    /// (`email_verified`).
    pub(super) neutral: &'static [&'static str],
    pub(super) needs: Needs,
    /// Words (in the key or its parent) that make it Yellow: a push token.
    pub(super) softer: &'static [&'static str],
    pub(super) softer_what: &'static str,
}

impl KeyRule {
    /// The class of a match, given where one of the rule's sequences occurs in the key.
    #[inline]
    pub(super) fn verdict(
        &self,
        words: &Words<'_>,
        span: (usize, usize),
        parent: Option<&Words<'_>>,
        person_root: bool,
    ) -> Option<PiiClass> {
        if words.other_in(span, self.neutral) {
            return None;
        }
        let parent_has = |list: &[&str]| parent.is_some_and(|p| p.any_of(list));
        let ok = match self.needs {
            Needs::Nothing => true,
            Needs::Person => {
                person_root || words.other_in(span, NAME_QUALIFIERS) || parent_has(PERSON_WORDS)
            }
            Needs::Health => words.other_in(span, HEALTH_WORDS) || parent_has(HEALTH_WORDS),
        };
        if !ok {
            return None;
        }
        let soft = !self.softer.is_empty()
            && (words.other_in(span, self.softer) || parent_has(self.softer));
        Some(if soft { PiiClass::Yellow } else { self.class })
    }
}

impl PiiMatchers {
    /// The first enabled built-in rule the key matches, with its effective class.
    #[inline]
    pub(super) fn key_rule(
        &self,
        key: &str,
        place: &Place<'_>,
    ) -> Option<(&'static KeyRule, PiiClass)> {
        let b = key.as_bytes();
        let mut maybe = false;
        split_words(b, |s, e| {
            maybe |= self.key_words.contains(word_hash(&b[s..e]))
        });
        if !maybe {
            return None;
        }
        let words = Words::of(key);
        // (rule index, span) of each sequence found, then the rules in their order.
        let mut found = [(u16::MAX, 0u8, 0u8); 8];
        let mut n = 0;
        for i in 0..words.len() {
            let h = word_hash(words.get(i).as_bytes());
            let first = self.key_seqs.partition_point(|e| e.0 < h);
            for &(eh, r, q) in &self.key_seqs[first..] {
                if eh != h {
                    break;
                }
                let seq = self.key_rules[usize::from(r)].seqs[usize::from(q)];
                if n < found.len()
                    && words.matches_at(i, seq)
                    && !found[..n].iter().any(|f| f.0 == r)
                {
                    found[n] = (r, i as u8, (i + seq.len()) as u8);
                    n += 1;
                }
            }
        }
        let found = &mut found[..n];
        found.sort_unstable_by_key(|f| f.0);
        let parent = place.parent.map(Words::of);
        found.iter().find_map(|&(r, from, to)| {
            let rule = self.key_rules[usize::from(r)];
            let span = (usize::from(from), usize::from(to));
            rule.verdict(&words, span, parent.as_ref(), place.person_root)
                .map(|class| (rule, class))
        })
    }
}

impl Scan<'_, '_> {
    pub(super) fn custom_key_hits(&self, key: &str) -> Vec<usize> {
        let Some(set) = &self.m.custom_key_set else {
            return Vec::new();
        };
        let mut hits: Vec<usize> = set.matches(key).iter().collect();
        let normal = Words::of(key).snake();
        for i in set.matches(&normal).iter() {
            if !hits.contains(&i) {
                hits.push(i);
            }
        }
        hits
    }

    pub(super) fn custom_key_findings(
        &mut self,
        hits: Vec<usize>,
        value: &Value,
        node: &PathNode<'_>,
        place: Place<'_>,
    ) {
        for i in hits {
            if !Takes::Identifier.accepts(value) && !matches!(value, Value::Bool(_)) {
                continue;
            }
            let custom = &self.m.custom_keys[i];
            let what = format!("a match for custom matcher \"{}\"", custom.name);
            let rule = custom.rule.clone();
            self.push(
                rule,
                custom.class,
                &what,
                node,
                place.expected,
                true,
                actual_of(value),
            );
        }
    }

    pub(super) fn key_finding(
        &mut self,
        rule: &KeyRule,
        class: PiiClass,
        value: &Value,
        node: &PathNode<'_>,
        place: Place<'_>,
    ) {
        let what = if class == rule.class {
            rule.what
        } else {
            rule.softer_what
        };
        self.push(
            Cow::Borrowed("pii/key-name"),
            class,
            what,
            node,
            place.expected,
            true,
            actual_of(value),
        );
    }
}

/// `actual` for a key-name finding: the value masked (containers described, not shown).
fn actual_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(mask(s)),
        Value::Number(n) => Some(mask(&n.to_string())),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => Some(describe(value)),
    }
}

// ---------------------------------------------------------------------------------------------
// Key words

const MAX_WORDS: usize = 12;

/// A key split into words: `_`, `-`, spaces and other punctuation, `camelCase` and
/// `letter|digit` boundaries (`IPAddress` → `IP Address`, `address2` → `address 2`). Compared
/// without regard to ASCII case. Words past the twelfth are dropped.
pub(super) struct Words<'a> {
    key: &'a str,
    spans: [(u16, u16); MAX_WORDS],
    n: usize,
}

impl<'a> Words<'a> {
    #[inline]
    pub(super) fn of(key: &'a str) -> Words<'a> {
        let mut w = Words {
            key,
            spans: [(0, 0); MAX_WORDS],
            n: 0,
        };
        // Words past 64 KiB are dropped too.
        split_words(key.as_bytes(), |s, e| {
            if let (Ok(s), Ok(e)) = (u16::try_from(s), u16::try_from(e)) {
                w.push(s, e);
            }
        });
        w
    }

    #[inline]
    fn push(&mut self, s: u16, e: u16) {
        if self.n < MAX_WORDS {
            self.spans[self.n] = (s, e);
            self.n += 1;
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.n
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> &'a str {
        let (s, e) = self.spans[i];
        &self.key[usize::from(s)..usize::from(e)]
    }

    #[inline]
    fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word)
    }

    #[inline]
    pub(super) fn equals(&self, seq: &[&str]) -> bool {
        self.n == seq.len() && seq.iter().enumerate().all(|(i, w)| self.is(i, w))
    }

    #[inline]
    pub(super) fn any_of(&self, list: &[&str]) -> bool {
        (0..self.n).any(|i| list.iter().any(|w| self.is(i, w)))
    }

    /// Whether `seq` occurs as consecutive words from word `i`.
    #[inline]
    pub(super) fn matches_at(&self, i: usize, seq: &[&str]) -> bool {
        i + seq.len() <= self.n && seq.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    /// Whether a word outside `span` is in `list`.
    #[inline]
    pub(super) fn other_in(&self, span: (usize, usize), list: &[&str]) -> bool {
        (0..self.n).any(|i| (i < span.0 || i >= span.1) && list.iter().any(|w| self.is(i, w)))
    }

    /// The normalised key: lower-case words joined by `_`.
    pub(super) fn snake(&self) -> String {
        let mut out = String::with_capacity(self.key.len());
        for i in 0..self.n {
            if i > 0 {
                out.push('_');
            }
            out.push_str(&self.get(i).to_lowercase());
        }
        out
    }
}

const K_SEP: u8 = 0;
const K_LOWER: u8 = 1;
const K_UPPER: u8 = 2;
const K_DIGIT: u8 = 3;

/// Byte classes for splitting keys; bytes of non-ASCII characters count as lower-case letters.
static KEY_CLASS: [u8; 256] = {
    let mut table = [K_SEP; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            b'a'..=b'z' | 0x80..=0xff => K_LOWER,
            b'A'..=b'Z' => K_UPPER,
            b'0'..=b'9' => K_DIGIT,
            _ => K_SEP,
        };
        c += 1;
    }
    table
};

/// Calls `f` with the byte range of each word of a key.
fn split_words(b: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut start = 0;
    let mut prev = K_SEP;
    for (i, &c) in b.iter().enumerate() {
        let cur = KEY_CLASS[usize::from(c)];
        if cur != prev {
            if cur == K_SEP {
                f(start, i);
            } else if prev == K_SEP {
                start = i;
            } else if !(prev == K_UPPER && cur == K_LOWER) {
                // lower|Upper, letter|digit, digit|letter
                f(start, i);
                start = i;
            }
        } else if cur == K_UPPER
            && b.get(i + 1)
                .is_some_and(|&n| KEY_CLASS[usize::from(n)] == K_LOWER)
        {
            // `IPAddress`: the last capital starts a word.
            f(start, i);
            start = i;
        }
        prev = cur;
    }
    if prev != K_SEP {
        f(start, b.len());
    }
}

/// A hash of a word without regard to ASCII case, from its length and its first and last three
/// bytes: one multiplication. Words that share them are told apart by a comparison later.
#[inline]
pub(super) fn word_hash(word: &[u8]) -> u64 {
    let n = word.len();
    let at = |i: usize| u64::from(word.get(i).map_or(0, u8::to_ascii_lowercase));
    let packed = (n.min(255) as u64)
        | at(0) << 8
        | at(1) << 16
        | at(2) << 24
        | at(n.wrapping_sub(3)) << 32
        | at(n.wrapping_sub(2)) << 40
        | at(n.wrapping_sub(1)) << 48;
    packed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A 4096-bit Bloom filter of word hashes.
#[derive(Debug)]
pub(super) struct WordFilter {
    bits: Box<[u64; 64]>,
}

impl Default for WordFilter {
    fn default() -> WordFilter {
        WordFilter {
            bits: Box::new([0; 64]),
        }
    }
}

impl WordFilter {
    #[inline]
    fn positions(h: u64) -> [usize; 2] {
        [(h >> 52) as usize, (h >> 40) as usize & 4095]
    }

    pub(super) fn insert(&mut self, h: u64) {
        for p in WordFilter::positions(h) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    #[inline]
    pub(super) fn contains(&self, h: u64) -> bool {
        WordFilter::positions(h)
            .iter()
            .all(|&p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}
