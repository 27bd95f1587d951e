//! People, not ids: identity resolution as Segment's Unify does it — identifiers promoted from
//! each message, flat matching into profiles, blocked values, limits and priority — fed
//! message by message, pure (no I/O).

mod settings;

pub use settings::{
    ANONYMOUS_ID, Blocked, DEFAULT_MAX_IDENTIFIERS, EMAIL, ExtraIdentifier, IdentitySettings,
    Limit, Period, USER_ID,
};
