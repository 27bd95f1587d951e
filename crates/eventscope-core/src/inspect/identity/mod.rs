//! Identity verdicts one message can tell (`identity/…`): an identifier whose value
//! `[identity]` blocks (kept in the payload, never promoted in Unify), and a `userId` that looks
//! like an email, a phone number or a placeholder. Verdicts that need other messages (refused
//! merges, shared identifiers, aliases) come from the identity graph, in [`across`].

mod across;
#[cfg(test)]
mod across_tests;
mod looks_like;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use across::{
    ALIAS_ONLY_LINK, ALIAS_UNSEEN_PREVIOUS, MERGE_REFUSED, SHARED_IDENTIFIER, across,
};

use super::{Finding, Kind, Severity};
use crate::identity::{Blocked, BlockedValue, IdentitySettings, USER_ID, promote};
use crate::model::json::Json;

/// A value `[identity]` blocks was read where an identifier is.
pub const BLOCKED_ID: &str = "identity/blocked-id";
/// A `userId` that is an email, a phone number or a placeholder.
pub const USERID_LOOKS_LIKE: &str = "identity/userid-looks-like";

/// The identity rules, configured from `[identity]`.
#[derive(Debug, Clone, Default)]
pub struct IdentityRules {
    pub settings: IdentitySettings,
}

impl IdentityRules {
    pub fn check(&self, message: &Json<'_>, out: &mut Vec<Finding>) {
        if !matches!(message, Json::Object(_)) {
            return;
        }
        let promoted = promote(message, &self.settings);
        for blocked in &promoted.blocked {
            // An empty id is `spec/empty-id`'s (and `^[0-]*$` matches it).
            if !blocked.identifier.value.trim().is_empty() {
                out.push(self.blocked_finding(blocked));
            }
        }
        let user_id_blocked = promoted
            .blocked
            .iter()
            .any(|b| b.identifier.kind == USER_ID);
        if !user_id_blocked
            && let Some(user_id) = text(message.get("userId"))
            && let Some(problem) = looks_like::problem(&user_id)
        {
            out.push(
                Finding::new(
                    Kind::Identity,
                    USERID_LOOKS_LIKE,
                    "userId",
                    Severity::Warning,
                    format!(
                        "userId {user_id:?} looks like {problem}: a userId should be your \
                         database's stable id for the person, not {problem}"
                    ),
                )
                .expected("a stable, unique id from your database")
                .actual(format!("{user_id:?}")),
            );
        }
    }

    fn blocked_finding(&self, blocked: &BlockedValue<'_>) -> Finding {
        let value = &blocked.identifier.value;
        let rule = self
            .settings
            .blocked
            .iter()
            .find(|b| b.matches(value))
            .map_or_else(|| "a blocked value".to_string(), describe_rule);
        let kind = &blocked.identifier.kind;
        let consequence = if kind == "previous_id" {
            "Unify would not link the alias".to_string()
        } else {
            format!("Unify would not promote it to a {kind} identifier")
        };
        Finding::new(
            Kind::Identity,
            BLOCKED_ID,
            blocked.path.to_string(),
            Severity::Warning,
            format!(
                "{} {value:?} is blocked by [identity] ({rule}): the message is kept, but \
                 {consequence}",
                blocked.path
            ),
        )
        .expected(format!("a value [identity] does not block ({rule})"))
        .actual(format!("{value:?}"))
    }
}

/// How the matching `[identity] blocked` entry reads: `exact "abc123"`, `pattern ^[0-]*$`.
fn describe_rule(blocked: &Blocked) -> String {
    match blocked {
        Blocked::Exact(exact) => format!("exact {exact:?}"),
        Blocked::Pattern(pattern) => format!("pattern re:{}", pattern.as_str()),
    }
}

/// A string id as is, a numeric one as its text.
fn text<'a>(found: Option<&'a Json<'_>>) -> Option<Cow<'a, str>> {
    match found? {
        Json::String(s) => Some(Cow::Borrowed(s.as_ref())),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}
