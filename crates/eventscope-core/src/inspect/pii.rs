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
//! matched: the path of a value is a chain of stack frames, made a string only for a finding.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use regex::{Regex, RegexSet};
use serde::Deserialize;
use serde_json::Number;

use crate::model::json::{Json as Value, Object as Map};
use thiserror::Error;

use super::{Finding, Kind, PiiClass, Severity, describe};
use crate::model::pretty::{index_path, key_path};

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
        let Value::Object(message) = message else {
            return;
        };
        let mut scan = Scan { m: self, out };
        // Keys come sorted: `traits` before `type`, so traits wait for the type.
        let mut traits = None;
        let mut reserved_traits = false;
        for (key, value) in message {
            let node = Node {
                seg: Seg::Key(key),
                up: None,
            };
            let place = Place::root(key);
            match key {
                "properties" => scan.visit(value, &node, place, 1),
                "traits" => traits = Some((key, value)),
                "type" => {
                    reserved_traits = matches!(value.as_str(), Some("identify" | "group"));
                }
                "context" => scan.context(value, &node, place),
                "userId" | "anonymousId" | "previousId" | "groupId" => {
                    let place = Place {
                        expected: true,
                        key_names: false,
                        ..place
                    };
                    scan.visit(value, &node, place, 1);
                }
                _ => {}
            }
        }
        if let Some((key, value)) = traits {
            let node = Node {
                seg: Seg::Key(key),
                up: None,
            };
            scan.traits(value, &node, Place::root(key), reserved_traits);
        }
    }

    /// The first enabled built-in rule the key matches, with its effective class.
    fn key_rule(&self, key: &str, place: &Place<'_>) -> Option<(&'static KeyRule, PiiClass)> {
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

    /// Whether the configured `expected` places cover this node.
    fn configured_expected(&self, node: &Node<'_, '_>) -> bool {
        if self.expected.is_empty() {
            return false;
        }
        let segs = node.segs();
        self.expected.iter().any(|place| {
            place.len() <= segs.len()
                && place.iter().zip(&segs).all(|(p, s)| match (p, s) {
                    (PlaceSeg::Any, _) => true,
                    (PlaceSeg::Key(k), Seg::Key(s)) => k == s,
                    (PlaceSeg::Index(i), Seg::Index(j)) => i == j,
                    _ => false,
                })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Walking a message

/// One step of a path; the path of a value is the chain of its nodes up to the root.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Node<'a, 'p> {
    seg: Seg<'a>,
    up: Option<&'p Node<'a, 'p>>,
}

impl<'a> Node<'a, '_> {
    fn segs(&self) -> Vec<Seg<'a>> {
        let mut segs = Vec::new();
        let mut node = Some(self);
        while let Some(n) = node {
            segs.push(n.seg);
            node = n.up;
        }
        segs.reverse();
        segs
    }

    /// The finding path, as the detail pane writes it.
    fn path(&self) -> String {
        let parent = self.up.map(Node::path).unwrap_or_default();
        match self.seg {
            Seg::Key(k) => key_path(&parent, k),
            Seg::Index(i) => index_path(&parent, i),
        }
    }
}

/// What the walk knows about the place of a value.
#[derive(Debug, Clone, Copy)]
struct Place<'a> {
    /// The value's key; for an array element, the array's key.
    key: Option<&'a str>,
    /// The key of the object holding the value (for `recipient.name`).
    parent: Option<&'a str>,
    /// Personal data belongs here: Yellow matches are `info`.
    expected: bool,
    /// Run the digit-based value matchers (phone, card, SSN, IBAN, IP).
    numeric: bool,
    /// Match the built-in key rules on member keys.
    key_names: bool,
    /// Members are a person's fields: a bare `name` is a person's name.
    person_root: bool,
}

impl<'a> Place<'a> {
    fn root(key: &'a str) -> Place<'a> {
        Place {
            key: Some(key),
            parent: None,
            expected: false,
            numeric: true,
            key_names: true,
            person_root: false,
        }
    }

    fn member(&self, key: &'a str) -> Place<'a> {
        Place {
            key: Some(key),
            parent: self.key,
            person_root: false,
            ..*self
        }
    }
}

/// Arrays of things that are not people: their members' keys (`name`, `photo`, `serial`…)
/// describe a product, not a person.
const THING_LISTS: &[&str] = &[
    "products",
    "product",
    "items",
    "item",
    "line_items",
    "lineItems",
    "cart_items",
    "variants",
    "promotions",
    "filters",
    "sorts",
];

/// Reserved identify and group traits: personal data is expected in them (and below them:
/// `traits.address.city`).
const RESERVED_TRAITS: &[&[&str]] = &[
    &["email"],
    &["name"],
    &["first", "name"],
    &["firstname"],
    &["last", "name"],
    &["lastname"],
    &["phone"],
    &["birthday"],
    &["gender"],
    &["username"],
    &["user", "name"],
    &["avatar"],
    &["title"],
    &["website"],
    &["age"],
    &["description"],
    &["id"],
    &["created", "at"],
    &["employees"],
    &["industry"],
    &["plan"],
    &["address"],
    &["company"],
];

/// Maximum nesting followed (serde_json refuses deeper documents anyway).
const MAX_DEPTH: usize = 128;

struct Scan<'m, 'o> {
    m: &'m PiiMatchers,
    out: &'o mut Vec<Finding>,
}

impl<'a> Scan<'_, '_> {
    fn traits(&mut self, value: &'a Value, node: &Node<'a, '_>, place: Place<'a>, reserved: bool) {
        let Value::Object(map) = value else {
            return self.visit(value, node, place, 1);
        };
        for (key, child) in map {
            let mut child_place = place.member(key);
            child_place.expected = place.expected
                || reserved && {
                    let words = Words::of(key);
                    RESERVED_TRAITS.iter().any(|seq| words.equals(seq))
                };
            let holder = Place {
                person_root: true,
                ..place
            };
            self.member(key, child, node, holder, child_place, 1);
        }
    }

    fn context(&mut self, value: &'a Value, node: &Node<'a, '_>, place: Place<'a>) {
        let Value::Object(map) = value else {
            return self.visit(value, node, place, 1);
        };
        for (key, child) in map {
            let mut child_place = place.member(key);
            // The spec's own keys are not matched by name: what they hold is known.
            let mut holder = Place {
                key_names: false,
                ..place
            };
            match key {
                "traits" => {
                    let child_node = Node {
                        seg: Seg::Key(key),
                        up: Some(node),
                    };
                    let traits = Place {
                        expected: true,
                        ..child_place
                    };
                    // `context.traits.*` is expected as a whole.
                    self.traits(child, &child_node, traits, false);
                    continue;
                }
                "ip" | "device" | "location" | "groupId" => child_place.expected = true,
                // Facts the SDK fills in, in fixed formats.
                "library" | "os" | "screen" | "network" | "locale" | "timezone" | "active" => {
                    continue;
                }
                "app" | "userAgent" | "userAgentData" => {
                    child_place.numeric = false;
                    child_place.key_names = false;
                }
                "page" | "referrer" | "campaign" => child_place.key_names = false,
                _ => holder.key_names = true,
            }
            self.member(key, child, node, holder, child_place, 1);
        }
    }

    /// Visits member `key` of the object at `node`; `holder` is the object's place (whose
    /// `key_names` and `person_root` decide whether the key is matched), `place` the member's.
    fn member(
        &mut self,
        key: &'a str,
        value: &'a Value,
        node: &Node<'a, '_>,
        holder: Place<'a>,
        mut place: Place<'a>,
        depth: usize,
    ) {
        let node = Node {
            seg: Seg::Key(key),
            up: Some(node),
        };
        let rule = if holder.key_names {
            let lookup = Place {
                person_root: holder.person_root,
                ..place
            };
            self.m.key_rule(key, &lookup)
        } else {
            None
        };
        let customs = match &self.m.custom_key_set {
            Some(_) => self.custom_key_hits(key),
            None => Vec::new(),
        };
        let is_container = matches!(value, Value::Array(_) | Value::Object(_));
        if is_container && THING_LISTS.iter().any(|t| t.eq_ignore_ascii_case(key)) {
            place.key_names = false;
        }

        if is_container {
            if let Some((rule, class)) = rule
                && rule.takes.accepts(value)
            {
                self.key_finding(rule, class, value, &node, place);
                place.key_names = false;
            }
            if !customs.is_empty() {
                self.custom_key_findings(customs, value, &node, place);
            }
            self.visit(value, &node, place, depth);
            return;
        }

        let before = self.out.len();
        self.visit(value, &node, place, depth);
        if let Some((rule, class)) = rule
            && rule.takes.accepts(value)
        {
            let covered = self.out[before..]
                .iter()
                .any(|f| f.pii.is_some_and(|c| c >= class));
            if !covered {
                self.key_finding(rule, class, value, &node, place);
            }
        }
        if !customs.is_empty() {
            self.custom_key_findings(customs, value, &node, place);
        }
    }

    fn visit(&mut self, value: &'a Value, node: &Node<'a, '_>, place: Place<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::String(s) => self.string(s, node, place),
            Value::Number(n) => self.number(n, node, place),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let node = Node {
                        seg: Seg::Index(i),
                        up: Some(node),
                    };
                    self.visit(item, &node, place, depth + 1);
                }
            }
            Value::Object(map) => self.object(map, node, place, depth),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn object(&mut self, map: &'a Map<'a>, node: &Node<'a, '_>, place: Place<'a>, depth: usize) {
        for (key, child) in map {
            self.member(key, child, node, place, place.member(key), depth + 1);
        }
    }

    // --- values ------------------------------------------------------------------------------

