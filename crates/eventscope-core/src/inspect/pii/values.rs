//! Value matchers: which recognisers run on a string or a number (as its profile allows), the
//! findings they give, and the key names that make a number an id rather than a card.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use serde_json::Number;

use super::digits::{Groups, iin_ok, luhn};
use super::keys::Words;
use super::mask;
use super::place::Place;
use super::profile::{
    C_AT, C_B, C_COLON, C_DASH, C_DOT, C_J, C_PERCENT, C_SPACE, C_UNDERSCORE, C_UPPER, C_UPPER_A,
    C_X, Profile, find_all,
};
use super::shapes::{
    api_key_at, aws_at, bearer_at, email_at, iban_at, ipv4_at, is_uuid, is_word_byte, jwt_at,
    private_key_at, slack_at,
};
use super::walk::Scan;
use crate::inspect::PiiClass;
use crate::model::path::PathNode;

/// The rule code and class of one value matcher's findings.
#[derive(Debug, Clone, Copy)]
struct ValueKind {
    rule: &'static str,
    class: PiiClass,
}

const VALUE_EMAIL: ValueKind = ValueKind {
    rule: "pii/email",
    class: PiiClass::Yellow,
};
const VALUE_PHONE: ValueKind = ValueKind {
    rule: "pii/phone",
    class: PiiClass::Yellow,
};
const VALUE_IP: ValueKind = ValueKind {
    rule: "pii/ip",
    class: PiiClass::Yellow,
};
const VALUE_CARD: ValueKind = ValueKind {
    rule: "pii/card",
    class: PiiClass::Red,
};
const VALUE_SSN: ValueKind = ValueKind {
    rule: "pii/ssn",
    class: PiiClass::Red,
};
const VALUE_IBAN: ValueKind = ValueKind {
    rule: "pii/iban",
    class: PiiClass::Red,
};
const VALUE_JWT: ValueKind = ValueKind {
    rule: "pii/jwt",
    class: PiiClass::Red,
};
const VALUE_API_KEY: ValueKind = ValueKind {
    rule: "pii/api-key",
    class: PiiClass::Red,
};
const VALUE_PRIVATE_KEY: ValueKind = ValueKind {
    rule: "pii/private-key",
    class: PiiClass::Red,
};
const VALUE_BEARER: ValueKind = ValueKind {
    rule: "pii/bearer-token",
    class: PiiClass::Red,
};

impl Scan<'_, '_> {
    pub(super) fn string(&mut self, s: &str, node: &PathNode<'_>, place: Place<'_>) {
        // The shortest thing found is an email like `a@b.co`.
        if s.len() >= 6 && !is_uuid(s.as_bytes()) {
            let profile = Profile::of(s.as_bytes());
            let mut claims = Claims::default();
            self.triggered(s, &profile, node, place, &mut claims);
            if place.numeric {
                self.numeric(s, &profile, node, place, &mut claims);
            }
        }
        if let Some(set) = &self.m.custom_value_set {
            for i in set.matches(s).iter() {
                let custom = &self.m.custom_values[i];
                if let Some(m) = custom.regex.find(s) {
                    let what = format!("a match for custom matcher \"{}\"", custom.name);
                    let rule = custom.rule.clone();
                    let actual = Some(mask(m.as_str()));
                    self.push(
                        rule,
                        custom.class,
                        &what,
                        node,
                        place.expected,
                        false,
                        actual,
                    );
                }
            }
        }
    }

