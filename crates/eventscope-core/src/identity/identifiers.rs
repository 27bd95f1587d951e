//! The identifiers one message promotes, as Segment's Unify reads them by default (plus the
//! settings' extra paths), read from the parse the verdicts use; blocked values set apart so a
//! verdict can say they would not be promoted; `groupId` and `alias` kept apart (an account
//! link and an alias link, not person identifiers). Pure: nothing is allocated for a string
//! value the message holds without escapes.

use std::borrow::Cow;

use serde_json::Value;

use super::settings::{ANONYMOUS_ID, EMAIL, IdentitySettings, USER_ID};
use crate::model::json::Json;

/// `ga_client_id`, from `context.integrations['Google Analytics'].clientId`.
pub const GA_CLIENT_ID: &str = "ga_client_id";

/// One identifier: its type (`user_id`, `ios.id`, a custom type) and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier<'a> {
    pub kind: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

impl Identifier<'_> {
    pub fn into_owned(self) -> Identifier<'static> {
        Identifier {
            kind: Cow::Owned(self.kind.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// A value found where an identifier is read that is blocked: it stays in the payload and is
/// not promoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedValue<'a> {
    pub identifier: Identifier<'a>,
    /// Where in the message it was read (`userId`, `context.traits.email`).
    pub path: Cow<'a, str>,
}

/// `alias`: `previousId` → `userId`. Recorded beside the graph; it never merges profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias<'a> {
    pub previous_id: Cow<'a, str>,
    pub user_id: Cow<'a, str>,
}

/// What one message gives identity resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Promoted<'a> {
    /// Person identifiers, each (type, value) once, in the order read.
    pub identifiers: Vec<Identifier<'a>>,
    /// Values found where identifiers are read but blocked by the settings.
    pub blocked: Vec<BlockedValue<'a>>,
    /// `groupId`: the account the person belongs to, not a person identifier.
    pub group_id: Option<Cow<'a, str>>,
    /// An `alias` call's link (both ids present and not blocked).
    pub alias: Option<Alias<'a>>,
}

/// The identifiers `message` promotes under `settings`.
pub fn promote<'a>(message: &'a Json<'_>, settings: &'a IdentitySettings) -> Promoted<'a> {
    let mut out = Reader {
        settings,
        promoted: Promoted::default(),
    };
    let call = message.get("type").and_then(Json::as_str).unwrap_or("");
    let context = message.get("context");

    out.read(USER_ID, "userId", message.get("userId"));
    out.read(ANONYMOUS_ID, "anonymousId", message.get("anonymousId"));
    if call == "identify" {
        out.read(
            EMAIL,
            "traits.email",
            message.get("traits").and_then(|t| t.get("email")),
        );
    }
    out.read(
        EMAIL,
        "context.traits.email",
        context
            .and_then(|c| c.get("traits"))
            .and_then(|t| t.get("email")),
    );
    if let Some(device) = context.and_then(|c| c.get("device")) {
        out.read_device(device);
    }
    out.read(
        GA_CLIENT_ID,
        "context.integrations.Google Analytics.clientId",
        context
            .and_then(|c| c.get("integrations"))
            .and_then(|i| i.get("Google Analytics"))
            .and_then(|g| g.get("clientId")),
    );
    if let Some(external) = context
        .and_then(|c| c.get("externalIds"))
        .and_then(Json::as_array)
    {
        for entry in external {
            let users = entry.get("collection").and_then(Json::as_str) == Some("users");
            let kind = entry
                .get("type")
                .and_then(Json::as_str)
                .filter(|k| !k.is_empty());
            if let (true, Some(kind)) = (users, kind) {
                out.read(kind, "context.externalIds", entry.get("id"));
            }
        }
    }
    for extra in &settings.extra {
        let found = extra
            .path
            .split('.')
            .try_fold(message, |node, key| node.get(key));
        out.read(&extra.kind, &extra.path, found);
    }

    out.promoted.group_id = text(message.get("groupId")).filter(|g| !g.is_empty());
    if call == "alias" {
        // Alias can't merge profiles: the call joins its userId's profile and nothing else
        // (analytics.js sends the anonymousId it aliases as both `anonymousId` and
        // `previousId`).
        out.promoted.identifiers.retain(|i| i.kind == USER_ID);
        out.read_alias(message);
    }
    out.promoted
}

