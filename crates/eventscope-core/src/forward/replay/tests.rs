//! One test per rule of [`super::Rewrite`], and the collector as a destination.

use super::*;

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string()).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    parse_timestamp(text).unwrap()
}

fn id_of(text: &str) -> &str {
    text.split(r#""messageId":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
}

#[test]
fn new_ids_change_only_the_message_id_and_keep_the_order() {
    let out = Rewrite::new(true, None).apply(raw(
        r#"{"type":"track","messageId":"m1","event":"A","n":1.50}"#,
    ));
    let text = out.get();
    let id = id_of(text);
    assert!(id.starts_with("es-replay-") && id.len() == 46, "{id}");
    let uuid = uuid::Uuid::parse_str(&id["es-replay-".len()..]).unwrap();
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(
        text.replace(id, "X"),
        r#"{"type":"track","messageId":"X","event":"A","n":1.50}"#
    );
    let again = Rewrite::new(true, None).apply(raw(r#"{"messageId":"m1"}"#));
    assert_ne!(id_of(again.get()), id, "every message its own id");
}

#[test]
fn a_message_without_an_id_gets_one_and_ids_are_kept_on_request() {
    let out = Rewrite::new(true, None).apply(raw(r#"{"type":"track"}"#));
    assert!(
        out.get()
            .starts_with(r#"{"type":"track","messageId":"es-replay-"#)
    );
    let text = r#"{ "type" : "track", "messageId":"m1" }"#;
    assert_eq!(
        Rewrite::new(false, None).apply(raw(text)).get(),
        text,
        "bytes untouched"
    );
}

#[test]
fn sent_at_and_received_at_are_dropped_whatever_else_is_kept() {
    let text = r#"{"type":"track","event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z","sentAt":"2026-11-22T10:00:01.000Z","receivedAt":"2026-11-22T10:00:02.000Z","properties":{"x":1,"sentAt":"y"}}"#;
    assert_eq!(
        Rewrite::new(false, None).apply(raw(text)).get(),
        r#"{"type":"track","event":"A","messageId":"m1","timestamp":"2026-11-22T10:00:00.000Z","properties":{"x":1,"sentAt":"y"}}"#
    );
}

#[test]
fn a_shift_moves_timestamp_and_original_timestamp_only() {
    let out = Rewrite::new(false, Some(TimeDelta::hours(1))).apply(raw(concat!(
        r#"{"timestamp":"2024-01-01T10:00:00.000Z","originalTimestamp":"2024-01-01T10:00:00+02:00","#,
        r#""sentAt":"2024-01-01T10:00:01Z","receivedAt":"2024-01-01T10:00:02.000Z","#,
        r#""properties":{"timestamp":"2024-01-01T10:00:00.000Z"}}"#
    )));
    let value: serde_json::Value = serde_json::from_str(out.get()).unwrap();
    assert_eq!(value["timestamp"], "2024-01-01T11:00:00.000Z");
    assert_eq!(value["originalTimestamp"], "2024-01-01T09:00:00.000Z");
    assert!(value.get("sentAt").is_none());
    assert!(value.get("receivedAt").is_none());
    assert_eq!(value["properties"]["timestamp"], "2024-01-01T10:00:00.000Z");
}

#[test]
fn to_now_moves_the_newest_to_now_and_keeps_the_spacing() {
    let a = raw(r#"{"event":"A","timestamp":"2026-11-22T10:00:00.000Z"}"#);
    let b = raw(
        r#"{"event":"B","timestamp":"2026-11-22T10:00:05.000Z","originalTimestamp":"2026-11-22T10:00:04.000Z"}"#,
    );
    let c = raw(r#"{"event":"C","originalTimestamp":"2026-11-22T09:59:00.000Z"}"#);
    let none = raw(r#"{"event":"D"}"#);
    let now = at("2027-01-01T00:00:00.000Z");
    let shift = shift_to_now(
        [&a, &b, &c, &none].iter().filter_map(|m| message_time(m)),
        now,
    );
    let rewrite = Rewrite::new(false, shift);
    let value = |m: &RawValue| -> serde_json::Value {
        serde_json::from_str(rewrite.apply(m.to_owned()).get()).unwrap()
    };
    assert_eq!(value(&a)["timestamp"], "2026-12-31T23:59:55.000Z");
    assert_eq!(value(&b)["timestamp"], "2027-01-01T00:00:00.000Z");
    assert_eq!(value(&b)["originalTimestamp"], "2026-12-31T23:59:59.000Z");
    assert_eq!(value(&c)["originalTimestamp"], "2026-12-31T23:58:55.000Z");
    assert_eq!(value(&none), serde_json::json!({"event": "D"}));
    assert_eq!(
        shift_to_now(std::iter::empty(), now),
        None,
        "nothing to anchor on"
    );
}

#[test]
fn a_timestamp_at_the_edge_of_time_is_kept_not_a_panic() {
    let rewrite = Rewrite::new(false, Some(TimeDelta::days(365 * 1000)));
    // Accepted by `parse_timestamp`'s extended-year fallback, near chrono's last year.
    let late = "+262000-01-01T00:00:00";
    assert!(
        at(late)
            .checked_add_signed(TimeDelta::days(365 * 1000))
            .is_none()
    );
    let text = format!(r#"{{"timestamp":"2024-01-01T10:00:00Z","originalTimestamp":"{late}"}}"#);
    let value: serde_json::Value = serde_json::from_str(rewrite.apply(raw(&text)).get()).unwrap();
    assert_eq!(value["originalTimestamp"], late);
}

#[test]
fn a_message_that_is_not_an_object_goes_as_it_is() {
    let rewrite = Rewrite::new(true, Some(TimeDelta::hours(1)));
    assert_eq!(rewrite.apply(raw("[1,2]")).get(), "[1,2]");
}

#[test]
fn stream_urls_lead_to_their_collector() {
    let batch_url = |url| CollectorTarget::behind_stream(url).map(|t| t.batch_url);
    assert_eq!(
        batch_url("ws://10.0.0.2:8707/v1/stream?since=3").as_deref(),
        Some("http://10.0.0.2:8707/v1/batch")
    );
    assert_eq!(
        batch_url("wss://scope.example.com").as_deref(),
        Some("https://scope.example.com/v1/batch")
    );
    assert_eq!(batch_url("file:///x"), None);
}

fn outgoing(seq: u64, text: &str) -> Outgoing {
    Outgoing {
        seq: Some(seq),
        message: raw(text),
    }
}

#[test]
fn the_collector_gets_one_ordered_batch_with_its_key_as_basic_auth() {
    let target = CollectorTarget {
        batch_url: "http://127.0.0.1:8707/v1/batch".into(),
        write_key: Some("wk_secret".into()),
    };
    let destination = target.destination().unwrap();
    assert_eq!(destination.name, "collector");
    assert_eq!(destination.concurrency, 1, "in order");
    let messages: Vec<Outgoing> = (1..=3)
        .map(|i| outgoing(i, &format!(r#"{{"type":"track","event":"E{i}"}}"#)))
        .collect();
    let requests = target.requests(&destination, &messages).unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url, "http://127.0.0.1:8707/v1/batch");
    assert_eq!(
        request.header("Authorization"),
        Some("Basic d2tfc2VjcmV0Og==")
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["batch"][2]["event"], "E3");
    assert_eq!(
        request.carries.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3)]
    );
    let shown = destination.preview(request).headers;
    assert!(
        shown
            .iter()
            .all(|(_, value)| !value.contains("d2tfc2VjcmV0"))
    );
}

#[test]
fn the_collector_gets_what_routing_would_drop_for_a_destination_whole() {
    let target = CollectorTarget::behind_stream("ws://127.0.0.1:9").unwrap();
    let destination = target.destination().unwrap();
    let messages = [
        outgoing(
            1,
            r#"{"type":"track","event":"A","integrations":{"All":false}}"#,
        ),
        outgoing(
            2,
            r#"{"type":"track","event":"B","integrations":{"Segment":false}}"#,
        ),
        outgoing(
            3,
            r#"{"type":"track","event":"C","context":{"consent":{"categoryPreferences":{}}}}"#,
        ),
    ];
    let requests = target.requests(&destination, &messages).unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].carries.len(), 3, "nothing is dropped");
}

#[test]
fn a_collector_without_a_key_gets_no_authorization() {
    let target = CollectorTarget::behind_stream("ws://127.0.0.1:9/v1/stream").unwrap();
    let destination = target.destination().unwrap();
    let requests = target
        .requests(&destination, &[outgoing(1, r#"{"type":"track"}"#)])
        .unwrap();
    assert_eq!(requests[0].header("Authorization"), None);
    assert_eq!(requests[0].header("Content-Type"), Some("application/json"));
}

#[test]
fn collector_batches_stay_under_its_limits() {
    let target = CollectorTarget::behind_stream("ws://127.0.0.1:9").unwrap();
    let destination = target.destination().unwrap();
    let big = format!(r#"{{"x":"{}"}}"#, "y".repeat(100 * 1024));
    let messages: Vec<Outgoing> = (0..9).map(|i| outgoing(i, &big)).collect();
    let requests = target.requests(&destination, &messages).unwrap();
    assert!(requests.len() >= 3);
    assert!(requests.iter().all(|r| r.body.len() < 500 * 1024));
    assert_eq!(requests.iter().map(|r| r.carries.len()).sum::<usize>(), 9);
    let small: Vec<Outgoing> = (0..1200)
        .map(|i| outgoing(i, &format!(r#"{{"i":{i}}}"#)))
        .collect();
    let requests = target.requests(&destination, &small).unwrap();
    assert_eq!(requests.len(), 3);
    let first: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(first["batch"].as_array().unwrap().len(), 500);
}
