//! People, not ids: identity resolution as Segment's Unify does it — identifiers promoted from
//! each message, flat matching into profiles, blocked values, limits and priority — fed
//! message by message, pure (no I/O).

mod by_name;
mod graph;
mod identifiers;
mod profile;
mod records;
mod settings;
mod shared;
#[cfg(test)]
mod tests;
mod time;

pub use by_name::ByName;
pub use graph::{DEFAULT_RECENT_MESSAGES, IdentityGraph, MAX_RECORDS, abbreviate, ordinal};
pub use identifiers::{
    Alias, BlockedValue, GA_CLIENT_ID, Identifier, Promoted, promote, promote_value,
};
pub use profile::{
    IdentifierRecord, MAX_EVENT_NAMES, MAX_GROUPS, MAX_TRAIT_BYTES, MAX_TRAITS, OTHER_EVENTS,
    Profile, ProfileId, TraitValue,
};
pub use records::{AliasLink, Merge, Observed, RULE_LIMIT, Refusal, Shared};
pub use settings::{
    ANONYMOUS_ID, BUILT_IN_TYPES, Blocked, DEFAULT_MAX_IDENTIFIERS,
    DEFAULT_SHARED_IDENTIFIER_USERS, EMAIL, ExtraIdentifier, IdentitySettings, Limit, Period,
    USER_ID,
};
pub use shared::{
    MAX_KEY_BYTES, MAX_SHARED_IDENTIFIERS, MAX_SHARED_SEQS, MAX_USERS_PER_IDENTIFIER,
};
pub use time::observed_at;

/// A graph fed by one task (the viewer's feed) and read by another (the UI): each holds the
/// lock only for one message or one frame's reading.
pub type SharedGraph = std::sync::Arc<std::sync::Mutex<IdentityGraph>>;

/// The graph behind `shared`, even if a holder panicked (it is only ever left between whole
/// messages).
pub fn lock(shared: &SharedGraph) -> std::sync::MutexGuard<'_, IdentityGraph> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