    fn string(&mut self, s: &str, node: &Node<'_, '_>, place: Place<'_>) {
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
        node: &Node<'_, '_>,
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
        node: &Node<'_, '_>,
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
        node: &Node<'_, '_>,
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

    fn ipv4(&mut self, s: &str, node: &Node<'_, '_>, place: Place<'_>, claims: &mut Claims) {
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

    fn ipv6(&mut self, s: &str, node: &Node<'_, '_>, place: Place<'_>, claims: &mut Claims) {
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

    fn number(&mut self, n: &Number, node: &Node<'_, '_>, place: Place<'_>) {
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

    // --- keys --------------------------------------------------------------------------------

    fn custom_key_hits(&self, key: &str) -> Vec<usize> {
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

    fn custom_key_findings(
        &mut self,
        hits: Vec<usize>,
        value: &Value,
        node: &Node<'_, '_>,
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

    fn key_finding(
        &mut self,
        rule: &KeyRule,
        class: PiiClass,
        value: &Value,
        node: &Node<'_, '_>,
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

    // --- findings ----------------------------------------------------------------------------

    fn value_finding(
        &mut self,
        kind: ValueKind,
        what: &str,
        node: &Node<'_, '_>,
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

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        rule: Cow<'static, str>,
        class: PiiClass,
        what: &str,
        node: &Node<'_, '_>,
        expected: bool,
        by_key: bool,
        actual: Option<String>,
    ) {
        let listed = self.m.configured_expected(node);
        let severity = if listed || (expected && class == PiiClass::Yellow) {
            Severity::Info
        } else if class == PiiClass::Red {
            Severity::Error
        } else {
            Severity::Warning
        };
        let path = node.path();
        let place = if listed {
            "a place listed in pii.expected"
        } else if severity == Severity::Info {
            "an expected place"
        } else {
            ""
        };
        let mut message = String::with_capacity(what.len() + path.len() + 48);
        message.push_str(what);
        message.push_str(" in ");
        message.push_str(&path);
        match (by_key, place) {
            (false, "") => {}
            (true, "") => message.push_str(" (going by its key)"),
            (false, place) => {
                message.push_str(" (");
                message.push_str(place);
                message.push(')');
            }
            (true, place) => {
                message.push_str(" (going by its key; ");
                message.push_str(place);
                message.push(')');
            }
        }
        let mut finding = Finding::new(Kind::Pii, rule, path, severity, message);
        finding.actual = actual;
        finding.pii = Some(class);
        self.out.push(finding);
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

// ---------------------------------------------------------------------------------------------
// Value matchers

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

/// What one pass over a string's bytes tells: how many digits, and which of the bytes that
/// start a match it holds.
struct Profile {
    digits: usize,
    flags: u16,
}

const C_COLON: u16 = 1;
const C_AT: u16 = 1 << 1;
const C_PERCENT: u16 = 1 << 2;
const C_DOT: u16 = 1 << 4;
const C_J: u16 = 1 << 5;
const C_UNDERSCORE: u16 = 1 << 6;
const C_DASH: u16 = 1 << 7;
const C_X: u16 = 1 << 8;
const C_UPPER_A: u16 = 1 << 9;
const C_SPACE: u16 = 1 << 10;
const C_UPPER: u16 = 1 << 11;
const C_B: u16 = 1 << 12;

const F_AT: u8 = 1;
const F_PERCENT: u8 = 1 << 1;
const F_DOT: u8 = 1 << 2;
const F_J: u8 = 1 << 3;
const F_UNDERSCORE: u8 = 1 << 4;
const F_DASH: u8 = 1 << 5;
const F_X: u8 = 1 << 6;
const F_SPACE: u8 = 1 << 7;
const G_UPPER_A: u8 = 1;
const G_UPPER: u8 = 1 << 1;
const G_DIGIT: u8 = 1 << 2;
const G_COLON: u8 = 1 << 3;
const G_B: u8 = 1 << 4;

/// Per byte: (F flags, G flags), for the tail of a string.
static BYTE_CLASS: [(u8, u8); 256] = {
    let mut table = [(0u8, 0u8); 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let upper = if b.is_ascii_uppercase() { G_UPPER } else { 0 };
        let (f, g) = match b {
            b'0'..=b'9' => (0, G_DIGIT),
            b':' => (0, G_COLON),
            b'@' => (F_AT, 0),
            b'%' => (F_PERCENT, 0),
            b'.' => (F_DOT, 0),
            b'J' => (F_J, 0),
            b'_' => (F_UNDERSCORE, 0),
            b'-' => (F_DASH, 0),
            b'x' => (F_X, 0),
            b' ' => (F_SPACE, 0),
            b'A' => (0, G_UPPER_A),
            b'B' | b'b' => (0, G_B),
            _ => (0, 0),
        };
        table[c] = (f, g | upper);
        c += 1;
    }
    table
};

impl Profile {
    /// Whole 16-byte blocks with byte-wide lanes the compiler vectorises (counts summed every
    /// 15 blocks, before a lane can overflow), the tail through a table.
    fn of(b: &[u8]) -> Profile {
        let mut digits = 0usize;
        let (mut f, mut g) = (0u8, 0u8);
        let blocks = b.chunks_exact(16);
        let tail = blocks.remainder();
        for group in b[..b.len() - tail.len()].chunks(16 * 15) {
            let (mut d, mut fl, mut gl) = ([0u8; 16], [0u8; 16], [0u8; 16]);
            for block in group.chunks_exact(16) {
                for k in 0..16 {
                    let c = block[k];
                    let digit = c.wrapping_sub(b'0') < 10;
                    d[k] += u8::from(digit);
                    fl[k] |= u8::from(c == b'@')
                        | u8::from(c == b'%') << 1
                        | u8::from(c == b'.') << 2
                        | u8::from(c == b'J') << 3
                        | u8::from(c == b'_') << 4
                        | u8::from(c == b'-') << 5
                        | u8::from(c == b'x') << 6
                        | u8::from(c == b' ') << 7;
                    gl[k] |= u8::from(c == b'A')
                        | u8::from(c.wrapping_sub(b'A') < 26) << 1
                        | u8::from(c == b':') << 3
                        | u8::from(c | 0x20 == b'b') << 4;
                }
            }
            digits += d.iter().map(|&x| usize::from(x)).sum::<usize>();
            f |= fl.iter().fold(0, |a, &x| a | x);
            g |= gl.iter().fold(0, |a, &x| a | x);
        }
        for &c in tail {
            let (cf, cg) = BYTE_CLASS[usize::from(c)];
            f |= cf;
            g |= cg;
            digits += usize::from(cg & G_DIGIT != 0);
        }
        let bit = |set: bool, bit: u16| if set { bit } else { 0 };
        let flags = bit(f & F_AT != 0, C_AT)
            | bit(f & F_PERCENT != 0, C_PERCENT)
            | bit(f & F_DOT != 0, C_DOT)
            | bit(f & F_J != 0, C_J)
            | bit(f & F_UNDERSCORE != 0, C_UNDERSCORE)
            | bit(f & F_DASH != 0, C_DASH)
            | bit(f & F_X != 0, C_X)
            | bit(f & F_SPACE != 0, C_SPACE)
            | bit(g & G_UPPER_A != 0, C_UPPER_A)
            | bit(g & G_UPPER != 0, C_UPPER)
            | bit(g & G_COLON != 0, C_COLON)
            | bit(g & G_B != 0, C_B);
        Profile { digits, flags }
    }
}

/// Where `needle` starts in `s`, left to right, not overlapping: a `memchr` for its byte at
/// `anchor` (pick a rare one), then a comparison.
fn find_all<'s, const N: usize>(
    s: &'s str,
    needle: &'static [u8; N],
    anchor: usize,
) -> impl Iterator<Item = usize> + 's {
    let b = s.as_bytes();
    let mut from = anchor;
    std::iter::from_fn(move || {
        loop {
            let hit = from + s.get(from..)?.find(char::from(needle[anchor]))?;
            from = hit + 1;
            let start = hit - anchor;
            if b.get(start..start + N).is_some_and(|w| w == needle) {
                from = start + N + anchor;
                return Some(start);
            }
        }
    })
}

/// `8-4-4-4-12` hex digits: a UUID has digits but no personal data.
fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A Stripe or GitHub key around the `_` at `i`.
fn api_key_at(b: &[u8], i: usize) -> Option<(std::ops::Range<usize>, &'static str)> {
    let before = |n: usize| i.checked_sub(n).map(|s| &b[s..i]);
    let after = |t: &[u8]| b.get(i + 1..i + 1 + t.len()) == Some(t);
    if let Some(p @ (b"sk" | b"rk")) = before(2)
        && (after(b"live_") || after(b"test_"))
    {
        let r = token_at(b, i - 2, 8, 16, false, false)?;
        let what = if p == b"rk" {
            "a Stripe restricted key"
        } else {
            "a Stripe secret key"
        };
        return Some((r, what));
    }
    if let Some([b'g', b'h', b'p' | b'o' | b'u' | b's' | b'r']) = before(3) {
        return Some((token_at(b, i - 3, 4, 30, false, false)?, "a GitHub token"));
    }
    if before(6) == Some(b"github") && after(b"pat_") {
        return Some((token_at(b, i - 6, 11, 40, true, false)?, "a GitHub token"));
    }
    None
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

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// An email address around the `@` at `at` (`domain` starts after it: `at + 1`, or `at + 3`
/// for `%40`).
fn email_at(b: &[u8], at: usize, domain: usize) -> Option<std::ops::Range<usize>> {
    let local_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'');
    let mut start = at;
    while start > 0 && local_char(b[start - 1]) && at - start < 64 {
        start -= 1;
    }
    while start < at && matches!(b[start], b'.' | b'-' | b'+' | b'%' | b'\'') {
        start += 1;
    }
    if start == at || b[at - 1] == b'.' {
        return None;
    }
    let mut end = domain;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric() || matches!(b[end], b'.' | b'-'))
        && end - domain < 253
    {
        end += 1;
    }
    while end > domain && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let host = &b[domain..end];
    if host.first().is_none_or(|&c| !c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut labels = host.split(|&c| c == b'.');
    let tld = labels.next_back()?;
    if labels.clone().count() == 0 || labels.any(<[u8]>::is_empty) {
        return None;
    }
    if tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    const FILES: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "map", "json", "html",
        "htm",
    ];
    if FILES.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(tld)) {
        return None;
    }
    Some(start..end)
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// A JWT starting at `at`: three base64url segments, the first decoding to a JSON object with
/// `alg`.
fn jwt_at(b: &[u8], at: usize) -> Option<std::ops::Range<usize>> {
    if at > 0 && (is_b64url(b[at - 1]) || b[at - 1] == b'.') {
        return None;
    }
    let seg = |from: usize| {
        let mut end = from;
        while end < b.len() && is_b64url(b[end]) {
            end += 1;
        }
        end
    };
    let header_end = seg(at);
    if b.get(header_end) != Some(&b'.') || header_end - at > 2048 {
        return None;
    }
    let payload_end = seg(header_end + 1);
    if payload_end == header_end + 1 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    let mut end = seg(payload_end + 1);
    while end < b.len() && b[end] == b'=' {
        end += 1;
    }
    if b.get(end).is_some_and(|&c| c == b'.' || is_b64url(c)) {
        return None;
    }
    let header = b64url_decode(&b[at..header_end])?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str()?;
    Some(at..end)
}

/// Decodes unpadded base64url; `None` on a bad character.
fn b64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `AKIA`/`ASIA` and 16 upper-case letters or digits, standing alone.
fn aws_at(b: &[u8], at: usize) -> Option<std::ops::Range<usize>> {
    let end = at + 20;
    let ok = (at == 0 || !b[at - 1].is_ascii_alphanumeric())
        && end <= b.len()
        && b[at + 4..end]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
    ok.then_some(at..end)
}

/// A prefix at `at` and at least `min` token characters (letters and digits; `_` too if
/// `underscore`, `-` if `dash`).
fn token_at(
    b: &[u8],
    at: usize,
    prefix: usize,
    min: usize,
    underscore: bool,
    dash: bool,
) -> Option<std::ops::Range<usize>> {
    if at > 0 && is_word_byte(b[at - 1]) {
        return None;
    }
    let body = at + prefix;
    let mut end = body;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric()
            || (underscore && b[end] == b'_')
            || (dash && b[end] == b'-'))
    {
        end += 1;
    }
    (end - body >= min).then_some(at..end)
}

/// `xoxb-…`: at least 10 characters after the prefix, with a digit (the team id).
fn slack_at(b: &[u8], at: usize, prefix: usize) -> Option<std::ops::Range<usize>> {
    let r = token_at(b, at, prefix, 10, false, true)?;
    b[at + prefix..r.end]
        .iter()
        .any(u8::is_ascii_digit)
        .then_some(r)
}

/// `-----BEGIN … PRIVATE KEY-----`: the range up to the matching END line (or the header), and
/// the end of the header, which is shown.
fn private_key_at(s: &str, at: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let label_start = at + "-----BEGIN ".len();
    let rest = &s[label_start..];
    let label_len = rest.find("-----")?;
    let label = &rest[..label_len];
    if label_len > 40
        || !label.contains("PRIVATE KEY")
        || !label
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ')
    {
        return None;
    }
    let header_end = label_start + label_len + 5;
    let end = s[header_end..]
        .find("-----END ")
        .and_then(|i| {
            let from = header_end + i + "-----END ".len();
            s[from..].find("-----").map(|j| from + j + 5)
        })
        .unwrap_or(header_end);
    Some((at..end, header_end))
}

/// `Bearer ` and a token of at least 16 characters with a digit.
fn bearer_at(b: &[u8], at: usize, prefix: usize) -> Option<std::ops::Range<usize>> {
    if at > 0 && b[at - 1].is_ascii_alphanumeric() {
        return None;
    }
    let mut start = at + prefix;
    while start < b.len() && b[start] == b' ' {
        start += 1;
    }
    let mut end = start;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric()
            || matches!(b[end], b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
    {
        end += 1;
    }
    let token = &b[start..end];
    while end < b.len() && b[end] == b'=' {
        end += 1;
    }
    (token.len() >= 16 && token.iter().any(u8::is_ascii_digit)).then_some(at..end)
}

/// An IBAN starting at `i` (country code, check digits, the country's length; groups of four
/// may be separated by single spaces), mod-97 valid. Returns its end.
fn iban_at(b: &[u8], i: usize) -> Option<usize> {
    if !(b[i].is_ascii_uppercase()
        && b[i + 1].is_ascii_uppercase()
        && b[i + 2].is_ascii_digit()
        && b[i + 3].is_ascii_digit())
    {
        return None;
    }
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80) {
        return None;
    }
    let len = iban_length([b[i], b[i + 1]])?;
    let mut chars = [0u8; 34];
    let (mut n, mut pos) = (0, i);
    while n < len && pos < b.len() {
        let c = b[pos];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            chars[n] = c;
            n += 1;
            pos += 1;
        } else if c == b' ' && n % 4 == 0 && b.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric) {
            pos += 1;
        } else {
            break;
        }
    }
    if n != len
        || b.get(pos)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c >= 0x80)
    {
        return None;
    }
    let chars = &chars[..len];
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        rem = if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    (rem == 1).then_some(pos)
}

/// IBAN lengths by country (SWIFT IBAN registry).
fn iban_length(cc: [u8; 2]) -> Option<usize> {
    Some(match &cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" | b"FK" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" | b"MN" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" | b"OM" | b"SO" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" | b"BI" | b"DJ" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" | b"HN"
        | b"NI" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    })
}

/// Four dotted octets (0–255, no leading zeros) at `i`, standing alone.
fn ipv4_at(b: &[u8], i: usize) -> Option<(usize, [u8; 4])> {
    let mut octets = [0u8; 4];
    let mut pos = i;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let start = pos;
        let mut v = 0u32;
        while pos < b.len() && b[pos].is_ascii_digit() && pos - start < 3 {
            v = v * 10 + u32::from(b[pos] - b'0');
            pos += 1;
        }
        let len = pos - start;
        if len == 0 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *octet = v as u8;
    }
    let right_ok = match b.get(pos) {
        None => true,
        Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80 => false,
        Some(b'.') => !b.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric),
        Some(_) => true,
    };
    right_ok.then_some((pos, octets))
}

