//! Latency: POST → stream frame at a steady rate, each message stamped with a `lat-` id that
//! the subscriber reads back on arrival.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::Config;
use crate::client::{Conn, batch_body, now_iso, post_request};
use crate::common::fixture_messages;
use crate::cpu::{CpuUse, cpu_sample};
use crate::subscriber::{drain, subscribe};
use crate::target::{Target, start_ours};

pub const LATENCY_RATE: u64 = 5_000;
pub const LATENCY_BATCH: usize = 10;
pub const LATENCY_CONNS: usize = 2;
const LATENCY_ID_PREFIX: &str = "lat-";

/// A message with its `messageId` replaced by `lat-` and 8 zeros, and where those digits are.
pub fn id_template(message: &str) -> (String, usize) {
    const KEY: &str = r#""messageId":""#;
    let start = message.find(KEY).expect("fixture message has a messageId") + KEY.len();
    let end = start + message[start..].find('"').expect("closed messageId");
    let text = format!(
        "{}{LATENCY_ID_PREFIX}00000000{}",
        &message[..start],
        &message[end..]
    );
    (text, start + LATENCY_ID_PREFIX.len())
}

pub fn parse_latency_id(text: &str) -> Option<u32> {
    const KEY: &str = r#""messageId":"lat-"#;
    let at = text.find(KEY)? + KEY.len();
    text.get(at..at + 8)?.parse().ok()
}

/// A latency sender's (body index, send time) of every accepted request, and its errors.
pub type SenderLog = (Vec<(usize, Instant)>, u64);

pub struct LatencyResult {
    pub sent: usize,
    pub measured: usize,
    pub missing: usize,
    pub errors: u64,
    pub offered_rate: f64,
    pub percentiles: [Duration; 4],
    pub mean: Duration,
    pub cpu: CpuUse,
}

pub fn run_latency(server_rt: &Runtime, client_rt: &Runtime, cfg: &Config) -> LatencyResult {
    let interval = Duration::from_nanos(1_000_000_000 * LATENCY_BATCH as u64 / LATENCY_RATE);
    let warmup_bodies = (cfg.warmup.as_secs_f64() / interval.as_secs_f64()) as usize;
    let window_bodies = (cfg.window.as_secs_f64() / interval.as_secs_f64()) as usize;
    let total_bodies = warmup_bodies + window_bodies;

    let target = server_rt.block_on(start_ours());
    let Target::Ours(running) = &target else {
        unreachable!()
    };
    let addr = running.addr;

    let templates: Vec<(String, usize)> = fixture_messages().into_iter().map(id_template).collect();
    let sent_at = now_iso();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..total_bodies)
            .map(|b| {
                let messages: Vec<String> = (0..LATENCY_BATCH)
                    .map(|j| {
                        let id = b * LATENCY_BATCH + j;
                        let (template, at) = &templates[id % templates.len()];
                        let mut text = template.clone();
                        text.replace_range(*at..*at + 8, &format!("{id:08}"));
                        text
                    })
                    .collect();
                post_request(addr, "/v1/batch", &batch_body(&messages, &sent_at))
            })
            .collect(),
    );

    let (sends, errors, sub, cpu) = client_rt.block_on(async {
        let sub = subscribe(running, true).await;
        let start = tokio::time::Instant::now() + Duration::from_millis(50);
        let workers: Vec<JoinHandle<SenderLog>> = (0..LATENCY_CONNS)
            .map(|k| {
                let requests = Arc::clone(&requests);
                tokio::spawn(async move {
                    let mut conn = Conn::connect(addr).await.expect("connect");
                    let mut ticker = tokio::time::interval_at(
                        start + interval * k as u32,
                        interval * LATENCY_CONNS as u32,
                    );
                    let mut sends = Vec::with_capacity(total_bodies / LATENCY_CONNS + 1);
                    let mut errors = 0;
                    for b in (k..total_bodies).step_by(LATENCY_CONNS) {
                        ticker.tick().await;
                        let sent = Instant::now();
                        match conn.round_trip(&requests[b]).await {
                            Ok(200) => sends.push((b, sent)),
                            _ => errors += 1,
                        }
                    }
                    (sends, errors)
                })
            })
            .collect();
        let cpu0 = cpu_sample();
        let mut sends = Vec::new();
        let mut errors = 0;
        for worker in workers {
            let (s, e) = worker.await.expect("latency worker");
            sends.extend(s);
            errors += e;
        }
        let cpu = CpuUse::between(&cpu0, &cpu_sample());
        let last = running.hub.status().last_seq;
        drain(&sub.stats, last, Duration::from_secs(10)).await;
        (sends, errors, sub, cpu)
    });
    client_rt.block_on(target.stop());
    let arrivals = client_rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), sub.task).await })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();

    let mut sent_at: Vec<Option<Instant>> = vec![None; total_bodies];
    for (b, t) in &sends {
        sent_at[*b] = Some(*t);
    }
    let mut arrived: Vec<Option<Instant>> = vec![None; total_bodies * LATENCY_BATCH];
    for (id, t) in arrivals {
        if let Some(slot) = arrived.get_mut(id as usize) {
            slot.get_or_insert(t);
        }
    }
    let mut latencies = Vec::with_capacity(window_bodies * LATENCY_BATCH);
    let mut missing = 0;
    for (id, arrival) in arrived
        .iter()
        .enumerate()
        .skip(warmup_bodies * LATENCY_BATCH)
    {
        let Some(sent) = sent_at[id / LATENCY_BATCH] else {
            continue;
        };
        match arrival {
            Some(arrival) => latencies.push(arrival.saturating_duration_since(sent)),
            None => missing += 1,
        }
    }
    latencies.sort();
    let pick = |q: f64| -> Duration {
        if latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index]
    };
    let mean = if latencies.is_empty() {
        Duration::ZERO
    } else {
        latencies.iter().sum::<Duration>() / latencies.len() as u32
    };
    let measured_sends: Vec<Instant> = sends
        .iter()
        .filter(|(b, _)| *b >= warmup_bodies)
        .map(|(_, t)| *t)
        .collect();
    let offered_rate = match (measured_sends.iter().min(), measured_sends.iter().max()) {
        (Some(first), Some(last)) if last > first => {
            ((measured_sends.len() - 1) * LATENCY_BATCH) as f64 / (*last - *first).as_secs_f64()
        }
        _ => 0.0,
    };
    LatencyResult {
        sent: sends.len() * LATENCY_BATCH,
        measured: latencies.len(),
        missing,
        errors,
        offered_rate,
        percentiles: [pick(0.5), pick(0.9), pick(0.99), pick(1.0)],
        mean,
        cpu,
    }
}
