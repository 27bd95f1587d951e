//! `amplitude`: HTTP V2 (`POST /2/httpapi`, `{"api_key","events":[…]}`) with Segment's
//! default field mapping ([AD:amplitude/event-schema.ts] and the destination's presets):
//!
//! | Amplitude | from |
//! |---|---|
//! | `event_type` | track: `event`; page/screen: `Viewed {name}`; identify: `$identify` |
//! | `user_id` | `userId` |
//! | `device_id` | `context.device.id`, else `anonymousId` |
//! | `time` | `timestamp`, in ms |
//! | `insert_id` | `messageId` |
//! | `event_properties` | `properties` |
//! | `user_properties` | identify: `{"$set": traits}`; others: `traits` if any |
//! | `session_id` | `integrations["Actions Amplitude"].session_id` |
//! | … | `context.app.version`, `device.*`, `os.*`, `network.carrier`, `location.*`, `locale`, `ip`, `library.name`; `properties.price/quantity/revenue/productId/revenueType` |
//!
//! `group` and `alias` use other Amplitude APIs (Group Identify, User Mapping) and are
//! skipped with the reason.

use serde_json::{Map, Value, json};

use super::fields::{at, copy, id_at, message_type, put, str_at, timestamp, viewed_name};
use super::request::{joined_url, json_array, json_string, no_basic_user, vendor_requests};
use super::{Mapper, Mapping, Skipped, Staged};
use crate::forward::Request;
use crate::forward::destination::{Credentials, Destination};
use crate::model::DeliveryNote;

/// Amplitude refuses bodies of 1 MB or more.
const MAX_BODY_BYTES: usize = 1000 * 1000 - 1024;

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
    joined_url(base, "/2/httpapi", &[])
}

fn event(_destination: &Destination, m: &Value) -> Mapping<Value> {
    let kind = message_type(m);
    let event_type = match kind.as_str() {
        "track" => match str_at(m, &["event"]) {
            Some(event) => event.to_string(),
            None => return Mapping::Skip("track without `event`".to_string()),
        },
        "page" => viewed_name(m, "Page"),
        "screen" => viewed_name(m, "Screen"),
        "identify" => "$identify".to_string(),
        "group" => {
            return Mapping::Skip(
                "amplitude takes group traits through its Group Identify API, not HTTP V2"
                    .to_string(),
            );
        }
        "alias" => {
            return Mapping::Skip(
                "amplitude merges users through its User Mapping API, not HTTP V2".to_string(),
            );
        }
        other => return Mapping::Skip(format!("unknown message type `{other}`")),
    };
    let user_id = id_at(m, "userId");
    let device_id = str_at(m, &["context", "device", "id"])
        .map(str::to_string)
        .or_else(|| id_at(m, "anonymousId"));
    if user_id.is_none() && device_id.is_none() {
        return Mapping::Skip("no userId, anonymousId or context.device.id".to_string());
    }

    let mut e = Map::new();
    e.insert("event_type".into(), Value::String(event_type));
    put(&mut e, "user_id", user_id.map(Value::String));
    put(&mut e, "device_id", device_id.map(Value::String));
    put(
        &mut e,
        "time",
        timestamp(m).map(|t| Value::from(t.timestamp_millis())),
    );
    put(
        &mut e,
        "insert_id",
        str_at(m, &["messageId"]).map(|s| Value::String(s.to_string())),
    );
    if kind == "identify" {
        if let Some(traits) =
            at(m, &["traits"]).filter(|t| t.as_object().is_some_and(|o| !o.is_empty()))
        {
            e.insert("user_properties".into(), json!({ "$set": traits }));
        }
    } else {
        copy(&mut e, "event_properties", m, &["properties"]);
        copy(&mut e, "user_properties", m, &["traits"]);
    }
    put(
        &mut e,
        "session_id",
        at(m, &["integrations", "Actions Amplitude", "session_id"])
            .and_then(session_ms)
            .map(Value::from),
    );
    copy(&mut e, "app_version", m, &["context", "app", "version"]);
    copy(&mut e, "platform", m, &["context", "device", "type"]);
    copy(&mut e, "os_name", m, &["context", "os", "name"]);
    copy(&mut e, "os_version", m, &["context", "os", "version"]);
    copy(&mut e, "device_brand", m, &["context", "device", "brand"]);
    copy(
        &mut e,
        "device_manufacturer",
        m,
        &["context", "device", "manufacturer"],
    );
    copy(&mut e, "device_model", m, &["context", "device", "model"]);
    copy(&mut e, "carrier", m, &["context", "network", "carrier"]);
    copy(&mut e, "country", m, &["context", "location", "country"]);
    copy(&mut e, "region", m, &["context", "location", "region"]);
    copy(&mut e, "city", m, &["context", "location", "city"]);
    copy(
        &mut e,
        "location_lat",
        m,
        &["context", "location", "latitude"],
    );
    copy(
        &mut e,
        "location_lng",
        m,
        &["context", "location", "longitude"],
    );
    copy(&mut e, "language", m, &["context", "locale"]);
    copy(&mut e, "ip", m, &["context", "ip"]);
    let advertising = at(m, &["context", "device", "advertisingId"])
        .or_else(|| at(m, &["context", "device", "idfa"]));
    put(&mut e, "idfa", advertising.cloned());
    put(&mut e, "adid", advertising.cloned());
    copy(&mut e, "idfv", m, &["context", "device", "id"]);
    copy(&mut e, "library", m, &["context", "library", "name"]);
    if kind != "identify" {
        copy(&mut e, "price", m, &["properties", "price"]);
        copy(&mut e, "quantity", m, &["properties", "quantity"]);
        copy(&mut e, "revenue", m, &["properties", "revenue"]);
        copy(&mut e, "productId", m, &["properties", "productId"]);
        copy(&mut e, "revenueType", m, &["properties", "revenueType"]);
    }
    Mapping::Item(Value::Object(e))
}

