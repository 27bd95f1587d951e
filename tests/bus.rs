//! `--bus`: collectors publish every frame to NATS JetStream and answer the SDK after the
//! ack. Each test starts its own `nats-server` (a free port, a temp store dir); without one
//! installed they say SKIPPED, and fail under `CI`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use common::nats::NatsServer;
use common::{DEADLINE, WRITE_KEY, basic, binary, health, post};
use eventscope::bus::subject;
use eventscope::model::DeliveryFrame;
use eventscope::server::RunningServer;
use futures_util::StreamExt;
use serde_json::{Value, json};

async fn stream(nats: &NatsServer, name: &str) -> jetstream::stream::Stream {
    nats.jetstream()
        .await
        .get_stream(name)
        .await
        .expect("the stream exists")
}

/// Every message in the stream, in order, with an ordered consumer: (stream seq, subject,
/// payload as JSON).
async fn read_all(nats: &NatsServer, name: &str) -> Vec<(u64, String, Value)> {
    let mut stream = stream(nats, name).await;
    let count = stream.info().await.expect("info").state.messages;
    let consumer = stream
        .create_consumer(OrderedConfig::default())
        .await
        .expect("an ordered consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut read = Vec::new();
    while (read.len() as u64) < count {
        let message = tokio::time::timeout(DEADLINE, messages.next())
            .await
            .expect("a message within the deadline")
            .expect("not the end")
            .expect("a message");
        let seq = message.info().expect("jetstream info").stream_sequence;
        let payload = serde_json::from_slice(&message.payload).expect("the payload is JSON");
        read.push((seq, message.subject.to_string(), payload));
    }
    read
}

fn track(id: &str, user: &str) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": user, "messageId": id})
}

async fn post_batch(server: &RunningServer, batch: &[Value]) -> (u16, Value) {
    let auth = basic(WRITE_KEY);
    let body = json!({ "batch": batch }).to_string();
    post(server, "/v1/batch", body, &[("authorization", &auth)]).await
}

