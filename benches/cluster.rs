//! Cluster benchmark: a three-node R3 JetStream cluster on loopback (three `nats-server`
//! processes started by the tests' harness), (a) steady ingest through our collector
//! (`serve --bus` with all three servers, `--bus-replicas 3`) against a bare `async-nats`
//! publisher of the same number of messages to an R3 stream, and (b) throughput per 100 ms
//! while the stream leader is killed by its PID: the dip, the recovery, the 503s answered,
//! and whether every acknowledged message is in the stream afterwards.
//!
//! ```text
//! cargo bench --bench cluster
//! EVENTSCOPE_BENCH_SECONDS=3 cargo bench --bench cluster      # quick smoke run
//! ```
//!
//! Knobs (environment): `EVENTSCOPE_BENCH_SECONDS` (phase (a)'s window, default 10),
//! `EVENTSCOPE_BENCH_CONNS` (keep-alive connections posting to the collector, default 4),
//! `EVENTSCOPE_BENCH_KILL_AT` (seconds into phase (b) the leader is killed, default 40 % of
//! phase (a)'s window), `EVENTSCOPE_BENCH_AFTER_KILL` (seconds phase (b) goes on after the
//! kill, default 15), `EVENTSCOPE_BENCH_SERVER_THREADS` / `EVENTSCOPE_BENCH_CLIENT_THREADS` (tokio
//! workers of the collector and of the load generator and bare publisher, default 2 and 2).
//!
//! Bodies are 100 fixture messages each (POST /v1/batch), every message with its own
//! messageId (the collector publishes it as `Nats-Msg-Id`, so repeats would be dropped as
//! duplicates). A refused (503) or failed POST is sent again with the same body after
//! 100 ms, as an SDK retries. The three servers, the collector and the load generator share
//! the machine's cores: the figures are for this box, not a capacity plan.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, message::PublishMessage, stream};
use futures_util::StreamExt;
use tokio::runtime::Runtime;

#[path = "common/client.rs"]
mod client;
#[path = "common/mod.rs"]
mod common;
#[path = "../tests/common/mod.rs"]
mod harness;

use client::{Conn, batch_body, now_iso, post_request};
use common::{BATCH_MESSAGES, env_number, fixture_messages, proc_stat, runtime};
use eventscope::bus::{BusConfig, DEFAULT_STREAM, StreamSettings};
use eventscope::model::thousands;
use eventscope::server::{RunningServer, ServeConfig, Server};
use harness::cluster::{NODES, NatsCluster};

/// Throughput is sampled in buckets this long through the leader kill.
const BUCKET: Duration = Duration::from_millis(100);
/// How long a load connection waits before it sends a refused or failed body again.
const RETRY_AFTER: Duration = Duration::from_millis(100);
/// Acks in flight at most for the bare publisher (the collector's own window is the same).
const BARE_IN_FLIGHT: usize = 1024;
/// The bare publisher's stream and subjects (apart from the collector's).
const BARE_STREAM: &str = "BARE";
/// Throughput counts as recovered when 5 buckets in a row average this share of before.
const RECOVERED: f64 = 0.8;

struct Config {
    window: Duration,
    kill_at: Duration,
    after_kill: Duration,
    conns: usize,
    server_threads: usize,
    client_threads: usize,
}

impl Config {
    fn from_env() -> Config {
        let seconds: f64 = env_number("EVENTSCOPE_BENCH_SECONDS")
            .filter(|s: &f64| *s > 0.0)
            .unwrap_or(10.0);
        let kill_at: f64 = env_number("EVENTSCOPE_BENCH_KILL_AT")
            .filter(|s: &f64| *s > 0.0 && *s < seconds)
            .unwrap_or(seconds * 0.4);
        let threads = |name| env_number(name).filter(|n| *n > 0).unwrap_or(2);
        Config {
            window: Duration::from_secs_f64(seconds),
            kill_at: Duration::from_secs_f64(kill_at),
            after_kill: Duration::from_secs_f64(
                env_number("EVENTSCOPE_BENCH_AFTER_KILL")
                    .filter(|s: &f64| *s > 0.0)
                    .unwrap_or(15.0),
            ),
            conns: env_number("EVENTSCOPE_BENCH_CONNS")
                .filter(|n| *n > 0)
                .unwrap_or(4),
            server_threads: threads("EVENTSCOPE_BENCH_SERVER_THREADS"),
            client_threads: threads("EVENTSCOPE_BENCH_CLIENT_THREADS"),
        }
    }
}

