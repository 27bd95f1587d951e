//! The filter language: free text, `field:value` terms, negation, `or`, and jq expressions
//! (via jaq). Pure: no I/O, no terminal.
//!
//! ```text
//! checkout                        free text: ASCII-case-insensitive substring of the JSON
//! "Order Completed"               quoted free text (\" and \\ escape inside quotes)
//! type:track                      message type, case-insensitive
//! event:"Order Completed"         event (track) or name (page/screen), case-insensitive
//! event:Order*  event:*Viewed     `*` globs in event:, user: and id:
//! user:u_42                       userId or anonymousId, case-sensitive
//! id:8a6a63ec-*                   messageId, case-sensitive
//! key:abcd…wxyz  key:abcd         write key: the full key, or a prefix of its mask (`...` = `…`)
//! has:rejected                    rejected requests
//! has:violation  has:pii          a spec, plan, identity or warehouse finding / PII at warning
//!                                 or above
//! has:drift                       the message changed the warehouse schema (a new table or
//!                                 column, a type conflict, a table per id)
//! has:bot                         a bot sent it: crawler, monitor, headless browser, HTTP library
//! rule:plan/type  rule:plan       a finding's rule (`*` globs; no `/` = every rule under it)
//! pii:red  pii:yellow             PII of a class at warning or above
//! a b        a or b               AND (implicit) binds tighter than `or`
//! -a         not a                negation
//! (a or b) c                      grouping
//! jq: .properties.total > 10      jq (jaq) on the message JSON, to the end of the input
//! fql: event = 'Order Completed'  Segment's FQL ([`fql`]) on the message, to the end of the input
//! routed:amp  dropped:amp         Segment would (not) deliver it to the destination named `amp`
//! dropped:amp:consent             … dropped for that reason (consent, integrations, filter,
//!                                 unsupported)
//! source:web  source:abcd*        the source's label (`[[source]]`) or masked write key; globs
//! late:>5m  late:<30s             arrived more (less) than this after its timestamp (skew
//!                                 corrected with sentAt); units ms, s, m, h, d
//! skew:>1m                        the device clock was off by more than this (needs sentAt)
//! ```
//!
//! `routed:` and `dropped:` name the destinations the query is parsed for
//! ([`Query::parse_for`]); a name not among them is an error listing those that are. They
//! read the outcomes the rows carry ([`Filterable::routes`], worked out once per message as
//! its row is built), so they cost what a field term costs.
//!
//! [`TERMS`] is the same list, one line of help each, for the viewer's help.
//!
//! `or` and `not` are keywords in any case; quote them (`"or"`) to search for the words.
//! Parentheses end a word, so values containing them must be quoted. A `name:` prefix is
//! a field (unknown names are errors) unless followed by `//` (`https://…` is text).
//!
//! A `jq:` term matches when the program yields a truthy value (not `false`/`null`) before
//! any error, within its first 1024 outputs; input that is not JSON, runtime errors and
//! `halt` do not match. `debug`, `stderr` and `env` are inert, and `input`/`inputs` are
//! not defined. Expressions are limited to 1024 bytes and 32 levels of brackets (jaq
//! recurses). A program that loops forever within one output still hangs a caller that runs
//! it in process ([`Query::matches`]); the viewer asks [`Query::decide`] instead and runs the
//! jq term in a worker process with a time budget per message and a memory cap
//! ([`jq_worker`]).
//!
//! An `fql:` term (Segment's Filter Query Language, as destination filters are written, so a
//! condition pasted from a workspace works) matches when the statement holds on the message
//! JSON; a message it cannot evaluate on (`lowercase(5)`), or text that is not JSON, does not
//! match. It runs in process: FQL has no loops and its nesting is bounded.
//!
//! Cost per frame: field terms a few ns, free text a fraction of a ns per byte of JSON, a
//! `jq:` or `fql:` term microseconds (the JSON is parsed for every frame). Terms of an AND/OR are
//! reordered cheapest first, so `type:track jq: …` only runs jq on tracks.

/// What a filter can look at in one captured frame. The TUI's store implements it.
pub trait Filterable {
    /// What free-text terms search: the message JSON for events, the body for rejected requests.
    fn text(&self) -> &str;
    /// `track`, `identify`…; `None` for rejected requests.
    fn message_type(&self) -> Option<&str>;
    /// `event` for track, `name` for page and screen.
    fn event_name(&self) -> Option<&str>;
    fn user_id(&self) -> Option<&str>;
    fn anonymous_id(&self) -> Option<&str>;
    fn message_id(&self) -> Option<&str>;
    /// The masked write key (`abcd…wxyz`).
    fn write_key(&self) -> Option<&str>;
    fn is_rejected(&self) -> bool;
    /// Codes of the verdicts' findings at warning or above, separated by spaces.
    fn rules(&self) -> &str {
        ""
    }
    /// A spec, tracking-plan, identity or warehouse finding at warning or above.
    fn has_violation(&self) -> bool {
        false
    }
    /// The message changed the warehouse schema when it was observed (none unless a schema
    /// saw it).
    fn has_drift(&self) -> bool {
        false
    }
    /// A bot sent it: a crawler, a monitor, a headless browser or an HTTP library (see
    /// [`crate::inspect::traffic`]).
    fn is_bot(&self) -> bool {
        false
    }
    /// PII at warning or above: bit 1 Yellow, bit 2 Red.
    fn pii_classes(&self) -> u8 {
        0
    }
    /// Each configured destination's routing outcome, by index (none judged by default).
    fn routes(&self) -> crate::routing::Outcomes {
        crate::routing::Outcomes::default()
    }
    /// The identity graph's profile the message joined when it was observed (none unless a
    /// graph saw it); `person:` follows later merges from there.
    fn profile(&self) -> Option<crate::identity::ProfileId> {
        None
    }
    /// How late it arrived, in ms ([`crate::model::Lateness`]); none when unknown.
    fn late_ms(&self) -> Option<i64> {
        None
    }
    /// How far the device clock was off, in ms (needs `sentAt`); none when unknown.
    fn skew_ms(&self) -> Option<i64> {
        None
    }
    /// The source's configured label (`[[source]]`), if any.
    fn source_label(&self) -> Option<&str> {
        None
    }
}

/// A message known only by its JSON text: what `jq:`, `fql:` and free-text terms read (field
/// terms match nothing). For callers that filter text outside the viewer's rows.
pub struct Text<'a>(pub &'a str);

impl Filterable for Text<'_> {
    fn text(&self) -> &str {
        self.0
    }
    fn message_type(&self) -> Option<&str> {
        None
    }
    fn event_name(&self) -> Option<&str> {
        None
    }
    fn user_id(&self) -> Option<&str> {
        None
    }
    fn anonymous_id(&self) -> Option<&str> {
        None
    }
    fn message_id(&self) -> Option<&str> {
        None
    }
    fn write_key(&self) -> Option<&str> {
        None
    }
    fn is_rejected(&self) -> bool {
        false
    }
}

/// [`Filterable::pii_classes`] bits.
pub const PII_YELLOW: u8 = 1;
pub const PII_RED: u8 = 2;

pub mod fql;
mod glob;
pub(crate) mod jq;
#[cfg(test)]
mod jq_compat;
pub mod jq_worker;
mod node;
mod parse;
mod predicate;
mod query;
mod terms;
#[cfg(test)]
mod tests;

pub use query::Query;
pub use terms::{TERMS, Term};

/// Why a query does not parse: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// What is wrong, for a person (`unknown field `foo`; fields: …`).
    pub message: String,
    /// Byte offset in the query text where the problem is.
    pub position: usize,
}
