//! CPU accounting: who used the two cores during a window (server runtime, load generator,
//! the rest of the machine, which may be shared), read from `/proc`.

use std::time::Instant;

use crate::common::{proc_stat, system_busy_ticks};

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

#[derive(Clone, Copy)]
pub struct CpuSample {
    pub at: Instant,
    /// utime and stime ticks of the server runtime's threads.
    pub server_user: u64,
    pub server_sys: u64,
    pub client: u64,
    /// Minor page faults of the whole process.
    pub faults: u64,
    pub system_busy: u64,
}

pub fn cpu_sample() -> CpuSample {
    let (mut server_user, mut server_sys, mut client) = (0, 0, 0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            match proc_stat(&stat) {
                Some(task) if task.name == "server" => {
                    server_user += task.utime;
                    server_sys += task.stime;
                }
                Some(task) if task.name == "client" => client += task.utime + task.stime,
                _ => {}
            }
        }
    }
    let faults = proc_stat(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
        .map_or(0, |own| own.minor_faults);
    let system_busy = system_busy_ticks();
    CpuSample {
        at: Instant::now(),
        server_user,
        server_sys,
        client,
        faults,
        system_busy,
    }
}

/// Cores used between two samples: server runtime (and the kernel share of it), load-generator
/// runtime, and everything else on the machine (other processes; the main thread only sleeps).
#[derive(Clone, Copy, Default)]
pub struct CpuUse {
    pub server: f64,
    pub server_sys: f64,
    pub client: f64,
    pub others: f64,
    pub faults_per_second: f64,
}

impl CpuUse {
    pub fn between(a: &CpuSample, b: &CpuSample) -> CpuUse {
        let seconds = (b.at - a.at).as_secs_f64().max(1e-9);
        let cores = |ticks: u64| ticks as f64 / TICKS / seconds;
        let server_sys = cores(b.server_sys.saturating_sub(a.server_sys));
        let server = cores(b.server_user.saturating_sub(a.server_user)) + server_sys;
        let client = cores(b.client.saturating_sub(a.client));
        let system = cores(b.system_busy.saturating_sub(a.system_busy));
        CpuUse {
            server,
            server_sys,
            client,
            others: (system - server - client).max(0.0),
            faults_per_second: b.faults.saturating_sub(a.faults) as f64 / seconds,
        }
    }

    pub fn describe(&self, rate: f64) -> String {
        let rate = rate.max(1.0);
        let mut text = format!(
            "cpu: server {:.2} cores ({:.2} in the kernel) + load gen/subscriber {:.2}, rest of machine {:.2}; server CPU {:.2} µs/event; {:.2} page faults/event",
            self.server,
            self.server_sys,
            self.client,
            self.others,
            self.server * 1e6 / rate,
            self.faults_per_second / rate,
        );
        if self.others > 0.15 {
            text.push_str("  (WARNING: other load on the machine disturbed this window)");
        }
        text
    }
}