/// The fixture messages with a placeholder messageId, split around it: a message is
/// `prefix + id + suffix`.
struct Templates(Vec<(String, String)>);

const PLACEHOLDER: &str = "@@MESSAGE_ID@@";

impl Templates {
    fn new() -> Templates {
        let templates = fixture_messages()
            .into_iter()
            .map(|line| {
                let mut message: serde_json::Value = serde_json::from_str(line).unwrap();
                message["messageId"] = PLACEHOLDER.into();
                let text = message.to_string();
                let (prefix, suffix) = text.split_once(PLACEHOLDER).unwrap();
                (prefix.to_string(), suffix.to_string())
            })
            .collect();
        Templates(templates)
    }

    /// Message `i` of batch `batch` of connection `conn`, with its unique id.
    fn message(&self, id: &str, n: usize) -> String {
        let (prefix, suffix) = &self.0[n % self.0.len()];
        format!("{prefix}{id}{suffix}")
    }

    /// `/v1/batch` body number `batch` of connection `conn` (of `phase`).
    fn body(&self, phase: &str, conn: usize, batch: usize) -> Vec<u8> {
        let messages: Vec<String> = (0..BATCH_MESSAGES)
            .map(|i| self.message(&id(phase, conn, batch, i), batch * BATCH_MESSAGES + i))
            .collect();
        batch_body(&messages, &now_iso())
    }
}

fn id(phase: &str, conn: usize, batch: usize, i: usize) -> String {
    format!("{phase}-c{conn}-b{batch}-{i}")
}

/// What the load connections did.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    /// Messages acknowledged with 200.
    accepted: AtomicU64,
    /// 503 answers (bus_unavailable), other statuses, connection failures.
    unavailable: AtomicU64,
    other_status: AtomicU64,
    io_errors: AtomicU64,
}

/// Posts fresh bodies as fast as each answer comes back; a refused or failed body is sent
/// again (the same bytes) after [`RETRY_AFTER`]. Returns the batches acknowledged.
async fn load_worker(
    addr: SocketAddr,
    templates: Arc<Templates>,
    phase: &'static str,
    conn: usize,
    load: Arc<Load>,
) -> usize {
    let mut connection = Conn::connect(addr).await.ok();
    let mut batch = 0;
    while !load.stop.load(Ordering::Relaxed) {
        let request = post_request(addr, "/v1/batch", &templates.body(phase, conn, batch));
        loop {
            let answer = match connection.as_mut() {
                Some(c) => c.round_trip(&request).await,
                None => Err(std::io::Error::other("not connected")),
            };
            match answer {
                Ok(200) => break,
                Ok(503) => load.unavailable.fetch_add(1, Ordering::Relaxed),
                Ok(_) => load.other_status.fetch_add(1, Ordering::Relaxed),
                Err(_) => {
                    connection = Conn::connect(addr).await.ok();
                    load.io_errors.fetch_add(1, Ordering::Relaxed)
                }
            };
            if load.stop.load(Ordering::Relaxed) {
                // Never acknowledged: not counted.
                return batch;
            }
            tokio::time::sleep(RETRY_AFTER).await;
        }
        load.accepted
            .fetch_add(BATCH_MESSAGES as u64, Ordering::Relaxed);
        batch += 1;
    }
    batch
}

/// The collector (in process, on its own runtime) publishing to the cluster with R3.
fn start_collector(rt: &Runtime, cluster: &NatsCluster) -> RunningServer {
    rt.block_on(async {
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            bus: Some(BusConfig {
                servers: cluster.urls(),
                stream: StreamSettings {
                    replicas: NODES,
                    ..StreamSettings::default()
                },
            }),
            ..ServeConfig::default()
        };
        Server::bind(config).await.expect("bind").spawn()
    })
}

