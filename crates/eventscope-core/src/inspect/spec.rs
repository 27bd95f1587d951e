//! The Segment spec: required ids and fields per call, field types, timestamps, limits,
//! reserved and e-commerce v2 property types, and an event naming convention.

use crate::model::json::{Json as Value, Object as Map};
use serde::Deserialize;

use super::{Finding, Kind, Severity, describe};
use crate::model::parse_timestamp;
use crate::model::pretty::{index_path, key_path};

/// Segment refuses messages over 32 KB.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// How event names should read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Naming {
    /// "Object Action" in Title Case, as Segment recommends: `Order Completed`.
    #[default]
    ObjectAction,
    /// `order_completed`.
    #[serde(rename = "snake_case")]
    SnakeCase,
    Off,
}

#[derive(Debug, Clone, Default)]
pub struct SpecRules {
    pub naming: Naming,
}

fn spec(
    rule: &'static str,
    path: impl Into<String>,
    severity: Severity,
    message: String,
) -> Finding {
    Finding::new(Kind::Spec, rule, path, severity, message)
}

/// A JSON type name as the spec talks about it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl SpecRules {
    pub fn check(&self, message: &Value, size: usize, out: &mut Vec<Finding>) {
        let Value::Object(m) = message else {
            out.push(
                spec(
                    "spec/not-an-object",
                    "",
                    Severity::Error,
                    "a message must be a JSON object".into(),
                )
                .actual(describe(message)),
            );
            return;
        };
        if size > MAX_MESSAGE_BYTES {
            out.push(
                spec(
                    "spec/too-large",
                    "",
                    Severity::Error,
                    format!("the message is {size} bytes; Segment drops messages over 32 KB"),
                )
                .expected("at most 32768 bytes")
                .actual(format!("{size} bytes")),
            );
        }
        let kind = m.get("type").and_then(Value::as_str);
        match kind {
            Some("track" | "identify" | "page" | "screen" | "group" | "alias") => {}
            Some(other) => out.push(
                spec(
                    "spec/unknown-type",
                    "type",
                    Severity::Error,
                    format!("\"{other}\" is not a Segment call type"),
                )
                .expected("track, identify, page, screen, group or alias")
                .actual(describe(&Value::String(other.into()))),
            ),
            None => out.push(spec(
                "spec/missing-type",
                "type",
                Severity::Error,
                "the message has no type".into(),
            )),
        }
        check_identity(m, kind, out);
        check_ids(m, out);
        for key in ["properties", "traits", "context", "integrations"] {
            if let Some(value) = m.get(key).filter(|v| !v.is_object() && !v.is_null()) {
                out.push(
                    spec(
                        "spec/not-object",
                        key,
                        Severity::Error,
                        format!("{key} must be an object"),
                    )
                    .expected("object")
                    .actual(describe(value)),
                );
            }
        }
        for key in ["timestamp", "originalTimestamp", "sentAt", "receivedAt"] {
            if let Some(value) = m.get(key) {
                let valid = value.as_str().is_some_and(|s| parse_timestamp(s).is_some());
                if !valid {
                    out.push(
                        spec(
                            "spec/timestamp",
                            key,
                            Severity::Error,
                            format!("{key} must be an ISO-8601 date-time"),
                        )
                        .expected("ISO-8601, e.g. 2026-11-22T10:00:00.000Z")
                        .actual(describe(value)),
                    );
                }
            }
        }
        match kind {
            Some("track") => self.check_track(m, out),
            Some("page" | "screen") => check_string_field(m, "name", "spec/name-not-string", out),
            _ => {}
        }
        if let Some(Value::Object(properties)) = m.get("properties") {
            check_reserved_properties(properties, "properties", out);
            if let Some(event) = m.get("event").and_then(Value::as_str) {
                check_ecommerce(event, properties, out);
            }
        }
        for traits_key in ["traits"] {
            if let Some(Value::Object(traits)) = m.get(traits_key) {
                check_traits(traits, traits_key, out);
            }
        }
        if let Some(Value::Object(traits)) = m.get("context").and_then(|c| c.get("traits")) {
            check_traits(traits, "context.traits", out);
        }
    }

    fn check_track(&self, m: &Map<'_>, out: &mut Vec<Finding>) {
        match m.get("event") {
            None => out.push(spec(
                "spec/missing-event",
                "event",
                Severity::Error,
                "a track call needs an event name".into(),
            )),
            Some(Value::String(event)) if event.trim().is_empty() => out.push(spec(
                "spec/missing-event",
                "event",
                Severity::Error,
                "the event name is empty".into(),
            )),
            Some(Value::String(event)) => {
                if let Some(problem) = naming_problem(self.naming, event) {
                    out.push(
                        spec("spec/event-name", "event", Severity::Warning, problem)
                            .expected(match self.naming {
                                Naming::SnakeCase => "snake_case",
                                _ => "Object Action in Title Case",
                            })
                            .actual(describe(&Value::String(event.clone()))),
                    );
                }
            }
            Some(other) => out.push(
                spec(
                    "spec/event-not-string",
                    "event",
                    Severity::Error,
                    "the event name must be a string".into(),
                )
                .expected("string")
                .actual(describe(other)),
            ),
        }
    }
}

