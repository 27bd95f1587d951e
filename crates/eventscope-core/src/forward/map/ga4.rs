//! `ga4`: the Measurement Protocol. `POST /mp/collect?measurement_id=…&api_secret=…` (or
//! `/debug/mp/collect` with `debug = true`, whose `validationMessages` become notes).
//!
//! - One request body has one `client_id` (and `user_id`): messages are grouped by those,
//!   in the order each first appears, then cut into requests of at most 25 events
//!   (`batch_size`) and 130 kB.
//! - `client_id` ← `userId`, else `anonymousId` (Segment's default); `user_id` ← `userId`.
//! - Each event carries its own `timestamp_micros` (from `timestamp`); the body's
//!   `timestamp_micros` is the first event's.
//! - Event names: the e-commerce and B2B spec events map to GA4's recommended events (see
//!   [`recommended`]); other names are normalised: whitespace → `_`, characters outside
//!   `[A-Za-z0-9_]` dropped, leading non-letters dropped, at most 40 characters.
//! - `page` → `page_view` (`page_location`, `page_title`, `page_referrer`); `screen` →
//!   `screen_view` (`screen_name`). Every event gets `engagement_time_msec: 1`, as Segment
//!   sends, so GA4 counts the user as engaged.
//! - Parameters: custom events carry `properties`' scalar values (objects and arrays left
//!   out: GA4 takes only `items` as a list), strings cut to 100 characters, at most 25.
//! - `identify`, `group` and `alias` have no GA4 event: skipped with the reason.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::fields::{at, id_at, message_type, str_at, timestamp};
use super::request::{chunks, joined_url, json_array, json_headers, json_string, no_basic_user};
use super::{Mapper, Mapping, Skipped, Staged};
use crate::forward::destination::{Credentials, Destination};
use crate::forward::{Carried, Request};
use crate::model::DeliveryNote;

/// GA4 refuses bodies of 130 kB or more.
const MAX_BODY_BYTES: usize = 130 * 1000 - 512;
/// Parameters per event and characters per parameter value.
pub(crate) const MAX_PARAMS: usize = 25;
pub(crate) const MAX_VALUE_CHARS: usize = 100;
/// Characters per event name.
pub(crate) const MAX_NAME_CHARS: usize = 40;

/// `(client_id, user_id)`: what one request body is about.
type Identity = (String, Option<String>);

/// An event waiting for its request: what it carries, its JSON, its time.
type Queued = (Carried, String, Option<i64>);

/// One message as GA4 takes it.
struct Ga4Event {
    client_id: String,
    user_id: Option<String>,
    micros: Option<i64>,
    event: Value,
}

pub(crate) const MAPPER: Mapper = Mapper {
    requests,
    url,
    basic_user: no_basic_user,
    notes,
};

/// `/mp/collect` (`/debug/mp/collect` with `debug`, which validates without recording) with
/// the measurement id and API secret in the query.
fn url(base: &str, credentials: &Credentials, debug: bool) -> String {
    let path = if debug {
        "/debug/mp/collect"
    } else {
        "/mp/collect"
    };
    joined_url(
        base,
        path,
        &[
            (
                "measurement_id",
                credentials.measurement_id.as_deref().unwrap_or_default(),
            ),
            (
                "api_secret",
                credentials.api_secret.as_deref().unwrap_or_default(),
            ),
        ],
    )
}

