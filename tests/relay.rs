//! `eventscope relay`: `/v1/stream` served from NATS JetStream, with `serve`'s contract. Each
//! test starts its own `nats-server` (a free port, a temp store dir), a collector publishing
//! to it (`serve --bus`, in process) and the relay as a child process; without `nats-server`
//! they say SKIPPED, and fail under `CI`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use async_nats::jetstream;
use common::nats::NatsServer;
use common::{Viewer, WRITE_KEY, basic, binary, post};
use eventscope::server::RunningServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// `eventscope relay --bus URL --listen 127.0.0.1:0 ARGS`: the child and its address.
async fn relay(nats: &NatsServer, args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>, String) {
    let mut child = binary::eventscope()
        .args(["relay", "--bus", &nats.url(), "--listen", "127.0.0.1:0"])
        .args(args)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let addr = binary::listening_address(&mut lines).await;
    (child, lines, addr)
}

fn track(id: &str) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": "user-1", "messageId": id})
}

async fn post_tracks(server: &RunningServer, ids: &[&str]) {
    let batch: Vec<Value> = ids.iter().map(|id| track(id)).collect();
    let auth = basic(WRITE_KEY);
    let body = json!({ "batch": batch }).to_string();
    let (status, body) = post(server, "/v1/batch", body, &[("authorization", &auth)]).await;
    assert_eq!(status, 200, "{body}");
}

