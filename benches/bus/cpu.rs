//! Where the cores went during a window: nats-server and a child relay (their `/proc/PID/stat`),
//! this process's runtimes by thread name (collector `server`, load generator `client`,
//! in-process relay and viewers `relay`), and the rest of the machine.

use std::time::Instant;

use crate::common::{process_ticks, system_busy_ticks, thread_ticks};

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

#[derive(Clone, Copy)]
pub struct Sample {
    at: Instant,
    nats: u64,
    child: u64,
    collector: u64,
    client: u64,
    relay: u64,
    system: u64,
    /// nats-server's read and write system calls so far (`/proc/PID/io`).
    nats_syscalls: u64,
}

/// What to read besides this process: nats-server's pid, and a child relay's (or 0).
#[derive(Clone, Copy)]
pub struct Pids {
    pub nats: u32,
    pub child: u32,
}

pub fn sample(pids: Pids) -> Sample {
    let child = match pids.child {
        0 => 0,
        pid => process_ticks(pid),
    };
    Sample {
        at: Instant::now(),
        nats: process_ticks(pids.nats),
        child,
        collector: thread_ticks("server"),
        client: thread_ticks("client"),
        relay: thread_ticks("relay"),
        system: system_busy_ticks(),
        nats_syscalls: syscalls(pids.nats),
    }
}

/// A process's read and write system calls so far (`syscr` + `syscw` of `/proc/PID/io`).
fn syscalls(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("syscr:") || l.starts_with("syscw:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

/// nats-server's read and write system calls per second between two samples.
pub fn nats_syscalls_per_second(a: &Sample, b: &Sample) -> f64 {
    b.nats_syscalls.saturating_sub(a.nats_syscalls) as f64 / seconds(a, b).max(1e-9)
}

/// Seconds between two samples.
pub fn seconds(a: &Sample, b: &Sample) -> f64 {
    (b.at - a.at).as_secs_f64()
}

/// Cores used between two samples.
#[derive(Clone, Copy, Default)]
pub struct Use {
    pub nats: f64,
    pub child: f64,
    pub collector: f64,
    pub client: f64,
    pub relay: f64,
    /// Everything else busy on the machine (other processes; this process's other threads).
    pub rest: f64,
}

impl Use {
    pub fn between(a: &Sample, b: &Sample) -> Use {
        let seconds = (b.at - a.at).as_secs_f64().max(1e-9);
        let cores = |x: u64, y: u64| y.saturating_sub(x) as f64 / TICKS / seconds;
        let used = Use {
            nats: cores(a.nats, b.nats),
            child: cores(a.child, b.child),
            collector: cores(a.collector, b.collector),
            client: cores(a.client, b.client),
            relay: cores(a.relay, b.relay),
            rest: 0.0,
        };
        let system = cores(a.system, b.system);
        Use {
            rest: (system - used.nats - used.child - used.collector - used.client - used.relay)
                .max(0.0),
            ..used
        }
    }

    /// Weighted by window length (`a` and `b` seconds), to add slices up.
    pub fn merge(self, a: f64, other: Use, b: f64) -> Use {
        let weigh = |x: f64, y: f64| (x * a + y * b) / (a + b).max(1e-9);
        Use {
            nats: weigh(self.nats, other.nats),
            child: weigh(self.child, other.child),
            collector: weigh(self.collector, other.collector),
            client: weigh(self.client, other.client),
            relay: weigh(self.relay, other.relay),
            rest: weigh(self.rest, other.rest),
        }
    }

    pub fn total(&self) -> f64 {
        self.nats + self.child + self.collector + self.client + self.relay + self.rest
    }

    /// `nats-server 0.80, collector 0.60, … cores` for the parts named (label, value).
    pub fn describe(&self, parts: &[(&str, f64)]) -> String {
        let mut text = String::from("cpu (cores):");
        for (label, value) in parts {
            text.push_str(&format!(" {label} {value:.2},"));
        }
        text.push_str(&format!(
            " rest of machine {:.2}; {:.2} of the machine's {} busy",
            self.rest,
            self.total(),
            std::thread::available_parallelism().map_or(0, |n| n.get()),
        ));
        if self.rest > 0.15 {
            text.push_str("  (WARNING: other load on the machine disturbed this window)");
        }
        text
    }
}