/// [`promote`] for a caller holding a `serde_json::Value`; the result owns its strings.
pub fn promote_value(message: &Value, settings: &IdentitySettings) -> Promoted<'static> {
    promote(&Json::from_value(message), settings).into_owned()
}

impl Promoted<'_> {
    pub fn into_owned(self) -> Promoted<'static> {
        Promoted {
            identifiers: self
                .identifiers
                .into_iter()
                .map(Identifier::into_owned)
                .collect(),
            blocked: self
                .blocked
                .into_iter()
                .map(BlockedValue::into_owned)
                .collect(),
            group_id: self.group_id.map(|g| Cow::Owned(g.into_owned())),
            alias: self.alias.map(|a| Alias {
                previous_id: Cow::Owned(a.previous_id.into_owned()),
                user_id: Cow::Owned(a.user_id.into_owned()),
            }),
        }
    }
}

impl BlockedValue<'_> {
    pub fn into_owned(self) -> BlockedValue<'static> {
        BlockedValue {
            identifier: self.identifier.into_owned(),
            path: Cow::Owned(self.path.into_owned()),
        }
    }
}

struct Reader<'a> {
    settings: &'a IdentitySettings,
    promoted: Promoted<'a>,
}

impl<'a> Reader<'a> {
    /// Promotes the string (or number) at `found` as a `kind`, unless it is blocked or empty.
    fn read(&mut self, kind: &'a str, path: &'a str, found: Option<&'a Json<'_>>) {
        let Some(value) = text(found) else { return };
        let identifier = Identifier {
            kind: Cow::Borrowed(kind),
            value,
        };
        if self.settings.is_blocked(&identifier.value) {
            self.promoted.blocked.push(BlockedValue {
                identifier,
                path: Cow::Borrowed(path),
            });
        } else if !identifier.value.is_empty() && !self.promoted.identifiers.contains(&identifier) {
            self.promoted.identifiers.push(identifier);
        }
    }

    /// `ios.*` / `android.*` by `context.device.type`; the advertising id only when ad
    /// tracking is on.
    fn read_device(&mut self, device: &'a Json<'_>) {
        let (id, idfa, token) = match device.get("type").and_then(Json::as_str) {
            Some(t) if t.eq_ignore_ascii_case("ios") => ("ios.id", "ios.idfa", "ios.push_token"),
            Some(t) if t.eq_ignore_ascii_case("android") => {
                ("android.id", "android.idfa", "android.push_token")
            }
            _ => return,
        };
        self.read(id, "context.device.id", device.get("id"));
        if device.get("adTrackingEnabled") == Some(&Json::Bool(true)) {
            self.read(
                idfa,
                "context.device.advertisingId",
                device.get("advertisingId"),
            );
        }
        self.read(token, "context.device.token", device.get("token"));
    }

    fn read_alias(&mut self, message: &'a Json<'_>) {
        let previous = text(message.get("previousId"));
        let user = text(message.get("userId"));
        let Some(previous_id) = previous.filter(|p| !p.is_empty()) else {
            return;
        };
        if self.settings.is_blocked(&previous_id) {
            self.promoted.blocked.push(BlockedValue {
                identifier: Identifier {
                    kind: Cow::Borrowed("previous_id"),
                    value: previous_id,
                },
                path: Cow::Borrowed("previousId"),
            });
            return;
        }
        if let Some(user_id) = user.filter(|u| !u.is_empty() && !self.settings.is_blocked(u)) {
            self.promoted.alias = Some(Alias {
                previous_id,
                user_id,
            });
        }
    }
}

/// A string value as is, a number as its text; anything else is no identifier.
fn text<'a>(found: Option<&'a Json<'_>>) -> Option<Cow<'a, str>> {
    match found? {
        Json::String(s) => Some(Cow::Borrowed(s.as_ref())),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}
