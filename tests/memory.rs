//! Memory is bounded in bytes, not only in frames: the real `serve` binary under a flood of
//! valid 32 KB messages stays within `--buffer-bytes` plus a fixed overhead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BUDGET: u64 = 64 << 20;
/// What the process may hold besides the retained frames: code, runtime, sockets, requests in
/// flight, allocator slack.
const OVERHEAD: u64 = 100 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_stays_within_its_byte_budget_under_a_flood_of_32_kb_messages() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--buffer-bytes",
            "64MiB",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn serve");
    let pid = child.id().expect("a pid");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("the address within the deadline")
        .expect("stdout readable")
        .expect("a first line");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line names the address: {first}"))
        .to_string();

    // At least 10 s at full speed, and at least two budgets' worth of messages.
    let flood = flood(&addr, pid, 8, Duration::from_secs(10), 2 * BUDGET).await;
    assert_eq!(
        flood.refused, 0,
        "every valid message is accepted: {flood:?}"
    );

    let health = health(&addr).await;
    let retained_bytes = health["retainedBytes"].as_u64().unwrap();
    let evicted = health["evicted"].as_u64().unwrap();
    assert!(
        retained_bytes <= BUDGET,
        "retainedBytes {retained_bytes}: {health}"
    );
    assert!(retained_bytes > BUDGET / 2, "the budget is used: {health}");
    assert!(evicted > 0, "the oldest frames were evicted: {health}");
    assert_eq!(health["capacityBytes"].as_u64(), Some(BUDGET), "{health}");
    assert_eq!(
        health["events"].as_u64(),
        Some(flood.accepted as u64),
        "{health}"
    );
    let after = rss_bytes(pid).expect("the child's VmRSS");
    let peak = flood.peak_rss.max(after);
    eprintln!(
        "{} messages ({} MiB) posted; peak RSS {} MiB, {} MiB after; {health}",
        flood.accepted,
        flood.bytes_posted >> 20,
        peak >> 20,
        after >> 20
    );
    assert!(
        peak < BUDGET + OVERHEAD,
        "peak RSS {} MiB over the budget of {} MiB + {} MiB ({} MiB posted)",
        peak >> 20,
        BUDGET >> 20,
        OVERHEAD >> 20,
        flood.bytes_posted >> 20
    );

    // A viewer resuming from the start is told which bound took the frames.
    let (mut viewer, _) = Viewer::connect_to(&addr, Some(0)).await;
    let gap = viewer.next().await;
    assert_eq!(gap["type"], "gap", "{gap}");
    assert!(
        gap["reason"].as_str().unwrap().contains("--buffer-bytes"),
        "{gap}"
    );
    viewer.close().await;
    child.kill().await.expect("kill serve");
}
