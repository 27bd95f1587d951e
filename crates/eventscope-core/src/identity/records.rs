//! What the graph remembers about its decisions — merges, refused merges, alias links — and
//! what observing one message answers.

use super::identifiers::{BlockedValue, Identifier};
use super::profile::ProfileId;

/// Rule name of a refusal caused by a limit.
pub const RULE_LIMIT: &str = "limit";

/// Several profiles became one because a message held identifiers of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The message that caused it.
    pub seq: u64,
    /// The profile that remains (the one with most messages).
    pub into: ProfileId,
    /// Every profile joined, `into` first.
    pub joined: Vec<ProfileId>,
    /// The message's identifiers that were already held by the profiles joined.
    pub by: Vec<Identifier<'static>>,
}

/// A merge refused: a message's identifier demoted (not promoted) because keeping it would
/// break a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub seq: u64,
    /// The rule ([`RULE_LIMIT`]).
    pub rule: &'static str,
    /// The identifier demoted.
    pub identifier: Identifier<'static>,
    /// The profile holding the demoted identifier, if one did (the one not joined).
    pub profile: Option<ProfileId>,
    /// The identifier type whose limit would have been exceeded.
    pub exceeded: String,
    /// For a person: "2nd user_id for anonymous_id 9f1c2e…".
    pub detail: String,
}

/// An `alias` call: `previous_id` → `user_id`, kept beside the graph (it merges nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasLink {
    pub seq: u64,
    pub previous_id: String,
    pub user_id: String,
}

/// What one message did to the graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The profile the message belongs to now (`None`: it promoted no identifier).
    pub profile: Option<ProfileId>,
    /// The profile is new.
    pub created: bool,
    pub merge: Option<Merge>,
    /// Identifiers demoted by a rule, in the order demoted.
    pub refused: Vec<Refusal>,
    /// Values not promoted because they are blocked.
    pub blocked: Vec<BlockedValue<'static>>,
    pub alias: Option<AliasLink>,
    /// New identifiers not kept because the graph holds its cap.
    pub dropped: usize,
    /// Identifiers this message's refusals showed with more user ids than
    /// `shared_identifier_users` (said when the count crosses it and at each new user id after).
    pub shared: Vec<Shared>,
}

/// One identifier seen with many user ids across refused merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub identifier: Identifier<'static>,
    /// Distinct user ids seen with it (at most [`super::MAX_USERS_PER_IDENTIFIER`]).
    pub users: usize,
    /// The first few of those user ids, abbreviated, in the order seen.
    pub named: Vec<String>,
    /// The messages that first showed each user id with it (the newest
    /// [`super::MAX_SHARED_SEQS`]), ascending.
    pub seqs: Vec<u64>,
}
