//! A three-node R3 JetStream cluster on loopback under load: an SDK-like publisher posts
//! continuously to a collector (`serve --bus` with all three servers, `--bus-replicas 3`), a
//! viewer watches a relay, and the stream's leader is killed by its PID mid-run. Every message
//! answered 200 reaches the viewer exactly once, and the killed node, restarted, catches up.
//! Without `nats-server` it says SKIPPED, and fails under `CI`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cluster::{NODES, NatsCluster};
use common::{WRITE_KEY, basic, client};
use eventscope::bus::{BusConfig, DEFAULT_STREAM, StreamSettings};
use eventscope::server::RunningServer;
use eventscope::stream::StreamAccess;
use eventscope_core::relay::{Relay, RelayConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Messages per POST (each with its own messageId).
const BATCH: usize = 10;
/// Batches acknowledged before the leader is killed, and again after a new one leads.
const BATCHES_PER_PHASE: usize = 40;
/// How long an SDK waits before it retries a refused or failed POST.
const RETRY_AFTER: Duration = Duration::from_millis(100);
/// A guard against hangs for the whole run (elections, consumer recreation): never a timing
/// assertion.
const RUN_DEADLINE: Duration = Duration::from_secs(120);

/// A collector (`serve --bus URL,URL,URL --bus-replicas 3`, in process) on the cluster.
async fn collector(cluster: &NatsCluster) -> RunningServer {
    let mut config = common::config();
    config.bus = Some(BusConfig {
        servers: cluster.urls(),
        stream: StreamSettings {
            replicas: NODES,
            ..StreamSettings::default()
        },
    });
    common::start(config).await
}

/// A relay (in process) on the cluster: its address.
async fn relay(cluster: &NatsCluster) -> String {
    let relay = Relay::bind(RelayConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        servers: cluster.urls(),
        stream: DEFAULT_STREAM.to_string(),
        access: StreamAccess::default(),
        connections: eventscope::server::ConnectionLimits::default(),
    })
    .await
    .expect("the relay binds");
    let addr = relay.local_addr().unwrap().to_string();
    tokio::spawn(relay.run(std::future::pending()));
    addr
}

/// What the publisher has had acknowledged with a 200.
#[derive(Default)]
struct Published {
    stop: AtomicBool,
    batches: AtomicUsize,
    /// The messageIds answered 200.
    acked: Mutex<Vec<String>>,
    /// POSTs refused (503) or failed (connection), each retried with the same body.
    retried: AtomicUsize,
}

/// Posts batches of tracks with unique messageIds until told to stop, retrying a refused or
/// failed POST with the same body as an SDK does, until it is answered 200.
async fn publish(server_url: String, published: Arc<Published>) {
    let http = client();
    let auth = basic(WRITE_KEY);
    let started = Instant::now();
    let mut n = 0;
    while !published.stop.load(Ordering::Relaxed) {
        let ids: Vec<String> = (0..BATCH).map(|i| format!("m-{n}-{i}")).collect();
        let batch: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"type": "track", "event": "Cluster Ping", "userId": format!("user-{i}"),
                       "messageId": id, "properties": {"batch": n}})
            })
            .collect();
        let body = json!({ "batch": batch }).to_string();
        loop {
            assert!(
                started.elapsed() < RUN_DEADLINE,
                "batch {n} never acknowledged"
            );
            let answer = http
                .post(format!("{server_url}/v1/batch"))
                .header("authorization", &auth)
                .body(body.clone())
                .send()
                .await;
            match answer {
                Ok(response) if response.status() == 200 => break,
                Ok(response) => assert_eq!(
                    response.status(),
                    503,
                    "only bus_unavailable may refuse: {:?}",
                    response.text().await
                ),
                Err(_) => {}
            }
            published.retried.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(RETRY_AFTER).await;
        }
        published.acked.lock().unwrap().extend(ids);
        published.batches.fetch_add(1, Ordering::Relaxed);
        n += 1;
    }
}

/// Event frames a viewer got: (seq, messageId).
type Seen = Arc<Mutex<Vec<(u64, String)>>>;

/// Reads `ws://ADDR/v1/stream` live (from its hello on) into `seen`; panics on a gap, a
/// close or an error: the viewer must be served through the leader change.
async fn watch(addr: &str) -> (Seen, tokio::task::JoinHandle<()>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/stream"))
        .await
        .expect("the viewer connects");
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    let seen: Seen = Arc::default();
    let filling = Arc::clone(&seen);
    let reading = tokio::spawn(async move {
        loop {
            let frame = next_frame(&mut ws).await;
            assert_eq!(
                frame["type"], "event",
                "only events on this stream: {frame}"
            );
            let seq = frame["seq"].as_u64().expect("a seq");
            let id = frame["message"]["messageId"].as_str().expect("an id");
            filling.lock().unwrap().push((seq, id.to_string()));
        }
    });
    (seen, reading)
}