/// One request per `client_id` (and `user_id`) batch.
fn requests(
    destination: &Destination,
    staged: &mut [Staged<'_>],
    skipped: &mut Vec<(usize, Skipped)>,
    _now: chrono::DateTime<chrono::Utc>,
) -> Vec<Request> {
    // (client_id, user_id) → its events, in order of first appearance.
    let mut groups: Vec<(Identity, Vec<Queued>)> = Vec::new();
    let mut index: HashMap<Identity, usize> = HashMap::new();
    for item in staged.iter_mut() {
        match event(item.value()) {
            Mapping::Item(e) => {
                let key = (e.client_id, e.user_id);
                let at = *index.entry(key.clone()).or_insert_with(|| {
                    groups.push((key, Vec::new()));
                    groups.len() - 1
                });
                groups[at]
                    .1
                    .push((item.carried.clone(), e.event.to_string(), e.micros));
            }
            Mapping::Skip(reason) => {
                skipped.push((item.index, Skipped::new(item.carried.clone(), reason)))
            }
        }
    }
    let mut requests = Vec::new();
    for ((client_id, user_id), events) in &groups {
        let sized: Vec<(Carried, &str)> = events
            .iter()
            .map(|(c, t, _)| (c.clone(), t.as_str()))
            .collect();
        let mut offset = 0;
        for chunk in chunks(&sized, destination.batch_size, MAX_BODY_BYTES) {
            let first_micros = events[offset].2;
            offset += chunk.len();
            let texts: Vec<String> = chunk.iter().map(|(_, t)| t.to_string()).collect();
            let mut body = format!("{{\"client_id\":{}", json_string(client_id));
            if let Some(user_id) = user_id {
                body.push_str(&format!(",\"user_id\":{}", json_string(user_id)));
            }
            if let Some(micros) = first_micros {
                body.push_str(&format!(",\"timestamp_micros\":{micros}"));
            }
            body.push_str(&format!(",\"events\":{}}}", json_array(&texts)));
            requests.push(Request {
                method: "POST".to_string(),
                url: destination.url.clone(),
                headers: json_headers(destination),
                body: body.into_bytes(),
                carries: chunk.iter().map(|(c, _)| c.clone()).collect(),
            });
        }
    }
    requests
}

fn event(m: &Value) -> Mapping<Ga4Event> {
    let kind = message_type(m);
    let user_id = id_at(m, "userId");
    let Some(client_id) = user_id.clone().or_else(|| id_at(m, "anonymousId")) else {
        return Mapping::Skip("no userId or anonymousId for client_id".to_string());
    };
    let (name, mut params) = match kind.as_str() {
        "track" => {
            let Some(event) = str_at(m, &["event"]) else {
                return Mapping::Skip("track without `event`".to_string());
            };
            match recommended(event) {
                Some(name) => (name.to_string(), ecommerce_params(name, m)),
                None => {
                    let name = normalise_name(event);
                    if name.is_empty() {
                        return Mapping::Skip(format!(
                            "event name {event:?} has no characters GA4 accepts"
                        ));
                    }
                    (name, scalar_params(m))
                }
            }
        }
        "page" => {
            let mut p = Map::new();
            let page = |ctx: &str, prop: &str| {
                str_at(m, &["context", "page", ctx])
                    .or_else(|| str_at(m, &["properties", prop]))
                    .map(|s| Value::String(s.to_string()))
            };
            put_cut(&mut p, "page_location", page("url", "url"));
            put_cut(&mut p, "page_title", page("title", "title"));
            put_cut(&mut p, "page_referrer", page("referrer", "referrer"));
            ("page_view".to_string(), p)
        }
        "screen" => {
            let mut p = Map::new();
            put_cut(
                &mut p,
                "screen_name",
                str_at(m, &["name"]).map(|s| Value::String(s.to_string())),
            );
            ("screen_view".to_string(), p)
        }
        "identify" => {
            return Mapping::Skip(
                "ga4 sets user properties only alongside events; identify has none".to_string(),
            );
        }
        "group" | "alias" => return Mapping::Skip(format!("ga4 has no {kind} call")),
        other => return Mapping::Skip(format!("unknown message type `{other}`")),
    };
    params.insert("engagement_time_msec".into(), Value::from(1));
    let params = limit_params(params);
    let micros = timestamp(m).map(|t| t.timestamp_micros());
    let mut e = Map::new();
    e.insert("name".into(), Value::String(name));
    e.insert("params".into(), Value::Object(params));
    if let Some(micros) = micros {
        e.insert("timestamp_micros".into(), Value::from(micros));
    }
    Mapping::Item(Ga4Event {
        client_id,
        user_id,
        micros,
        event: Value::Object(e),
    })
}

/// The GA4 recommended event for a Segment spec event.
pub(crate) fn recommended(event: &str) -> Option<&'static str> {
    Some(match event {
        "Order Completed" => "purchase",
        "Order Refunded" => "refund",
        "Product Viewed" => "view_item",
        "Product Added" => "add_to_cart",
        "Product Removed" => "remove_from_cart",
        "Product Clicked" => "select_item",
        "Product Added to Wishlist" => "add_to_wishlist",
        "Cart Viewed" => "view_cart",
        "Checkout Started" => "begin_checkout",
        "Payment Info Entered" => "add_payment_info",
        "Product List Viewed" => "view_item_list",
        "Promotion Viewed" => "view_promotion",
        "Promotion Clicked" => "select_promotion",
        "Products Searched" => "search",
        "Signed Up" => "sign_up",
        "Signed In" => "login",
        _ => return None,
    })
}

/// `Order Completed!` → `Order_Completed`: whitespace to `_`, other characters outside
/// `[A-Za-z0-9_]` dropped, leading non-letters dropped, at most 40 characters.
pub(crate) fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_whitespace() {
            out.push('_');
        } else if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        }
    }
    out.trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        .chars()
        .take(MAX_NAME_CHARS)
        .collect()
}

