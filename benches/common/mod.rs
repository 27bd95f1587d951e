//! What the bench binaries share: settings from the environment, tokio runtimes, the fixture
//! events, and readings from `/proc` (load, CPU ticks, page faults, memory). Each bench uses a
//! part of it.
//!
//! The files beside it are the ingest load generator's parts, which the ingest and bus benches
//! include with `#[path]`: `client` (the HTTP/1.1 client and bodies), `generator` (the workers),
//! `stamp` (messageIds stamped into requests), `paced` (the steady-rate latency sender) and
//! `subscriber` (a counting stream viewer).
#![allow(dead_code)]

use tokio::runtime::Runtime;

/// `tests/fixtures`, for benches that read files from it.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The 600 labelled fixture events, one message per line.
pub const FIXTURE: &str = include_str!("../../tests/fixtures/events.ndjson");

/// Fixture messages per `/v1/batch` body in the ingest and viewer load generators.
pub const BATCH_MESSAGES: usize = 100;

/// The fixture's messages, one per non-empty line.
pub fn fixture_messages() -> Vec<&'static str> {
    FIXTURE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// A comma-separated list of positive numbers from the environment, or `default`.
pub fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .filter(|n| *n > 0)
                .collect()
        })
        .filter(|list: &Vec<usize>| !list.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// A number from the environment; `None` when unset or unreadable.
pub fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// A multi-threaded runtime whose threads carry `name` (so `/proc` can tell them apart).
pub fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` writes them ("?" without it).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The 1-minute load average.
pub fn load_1min() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Busy ticks of all CPUs together (everything but idle and iowait), from `/proc/stat`.
pub fn system_busy_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return 0;
    };
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    total.saturating_sub(idle)
}

/// What a `/proc/…/stat` line says about a process or thread.
pub struct ProcStat<'a> {
    /// The command (or thread) name.
    pub name: &'a str,
    pub minor_faults: u64,
    /// User and system time, in clock ticks.
    pub utime: u64,
    pub stime: u64,
}

/// Reads a `/proc/…/stat` line (stat(5)); the name may hold spaces and parentheses.
pub fn proc_stat(stat: &str) -> Option<ProcStat<'_>> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // The slice starts at field 3 (state): minflt is field 10, utime 14, stime 15.
    let number = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(ProcStat {
        name: &stat[open + 1..close],
        minor_faults: number(7)?,
        utime: number(11)?,
        stime: number(12)?,
    })
}

/// A figure in KiB from `/proc/PID/status` (`field` as "VmRSS:", "VmHWM:"…); 0 when unknown.
pub fn status_kib(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// A process's resident memory, in KiB (0 when unknown).
pub fn rss_kib(pid: &str) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// User and system ticks of this process's threads named `name` (a tokio runtime's workers).
pub fn thread_ticks(name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        .filter_map(|stat| {
            let task = proc_stat(&stat)?;
            (task.name == name).then_some(task.utime + task.stime)
        })
        .sum()
}

/// User and system ticks of another process (0 when it is gone).
pub fn process_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| proc_stat(&stat).map(|p| p.utime + p.stime))
        .unwrap_or(0)
}
