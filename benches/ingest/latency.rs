//! Latency: POST → stream frame at a steady rate, each message stamped with a `lat-` id that
//! the subscriber reads back on arrival.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::Config;
use crate::cpu::{CpuUse, cpu_sample};
pub use crate::paced::{LATENCY_BATCH, LATENCY_CONNS, LATENCY_RATE};
use crate::paced::{Plan, latency_requests, send_paced, summarize};
use crate::subscriber::{drain, subscribe};
use crate::target::{Target, start_ours};

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
    let plan = Plan::new(cfg.warmup, cfg.window);
    let target = server_rt.block_on(start_ours());
    let Target::Ours(running) = &target else {
        unreachable!()
    };
    let addr = running.addr;
    let requests = latency_requests(addr, &plan);

    let (sends, errors, sub, cpu) = client_rt.block_on(async {
        let sub = subscribe(running.stream_url(), true).await;
        let cpu0 = cpu_sample();
        let (sends, errors) = send_paced(addr, requests, plan).await;
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
    let summary = summarize(&plan, &sends, arrivals);
    LatencyResult {
        sent: summary.sent,
        measured: summary.measured,
        missing: summary.missing,
        errors,
        offered_rate: summary.offered_rate,
        percentiles: summary.percentiles,
        mean: summary.mean,
        cpu,
    }
}
