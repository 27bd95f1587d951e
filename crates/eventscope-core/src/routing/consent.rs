//! Consent: `context.consent.categoryPreferences` against a destination's mapped categories.
//!
//! Rules (reference §3): no consent object, or no `categoryPreferences` → every destination;
//! an unmapped destination always receives the message; a mapped destination receives it only
//! if **every** category it is mapped to is `true` (a missing category counts as false, so an
//! empty `categoryPreferences` — or one naming only categories the workspace doesn't know —
//! denies every mapped destination). A `categoryPreferences` that is not an object denies
//! mapped destinations too: consent never fails open.

use crate::model::json::{Json, Object};

/// A message's consent, found once.
pub(super) enum Preferences<'m, 'a> {
    /// No consent object or no `categoryPreferences`: consent does not restrict.
    Absent,
    Given(&'m Object<'a>),
    /// `categoryPreferences` present but not an object.
    Malformed,
}

impl<'m, 'a> Preferences<'m, 'a> {
    pub(super) fn of(message: &'m Json<'a>) -> Self {
        let preferences = message
            .get("context")
            .and_then(|context| context.get("consent"))
            .and_then(|consent| consent.get("categoryPreferences"));
        match preferences {
            None | Some(Json::Null) => Preferences::Absent,
            Some(Json::Object(object)) => Preferences::Given(object),
            Some(_) => Preferences::Malformed,
        }
    }

    /// `Err(rule)` when consent keeps the message from a destination mapped to `categories`.
    pub(super) fn check(&self, categories: &[String]) -> Result<(), String> {
        let Some(first) = categories.first() else {
            return Ok(());
        };
        match self {
            Preferences::Absent => Ok(()),
            Preferences::Malformed => Err(format!(
                "consent {first} not given (categoryPreferences is not an object)"
            )),
            Preferences::Given(object) if object.is_empty() => Err(format!(
                "consent {first} not given (categoryPreferences is empty)"
            )),
            Preferences::Given(object) => {
                match categories
                    .iter()
                    .find(|category| !matches!(object.get(category), Some(Json::Bool(true))))
                {
                    Some(category) => Err(format!("consent {category} not given")),
                    None => Ok(()),
                }
            }
        }
    }
}
