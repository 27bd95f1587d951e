//! Replay throughput: the real `eventscope replay` sending a recording to a local sink (an
//! axum server in this process, on 127.0.0.1), batched (`segment`, 100 and 500 per request)
//! and, for contrast, unbatched (`webhook`, one message per request). Goal: ≥ 50,000 events/s
//! batched.
//!
//! `cargo bench --bench forward`; `EVENTSCOPE_BENCH_EVENTS=120000` sets the batched run's size
//! (the webhook run uses a quarter of it). The sink counts the messages it receives, so a
//! figure is only printed for a run that delivered everything.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;

mod common;
use common::FIXTURES;

/// What the sink counted.
#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    messages: AtomicU64,
    bytes: AtomicU64,
}

#[derive(Deserialize)]
struct Batch {
    batch: Vec<IgnoredAny>,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("forward bench: run with `cargo bench --bench forward`");
        return;
    }
    let events: usize = std::env::var("EVENTSCOPE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120_000);
    println!("load before: load average {}", common::load_average());
    let dir = std::env::temp_dir().join(format!("eventscope-forward-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (batched_file, batched_events, bytes) = recording(&dir, "batched.ndjson", events);
    let (webhook_file, webhook_events, _) = recording(&dir, "webhook.ndjson", events / 4);
    println!(
        "input: {} events, {:.0} bytes average",
        batched_events,
        bytes as f64 / batched_events as f64
    );

    // The sink runs on one worker thread: the replay process gets the other core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let counts = Arc::new(Counts::default());
    let url = runtime.block_on(sink(Arc::clone(&counts)));

    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[destination]]
name = "segment-100"
kind = "segment"
endpoint = "{url}"
write_key = "wk_bench_0123456789abcdef"
batch_size = 100
concurrency = 4

[[destination]]
name = "segment-500"
kind = "segment"
endpoint = "{url}"
write_key = "wk_bench_0123456789abcdef"
batch_size = 500
concurrency = 4

[[destination]]
name = "webhook"
kind = "webhook"
endpoint = "{url}/hook"
concurrency = 8
"#
        ),
    )
    .expect("config");

    let runs: [(&str, &Path, usize, &[&str]); 4] = [
        (
            "segment, batches of 100, new ids",
            &batched_file,
            batched_events,
            &[],
        ),
        (
            "segment, batches of 500, new ids",
            &batched_file,
            batched_events,
            &[],
        ),
        (
            "segment, batches of 500, --keep-ids",
            &batched_file,
            batched_events,
            &["--keep-ids"],
        ),
        (
            "webhook, 1 per request, new ids",
            &webhook_file,
            webhook_events,
            &[],
        ),
    ];
    let names = ["segment-100", "segment-500", "segment-500", "webhook"];
    for ((label, file, expected, extra), name) in runs.into_iter().zip(names) {
        counts.requests.store(0, Ordering::Relaxed);
        counts.messages.store(0, Ordering::Relaxed);
        counts.bytes.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_eventscope"))
            .arg("replay")
            .arg(file)
            .args(["--to", name, "--config"])
            .arg(&config)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run eventscope replay");
        let wall = started.elapsed();
        let received = counts.messages.load(Ordering::Relaxed);
        let requests = counts.requests.load(Ordering::Relaxed);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() || received != expected as u64 {
            println!(
                "{label:<38} FAILED: exit {:?}, {received} of {expected} received\n{stderr}",
                output.status.code()
            );
            continue;
        }
        println!(
            "{label:<38} {:>9.0} events/s  ({} events in {} requests, {:.2}s wall, {:.1} MB/s of request bodies)",
            expected as f64 / wall.as_secs_f64(),
            expected,
            requests,
            wall.as_secs_f64(),
            counts.bytes.load(Ordering::Relaxed) as f64 / wall.as_secs_f64() / 1e6
        );
        let _ = std::io::stdout().flush();
    }
    println!("load after: load average {}", common::load_average());
    let _ = std::fs::remove_dir_all(&dir);
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// The fixtures repeated to at least `events` lines (new messageIds come from replay itself).
fn recording(dir: &Path, name: &str, events: usize) -> (PathBuf, usize, usize) {
    let fixtures = std::fs::read_to_string(format!("{FIXTURES}/events.ndjson")).expect("fixtures");
    let lines: Vec<&str> = fixtures.lines().collect();
    let repeats = events.div_ceil(lines.len()).max(1);
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let mut bytes = 0;
    for _ in 0..repeats {
        for line in &lines {
            out.write_all(line.as_bytes()).expect("write");
            out.write_all(b"\n").expect("write");
            bytes += line.len() + 1;
        }
    }
    out.flush().expect("flush");
    (path, repeats * lines.len(), bytes)
}

/// Answers `{"success":true}` and counts the messages of each body: a `{"batch":[…]}` counts
/// its items (parsed, not built), anything else one.
async fn sink(counts: Arc<Counts>) -> String {
    let app = Router::new().fallback(move |body: Bytes| {
        let counts = Arc::clone(&counts);
        async move {
            let messages = match serde_json::from_slice::<Batch>(&body) {
                Ok(batch) => batch.batch.len() as u64,
                Err(_) => 1,
            };
            counts.requests.fetch_add(1, Ordering::Relaxed);
            counts.messages.fetch_add(messages, Ordering::Relaxed);
            counts.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            (
                [("content-type", "application/json")],
                r#"{"success":true}"#,
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
