//! The `[identity]` table of `eventscope.toml`, read into [`IdentitySettings`]: blocked values
//! (exact or `re:`), limits per identifier type (`1`, `"5 weekly"`), priority, extra identifier
//! types, the cap on identifiers and when an identifier counts as shared. Whatever the table
//! leaves out keeps Segment's default; every bad entry is a one-line error naming the key and
//! what is allowed.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::identity::{
    BUILT_IN_TYPES, Blocked, DEFAULT_SHARED_IDENTIFIER_USERS, ExtraIdentifier, IdentitySettings,
    Limit, MAX_USERS_PER_IDENTIFIER, Period,
};

const LIMIT_FORMS: &str = "use N or \"N daily|weekly|monthly|annually\" (N at least 1)";

/// The table as written; each field is checked as it is read, so an error points at its line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityTable {
    #[serde(default, deserialize_with = "blocked")]
    blocked: Vec<Blocked>,
    #[serde(default, alias = "replace-default-blocked")]
    replace_default_blocked: bool,
    #[serde(default, deserialize_with = "limits")]
    limits: Vec<(String, Limit)>,
    #[serde(default, deserialize_with = "priority")]
    priority: Option<Vec<String>>,
    #[serde(
        default,
        alias = "max-identifiers",
        deserialize_with = "max_identifiers"
    )]
    max_identifiers: Option<usize>,
    #[serde(
        default,
        alias = "shared-identifier-users",
        deserialize_with = "shared_identifier_users"
    )]
    shared_identifier_users: Option<usize>,
    #[serde(default, deserialize_with = "identifiers")]
    identifier: Vec<ExtraIdentifier>,
}

/// `Config::identity`: the `[identity]` table over Segment's defaults.
pub(crate) fn settings<'de, D: Deserializer<'de>>(d: D) -> Result<IdentitySettings, D::Error> {
    let table = IdentityTable::deserialize(d)?;
    let mut settings = IdentitySettings::default();
    if table.replace_default_blocked {
        settings.blocked.clear();
    }
    settings.blocked.extend(table.blocked);
    for (kind, limit) in table.limits {
        match settings.limits.iter_mut().find(|(k, _)| *k == kind) {
            Some(existing) => existing.1 = limit,
            None => settings.limits.push((kind, limit)),
        }
    }
    if let Some(priority) = table.priority {
        settings.priority = priority;
    }
    if let Some(max) = table.max_identifiers {
        settings.max_identifiers = max;
    }
    if let Some(users) = table.shared_identifier_users {
        settings.shared_identifier_users = users;
    }
    settings.extra = table.identifier;
    Ok(settings)
}

/// `blocked`: exact values, or `re:PATTERN` (Rust `regex` syntax).
fn blocked<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Blocked>, D::Error> {
    Vec::<String>::deserialize(d)?
        .into_iter()
        .map(|value| parse_blocked(&value).map_err(D::Error::custom))
        .collect()
}

