//! `mixpanel`: `POST /import?strict=1` with a JSON array of
//! `{"event","properties":{"time","distinct_id","$insert_id",…}}`, Basic auth with the API
//! secret (or the project token) as the user name. Segment's defaults
//! ([AD:mixpanel/mixpanel-properties.ts], `trackEvent/functions.ts`):
//!
//! | Mixpanel | from |
//! |---|---|
//! | `event` | track: `event`; page/screen: `Viewed {name}` |
//! | `time` | `timestamp`, in ms |
//! | `distinct_id` | `userId`, else `anonymousId` |
//! | `$insert_id` | `messageId` |
//! | `ip`, `$current_url`, `$referrer`, `$os`… | `context.ip`, `context.page.url`, … |
//! | everything else | `properties`, last (a property overrides a mapped key, as at Segment) |
//!
//! `identify`, `group` and `alias` go to Mixpanel's `/engage`, `/groups` and identity APIs,
//! not `/import`: skipped with the reason.

use serde_json::{Map, Value};

use super::fields::{
    at, copy, message_type, put, str_at, timestamp, user_or_anonymous, viewed_name,
};
use super::request::{joined_url, json_array, vendor_requests};
use super::{Mapper, Mapping, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::{Credentials, Destination};
use crate::model::DeliveryNote;

/// Older docs cap `/import` at 2 MB (newer ones at 10 MB): stay under the smaller.
const MAX_BODY_BYTES: usize = 2 * 1000 * 1000 - 1024;

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    url,
    basic_user,
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

/// `/import?strict=1`: Mixpanel validates each record and reports the ones it refuses.
fn url(base: &str, _credentials: &Credentials, _debug: bool) -> String {
    joined_url(base, "/import", &[("strict", "1")])
}

/// The API secret, else the project token.
fn basic_user(credentials: &Credentials) -> Option<String> {
    credentials
        .api_secret
        .clone()
        .or_else(|| credentials.token.clone())
}

fn event(_destination: &Destination, m: &Value) -> Mapping<Value> {
    let kind = message_type(m);
    let name = match kind.as_str() {
        "track" => match str_at(m, &["event"]) {
            Some(event) => event.to_string(),
            None => return Mapping::Skip("track without `event`".to_string()),
        },
        "page" => viewed_name(m, "Page"),
        "screen" => viewed_name(m, "Screen"),
        "identify" => {
            return Mapping::Skip(
                "mixpanel sets profile properties through /engage, not /import".to_string(),
            );
        }
        "group" => {
            return Mapping::Skip(
                "mixpanel sets group properties through /groups, not /import".to_string(),
            );
        }
        "alias" => {
            return Mapping::Skip(
                "mixpanel merges identities through its identity API, not /import".to_string(),
            );
        }
        other => return Mapping::Skip(format!("unknown message type `{other}`")),
    };
    let Some(distinct_id) = user_or_anonymous(m) else {
        return Mapping::Skip("no userId or anonymousId for distinct_id".to_string());
    };

    let mut p = Map::new();
    put(
        &mut p,
        "time",
        timestamp(m).map(|t| Value::from(t.timestamp_millis())),
    );
    p.insert("distinct_id".into(), Value::String(distinct_id));
    put(
        &mut p,
        "$insert_id",
        str_at(m, &["messageId"]).map(|s| Value::String(s.to_string())),
    );
    copy(&mut p, "ip", m, &["context", "ip"]);
    copy(&mut p, "$app_build_number", m, &["context", "app", "build"]);
    copy(
        &mut p,
        "$app_version_string",
        m,
        &["context", "app", "version"],
    );
    copy(
        &mut p,
        "$app_namespace",
        m,
        &["context", "app", "namespace"],
    );
    copy(&mut p, "$app_name", m, &["context", "app", "name"]);
    copy(
        &mut p,
        "$bluetooth_enabled",
        m,
        &["context", "network", "bluetooth"],
    );
    copy(
        &mut p,
        "$cellular_enabled",
        m,
        &["context", "network", "cellular"],
    );
    copy(&mut p, "$wifi_enabled", m, &["context", "network", "wifi"]);
    copy(&mut p, "$carrier", m, &["context", "network", "carrier"]);
    copy(&mut p, "$current_url", m, &["context", "page", "url"]);
    copy(&mut p, "$referrer", m, &["context", "page", "referrer"]);
    copy(&mut p, "$device", m, &["context", "device", "name"]);
    copy(&mut p, "$device_id", m, &["context", "device", "id"]);
    copy(&mut p, "$device_type", m, &["context", "device", "type"]);
    copy(&mut p, "$group_id", m, &["context", "groupId"]);
    let advertising = at(m, &["context", "device", "advertisingId"])
        .or_else(|| at(m, &["context", "device", "idfa"]));
    put(&mut p, "$ios_ifa", advertising.cloned());
    copy(
        &mut p,
        "$lib_version",
        m,
        &["context", "library", "version"],
    );
    copy(&mut p, "$locale", m, &["context", "locale"]);
    copy(
        &mut p,
        "$manufacturer",
        m,
        &["context", "device", "manufacturer"],
    );
    copy(&mut p, "$model", m, &["context", "device", "model"]);
    copy(&mut p, "$os", m, &["context", "os", "name"]);
    copy(&mut p, "$os_version", m, &["context", "os", "version"]);
    copy(
        &mut p,
        "$screen_height",
        m,
        &["context", "screen", "height"],
    );
    copy(&mut p, "$screen_width", m, &["context", "screen", "width"]);
    copy(
        &mut p,
        "$screen_density",
        m,
        &["context", "screen", "density"],
    );
    copy(
        &mut p,
        "mp_country_code",
        m,
        &["context", "location", "country"],
    );
    put(
        &mut p,
        "mp_lib",
        str_at(m, &["context", "library", "name"])
            .map(|lib| Value::String(format!("Segment: {lib}"))),
    );
    for (key, from) in [
        ("utm_campaign", "name"),
        ("utm_source", "source"),
        ("utm_medium", "medium"),
        ("utm_term", "term"),
        ("utm_content", "content"),
    ] {
        copy(&mut p, key, m, &["context", "campaign", from]);
    }
    if let Some(properties) = at(m, &["properties"]).and_then(Value::as_object) {
        for (key, value) in properties {
            p.insert(key.clone(), value.clone());
        }
    }
    let mut e = Map::new();
    e.insert("event".into(), Value::String(name));
    e.insert("properties".into(), Value::Object(p));
    Mapping::Item(Value::Object(e))
}

fn body(_destination: &Destination, events: &[String]) -> Vec<u8> {
    json_array(events).into_bytes()
}

/// A 400 with `failed_records` is a partial success: one note per failed record.
/// `{"code":400,"error":"…","failed_records":[{"index":0,"$insert_id":"…","field":
/// "properties.time","message":"…"}],"num_records_imported":999,"status":"Bad Request"}`.
fn notes(json: &Value) -> Vec<DeliveryNote> {
    let Some(records) = json.get("failed_records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .map(|r| {
            let index = r.get("index").map(|i| i.to_string());
            let field = r.get("field").and_then(Value::as_str).unwrap_or_default();
            let path = match (index, field.is_empty()) {
                (Some(i), false) => format!("[{i}].{field}"),
                (Some(i), true) => format!("[{i}]"),
                (None, _) => field.to_string(),
            };
            let insert_id = r
                .get("$insert_id")
                .or_else(|| r.get("insert_id"))
                .and_then(Value::as_str);
            let mut message = r
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("record refused")
                .to_string();
            if let Some(id) = insert_id {
                message.push_str(&format!(" ($insert_id {id})"));
            }
            DeliveryNote {
                path,
                code: "failed_record".to_string(),
                message,
            }
        })
        .collect()
}