    /// The matchers found by a prefix or a sign: private keys, bearer tokens, JWTs, API keys,
    /// emails. Each looks only if the string has its bytes and could be long enough.
    fn triggered(
        &mut self,
        s: &str,
        profile: &Profile,
        node: &PathNode<'_>,
        place: Place<'_>,
        claims: &mut Claims,
    ) {
        let b = s.as_bytes();
        let has = |flag: u16| profile.flags & flag != 0;
        if b.len() >= 27 && has(C_DASH) && has(C_UPPER) && s.contains("-----BEGIN ") {
            for at in find_all(s, b"-----BEGIN ", 5) {
                if let Some((r, header)) = private_key_at(s, at) {
                    claims.add(r);
                    let actual = s[at..header].to_string();
                    self.value_finding(VALUE_PRIVATE_KEY, "a private key", node, place, actual);
                }
            }
        }
        if b.len() >= 23
            && has(C_SPACE)
            && has(C_B)
            && (s.contains("earer ") || s.contains("EARER "))
        {
            for at in find_all(s, b"earer ", 4).chain(find_all(s, b"EARER ", 4)) {
                let Some(start) = at.checked_sub(1).filter(|&i| matches!(b[i], b'B' | b'b')) else {
                    continue;
                };
                if claims.covers(start) {
                    continue;
                }
                if let Some(r) = bearer_at(b, start, 7) {
                    claims.add(r.clone());
                    let token = s[start + 7..r.end].trim_start();
                    let what = if token.starts_with("eyJ") {
                        "a bearer token (a JWT)"
                    } else {
                        "a bearer token"
                    };
                    let actual = format!("{}{}", &s[start..start + 7], mask(token));
                    self.value_finding(VALUE_BEARER, what, node, place, actual);
                }
            }
        }
        if b.len() >= 30 && has(C_J) && s.contains("eyJ") {
            for at in find_all(s, b"eyJ", 2) {
                if !claims.covers(at)
                    && let Some(r) = jwt_at(b, at)
                {
                    claims.add(r.clone());
                    self.value_finding(VALUE_JWT, "a JSON Web Token", node, place, mask(&s[r]));
                }
            }
        }
        if b.len() >= 20 && has(C_UPPER_A) {
            for at in find_all(s, b"AKIA", 2).chain(find_all(s, b"ASIA", 2)) {
                if !claims.covers(at)
                    && let Some(r) = aws_at(b, at)
                {
                    claims.add(r.clone());
                    self.value_finding(
                        VALUE_API_KEY,
                        "an AWS access key id",
                        node,
                        place,
                        mask(&s[r]),
                    );
                }
            }
        }
        if b.len() >= 15 && has(C_UNDERSCORE) {
            let mut from = 0;
            while let Some(i) = s[from..].find('_').map(|i| from + i) {
                from = i + 1;
                let found = api_key_at(b, i);
                if let Some((r, what)) = found
                    && !claims.overlaps(r.clone())
                {
                    from = r.end;
                    claims.add(r.clone());
                    self.value_finding(VALUE_API_KEY, what, node, place, mask(&s[r]));
                }
            }
        }
        if b.len() >= 15 && profile.digits >= 6 && has(C_DASH) && has(C_X) {
            for at in find_all(s, b"xox", 0) {
                if !claims.covers(at)
                    && b.get(at + 4) == Some(&b'-')
                    && matches!(b[at + 3], b'b' | b'p' | b'a' | b's' | b'r' | b'e')
                    && let Some(r) = slack_at(b, at, 5)
                {
                    claims.add(r.clone());
                    self.value_finding(VALUE_API_KEY, "a Slack token", node, place, mask(&s[r]));
                }
            }
        }
        if has(C_AT) {
            let mut from = 0;
            while let Some(at) = s[from..].find('@').map(|i| from + i) {
                from = at + 1;
                if !claims.covers(at)
                    && let Some(r) = email_at(b, at, at + 1)
                {
                    from = r.end;
                    claims.add(r.clone());
                    self.value_finding(VALUE_EMAIL, "an email address", node, place, mask(&s[r]));
                }
            }
        }
        if has(C_PERCENT) {
            for at in find_all(s, b"%40", 0) {
                if !claims.covers(at)
                    && let Some(r) = email_at(b, at, at + 3)
                {
                    claims.add(r.clone());
                    let what = "an email address (URL-encoded)";
                    self.value_finding(VALUE_EMAIL, what, node, place, mask(&s[r]));
                }
            }
        }
    }

