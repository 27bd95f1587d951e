//! POST → stream latency at a steady rate: small batches of `lat-`-stamped messages sent on a
//! fixed schedule over a few keep-alive connections, and the summary of when each message
//! arrived at a subscriber (percentiles after a warm-up).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::client::{Conn, batch_body, now_iso, post_request};
use crate::common::fixture_messages;
use crate::stamp::id_template;

pub const LATENCY_RATE: u64 = 5_000;
/// Messages per request: small, so that the rate is smooth.
pub const LATENCY_BATCH: usize = 10;
pub const LATENCY_CONNS: usize = 2;

/// A latency sender's (body index, send time) of every accepted request, and its errors.
pub type SenderLog = (Vec<(usize, Instant)>, u64);

/// How many requests a run sends, and how often.
#[derive(Clone, Copy)]
pub struct Plan {
    pub interval: Duration,
    pub warmup_bodies: usize,
    pub window_bodies: usize,
}

impl Plan {
    pub fn new(warmup: Duration, window: Duration) -> Plan {
        let interval = Duration::from_nanos(1_000_000_000 * LATENCY_BATCH as u64 / LATENCY_RATE);
        Plan {
            interval,
            warmup_bodies: (warmup.as_secs_f64() / interval.as_secs_f64()) as usize,
            window_bodies: (window.as_secs_f64() / interval.as_secs_f64()) as usize,
        }
    }

    pub fn total_bodies(&self) -> usize {
        self.warmup_bodies + self.window_bodies
    }
}

/// Every request of the run: message `n` (counting from 0) carries the id `lat-n`.
pub fn latency_requests(addr: SocketAddr, plan: &Plan) -> Arc<Vec<Vec<u8>>> {
    let templates: Vec<(String, usize)> = fixture_messages().into_iter().map(id_template).collect();
    let sent_at = now_iso();
    Arc::new(
        (0..plan.total_bodies())
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
    )
}

/// Sends the requests on schedule (connection `k` of [`LATENCY_CONNS`] takes every k-th), each
/// connection waiting for its answer; the send time of every request answered 200, and the
/// number of the others.
pub async fn send_paced(addr: SocketAddr, requests: Arc<Vec<Vec<u8>>>, plan: Plan) -> SenderLog {
    let total_bodies = requests.len();
    let interval = plan.interval;
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
    let mut sends = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (s, e) = worker.await.expect("latency worker");
        sends.extend(s);
        errors += e;
    }
    (sends, errors)
}

pub struct Summary {
    /// Messages sent and answered 200.
    pub sent: usize,
    /// Messages after the warm-up that arrived, and that did not.
    pub measured: usize,
    pub missing: usize,
    pub offered_rate: f64,
    /// p50, p90, p99, max.
    pub percentiles: [Duration; 4],
    pub mean: Duration,
}

/// Latencies of the messages after the warm-up: each arrival against its request's send time.
pub fn summarize(
    plan: &Plan,
    sends: &[(usize, Instant)],
    arrivals: Vec<(u32, Instant)>,
) -> Summary {
    let total_bodies = plan.total_bodies();
    let mut sent_at: Vec<Option<Instant>> = vec![None; total_bodies];
    for (b, t) in sends {
        sent_at[*b] = Some(*t);
    }
    let mut arrived: Vec<Option<Instant>> = vec![None; total_bodies * LATENCY_BATCH];
    for (id, t) in arrivals {
        if let Some(slot) = arrived.get_mut(id as usize) {
            slot.get_or_insert(t);
        }
    }
    let mut latencies = Vec::with_capacity(plan.window_bodies * LATENCY_BATCH);
    let mut missing = 0;
    for (id, arrival) in arrived
        .iter()
        .enumerate()
        .skip(plan.warmup_bodies * LATENCY_BATCH)
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
        .filter(|(b, _)| *b >= plan.warmup_bodies)
        .map(|(_, t)| *t)
        .collect();
    let offered_rate = match (measured_sends.iter().min(), measured_sends.iter().max()) {
        (Some(first), Some(last)) if last > first => {
            ((measured_sends.len() - 1) * LATENCY_BATCH) as f64 / (*last - *first).as_secs_f64()
        }
        _ => 0.0,
    };
    Summary {
        sent: sends.len() * LATENCY_BATCH,
        measured: latencies.len(),
        missing,
        offered_rate,
        percentiles: [pick(0.5), pick(0.9), pick(0.99), pick(1.0)],
        mean,
    }
}