/// CPU seconds (user + system) the cluster's running servers have used so far.
fn cluster_cpu_seconds(cluster: &NatsCluster) -> f64 {
    let ticks: u64 = (0..NODES)
        .filter_map(|node| cluster.pid(node))
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| proc_stat(&stat).map(|s| s.utime + s.stime))
        .sum();
    ticks as f64 / 100.0
}

struct Steady {
    messages: u64,
    seconds: f64,
    retried: u64,
    cluster_cpu: f64,
}

impl Steady {
    fn rate(&self) -> f64 {
        self.messages as f64 / self.seconds.max(1e-9)
    }
}

/// (a) Through the collector for the window.
fn steady_collector(
    client_rt: &Runtime,
    addr: SocketAddr,
    cluster: &NatsCluster,
    templates: &Arc<Templates>,
    cfg: &Config,
) -> Steady {
    client_rt.block_on(async {
        let load = Arc::new(Load::default());
        let workers: Vec<_> = (0..cfg.conns)
            .map(|conn| {
                let (templates, load) = (Arc::clone(templates), Arc::clone(&load));
                tokio::spawn(load_worker(addr, templates, "steady", conn, load))
            })
            .collect();
        let (cpu0, started) = (cluster_cpu_seconds(cluster), Instant::now());
        tokio::time::sleep(cfg.window).await;
        load.stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.await.unwrap();
        }
        Steady {
            messages: load.accepted.load(Ordering::Relaxed),
            seconds: started.elapsed().as_secs_f64(),
            retried: load.unavailable.load(Ordering::Relaxed)
                + load.io_errors.load(Ordering::Relaxed)
                + load.other_status.load(Ordering::Relaxed),
            cluster_cpu: cluster_cpu_seconds(cluster) - cpu0,
        }
    })
}

/// (a) The anchor: a bare async-nats publisher of `count` messages (the same fixture
/// messages, each with its messageId) to an R3 stream, ≤ [`BARE_IN_FLIGHT`] acks in flight.
fn steady_bare(
    client_rt: &Runtime,
    cluster: &NatsCluster,
    templates: &Templates,
    count: u64,
) -> Steady {
    client_rt.block_on(async {
        let js = jetstream::new(connect(cluster).await);
        js.create_stream(stream::Config {
            name: BARE_STREAM.into(),
            subjects: vec!["bare.>".into()],
            storage: stream::StorageType::File,
            num_replicas: NODES,
            ..stream::Config::default()
        })
        .await
        .unwrap();
        let payloads: Vec<(String, String)> = (0..count as usize)
            .map(|n| {
                let id = format!("bare-{n}");
                (templates.message(&id, n), id)
            })
            .collect();
        let (cpu0, started) = (cluster_cpu_seconds(cluster), Instant::now());
        let mut acks = std::collections::VecDeque::with_capacity(BARE_IN_FLIGHT);
        for (payload, id) in payloads {
            if acks.len() == BARE_IN_FLIGHT {
                let ack: jetstream::context::PublishAckFuture = acks.pop_front().unwrap();
                ack.await.unwrap();
            }
            let publish = PublishMessage::build()
                .payload(payload.into())
                .message_id(id);
            acks.push_back(js.send_publish("bare.track.1.2", publish).await.unwrap());
        }
        for ack in acks {
            ack.await.unwrap();
        }
        Steady {
            messages: count,
            seconds: started.elapsed().as_secs_f64(),
            retried: 0,
            cluster_cpu: cluster_cpu_seconds(cluster) - cpu0,
        }
    })
}

struct Kill {
    buckets: Vec<u64>,
    /// The bucket the leader was killed in.
    killed_in: usize,
    leader: usize,
    successor: usize,
    load: Arc<Load>,
    /// Acknowledged batches per connection.
    batches: Vec<usize>,
}