fn non_empty_string(m: &Map<'_>, key: &str) -> bool {
    m.get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

fn check_identity(m: &Map<'_>, kind: Option<&str>, out: &mut Vec<Finding>) {
    if !non_empty_string(m, "userId") && !non_empty_string(m, "anonymousId") {
        let numeric = ["userId", "anonymousId"]
            .iter()
            .find(|k| m.get(k).is_some_and(|v| v.is_number()));
        let message = match numeric {
            Some(key) => format!("{key} is a number; Segment needs ids as strings"),
            None => "the message has neither userId nor anonymousId; Segment drops it".into(),
        };
        out.push(
            spec("spec/missing-identity", "", Severity::Error, message)
                .expected("userId or anonymousId, a non-empty string"),
        );
    }
    match kind {
        Some("group") if !non_empty_string(m, "groupId") => out.push(spec(
            "spec/missing-group-id",
            "groupId",
            Severity::Error,
            "a group call needs a groupId".into(),
        )),
        Some("alias") => {
            for key in ["previousId", "userId"] {
                if !non_empty_string(m, key) {
                    out.push(spec(
                        "spec/alias-ids",
                        key,
                        Severity::Error,
                        format!("an alias call needs {key}"),
                    ));
                }
            }
            // analytics-next's `alias("new")` right after `identify("new")` sends this.
            if let (Some(previous), Some(user)) = (
                m.get("previousId").and_then(Value::as_str),
                m.get("userId").and_then(Value::as_str),
            ) && previous == user
                && !user.trim().is_empty()
            {
                out.push(
                    spec(
                        "spec/alias-same-id",
                        "previousId",
                        Severity::Warning,
                        format!(
                            "previousId equals userId ({}): the alias links the user to itself \
                             and merges nothing",
                            describe(&Value::String(user.into()))
                        ),
                    )
                    .expected("previousId: the id the user had before userId"),
                );
            }
        }
        _ => {}
    }
    // An empty id is absent to Segment (and to this viewer's user column and `user:`).
    for key in ["userId", "anonymousId"] {
        if let Some(value) = m
            .get(key)
            .filter(|v| v.as_str().is_some_and(|s| s.trim().is_empty()))
        {
            out.push(
                spec(
                    "spec/empty-id",
                    key,
                    Severity::Warning,
                    format!("{key} is an empty string: it counts as absent"),
                )
                .expected(format!("{key}: a non-empty string, or no {key} at all"))
                .actual(describe(value)),
            );
        }
    }
}

fn check_ids(m: &Map<'_>, out: &mut Vec<Finding>) {
    for key in ["userId", "anonymousId", "groupId", "previousId"] {
        if let Some(value) = m.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            out.push(
                spec(
                    "spec/id-not-string",
                    key,
                    Severity::Error,
                    format!("{key} must be a string"),
                )
                .expected("string")
                .actual(describe(value)),
            );
        }
    }
    match m.get("messageId") {
        // Bytes first: a string has at least as many bytes as characters.
        Some(Value::String(id)) if id.len() >= 100 && id.chars().count() >= 100 => out.push(
            spec(
                "spec/message-id",
                "messageId",
                Severity::Error,
                format!(
                    "messageId is {} characters; it must be under 100",
                    id.chars().count()
                ),
            )
            .expected("fewer than 100 characters"),
        ),
        Some(value) if !value.is_string() => out.push(
            spec(
                "spec/message-id",
                "messageId",
                Severity::Error,
                "messageId must be a string".into(),
            )
            .expected("string")
            .actual(describe(value)),
        ),
        _ => {}
    }
}

