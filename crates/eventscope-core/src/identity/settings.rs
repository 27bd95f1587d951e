//! What identity resolution is told (`[identity]` in eventscope.toml), with Segment's Unify
//! defaults: blocked values, limits per identifier type (optionally per period), the priority
//! that decides which identifier a message gives up first, extra identifier types, and a cap
//! on the identifiers held.

use std::time::Duration;

/// `user_id`, Segment's name for the `userId` identifier.
pub const USER_ID: &str = "user_id";
/// `anonymous_id`.
pub const ANONYMOUS_ID: &str = "anonymous_id";
/// `email`, from `traits.email` or `context.traits.email`.
pub const EMAIL: &str = "email";
/// The identifier types a message promotes by itself (`group_id` is an account's).
pub const BUILT_IN_TYPES: [&str; 11] = [
    USER_ID,
    ANONYMOUS_ID,
    EMAIL,
    "group_id",
    "ios.id",
    "android.id",
    "ios.idfa",
    "android.idfa",
    "ios.push_token",
    "android.push_token",
    "ga_client_id",
];
/// Identifiers held at most, by default; past it new ones are dropped and counted.
pub const DEFAULT_MAX_IDENTIFIERS: usize = 1_000_000;
/// User ids one identifier may be seen with across refused merges before it is called shared.
pub const DEFAULT_SHARED_IDENTIFIER_USERS: usize = 5;

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// Values never promoted to identifiers (they stay in the payload).
    pub blocked: Vec<Blocked>,
    /// Limits by identifier type; a type not listed has [`IdentitySettings::default_limit`].
    pub limits: Vec<(String, Limit)>,
    /// The limit of every type not in `limits` (Segment: 5).
    pub default_limit: Limit,
    /// Identifier types from the highest priority down; types not listed come after them,
    /// alphabetically (Segment: `user_id`, `email`, then the rest).
    pub priority: Vec<String>,
    /// Identifier types read from other places in a message.
    pub extra: Vec<ExtraIdentifier>,
    pub max_identifiers: usize,
    /// An identifier seen with more distinct user ids than this across refused merges is
    /// shared (an in-store iPad, a hard-coded anonymousId): `identity/shared-identifier`.
    pub shared_identifier_users: usize,
}

/// A value that is never an identifier.
#[derive(Debug, Clone)]
pub enum Blocked {
    /// The whole value, exactly.
    Exact(String),
    /// A regular expression, matched anywhere in the value unless anchored (`re:^[0-]*$`).
    Pattern(regex::Regex),
}

impl Blocked {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Blocked::Exact(exact) => exact == value,
            Blocked::Pattern(pattern) => pattern.is_match(value),
        }
    }
}

/// How many values of one identifier type a profile may hold, in all or per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    /// `None`: ever; else per window of this length, against the messages' timestamps.
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    Annually,
}

impl Period {
    /// The window's length (a month is 30 days, a year 365).
    pub fn length(self) -> Duration {
        const DAY: u64 = 24 * 60 * 60;
        Duration::from_secs(match self {
            Period::Daily => DAY,
            Period::Weekly => 7 * DAY,
            Period::Monthly => 30 * DAY,
            Period::Annually => 365 * DAY,
        })
    }
}

/// An identifier type read from a path in the message (`context.device.id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraIdentifier {
    pub kind: String,
    /// Dot-separated keys from the message's top level.
    pub path: String,
}

impl IdentitySettings {
    /// The limit for identifiers of `kind`.
    pub fn limit(&self, kind: &str) -> Limit {
        self.limits
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(self.default_limit, |(_, limit)| *limit)
    }

    /// Whether `value` may never be an identifier.
    pub fn is_blocked(&self, value: &str) -> bool {
        self.blocked.iter().any(|b| b.matches(value))
    }

    /// A sort key: lower is higher priority (listed types by position, then alphabetical).
    pub fn rank<'a>(&self, kind: &'a str) -> (usize, &'a str) {
        match self.priority.iter().position(|k| k == kind) {
            Some(i) => (i, ""),
            None => (self.priority.len(), kind),
        }
    }
}

impl Default for IdentitySettings {
    /// Segment's suggested defaults.
    fn default() -> Self {
        let zeros_and_dashes = regex::Regex::new("^[0-]*$").map(Blocked::Pattern);
        IdentitySettings {
            blocked: zeros_and_dashes
                .into_iter()
                .chain(["-1", "null", "anonymous"].map(|v| Blocked::Exact(v.to_string())))
                .collect(),
            limits: vec![(
                USER_ID.to_string(),
                Limit {
                    count: 1,
                    period: None,
                },
            )],
            default_limit: Limit {
                count: 5,
                period: None,
            },
            priority: vec![USER_ID.to_string(), EMAIL.to_string()],
            extra: Vec::new(),
            max_identifiers: DEFAULT_MAX_IDENTIFIERS,
            shared_identifier_users: DEFAULT_SHARED_IDENTIFIER_USERS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_defaults() {
        let s = IdentitySettings::default();
        for blocked in ["", "0", "000-000", "-1", "null", "anonymous"] {
            assert!(s.is_blocked(blocked), "{blocked:?}");
        }
        for kept in ["abc123", "0a", "Anonymous", "user-1"] {
            assert!(!s.is_blocked(kept), "{kept:?}");
        }
        assert_eq!(s.limit(USER_ID).count, 1);
        assert_eq!(s.limit(ANONYMOUS_ID).count, 5);
        let mut kinds = ["ios.id", EMAIL, ANONYMOUS_ID, USER_ID, "ga_client_id"];
        kinds.sort_by_key(|k| s.rank(k));
        assert_eq!(
            kinds,
            [USER_ID, EMAIL, ANONYMOUS_ID, "ga_client_id", "ios.id"]
        );
    }
}
