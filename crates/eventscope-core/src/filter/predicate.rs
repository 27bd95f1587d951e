//! The leaves of a query: free text and `field:value` terms, each compiled once.
//!
//! Adding a field (`rule:`, `pii:`…) means a [`Field`] variant, its name in [`Field::ALL`],
//! a [`Predicate`] variant and its arm in [`Predicate::matches`]; adding a `has:` value
//! means a [`Flag`] variant with its name and test.

use std::sync::Arc;

use aho_corasick::AhoCorasick;

use super::Filterable;
use super::fql;
use super::glob::Glob;
use super::jq::JqFilter;
use crate::identity::ProfileId;
use crate::model::json::Json;
use crate::routing::{Outcome, Reason};

/// The fields of `field:value` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Type,
    Event,
    User,
    Id,
    Key,
    Has,
    Rule,
    Pii,
    Jq,
    Fql,
    Routed,
    Dropped,
    Person,
    Source,
    Late,
    Skew,
}

impl Field {
    /// Every field, in the order error messages list them.
    pub(crate) const ALL: [Field; 16] = [
        Field::Type,
        Field::Event,
        Field::User,
        Field::Person,
        Field::Id,
        Field::Key,
        Field::Has,
        Field::Rule,
        Field::Pii,
        Field::Jq,
        Field::Fql,
        Field::Routed,
        Field::Dropped,
        Field::Source,
        Field::Late,
        Field::Skew,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Event => "event",
            Field::User => "user",
            Field::Id => "id",
            Field::Key => "key",
            Field::Has => "has",
            Field::Rule => "rule",
            Field::Pii => "pii",
            Field::Jq => "jq",
            Field::Fql => "fql",
            Field::Routed => "routed",
            Field::Dropped => "dropped",
            Field::Person => "person",
            Field::Source => "source",
            Field::Late => "late",
            Field::Skew => "skew",
        }
    }

    /// Field names are case-insensitive (`Type:track` works).
    pub(crate) fn from_name(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// What `has:` can ask about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    Rejected,
    Violation,
    Pii,
    Drift,
    Bot,
}

impl Flag {
    pub(crate) const ALL: [Flag; 5] = [
        Flag::Rejected,
        Flag::Violation,
        Flag::Pii,
        Flag::Drift,
        Flag::Bot,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Flag::Rejected => "rejected",
            Flag::Violation => "violation",
            Flag::Pii => "pii",
            Flag::Drift => "drift",
            Flag::Bot => "bot",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    fn test<F: Filterable + ?Sized>(self, item: &F) -> bool {
        match self {
            Flag::Rejected => item.is_rejected(),
            Flag::Violation => item.has_violation(),
            Flag::Pii => item.pii_classes() != 0,
            Flag::Drift => item.has_drift(),
            Flag::Bot => item.is_bot(),
        }
    }
}

/// One compiled term.
#[derive(Clone)]
pub(crate) enum Predicate {
    /// Free text: ASCII-case-insensitive substring of [`Filterable::text`].
    Text(AhoCorasick),
    /// `type:`: case-insensitive equality; holds the ASCII-lowercased value.
    Type(Box<str>),
    /// `event:`: glob, ASCII-case-insensitive.
    Event(Glob),
    /// `user:`: glob over userId or anonymousId, case-sensitive.
    User(Glob),
    /// `id:`: glob over messageId, case-sensitive.
    Id(Glob),
    /// `key:`: against the masked write key.
    Key(KeyPattern),
    /// `has:`.
    Has(Flag),
    /// `rule:`: glob over each finding's rule code (`plan/*`).
    Rule(Glob),
    /// `pii:red` / `pii:yellow`: the class bits of [`Filterable::pii_classes`].
    Pii(u8),
    /// `jq:` (shared, so that cloning a query is cheap).
    Jq(Arc<JqFilter>),
    /// `fql:`: Segment's Filter Query Language on the message JSON; a message it cannot
    /// evaluate (or text that is not JSON) does not match, as Segment does not send it.
    Fql(Arc<fql::Query>),
    /// `routed:NAME`: the destination at this index would get the message.
    Routed(usize),
    /// `dropped:NAME[:REASON]`: the destination at this index would not (for that reason).
    Dropped(usize, Option<Reason>),
    /// `person:ID`: the rows whose profile is, or was merged into, the person holding ID.
    Person(PersonTerm),
    /// `source:`: glob over the source's label or masked write key, or the key as `key:` reads it.
    Source(Glob, KeyPattern),
    /// `late:>5m`: how late the message arrived, compared.
    Late(Compare),
    /// `skew:>1m`: how far the device clock was off (either way), compared.
    Skew(Compare),
}

impl Predicate {
    pub(crate) fn matches<F: Filterable + ?Sized>(&self, item: &F) -> bool {
        match self {
            Predicate::Text(ac) => ac.is_match(item.text()),
            Predicate::Type(t) => item
                .message_type()
                .is_some_and(|m| m.eq_ignore_ascii_case(t)),
            Predicate::Event(g) => item.event_name().is_some_and(|e| g.matches(e)),
            Predicate::User(g) => {
                item.user_id().is_some_and(|u| g.matches(u))
                    || item.anonymous_id().is_some_and(|a| g.matches(a))
            }
            Predicate::Id(g) => item.message_id().is_some_and(|id| g.matches(id)),
            Predicate::Key(k) => item.write_key().is_some_and(|stored| k.matches(stored)),
            Predicate::Has(flag) => flag.test(item),
            Predicate::Rule(g) => item.rules().split(' ').any(|rule| g.matches(rule)),
            Predicate::Pii(bits) => item.pii_classes() & bits != 0,
            Predicate::Jq(jq) => jq.matches(item.text()),
            Predicate::Fql(query) => {
                Json::parse(item.text()).is_ok_and(|json| query.matches(&json).unwrap_or(false))
            }
            Predicate::Routed(index) => item.routes().get(*index) == Some(Outcome::Routed),
            Predicate::Dropped(index, reason) => match item.routes().get(*index) {
                Some(Outcome::Dropped(dropped)) => reason.is_none_or(|r| r == dropped),
                _ => false,
            },
            Predicate::Person(person) => item
                .profile()
                .is_some_and(|p| person.members.binary_search(&p).is_ok()),
            Predicate::Source(glob, key) => {
                item.source_label().is_some_and(|l| glob.matches(l))
                    || item
                        .write_key()
                        .is_some_and(|k| glob.matches(k) || key.matches(k))
            }
            Predicate::Late(compare) => item.late_ms().is_some_and(|ms| compare.holds(ms)),
            Predicate::Skew(compare) => item.skew_ms().is_some_and(|ms| compare.holds(ms.abs())),
        }
    }