fn check_string_field(m: &Map<'_>, key: &str, rule: &'static str, out: &mut Vec<Finding>) {
    if let Some(value) = m.get(key).filter(|v| !v.is_string() && !v.is_null()) {
        out.push(
            spec(
                rule,
                key,
                Severity::Error,
                format!("{key} must be a string"),
            )
            .expected("string")
            .actual(describe(value)),
        );
    }
}

fn naming_problem(naming: Naming, event: &str) -> Option<String> {
    match naming {
        Naming::Off => None,
        Naming::SnakeCase => {
            let ok = !event.is_empty()
                && !event.starts_with('_')
                && !event.ends_with('_')
                && !event.contains("__")
                && event
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            (!ok).then(|| format!("\"{event}\" is not snake_case"))
        }
        Naming::ObjectAction => {
            if event != event.trim() || event.contains("  ") {
                return Some(format!("\"{event}\" has extra spaces"));
            }
            let words: Vec<&str> = event.split(' ').collect();
            if words.len() < 2 {
                return Some(format!(
                    "\"{event}\" is one word; name events as Object Action, e.g. \"Order Completed\""
                ));
            }
            // Title Case keeps short joining words small: "Product Added to Wishlist".
            const SMALL: [&str; 14] = [
                "a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the",
                "to",
            ];
            let bad = words.iter().enumerate().find(|(i, w)| {
                let first = w.chars().next();
                let capitalised = first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
                let small = *i > 0 && SMALL.contains(w);
                (!capitalised && !small) || w.contains('_')
            });
            let bad = bad.map(|(_, w)| w);
            bad.map(|w| format!("\"{event}\": \"{w}\" should be a capitalised word"))
        }
    }
}

/// `revenue`, `value`, `price`, `total` are numbers; `currency` an ISO-4217 code; `products`
/// an array of objects (any event).
fn check_reserved_properties(properties: &Map<'_>, base: &str, out: &mut Vec<Finding>) {
    for key in ["revenue", "value", "price", "total"] {
        if let Some(value) = properties
            .get(key)
            .filter(|v| !v.is_number() && !v.is_null())
        {
            out.push(
                spec(
                    "spec/reserved-type",
                    key_path(base, key),
                    Severity::Warning,
                    format!("{base}.{key} is a reserved property and must be a number"),
                )
                .expected("number")
                .actual(describe(value)),
            );
        }
    }
    if let Some(value) = properties.get("currency") {
        let ok = value.as_str().is_some_and(is_currency_code);
        if !ok && !value.is_null() {
            out.push(
                spec(
                    "spec/currency",
                    key_path(base, "currency"),
                    Severity::Warning,
                    format!("{base}.currency must be an ISO-4217 code such as \"USD\""),
                )
                .expected("ISO-4217 code, e.g. \"USD\"")
                .actual(describe(value)),
            );
        }
    }
    if let Some(value) = properties.get("products") {
        let ok = value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_object));
        if !ok {
            out.push(
                spec(
                    "spec/products",
                    key_path(base, "products"),
                    Severity::Warning,
                    format!("{base}.products must be an array of product objects"),
                )
                .expected("array of objects")
                .actual(describe(value)),
            );
        }
    }
}