/// (b) Publishing through the collector; the stream leader killed by its PID at `kill_at`.
fn through_kill(
    client_rt: &Runtime,
    addr: SocketAddr,
    cluster: &mut NatsCluster,
    templates: &Arc<Templates>,
    cfg: &Config,
) -> Kill {
    let load = Arc::new(Load::default());
    let workers: Vec<_> = client_rt.block_on(async {
        (0..cfg.conns)
            .map(|conn| {
                let (templates, load) = (Arc::clone(templates), Arc::clone(&load));
                tokio::spawn(load_worker(addr, templates, "kill", conn, load))
            })
            .collect()
    });
    let started = Instant::now();
    let mut buckets = Vec::new();
    let (mut killed_in, mut leader) = (None, 0);
    let mut last = 0;
    while started.elapsed() < cfg.kill_at + cfg.after_kill {
        let next = BUCKET * (buckets.len() as u32 + 1);
        std::thread::sleep(next.saturating_sub(started.elapsed()));
        let accepted = load.accepted.load(Ordering::Relaxed);
        buckets.push(accepted - last);
        last = accepted;
        if killed_in.is_none() && started.elapsed() >= cfg.kill_at {
            leader = cluster.stream_leader(DEFAULT_STREAM);
            cluster.kill(leader);
            killed_in = Some(buckets.len());
        }
    }
    load.stop.store(true, Ordering::Relaxed);
    let batches = client_rt.block_on(async {
        let mut batches = Vec::new();
        for worker in workers {
            batches.push(worker.await.unwrap());
        }
        batches
    });
    let successor = cluster.stream_leader(DEFAULT_STREAM);
    Kill {
        buckets,
        killed_in: killed_in.unwrap_or(usize::MAX),
        leader,
        successor,
        load,
        batches,
    }
}

/// Every messageId of the collector's stream, read through an ordered consumer: (ids, and
/// how many were stored more than once).
fn stored_ids(client_rt: &Runtime, cluster: &NatsCluster) -> (HashSet<String>, u64) {
    client_rt.block_on(async {
        let js = jetstream::new(connect(cluster).await);
        let mut stream = js.get_stream(DEFAULT_STREAM).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig::default())
            .await
            .unwrap();
        let mut messages = consumer.messages().await.unwrap();
        let (mut ids, mut twice) = (HashSet::new(), 0);
        let mut seq = 0;
        while seq < last {
            let message = tokio::time::timeout(Duration::from_secs(30), messages.next())
                .await
                .expect("the stream reads on")
                .unwrap()
                .unwrap();
            seq = message.info().unwrap().stream_sequence;
            let frame: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
            if let Some(id) = frame["message"]["messageId"].as_str()
                && !ids.insert(id.to_string())
            {
                twice += 1;
            }
        }
        (ids, twice)
    })
}