    /// Relative cost of evaluating, so that AND/OR can try cheap terms first.
    pub(crate) fn cost(&self) -> u8 {
        match self {
            Predicate::Text(_) => 1,
            Predicate::Jq(_) | Predicate::Fql(_) => 2,
            _ => 0,
        }
    }
}

/// `>5m` or `<30s`: a duration in ms and which side of it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compare {
    pub(crate) more: bool,
    pub(crate) ms: i64,
}

impl Compare {
    /// `>DURATION` or `<DURATION` (a bare duration is `>`); see
    /// [`crate::model::parse_duration_ms`].
    pub(crate) fn parse(value: &str) -> Option<Compare> {
        let value = value.trim();
        let (more, rest) = match value.as_bytes().first() {
            Some(b'>') => (true, &value[1..]),
            Some(b'<') => (false, &value[1..]),
            _ => (true, value),
        };
        let ms = crate::model::parse_duration_ms(rest.strip_prefix('=').unwrap_or(rest))?;
        Some(Compare { more, ms })
    }

    fn holds(self, ms: i64) -> bool {
        if self.more {
            ms > self.ms
        } else {
            ms < self.ms
        }
    }
}

/// A `person:` term: the identifier typed, and the profiles that are that person now, bound
/// by whoever holds the identity graph ([`crate::filter::Query::bind_people`]): a term
/// nobody bound matches nothing.
#[derive(Debug, Clone)]
pub(crate) struct PersonTerm {
    pub(crate) value: Box<str>,
    /// Sorted.
    pub(crate) members: Arc<[ProfileId]>,
}

/// What a typed `key:` value is compared with: the frames only know the masked key.
#[derive(Debug, Clone)]
pub(crate) struct KeyPattern {
    /// The typed value masked the way stored keys are.
    masked: String,
    /// The typed value as a prefix of a masked key (`abcd`, `abcd…w`).
    prefix: String,
}

impl KeyPattern {
    /// `...` in the typed value stands for the mask's `…`.
    pub(crate) fn new(typed: &str) -> KeyPattern {
        let typed = typed.replace("...", "…");
        KeyPattern {
            masked: crate::model::mask_secret(&typed),
            prefix: typed,
        }
    }

    fn matches(&self, stored: &str) -> bool {
        stored == self.masked || stored.starts_with(&self.prefix)
    }
}