async fn next_frame(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let message = tokio::time::timeout(RUN_DEADLINE, ws.next())
            .await
            .expect("a frame within the run's deadline")
            .expect("the relay keeps the stream open")
            .expect("no websocket error");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON"),
            Message::Ping(payload) => {
                let _ = ws.send(Message::Pong(payload)).await;
            }
            Message::Close(frame) => panic!("the relay closed the stream: {frame:?}"),
            _ => {}
        }
    }
}

/// Waits (bounded by the run's deadline) until `done` holds, checking every 50 ms.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < RUN_DEADLINE, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_reach_a_relay_viewer_once_through_a_stream_leader_kill() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
    let Some(mut cluster) = NatsCluster::start(
        "acknowledged_messages_reach_a_relay_viewer_once_through_a_stream_leader_kill",
    ) else {
        return;
    };
    let server = collector(&cluster).await;
    let relay_addr = relay(&cluster).await;
    let (seen, mut viewer) = watch(&relay_addr).await;

    let published = Arc::new(Published::default());
    let publisher = tokio::spawn(publish(server.http_url(), Arc::clone(&published)));
    let batches = || published.batches.load(Ordering::Relaxed);
    until("the first batches are acknowledged", || {
        batches() >= BATCHES_PER_PHASE
    })
    .await;

    // Mid-run, the stream's leader goes away without a word to its peers.
    let leader = tokio::task::block_in_place(|| cluster.stream_leader(DEFAULT_STREAM));
    let pid = cluster.pid(leader).expect("the leader runs");
    tokio::task::block_in_place(|| cluster.kill(leader));
    let successor = tokio::task::block_in_place(|| cluster.stream_leader(DEFAULT_STREAM));
    assert_ne!(
        successor, leader,
        "a new leader (the old one, PID {pid}, is dead)"
    );
    let at_election = batches();
    until("batches are acknowledged under the new leader", || {
        batches() >= at_election + BATCHES_PER_PHASE
    })
    .await;
    published.stop.store(true, Ordering::Relaxed);
    publisher.await.expect("the publisher");
    let acked = published.acked.lock().unwrap().clone();

    // The viewer gets every acknowledged message, once, in stream order.
    let expected: HashSet<&String> = acked.iter().collect();
    let started = Instant::now();
    loop {
        let frames = seen.lock().unwrap().clone();
        let ids: HashSet<&String> = frames.iter().map(|(_, id)| id).collect();
        if expected.is_subset(&ids) {
            break;
        }
        if viewer.is_finished() {
            (&mut viewer).await.expect("the viewer reads on");
        }
        assert!(
            started.elapsed() < RUN_DEADLINE,
            "the viewer got {} of {} acknowledged messages ({} POSTs retried); missing e.g. {:?}",
            ids.len(),
            expected.len(),
            published.retried.load(Ordering::Relaxed),
            expected.difference(&ids).take(5).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Everything the stream holds has reached the viewer (no duplicate is still on its way).
    let last_seq = tokio::task::block_in_place(|| cluster.last_seq(successor, DEFAULT_STREAM))
        .expect("the new leader reports the stream");
    until("the viewer has the stream's last frame", || {
        seen.lock()
            .unwrap()
            .last()
            .is_some_and(|(seq, _)| *seq >= last_seq)
    })
    .await;
    let frames = seen.lock().unwrap().clone();
    assert!(
        frames.windows(2).all(|w| w[0].0 < w[1].0),
        "seqs strictly increase: {:?}",
        frames.windows(2).find(|w| w[0].0 >= w[1].0)
    );
    let mut once = HashSet::new();
    let twice: Vec<&String> = frames
        .iter()
        .map(|(_, id)| id)
        .filter(|id| !once.insert(*id))
        .collect();
    assert!(twice.is_empty(), "frames seen twice: {twice:?}");
    assert_eq!(once.len(), frames.len());

    // The killed node comes back and catches up with the others.
    tokio::task::block_in_place(|| cluster.restart(leader));
    let started = Instant::now();
    loop {
        let seqs: Vec<Option<u64>> = (0..NODES)
            .map(|node| cluster.last_seq(node, DEFAULT_STREAM))
            .collect();
        if seqs.iter().all(|seq| *seq == Some(last_seq)) {
            break;
        }
        assert!(
            started.elapsed() < RUN_DEADLINE,
            "the restarted node n{} never caught up: last seqs {seqs:?}, want {last_seq}; \
             logs:\n{}",
            leader + 1,
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "cluster: {} messages acknowledged, {} POSTs retried, leader n{} (PID {pid}) killed, \
         n{} took over; stream last seq {last_seq}",
        acked.len(),
        published.retried.load(Ordering::Relaxed),
        leader + 1,
        successor + 1
    );
    server.stop().await.unwrap();
}