fn check_traits(traits: &Map<'_>, base: &str, out: &mut Vec<Finding>) {
    if let Some(value) = traits.get("email") {
        let ok = value.as_str().is_some_and(looks_like_email);
        if !ok && !value.is_null() {
            out.push(
                spec(
                    "spec/email",
                    key_path(base, "email"),
                    Severity::Warning,
                    format!("{base}.email is not an email address"),
                )
                .expected("an email address")
                .actual(describe(value)),
            );
        }
    }
    for key in ["createdAt", "created_at", "birthday"] {
        if let Some(value) = traits.get(key) {
            let ok = value.as_str().is_some_and(|s| {
                parse_timestamp(s).is_some()
                    || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
            });
            if !ok && !value.is_null() && !value.is_number() {
                out.push(
                    spec(
                        "spec/date",
                        key_path(base, key),
                        Severity::Warning,
                        format!("{base}.{key} must be an ISO-8601 date"),
                    )
                    .expected("ISO-8601 date")
                    .actual(describe(value)),
                );
            }
        }
    }
    if let Some(value) = traits.get("age").filter(|v| !v.is_number() && !v.is_null()) {
        out.push(
            spec(
                "spec/reserved-type",
                key_path(base, "age"),
                Severity::Warning,
                format!("{base}.age must be a number"),
            )
            .expected("number")
            .actual(describe(value)),
        );
    }
}

pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// ISO-4217 codes in use (and a few common funds/metals are not included on purpose).
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// A binary search over `CURRENCIES` in place: codes sit every 4 bytes, sorted.
fn is_currency_code(s: &str) -> bool {
    if s.len() != 3 {
        return false;
    }
    let codes = CURRENCIES.as_bytes();
    let (mut low, mut high) = (0, codes.len().div_ceil(4));
    while low < high {
        let middle = (low + high) / 2;
        match codes[middle * 4..middle * 4 + 3].cmp(s.as_bytes()) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Expected JSON type of e-commerce v2 properties.
#[derive(Clone, Copy)]
enum Expect {
    Str,
    Num,
}

const PRODUCT: &[(&str, Expect)] = &[
    ("product_id", Expect::Str),
    ("sku", Expect::Str),
    ("category", Expect::Str),
    ("name", Expect::Str),
    ("brand", Expect::Str),
    ("variant", Expect::Str),
    ("coupon", Expect::Str),
    ("url", Expect::Str),
    ("image_url", Expect::Str),
    ("price", Expect::Num),
    ("quantity", Expect::Num),
    ("position", Expect::Num),
];

const ORDER: &[(&str, Expect)] = &[
    ("order_id", Expect::Str),
    ("checkout_id", Expect::Str),
    ("affiliation", Expect::Str),
    ("coupon", Expect::Str),
    ("currency", Expect::Str),
    ("total", Expect::Num),
    ("subtotal", Expect::Num),
    ("revenue", Expect::Num),
    ("shipping", Expect::Num),
    ("tax", Expect::Num),
    ("discount", Expect::Num),
    ("value", Expect::Num),
];

const CART: &[(&str, Expect)] = &[("cart_id", Expect::Str)];
const CHECKOUT_STEP: &[(&str, Expect)] = &[
    ("checkout_id", Expect::Str),
    ("step", Expect::Num),
    ("shipping_method", Expect::Str),
    ("payment_method", Expect::Str),
    ("order_id", Expect::Str),
];

/// Property names and the type each must have.
type Table = &'static [(&'static str, Expect)];

/// (property tables, whether `products` items are products) of a semantic event.
fn ecommerce_tables(event: &str) -> Option<(&'static [Table], bool)> {
    Some(match event {
        "Product Clicked"
        | "Product Viewed"
        | "Product Added"
        | "Product Removed"
        | "Product Added to Wishlist"
        | "Product Removed from Wishlist"
        | "Product Shared"
        | "Wishlist Product Added to Cart" => (&[PRODUCT, CART], false),
        "Product List Viewed" | "Product List Filtered" | "Cart Viewed" | "Cart Shared" => {
            (&[CART], true)
        }
        "Checkout Started" | "Order Updated" | "Order Completed" | "Order Cancelled"
        | "Order Refunded" => (&[ORDER], true),
        "Checkout Step Viewed" | "Checkout Step Completed" | "Payment Info Entered" => {
            (&[CHECKOUT_STEP], false)
        }
        _ => return None,
    })
}

fn check_ecommerce(event: &str, properties: &Map<'_>, out: &mut Vec<Finding>) {
    let Some((tables, has_products)) = ecommerce_tables(event) else {
        return;
    };
    for table in tables {
        check_types(event, properties, table, "properties", out);
    }
    if has_products && let Some(Value::Array(items)) = properties.get("products") {
        for (i, item) in items.iter().enumerate() {
            if let Value::Object(product) = item {
                let base = index_path("properties.products", i);
                check_types(event, product, PRODUCT, &base, out);
            }
        }
    }
}