/// A client of the cluster (any node will do).
async fn connect(cluster: &NatsCluster) -> async_nats::Client {
    let addrs: Vec<async_nats::ServerAddr> =
        cluster.urls().iter().map(|u| u.parse().unwrap()).collect();
    async_nats::connect(addrs).await.unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("cluster benchmark skipped: run it with `cargo bench --bench cluster`");
        return;
    }
    let cfg = Config::from_env();
    let Some(mut cluster) = NatsCluster::start("cluster bench") else {
        return;
    };
    let server_rt = runtime("server", cfg.server_threads);
    let client_rt = runtime("client", cfg.client_threads);
    let templates = Arc::new(Templates::new());
    let server = start_collector(&server_rt, &cluster);
    let addr = server.addr;
    println!(
        "eventscope cluster benchmark: {} cores shared by 3 nats-server processes (R3, file \
         storage, loopback), the collector ({} worker(s)) and the load generator ({} \
         worker(s)); {} connections × {} messages per POST /v1/batch; load {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.server_threads,
        cfg.client_threads,
        cfg.conns,
        BATCH_MESSAGES,
        common::load_average(),
    );

    // (a) Steady.
    let ours = steady_collector(&client_rt, addr, &cluster, &templates, &cfg);
    let bare = steady_bare(&client_rt, &cluster, &templates, ours.messages.max(1));
    println!("\n(a) R3 steady throughput ({:.1} s)", ours.seconds);
    for (name, run) in [("collector", &ours), ("bare async-nats", &bare)] {
        println!(
            "  {name:<16} {:>9} msg/s   {:>9} messages in {:.2} s   nats-server CPU {:.2} cores   retried POSTs {}",
            thousands(run.rate() as u64),
            thousands(run.messages),
            run.seconds,
            run.cluster_cpu / run.seconds.max(1e-9),
            run.retried,
        );
    }
    println!(
        "  collector / bare: {:.2}",
        ours.rate() / bare.rate().max(1e-9)
    );

    // (b) Through a leader kill.
    let kill = through_kill(&client_rt, addr, &mut cluster, &templates, &cfg);
    report_kill(&kill, &cfg);
    cluster.restart(kill.leader);
    let (stored, twice) = stored_ids(&client_rt, &cluster);
    let acked: Vec<String> = kill
        .batches
        .iter()
        .enumerate()
        .flat_map(|(conn, &batches)| {
            (0..batches).flat_map(move |b| (0..BATCH_MESSAGES).map(move |i| id("kill", conn, b, i)))
        })
        .collect();
    let missing = acked.iter().filter(|id| !stored.contains(*id)).count();
    println!(
        "  acknowledged {} messages; missing from the stream afterwards: {missing} (must be 0); \
         stored twice: {twice}",
        thousands(acked.len() as u64)
    );
    client_rt.block_on(server.stop()).ok();
    if missing > 0 {
        eprintln!("LOST: {missing} acknowledged messages are not in the stream");
        std::process::exit(1);
    }
}

fn report_kill(kill: &Kill, cfg: &Config) {
    let per_second = |count: u64| count as f64 / BUCKET.as_secs_f64();
    let before = &kill.buckets[..kill.killed_in.min(kill.buckets.len())];
    // The first second is the ramp-up.
    let warm = (Duration::from_secs(1).as_millis() / BUCKET.as_millis()) as usize;
    let steady = before
        .get(warm.min(before.len().saturating_sub(1))..)
        .unwrap_or(&[]);
    let before_rate = per_second(steady.iter().sum::<u64>()) / steady.len().max(1) as f64;
    let after = kill.buckets.get(kill.killed_in..).unwrap_or(&[]);
    let (lowest_at, lowest) = after
        .iter()
        .enumerate()
        .min_by_key(|(_, count)| **count)
        .map_or((0, 0), |(i, c)| (i, *c));
    let recovered = after
        .windows(5)
        .enumerate()
        .skip(lowest_at)
        .find(|(_, w)| per_second(w.iter().sum::<u64>()) / 5.0 >= RECOVERED * before_rate)
        .map(|(i, _)| BUCKET * i as u32);
    println!(
        "\n(b) through a stream leader kill (n{} killed by PID at {:.1} s; n{} leads after)",
        kill.leader + 1,
        cfg.kill_at.as_secs_f64(),
        kill.successor + 1
    );
    println!(
        "  before: {:>9} msg/s (mean of 100 ms buckets after the first second)",
        thousands(before_rate as u64)
    );
    println!(
        "  lowest: {:>9} msg/s ({} ms after the kill)",
        thousands(per_second(lowest) as u64),
        BUCKET.as_millis() * lowest_at as u128
    );
    match recovered {
        Some(took) => println!(
            "  back to ≥ {:.0} % of before (5 buckets in a row): {} ms after the kill",
            RECOVERED * 100.0,
            took.as_millis()
        ),
        None => println!(
            "  not back to ≥ {:.0} % of before by the end of the window",
            RECOVERED * 100.0
        ),
    }
    let load = &kill.load;
    println!(
        "  503 bus_unavailable answered: {}; other statuses: {}; connection failures: {}",
        load.unavailable.load(Ordering::Relaxed),
        load.other_status.load(Ordering::Relaxed),
        load.io_errors.load(Ordering::Relaxed)
    );
    let row: Vec<String> = kill
        .buckets
        .iter()
        .map(|c| format!("{}", per_second(*c) as u64 / 1000))
        .collect();
    println!("  k msg/s per 100 ms: {}", row.join(" "));
}
