//! Part 2: the real binary in a pty while a paced load generator posts to its embedded
//! collector; the time from typing a key to the screen showing its effect, frames and CPU.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use eventscope::model::thousands;

use crate::common::{BATCH_MESSAGES, fixture_messages, rss_kib};
use crate::cpu::{clock_ticks, cpu_ticks, cpu_use, print_cpu, sample_cpu};
use crate::figures::{goal, percentiles};
use crate::machine::{Between, Sampler, around, between, mean};
use crate::pty::{SCREEN_DEADLINE, Shown, Tui, address_on, detail_shows, events_on, lock};
use crate::{COLS, Config, ROWS, settle};

const LOAD_CONNS: usize = 4;
const KEY_INTERVAL: Duration = Duration::from_millis(100);
/// A key whose effect has not shown after this long counts as this long (and as missed).
const KEY_TIMEOUT: Duration = Duration::from_secs(2);

struct LoadStats {
    ok: AtomicU64,
    failed: AtomicU64,
    latencies: Mutex<Vec<Duration>>,
}

fn batch_bodies(messages: &[&str]) -> Vec<bytes::Bytes> {
    let batches = messages.len().div_ceil(BATCH_MESSAGES).max(1);
    (0..batches)
        .map(|b| {
            let chunk: Vec<&str> = (0..BATCH_MESSAGES)
                .map(|i| messages[(b * BATCH_MESSAGES + i) % messages.len()])
                .collect();
            bytes::Bytes::from(format!("{{\"batch\":[{}]}}", chunk.join(",")))
        })
        .collect()
}

pub struct KeyReport {
    pub p99: f64,
    pub cpu: f64,
}

