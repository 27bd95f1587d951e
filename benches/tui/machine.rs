//! The machine around the viewer, sampled every 200 ms: other processes' CPU and the UI
//! thread's run-queue wait, to tell the viewer's own stalls from waiting for a CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::system_busy_ticks;
use crate::cpu::cpu_ticks;

/// One point in time: CPU ticks of the whole machine, the viewer and this process, and how long
/// the viewer's UI thread (its main thread) has waited, runnable, for a CPU.
#[derive(Clone, Copy)]
pub struct Moment {
    pub at: Instant,
    pub busy: u64,
    pub viewer: u64,
    pub bench: u64,
    pub ui_wait_ns: u64,
}

/// The second field of `schedstat`: nanoseconds spent runnable, waiting on a run queue.
fn runqueue_wait_ns(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn moment(viewer: u32) -> Moment {
    Moment {
        at: Instant::now(),
        busy: system_busy_ticks(),
        viewer: cpu_ticks(&format!("/proc/{viewer}/stat")).map_or(0, |(_, t)| t),
        bench: cpu_ticks("/proc/self/stat").map_or(0, |(_, t)| t),
        ui_wait_ns: runqueue_wait_ns(viewer),
    }
}

/// Samples [`moment`] every 200 ms on a thread until stopped.
pub struct Sampler {
    pub stop: Arc<AtomicBool>,
    pub thread: std::thread::JoinHandle<Vec<Moment>>,
}

impl Sampler {
    pub fn start(viewer: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut moments = vec![moment(viewer)];
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                moments.push(moment(viewer));
            }
            moments
        });
        Sampler { stop, thread }
    }

    pub fn finish(self) -> Vec<Moment> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Between two moments: cores busy with other processes (neither the viewer nor this
/// benchmark), cores used by the viewer, and the UI thread's run-queue wait in ms per second.
pub struct Between {
    pub others: f64,
    pub viewer: f64,
    pub ui_wait_ms_per_s: f64,
}

pub fn between(a: &Moment, b: &Moment, ticks: f64) -> Between {
    let seconds = (b.at - a.at).as_secs_f64().max(1e-9);
    let cores = |t: u64| t as f64 / ticks / seconds;
    let system = cores(b.busy.saturating_sub(a.busy));
    let viewer = cores(b.viewer.saturating_sub(a.viewer));
    let bench = cores(b.bench.saturating_sub(a.bench));
    Between {
        others: (system - viewer - bench).max(0.0),
        viewer,
        ui_wait_ms_per_s: b.ui_wait_ns.saturating_sub(a.ui_wait_ns) as f64 / 1e6 / seconds,
    }
}

/// The sampling interval around `at`.
pub fn around(moments: &[Moment], at: Instant, ticks: f64) -> Option<Between> {
    let i = moments.partition_point(|m| m.at <= at);
    (i > 0 && i < moments.len()).then(|| between(&moments[i - 1], &moments[i], ticks))
}

pub fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}