/// (seq, messageId) of event frames.
fn events(frames: &[Value]) -> Vec<(u64, String)> {
    frames
        .iter()
        .map(|f| {
            assert_eq!(f["type"], "event", "{f}");
            (
                f["seq"].as_u64().expect("a seq"),
                f["message"]["messageId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(from: u64, ids: &[&str]) -> Vec<(u64, String)> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (from + i as u64, id.to_string()))
        .collect()
}

#[tokio::test]
async fn a_relay_viewer_gets_posted_frames_with_the_stream_sequence() {
    let Some(nats) =
        NatsServer::start("a_relay_viewer_gets_posted_frames_with_the_stream_sequence")
    else {
        return;
    };
    let server = nats.collector().await;
    post_tracks(&server, &["m-1", "m-2"]).await;
    let (_relay, _lines, addr) = relay(&nats, &[]).await;

    // Live only (no since): nothing of the past, then what is posted next.
    let (mut live, hello) = Viewer::connect_to(&addr, None).await;
    assert_eq!(
        (&hello["lastSeq"], &hello["oldestSeq"]),
        (&json!(2), &json!(1)),
        "{hello}"
    );
    let instance = hello["instance"].as_str().unwrap().to_string();
    assert!(!instance.is_empty());
    // It says it is a relay, and of which stream (the viewer's header shows it).
    assert_eq!(
        hello["relay"],
        json!({"bus": "nats", "stream": "EVENTSCOPE"}),
        "{hello}"
    );
    // Everything the stream holds, then live.
    let (mut all, hello) = Viewer::connect_to(&addr, Some(0)).await;
    assert_eq!(
        hello["instance"],
        instance.as_str(),
        "one stream, one instance"
    );
    assert_eq!(events(&all.take(2).await), pairs(1, &["m-1", "m-2"]));

    post_tracks(&server, &["m-3"]).await;
    assert_eq!(events(&[live.next().await]), pairs(3, &["m-3"]));
    assert_eq!(events(&[all.next().await]), pairs(3, &["m-3"]));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_viewer_resumes_across_a_relay_restart_without_duplicates_or_loss() {
    let Some(nats) = NatsServer::start("a_viewer_resumes_across_a_relay_restart") else {
        return;
    };
    let server = nats.collector().await;
    let (relay_a, _lines, addr) = relay(&nats, &[]).await;
    let (mut viewer, hello) = Viewer::connect_to(&addr, None).await;
    let instance = hello["instance"].as_str().unwrap().to_string();
    post_tracks(&server, &["m-1", "m-2", "m-3"]).await;
    let seen = events(&viewer.take(3).await);
    assert_eq!(seen, pairs(1, &["m-1", "m-2", "m-3"]));
    let last = seen[2].0;

    // The relay goes away; the collectors go on.
    drop(relay_a);
    post_tracks(&server, &["m-4", "m-5"]).await;
    let (_relay_b, _lines, addr) = relay(&nats, &[]).await;
    let url = format!("ws://{addr}/v1/stream?since={last}&instance={instance}");
    let mut viewer = Viewer::try_connect(&url, &[]).await.expect("connects");
    let hello = viewer.next().await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(
        hello["instance"],
        instance.as_str(),
        "the same stream, another relay"
    );
    assert_eq!(hello["lastSeq"], 5);
    post_tracks(&server, &["m-6"]).await;
    assert_eq!(
        events(&viewer.take(3).await),
        pairs(4, &["m-4", "m-5", "m-6"]),
        "exactly what followed seq {last}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn frames_the_stream_dropped_are_a_retention_gap() {
    let Some(nats) = NatsServer::start("frames_the_stream_dropped_are_a_retention_gap") else {
        return;
    };
    // The stream exists before the collector, holding 5 messages at most (a collector uses
    // an existing stream as it is).
    nats.jetstream()
        .await
        .create_stream(jetstream::stream::Config {
            name: "EVENTSCOPE".into(),
            subjects: vec!["evs.>".into()],
            max_messages: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    let server = nats.collector().await;
    let ids: Vec<String> = (1..=12).map(|i| format!("m-{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    post_tracks(&server, &ids).await;
    let (_relay, _lines, addr) = relay(&nats, &[]).await;

    let (mut viewer, hello) = Viewer::connect_to(&addr, Some(2)).await;
    assert_eq!(
        (&hello["oldestSeq"], &hello["lastSeq"]),
        (&json!(8), &json!(12)),
        "{hello}"
    );
    let gap = viewer.next().await;
    assert_eq!(gap["type"], "gap", "{gap}");
    assert_eq!((&gap["from"], &gap["to"]), (&json!(3), &json!(7)), "{gap}");
    assert!(
        gap["reason"].as_str().unwrap().starts_with("retention"),
        "{gap}"
    );
    assert_eq!(events(&viewer.take(5).await), pairs(8, &ids[7..]));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_recreated_stream_is_another_instance() {
    let Some(nats) = NatsServer::start("a_recreated_stream_is_another_instance") else {
        return;
    };
    let server = nats.collector().await;
    post_tracks(&server, &["m-1", "m-2"]).await;
    let (_relay, _lines, addr) = relay(&nats, &[]).await;
    let (mut live, hello) = Viewer::connect_to(&addr, None).await;
    let old = hello["instance"].as_str().unwrap().to_string();

    let context = nats.jetstream().await;
    context.delete_stream("EVENTSCOPE").await.unwrap();
    let config = jetstream::stream::Config {
        name: "EVENTSCOPE".into(),
        subjects: vec!["evs.>".into()],
        ..Default::default()
    };
    context.create_stream(config).await.unwrap();
    let frame =
        r#"{"type":"event","receivedAt":"2026-12-05T09:00:00Z","message":{"messageId":"new-1"}}"#;
    context
        .publish("evs.nokey.track.1.2", frame.into())
        .await
        .unwrap()
        .await
        .unwrap();

    for id in ["new-2", "new-3"] {
        let frame = frame.replace("new-1", id);
        context
            .publish("evs.nokey.track.1.2", frame.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    // A live viewer of the old stream is never sent the new stream's seqs as if they were the
    // old one's (seq 3 would follow its 2): it is closed, and reconnects to the new instance.
    let text = live.next_text_or_close().await;
    assert!(text.is_none(), "the old stream's viewer got {text:?}");

    // A client of the old stream names its instance: it gets the new stream from the start.
    let url = format!("ws://{addr}/v1/stream?since=2&instance={old}");
    let mut viewer = Viewer::try_connect(&url, &[]).await.expect("connects");
    let hello = viewer.next().await;
    assert_ne!(hello["instance"], old.as_str(), "{hello}");
    assert_eq!(events(&[viewer.next().await]), pairs(1, &["new-1"]));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_relay_keeps_serves_token_and_origin_rules() {
    let Some(nats) = NatsServer::start("the_relay_keeps_serves_token_and_origin_rules") else {
        return;
    };
    let server = nats.collector().await;
    let (_relay, _lines, addr) = relay(&nats, &["--token", "s3cret"]).await;
    let url = format!("ws://{addr}/v1/stream");
    let refused = Viewer::try_connect(&url, &[]).await.err().expect("refused");
    assert!(refused.to_string().contains("401"), "{refused}");
    let refused = Viewer::try_connect(&url, &[("authorization", "Bearer wrong")])
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("401"), "{refused}");
    let refused = Viewer::try_connect(
        &format!("{url}?token=s3cret"),
        &[("origin", "https://evil.example")],
    )
    .await
    .err()
    .expect("refused");
    assert!(refused.to_string().contains("403"), "{refused}");
    let mut viewer = Viewer::try_connect(&url, &[("authorization", "Bearer s3cret")])
        .await
        .expect("the token opens it");
    assert_eq!(viewer.next().await["type"], "hello");

    // Beyond loopback only with a token, as serve.
    let output = binary::eventscope()
        .args(["relay", "--bus", &nats.url(), "--listen", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--token"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn tail_follows_a_relay_unchanged() {
    let Some(nats) = NatsServer::start("tail_follows_a_relay_unchanged") else {
        return;
    };
    let server = nats.collector().await;
    post_tracks(&server, &["m-1", "m-2"]).await;
    let (_relay, _relay_lines, addr) = relay(&nats, &[]).await;
    let mut tail = binary::eventscope()
        .args(["tail", &format!("http://{addr}"), "--since", "0"])
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(tail.stdout.take().expect("piped")).lines();
    let mut frames = Vec::new();
    for _ in 0..2 {
        frames.push(serde_json::from_str::<Value>(&binary::next_line(&mut lines).await).unwrap());
    }
    post_tracks(&server, &["m-3"]).await;
    frames.push(serde_json::from_str(&binary::next_line(&mut lines).await).unwrap());
    assert_eq!(events(&frames), pairs(1, &["m-1", "m-2", "m-3"]));
    drop(tail);
    server.stop().await.unwrap();
}

/// `ws://ADDR/v1/stream?QUERY`, past its hello.
async fn narrowed(addr: &str, query: &str) -> Viewer {
    let url = format!("ws://{addr}/v1/stream?{query}");
    let mut viewer = Viewer::try_connect(&url, &[]).await.expect("connects");
    assert_eq!(viewer.next().await["type"], "hello");
    viewer
}

async fn post_batch(server: &RunningServer, batch: Vec<Value>) {
    let body = json!({ "batch": batch }).to_string();
    let auth = basic(WRITE_KEY);
    let (status, body) = post(server, "/v1/batch", body, &[("authorization", &auth)]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_sample_is_the_same_people_on_every_connection() {
    let Some(nats) = NatsServer::start("a_sample_is_the_same_people_on_every_connection") else {
        return;
    };
    let server = nats.collector().await;
    let users: Vec<String> = (0..400).map(|i| format!("user-{i}")).collect();
    let batch = users
        .iter()
        .map(|u| json!({"type": "track", "event": "Viewed", "userId": u, "messageId": format!("t-{u}")}))
        .collect();
    post_batch(&server, batch).await;
    let sampled: Vec<&String> = users
        .iter()
        .filter(|u| eventscope::bus::subject::person_digits(Some(u)).starts_with("3."))
        .collect();
    assert!(
        (20..=60).contains(&sampled.len()),
        "about 10 %: {}",
        sampled.len()
    );
    let (_relay, _lines, addr) = relay(&nats, &[]).await;

    let mut people = Vec::new();
    for _ in 0..2 {
        let mut viewer = narrowed(&addr, "since=0&sample=10").await;
        let frames = viewer.take(sampled.len()).await;
        let seen: Vec<String> = frames
            .iter()
            .map(|f| f["message"]["userId"].as_str().unwrap().to_string())
            .collect();
        people.push(seen);
    }
    assert_eq!(people[0], people[1], "the same people on every connection");
    let expected: Vec<String> = sampled.iter().map(|u| u.to_string()).collect();
    assert_eq!(people[0], expected);

    // Nothing else arrives: the next frame is the next sampled person's.
    let mut viewer = narrowed(&addr, "sample=10").await;
    let outside = users.iter().find(|u| !sampled.contains(u)).unwrap();
    post_batch(
        &server,
        vec![
            json!({"type": "track", "event": "Viewed", "userId": outside, "messageId": "out-1"}),
            json!({"type": "track", "event": "Viewed", "userId": sampled[0], "messageId": "in-1"}),
        ],
    )
    .await;
    assert_eq!(viewer.next().await["message"]["messageId"], "in-1");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn types_narrow_the_stream_to_those_calls() {
    let Some(nats) = NatsServer::start("types_narrow_the_stream_to_those_calls") else {
        return;
    };
    let server = nats.collector().await;
    post_batch(
        &server,
        vec![
            json!({"type": "track", "event": "A", "userId": "u", "messageId": "t-1"}),
            json!({"type": "page", "userId": "u", "messageId": "p-1"}),
            json!({"type": "identify", "userId": "u", "messageId": "i-1", "traits": {}}),
            json!({"type": "track", "event": "B", "anonymousId": "a", "messageId": "t-2"}),
            json!({"type": "screen", "userId": "u", "messageId": "s-1"}),
        ],
    )
    .await;
    let (_relay, _lines, addr) = relay(&nats, &[]).await;
    let ids = |frames: Vec<Value>| -> Vec<String> {
        frames
            .iter()
            .map(|f| f["message"]["messageId"].as_str().unwrap().to_string())
            .collect()
    };

    let mut tracks = narrowed(&addr, "since=0&types=track").await;
    assert_eq!(ids(tracks.take(2).await), ["t-1", "t-2"]);
    let mut two = narrowed(&addr, "since=0&types=track,identify").await;
    let frames = two.take(3).await;
    assert_eq!(
        frames
            .iter()
            .map(|f| f["seq"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 3, 4],
        "stream seqs, with the others skipped"
    );
    assert_eq!(ids(frames), ["t-1", "i-1", "t-2"]);
    // Live: only those types still.
    post_batch(
        &server,
        vec![
            json!({"type": "page", "userId": "u", "messageId": "p-2"}),
            json!({"type": "identify", "userId": "u", "messageId": "i-2", "traits": {}}),
            json!({"type": "track", "event": "C", "userId": "u", "messageId": "t-3"}),
        ],
    )
    .await;
    assert_eq!(ids(two.take(2).await), ["i-2", "t-3"]);
    assert_eq!(ids(tracks.take(1).await), ["t-3"]);

    let refused = Viewer::try_connect(&format!("ws://{addr}/v1/stream?types=Order"), &[])
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("400"), "{refused}");
    server.stop().await.unwrap();
}

/// The consumers JetStream holds on the `EVENTSCOPE` stream.
async fn consumers(nats: &NatsServer) -> usize {
    let mut stream = nats
        .jetstream()
        .await
        .get_stream("EVENTSCOPE")
        .await
        .unwrap();
    stream.info().await.unwrap().state.consumer_count
}

#[tokio::test]
async fn live_viewers_share_one_consumer_per_narrowing() {
    let Some(nats) = NatsServer::start("live_viewers_share_one_consumer_per_narrowing") else {
        return;
    };
    let server = nats.collector().await;
    post_tracks(&server, &["m-1"]).await;
    let (_relay, _lines, addr) = relay(&nats, &[]).await;
    let mut everything = Vec::new();
    for _ in 0..3 {
        everything.push(Viewer::connect_to(&addr, None).await.0);
    }
    let mut sampled = Vec::new();
    for _ in 0..2 {
        sampled.push(narrowed(&addr, "sample=10").await);
    }
    assert_eq!(
        consumers(&nats).await,
        2,
        "one per narrowing, not one per viewer"
    );
    // The relay's /health says the same: its feeds, their viewers, the stream.
    let report = common::health(&addr).await;
    assert_eq!(report["role"], "relay", "{report}");
    assert_eq!(report["viewers"], 5, "{report}");
    assert_eq!(
        report["feeds"],
        json!([
            {"narrowing": "all", "viewers": 3, "lastSeq": 0},
            {"narrowing": "sample=10%", "viewers": 2, "lastSeq": 0},
        ]),
        "{report}"
    );
    let bus = &report["bus"];
    assert_eq!(
        (&bus["state"], &bus["stream"]),
        (&json!("connected"), &json!("EVENTSCOPE"))
    );
    assert_eq!(bus["streamState"]["lastSeq"], 1, "{report}");
    assert_eq!(bus["streamState"]["consumers"], 2, "{report}");
    assert!(report["connections"].as_u64() >= Some(6), "{report}");

    let inside = (0..)
        .map(|i| format!("user-{i}"))
        .find(|u| eventscope::bus::subject::person_digits(Some(u)).starts_with("3."))
        .unwrap();
    post_batch(
        &server,
        vec![
            json!({"type": "track", "event": "A", "userId": "someone", "messageId": "m-2"}),
            json!({"type": "track", "event": "A", "userId": inside, "messageId": "m-3"}),
        ],
    )
    .await;
    let all = [(2, "m-2".to_string()), (3, "m-3".to_string())];
    for viewer in &mut everything {
        assert_eq!(events(&viewer.take(2).await), all);
    }
    for viewer in &mut sampled {
        assert_eq!(events(&[viewer.next().await]), all[1..]);
    }
    // A viewer resuming with since reads a consumer of its own until it has caught up, then
    // the shared feed: what follows arrives once, nothing is skipped.
    let (mut resuming, _) = Viewer::connect_to(&addr, Some(0)).await;
    let history = events(&resuming.take(3).await);
    assert_eq!(
        history,
        [(1, "m-1".to_string()), all[0].clone(), all[1].clone()]
    );
    post_tracks(&server, &["m-4"]).await;
    post_tracks(&server, &["m-5"]).await;
    assert_eq!(
        events(&resuming.take(2).await),
        [(4, "m-4".to_string()), (5, "m-5".to_string())]
    );
    for viewer in &mut everything {
        assert_eq!(events(&viewer.take(2).await)[1], (5, "m-5".to_string()));
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_source_narrows_the_stream_to_one_write_key() {
    let Some(nats) = NatsServer::start("a_source_narrows_the_stream_to_one_write_key") else {
        return;
    };
    let server = nats.collector().await;
    for (key, id) in [("wk_a", "a-1"), ("wk_b", "b-1"), ("wk_a", "a-2")] {
        let body = json!({"batch": [track(id)]}).to_string();
        let auth = basic(key);
        let (status, _) = post(&server, "/v1/batch", body, &[("authorization", &auth)]).await;
        assert_eq!(status, 200);
    }
    let (_relay, _lines, addr) = relay(&nats, &[]).await;
    let src = eventscope::bus::subject::source_token(Some("wk_a"));
    let mut viewer = narrowed(&addr, &format!("since=0&source={src}")).await;
    assert_eq!(
        events(&viewer.take(2).await),
        [(1, "a-1".to_string()), (3, "a-2".to_string())]
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn two_collectors_and_two_relays_give_every_viewer_one_order() {
    let Some(nats) = NatsServer::start("two_collectors_and_two_relays_give_every_viewer_one_order")
    else {
        return;
    };
    let (a, b) = (nats.collector().await, nats.collector().await);
    let (_relay_a, _lines_a, addr_a) = relay(&nats, &[]).await;
    let (_relay_b, _lines_b, addr_b) = relay(&nats, &[]).await;
    let (mut on_a, _) = Viewer::connect_to(&addr_a, None).await;
    let (mut on_b, _) = Viewer::connect_to(&addr_b, None).await;
    // Both collectors post at once.
    let ids_a: Vec<String> = (1..=20).map(|i| format!("a-{i}")).collect();
    let ids_b: Vec<String> = (1..=20).map(|i| format!("b-{i}")).collect();
    let posting = ids_a.iter().zip(&ids_b).map(|(id_a, id_b)| {
        let (a, b) = (&a, &b);
        async move {
            post_tracks(a, &[id_a]).await;
            post_tracks(b, &[id_b]).await;
        }
    });
    futures_util::future::join_all(posting).await;
    let seen_a = events(&on_a.take(40).await);
    let seen_b = events(&on_b.take(40).await);
    assert_eq!(seen_a, seen_b, "one order for both viewers");
    assert_eq!(
        seen_a.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (1..=40).collect::<Vec<u64>>()
    );
    let mut ids: Vec<&str> = seen_a.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort_unstable();
    let mut posted: Vec<&str> = ids_a.iter().chain(&ids_b).map(String::as_str).collect();
    posted.sort_unstable();
    assert_eq!(
        ids, posted,
        "what collector A got reaches relay B, and the reverse"
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn a_relay_started_before_the_bus_serves_once_it_comes_up() {
    let Some(mut nats) =
        NatsServer::start("a_relay_started_before_the_bus_serves_once_it_comes_up")
    else {
        return;
    };
    nats.stop();
    // The relay starts anyway (a bus restarted with the relay is routine), and says so.
    let (_relay, _lines, addr) = relay(&nats, &[]).await;
    let report = common::health(&addr).await;
    assert_ne!(report["bus"]["state"], "connected", "{report}");
    assert!(report["bus"].get("streamState").is_none(), "{report}");
    let refused = Viewer::try_connect(&format!("ws://{addr}/v1/stream"), &[])
        .await
        .err()
        .expect("no viewer without a bus");
    assert!(refused.to_string().contains("503"), "{refused}");

    nats.restart();
    let deadline = tokio::time::Instant::now() + common::DEADLINE;
    while common::health(&addr).await["bus"]["state"] != "connected" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay never reconnected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Connected, and still no stream: a relay never creates it (a collector does).
    let context = nats.jetstream().await;
    assert!(context.get_stream("EVENTSCOPE").await.is_err());
    let server = nats.collector().await;
    post_tracks(&server, &["m-1"]).await;
    // A viewer retrying (as clients do) gets the stream.
    let mut viewer = loop {
        if let Ok(connected) =
            Viewer::try_connect(&format!("ws://{addr}/v1/stream?since=0"), &[]).await
        {
            break connected;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay never reconnected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let hello = viewer.next().await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(events(&viewer.take(1).await), pairs(1, &["m-1"]));
    let report = common::health(&addr).await;
    assert_eq!(report["bus"]["state"], "connected", "{report}");
    assert_eq!(report["bus"]["streamState"]["lastSeq"], 1, "{report}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_relay_closes_connections_that_send_no_request() {
    let Some(nats) = NatsServer::start("the_relay_closes_connections_that_send_no_request") else {
        return;
    };
    let (_relay, _lines, addr) = relay(&nats, &["--header-timeout", "300ms"]).await;
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(
        common::DEADLINE,
        tokio::io::AsyncReadExt::read(&mut silent, &mut buf),
    )
    .await
    .expect("still open at the deadline");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let report = common::health(&addr).await;
    assert_eq!(report["timedOutConnections"], 1, "{report}");
    assert_eq!(
        report["maxConnections"].as_u64().map(|n| n > 0),
        Some(true),
        "{report}"
    );
}

#[tokio::test]
async fn a_viewers_delivery_frames_reach_the_viewers_of_every_relay() {
    let Some(nats) =
        NatsServer::start("a_viewers_delivery_frames_reach_the_viewers_of_every_relay")
    else {
        return;
    };
    let server = nats.collector().await;
    post_tracks(&server, &["m-1"]).await;
    let (_one, _lines, first) = relay(&nats, &[]).await;
    let (_two, _lines, second) = relay(&nats, &[]).await;
    let (mut sender, _) = Viewer::connect_to(&first, None).await;
    let (mut other, _) = Viewer::connect_to(&second, None).await;

    // A viewer of the first relay forwarded m-1 (as the viewer's forward does).
    let delivery = json!({
        "type": "delivery", "seq": 999, "at": "2026-12-05T10:00:01.000Z",
        "destination": "amp-dev", "kind": "amplitude", "forSeqs": [1], "messageIds": ["m-1"],
        "events": ["Order Completed"], "users": ["user-1"], "status": 200, "ok": true,
    });
    sender.send_text(&delivery.to_string()).await;
    for viewer in [&mut other, &mut sender] {
        let frame = viewer.next().await;
        assert_eq!(frame["type"], "delivery", "{frame}");
        assert_eq!(frame["seq"], 2, "the stream numbers it: {frame}");
        assert_eq!(
            (&frame["destination"], &frame["messageIds"]),
            (&json!("amp-dev"), &json!(["m-1"])),
            "{frame}"
        );
    }
    // On the bus it is about no person and no source.
    let read = nats.jetstream().await;
    let stream = read.get_stream("EVENTSCOPE").await.unwrap();
    let stored = stream.get_raw_message(2).await.unwrap();
    assert_eq!(stored.subject.as_str(), "evs.nokey.delivery.x.x");
    assert_eq!(common::health(&first).await["bus"]["dropped"], 0);
    server.stop().await.unwrap();
}