/// The parameters of a recommended event, from the spec's properties.
fn ecommerce_params(name: &str, m: &Value) -> Map<String, Value> {
    let prop = |key: &str| at(m, &["properties", key]).cloned();
    let first = |keys: &[&str]| keys.iter().find_map(|k| prop(k));
    let mut p = Map::new();
    let currency =
        || str_at(m, &["properties", "currency"]).map(|c| Value::String(c.to_ascii_uppercase()));
    let single_item = || {
        at(m, &["properties"])
            .and_then(item)
            .map(|i| Value::Array(vec![i]))
    };
    match name {
        "purchase" | "refund" => {
            put_cut(&mut p, "currency", currency());
            put_cut(&mut p, "transaction_id", prop("order_id"));
            put_cut(&mut p, "value", first(&["total", "revenue"]));
            put_cut(&mut p, "affiliation", prop("affiliation"));
            put_cut(&mut p, "coupon", prop("coupon"));
            put_cut(&mut p, "shipping", prop("shipping"));
            put_cut(&mut p, "tax", prop("tax"));
            put_cut(&mut p, "items", products(m));
        }
        "view_item" | "add_to_cart" | "remove_from_cart" | "add_to_wishlist" => {
            put_cut(&mut p, "currency", currency());
            put_cut(&mut p, "value", first(&["value", "price"]));
            put_cut(&mut p, "items", single_item());
        }
        "select_item" => {
            put_cut(&mut p, "item_list_id", prop("list_id"));
            put_cut(&mut p, "item_list_name", prop("list_name"));
            put_cut(&mut p, "items", single_item());
        }
        "view_cart" => {
            put_cut(&mut p, "currency", currency());
            put_cut(&mut p, "value", first(&["value", "total"]));
            put_cut(&mut p, "items", products(m));
        }
        "begin_checkout" => {
            put_cut(&mut p, "currency", currency());
            put_cut(&mut p, "value", first(&["value", "revenue", "total"]));
            put_cut(&mut p, "coupon", prop("coupon"));
            put_cut(&mut p, "items", products(m));
        }
        "add_payment_info" => {
            put_cut(&mut p, "currency", currency());
            put_cut(&mut p, "value", first(&["value", "revenue", "total"]));
            put_cut(&mut p, "coupon", prop("coupon"));
            put_cut(&mut p, "payment_type", prop("payment_method"));
            put_cut(&mut p, "items", products(m));
        }
        "view_item_list" => {
            put_cut(&mut p, "item_list_id", prop("list_id"));
            put_cut(&mut p, "item_list_name", first(&["list_name", "category"]));
            put_cut(&mut p, "items", products(m));
        }
        "view_promotion" | "select_promotion" => {
            put_cut(&mut p, "promotion_id", prop("promotion_id"));
            put_cut(&mut p, "promotion_name", prop("name"));
            put_cut(&mut p, "creative_name", prop("creative"));
            put_cut(&mut p, "creative_slot", prop("position"));
        }
        "search" => {
            let query = prop("query").map(|q| match q {
                Value::String(_) => q,
                other => Value::String(other.to_string()),
            });
            put_cut(&mut p, "search_term", query);
        }
        "sign_up" | "login" => put_cut(&mut p, "method", first(&["method", "type"])),
        _ => {}
    }
    p
}

/// `items` from `properties.products`.
fn products(m: &Value) -> Option<Value> {
    let products = at(m, &["properties", "products"])?.as_array()?;
    let items: Vec<Value> = products.iter().filter_map(item).collect();
    (!items.is_empty()).then_some(Value::Array(items))
}

/// A GA4 item from a spec product (Segment's `items_multi_products` mapping).
fn item(product: &Value) -> Option<Value> {
    let product = product.as_object()?;
    let mut i = Map::new();
    for (to, from) in [
        ("item_id", "product_id"),
        ("item_name", "name"),
        ("affiliation", "affiliation"),
        ("coupon", "coupon"),
        ("index", "position"),
        ("item_brand", "brand"),
        ("item_category", "category"),
        ("item_variant", "variant"),
        ("price", "price"),
        ("quantity", "quantity"),
    ] {
        put_cut(&mut i, to, product.get(from).cloned());
    }
    (!i.is_empty()).then_some(Value::Object(i))
}

/// A custom event's parameters: `properties`' scalars.
fn scalar_params(m: &Value) -> Map<String, Value> {
    let mut p = Map::new();
    if let Some(properties) = at(m, &["properties"]).and_then(Value::as_object) {
        for (key, value) in properties {
            if matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                put_cut(&mut p, key, Some(value.clone()));
            }
        }
    }
    p
}

/// Inserts a present, non-null value, strings cut to 100 characters.
fn put_cut(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    let Some(value) = value else { return };
    let value = match value {
        Value::Null => return,
        Value::String(s) if s.chars().count() > MAX_VALUE_CHARS => {
            Value::String(s.chars().take(MAX_VALUE_CHARS).collect())
        }
        other => other,
    };
    map.insert(key.to_string(), value);
}

/// At most 25 parameters: `engagement_time_msec` and the mapped ones first, then the rest
/// in key order.
fn limit_params(params: Map<String, Value>) -> Map<String, Value> {
    if params.len() <= MAX_PARAMS {
        return params;
    }
    let mut out = Map::new();
    if let Some(v) = params.get("engagement_time_msec") {
        out.insert("engagement_time_msec".into(), v.clone());
    }
    for (k, v) in params {
        if out.len() >= MAX_PARAMS {
            break;
        }
        out.entry(k).or_insert(v);
    }
    out
}

/// The debug endpoint's `{"validationMessages":[{"fieldPath","description","validationCode"}]}`.
fn notes(json: &Value) -> Vec<DeliveryNote> {
    json.get("validationMessages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let text = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            DeliveryNote {
                path: text("fieldPath"),
                code: text("validationCode"),
                message: text("description"),
            }
        })
        .collect()
}
