//! Mapper unit tests: field mapping, normalisation, batching limits, signatures, answers.

use chrono::TimeZone;
use serde_json::{Value, json};

use super::request::chunks;
use super::*;
use crate::forward::destination::DestinationConfig;

fn destination(toml_text: &str) -> Destination {
    let config: DestinationConfig = toml::from_str(toml_text).unwrap();
    Destination::from_config_with(&config, &|_| None).unwrap()
}

fn outgoing(seq: u64, message: &Value) -> Outgoing {
    Outgoing {
        seq: Some(seq),
        message: RawValue::from_string(message.to_string()).unwrap(),
    }
}

fn raw(seq: Option<u64>, text: &str) -> Outgoing {
    Outgoing {
        seq,
        message: RawValue::from_string(text.to_string()).unwrap(),
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap()
}

fn map_all(d: &Destination, messages: &[Outgoing]) -> Mapped {
    d.requests_at(messages, None, now()).unwrap()
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

fn track(event: &str, properties: Value) -> Value {
    json!({
        "type": "track",
        "event": event,
        "userId": "user_1234",
        "anonymousId": "anon-5678",
        "messageId": format!("msg-{}", event.replace(' ', "-")),
        "timestamp": "2026-11-01T10:00:00.250Z",
        "properties": properties,
        "context": {
            "ip": "203.0.113.7",
            "locale": "en-GB",
            "library": {"name": "analytics.js", "version": "next-1.70.0"},
            "page": {"url": "https://shop.example.com/cart", "referrer": "https://www.google.com/", "title": "Cart"},
            "os": {"name": "Android", "version": "14"},
            "device": {"id": "dev-0001", "manufacturer": "Google", "model": "Pixel 8", "type": "android"},
            "location": {"country": "GB", "city": "London"}
        }
    })
}

const HOOK: &str = "name = \"hook\"\nkind = \"webhook\"\nendpoint = \"http://127.0.0.1:9/in\"";

// --- webhook --------------------------------------------------------------------------------

#[test]
fn webhook_sends_the_bytes_as_captured_and_signs_them() {
    let d = destination(&format!("{HOOK}\nshared_secret = \"s3cret\""));
    // Odd spacing and key order must survive.
    let text = r#"{ "type":"track",  "event":"Signed Up", "messageId":"m-1", "userId":"u1" }"#;
    let mapped = map_all(&d, &[raw(Some(7), text)]);
    assert!(mapped.skipped.is_empty());
    let [request] = &mapped.requests[..] else {
        panic!("{mapped:?}")
    };
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "http://127.0.0.1:9/in");
    assert_eq!(request.body, text.as_bytes());
    assert_eq!(request.header("User-Agent"), Some("Segment.io/1.0"));
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert_eq!(
        request.header("X-Signature").unwrap(),
        webhook::signature("s3cret", text.as_bytes())
    );
    assert_eq!(
        request.carries,
        [Carried {
            seq: Some(7),
            message_id: Some("m-1".into())
        }]
    );
}

#[test]
fn webhook_batches_are_arrays_signed_over_the_first_event() {
    let d = destination(&format!(
        "{HOOK}\nshared_secret = \"s3cret\"\nbatch_size = 2\nmethod = \"PUT\""
    ));
    let texts = [
        r#"{"type":"track","event":"A"}"#,
        r#"{"type":"track","event":"B"}"#,
        r#"{"type":"track","event":"C"}"#,
    ];
    let messages: Vec<_> = texts.iter().map(|t| raw(None, t)).collect();
    let mapped = map_all(&d, &messages);
    assert_eq!(mapped.requests.len(), 2);
    let first = &mapped.requests[0];
    assert_eq!(first.method, "PUT");
    assert_eq!(first.body_text(), format!("[{},{}]", texts[0], texts[1]));
    assert_eq!(
        first.header("X-Signature").unwrap(),
        webhook::signature("s3cret", texts[0].as_bytes())
    );
    assert_eq!(mapped.requests[1].body_text(), format!("[{}]", texts[2]));
    assert_eq!(
        first.carries,
        [
            Carried {
                seq: None,
                message_id: None
            },
            Carried {
                seq: None,
                message_id: None
            }
        ]
    );
}

#[test]
fn custom_headers_replace_defaults_and_come_last() {
    let d = destination(&format!(
        "{HOOK}\nheaders = {{ content-type = \"application/vnd.test+json\", X-Team = \"data\" }}"
    ));
    let mapped = map_all(&d, &[raw(None, r#"{"type":"track","event":"A"}"#)]);
    let headers = &mapped.requests[0].headers;
    assert_eq!(
        headers,
        &[
            ("User-Agent".to_string(), "Segment.io/1.0".to_string()),
            ("X-Team".to_string(), "data".to_string()),
            (
                "content-type".to_string(),
                "application/vnd.test+json".to_string()
            ),
        ]
    );
}

#[test]
fn non_objects_are_skipped_in_order() {
    let d = destination(HOOK);
    let mapped = map_all(
        &d,
        &[
            raw(Some(1), "[1]"),
            raw(Some(2), r#"{"type":"track","event":"A"}"#),
            raw(Some(3), "3"),
        ],
    );
    assert_eq!(mapped.requests.len(), 1);
    let seqs: Vec<_> = mapped.skipped.iter().map(|s| s.carried.seq).collect();
    assert_eq!(seqs, [Some(1), Some(3)]);
    assert_eq!(mapped.skipped[0].reason, "not a JSON object");
}

// --- transform and redaction ----------------------------------------------------------------

#[test]
fn transform_changes_drops_and_fails_clearly() {
    let d = destination(&format!(
        "{HOOK}\ntransform = 'if .event == \"Drop Me\" then null else .properties.seen = true end'"
    ));
    let mapped = map_all(
        &d,
        &[
            outgoing(
                1,
                &json!({"type": "track", "event": "Keep", "messageId": "k", "properties": {}}),
            ),
            outgoing(
                2,
                &json!({"type": "track", "event": "Drop Me", "messageId": "d"}),
            ),
        ],
    );
    assert_eq!(mapped.requests.len(), 1);
    assert_eq!(body(&mapped.requests[0])["properties"]["seen"], true);
    assert_eq!(mapped.skipped.len(), 1);
    assert_eq!(mapped.skipped[0].carried.message_id.as_deref(), Some("d"));
    assert_eq!(mapped.skipped[0].reason, "dropped by the transform");

    let empty = destination(&format!("{HOOK}\ntransform = 'select(.event == \"X\")'"));
    let mapped = map_all(
        &empty,
        &[outgoing(1, &json!({"type": "track", "event": "A"}))],
    );
    assert!(mapped.requests.is_empty());
    assert_eq!(mapped.skipped.len(), 1);

    // A transform failing on one message skips it with the reason; the others go on.
    let failing = destination(&format!(
        "{HOOK}\ntransform = 'if .event == \"Bad\" then .event + 1 else . end'"
    ));
    let mapped = map_all(
        &failing,
        &[
            outgoing(
                3,
                &json!({"type": "track", "event": "A", "messageId": "m3"}),
            ),
            outgoing(
                4,
                &json!({"type": "track", "event": "Bad", "messageId": "m4"}),
            ),
            outgoing(
                5,
                &json!({"type": "track", "event": "C", "messageId": "m5"}),
            ),
        ],
    );
    let carried: usize = mapped.requests.iter().map(|r| r.carries.len()).sum();
    assert_eq!(carried, 2, "seq 3 and 5 go on");
    assert_eq!(mapped.skipped.len(), 1);
    assert_eq!(mapped.skipped[0].carried.seq, Some(4));
    assert!(
        mapped.skipped[0].reason.starts_with("transform failed: "),
        "{}",
        mapped.skipped[0].reason
    );

    let scalar = destination(&format!("{HOOK}\ntransform = '.event'"));
    let mapped = map_all(
        &scalar,
        &[outgoing(1, &json!({"type": "track", "event": "A"}))],
    );
    assert!(mapped.requests.is_empty());
    assert!(
        mapped.skipped[0]
            .reason
            .contains("must yield a message object"),
        "{}",
        mapped.skipped[0].reason
    );

    let many = destination(&format!("{HOOK}\ntransform = '., .'"));
    let mapped = map_all(
        &many,
        &[outgoing(1, &json!({"type": "track", "event": "A"}))],
    );
    assert!(
        mapped.skipped[0].reason.contains("more than one value"),
        "{}",
        mapped.skipped[0].reason
    );

    // jq's semantics: assigning through a missing path builds it (an identify has no
    // `properties`).
    let assign = destination(&format!(
        "{HOOK}\ntransform = '.properties.source = \"crm\"'"
    ));
    let mapped = map_all(
        &assign,
        &[outgoing(1, &json!({"type": "identify", "userId": "u1"}))],
    );
    assert_eq!(body(&mapped.requests[0])["properties"]["source"], "crm");
}

#[test]
fn redact_pii_masks_values_before_mapping() {
    let d = destination(&format!("{HOOK}\nredact_pii = true"));
    let message = json!({
        "type": "track", "event": "Support Requested", "userId": "u1",
        "properties": {"contact": "ada@example.com", "topic": "billing"}
    });
    let mapped = map_all(&d, &[outgoing(1, &message)]);
    let sent = body(&mapped.requests[0]);
    assert_eq!(sent["properties"]["contact"], "[redacted email]");
    assert_eq!(sent["properties"]["topic"], "billing");

    // Without the option the bytes go as they are.
    let plain = destination(HOOK);
    let mapped = map_all(&plain, &[outgoing(1, &message)]);
    assert!(mapped.requests[0].body_text().contains("ada@example.com"));

    // With an inspector, its (configured) matchers are used.
    let inspector = crate::inspect::Inspector::default();
    let mapped = d
        .requests_at(&[outgoing(1, &message)], Some(&inspector), now())
        .unwrap();
    assert!(!mapped.requests[0].body_text().contains("ada@example.com"));
}

// --- segment ----------------------------------------------------------------------------------

#[test]
fn segment_batches_with_basic_auth_and_sent_at() {
    let d = destination(
        "name = \"seg\"\nkind = \"segment\"\nwrite_key = \"wk_test\"\nendpoint = \"http://127.0.0.1:1\"",
    );
    let texts: Vec<String> = (0..250)
        .map(|i| format!(r#"{{"type":"track","event":"E{i}","messageId":"m{i}"}}"#))
        .collect();
    let messages: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| raw(Some(i as u64), t))
        .collect();
    let mapped = map_all(&d, &messages);
    assert_eq!(
        mapped
            .requests
            .iter()
            .map(|r| r.carries.len())
            .collect::<Vec<_>>(),
        [100, 100, 50]
    );
    let first = &mapped.requests[0];
    assert_eq!(first.url, "http://127.0.0.1:1/v1/batch");
    assert_eq!(first.header("Authorization"), Some("Basic d2tfdGVzdDo="));
    let text = first.body_text();
    assert!(
        text.starts_with(&format!(r#"{{"batch":[{},{}"#, texts[0], texts[1])),
        "{}",
        &text[..80]
    );
    assert!(text.ends_with(r#"],"sentAt":"2026-11-02T12:00:00.000Z"}"#));
    assert_eq!(body(first)["batch"].as_array().unwrap().len(), 100);
}

#[test]
fn segment_batches_stay_under_500_kb() {
    let d = destination("name = \"seg\"\nkind = \"segment\"\nwrite_key = \"k\"\nbatch_size = 500");
    let pad = "x".repeat(30_000);
    let messages: Vec<_> = (0..40)
        .map(|i| {
            outgoing(
                i,
                &json!({"type": "track", "event": "E", "properties": {"pad": pad}}),
            )
        })
        .collect();
    let mapped = map_all(&d, &messages);
    assert!(mapped.requests.len() >= 3, "{}", mapped.requests.len());
    assert!(mapped.requests.iter().all(|r| r.body.len() <= 500_000));
    assert_eq!(
        mapped
            .requests
            .iter()
            .map(|r| r.carries.len())
            .sum::<usize>(),
        40
    );
}

// --- amplitude ------------------------------------------------------------------------------

const AMP: &str = "name = \"amp\"\nkind = \"amplitude\"\napi_key = \"amp_key\"";

#[test]
fn amplitude_uses_segments_default_mapping() {
    let d = destination(AMP);
    let mapped = map_all(
        &d,
        &[outgoing(
            1,
            &track("Song Played", json!({"title": "Blue", "revenue": 1.5})),
        )],
    );
    let sent = body(&mapped.requests[0]);
    assert_eq!(sent["api_key"], "amp_key");
    let e = &sent["events"][0];
    assert_eq!(e["event_type"], "Song Played");
    assert_eq!(e["user_id"], "user_1234");
    assert_eq!(e["device_id"], "dev-0001");
    assert_eq!(e["time"], 1_793_527_200_250_i64);
    assert_eq!(e["insert_id"], "msg-Song-Played");
    assert_eq!(
        e["event_properties"],
        json!({"title": "Blue", "revenue": 1.5})
    );
    assert_eq!(e["revenue"], 1.5);
    assert_eq!(e["ip"], "203.0.113.7");
    assert_eq!(e["country"], "GB");
    assert_eq!(e["city"], "London");
    assert_eq!(e["os_name"], "Android");
    assert_eq!(e["device_model"], "Pixel 8");
    assert_eq!(e["language"], "en-GB");
    assert_eq!(e["library"], "analytics.js");
    assert_eq!(
        mapped.requests[0].url,
        "https://api2.amplitude.com/2/httpapi"
    );
    assert_eq!(mapped.requests[0].header("Authorization"), None);
}

#[test]
fn amplitude_pages_identifies_and_skips() {
    let d = destination(AMP);
    let page = json!({"type": "page", "name": "Pricing", "anonymousId": "anon-5678", "properties": {"path": "/pricing"}});
    let identify = json!({"type": "identify", "userId": "user_1234", "traits": {"plan": "pro"}});
    let group = json!({"type": "group", "userId": "user_1234", "groupId": "g1"});
    let mapped = map_all(
        &d,
        &[
            outgoing(1, &page),
            outgoing(2, &identify),
            outgoing(3, &group),
        ],
    );
    let events = &body(&mapped.requests[0])["events"];
    assert_eq!(events[0]["event_type"], "Viewed Pricing");
    assert_eq!(events[0]["device_id"], "anon-5678");
    assert!(events[0].get("user_id").is_none());
    assert_eq!(events[1]["event_type"], "$identify");
    assert_eq!(
        events[1]["user_properties"],
        json!({"$set": {"plan": "pro"}})
    );
    assert_eq!(mapped.skipped.len(), 1);
    assert!(
        mapped.skipped[0].reason.contains("Group Identify"),
        "{}",
        mapped.skipped[0].reason
    );
}

#[test]
fn amplitude_batches_by_batch_size() {
    let d = destination(&format!("{AMP}\nbatch_size = 2000"));
    let messages: Vec<_> = (0..4500)
        .map(|i| {
            outgoing(
                i,
                &json!({"type": "track", "event": "E", "userId": "user_1"}),
            )
        })
        .collect();
    let mapped = map_all(&d, &messages);
    assert_eq!(
        mapped
            .requests
            .iter()
            .map(|r| r.carries.len())
            .collect::<Vec<_>>(),
        [2000, 2000, 500]
    );
}

// --- mixpanel -------------------------------------------------------------------------------

#[test]
fn mixpanel_import_events() {
    let d =
        destination("name = \"mp\"\nkind = \"mixpanel\"\ntoken = \"tok\"\napi_secret = \"sec\"");
    let mut message = track("Order Completed", json!({"total": 30, "$os": "override"}));
    message["context"]["campaign"] = json!({"name": "spring", "source": "news"});
    let identify = json!({"type": "identify", "userId": "user_1234", "traits": {"plan": "pro"}});
    let mapped = map_all(&d, &[outgoing(1, &message), outgoing(2, &identify)]);
    let request = &mapped.requests[0];
    assert_eq!(request.url, "https://api.mixpanel.com/import?strict=1");
    // The API secret wins over the token as the Basic user.
    assert_eq!(request.header("Authorization"), Some("Basic c2VjOg=="));
    let e = &body(request)[0];
    assert_eq!(e["event"], "Order Completed");
    let p = &e["properties"];
    assert_eq!(p["time"], 1_793_527_200_250_i64);
    assert_eq!(p["distinct_id"], "user_1234");
    assert_eq!(p["$insert_id"], "msg-Order-Completed");
    assert_eq!(p["total"], 30);
    assert_eq!(p["$os"], "override", "properties come last, as at Segment");
    assert_eq!(p["$current_url"], "https://shop.example.com/cart");
    assert_eq!(p["mp_lib"], "Segment: analytics.js");
    assert_eq!(p["utm_campaign"], "spring");
    assert_eq!(p["mp_country_code"], "GB");
    assert_eq!(mapped.skipped.len(), 1);
    assert!(mapped.skipped[0].reason.contains("/engage"));
}

// --- ga4 ------------------------------------------------------------------------------------

const GA4: &str =
    "name = \"ga\"\nkind = \"ga4\"\nmeasurement_id = \"G-TEST\"\napi_secret = \"ga_secret\"";

#[test]
fn ga4_event_names_are_normalised() {
    assert_eq!(ga4::normalise_name("Video Played"), "Video_Played");
    assert_eq!(ga4::normalise_name("  Sign-up: done! "), "Signup_done");
    assert_eq!(ga4::normalise_name("3D View Opened"), "D_View_Opened");
    assert_eq!(ga4::normalise_name("Ünïcode Ëvent"), "ncode_vent");
    assert_eq!(ga4::normalise_name(&"a".repeat(60)).len(), 40);
    assert_eq!(ga4::normalise_name("!!!"), "");
}

#[test]
fn ga4_purchase_and_items() {
    let d = destination(GA4);
    let message = track(
        "Order Completed",
        json!({
            "order_id": "ord_1", "total": 99.5, "revenue": 90, "currency": "eur", "shipping": 5,
            "tax": 4.5, "coupon": "SPRING",
            "products": [
                {"product_id": "p1", "name": "Tent", "category": "Outdoor", "price": 49.75, "quantity": 2, "position": 1, "url": "https://x"}
            ]
        }),
    );
    let mapped = map_all(&d, &[outgoing(1, &message)]);
    let request = &mapped.requests[0];
    assert_eq!(
        request.url,
        "https://www.google-analytics.com/mp/collect?measurement_id=G-TEST&api_secret=ga_secret"
    );
    let sent = body(request);
    assert_eq!(sent["client_id"], "user_1234");
    assert_eq!(sent["user_id"], "user_1234");
    assert_eq!(sent["timestamp_micros"], 1_793_527_200_250_000_i64);
    let e = &sent["events"][0];
    assert_eq!(e["name"], "purchase");
    assert_eq!(
        e["params"],
        json!({
            "currency": "EUR", "transaction_id": "ord_1", "value": 99.5, "coupon": "SPRING",
            "shipping": 5, "tax": 4.5, "engagement_time_msec": 1,
            "items": [{"item_id": "p1", "item_name": "Tent", "item_category": "Outdoor", "price": 49.75, "quantity": 2, "index": 1}]
        })
    );
}

#[test]
fn ga4_recommended_events() {
    let d = destination(GA4);
    let cases = [
        (
            "Product Viewed",
            json!({"product_id": "p1", "price": 10, "currency": "usd"}),
            "view_item",
        ),
        ("Product Added", json!({"product_id": "p1"}), "add_to_cart"),
        (
            "Product Removed",
            json!({"product_id": "p1"}),
            "remove_from_cart",
        ),
        ("Checkout Started", json!({"value": 5}), "begin_checkout"),
        (
            "Payment Info Entered",
            json!({"payment_method": "card"}),
            "add_payment_info",
        ),
        (
            "Product List Viewed",
            json!({"list_id": "l1", "category": "Deals"}),
            "view_item_list",
        ),
        (
            "Product Clicked",
            json!({"product_id": "p1"}),
            "select_item",
        ),
        (
            "Order Refunded",
            json!({"order_id": "o1", "total": 3}),
            "refund",
        ),
        (
            "Promotion Viewed",
            json!({"promotion_id": "pr1", "creative": "banner"}),
            "view_promotion",
        ),
        (
            "Promotion Clicked",
            json!({"promotion_id": "pr1"}),
            "select_promotion",
        ),
        ("Products Searched", json!({"query": "tents"}), "search"),
        ("Signed Up", json!({"type": "google"}), "sign_up"),
        ("Signed In", json!({"method": "password"}), "login"),
    ];
    let messages: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (event, props, _))| outgoing(i as u64, &track(event, props.clone())))
        .collect();
    let mapped = map_all(&d, &messages);
    let events = &body(&mapped.requests[0])["events"];
    for (i, (_, _, name)) in cases.iter().enumerate() {
        assert_eq!(events[i]["name"], *name);
    }
    assert_eq!(events[0]["params"]["currency"], "USD");
    assert_eq!(events[0]["params"]["value"], 10);
    assert_eq!(events[0]["params"]["items"][0]["item_id"], "p1");
    assert_eq!(events[4]["params"]["payment_type"], "card");
    assert_eq!(events[5]["params"]["item_list_name"], "Deals");
    assert_eq!(events[8]["params"]["creative_name"], "banner");
    assert_eq!(events[10]["params"]["search_term"], "tents");
    assert_eq!(events[11]["params"]["method"], "google");
    assert_eq!(events[12]["params"]["method"], "password");
}

#[test]
fn ga4_pages_params_limits_and_skips() {
    let d = destination(GA4);
    let page = json!({"type": "page", "anonymousId": "anon-1", "name": "Home", "timestamp": "2026-11-01T10:00:00Z",
        "context": {"page": {"url": "https://x.example/", "title": "Home", "referrer": "https://r.example/"}}});
    let mut props = serde_json::Map::new();
    for i in 0..40 {
        props.insert(format!("p{i:02}"), json!(i));
    }
    props.insert("long".into(), json!("y".repeat(150)));
    props.insert("nested".into(), json!({"a": 1}));
    let custom = json!({"type": "track", "event": "Video Played", "anonymousId": "anon-1", "properties": props});
    let alias = json!({"type": "alias", "userId": "u1", "previousId": "anon-1"});
    let identify = json!({"type": "identify", "userId": "u1"});
    let mapped = map_all(
        &d,
        &[
            outgoing(1, &page),
            outgoing(2, &custom),
            outgoing(3, &alias),
            outgoing(4, &identify),
        ],
    );
    let sent = body(&mapped.requests[0]);
    assert_eq!(sent["client_id"], "anon-1");
    assert!(sent.get("user_id").is_none());
    let e = &sent["events"];
    assert_eq!(e[0]["name"], "page_view");
    assert_eq!(e[0]["params"]["page_location"], "https://x.example/");
    assert_eq!(e[0]["params"]["page_title"], "Home");
    assert_eq!(e[0]["params"]["page_referrer"], "https://r.example/");
    assert_eq!(e[1]["name"], "Video_Played");
    let params = e[1]["params"].as_object().unwrap();
    assert_eq!(params.len(), ga4::MAX_PARAMS);
    assert_eq!(params["engagement_time_msec"], 1);
    assert!(!params.contains_key("nested"));
    assert_eq!(params["long"].as_str().unwrap().len(), 100);
    let reasons: Vec<_> = mapped.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "ga4 has no alias call",
            "ga4 sets user properties only alongside events; identify has none"
        ]
    );
}

#[test]
fn ga4_batches_per_client_id_at_most_25() {
    let d = destination(GA4);
    let mut messages = Vec::new();
    for i in 0..60u64 {
        let user = if i % 2 == 0 { "user_a" } else { "user_b" };
        messages.push(outgoing(
            i,
            &json!({"type": "track", "event": "Tick", "userId": user}),
        ));
    }
    let mapped = map_all(&d, &messages);
    let shape: Vec<(String, usize)> = mapped
        .requests
        .iter()
        .map(|r| {
            (
                body(r)["client_id"].as_str().unwrap().to_string(),
                r.carries.len(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("user_a".into(), 25),
            ("user_a".into(), 5),
            ("user_b".into(), 25),
            ("user_b".into(), 5)
        ]
    );
    assert_eq!(mapped.requests[0].carries[1].seq, Some(2));
}

// --- posthog --------------------------------------------------------------------------------

#[test]
fn posthog_maps_every_call() {
    let d = destination("name = \"ph\"\nkind = \"posthog\"\napi_key = \"phc_test\"");
    let uuid = "0b6a7f4e-6bb8-4d4e-9a59-7d1e0f5c2a11";
    let messages = [
        json!({"type": "track", "event": "Clicked", "userId": "u1", "messageId": uuid, "timestamp": "2026-11-01T10:00:00.000Z", "properties": {"x": 1}}),
        json!({"type": "identify", "userId": "u1", "anonymousId": "a1", "traits": {"plan": "pro"}, "messageId": "not-a-uuid"}),
        json!({"type": "page", "anonymousId": "a1", "properties": {"url": "https://x.example/p"}}),
        json!({"type": "screen", "userId": "u1", "name": "Settings"}),
        json!({"type": "group", "userId": "u1", "groupId": "g1", "traits": {"name": "Acme"}}),
        json!({"type": "alias", "userId": "u1", "previousId": "a1"}),
    ];
    let outgoing: Vec<_> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| outgoing(i as u64, m))
        .collect();
    let mapped = map_all(&d, &outgoing);
    let request = &mapped.requests[0];
    assert_eq!(request.url, "https://us.i.posthog.com/batch/");
    let sent = body(request);
    assert_eq!(sent["api_key"], "phc_test");
    assert_eq!(sent["historical_migration"], false);
    let b = &sent["batch"];
    assert_eq!(b[0]["event"], "Clicked");
    assert_eq!(b[0]["uuid"], uuid);
    assert_eq!(b[0]["timestamp"], "2026-11-01T10:00:00.000Z");
    assert_eq!(b[0]["properties"], json!({"distinct_id": "u1", "x": 1}));
    assert_eq!(b[1]["event"], "$identify");
    assert!(b[1].get("uuid").is_none());
    assert_eq!(b[1]["properties"]["$set"], json!({"plan": "pro"}));
    assert_eq!(b[1]["properties"]["$anon_distinct_id"], "a1");
    assert_eq!(b[2]["event"], "$pageview");
    assert_eq!(b[2]["properties"]["$current_url"], "https://x.example/p");
    assert_eq!(b[2]["properties"]["distinct_id"], "a1");
    assert_eq!(b[3]["event"], "$screen");
    assert_eq!(b[3]["properties"]["$screen_name"], "Settings");
    assert_eq!(b[4]["event"], "$groupidentify");
    assert_eq!(b[4]["properties"]["$group_key"], "g1");
    assert_eq!(b[4]["properties"]["$group_set"], json!({"name": "Acme"}));
    assert_eq!(b[5]["event"], "$create_alias");
    assert_eq!(b[5]["properties"]["alias"], "a1");
    assert_eq!(b[5]["properties"]["distinct_id"], "u1");
}

// --- file -----------------------------------------------------------------------------------

#[test]
fn file_appends_ndjson_lines() {
    let d =
        destination("name = \"f\"\nkind = \"file\"\npath = \"/tmp/out.ndjson\"\nbatch_size = 2");
    let mapped = map_all(
        &d,
        &[
            raw(Some(1), "{\"type\":\"track\",\n \"event\":\"A\"}"),
            raw(Some(2), r#"{"type":"track","event":"B"}"#),
            raw(Some(3), r#"{"type":"track","event":"C"}"#),
        ],
    );
    assert_eq!(mapped.requests.len(), 2);
    let r = &mapped.requests[0];
    assert_eq!(r.method, "APPEND");
    assert_eq!(r.url, "file:///tmp/out.ndjson");
    assert_eq!(
        r.body_text(),
        "{\"event\":\"A\",\"type\":\"track\"}\n{\"type\":\"track\",\"event\":\"B\"}\n"
    );
}

// --- answers --------------------------------------------------------------------------------

#[test]
fn ga4_debug_validation_messages_become_notes() {
    let d = destination(&format!("{GA4}\ndebug = true"));
    let answer = br#"{"validationMessages":[{"fieldPath":"events[0].params.currency","description":"Currency must be a 3-letter code.","validationCode":"VALUE_INVALID"}]}"#;
    let (ok, notes) = d.read_answer(200, answer);
    assert!(!ok);
    assert_eq!(
        notes,
        [DeliveryNote {
            path: "events[0].params.currency".into(),
            code: "VALUE_INVALID".into(),
            message: "Currency must be a 3-letter code.".into()
        }]
    );
    assert_eq!(
        d.read_answer(200, br#"{"validationMessages":[]}"#),
        (true, vec![])
    );
    assert_eq!(d.read_answer(204, b""), (true, vec![]));
}

#[test]
fn mixpanel_failed_records_become_notes() {
    let d = destination("name = \"mp\"\nkind = \"mixpanel\"\ntoken = \"tok\"");
    let answer = br#"{"code":400,"error":"some data points in the request failed validation","failed_records":[{"index":1,"$insert_id":"m2","field":"properties.time","message":"'properties.time' is invalid: must be specified as seconds since epoch"}],"num_records_imported":1,"status":"Bad Request"}"#;
    let (ok, notes) = d.read_answer(400, answer);
    assert!(!ok);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].path, "[1].properties.time");
    assert_eq!(notes[0].code, "failed_record");
    assert!(notes[0].message.contains("($insert_id m2)"));
    assert_eq!(
        d.read_answer(
            200,
            br#"{"code":200,"num_records_imported":2,"status":"OK"}"#
        ),
        (true, vec![])
    );
}

#[test]
fn amplitude_errors_become_notes() {
    let d = destination(AMP);
    let (ok, notes) = d.read_answer(
        400,
        br#"{"code":400,"error":"Request missing required field","missing_field":"api_key"}"#,
    );
    assert!(!ok);
    assert_eq!(
        (notes[0].path.as_str(), notes[0].code.as_str()),
        ("api_key", "missing_field")
    );
    let (_, notes) = d.read_answer(
        400,
        br#"{"code":400,"error":"Invalid field values on some events","events_with_invalid_fields":{"time":[0,2]}}"#,
    );
    let paths: Vec<_> = notes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, ["events[0].time", "events[2].time"]);
    assert_eq!(
        d.read_answer(200, br#"{"code":200,"events_ingested":2}"#),
        (true, vec![])
    );
    let (ok, notes) = d.read_answer(503, b"upstream unavailable");
    assert!(!ok && notes.is_empty());
}

#[test]
fn other_answers() {
    let ph = destination("name = \"ph\"\nkind = \"posthog\"\napi_key = \"phc_test\"");
    let (ok, notes) = ph.read_answer(400, br#"{"type":"validation_error","code":"invalid_payload","detail":"Invalid payload","attr":null}"#);
    assert!(!ok);
    assert_eq!(
        (notes[0].code.as_str(), notes[0].message.as_str()),
        ("invalid_payload", "Invalid payload")
    );
    let seg = destination("name = \"s\"\nkind = \"segment\"\nwrite_key = \"wk_0123456789abcdef\"");
    let (ok, notes) = seg.read_answer(401, br#"{"success":false,"code":"write_key_refused","message":"write key wk_0123456789abcdef refused"}"#);
    assert!(!ok);
    assert_eq!(notes[0].code, "write_key_refused");
    assert!(
        !notes[0].message.contains("wk_0123456789abcdef"),
        "notes are masked: {}",
        notes[0].message
    );
    assert_eq!(seg.read_answer(200, br#"{"success":true}"#), (true, vec![]));
    let hook = destination(HOOK);
    assert_eq!(
        hook.read_answer(500, br#"{"error":"boom"}"#).1[0].message,
        "boom"
    );
    assert!(hook.read_answer(201, b"created").0);
}

#[test]
fn chunks_respect_count_and_bytes() {
    let c = |n: usize| Carried {
        seq: Some(n as u64),
        message_id: None,
    };
    let items: Vec<(Carried, String)> = (0..5).map(|i| (c(i), "x".repeat(10))).collect();
    let sizes = |v: Vec<&[(Carried, String)]>| v.iter().map(|s| s.len()).collect::<Vec<_>>();
    assert_eq!(sizes(chunks(&items, 2, 1000)), [2, 2, 1]);
    assert_eq!(sizes(chunks(&items, 10, 25)), [2, 2, 1]);
    // An item over the cap still goes, alone.
    assert_eq!(sizes(chunks(&items, 10, 5)), [1, 1, 1, 1, 1]);
    assert!(chunks::<String>(&[], 10, 10).is_empty());
}

/// Routing's "can this destination carry the call" (`DestinationKind::carries`) agrees with
/// what each mapper does with a complete message of each call type.
#[test]
fn the_kinds_carry_exactly_the_calls_their_mappers_map() {
    let kinds = [
        HOOK,
        "name = \"seg\"\nkind = \"segment\"\nwrite_key = \"wk_test\"",
        AMP,
        "name = \"mp\"\nkind = \"mixpanel\"\ntoken = \"tok\"",
        "name = \"ga\"\nkind = \"ga4\"\nmeasurement_id = \"G-TEST\"\napi_secret = \"ga_secret\"",
        "name = \"ph\"\nkind = \"posthog\"\napi_key = \"phc_test\"",
        "name = \"f\"\nkind = \"file\"\npath = \"/tmp/out.ndjson\"",
    ];
    for toml_text in kinds {
        let d = destination(toml_text);
        for call in ["track", "page", "screen", "identify", "group", "alias"] {
            let message = json!({
                "type": call, "event": "Order Completed", "name": "Home",
                "userId": "user_1", "anonymousId": "anon-1", "groupId": "g1",
                "previousId": "anon-0", "messageId": "m1",
                "timestamp": "2026-11-01T10:00:00Z", "traits": {"plan": "pro"},
            });
            let mapped = map_all(&d, &[outgoing(1, &message)]);
            assert_eq!(
                mapped.skipped.is_empty(),
                d.kind.carries()(call),
                "{} {call}: {:?}",
                d.kind.as_str(),
                mapped.skipped
            );
        }
    }
}

// --- routing --------------------------------------------------------------------------------

/// A webhook named "Hook" in the integrations object, mapped to Analytics, with a drop and a
/// block filter.
const ROUTED_HOOK: &str = r#"
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9/"
segment_name = "Hook"
consent = ["Analytics"]
batch_size = 10

[[filter]]
if = "event = 'Test Event'"
action = "drop"

[[filter]]
action = "block_fields"
fields = ["properties.email", "properties.products.sku", "properties.dotted\\.key"]
"#;

#[test]
fn routing_skips_what_segment_would_not_deliver_with_the_reason() {
    let d = destination(ROUTED_HOOK);
    let mut off = track("Order Completed", json!({}));
    off["integrations"] = json!({"Hook": false});
    let mut denied = track("Order Completed", json!({}));
    denied["context"]["consent"] = json!({"categoryPreferences": {"Analytics": false}});
    let messages = [
        outgoing(1, &off),
        outgoing(2, &track("Test Event", json!({}))),
        outgoing(3, &denied),
        outgoing(4, &track("Order Completed", json!({"revenue": 1}))),
    ];
    let mapped = map_all(&d, &messages);
    let skipped: Vec<_> = mapped
        .skipped
        .iter()
        .map(|s| (s.carried.seq, s.dropped, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                Some(1),
                Some(crate::routing::Reason::Integrations),
                "integrations: integrations.Hook = false"
            ),
            (
                Some(2),
                Some(crate::routing::Reason::Filter),
                "filter: filter 1 drops: event = 'Test Event'"
            ),
            (
                Some(3),
                Some(crate::routing::Reason::Consent),
                "consent: consent Analytics not given"
            ),
        ]
    );
    let sent = body(&mapped.requests[0]);
    assert_eq!(sent.as_array().map(Vec::len), Some(1));
    assert_eq!(sent[0]["properties"]["revenue"], 1);
    assert_eq!(mapped.requests[0].carries[0].seq, Some(4));
    // The skip says in JSON why (replay's summary and deliveries read it).
    assert_eq!(
        serde_json::to_value(&mapped.skipped[0]).unwrap()["dropped"],
        "integrations"
    );
}

#[test]
fn routing_strips_blocked_fields_from_every_array_element_before_mapping() {
    let d = destination(ROUTED_HOOK);
    let message = track(
        "Order Completed",
        json!({
            "email": "jane@example.com",
            "dotted.key": 1,
            "dotted": {"key": "kept"},
            "products": [{"sku": "A", "price": 1}, {"sku": "B", "price": 2}, 3],
        }),
    );
    let mapped = map_all(&d, &[outgoing(1, &message)]);
    assert!(mapped.skipped.is_empty(), "{:?}", mapped.skipped);
    let sent = &body(&mapped.requests[0])[0];
    assert_eq!(
        sent["properties"],
        json!({"dotted": {"key": "kept"}, "products": [{"price": 1}, {"price": 2}, 3]})
    );
    assert_eq!(sent["event"], "Order Completed");
    // What was stripped is listed, for the popup and the replay summary.
    assert_eq!(mapped.stripped.len(), 1);
    assert_eq!(mapped.stripped[0].carried.seq, Some(1));
    assert!(
        mapped.stripped[0]
            .fields
            .iter()
            .any(|f| f == "properties.products.sku"),
        "{:?}",
        mapped.stripped
    );
}

#[test]
fn ignore_routing_sends_dropped_messages_whole() {
    let mut d = destination(ROUTED_HOOK);
    d.ignore_routing = true;
    let message = track("Test Event", json!({"email": "jane@example.com"}));
    let mapped = map_all(&d, &[outgoing(1, &message)]);
    assert!(mapped.skipped.is_empty());
    assert!(mapped.stripped.is_empty());
    // What it sends anyway, as routing alone says.
    let drops = routing_drops(&d, &[outgoing(1, &message)]);
    assert_eq!(drops.len(), 1);
    assert_eq!(
        drops[0].reason,
        "filter: filter 1 drops: event = 'Test Event'"
    );
    assert_eq!(drops[0].dropped, Some(crate::routing::Reason::Filter));
    // Unchanged: the bytes as captured.
    assert_eq!(mapped.requests[0].body, format!("[{message}]").into_bytes());
}

#[test]
fn a_destination_without_routing_settings_still_honours_the_integrations_object() {
    let d = destination(HOOK);
    let mut all_off = track("Order Completed", json!({}));
    all_off["integrations"] = json!({"All": false});
    let mapped = map_all(&d, &[outgoing(1, &all_off)]);
    assert!(mapped.requests.is_empty());
    assert_eq!(
        mapped.skipped[0].dropped,
        Some(crate::routing::Reason::Integrations)
    );
}
