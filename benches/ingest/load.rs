//! Throughput: keep-alive connections post prepared bodies as fast as each answer comes back,
//! against ours (with one stream subscriber) or the bare handler, for a warm-up and a window.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::client::post_request;
use crate::cpu::{CpuUse, cpu_sample};
use crate::generator::{Cycle, LoadCounters, load_worker};
use crate::subscriber::{drain, subscribe};
use crate::target::{Kind, Target, start_bare, start_ours};

pub struct LoadResult {
    pub kind: Kind,
    pub conns: usize,
    pub window: Duration,
    pub rate: f64,
    /// Messages accepted within the measurement window (`accepted` counts warm-up too).
    pub window_accepted: u64,
    pub accepted: u64,
    pub ok_requests: u64,
    pub errors: u64,
    /// For ours: what the hub counted, and what the subscriber saw.
    pub hub_events: u64,
    pub sub_events: u64,
    pub sub_gaps: u64,
    pub sub_missed: u64,
    pub sub_out_of_order: u64,
    pub sub_other: u64,
    pub sub_drained: bool,
    pub cpu: CpuUse,
}

impl LoadResult {
    pub fn errors_total(&self) -> u64 {
        self.errors
    }

    /// Adds another slice of the same measurement: rates over the summed windows, counts summed,
    /// CPU use weighted by window length.
    pub fn merge(mut self, other: LoadResult) -> LoadResult {
        let (a, b) = (self.window.as_secs_f64(), other.window.as_secs_f64());
        let weigh = |x: f64, y: f64| (x * a + y * b) / (a + b).max(1e-9);
        self.cpu = CpuUse {
            server: weigh(self.cpu.server, other.cpu.server),
            server_sys: weigh(self.cpu.server_sys, other.cpu.server_sys),
            client: weigh(self.cpu.client, other.cpu.client),
            others: weigh(self.cpu.others, other.cpu.others),
            faults_per_second: weigh(self.cpu.faults_per_second, other.cpu.faults_per_second),
        };
        self.window += other.window;
        self.window_accepted += other.window_accepted;
        self.rate = self.window_accepted as f64 / self.window.as_secs_f64().max(1e-9);
        self.accepted += other.accepted;
        self.ok_requests += other.ok_requests;
        self.errors += other.errors;
        self.hub_events += other.hub_events;
        self.sub_events += other.sub_events;
        self.sub_gaps += other.sub_gaps;
        self.sub_missed += other.sub_missed;
        self.sub_out_of_order += other.sub_out_of_order;
        self.sub_other += other.sub_other;
        self.sub_drained &= other.sub_drained;
        self
    }
}

pub fn run_load(
    server_rt: &Runtime,
    client_rt: &Runtime,
    kind: Kind,
    bodies: &[Vec<u8>],
    conns: usize,
    warmup: Duration,
    window: Duration,
) -> LoadResult {
    let target = server_rt.block_on(async {
        match kind {
            Kind::Ours => start_ours().await,
            Kind::Bare => start_bare().await,
        }
    });
    let addr = target.addr();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        bodies
            .iter()
            .map(|body| post_request(addr, "/v1/batch", body))
            .collect(),
    );
    let mut result = client_rt.block_on(async {
        let sub = match &target {
            Target::Ours(running) => Some(subscribe(running.stream_url(), false).await),
            Target::Bare { .. } => None,
        };
        let counters = Arc::new(LoadCounters::default());
        let workers: Vec<_> = (0..conns)
            .map(|c| {
                let requests = Cycle {
                    requests: Arc::clone(&requests),
                    first: c,
                };
                tokio::spawn(load_worker(addr, requests, Arc::clone(&counters)))
            })
            .collect();
        tokio::time::sleep(warmup).await;
        let (c0, t0) = (counters.accepted.load(Ordering::Relaxed), Instant::now());
        let cpu0 = cpu_sample();
        tokio::time::sleep(window).await;
        let (c1, t1) = (counters.accepted.load(Ordering::Relaxed), Instant::now());
        let cpu = CpuUse::between(&cpu0, &cpu_sample());
        counters.stop.store(true, Ordering::Relaxed);
        for worker in workers {
            let _ = worker.await;
        }
        let elapsed = t1 - t0;
        let mut result = LoadResult {
            kind,
            conns,
            window: elapsed,
            rate: (c1 - c0) as f64 / elapsed.as_secs_f64(),
            window_accepted: c1 - c0,
            accepted: counters.accepted.load(Ordering::Relaxed),
            ok_requests: counters.ok_requests.load(Ordering::Relaxed),
            errors: counters.errors(),
            hub_events: 0,
            sub_events: 0,
            sub_gaps: 0,
            sub_missed: 0,
            sub_out_of_order: 0,
            sub_other: 0,
            sub_drained: true,
            cpu,
        };
        if let (Some(sub), Target::Ours(running)) = (&sub, &target) {
            let status = running.hub.status();
            result.hub_events = status.events;
            result.sub_drained = drain(&sub.stats, status.last_seq, Duration::from_secs(15)).await;
        }
        (result, sub)
    });
    client_rt.block_on(target.stop());
    if let Some(sub) = result.1 {
        let _ = client_rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), sub.task).await });
        let stats = &sub.stats;
        result.0.sub_events = stats.events.load(Ordering::Relaxed);
        result.0.sub_gaps = stats.gaps.load(Ordering::Relaxed);
        result.0.sub_missed = stats.missed.load(Ordering::Relaxed);
        result.0.sub_out_of_order = stats.out_of_order.load(Ordering::Relaxed);
        result.0.sub_other = stats.other.load(Ordering::Relaxed);
    }
    result.0
}