    /// The digit-based matchers: IBAN, SSN, card, phone, IP.
    fn numeric(
        &mut self,
        s: &str,
        profile: &Profile,
        node: &PathNode<'_>,
        place: Place<'_>,
        claims: &mut Claims,
    ) {
        let b = s.as_bytes();
        let digits = profile.digits;
        if digits >= 10 && b.len() >= 15 && profile.flags & C_UPPER != 0 {
            let mut i = 0;
            while i + 4 <= b.len() {
                if let Some(end) = iban_at(b, i) {
                    if !claims.overlaps(i..end) {
                        claims.add(i..end);
                        let what = "an IBAN (a bank account number)";
                        self.value_finding(VALUE_IBAN, what, node, place, mask(&s[i..end]));
                    }
                    i = end;
                } else {
                    i += 1;
                }
            }
        }
        if digits >= 9 {
            self.digit_groups(s, node, place, claims);
        }
        if digits >= 2
            && profile.flags & C_COLON != 0
            && b.iter().filter(|&&c| c == b':').count() >= 2
        {
            self.ipv6(s, node, place, claims);
        }
        if digits >= 4 && profile.flags & C_DOT != 0 {
            self.ipv4(s, node, place, claims);
        }
    }

    fn digit_groups(
        &mut self,
        s: &str,
        node: &PathNode<'_>,
        place: Place<'_>,
        claims: &mut Claims,
    ) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let starts = c.is_ascii_digit()
                || (matches!(c, b'+' | b'(') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
            if !starts {
                if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                    // Inside a word: skip it all (`SKU-83512`'s digits start after a dash).
                    while i < b.len()
                        && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80)
                    {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
                continue;
            }
            // Not glued to a word, a decimal, a dash-joined code or an email.
            let left_ok =
                i == 0 || !(is_word_byte(b[i - 1]) || matches!(b[i - 1], b'.' | b'-' | b'@'));
            let tok = Groups::read(b, i);
            let end = tok.end.max(i + 1);
            let right_ok = b
                .get(tok.end)
                .is_none_or(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80));
            if left_ok && right_ok && tok.n > 0 && !claims.overlaps(i..tok.end) {
                let text = &s[i..tok.end];
                let whole = text.len() == s.len();
                let found = if tok.is_ssn(b) {
                    Some((VALUE_SSN, "a US Social Security number"))
                } else if tok.is_card(b) && !(whole && tok.n == 1 && key_is_id(place.key)) {
                    Some((VALUE_CARD, "a payment card number"))
                } else if tok.is_phone(b) {
                    Some((VALUE_PHONE, "a phone number"))
                } else {
                    None
                };
                if let Some((kind, what)) = found {
                    claims.add(i..tok.end);
                    self.value_finding(kind, what, node, place, mask(text));
                }
            }
            i = end;
            // Do not restart inside a run of digits or a word the token stopped in.
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        }
    }

    fn ipv4(&mut self, s: &str, node: &PathNode<'_>, place: Place<'_>, claims: &mut Claims) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let left_ok = i == 0
                || match b[i - 1] {
                    b'/' => i >= 2 && b[i - 2] == b'/',
                    c => {
                        !(c.is_ascii_alphanumeric()
                            || matches!(c, b'.' | b'-' | b'_' | b'+')
                            || c >= 0x80)
                    }
                };
            if left_ok
                && let Some((end, octets)) = ipv4_at(b, i)
                && !claims.overlaps(i..end)
                && !matches!(octets, [0, 0, 0, 0] | [255, 255, 255, 255] | [127, ..])
                && !key_is_version(place.key)
            {
                claims.add(i..end);
                self.value_finding(VALUE_IP, "an IP address", node, place, mask(&s[i..end]));
                i = end;
                continue;
            }
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
        }
    }

    fn ipv6(&mut self, s: &str, node: &PathNode<'_>, place: Place<'_>, claims: &mut Claims) {
        let b = s.as_bytes();
        let is_v6 = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
        let mut i = 0;
        while i < b.len() {
            if !is_v6(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && is_v6(b[i]) {
                i += 1;
            }
            let text = &s[start..i];
            let left_ok =
                start == 0 || !(b[start - 1].is_ascii_alphanumeric() || b[start - 1] >= 0x80);
            let right_ok = i == b.len() || !(b[i].is_ascii_alphanumeric() || b[i] >= 0x80);
            if left_ok
                && right_ok
                && text.len() >= 6
                && text.bytes().filter(|&c| c == b':').count() >= 2
                && let Ok(addr) = text.parse::<Ipv6Addr>()
                && !addr.is_unspecified()
                && !addr.is_loopback()
                && !claims.overlaps(start..i)
                && !key_is_version(place.key)
            {
                claims.add(start..i);
                self.value_finding(VALUE_IP, "an IP address (IPv6)", node, place, mask(text));
            }
            // A run that is not an address may still end in a word: skip it.
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
        }
    }

    pub(super) fn number(&mut self, n: &Number, node: &PathNode<'_>, place: Place<'_>) {
        if place.numeric
            && let Some(u) = n.as_u64()
            && u >= 1_000_000_000_000
        {
            let text = u.to_string();
            let b = text.as_bytes();
            if (13..=19).contains(&b.len()) && luhn(b) && iin_ok(b) && !key_is_id(place.key) {
                self.value_finding(
                    VALUE_CARD,
                    "a payment card number (a JSON number)",
                    node,
                    place,
                    mask(&text),
                );
            }
        }
        if let Some(set) = &self.m.custom_value_set {
            let text = n.to_string();
            for i in set.matches(&text).iter() {
                let custom = &self.m.custom_values[i];
                let what = format!("a match for custom matcher \"{}\"", custom.name);
                let rule = custom.rule.clone();
                self.push(
                    rule,
                    custom.class,
                    &what,
                    node,
                    place.expected,
                    false,
                    Some(mask(&text)),
                );
            }
        }
    }

    fn value_finding(
        &mut self,
        kind: ValueKind,
        what: &str,
        node: &PathNode<'_>,
        place: Place<'_>,
        actual: String,
    ) {
        self.push(
            Cow::Borrowed(kind.rule),
            kind.class,
            what,
            node,
            place.expected,
            false,
            Some(actual),
        );
    }
}