fn parse_blocked(value: &str) -> Result<Blocked, String> {
    let Some(pattern) = value.strip_prefix("re:") else {
        return Ok(Blocked::Exact(value.to_string()));
    };
    if pattern.is_empty() {
        return Err(format!(
            "[identity] blocked: {value:?}: an empty pattern would block every value; \
             write \"re:PATTERN\" or an exact value"
        ));
    }
    regex::Regex::new(pattern)
        .map(Blocked::Pattern)
        .map_err(|e| {
            format!(
                "[identity] blocked: {value:?}: bad regex: {}",
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
}

/// `limits`: identifier type → `N`, `"N"` or `"N daily|weekly|monthly|annually"`.
fn limits<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Limit)>, D::Error> {
    BTreeMap::<String, toml::Value>::deserialize(d)?
        .into_iter()
        .map(|(kind, value)| {
            let key = format!("[identity] limits.{}", toml_key(&kind));
            if kind.trim().is_empty() {
                return Err(D::Error::custom(format!(
                    "{key}: an empty identifier type; name one, e.g. anonymous_id = \"5 weekly\""
                )));
            }
            // `ios.id = 1` unquoted is a TOML dotted key: a table `ios` holding `id`.
            if let toml::Value::Table(inner) = &value
                && let Some(first) = inner.keys().next()
            {
                return Err(D::Error::custom(format!(
                    "{key}: a table: quote a type that has a dot, e.g. \"{kind}.{first}\" = 1"
                )));
            }
            parse_limit(&value)
                .map(|limit| (kind, limit))
                .map_err(|shown| D::Error::custom(format!("{key}: {shown}: {LIMIT_FORMS}")))
        })
        .collect()
}

/// A limit, or the value as written for the error.
fn parse_limit(value: &toml::Value) -> Result<Limit, String> {
    let (count, period) = match value {
        toml::Value::Integer(n) => (u32::try_from(*n).ok(), None),
        toml::Value::String(text) => {
            let mut words = text.split_whitespace();
            let count = words.next().and_then(|n| n.parse::<u32>().ok());
            let period = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None => None,
                Some("daily") => Some(Period::Daily),
                Some("weekly") => Some(Period::Weekly),
                Some("monthly") => Some(Period::Monthly),
                Some("annually") => Some(Period::Annually),
                Some(_) => return Err(format!("{text:?}")),
            };
            if words.next().is_some() {
                return Err(format!("{text:?}"));
            }
            (count, period)
        }
        other => return Err(other.to_string()),
    };
    match count {
        Some(count) if count >= 1 => Ok(Limit { count, period }),
        _ => Err(value.to_string()),
    }
}

/// `priority`: identifier types from the highest down, each once.
fn priority<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let kinds = Vec::<String>::deserialize(d)?;
    for (index, kind) in kinds.iter().enumerate() {
        if kind.trim().is_empty() {
            return Err(D::Error::custom(
                "[identity] priority: an empty identifier type; list types such as \
                 [\"user_id\", \"email\"]",
            ));
        }
        if kinds[..index].contains(kind) {
            return Err(D::Error::custom(format!(
                "[identity] priority: {kind:?} is listed twice; list each type once, \
                 highest first"
            )));
        }
    }
    Ok(Some(kinds))
}

/// `max_identifiers`: a whole number, at least 1.
fn max_identifiers<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    match value {
        toml::Value::Integer(n) if n >= 1 => usize::try_from(n).map(Some).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        D::Error::custom(format!(
            "[identity] max_identifiers: {value}: use a whole number of at least 1 \
             (default 1000000)"
        ))
    })
}

/// `shared_identifier_users`: a whole number from 1 to one less than the user ids kept per
/// identifier.
fn shared_identifier_users<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    let most = MAX_USERS_PER_IDENTIFIER - 1;
    match value {
        toml::Value::Integer(n) if n >= 1 => usize::try_from(n).ok().filter(|n| *n <= most),
        _ => None,
    }
    .map(Some)
    .ok_or_else(|| {
        D::Error::custom(format!(
            "[identity] shared_identifier_users: {value}: use a whole number from 1 to {most} \
             (default {DEFAULT_SHARED_IDENTIFIER_USERS})"
        ))
    })
}

/// One `[[identity.identifier]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifierTable {
    #[serde(rename = "type")]
    kind: String,
    path: String,
}

/// `[[identity.identifier]]`: new identifier types, each named once and not a built-in one, each
/// read from a dot path.
fn identifiers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ExtraIdentifier>, D::Error> {
    let tables = Vec::<IdentifierTable>::deserialize(d)?;
    let mut extra: Vec<ExtraIdentifier> = Vec::with_capacity(tables.len());
    for table in tables {
        let key = format!("[[identity.identifier]] type = {:?}", table.kind);
        if table.kind.trim().is_empty() {
            return Err(D::Error::custom(
                "[[identity.identifier]] type = \"\": name the identifier type, e.g. \
                 type = \"phone\"",
            ));
        }
        if BUILT_IN_TYPES.contains(&table.kind.as_str()) {
            return Err(D::Error::custom(format!(
                "{key}: a built-in identifier type ({}); pick another name",
                BUILT_IN_TYPES.join(", ")
            )));
        }
        if extra.iter().any(|e| e.kind == table.kind) {
            return Err(D::Error::custom(format!(
                "{key}: defined twice; one table per type"
            )));
        }
        if table.path.split('.').any(|key| key.trim().is_empty()) {
            return Err(D::Error::custom(format!(
                "{key}: path {:?}: use a dot path from the message's top level, e.g. \
                 \"traits.phone\"",
                table.path
            )));
        }
        extra.push(ExtraIdentifier {
            kind: table.kind,
            path: table.path,
        });
    }
    Ok(extra)
}

/// A key as TOML would need it written: bare when it can be, else quoted (`"ios.id"`).
pub(super) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests;