/// Digit groups read from a position: `+1 (415) 555-9120`, `4507 6952 0601 9579`,
/// `123-45-6789`.
#[derive(Default)]
struct Groups {
    end: usize,
    plus: bool,
    /// (start, length, in parentheses)
    groups: [(usize, usize, bool); 8],
    n: usize,
    /// Too many groups to be any of ours.
    overflow: bool,
    seps: u8,
    digits: usize,
}

const SEP_SPACE: u8 = 1;
const SEP_DASH: u8 = 2;
const SEP_DOT: u8 = 4;
const SEP_PLUS: u8 = 8;

impl Groups {
    fn read(b: &[u8], start: usize) -> Groups {
        let mut g = Groups {
            end: start,
            ..Groups::default()
        };
        let mut i = start;
        if b[i] == b'+' {
            g.plus = true;
            i += 1;
        }
        let digits_end = |from: usize| {
            let mut e = from;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            e
        };
        loop {
            let (gs, len, paren);
            if b.get(i) == Some(&b'(') {
                let e = digits_end(i + 1);
                if e == i + 1 || b.get(e) != Some(&b')') {
                    break;
                }
                (gs, len, paren) = (i + 1, e - i - 1, true);
                i = e + 1;
            } else {
                let e = digits_end(i);
                if e == i {
                    break;
                }
                (gs, len, paren) = (i, e - i, false);
                i = e;
            }
            if g.n < g.groups.len() {
                g.groups[g.n] = (gs, len, paren);
                g.n += 1;
            } else {
                g.overflow = true;
            }
            g.digits += len;
            g.end = i;
            let starts_group = |j: usize| {
                b.get(j).is_some_and(u8::is_ascii_digit)
                    || (b.get(j) == Some(&b'(') && b.get(j + 1).is_some_and(u8::is_ascii_digit))
            };
            match b.get(i) {
                Some(&c @ (b' ' | b'-' | b'.' | b'+')) if starts_group(i + 1) => {
                    g.seps |= match c {
                        b' ' => SEP_SPACE,
                        b'-' => SEP_DASH,
                        b'.' => SEP_DOT,
                        _ => SEP_PLUS,
                    };
                    i += 1;
                }
                Some(c) if paren && c.is_ascii_digit() => {}
                _ => break,
            }
        }
        if g.overflow {
            g.n = 0;
        }
        g
    }

    fn len(&self, k: usize) -> usize {
        self.groups[k].1
    }

    fn any_paren(&self) -> bool {
        self.groups[..self.n].iter().any(|g| g.2)
    }

    fn number(&self, b: &[u8], k: usize) -> u32 {
        let (s, len, _) = self.groups[k];
        b[s..s + len]
            .iter()
            .fold(0, |v, c| v * 10 + u32::from(c - b'0'))
    }

    fn first_digit(&self, b: &[u8], k: usize) -> u8 {
        b[self.groups[k].0]
    }

    /// `123-45-6789`, without the never-issued ranges (area 000, 666, 900–999; group 00;
    /// serial 0000).
    fn is_ssn(&self, b: &[u8]) -> bool {
        if self.plus
            || self.n != 3
            || self.seps != SEP_DASH
            || self.any_paren()
            || (self.len(0), self.len(1), self.len(2)) != (3, 2, 4)
        {
            return false;
        }
        let area = self.number(b, 0);
        area != 0 && area != 666 && area < 900 && self.number(b, 1) != 0 && self.number(b, 2) != 0
    }

    /// 13–19 digits, one block or 4-digit-led groups split by one kind of separator,
    /// Luhn-valid, with a known issuer prefix.
    fn is_card(&self, b: &[u8]) -> bool {
        if self.plus
            || self.any_paren()
            || !matches!(self.seps, 0 | SEP_SPACE | SEP_DASH)
            || !(13..=19).contains(&self.digits)
            || (self.n > 1
                && (self.len(0) != 4 || (1..self.n).any(|k| !(3..=6).contains(&self.len(k)))))
        {
            return false;
        }
        let mut digits = [0u8; 19];
        let mut n = 0;
        for &(s, len, _) in &self.groups[..self.n] {
            digits[n..n + len].copy_from_slice(&b[s..s + len]);
            n += len;
        }
        luhn(&digits[..n]) && iin_ok(&digits[..n])
    }

    /// `+14155552671`, `+44 20 7946 0958`, `+1 (415) 555-9120`, `(415) 555-9120`,
    /// `415-555-9120`, `1-415-555-9120`, `020 7946 0958`.
    fn is_phone(&self, b: &[u8]) -> bool {
        if self.n == 0 {
            return false;
        }
        if self.plus {
            if self.first_digit(b, 0) == b'0' {
                return false;
            }
            return if self.n == 1 {
                (10..=15).contains(&self.digits)
            } else {
                (9..=15).contains(&self.digits) && self.len(0) <= 4 && self.n <= 6
            };
        }
        // North American: [1] (NPA) NXX-XXXX.
        let off = usize::from(
            self.n == 4 && self.len(0) == 1 && self.first_digit(b, 0) == b'1' && !self.groups[0].2,
        );
        if self.n - off == 3
            && (self.len(off), self.len(off + 1), self.len(off + 2)) == (3, 3, 4)
            && !self.groups[off + 1].2
            && !self.groups[off + 2].2
            && (b'2'..=b'9').contains(&self.first_digit(b, off))
            && (b'2'..=b'9').contains(&self.first_digit(b, off + 1))
        {
            return true;
        }
        // National with a trunk 0: 020 7946 0958, 07700 900123.
        (2..=4).contains(&self.n)
            && self.first_digit(b, 0) == b'0'
            && (2..=5).contains(&self.len(0))
            && (1..self.n).all(|k| (2..=8).contains(&self.len(k)) && !self.groups[k].2)
            && (10..=11).contains(&self.digits)
            && self.seps & !(SEP_SPACE | SEP_DASH) == 0
    }
}

