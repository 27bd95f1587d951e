//! The live stream contract: resume without duplicates, explicit gaps, slow subscribers that
//! never slow ingestion, origin and token checks, and recordings identical to the stream.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::io::Write;

use common::*;
use eventscope::model::Frame;
use eventscope::recording::{ReadItem, RecordingReader};
use eventscope::server::{ServeError, Server};
use serde_json::{Value, json};

fn track(n: usize) -> String {
    json!({"type": "track", "event": format!("E{n}"), "userId": "u"}).to_string()
}

async fn post_tracks(server: &eventscope::server::RunningServer, range: std::ops::Range<usize>) {
    for n in range {
        let (status, _) = post(server, "/v1/track", track(n), &[]).await;
        assert_eq!(status, 200);
    }
}

fn seqs(frames: &[Value]) -> Vec<u64> {
    frames.iter().map(|f| f["seq"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn resume_after_a_disconnect_delivers_exactly_the_missed_frames() {
    let server = start_default().await;
    let (mut viewer, hello) = Viewer::connect(&server, Some(0)).await;
    assert_eq!(hello["lastSeq"], 0);
    assert_eq!(hello["version"], 1);
    post_tracks(&server, 0..3).await;
    let seen = viewer.take(3).await;
    assert_eq!(seqs(&seen), [1, 2, 3]);
    viewer.close().await;

    post_tracks(&server, 3..8).await;
    let (mut viewer, hello) = Viewer::connect(&server, Some(3)).await;
    assert_eq!(
        (hello["oldestSeq"].as_u64(), hello["lastSeq"].as_u64()),
        (Some(1), Some(8))
    );
    let missed = viewer.take(5).await;
    assert_eq!(seqs(&missed), [4, 5, 6, 7, 8]);
    assert_eq!(missed[0]["message"]["event"], "E3");
    post_tracks(&server, 8..9).await;
    let live = viewer.next().await;
    assert_eq!(live["seq"], 9, "no duplicates, then live: {live}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn several_viewers_see_the_same_frames() {
    let server = start_default().await;
    let (mut a, _) = Viewer::connect(&server, None).await;
    let (mut b, _) = Viewer::connect(&server, None).await;
    post(
        &server,
        "/v1/batch",
        batch_of(&fixture_messages()[..20]),
        &[],
    )
    .await;
    let mut texts_a = Vec::new();
    let mut texts_b = Vec::new();
    for _ in 0..20 {
        texts_a.push(a.next_text().await);
        texts_b.push(b.next_text().await);
    }
    assert_eq!(texts_a, texts_b);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn resuming_from_before_the_retained_frames_starts_with_a_gap() {
    let mut config = config();
    config.buffer = 10;
    let server = start(config).await;
    post_tracks(&server, 0..30).await;
    let (mut viewer, hello) = Viewer::connect(&server, Some(0)).await;
    assert_eq!(hello["oldestSeq"], 21);
    let gap = viewer.next().await;
    assert_eq!(gap["type"], "gap", "{gap}");
    assert_eq!(
        (gap["from"].as_u64(), gap["to"].as_u64()),
        (Some(1), Some(20))
    );
    assert!(gap["reason"].as_str().unwrap().contains("evicted"));
    assert_eq!(seqs(&viewer.take(10).await), (21..=30).collect::<Vec<_>>());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn resuming_ahead_of_a_restarted_server_gets_a_gap_saying_so_then_everything_retained() {
    let mut config = config();
    config.buffer = 10;
    let server = start(config).await;
    post_tracks(&server, 0..30).await;
    // A client of the previous instance, that saw up to 3000, not naming the instance.
    let (mut viewer, hello) = Viewer::connect(&server, Some(3000)).await;
    assert_eq!(hello["lastSeq"], 30);
    let restart = viewer.next().await;
    assert_eq!(restart["type"], "gap", "{restart}");
    assert_eq!(
        (restart["from"].as_u64(), restart["to"].as_u64()),
        (Some(31), Some(3000)),
        "the seqs it counted past this server's last: {restart}"
    );
    let reason = restart["reason"].as_str().unwrap();
    assert!(
        reason.contains("3000 is ahead of this server's last seq 30")
            && reason.contains("restarted")
            && reason.contains("everything retained"),
        "{reason}"
    );
    // Then everything this server retains (21..=30; 1..=20 were evicted, and said so).
    let evicted = viewer.next().await;
    assert_eq!(
        (
            evicted["type"].as_str(),
            evicted["from"].as_u64(),
            evicted["to"].as_u64()
        ),
        (Some("gap"), Some(1), Some(20)),
        "{evicted}"
    );
    assert_eq!(seqs(&viewer.take(10).await), (21..=30).collect::<Vec<_>>());
    post_tracks(&server, 30..31).await;
    assert_eq!(viewer.next().await["seq"], 31, "then live");
    viewer.close().await;

    // Naming an old instance: everything retained, no restart gap (the client knows).
    let url = format!("{}?since=3000&instance=an-earlier-one", server.stream_url());
    let mut viewer = Viewer::try_connect(&url, &[]).await.unwrap();
    assert_eq!(viewer.next().await["type"], "hello");
    let evicted = viewer.next().await;
    assert_eq!(
        (evicted["from"].as_u64(), evicted["to"].as_u64()),
        (Some(1), Some(21))
    );
    assert_eq!(seqs(&viewer.take(10).await), (22..=31).collect::<Vec<_>>());
    viewer.close().await;

    // Naming this instance, at its last seq: nothing missed, no gap.
    let instance = hello["instance"].as_str().unwrap();
    let url = format!("{}?since=31&instance={instance}", server.stream_url());
    let mut viewer = Viewer::try_connect(&url, &[]).await.unwrap();
    assert_eq!(viewer.next().await["type"], "hello");
    post_tracks(&server, 31..32).await;
    assert_eq!(viewer.next().await["seq"], 32);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn bytes_bound_retention_and_a_resuming_viewer_is_told_so() {
    let mut config = config();
    config.buffer_bytes = 64 * 1024;
    let server = start(config).await;
    for n in 0..100 {
        let (status, _) = post(&server, "/v1/track", message_of(2000, n), &[]).await;
        assert_eq!(status, 200);
    }
    let health = health(&server.addr.to_string()).await;
    let retained_bytes = health["retainedBytes"].as_u64().unwrap();
    assert!(retained_bytes <= 64 * 1024, "{health}");
    assert!(health["evicted"].as_u64().unwrap() > 0, "{health}");
    let (mut viewer, hello) = Viewer::connect(&server, Some(0)).await;
    let gap = viewer.next().await;
    assert_eq!(gap["type"], "gap", "{gap}");
    assert_eq!(
        gap["to"].as_u64().unwrap() + 1,
        hello["oldestSeq"].as_u64().unwrap()
    );
    assert!(
        gap["reason"]
            .as_str()
            .unwrap()
            .contains("at most 65,536 bytes of frames (--buffer-bytes)"),
        "{gap}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_does_not_slow_ingestion_and_gets_a_gap() {
    let mut config = config();
    config.buffer = 500;
    let server = start(config).await;
    // Connected, then not reading a byte while ~60 MB of frames are published: far more than
    // the socket buffers hold, so the server must leave this viewer behind.
    let (mut stalled, _) = Viewer::connect(&server, None).await;
    let padding = "p".repeat(2500);
    let messages: Vec<String> = (0..100)
        .map(|i| {
            json!({"type": "track", "event": "Bulk", "userId": "u",
                        "properties": {"i": i, "padding": padding}})
            .to_string()
        })
        .collect();
    let body = batch_of(&messages);
    for _ in 0..200 {
        let (status, _) = post(&server, "/v1/batch", body.clone(), &[]).await;
        assert_eq!(status, 200, "ingestion answers while a viewer is stalled");
    }
    let last = 200 * 100;
    assert_eq!(server.hub.status().last_seq, last);

    let mut gaps = Vec::new();
    let mut next_expected = 1;
    loop {
        let frame = stalled.next().await;
        match frame["type"].as_str() {
            Some("gap") => {
                let (from, to) = (
                    frame["from"].as_u64().unwrap(),
                    frame["to"].as_u64().unwrap(),
                );
                assert_eq!(from, next_expected, "a gap starts where frames stopped");
                assert!(
                    frame["reason"].as_str().unwrap().contains("too slow"),
                    "{frame}"
                );
                gaps.push((from, to));
                next_expected = to + 1;
            }
            Some("event") => {
                let seq = frame["seq"].as_u64().unwrap();
                assert_eq!(seq, next_expected, "in order, no duplicates");
                next_expected = seq + 1;
                if seq == last {
                    break;
                }
            }
            other => panic!("unexpected frame {other:?}"),
        }
    }
    assert!(
        !gaps.is_empty(),
        "the stalled viewer was told what it missed"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn cross_origin_upgrades_are_refused_and_loopback_pages_allowed() {
    let server = start_default().await;
    let url = server.stream_url();
    let refused = Viewer::try_connect(&url, &[("Origin", "https://evil.example")]).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], "origin_refused");
        }
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    for origin in ["http://localhost:3000", "http://127.0.0.1:8080"] {
        let mut viewer = Viewer::try_connect(&url, &[("Origin", origin)])
            .await
            .unwrap();
        assert_eq!(viewer.next().await["type"], "hello");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_token_is_enforced_when_set_and_required_beyond_loopback() {
    let mut open_config = config();
    open_config.listen = "0.0.0.0:0".parse().unwrap();
    match Server::bind(open_config.clone()).await {
        Err(e @ ServeError::TokenRequired(_)) => assert!(e.to_string().contains("--token")),
        other => panic!("expected TokenRequired, got {:?}", other.err()),
    }

    let mut config = config();
    config.token = Some("s3cret-token".into());
    let server = start(config).await;
    let url = server.stream_url();
    for (headers, query, code) in [
        (vec![], "", "token_required"),
        (vec![("Authorization", "Bearer wrong")], "", "invalid_token"),
        (vec![], "?token=wrong", "invalid_token"),
        (vec![], "?token=", "invalid_token"),
    ] {
        match Viewer::try_connect(&format!("{url}{query}"), &headers).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
                let body: Value =
                    serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
                assert_eq!(body["code"], code);
            }
            other => panic!("expected 401, got {:?}", other.map(|_| ())),
        }
    }
    let mut viewer = Viewer::try_connect(&url, &[("Authorization", "Bearer s3cret-token")])
        .await
        .unwrap();
    assert_eq!(viewer.next().await["type"], "hello");
    let mut viewer = Viewer::try_connect(&format!("{url}?token=s3cret-token"), &[])
        .await
        .unwrap();
    assert_eq!(viewer.next().await["type"], "hello");
    // The tracking API itself needs no stream token.
    assert_eq!(post(&server, "/v1/track", track(1), &[]).await.0, 200);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_recording_holds_one_line_per_frame_identical_to_the_stream() {
    let dir = tempdir();
    let path = dir.join("session.ndjson");
    let mut config = config();
    config.record = Some(path.clone());
    let server = start(config).await;
    let (mut viewer, _) = Viewer::connect(&server, Some(0)).await;
    post(
        &server,
        "/v1/batch",
        batch_of(&fixture_messages()[..25]),
        &[],
    )
    .await;
    post(&server, "/v1/track", "{broken", &[]).await;
    post_tracks(&server, 0..4).await;
    let mut streamed = Vec::new();
    for _ in 0..30 {
        streamed.push(viewer.next_text().await);
    }
    server.stop().await.unwrap();
    let recorded = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = recorded.lines().collect();
    assert_eq!(lines, streamed);
    assert!(lines[25].starts_with(r#"{"type":"rejected","seq":26,"#));

    // Read back: every frame, in order.
    let frames: Vec<Frame> = RecordingReader::open(&path)
        .unwrap()
        .map(|item| match item {
            ReadItem::Frame { frame, .. } => frame,
            ReadItem::Problem { message, .. } => panic!("{message}"),
        })
        .collect();
    assert_eq!(frames.len(), 30);
    assert_eq!(frames[29].seq(), Some(30));
    assert!(matches!(frames[25], Frame::Rejected(_)));
}

#[test]
fn a_torn_last_line_is_skipped_with_a_warning_naming_it() {
    let dir = tempdir();
    let path = dir.join("torn.ndjson");
    let mut file = std::fs::File::create(&path).unwrap();
    let good = r#"{"type":"event","seq":1,"receivedAt":"2026-11-22T00:00:00.000Z","source":{"path":"/v1/t"},"message":{"type":"track","event":"A"}}"#;
    writeln!(file, "{good}").unwrap();
    writeln!(file, "this line is not json").unwrap();
    writeln!(file, "{}", good.replace("\"seq\":1", "\"seq\":2")).unwrap();
    write!(file, "{}", &good[..60]).unwrap();
    drop(file);
    let items: Vec<ReadItem> = RecordingReader::open(&path).unwrap().collect();
    let problems: Vec<(u64, String)> = items
        .iter()
        .filter_map(|item| match item {
            ReadItem::Problem { line, message, .. } => Some((*line, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0].0, 2);
    assert!(problems[0].1.contains(":2:"), "{}", problems[0].1);
    assert_eq!(problems[1].0, 4);
    assert!(problems[1].1.contains("incomplete"), "{}", problems[1].1);
    let frames = items
        .iter()
        .filter(|item| matches!(item, ReadItem::Frame { .. }))
        .count();
    assert_eq!(frames, 2);

    // Appending to it later starts a fresh line: the torn one stays isolated.
    let mut recorder = eventscope::recording::Recorder::open(&path).unwrap();
    recorder.append([good.as_bytes()]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with(&format!("\n{good}\n")));
}

#[test]
fn the_reader_takes_gzip_bare_messages_and_batches() {
    let dir = tempdir();
    let path = dir.join("plain.ndjson.gz");
    let fixtures = fixture_messages();
    let mut text = String::new();
    text.push_str(&fixtures[0]);
    text.push('\n');
    text.push_str(&batch_of(&fixtures[1..4]));
    text.push_str("\n\n[1,2,3]\n");
    text.push_str(&fixtures[4]);
    text.push('\n');
    std::fs::write(&path, gzip(text.as_bytes())).unwrap();
    let items: Vec<ReadItem> = RecordingReader::open(&path).unwrap().collect();
    let mut seqs = Vec::new();
    let mut lines = Vec::new();
    for item in &items {
        match item {
            ReadItem::Frame {
                frame: Frame::Event(event),
                line,
            } => {
                seqs.push(event.seq);
                lines.push(*line);
            }
            ReadItem::Problem { line, message, .. } => {
                assert_eq!(*line, 4, "{message}");
                assert!(message.contains("array"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(lines, [1, 2, 2, 2, 5]);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eventscope-test-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_viewers_delivery_frames_sent_on_its_socket_reach_every_subscriber_and_the_recording() {
    use eventscope::model::DeliveryFrame;
    use eventscope::stream::client::{ClientEvent, ClientOptions, follow_publishing};

    let recording = std::env::temp_dir().join(format!(
        "eventscope-published-{}.ndjson",
        uuid::Uuid::new_v4()
    ));
    let mut config = config();
    config.token = Some("s3cret-token".into());
    config.record = Some(recording.clone());
    let server = start(config).await;
    let url = format!("ws://{}/v1/stream", server.addr);
    let mut other = Viewer::try_connect(&url, &[("Authorization", "Bearer s3cret-token")])
        .await
        .unwrap();
    assert_eq!(other.next().await["type"], "hello");

    // A viewer connected to this collector (as `connect` does) sends its delivery.
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut events = follow_publishing(
        ClientOptions {
            url: url.clone(),
            token: Some("s3cret-token".into()),
            since: Some(0),
        },
        rx,
    );
    let delivery = DeliveryFrame {
        at: "2026-12-05T10:00:01.000Z".into(),
        destination: "amp-dev".into(),
        kind: "amplitude".into(),
        for_seqs: vec![7],
        message_ids: vec!["m-7".into()],
        events: vec!["Order Completed".into()],
        users: vec!["u-7".into()],
        status: Some(200),
        ok: true,
        seq: Some(999),
        ..DeliveryFrame::default()
    };
    tx.send(delivery).await.unwrap();

    let frame = tokio::time::timeout(DEADLINE, other.next()).await.unwrap();
    assert_eq!(frame["type"], "delivery", "{frame}");
    assert_eq!(frame["seq"], 1, "the hub numbers it: {frame}");
    assert_eq!(frame["users"], json!(["u-7"]), "{frame}");
    assert_eq!(frame["events"], json!(["Order Completed"]), "{frame}");
    assert_eq!(frame["messageIds"], json!(["m-7"]), "{frame}");
    // The sender gets it back like any subscriber.
    let echoed = tokio::time::timeout(DEADLINE, async {
        loop {
            match events.recv().await {
                Some(ClientEvent::Frame {
                    frame: Frame::Delivery(d),
                    ..
                }) => return d,
                Some(_) => continue,
                None => panic!("the client stopped"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(echoed.users, ["u-7"]);
    other.close().await;
    server.stop().await.unwrap();
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"{"type":"delivery","seq":1,"#) && l.contains("amp-dev")),
        "{text}"
    );
    let _ = std::fs::remove_file(&recording);
}

#[tokio::test]
async fn text_a_client_sends_that_is_not_a_delivery_frame_is_ignored() {
    use futures_util::SinkExt;
    let server = start_default().await;
    let (mut viewer, _) = Viewer::connect(&server, Some(0)).await;
    let bogus = [
        r#"{"type":"event","seq":5,"receivedAt":"t","source":{"path":"/v1/t"},"message":{}}"#,
        "not json",
        r#"{"type":"track","event":"x"}"#,
    ];
    for text in bogus {
        viewer
            .ws
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .unwrap();
    }
    post_tracks(&server, 0..1).await;
    let frame = viewer.next().await;
    assert_eq!(
        (frame["type"].as_str(), frame["seq"].as_u64()),
        (Some("event"), Some(1)),
        "nothing the client sent became a frame: {frame}"
    );
    viewer.close().await;
    server.stop().await.unwrap();
}