fn check_types(
    event: &str,
    object: &Map<'_>,
    table: &[(&str, Expect)],
    base: &str,
    out: &mut Vec<Finding>,
) {
    for (key, expect) in table {
        let Some(value) = object.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        let (ok, expected) = match expect {
            Expect::Str => (value.is_string(), "string"),
            Expect::Num => (value.is_number(), "number"),
        };
        // Reserved numbers at the top level are reported once, by the reserved rule.
        let reported = base == "properties" && ["revenue", "value", "price", "total"].contains(key);
        if !ok && !reported {
            out.push(
                spec(
                    "spec/ecommerce-type",
                    key_path(base, key),
                    Severity::Warning,
                    format!(
                        "{} should be a {expected} in {event} (e-commerce spec v2), not a {}",
                        key_path(base, key),
                        type_name(value)
                    ),
                )
                .expected(expected)
                .actual(describe(value)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json::Json;
    use serde_json::{Value, json};

    fn rules(message: Value) -> Vec<String> {
        let mut out = Vec::new();
        SpecRules::default().check(&Json::from_value(&message), 100, &mut out);
        out.into_iter()
            .map(|f| format!("{}@{}", f.rule, f.path))
            .collect()
    }

    #[test]
    fn a_good_track_has_no_findings() {
        let message = json!({"type": "track", "event": "Order Completed", "userId": "u1",
            "messageId": "m", "timestamp": "2026-11-22T10:00:00.000Z",
            "properties": {"order_id": "o1", "revenue": 12.5, "currency": "USD",
                "products": [{"product_id": "p1", "price": 12.5, "quantity": 1}]}});
        assert_eq!(rules(message), Vec::<String>::new());
    }

    #[test]
    fn identity_and_required_fields() {
        assert_eq!(
            rules(json!({"type": "track", "event": "A B"})),
            ["spec/missing-identity@"]
        );
        assert_eq!(
            rules(json!({"type": "track", "event": "A B", "userId": 42})),
            ["spec/missing-identity@", "spec/id-not-string@userId"]
        );
        assert_eq!(
            rules(json!({"type": "track", "userId": "u"})),
            ["spec/missing-event@event"]
        );
        assert_eq!(
            rules(json!({"type": "track", "userId": "u", "event": 5})),
            ["spec/event-not-string@event"]
        );
        assert_eq!(
            rules(json!({"type": "group", "userId": "u"})),
            ["spec/missing-group-id@groupId"]
        );
        assert_eq!(
            rules(json!({"type": "alias", "anonymousId": "a"})),
            ["spec/alias-ids@previousId", "spec/alias-ids@userId"]
        );
        assert_eq!(rules(json!({"userId": "u"})), ["spec/missing-type@type"]);
        assert_eq!(
            rules(json!({"type": "Track", "userId": "u"})),
            ["spec/unknown-type@type"]
        );
    }

    #[test]
    fn an_empty_id_is_named_and_counts_as_absent() {
        // RudderStack's page() before identify: userId "" beside the anonymousId.
        assert_eq!(
            rules(json!({"type": "page", "userId": "", "anonymousId": "anon-1"})),
            ["spec/empty-id@userId"]
        );
        assert_eq!(
            rules(json!({"type": "track", "event": "A B", "userId": " ", "anonymousId": ""})),
            [
                "spec/missing-identity@",
                "spec/empty-id@userId",
                "spec/empty-id@anonymousId"
            ]
        );
    }

    #[test]
    fn an_alias_to_itself_is_a_warning_naming_both_ids() {
        let message = json!({"type": "alias", "previousId": "user-9", "userId": "user-9"});
        let mut out = Vec::new();
        SpecRules::default().check(&Json::from_value(&message), 100, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        let finding = &out[0];
        assert_eq!(finding.rule, "spec/alias-same-id");
        assert_eq!(finding.severity, Severity::Warning);
        assert_eq!(finding.path, "previousId");
        assert!(
            finding.message.contains("previousId equals userId")
                && finding.message.contains("user-9"),
            "{}",
            finding.message
        );
        assert_eq!(
            rules(json!({"type": "alias", "previousId": "anon-1", "userId": "user-9"})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn objects_timestamps_ids_and_size() {
        assert_eq!(
            rules(json!({"type": "identify", "userId": "u", "traits": "x", "context": []})),
            ["spec/not-object@traits", "spec/not-object@context"]
        );
        assert_eq!(
            rules(json!({"type": "page", "userId": "u", "timestamp": "yesterday", "sentAt": 5})),
            ["spec/timestamp@timestamp", "spec/timestamp@sentAt"]
        );
        let long_id = "x".repeat(100);
        assert_eq!(
            rules(json!({"type": "page", "userId": "u", "messageId": long_id})),
            ["spec/message-id@messageId"]
        );
        let mut out = Vec::new();
        SpecRules::default().check(
            &Json::from_value(&json!({"type": "page", "userId": "u"})),
            40_000,
            &mut out,
        );
        assert_eq!(out[0].rule, "spec/too-large");
        assert!(rules(json!([1])).contains(&"spec/not-an-object@".to_string()));
    }

    #[test]
    fn reserved_and_ecommerce_types() {
        let message = json!({"type": "track", "event": "Order Completed", "userId": "u",
            "properties": {"revenue": "12.50", "currency": "dollars", "products": [{"price": "3", "sku": 7}]}});
        assert_eq!(
            rules(message),
            [
                "spec/reserved-type@properties.revenue",
                "spec/currency@properties.currency",
                "spec/ecommerce-type@properties.products[0].sku",
                "spec/ecommerce-type@properties.products[0].price",
            ]
        );
        let message = json!({"type": "track", "event": "Checkout Step Viewed", "userId": "u",
            "properties": {"step": "2"}});
        assert_eq!(rules(message), ["spec/ecommerce-type@properties.step"]);
        let message = json!({"type": "identify", "userId": "u",
            "traits": {"email": "not-an-email", "createdAt": "last week", "age": "30"}});
        assert_eq!(
            rules(message),
            [
                "spec/email@traits.email",
                "spec/date@traits.createdAt",
                "spec/reserved-type@traits.age"
            ]
        );
    }

    #[test]
    fn currency_codes_are_sorted_four_bytes_apart_and_found() {
        let codes: Vec<&str> = CURRENCIES.split(' ').collect();
        assert!(codes.iter().all(|c| c.len() == 3));
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "CURRENCIES must stay sorted"
        );
        assert!(codes.iter().all(|c| is_currency_code(c)));
        for bad in ["usd", "US", "USDT", "XXX", "AAA", "ZZZ", ""] {
            assert!(!is_currency_code(bad), "{bad}");
        }
    }

    #[test]
    fn near_misses_do_not_fire() {
        let message = json!({"type": "track", "event": "Order Completed", "userId": "u",
            "properties": {"revenue": 0, "currency": "EUR", "products": [],
                "note": "price 12.50 USD", "value": null},
            "context": {"traits": {"email": "a@b.co", "createdAt": "2025-10-21"}}});
        assert_eq!(rules(message), Vec::<String>::new());
    }

    #[test]
    fn naming_conventions() {
        let check = |naming, event: &str| naming_problem(naming, event).is_some();
        assert!(!check(Naming::ObjectAction, "Order Completed"));
        assert!(!check(Naming::ObjectAction, "Application Opened"));
        assert!(!check(Naming::ObjectAction, "Product Added to Wishlist"));
        assert!(!check(Naming::ObjectAction, "Email Marked as Spam"));
        assert!(check(Naming::ObjectAction, "the Order Completed"));
        assert!(check(Naming::ObjectAction, "order completed"));
        assert!(check(Naming::ObjectAction, "Checkout Step  Viewed"));
        assert!(check(Naming::ObjectAction, "Clicked"));
        assert!(check(Naming::ObjectAction, "Order_Completed"));
        assert!(!check(Naming::SnakeCase, "order_completed"));
        assert!(check(Naming::SnakeCase, "Order Completed"));
        assert!(check(Naming::SnakeCase, "order__completed"));
        assert!(!check(Naming::Off, "whatever"));
    }
}