#[tokio::test]
async fn a_post_is_answered_after_its_messages_are_in_the_stream() {
    let Some(nats) = NatsServer::start("a_post_is_answered_after_its_messages_are_in_the_stream")
    else {
        return;
    };
    let server = nats.collector().await;
    let batch = [
        track("m-1", "user-1"),
        json!({"type": "identify", "userId": "user-2", "messageId": "m-2", "traits": {}}),
        json!({"type": "page", "anonymousId": "anon-3", "messageId": "m-3"}),
    ];
    let (status, body) = post_batch(&server, &batch).await;
    assert_eq!((status, &body), (200, &json!({"success": true})));

    // Answered 200: the stream has all three already (no waiting).
    let mut handle = stream(&nats, "EVENTSCOPE").await;
    let info = handle.info().await.unwrap();
    assert_eq!(info.state.messages, 3, "{info:?}");
    assert_eq!(info.config.duplicate_window, Duration::from_secs(120));
    assert_eq!(info.config.max_age, Duration::from_secs(3600));
    assert_eq!(info.config.num_replicas, 1);
    assert_eq!(info.config.storage, jetstream::stream::StorageType::File);

    let read = read_all(&nats, "EVENTSCOPE").await;
    let src = subject::source_token(Some(WRITE_KEY));
    assert_eq!(src.len(), 10);
    let expected = [
        ("track", "user-1", "m-1"),
        ("identify", "user-2", "m-2"),
        ("page", "anon-3", "m-3"),
    ];
    for (i, ((seq, subject_name, frame), (kind, person, id))) in
        read.iter().zip(expected).enumerate()
    {
        assert_eq!(*seq, i as u64 + 1);
        let digits = subject::person_digits(Some(person));
        assert_eq!(subject_name, &format!("evs.{src}.{kind}.{digits}"));
        assert!(!subject_name.contains(WRITE_KEY));
        assert_eq!(frame["type"], "event", "{frame}");
        assert!(frame.get("seq").is_none(), "the bus gives the seq: {frame}");
        assert_eq!(frame["message"]["messageId"], id);
        assert_eq!(frame["message"]["type"], kind);
        assert_eq!(frame["source"]["path"], "/v1/batch");
    }

    // The local viewer still has what this collector received.
    assert_eq!(server.hub.status().events, 3);
    let report = health(&server.addr.to_string()).await;
    let bus = &report["bus"];
    assert_eq!(bus["state"], "connected", "{report}");
    assert_eq!(bus["stream"], "EVENTSCOPE");
    assert_eq!(bus["lastAckSeq"], 3);
    assert_eq!(bus["published"], 3);
    assert_eq!(bus["unavailable"], 0);
    assert!(
        bus["publishLatencyMs"]["last"].as_f64().unwrap() > 0.0,
        "{bus}"
    );
    // The stream as the server holds it.
    let stream = &bus["streamState"];
    assert_eq!(
        (&stream["firstSeq"], &stream["lastSeq"]),
        (&json!(1), &json!(3)),
        "{bus}"
    );
    // The one consumer is this test's own reader, above.
    assert_eq!(
        (&stream["messages"], &stream["consumers"]),
        (&json!(3), &json!(1)),
        "{bus}"
    );
    assert_eq!(stream["replicas"], 1, "{bus}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_batch_larger_than_the_window_in_flight_is_all_stored_in_order() {
    let Some(nats) =
        NatsServer::start("a_batch_larger_than_the_window_in_flight_is_all_stored_in_order")
    else {
        return;
    };
    let server = nats.collector().await;
    // Segment's largest batch: more than 2 windows of messages in flight.
    let batch: Vec<Value> = (0..2500)
        .map(|i| track(&format!("b-{i}"), &format!("u{}", i % 7)))
        .collect();
    assert!(batch.len() > 2 * eventscope::bus::NatsBus::IN_FLIGHT);
    assert_eq!(post_batch(&server, &batch).await.0, 200);
    let read = read_all(&nats, "EVENTSCOPE").await;
    assert_eq!(read.len(), 2500);
    for (i, (seq, _, frame)) in read.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert_eq!(frame["message"]["messageId"], format!("b-{i}"));
    }
    let report = health(&server.addr.to_string()).await;
    assert_eq!(report["bus"]["lastAckSeq"], 2500, "{report}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_message_id_posted_twice_within_the_window_is_one_message() {
    let Some(nats) =
        NatsServer::start("a_message_id_posted_twice_within_the_window_is_one_message")
    else {
        return;
    };
    let server = nats.collector().await;
    let batch = [track("retried-1", "u"), track("retried-2", "u")];
    assert_eq!(post_batch(&server, &batch).await.0, 200);
    // The SDK did not hear the answer and sends the batch again.
    assert_eq!(post_batch(&server, &batch).await.0, 200);
    let read = read_all(&nats, "EVENTSCOPE").await;
    let ids: Vec<&Value> = read
        .iter()
        .map(|(_, _, f)| &f["message"]["messageId"])
        .collect();
    assert_eq!(ids, [&json!("retried-1"), &json!("retried-2")]);
    let report = health(&server.addr.to_string()).await;
    assert_eq!(report["bus"]["duplicates"], 2, "{report}");
    assert_eq!(report["bus"]["lastAckSeq"], 2, "{report}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn rejected_and_delivery_frames_reach_the_bus() {
    let Some(nats) = NatsServer::start("rejected_and_delivery_frames_reach_the_bus") else {
        return;
    };
    let server = nats.collector().await;
    let auth = basic(WRITE_KEY);
    let (status, body) = post(
        &server,
        "/v1/track",
        "{not json",
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_json")));
    // Deliveries (the proxy's, the viewer's forwarding results) all pass through the hub.
    server.hub.publish_delivery(DeliveryFrame {
        destination: "upstream".into(),
        kind: "upstream".into(),
        message_ids: vec!["m-9".into()],
        status: Some(200),
        ..DeliveryFrame::default()
    });
    // Neither is waited for by an answer: wait (bounded) for them to arrive.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    // The collector created the stream when it started.
    let mut handle = stream(&nats, "EVENTSCOPE").await;
    while handle.info().await.unwrap().state.messages < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no rejected frame");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let read = read_all(&nats, "EVENTSCOPE").await;
    let src = subject::source_token(Some(WRITE_KEY));
    assert_eq!(read[0].1, format!("evs.{src}.rejected.x.x"));
    assert_eq!(read[0].2["type"], "rejected");
    assert_eq!(read[0].2["code"], "invalid_json");
    assert_eq!(read[1].1, "evs.nokey.delivery.x.x");
    assert_eq!(read[1].2["type"], "delivery");
    assert_eq!(read[1].2["messageIds"], json!(["m-9"]));
    assert!(read[1].2.get("seq").is_none(), "{}", read[1].2);
    assert_eq!(health(&server.addr.to_string()).await["bus"]["dropped"], 0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_bus_down_gets_503_and_the_collector_recovers_by_itself() {
    let Some(mut nats) =
        NatsServer::start("the_bus_down_gets_503_and_the_collector_recovers_by_itself")
    else {
        return;
    };
    let server = nats.collector().await;
    let addr = server.addr.to_string();
    assert_eq!(post_batch(&server, &[track("before", "u")]).await.0, 200);

    nats.stop();
    // The client notices the closed connection by itself, and /health says so.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while health(&addr).await["bus"]["state"] == "connected" {
        assert!(tokio::time::Instant::now() < deadline, "never disconnected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(health(&addr).await["bus"]["state"], "disconnected");
    let response = common::client()
        .post(format!("{}/v1/batch", server.http_url()))
        .header("authorization", basic(WRITE_KEY))
        .body(json!({"batch": [track("while-down", "u")]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response.headers()["retry-after"].to_str().unwrap(),
        "2",
        "SDKs wait this long before sending again"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "bus_unavailable", "{body}");
    assert_eq!(body["success"], false);
    let report = health(&addr).await;
    assert!(
        report["bus"]["unavailable"].as_u64().unwrap() >= 1,
        "{report}"
    );

    // The bus returns (same port, same store): the collector reconnects by itself.
    nats.restart();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut accepted = vec!["before".to_string()];
    for attempt in 0.. {
        let id = format!("after-{attempt}");
        let (status, body) = post_batch(&server, &[track(&id, "u")]).await;
        if status == 200 {
            accepted.push(id);
            break;
        }
        assert_eq!(
            (status, body["code"].as_str()),
            (503, Some("bus_unavailable"))
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "never recovered\n{}",
            nats.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(health(&addr).await["bus"]["state"], "connected");
    // Everything answered 200 is in the stream, once.
    let read = read_all(&nats, "EVENTSCOPE").await;
    let stored: Vec<String> = read
        .iter()
        .map(|(_, _, f)| f["message"]["messageId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored, accepted);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn serve_takes_the_bus_flags() {
    let Some(nats) = NatsServer::start("serve_takes_the_bus_flags") else {
        return;
    };
    let url = nats.url();
    let (child, mut lines, addr) = binary::serve(&[
        "--listen",
        "127.0.0.1:0",
        "--bus",
        &url,
        "--bus-stream",
        "TEAM_EVENTS",
        "--bus-max-age",
        "10m",
        "--bus-max-bytes",
        "64MiB",
        "--bus-duplicate-window",
        "30s",
    ])
    .await;
    let _ = &mut lines;
    let response = common::client()
        .post(format!("http://{addr}/v1/track"))
        .body(track("cli-1", "u").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let mut handle = stream(&nats, "TEAM_EVENTS").await;
    let info = handle.info().await.unwrap();
    assert_eq!(info.state.messages, 1);
    assert_eq!(info.config.max_age, Duration::from_secs(600));
    assert_eq!(info.config.max_bytes, 64 << 20);
    assert_eq!(info.config.duplicate_window, Duration::from_secs(30));
    let read = read_all(&nats, "TEAM_EVENTS").await;
    assert_eq!(
        read[0].1,
        format!(
            "evs.{}.track.{}",
            subject::NO_KEY,
            subject::person_digits(Some("u"))
        )
    );
    assert_eq!(health(&addr).await["bus"]["stream"], "TEAM_EVENTS");
    drop(child);
}

#[tokio::test]
async fn bus_flags_without_bus_are_a_usage_error() {
    let output = binary::eventscope()
        .args(["serve", "--listen", "127.0.0.1:0", "--bus-stream", "X"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bus"));
    let output = binary::eventscope()
        .args(["serve", "--bus", "kafka://127.0.0.1:9092"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nats://HOST:PORT"));
}