/// The Luhn checksum of ASCII digits.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A known issuer prefix for the number's length: Visa, Mastercard, Amex, Discover, JCB,
/// Diners, UnionPay, Maestro.
fn iin_ok(d: &[u8]) -> bool {
    let num = |k: usize| {
        d[..k]
            .iter()
            .fold(0u32, |v, c| v * 10 + u32::from(c - b'0'))
    };
    let len = d.len();
    let (p2, p3, p4) = (num(2), num(3), num(4));
    match d[0] {
        b'4' => matches!(len, 13 | 16 | 19),
        b'5' => {
            ((51..=55).contains(&p2) && len == 16)
                || (matches!(p2, 50 | 56..=58) && (13..=19).contains(&len))
        }
        b'2' => (2221..=2720).contains(&p4) && len == 16,
        b'3' => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&len))
                || (((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&len))
        }
        b'6' => (16..=19).contains(&len) || ((13..=19).contains(&len) && matches!(p2, 63 | 67)),
        _ => false,
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

// ---------------------------------------------------------------------------------------------
// Key words

const MAX_WORDS: usize = 12;

/// A key split into words: `_`, `-`, spaces and other punctuation, `camelCase` and
/// `letter|digit` boundaries (`IPAddress` → `IP Address`, `address2` → `address 2`). Compared
/// without regard to ASCII case. Words past the twelfth are dropped.
struct Words<'a> {
    key: &'a str,
    spans: [(u16, u16); MAX_WORDS],
    n: usize,
}