/// A session id is a start time: ms as a number, or a timestamp string.
fn session_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s
            .parse::<i64>()
            .ok()
            .or_else(|| crate::model::parse_timestamp(s).map(|t| t.timestamp_millis())),
        _ => None,
    }
}

fn body(destination: &Destination, events: &[String]) -> Vec<u8> {
    let key = destination
        .credentials
        .api_key
        .as_deref()
        .unwrap_or_default();
    format!(
        "{{\"api_key\":{},\"events\":{}}}",
        json_string(key),
        json_array(events)
    )
    .into_bytes()
}

/// Amplitude's error answers: `{"code":400,"error":"…","missing_field":"api_key",
/// "events_with_invalid_fields":{"time":[3,4]},"events_with_missing_fields":{…},
/// "silenced_events":[…],"throttled_events":[…]}`.
fn notes(json: &Value) -> Vec<DeliveryNote> {
    let mut notes = Vec::new();
    let error = super::fields::error_text(json);
    if let Some(field) = json.get("missing_field").and_then(Value::as_str) {
        notes.push(DeliveryNote {
            path: field.to_string(),
            code: "missing_field".to_string(),
            message: error
                .clone()
                .unwrap_or_else(|| format!("`{field}` is missing")),
        });
    }
    for (key, code, what) in [
        ("events_with_invalid_fields", "invalid_field", "invalid"),
        ("events_with_missing_fields", "missing_field", "missing"),
    ] {
        if let Some(fields) = json.get(key).and_then(Value::as_object) {
            for (field, indexes) in fields {
                for index in indexes.as_array().into_iter().flatten() {
                    notes.push(DeliveryNote {
                        path: format!("events[{index}].{field}"),
                        code: code.to_string(),
                        message: format!("`{field}` is {what}"),
                    });
                }
            }
        }
    }
    for (key, code, what) in [
        (
            "silenced_events",
            "silenced",
            "silenced (the device or user is over its limit)",
        ),
        ("throttled_events", "throttled", "throttled"),
    ] {
        for index in json
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            notes.push(DeliveryNote {
                path: format!("events[{index}]"),
                code: code.to_string(),
                message: format!("event {what}"),
            });
        }
    }
    if notes.is_empty()
        && let Some(error) = error
    {
        notes.push(DeliveryNote {
            path: String::new(),
            code: json.get("code").map(|c| c.to_string()).unwrap_or_default(),
            message: error,
        });
    }
    notes
}