pub fn key_latency(config: &Config) -> anyhow::Result<KeyReport> {
    let rate = config.rate;
    let requests_per_second = rate as f64 / BATCH_MESSAGES as f64;
    settle(
        config,
        &format!(
            "2. Key press → screen change: `eventscope --listen 127.0.0.1:0` in a {COLS}×{ROWS} pty, {} events/s for {:.0} s ({requests_per_second:.0} POST /v1/batch of {BATCH_MESSAGES} per s, {LOAD_CONNS} keep-alive connections)",
            thousands(rate),
            config.load_seconds
        ),
    );
    let mut args = vec!["--listen", "127.0.0.1:0"];
    args.extend(config.viewer_args.iter().map(String::as_str));
    if !config.viewer_args.is_empty() {
        println!("  viewer arguments: {}", args.join(" "));
    }
    let mut tui = Tui::spawn(&args)?;
    let text = tui.wait_for("the empty state", |s| s.contains("Waiting for events"))?;
    let addr = address_on(&text)?;
    if let Some(filter) = &config.viewer_filter {
        println!("  filter typed before the load: {filter}");
        tui.type_text(&format!("/{filter}\r"))?;
    }
    std::thread::sleep(Duration::from_millis(500));

    let messages = fixture_messages();
    let bodies = Arc::new(batch_bodies(&messages));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let client = eventscope::forward::http_client_builder()
        .pool_max_idle_per_host(LOAD_CONNS)
        .build()?;
    let url = format!("http://{addr}/v1/batch");
    let stats = Arc::new(LoadStats {
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        latencies: Mutex::new(Vec::new()),
    });
    let window = Duration::from_secs_f64(config.load_seconds);
    let period = Duration::from_secs_f64(1.0 / requests_per_second);
    let total_requests = (config.load_seconds * requests_per_second).round() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = Sampler::start(tui.pid);
    let cpu_before = sample_cpu(tui.pid);
    let own_before = cpu_ticks("/proc/self/stat").map_or(0, |(_, t)| t);
    let bytes_before = tui.output.bytes.load(Ordering::Relaxed);
    let frames_before = tui.output.frames.load(Ordering::Relaxed);
    let load_start = Instant::now();
    let tokio_start = tokio::time::Instant::from_std(load_start);
    let mut tasks = Vec::new();
    for _ in 0..LOAD_CONNS {
        let (client, url, bodies, stats, next, stop) = (
            client.clone(),
            url.clone(),
            Arc::clone(&bodies),
            Arc::clone(&stats),
            Arc::clone(&next),
            Arc::clone(&stop),
        );
        tasks.push(runtime.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total_requests || stop.load(Ordering::Relaxed) {
                    return;
                }
                let due = tokio_start + period.mul_f64(i as f64);
                tokio::time::sleep_until(due).await;
                let body = bodies[i as usize % bodies.len()].clone();
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        stats.ok.fetch_add(1, Ordering::Relaxed);
                        lock(&stats.latencies).push(started.elapsed());
                    }
                    _ => {
                        stats.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }

    // The default tab is Pretty: wait for the first message in it, then alternate 2/1.
    let first = Instant::now();
    while detail_shows(lock(&tui.parser).screen()) != Some(Shown::Pretty) {
        if first.elapsed() > SCREEN_DEADLINE {
            stop.store(true, Ordering::Relaxed);
            bail!(
                "no message shown in the Pretty tab; screen:\n{}",
                tui.text()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut latencies = Vec::new();
    let mut sent_at = Vec::new();
    let mut missed = 0usize;
    let mut next_key = Instant::now();
    while load_start.elapsed() + KEY_INTERVAL < window {
        let now = Instant::now();
        if next_key > now {
            std::thread::sleep(next_key - now);
        }
        next_key += KEY_INTERVAL;
        let want = match detail_shows(lock(&tui.parser).screen()) {
            Some(Shown::Raw) => Shown::Pretty,
            _ => Shown::Raw,
        };
        let key = if want == Shown::Raw { "2" } else { "1" };
        {
            let mut probe = lock(&tui.output.probe);
            probe.want = Some(want);
            probe.seen = None;
            probe.sent = Some(Instant::now());
        }
        tui.type_text(key)?;
        let waited = Instant::now();
        sent_at.push(waited);
        let seen = loop {
            if let Some(seen) = lock(&tui.output.probe).seen {
                break Some(seen);
            }
            if waited.elapsed() > KEY_TIMEOUT {
                break None;
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        {
            let mut probe = lock(&tui.output.probe);
            probe.want = None;
            probe.sent = None;
        }
        match seen {
            Some(latency) => latencies.push(latency),
            None => {
                missed += 1;
                latencies.push(KEY_TIMEOUT);
            }
        }
        // Do not let a slow key eat the next interval's schedule.
        next_key = next_key.max(Instant::now());
    }
    runtime.block_on(async {
        for task in tasks {
            let _ = task.await;
        }
    });
    let load_elapsed = load_start.elapsed();
    let cpu_after = sample_cpu(tui.pid);
    let moments = sampler.finish();
    let own_after = cpu_ticks("/proc/self/stat").map_or(0, |(_, t)| t);
    let bytes = tui.output.bytes.load(Ordering::Relaxed) - bytes_before;
    let frames = tui.output.frames.load(Ordering::Relaxed) - frames_before;
    let rss = rss_kib(&tui.pid.to_string());
    let frame_gaps: Vec<Duration> = {
        let ends = lock(&tui.output.frame_ends);
        let during: Vec<Instant> = ends
            .iter()
            .copied()
            .filter(|t| *t >= load_start && *t <= load_start + load_elapsed)
            .collect();
        during.windows(2).map(|w| w[1] - w[0]).collect()
    };

    // Let the viewer take in the last batches, then read its count.
    let mut received = None;
    let settle_start = Instant::now();
    while settle_start.elapsed() < Duration::from_secs(10) {
        let now = events_on(&tui.text());
        std::thread::sleep(Duration::from_millis(500));
        let later = events_on(&tui.text());
        if now.is_some() && now == later {
            received = later;
            break;
        }
    }
    let screen = tui.text();
    tui.quit();
    drop(tui);

    let ok = stats.ok.load(Ordering::Relaxed);
    let failed = stats.failed.load(Ordering::Relaxed);
    let post = percentiles(&lock(&stats.latencies));
    let keys = percentiles(&latencies);
    let cpu = cpu_use(&cpu_before, &cpu_after, load_elapsed);
    let ticks = clock_ticks();
    let own =
        own_after.saturating_sub(own_before) as f64 / ticks / load_elapsed.as_secs_f64() * 100.0;
    let seconds = load_elapsed.as_secs_f64();
    println!(
        "  posted: {} requests ok ({} events, {:.0} events/s achieved over {seconds:.1} s), {failed} failed; POST latency p50 {:.2} ms, p99 {:.2} ms",
        thousands(ok),
        thousands(ok * BATCH_MESSAGES as u64),
        (ok * BATCH_MESSAGES as u64) as f64 / seconds,
        post.p50,
        post.p99
    );
    match received {
        Some(n) => println!(
            "  the viewer's header counts {} events ({:.1} % of those posted)",
            thousands(n),
            n as f64 * 100.0 / (ok * BATCH_MESSAGES as u64).max(1) as f64
        ),
        None => println!("  the viewer's event count could not be read; screen:\n{screen}"),
    }
    println!(
        "  key → visible change, {} keys (2/1 alternating every {} ms): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {missed} not seen within {} s (goal p99 < 50 ms: {})",
        latencies.len(),
        KEY_INTERVAL.as_millis(),
        keys.p50,
        keys.p90,
        keys.p99,
        keys.max,
        KEY_TIMEOUT.as_secs(),
        goal(keys.p99 < 50.0)
    );
    print_cpu(
        &format!("viewer process (TUI + embedded collector) CPU over {seconds:.1} s"),
        &cpu,
    );
    println!("    (goal < 50 %: {})", goal(cpu.percent < 50.0));
    println!(
        "  frames drawn: {} ({:.1}/s), terminal output {:.1} MiB ({:.0} KiB/s, {:.1} KiB/frame); viewer VmRSS at the end {:.1} MiB",
        thousands(frames),
        frames as f64 / seconds,
        bytes as f64 / 1_048_576.0,
        bytes as f64 / 1024.0 / seconds,
        bytes as f64 / 1024.0 / frames.max(1) as f64,
        rss as f64 / 1024.0
    );
    let gaps = percentiles(&frame_gaps);
    let over = |ms: u64| {
        frame_gaps
            .iter()
            .filter(|g| **g > Duration::from_millis(ms))
            .count()
    };
    println!(
        "  time between frames (end to end, as read from the pty): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} gaps > 33 ms, {} > 50 ms",
        gaps.p50,
        gaps.p90,
        gaps.p99,
        gaps.max,
        over(33),
        over(50)
    );
    let slow_keys = latencies
        .iter()
        .filter(|l| **l > Duration::from_millis(25))
        .count();
    println!(
        "  keys slower than 25 ms (beyond one frame interval + a draw): {slow_keys} of {}",
        latencies.len()
    );
    println!("  load generator (this process, incl. the pty reader) CPU: {own:.1} % of one core");
    if let (Some(first), Some(last)) = (moments.first(), moments.last()) {
        let whole = between(first, last, ticks);
        let seconds = (last.at - first.at).as_secs_f64();
        println!(
            "  the machine meanwhile: other processes used {:.2} cores on average (of {}); the viewer's UI thread waited {:.0} ms in all for a CPU ({:.1} ms/s)",
            whole.others,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            whole.ui_wait_ms_per_s * seconds,
            whole.ui_wait_ms_per_s
        );
        let keyed: Vec<(Duration, Between)> = latencies
            .iter()
            .zip(&sent_at)
            .filter_map(|(l, at)| Some((*l, around(&moments, *at, ticks)?)))
            .collect();
        let slow = Duration::from_millis(25);
        let describe = |label: &str, pick: &dyn Fn(&Duration) -> bool| {
            let chosen: Vec<&Between> = keyed
                .iter()
                .filter(|(l, _)| pick(l))
                .map(|(_, b)| b)
                .collect();
            println!(
                "    around {label} ({}): other processes {:.2} cores, viewer {:.2} cores, UI thread run-queue wait {:.1} ms/s",
                chosen.len(),
                mean(chosen.iter().map(|b| b.others)),
                mean(chosen.iter().map(|b| b.viewer)),
                mean(chosen.iter().map(|b| b.ui_wait_ms_per_s))
            );
        };
        describe("keys ≤ 25 ms", &|l| *l <= slow);
        describe("keys > 25 ms", &|l| *l > slow);
        describe("keys > 50 ms", &|l| *l > Duration::from_millis(50));
    }
    Ok(KeyReport {
        p99: keys.p99,
        cpu: cpu.percent,
    })
}
