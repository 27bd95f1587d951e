//! Part 3: the real binary in a pty with no traffic; its CPU over a quiet window.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::common::rss_kib;
use crate::cpu::{cpu_use, print_cpu, sample_cpu};
use crate::figures::goal;
use crate::pty::Tui;
use crate::{Config, settle};

pub fn idle_cpu(config: &Config) -> anyhow::Result<f64> {
    settle(
        config,
        &format!(
            "3. Idle CPU: `eventscope --listen 127.0.0.1:0` in a pty, no traffic, {:.0} s",
            config.idle_seconds
        ),
    );
    let mut tui = Tui::spawn(&["--listen", "127.0.0.1:0"])?;
    tui.wait_for("the empty state", |s| s.contains("Waiting for events"))?;
    std::thread::sleep(Duration::from_secs(2));
    let before = sample_cpu(tui.pid);
    let bytes_before = tui.output.bytes.load(Ordering::Relaxed);
    let frames_before = tui.output.frames.load(Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(config.idle_seconds));
    let elapsed = started.elapsed();
    let after = sample_cpu(tui.pid);
    let bytes = tui.output.bytes.load(Ordering::Relaxed) - bytes_before;
    let frames = tui.output.frames.load(Ordering::Relaxed) - frames_before;
    let rss = rss_kib(&tui.pid.to_string());
    tui.quit();
    drop(tui);
    let cpu = cpu_use(&before, &after, elapsed);
    print_cpu(
        &format!("viewer process CPU over {:.1} s", elapsed.as_secs_f64()),
        &cpu,
    );
    println!("    (goal < 1 %: {})", goal(cpu.percent < 1.0));
    println!(
        "  frames drawn: {} ({:.1}/s), terminal output {} bytes; VmRSS {:.1} MiB",
        frames,
        frames as f64 / elapsed.as_secs_f64(),
        bytes,
        rss as f64 / 1024.0
    );
    Ok(cpu.percent)
}
