//! The viewer's CPU use from `/proc`: the whole process and each of its threads by name, and
//! its context switches, between two samples.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::common::proc_stat;

pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime (clock ticks) and the name of a process or thread, from its `stat` file.
pub fn cpu_ticks(stat_path: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    let stat = proc_stat(&stat)?;
    Some((stat.name.to_string(), stat.utime + stat.stime))
}
/// CPU ticks of a process and of each of its threads (by tid), plus context switches.
#[derive(Clone, Default)]
pub struct CpuSample {
    pub total: u64,
    pub threads: HashMap<String, (String, u64)>,
    pub switches: u64,
}

pub fn sample_cpu(pid: u32) -> CpuSample {
    let total = cpu_ticks(&format!("/proc/{pid}/stat")).map_or(0, |(_, t)| t);
    let mut threads = HashMap::new();
    let mut switches = 0;
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in dir.flatten() {
            let tid = task.file_name().to_string_lossy().to_string();
            if let Some(sample) = cpu_ticks(&format!("/proc/{pid}/task/{tid}/stat")) {
                threads.insert(tid.clone(), sample);
            }
            let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))
                .unwrap_or_default();
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    CpuSample {
        total,
        threads,
        switches,
    }
}

/// CPU use between two samples: % of one core in total and by thread name.
pub struct CpuUse {
    pub percent: f64,
    pub by_thread: Vec<(String, f64)>,
    pub switches_per_second: f64,
}

pub fn cpu_use(before: &CpuSample, after: &CpuSample, elapsed: Duration) -> CpuUse {
    let ticks = clock_ticks();
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let percent_of = |t: u64| t as f64 / ticks / seconds * 100.0;
    let mut by_name: BTreeMap<String, u64> = BTreeMap::new();
    for (tid, (name, t)) in &after.threads {
        let start = before.threads.get(tid).map_or(0, |(_, t)| *t);
        *by_name.entry(name.clone()).or_default() += t.saturating_sub(start);
    }
    let mut by_thread: Vec<(String, f64)> = by_name
        .into_iter()
        .map(|(name, t)| (name, percent_of(t)))
        .filter(|(_, p)| *p > 0.0)
        .collect();
    by_thread.sort_by(|a, b| b.1.total_cmp(&a.1));
    CpuUse {
        percent: percent_of(after.total.saturating_sub(before.total)),
        by_thread,
        switches_per_second: after.switches.saturating_sub(before.switches) as f64 / seconds,
    }
}

pub fn print_cpu(label: &str, cpu: &CpuUse) {
    println!("  {label}: {:.1} % of one core", cpu.percent);
    let threads: Vec<String> = cpu
        .by_thread
        .iter()
        .map(|(name, p)| format!("{name} {p:.1} %"))
        .collect();
    if !threads.is_empty() {
        println!("    by thread: {}", threads.join(", "));
    }
    println!(
        "    context switches: {:.0}/s (all threads)",
        cpu.switches_per_second
    );
}
