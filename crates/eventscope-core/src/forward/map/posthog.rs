//! `posthog`: `POST /batch/` with `{"api_key","historical_migration":false,"batch":[…]}`,
//! each item `{"event","properties":{"distinct_id",…},"timestamp"}`.
//!
//! | PostHog | from |
//! |---|---|
//! | `event` | track: `event`; page: `$pageview`; screen: `$screen`; identify: `$identify`; group: `$groupidentify`; alias: `$create_alias` |
//! | `properties.distinct_id` | `userId`, else `anonymousId` |
//! | `timestamp` | `timestamp`, as sent |
//! | `uuid` | `messageId` when it is a UUID (PostHog dedups on it and refuses other shapes) |
//! | `properties` | `properties`, plus `$current_url` (page: `properties.url`, else `context.page.url`), `$referrer`, `$ip`, `$os`, `$lib`, `$lib_version` |
//! | identify | `$set` ← `traits`, `$anon_distinct_id` ← `anonymousId` |
//! | screen | `$screen_name` ← `name` |
//! | group | `$group_type` `company`, `$group_key` ← `groupId`, `$group_set` ← `traits` |
//! | alias | `distinct_id` ← `userId`, `alias` ← `previousId` |

use serde_json::{Map, Value};

use super::fields::{at, copy, id_at, message_type, put, str_at, user_or_anonymous};
use super::request::{joined_url, json_array, json_string, no_basic_user, vendor_requests};
use super::{Mapper, Mapping, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::{Credentials, Destination};
use crate::model::DeliveryNote;

/// PostHog takes bodies under 20 MB.
const MAX_BODY_BYTES: usize = 20 * 1000 * 1000 - 1024;

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    url,
    basic_user: no_basic_user,
    notes,
};

/// A list of events, cut to `batch_size` and the body cap.
fn requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    skipped: &mut Vec<(usize, Skipped)>,
    _now: chrono::DateTime<chrono::Utc>,
) -> Vec<Request> {
    vendor_requests(destination, staged, skipped, event, body, MAX_BODY_BYTES)
}

fn url(base: &str, _credentials: &Credentials, _debug: bool) -> String {
    joined_url(base, "/batch/", &[])
}

fn event(_destination: &Destination, m: &Value) -> Mapping<Value> {
    let kind = message_type(m);
    let Some(distinct_id) = (if kind == "alias" {
        id_at(m, "userId")
    } else {
        user_or_anonymous(m)
    }) else {
        return Mapping::Skip("no userId or anonymousId for distinct_id".to_string());
    };
    let mut p = Map::new();
    if let Some(properties) = at(m, &["properties"]).and_then(Value::as_object) {
        p.extend(properties.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    p.insert("distinct_id".into(), Value::String(distinct_id));
    let event = match kind.as_str() {
        "track" => match str_at(m, &["event"]) {
            Some(event) => event.to_string(),
            None => return Mapping::Skip("track without `event`".to_string()),
        },
        "page" => {
            let url = str_at(m, &["properties", "url"])
                .or_else(|| str_at(m, &["context", "page", "url"]));
            put(
                &mut p,
                "$current_url",
                url.map(|u| Value::String(u.to_string())),
            );
            "$pageview".to_string()
        }
        "screen" => {
            copy(&mut p, "$screen_name", m, &["name"]);
            "$screen".to_string()
        }
        "identify" => {
            copy(&mut p, "$set", m, &["traits"]);
            if id_at(m, "userId").is_some() {
                put(
                    &mut p,
                    "$anon_distinct_id",
                    id_at(m, "anonymousId").map(Value::String),
                );
            }
            "$identify".to_string()
        }
        "group" => {
            let Some(group) = id_at(m, "groupId") else {
                return Mapping::Skip("group without `groupId`".to_string());
            };
            p.insert("$group_type".into(), Value::String("company".to_string()));
            p.insert("$group_key".into(), Value::String(group));
            copy(&mut p, "$group_set", m, &["traits"]);
            "$groupidentify".to_string()
        }
        "alias" => {
            let Some(previous) = id_at(m, "previousId") else {
                return Mapping::Skip("alias without `previousId`".to_string());
            };
            p.insert("alias".into(), Value::String(previous));
            "$create_alias".to_string()
        }
        other => return Mapping::Skip(format!("unknown message type `{other}`")),
    };
    if !p.contains_key("$current_url") {
        copy(&mut p, "$current_url", m, &["context", "page", "url"]);
    }
    copy(&mut p, "$referrer", m, &["context", "page", "referrer"]);
    copy(&mut p, "$ip", m, &["context", "ip"]);
    copy(&mut p, "$os", m, &["context", "os", "name"]);
    copy(&mut p, "$lib", m, &["context", "library", "name"]);
    copy(
        &mut p,
        "$lib_version",
        m,
        &["context", "library", "version"],
    );

    let mut e = Map::new();
    e.insert("event".into(), Value::String(event));
    e.insert("properties".into(), Value::Object(p));
    copy(&mut e, "timestamp", m, &["timestamp"]);
    if let Some(id) = str_at(m, &["messageId"]).filter(|id| uuid::Uuid::parse_str(id).is_ok()) {
        e.insert("uuid".into(), Value::String(id.to_string()));
    }
    Mapping::Item(Value::Object(e))
}

fn body(destination: &Destination, events: &[String]) -> Vec<u8> {
    let key = destination
        .credentials
        .api_key
        .as_deref()
        .unwrap_or_default();
    format!(
        "{{\"api_key\":{},\"historical_migration\":false,\"batch\":{}}}",
        json_string(key),
        json_array(events)
    )
    .into_bytes()
}

/// PostHog's errors: `{"type":"validation_error","code":"invalid_payload","detail":"…",
/// "attr":null}`.
fn notes(json: &Value) -> Vec<DeliveryNote> {
    let Some(detail) = json.get("detail").and_then(Value::as_str) else {
        return Vec::new();
    };
    vec![DeliveryNote {
        path: json
            .get("attr")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        code: json
            .get("code")
            .and_then(Value::as_str)
            .or_else(|| json.get("type").and_then(Value::as_str))
            .unwrap_or_default()
            .to_string(),
        message: detail.to_string(),
    }]
}