impl<'a> Words<'a> {
    fn of(key: &'a str) -> Words<'a> {
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

    fn push(&mut self, s: u16, e: u16) {
        if self.n < MAX_WORDS {
            self.spans[self.n] = (s, e);
            self.n += 1;
        }
    }

    fn len(&self) -> usize {
        self.n
    }

    fn get(&self, i: usize) -> &'a str {
        let (s, e) = self.spans[i];
        &self.key[usize::from(s)..usize::from(e)]
    }

    fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word)
    }

    fn equals(&self, seq: &[&str]) -> bool {
        self.n == seq.len() && seq.iter().enumerate().all(|(i, w)| self.is(i, w))
    }

    fn any_of(&self, list: &[&str]) -> bool {
        (0..self.n).any(|i| list.iter().any(|w| self.is(i, w)))
    }

    /// Whether `seq` occurs as consecutive words from word `i`.
    fn matches_at(&self, i: usize, seq: &[&str]) -> bool {
        i + seq.len() <= self.n && seq.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    /// Whether a word outside `span` is in `list`.
    fn other_in(&self, span: (usize, usize), list: &[&str]) -> bool {
        (0..self.n).any(|i| (i < span.0 || i >= span.1) && list.iter().any(|w| self.is(i, w)))
    }

    /// The normalised key: lower-case words joined by `_`.
    fn snake(&self) -> String {
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
fn word_hash(word: &[u8]) -> u64 {
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
struct WordFilter {
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
    fn positions(h: u64) -> [usize; 2] {
        [(h >> 52) as usize, (h >> 40) as usize & 4095]
    }

    fn insert(&mut self, h: u64) {
        for p in WordFilter::positions(h) {
            self.bits[p / 64] |= 1 << (p % 64);
        }
    }

    fn contains(&self, h: u64) -> bool {
        WordFilter::positions(h)
            .iter()
            .all(|&p| self.bits[p / 64] & (1 << (p % 64)) != 0)
    }
}

// ---------------------------------------------------------------------------------------------
// Key rules: the Privacy Portal's default matchers

/// What kind of value a key rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// Non-empty strings only (passwords, tokens).
    Secret,
    /// Non-empty strings, numbers, non-empty containers (an email, a zip code).
    Identifier,
    /// All that, and booleans (`veteran: true` says something about a person).
    Attribute,
}

impl Takes {
    fn accepts(self, value: &Value) -> bool {
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
enum Needs {
    Nothing,
    /// A person qualifier in the key (`first`, `customer`…), a person parent (`recipient`), or
    /// a place whose members are a person's (`traits`).
    Person,
    /// A health word in the key or its parent (`medical_condition`).
    Health,
}

#[derive(Debug)]
struct KeyRule {
    /// The Privacy Portal matcher name; a custom matcher of this name replaces the rule.
    name: &'static str,
    /// "a name", for messages.
    what: &'static str,
    class: PiiClass,
    takes: Takes,
    /// Alternative word sequences, lower case.
    seqs: &'static [&'static [&'static str]],
    /// Other words in the key that make it about the data rather than the data
    /// (`email_verified`).
    neutral: &'static [&'static str],
    needs: Needs,
    /// Words (in the key or its parent) that make it Yellow: a push token.
    softer: &'static [&'static str],
    softer_what: &'static str,
}

impl KeyRule {
    /// The class of a match, given where one of the rule's sequences occurs in the key.
    fn verdict(
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

/// Words that say a key is about the data, not the data.
#[rustfmt::skip]
const META: &[&str] = &[
    "id", "ids", "count", "type", "types", "status", "enabled", "verified", "validated", "valid",
    "confirmed", "opt", "optin", "opted", "consent", "consented", "preference", "preferences",
    "template", "format", "length", "provided", "present", "required", "changed", "updated", "sent",
    "field", "fields", "label", "placeholder", "error", "errors", "domain", "provider", "source",
    "campaign", "list", "frequency", "subscribed", "unsubscribed", "subject", "opened", "clicked",
    "bounced", "delivered", "reminder", "strength", "reset", "policy", "hint", "attempts",
    "attempt", "failed", "expired", "expires", "expiry", "expiration", "ttl", "visible", "hidden",
    "mode", "option", "options", "method", "methods", "code", "set", "exists", "known", "step",
];

#[rustfmt::skip]
const NAME_QUALIFIERS: &[&str] = &[
    "first", "last", "full", "middle", "given", "family", "maiden", "legal", "sur", "fore",
    "customer", "contact", "billing", "shipping", "recipient", "sender", "holder", "cardholder",
    "person", "patient", "employee", "guest", "passenger", "traveler", "traveller", "beneficiary",
    "payer", "payee", "buyer", "owner", "parent", "child", "spouse", "emergency", "member", "birth",
    "real", "student", "driver", "applicant", "candidate", "referrer", "attendee", "author",
];

#[rustfmt::skip]
const PERSON_WORDS: &[&str] = &[
    "user", "users", "customer", "customers", "contact", "contacts", "person", "people",
    "recipient", "recipients", "sender", "buyer", "billing", "shipping", "owner", "patient",
    "member", "members", "employee", "employees", "guest", "guests", "passenger", "passengers",
    "traveler", "traveller", "travelers", "travellers", "beneficiary", "payer", "payee", "holder",
    "cardholder", "applicant", "candidate", "student", "driver", "parent", "child", "spouse",
    "emergency", "profile", "identity", "attendee", "attendees", "invitee", "author", "friend",
    "referee",
];

#[rustfmt::skip]
const HEALTH_WORDS: &[&str] = &[
    "medical", "health", "chronic", "preexisting", "pre", "existing", "mental", "heart", "skin",
    "surgical", "dental", "patient", "clinical", "diagnosed",
];

#[rustfmt::skip]
const NAME_NEUTRAL: &[&str] = &[
    "user", "display", "screen", "nick", "file", "app", "product", "event", "page", "list",
    "wishlist", "coupon", "campaign", "company", "brand", "store", "shop", "team", "org",
    "organization", "group", "account", "project", "workspace", "channel", "plan", "feature",
    "variant", "category", "experiment", "variation", "device", "host", "domain", "bucket", "table",
    "column", "field", "key", "id", "ids", "type", "count", "label", "placeholder", "error",
];

#[rustfmt::skip]
const CARD_NEUTRAL: &[&str] = &[
    "id", "ids", "count", "type", "types", "status", "enabled", "verified", "valid", "brand",
    "network", "last", "four", "bin", "issuer", "country", "funding", "exp", "expiry", "month",
    "year", "fingerprint", "saved", "gift", "loyalty", "library", "membership", "reward", "rewards",
    "sim", "wallet", "present", "provided", "required", "field", "label", "placeholder", "error",
    "errors", "token", "tokenized", "method", "on", "file",
];

#[rustfmt::skip]
const SMALL_NEUTRAL: &[&str] = &[
    "count", "provided", "required", "present", "field", "label", "placeholder", "error", "errors",
    "enabled", "verified", "valid",
];

#[rustfmt::skip]
const PASSWORD_NEUTRAL: &[&str] = &[
    "count", "type", "status", "enabled", "verified", "validated", "valid", "provided", "present",
    "required", "changed", "updated", "sent", "field", "label", "placeholder", "error", "errors",
    "strength", "reset", "policy", "hint", "attempts", "attempt", "failed", "expired", "expires",
    "expiry", "expiration", "length", "set", "visible", "hidden", "manager", "less", "rules",
];

#[rustfmt::skip]
const TOKEN_NEUTRAL: &[&str] = &[
    "count", "type", "types", "status", "enabled", "valid", "provided", "present", "required",
    "expires", "expiry", "expiration", "expired", "ttl", "page", "pagination", "cursor", "next",
    "limit", "limits", "used", "usage", "input", "output", "prompt", "completion", "total", "max",
    "min", "budget", "cost", "price", "symbol", "name", "amount", "balance", "decimals", "supply",
    "standard", "length", "refreshed", "field", "label", "error", "errors",
];

#[rustfmt::skip]
const PUSH_WORDS: &[&str] = &[
    "push", "device", "fcm", "apns", "registration", "notification", "notifications", "firebase",
];

macro_rules! rule {
    ($name:expr, $what:expr, $class:ident, $takes:ident, $seqs:expr, $neutral:expr) => {
        rule!($name, $what, $class, $takes, $seqs, $neutral, Nothing)
    };
    (
        $name:expr, $what:expr, $class:ident, $takes:ident, $seqs:expr, $neutral:expr,
        $needs:ident
    ) => {
        KeyRule {
            name: $name,
            what: $what,
            class: PiiClass::$class,
            takes: Takes::$takes,
            seqs: $seqs,
            neutral: $neutral,
            needs: Needs::$needs,
            softer: &[],
            softer_what: $what,
        }
    };
}

/// In order: the first rule that matches wins (`email_address` is an email, not an address).
#[rustfmt::skip]
static KEY_RULES: &[KeyRule] = &[
    // Red
    rule!("social security number", "a US Social Security number", Red, Identifier,
        &[&["ssn"], &["social", "security"], &["socialsecuritynumber"]], SMALL_NEUTRAL),
    rule!("password", "a password", Red, Secret,
        &[&["password"], &["passwords"], &["passwd"], &["pwd"], &["passcode"], &["pass", "word"]],
        PASSWORD_NEUTRAL),
    rule!("passport", "a passport number", Red, Identifier, &[&["passport"]], SMALL_NEUTRAL),
    rule!("credit card", "a payment card number", Red, Identifier,
        &[&["credit", "card"], &["creditcard"], &["card", "number"], &["cardnumber"],
          &["cc", "number"], &["cvv"], &["cvc"], &["card", "security", "code"]],
        CARD_NEUTRAL),
    rule!("visa", "visa details", Red, Identifier, &[&["visa"]],
        &["checkout", "card", "cards", "payment", "payments", "pay", "brand", "enabled", "accepted",
          "debit", "credit", "count"]),
    rule!("veteran", "veteran status", Red, Attribute, &[&["veteran"]],
        &["discount", "discounts", "id", "count"]),
    rule!("disability", "disability information", Red, Attribute,
        &[&["disability"], &["disabilities"]], &["id", "count"]),
    KeyRule {
        name: "token",
        what: "a token (a secret)",
        class: PiiClass::Red,
        takes: Takes::Secret,
        seqs: &[&["token"], &["tokens"], &["access", "token"], &["refresh", "token"],
                &["api", "key"], &["apikey"], &["secret"], &["client", "secret"]],
        neutral: TOKEN_NEUTRAL,
        needs: Needs::Nothing,
        softer: PUSH_WORDS,
        softer_what: "a push token",
    },
    // Yellow
    rule!("email", "an email address", Yellow, Identifier,
        &[&["email"], &["emails"], &["emailaddress"], &["e", "mail"], &["mail", "address"]], META),
    rule!("ip", "an IP address", Yellow, Identifier,
        &[&["ip"], &["ips"], &["ipaddress"], &["ipv", "4"], &["ipv", "6"]],
        &["id", "ids", "count", "type", "country", "region", "city", "version", "range", "location",
          "geo", "lookup", "enabled", "allowlist", "blocklist"]),
    rule!("mac", "a MAC address", Yellow, Identifier,
        &[&["mac", "address"], &["macaddress"], &["mac"]],
        &["id", "count", "type", "version", "os", "app", "model", "user", "users", "book",
          "enabled"]),
    rule!("birthdate", "a date of birth", Yellow, Identifier,
        &[&["birthdate"], &["birth", "date"], &["birthday"], &["date", "of", "birth"], &["dob"],
          &["birth", "day"]],
        META),
    rule!("phone", "a phone number", Yellow, Identifier,
        &[&["phone"], &["phones"], &["telephone"], &["phonenumber"], &["tel"],
          &["mobile", "number"], &["cell", "number"]],
        &["id", "ids", "count", "type", "status", "verified", "validated", "confirmed", "opt",
          "optin", "consent", "country", "model", "make", "brand", "os", "carrier", "manufacturer",
          "code", "field", "label", "placeholder", "error", "errors", "provided", "present",
          "required", "changed", "updated", "enabled"]),
    rule!("address", "a postal address", Yellow, Identifier, &[&["address"], &["addresses"]], META),
    rule!("street", "a street address", Yellow, Identifier,
        &[&["street"], &["streetaddress"]], META),
    rule!("city", "a city", Yellow, Identifier, &[&["city"]], META),
    rule!("zipcode", "a postal code", Yellow, Identifier,
        &[&["zipcode"], &["zip"], &["postal", "code"], &["postalcode"], &["postcode"]], META),
    rule!("gender", "a gender", Yellow, Attribute, &[&["gender"]], SMALL_NEUTRAL),
    rule!("race", "a race", Yellow, Attribute, &[&["race"]],
        &["id", "ids", "name", "distance", "time", "type", "date", "count", "number", "pace",
          "result", "results", "position", "category", "event", "course", "series", "track", "car",
          "day", "start", "finish"]),
    rule!("ethnicity", "an ethnicity", Yellow, Attribute,
        &[&["ethnicity"], &["ethnic", "origin"]], SMALL_NEUTRAL),
    rule!("citizenship", "a citizenship", Yellow, Attribute,
        &[&["citizenship"], &["nationality"]], SMALL_NEUTRAL),
    rule!("certificate", "a certificate", Yellow, Identifier, &[&["certificate"]],
        &["id", "ids", "count", "type", "gift", "ssl", "tls", "status", "enabled"]),
    rule!("license", "a licence number", Yellow, Identifier, &[&["license"], &["licence"]],
        &["count", "type", "plan", "tier", "seats", "seat", "level", "model", "software",
          "agreement", "terms", "status", "enabled", "valid", "expires", "expiry"]),
    rule!("identification", "an identification document", Yellow, Identifier,
        &[&["identification"]], META),
    rule!("serial", "a serial number", Yellow, Identifier, &[&["serial"]], META),
    rule!("photo", "a photo", Yellow, Identifier, &[&["photo"], &["photos"], &["photograph"]],
        &["id", "ids", "count", "type", "filter", "filters", "size", "width", "height", "enabled",
          "uploaded", "status"]),
    rule!("salary", "a salary", Yellow, Identifier, &[&["salary"]],
        &["range", "currency", "period", "count", "type"]),
    rule!("religion", "a religion", Yellow, Attribute,
        &[&["religion"], &["religious"]], SMALL_NEUTRAL),
    rule!("sexual orientation", "a sexual orientation", Yellow, Attribute,
        &[&["sexual", "orientation"]], SMALL_NEUTRAL),
    rule!("sex", "a sex", Yellow, Attribute, &[&["sex"]], SMALL_NEUTRAL),
    rule!("medication", "a medication", Yellow, Attribute,
        &[&["medication"], &["medications"], &["medicine"], &["medicines"]], SMALL_NEUTRAL),
    rule!("allergy", "an allergy", Yellow, Attribute,
        &[&["allergy"], &["allergies"]], SMALL_NEUTRAL),
    rule!("condition", "a medical condition", Yellow, Attribute,
        &[&["condition"], &["conditions"]], SMALL_NEUTRAL, Health),
    rule!("diagnosis", "a diagnosis", Yellow, Attribute,
        &[&["diagnosis"], &["diagnoses"]], SMALL_NEUTRAL),
    rule!("procedure", "a medical procedure", Yellow, Attribute,
        &[&["procedure"], &["procedures"]], SMALL_NEUTRAL, Health),
    rule!("name", "a person's name", Yellow, Identifier,
        &[&["firstname"], &["lastname"], &["fullname"], &["surname"], &["forename"], &["givenname"],
          &["familyname"], &["middlename"], &["maidenname"]],
        NAME_NEUTRAL),
    rule!("name", "a person's name", Yellow, Identifier,
        &[&["name"], &["names"]], NAME_NEUTRAL, Person),
];

// ---------------------------------------------------------------------------------------------
// Expected places from the configuration

#[derive(Debug, Clone, PartialEq, Eq)]
enum PlaceSeg {
    Key(String),
    Index(usize),
    Any,
}

/// Parses `properties.products[*].email`, `context["user-agent"]`, `traits.*`.
fn parse_place(path: &str) -> Result<Vec<PlaceSeg>, &'static str> {
    let b = path.as_bytes();
    if b.is_empty() {
        return Err("an empty path");
    }
    let mut segs = Vec::new();
    let mut i = 0;
    loop {
        if b[i] == b'[' {
            let close = match b.get(i + 1) {
                Some(b'*') => {
                    segs.push(PlaceSeg::Any);
                    i + 2
                }
                Some(b'0'..=b'9') => {
                    let mut e = i + 1;
                    while e < b.len() && b[e].is_ascii_digit() {
                        e += 1;
                    }
                    segs.push(PlaceSeg::Index(
                        path[i + 1..e].parse().map_err(|_| "an index too large")?,
                    ));
                    e
                }
                Some(b'"') => {
                    let mut e = i + 2;
                    while e < b.len() && b[e] != b'"' {
                        e += if b[e] == b'\\' { 2 } else { 1 };
                    }
                    if e >= b.len() {
                        return Err("an unterminated quoted key");
                    }
                    let key: String =
                        serde_json::from_str(&path[i + 1..=e]).map_err(|_| "a bad quoted key")?;
                    segs.push(PlaceSeg::Key(key));
                    e + 1
                }
                _ => return Err("`[` must be followed by an index, `*` or a quoted key"),
            };
            if b.get(close) != Some(&b']') {
                return Err("a missing `]`");
            }
            i = close + 1;
        } else {
            let start = i;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            match &path[start..i] {
                "" => return Err("an empty key"),
                "*" => segs.push(PlaceSeg::Any),
                key => segs.push(PlaceSeg::Key(key.to_string())),
            }
        }
        match b.get(i) {
            None => return Ok(segs),
            Some(b'.') => {
                i += 1;
                if i == b.len() || b[i] == b'[' || b[i] == b'.' {
                    return Err("an empty key after `.`");
                }
            }
            Some(b'[') => {}
            Some(_) => return Err("`.` or `[` expected after `]`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::json::Json;
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::*;

    fn scan_with(matchers: &PiiMatchers, message: &Value) -> Vec<Finding> {
        let mut out = Vec::new();
        matchers.scan(&Json::from_value(message), &mut out);
        out
    }

    fn scan(message: &Value) -> Vec<Finding> {
        scan_with(&PiiMatchers::default(), message)
    }

    fn track(properties: Value) -> Value {
        json!({"type": "track", "event": "Note Added", "userId": "user_1", "properties": properties})
    }

    /// Rule codes found in `properties.notes = text`.
    fn rules_in(text: &str) -> Vec<String> {
        scan(&track(json!({ "notes": text })))
            .into_iter()
            .map(|f| f.rule.into_owned())
            .collect()
    }

    fn assert_finds(rule: &str, texts: &[&str]) {
        for text in texts {
            let rules = rules_in(text);
            assert!(
                rules.iter().any(|r| r == rule),
                "{rule} not found in {text:?}: {rules:?}"
            );
        }
    }

    fn assert_clean(texts: &[&str]) {
        for text in texts {
            let findings = scan(&track(json!({ "notes": text })));
            assert!(findings.is_empty(), "{text:?} gave {findings:#?}");
        }
    }

    fn assert_not(rule: &str, texts: &[&str]) {
        for text in texts {
            let rules = rules_in(text);
            assert!(
                !rules.iter().any(|r| r == rule),
                "{rule} found in {text:?}: {rules:?}"
            );
        }
    }

    /// (rule, path, severity) of each finding.
    fn summary(findings: &[Finding]) -> Vec<(String, String, Severity)> {
        findings
            .iter()
            .map(|f| (f.rule.to_string(), f.path.clone(), f.severity))
            .collect()
    }

    fn one(findings: &[Finding], path: &str) -> (String, Severity) {
        let at: Vec<_> = findings.iter().filter(|f| f.path == path).collect();
        assert_eq!(
            at.len(),
            1,
            "one finding at {path}: {:#?}",
            summary(findings)
        );
        (at[0].rule.to_string(), at[0].severity)
    }

    fn none_at(findings: &[Finding], path: &str) {
        assert!(
            findings.iter().all(|f| f.path != path),
            "nothing at {path}: {:#?}",
            summary(findings)
        );
    }

    // Secrets are assembled at run time so that the source holds no token-shaped literal.
    fn stripe_key() -> String {
        format!("sk_{}_{}", "live", "SKjq47gJhC9phnWrA2Wgu2iK")
    }

    fn github_token() -> String {
        format!("gh{}_{}", "p", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z00")
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    // --- value matchers ----------------------------------------------------------------------

    #[test]
    fn emails() {
        assert_finds(
            "pii/email",
            &[
                "jane.doe@example.com",
                "please email me at omar.doe4@gmail.com",
                "https://shop.example.com/checkout?email=jane.wei40@example.org",
                "?email=jane%40example.org",
                "Jane <jane+promo@mail.example.co.uk>.",
            ],
        );
        assert_clean(&[
            "user@localhost",
            "logo@2x.png",
            "@handle",
            "npm:@segment/analytics-next",
            "a @ b",
            "foo@bar",
        ]);
    }

    #[test]
    fn phones() {
        assert_finds(
            "pii/phone",
            &[
                "+14155552671",
                "(415) 555-9120",
                "415-555-9120",
                "415.555.9120",
                "1-415-555-9120",
                "+44 20 7946 0958",
                "020 7946 0958",
                "call me on +1 (415) 555-9120 after 5pm",
                "?tel=+1+(415)+555-4966",
                "https://shop.example.com/cart?tel=415-555-1674",
            ],
        );
        assert_clean(&[
            "555-9120",
            "2025-10-21",
            "2025-10-21T10:00:00Z",
            "+12.50",
            "1,299.99",
            "42.50",
            "115-555-9120",
            "4155559120",
            "1763800000",
            "ord_4155559120",
            "SKU-41555-59120",
        ]);
        assert_not(
            "pii/phone",
            &["151.22.228.128", "4111 1111 1111 1111", "123-45-6789"],
        );
    }

    #[test]
    fn cards() {
        assert_finds(
            "pii/card",
            &[
                "4111 1111 1111 1111",
                "4111-1111-1111-1111",
                "paid with 4507695206019579",
                "378282246310005",
                "3782 822463 10005",
                "5555555555554444",
                "6011111111111117",
                "2223003122003222",
            ],
        );
        assert_clean(&[
            // A 16-digit order id that fails Luhn.
            "4111111111111112",
            "order 4532015112830361",
            // Luhn-valid, but no issuer starts with 1.
            "1234567812345670",
            "1763800000000",
            "4111 1111 1111 11111 1",
            "41111111-11111111",
            "DE89370400440532013000x",
        ]);
    }

    #[test]
    fn ssns() {
        assert_finds("pii/ssn", &["123-45-6789", "ssn 531-80-1933 for tax form"]);
        assert_clean(&[
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "123-00-4567",
            "123-45-0000",
            "123 45 6789",
            "2123-45-6789",
            "123-45-67890",
        ]);
    }

    #[test]
    fn ibans() {
        assert_finds(
            "pii/iban",
            &[
                "DE89370400440532013000",
                "DE89 3704 0044 0532 0130 00",
                "GB82WEST12345698765432",
                "refund to FR1420041010050500013M02606",
                "?ref=NL91ABNA0417164300",
                "refund to DE40370400447538320099",
            ],
        );
        assert_clean(&[
            "DE89370400440532013001",
            "DE8937040044053201300",
            "XX89370400440532013000",
            "ADE89370400440532013000",
        ]);
    }

    #[test]
    fn ips() {
        assert_finds(
            "pii/ip",
            &[
                "73.207.186.118",
                "from 10.0.0.12, behind a proxy",
                "http://192.168.1.20:8080/admin",
                "2001:db8:85a3::8a2e:370:7334",
                "client [fe80::1ff:fe23:4567:890a] connected",
            ],
        );
        assert_clean(&[
            "1.70.0",
            "next-1.72.1",
            "npm:next-1.74.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/130.0.2849.80",
            "256.1.1.1",
            "1.2.3.4.5",
            "01.02.03.04",
            "0.0.0.0",
            "127.0.0.1",
            "10:00:00",
            "2025-10-21T10:00:00.123Z",
            "00:1A:2B:3C:4D:5E",
            "::1",
            "std::vec::Vec",
        ]);
        // A four-part version under a version key is not an address.
        let findings = scan(&track(
            json!({"app_version": "10.2.0.14", "build": "1.2.3.4"}),
        ));
        assert!(findings.is_empty(), "{:#?}", summary(&findings));
    }

    #[test]
    fn jwts() {
        let fixture = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiODk4NjMiLCAiaWF0IjogMTc2MzgwMDAwMH0.hRH9W2_2ZrVXPp7mxVCwfakYXDbALKdI2jhVzBGL1Xs";
        assert_finds(
            "pii/jwt",
            &[JWT, fixture, &format!("https://x.example/?token={JWT}&a=1")],
        );
        assert_clean(&[
            // The header has no `alg`.
            "eyJmb28iOiJiYXIifQ.eyJ4IjoxfQ.c2lnbmF0dXJl",
            // Not three segments.
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            "heyJude.eyJ.x",
        ]);
    }

    #[test]
    fn api_keys() {
        let aws = format!("AKIA{}", "IOSFODNN7EXAMPLE");
        let sts = format!("ASIA{}", "Y34FZKBOKMUTVV7A");
        let github_pat = format!(
            "github_{}_{}",
            "pat", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
        );
        let slack = format!(
            "xox{}-{}",
            "b", "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
        );
        let stripe_test = format!("rk_{}_{}", "test", "51H8xYzAbCdEfGhIjKlMnOp");
        for key in [
            &aws,
            &sts,
            &stripe_key(),
            &stripe_test,
            &github_token(),
            &github_pat,
            &slack,
        ] {
            assert_finds("pii/api-key", &[key, &format!("key={key};")]);
        }
        assert_clean(&[
            "AKIAIOSFODNN7EXAMPL",
            "XAKIAIOSFODNN7EXAMPLE",
            "sk_live_short",
            "pk_live_SKjq47gJhC9phnWrA2Wgu2iK",
            "ghp_tooShort123",
            "ghs_some_snake_case_identifier_name_here",
            "xoxb-no-digits-here",
            "task_live_SKjq47gJhC9phnWrA2Wgu2iK",
        ]);
    }

    #[test]
    fn private_keys_and_bearer_tokens() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----";
        assert_finds(
            "pii/private-key",
            &[
                pem,
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                "x -----BEGIN PRIVATE KEY----- y",
            ],
        );
        assert_clean(&["-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----"]);
        let f = scan(&track(json!({ "notes": pem })));
        assert_eq!(
            f[0].actual.as_deref(),
            Some("-----BEGIN RSA PRIVATE KEY-----")
        );

        assert_finds(
            "pii/bearer-token",
            &[
                "Authorization: Bearer abcdef0123456789abcdef",
                &format!("Bearer {JWT}"),
            ],
        );
        assert_clean(&[
            "Bearer token",
            "bearer ${TOKEN}",
            "Bearer abcdefghijklmnopqrstuvwxyz",
        ]);
        // A JWT inside a bearer header is reported once, as the bearer token.
        assert_eq!(rules_in(&format!("Bearer {JWT}")), ["pii/bearer-token"]);
    }

    #[test]
    fn near_misses_are_clean() {
        assert_clean(&[
            "2025-10-21T10:00:00Z",
            "2026-11-01T00:00:00.752Z",
            "3bd1829f-6a9a-41b5-ac61-16e91db0a04e",
            "12345678-1234-1234-1234-123456789012",
            "1.70.0",
            "next-1.72.1",
            "42.50",
            "SKU-83512",
            "/products/trail-runner-3",
            "https://cdn.example.com/img/city-backpack-22l_8.jpg",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "d41d8cd98f00b204e9800998ecf8427e",
            "1763800000000",
            "ord_bb2d0f88080b",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "order 4111111111111112 shipped",
        ]);
    }

    #[test]
    fn json_numbers_can_be_cards() {
        let f = scan(&track(
            json!({"amount": 4111111111111111u64, "order_id": 4111111111111111u64, "n": 4111111111111112u64, "ts": 1763800000000u64, "price": 42.5}),
        ));
        assert_eq!(
            summary(&f),
            [(
                "pii/card".to_string(),
                "properties.amount".to_string(),
                Severity::Error
            )]
        );
        // A bare number string under an id key is an id; in text it is a card.
        let f = scan(&track(
            json!({"order_id": "4111111111111111", "ref": "card 4111111111111111"}),
        ));
        assert_eq!(
            summary(&f),
            [(
                "pii/card".to_string(),
                "properties.ref".to_string(),
                Severity::Error
            )]
        );
    }

    #[test]
    fn one_finding_per_text_and_several_per_string() {
        let f = scan(&track(
            json!({"notes": "mail jane@example.com or call 415-555-9120, card 4111 1111 1111 1111"}),
        ));
        let rules: Vec<_> = f.iter().map(|f| f.rule.as_ref()).collect();
        assert_eq!(rules, ["pii/email", "pii/phone", "pii/card"]);
    }

    #[test]
    fn masks_never_echo_the_secret() {
        assert_eq!(mask("4111111111111111"), "41************11");
        assert_eq!(mask("abc"), "***");
        assert_eq!(mask("abcdef"), "a****f");
        assert_eq!(mask(&"x".repeat(100)).len(), 16);
        assert_eq!(mask("jöhn.doe@exämple.com"), "jö************om");
        for text in [
            stripe_key(),
            github_token(),
            JWT.to_string(),
            "123-45-6789".into(),
            "DE89370400440532013000".into(),
        ] {
            let f = scan(&track(json!({ "notes": format!("x {text} y") })));
            let actual = f[0].actual.as_deref().unwrap();
            assert!(!actual.contains(&text[2..text.len() - 2]), "{actual}");
            assert!(actual.contains('*'));
        }
    }

    #[test]
    fn messages_and_paths() {
        let f = scan(&track(
            json!({"notes": "call me on +1 (415) 555-9120 after 5pm"}),
        ));
        assert_eq!(f[0].message, "a phone number in properties.notes");
        assert_eq!(f[0].kind, Kind::Pii);
        assert_eq!(f[0].pii, Some(PiiClass::Yellow));
        assert_eq!(f[0].actual.as_deref(), Some("+1************20"));
        let f = scan(&track(json!({"notes": stripe_key()})));
        assert_eq!(f[0].message, "a Stripe secret key in properties.notes");
        let f = scan(&track(
            json!({"contact info": {"list": ["x", "jane@example.com"]}}),
        ));
        assert_eq!(f[0].path, "properties[\"contact info\"].list[1]");
    }

    #[test]
    fn odd_text_never_panics() {
        // Multi-byte characters next to every kind of marker, in pseudo-random order.
        let parts = [
            "é",
            "☎",
            "日本",
            "@",
            "%40",
            ".",
            "-",
            "+",
            "(",
            ")",
            " ",
            "_",
            ":",
            "eyJ",
            "AKIA",
            "sk_live_",
            "ghp_",
            "xoxb-",
            "Bearer ",
            "-----BEGIN ",
            "4111",
            "1111",
            "415",
            "555",
            "9120",
            "DE89",
            "3704",
            "0044",
            "0532",
            "0130",
            "00",
            "a",
            "Z",
            "ü@ü.de",
            "x.y",
        ];
        let mut seed: u64 = 7;
        let m = PiiMatchers::default();
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(seed % 24) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(parts[(seed >> 33) as usize % parts.len()]);
            }
            let mut out = Vec::new();
            m.scan(
                &Json::from_value(&track(json!({ "notes": text, &text: 1 }))),
                &mut out,
            );
            for f in &out {
                assert!(
                    f.actual
                        .as_ref()
                        .is_some_and(|a| a.chars().count() <= 16 || f.rule == "pii/private-key")
                );
            }
        }
    }

    #[test]
    fn odd_keys_and_deep_documents() {
        let long_key = "a_".repeat(40_000) + "email";
        let many_words = "one_two_three_four_five_six_seven_eight_nine_email";
        let f = scan(&track(
            json!({ long_key.clone(): "x", "": "z", "名前": "w", "Straße": "v" }),
        ));
        assert!(f.is_empty(), "{:#?}", summary(&f));
        // Words past the twelfth are not looked at.
        let f = scan(&track(json!({ many_words: "y" })));
        assert_eq!(
            one(&f, &format!("properties.{many_words}")).0,
            "pii/key-name"
        );
        let thirteenth = "a_b_c_d_e_f_g_h_i_j_k_l_email";
        let f = scan(&track(json!({ thirteenth: "y" })));
        assert!(f.is_empty());
        let mut deep = json!("jane@example.com");
        for _ in 0..300 {
            deep = json!({ "a": [deep] });
        }
        let f = scan(&track(deep));
        assert!(f.is_empty(), "past the depth limit");
    }

    // --- key names ---------------------------------------------------------------------------

    fn words(key: &str) -> Vec<String> {
        let w = Words::of(key);
        (0..w.len())
            .map(|i| w.get(i).to_ascii_lowercase())
            .collect()
    }

    #[test]
    fn key_normalisation() {
        for key in [
            "first_name",
            "firstName",
            "First Name",
            "first-name",
            "FIRST_NAME",
            "FirstName",
            " first  name ",
        ] {
            assert_eq!(words(key), ["first", "name"], "{key}");
        }
        assert_eq!(words("IPAddress"), ["ip", "address"]);
        assert_eq!(words("userIP"), ["user", "ip"]);
        assert_eq!(words("address2"), ["address", "2"]);
        assert_eq!(words("cardLast4"), ["card", "last", "4"]);
        assert_eq!(words("e-mail"), ["e", "mail"]);
        assert_eq!(words("straße_name"), ["straße", "name"]);
        assert_eq!(
            Words::of("contactEmailAddress").snake(),
            "contact_email_address"
        );
    }

    /// The rule name and class a key matches at `properties.<key>` with a string value.
    fn key_match(key: &str) -> Option<(&'static str, PiiClass)> {
        let m = PiiMatchers::default();
        m.key_rule(key, &Place::root("properties").member(key))
            .map(|(r, c)| (r.name, c))
    }

    #[test]
    fn key_rules_match_whole_words() {
        use PiiClass::{Red, Yellow};
        let cases: &[(&str, Option<(&str, PiiClass)>)] = &[
            ("email", Some(("email", Yellow))),
            ("contactEmail", Some(("email", Yellow))),
            ("email_address", Some(("email", Yellow))),
            ("E-Mail", Some(("email", Yellow))),
            ("first_name", Some(("name", Yellow))),
            ("lastName", Some(("name", Yellow))),
            ("surname", Some(("name", Yellow))),
            ("billing_name", Some(("name", Yellow))),
            ("phone_number", Some(("phone", Yellow))),
            ("shipping_address", Some(("address", Yellow))),
            ("ip_address", Some(("ip", Yellow))),
            ("zip", Some(("zipcode", Yellow))),
            ("postalCode", Some(("zipcode", Yellow))),
            ("date_of_birth", Some(("birthdate", Yellow))),
            ("dob", Some(("birthdate", Yellow))),
            ("ssn", Some(("social security number", Red))),
            (
                "social_security_number",
                Some(("social security number", Red)),
            ),
            ("password", Some(("password", Red))),
            ("credit_card_number", Some(("credit card", Red))),
            ("cardNumber", Some(("credit card", Red))),
            ("cvv", Some(("credit card", Red))),
            ("passport_number", Some(("passport", Red))),
            ("access_token", Some(("token", Red))),
            ("api_key", Some(("token", Red))),
            ("push_token", Some(("token", Yellow))),
            ("veteran_status", Some(("veteran", Red))),
            ("medical_condition", Some(("condition", Yellow))),
            ("sexual_orientation", Some(("sexual orientation", Yellow))),
            ("gender", Some(("gender", Yellow))),
            // Not personal data, or about it rather than it.
            ("name", None),
            ("product_name", None),
            ("coupon_name", None),
            ("wishlist_name", None),
            ("username", None),
            ("user_name", None),
            ("email_id", None),
            ("email_verified", None),
            ("emailOptIn", None),
            ("phone_model", None),
            ("password_strength", None),
            ("token_count", None),
            ("next_page_token", None),
            ("ip_country", None),
            ("condition", None),
            ("card_last4", None),
            ("gift_card_number", None),
            ("currency", None),
            ("sku", None),
            ("title", None),
            ("zipper_color", None),
            ("shipping", None),
            ("description", None),
            ("recipient", None),
            ("sussex", None),
            ("race_distance", None),
            ("visa_checkout_enabled", None),
        ];
        for (key, want) in cases {
            assert_eq!(key_match(key), *want, "{key}");
        }
    }

    #[test]
    fn key_findings_in_place() {
        let message = json!({
            "type": "track",
            "event": "Order Completed",
            "userId": "user_1",
            "properties": {
                "name": "Trail Runner 3",
                "products": [{"name": "Sock", "photo_url": "https://x/y.jpg", "serial": "SN1", "condition": "used"}],
                "recipient": {"name": "Jane Doe", "email_id": "em_1"},
                "first_name": "Jane",
                "password": "hunter2",
                "password_reset_sent": true,
                "veteran": true,
                "email_verified": false,
                "token_count": 5,
                "shipping_address": {"street": "1 Main St", "city": "Austin", "zip": "73301"},
                "contact_email": "jane@example.com",
                "username": "jdoe",
                "phone": "",
                "ssn": null
            },
            "context": {
                "app": {"name": "Example Shop", "version": "5.12.0"},
                "campaign": {"name": "spring_launch"},
                "device": {"token": "f0e1d2c3b4a5968778695a4b3c2d1e0f", "id": "3bd1829f-6a9a-41b5-ac61-16e91db0a04e"}
            }
        });
        let f = scan(&message);
        assert_eq!(
            one(&f, "properties.recipient.name"),
            ("pii/key-name".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "properties.first_name"),
            ("pii/key-name".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "properties.password"),
            ("pii/key-name".into(), Severity::Error)
        );
        assert_eq!(
            one(&f, "properties.veteran"),
            ("pii/key-name".into(), Severity::Error)
        );
        assert_eq!(
            one(&f, "properties.shipping_address"),
            ("pii/key-name".into(), Severity::Warning)
        );
        // The value matcher says more than the key: one finding.
        assert_eq!(
            one(&f, "properties.contact_email"),
            ("pii/email".into(), Severity::Warning)
        );
        // A push token is expected in context.device.
        assert_eq!(
            one(&f, "context.device.token"),
            ("pii/key-name".into(), Severity::Info)
        );
        for path in [
            "properties.name",
            "properties.products[0].name",
            "properties.products[0].photo_url",
            "properties.products[0].serial",
            "properties.products[0].condition",
            "properties.recipient.email_id",
            "properties.password_reset_sent",
            "properties.email_verified",
            "properties.token_count",
            "properties.shipping_address.street",
            "properties.shipping_address.city",
            "properties.username",
            "properties.phone",
            "properties.ssn",
            "context.app.name",
            "context.app.version",
            "context.campaign.name",
            "context.device.id",
        ] {
            none_at(&f, path);
        }
        let password = f.iter().find(|f| f.path == "properties.password").unwrap();
        assert_eq!(
            password.message,
            "a password in properties.password (going by its key)"
        );
        assert_eq!(password.actual.as_deref(), Some("h*****2"));
    }

    #[test]
    fn a_red_key_is_not_hidden_by_a_yellow_value() {
        let f = scan(&track(json!({"password": "jane@example.com"})));
        let mut rules: Vec<_> = summary(&f).into_iter().map(|(r, _, s)| (r, s)).collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                ("pii/email".into(), Severity::Warning),
                ("pii/key-name".into(), Severity::Error)
            ]
        );
    }

    // --- severity ----------------------------------------------------------------------------

    #[test]
    fn expected_places_give_info() {
        let identify = json!({
            "type": "identify",
            "userId": "jane@example.com",
            "traits": {
                "email": "jane@example.com",
                "name": "Jane Khan",
                "firstName": "Jane",
                "last_name": "Khan",
                "phone": "+1 415 555 9120",
                "birthday": "1990-01-01",
                "address": {"street": "1 Main St", "city": "Berlin", "postalCode": "10115"},
                "notes": "call me on 415-555-6915 after 5pm",
                "work_email": "jane@corp.example"
            },
            "context": {
                "ip": "73.207.186.118",
                "traits": {"email": "jane@example.com", "notes": "jane@example.com"},
                "page": {"url": "https://shop.example.com/?email=jane@example.com"}
            }
        });
        let f = scan(&identify);
        for path in [
            "userId",
            "traits.email",
            "traits.name",
            "traits.firstName",
            "traits.last_name",
            "traits.phone",
            "traits.birthday",
            "traits.address",
            "context.ip",
            "context.traits.email",
            "context.traits.notes",
        ] {
            assert_eq!(one(&f, path).1, Severity::Info, "{path}");
        }
        assert_eq!(one(&f, "traits.email").0, "pii/email");
        assert_eq!(one(&f, "traits.phone").0, "pii/phone");
        assert_eq!(one(&f, "context.ip").0, "pii/ip");
        // Not where it belongs.
        assert_eq!(
            one(&f, "traits.notes"),
            ("pii/phone".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "traits.work_email"),
            ("pii/email".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "context.page.url"),
            ("pii/email".into(), Severity::Warning)
        );
        let info = f.iter().find(|f| f.path == "traits.email").unwrap();
        assert_eq!(
            info.message,
            "an email address in traits.email (an expected place)"
        );
    }

    #[test]
    fn reserved_traits_are_expected_only_on_identify_and_group() {
        let f =
            scan(&json!({"type": "track", "event": "X", "traits": {"email": "jane@example.com"}}));
        assert_eq!(
            one(&f, "traits.email"),
            ("pii/email".into(), Severity::Warning)
        );
        let f = scan(
            &json!({"type": "group", "groupId": "g1", "traits": {"email": "billing@acme.example", "name": "Acme"}}),
        );
        assert_eq!(one(&f, "traits.email").1, Severity::Info);
        assert_eq!(one(&f, "traits.name").1, Severity::Info);
    }

    #[test]
    fn red_is_never_expected_by_default() {
        let f = scan(&json!({
            "type": "identify",
            "userId": JWT,
            "traits": {"email": "4111 1111 1111 1111"},
            "context": {"traits": {"password": "hunter22"}}
        }));
        assert_eq!(one(&f, "userId"), ("pii/jwt".into(), Severity::Error));
        assert_eq!(
            one(&f, "traits.email"),
            ("pii/card".into(), Severity::Error)
        );
        assert_eq!(
            one(&f, "context.traits.password"),
            ("pii/key-name".into(), Severity::Error)
        );
    }

    #[test]
    fn elsewhere_yellow_warns_and_red_errs() {
        let f = scan(&track(
            json!({"ip": "73.207.186.118", "comment": "ssn 531-80-1933"}),
        ));
        assert_eq!(
            one(&f, "properties.ip"),
            ("pii/ip".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "properties.comment"),
            ("pii/ssn".into(), Severity::Error)
        );
    }

    #[test]
    fn messages_that_are_not_objects_and_skipped_fields() {
        assert!(scan(&json!("jane@example.com")).is_empty());
        let f = scan(
            &json!({"type": "track", "event": "jane@example.com", "messageId": "jane@example.com", "integrations": {"x": "jane@example.com"}, "timestamp": "2025-10-21T10:00:00Z"}),
        );
        assert!(f.is_empty(), "{:#?}", summary(&f));
        // Only the unmistakable matchers in SDK-filled context parts.
        let f = scan(
            &json!({"type": "track", "event": "X", "context": {"library": {"name": "x", "version": "415-555-9120"}, "userAgent": "Bot/1.0 (+1 415 555 9120; bot@example.com)"}}),
        );
        assert_eq!(
            summary(&f)
                .into_iter()
                .map(|(r, p, _)| (r, p))
                .collect::<Vec<_>>(),
            [("pii/email".into(), "context.userAgent".into())]
        );
    }

    // --- configuration -----------------------------------------------------------------------

    #[derive(Deserialize)]
    struct File {
        pii: PiiConfig,
    }

    fn config(toml_text: &str) -> PiiConfig {
        toml::from_str::<File>(toml_text).expect("valid config").pii
    }

    #[test]
    fn config_adds_matchers_and_expected_places() {
        let cfg = config(
            r#"
            [pii]
            expected = ["properties.contact_email", "properties.products[*].email", "properties.vault"]

            [[pii.matcher]]
            name = "loyalty"
            class = "red"
            on = "value"
            pattern = "LOY-[0-9]{6}"

            [[pii.matcher]]
            name = "member number"
            class = "yellow"
            on = "key"
            pattern = "^member_number$"
            "#,
        );
        assert_eq!(cfg.matcher.len(), 2);
        let m = PiiMatchers::from_config(&cfg).unwrap();
        let f = scan_with(
            &m,
            &track(json!({
                "contact_email": "jane@example.com",
                "other_email": "jane@example.com",
                "products": [{"email": "a@example.com"}, {"email": "b@example.com"}],
                "vault": {"card": "4111 1111 1111 1111"},
                "note": "card LOY-123456 used",
                "memberNumber": "A-1",
                "member_number": 42
            })),
        );
        assert_eq!(
            one(&f, "properties.contact_email"),
            ("pii/email".into(), Severity::Info)
        );
        assert_eq!(
            one(&f, "properties.other_email"),
            ("pii/email".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "properties.products[1].email"),
            ("pii/email".into(), Severity::Info)
        );
        assert_eq!(
            one(&f, "properties.vault.card"),
            ("pii/card".into(), Severity::Info)
        );
        assert_eq!(
            one(&f, "properties.note"),
            ("pii/custom:loyalty".into(), Severity::Error)
        );
        assert_eq!(
            one(&f, "properties.memberNumber"),
            ("pii/custom:member number".into(), Severity::Warning)
        );
        assert_eq!(
            one(&f, "properties.member_number"),
            ("pii/custom:member number".into(), Severity::Warning)
        );
        let note = f.iter().find(|f| f.path == "properties.note").unwrap();
        assert_eq!(note.actual.as_deref(), Some("LO******56"));
        assert_eq!(note.pii, Some(PiiClass::Red));
        let listed = f
            .iter()
            .find(|f| f.path == "properties.contact_email")
            .unwrap();
        assert!(
            listed.message.ends_with("(a place listed in pii.expected)"),
            "{}",
            listed.message
        );
    }

    #[test]
    fn a_custom_matcher_replaces_the_default_of_its_name() {
        let cfg = config(
            r#"
            [pii]
            [[pii.matcher]]
            name = "Name"
            class = "red"
            on = "key"
            pattern = "^(first|last)_name$"
            "#,
        );
        let m = PiiMatchers::from_config(&cfg).unwrap();
        let f = scan_with(
            &m,
            &track(json!({"firstName": "Jane", "billing_name": "Jane Doe"})),
        );
        assert_eq!(
            one(&f, "properties.firstName"),
            ("pii/custom:Name".into(), Severity::Error)
        );
        none_at(&f, "properties.billing_name");
    }

    #[test]
    fn config_errors() {
        let bad = PiiConfig {
            matcher: vec![CustomMatcher {
                name: "loyalty".into(),
                class: MatcherClass::Red,
                on: MatchOn::Value,
                pattern: "LOY-[0-9".into(),
            }],
            expected: vec![],
        };
        let err = PiiMatchers::from_config(&bad).unwrap_err();
        assert!(matches!(err, PiiConfigError::BadPattern { ref name, .. } if name == "loyalty"));
        assert!(
            err.to_string()
                .starts_with("[[pii.matcher]] `loyalty`: bad pattern"),
            "{err}"
        );

        let mut twice = bad.clone();
        twice.matcher[0].pattern = "x".into();
        twice.matcher.push(twice.matcher[0].clone());
        assert!(matches!(
            PiiMatchers::from_config(&twice),
            Err(PiiConfigError::Duplicate(_))
        ));

        for path in [
            "",
            "properties.",
            "properties..x",
            "a[",
            "a[x]",
            "a[\"b]",
            "a[0]b",
        ] {
            let cfg = PiiConfig {
                expected: vec![path.into()],
                ..PiiConfig::default()
            };
            let err = PiiMatchers::from_config(&cfg).unwrap_err();
            assert!(
                matches!(err, PiiConfigError::BadExpected { .. }),
                "{path}: {err}"
            );
        }

        let unknown = toml::from_str::<File>("[pii]\nexpect = []\n");
        assert!(unknown.is_err());
        let unknown = toml::from_str::<File>(
            "[pii]\n[[pii.matcher]]\nname = \"x\"\nclass = \"green\"\npattern = \"x\"\n",
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn place_paths_parse() {
        use PlaceSeg::{Any, Index, Key};
        assert_eq!(
            parse_place("properties.products[*].email").unwrap(),
            [
                Key("properties".into()),
                Key("products".into()),
                Any,
                Key("email".into())
            ]
        );
        assert_eq!(
            parse_place("context[\"user-agent\"].*[2]").unwrap(),
            [
                Key("context".into()),
                Key("user-agent".into()),
                Any,
                Index(2)
            ]
        );
    }

    // --- the fixture -------------------------------------------------------------------------

    #[derive(Deserialize)]
    struct Label {
        line: usize,
        pii: Option<String>,
    }

    fn label_rules(label: &str) -> &'static [&'static str] {
        match label {
            "email" => &["pii/email"],
            "phone" => &["pii/phone"],
            "card" => &["pii/card"],
            "ssn" => &["pii/ssn"],
            "iban" => &["pii/iban"],
            "jwt" => &["pii/jwt", "pii/bearer-token"],
            "api_key" => &["pii/api-key", "pii/private-key", "pii/bearer-token"],
            other => panic!("unknown label {other}"),
        }
    }

    #[test]
    fn fixture_labels_are_found_and_clean_messages_stay_clean() {
        let events = include_str!("../../../../tests/fixtures/events.ndjson");
        let labels = include_str!("../../../../tests/fixtures/labels.ndjson");
        let m = PiiMatchers::default();
        // label (or "none") -> (messages, found as labelled)
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut problems = Vec::new();
        let mut infos = 0;
        for (event, label) in events.lines().zip(labels.lines()) {
            let message: Value = serde_json::from_str(event).unwrap();
            let label: Label = serde_json::from_str(label).unwrap();
            let findings = scan_with(&m, &message);
            infos += findings
                .iter()
                .filter(|f| f.severity == Severity::Info)
                .count();
            let loud: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .collect();
            let row = label.pii.clone().unwrap_or_else(|| "none".into());
            let got = if loud.is_empty() {
                "none".to_string()
            } else {
                let mut rules: Vec<&str> = loud.iter().map(|f| f.rule.as_ref()).collect();
                rules.sort();
                rules.dedup();
                rules.join("+")
            };
            *confusion.entry(row).or_default().entry(got).or_default() += 1;
            let ok = match &label.pii {
                Some(l) => loud
                    .iter()
                    .any(|f| label_rules(l).contains(&f.rule.as_ref())),
                None => loud.is_empty(),
            };
            if !ok {
                problems.push(format!(
                    "line {} ({:?}): {:?}",
                    label.line,
                    label.pii,
                    loud.iter()
                        .map(|f| (f.rule.as_ref(), f.path.as_str(), f.actual.as_deref()))
                        .collect::<Vec<_>>()
                ));
            }
        }
        let table: String = confusion
            .iter()
            .map(|(label, got)| format!("  {label:>8} -> {got:?}\n"))
            .collect();
        assert!(
            problems.is_empty(),
            "confusion (label -> findings at warning or above):\n{table}problems:\n{}",
            problems.join("\n")
        );
        assert!(infos > 0);
    }
}