/// Byte ranges already reported in one string, so one text is not reported twice.
#[derive(Default)]
struct Claims {
    ranges: [(usize, usize); 8],
    n: usize,
}

impl Claims {
    fn add(&mut self, r: std::ops::Range<usize>) {
        if self.n < self.ranges.len() {
            self.ranges[self.n] = (r.start, r.end);
            self.n += 1;
        }
    }

    fn covers(&self, at: usize) -> bool {
        self.ranges[..self.n]
            .iter()
            .any(|&(s, e)| s <= at && at < e)
    }

    fn overlaps(&self, r: std::ops::Range<usize>) -> bool {
        self.ranges[..self.n]
            .iter()
            .any(|&(s, e)| s < r.end && r.start < e)
    }
}

/// Keys naming an identifier, a time or a count: a bare Luhn-valid number there is not a card.
fn key_is_id(key: Option<&str>) -> bool {
    const ID_WORDS: &[&str] = &[
        "id",
        "ids",
        "uuid",
        "guid",
        "ts",
        "timestamp",
        "time",
        "at",
        "seq",
        "sequence",
        "nonce",
        "hash",
        "count",
        "version",
        "build",
        "order",
        "invoice",
        "tracking",
        "transaction",
        "sku",
        "isbn",
        "ean",
        "upc",
        "gtin",
        "barcode",
        "ref",
        "reference",
    ];
    const CARD_WORDS: &[&str] = &["card", "cc", "pan", "credit"];
    let Some(key) = key else { return false };
    let words = Words::of(key);
    words.any_of(ID_WORDS) && !words.any_of(CARD_WORDS)
}

fn key_is_version(key: Option<&str>) -> bool {
    key.is_some_and(|k| Words::of(k).any_of(&["version", "ver", "build", "release"]))
}
