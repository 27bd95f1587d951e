//! Verdict figures: parse + spec + plan + PII (and the identity graph, the warehouse mapping and
//! schema) per event on one core, and `eventscope check`
//! over a million events (wall time and peak memory).
//!
//! `cargo bench --bench verdicts`; `EVENTSCOPE_BENCH_EVENTS=100000` for a quicker run.
//! Then `check` and ajv (`benches/ajv`, installed with `npm ci` from its lock file) side by
//! side as whole processes on one core (`taskset -c 0` when present) over the same file of
//! `EVENTSCOPE_BENCH_SIDE_EVENTS` (default 100,000) events; ajv is skipped with a message when
//! node or its `node_modules` are missing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventscope::entry::EntryBuilder;
use eventscope::identity::{IdentityGraph, IdentitySettings, observed_at};
use eventscope::inspect::Inspector;
use eventscope::inspect::identity::across;
use eventscope::model::Source;
use eventscope::model::json::Json;
use serde_json::Value;

mod common;
use common::FIXTURES;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("verdicts bench: run with `cargo bench --bench verdicts`");
        return;
    }
    let messages: Vec<String> = std::fs::read_to_string(format!("{FIXTURES}/events.ndjson"))
        .expect("fixtures")
        .lines()
        .map(str::to_string)
        .collect();
    let plan =
        eventscope::cli::plan::load(Path::new(&format!("{FIXTURES}/plan.json"))).expect("plan");
    let inspector = Inspector {
        plan: Some(plan),
        ..Inspector::default()
    };
    let parsed: Vec<Json<'_>> = messages.iter().map(|m| Json::parse(m).unwrap()).collect();
    let bytes: usize = messages.iter().map(String::len).sum();
    println!(
        "fixtures: {} messages, {:.0} bytes average",
        messages.len(),
        bytes as f64 / messages.len() as f64
    );

    // Each stage alone, then everything together, on this one thread.
    // `EVENTSCOPE_BENCH_STAGE=all` runs only the stages whose name contains it (for profiling).
    let stage = std::env::var("EVENTSCOPE_BENCH_STAGE").unwrap_or_default();
    let rate = |name: &str, f: &dyn Fn(usize) -> usize| {
        if !name.contains(stage.as_str()) {
            return 0.0;
        }
        let start = Instant::now();
        let mut events = 0;
        let mut sink = 0;
        // A fixed number of passes instead of 3 s, for instruction counts under callgrind.
        let passes: Option<usize> = std::env::var("EVENTSCOPE_BENCH_PASSES")
            .ok()
            .and_then(|v| v.parse().ok());
        while match passes {
            Some(n) => events < n * messages.len(),
            None => start.elapsed() < Duration::from_secs(3),
        } {
            for i in 0..messages.len() {
                sink += f(i);
            }
            events += messages.len();
        }
        let per_second = events as f64 / start.elapsed().as_secs_f64();
        println!(
            "{name:<34} {:>10.0} events/s  {:>6.2} µs/event  (checksum {sink})",
            per_second,
            1e6 / per_second
        );
        per_second
    };
    rate("parse (serde_json::Value, for contrast)", &|i| {
        serde_json::from_str::<Value>(&messages[i])
            .map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
    });
    rate("parse (borrowed, as the verdicts do)", &|i| {
        Json::parse(&messages[i]).map_or(0, |v| v.as_object().map_or(0, |o| o.len()))
    });
    rate("spec rules (pre-parsed)", &|i| {
        let mut out = Vec::new();
        inspector
            .spec
            .check(&parsed[i], messages[i].len(), &mut out);
        out.len()
    });
    let plan = inspector.plan.as_ref().unwrap();
    rate("tracking plan (pre-parsed)", &|i| {
        let mut out = Vec::new();
        plan.check(&parsed[i], &mut out);
        out.len()
    });
    rate("PII matchers (pre-parsed)", &|i| {
        let mut out = Vec::new();
        inspector.pii.scan(&parsed[i], &mut out);
        out.len()
    });
    // The identity graph fed every message as the viewer's rows and `check` feed it: its time,
    // the graph, its cross-message verdicts (goal ≤ 1 µs/event).
    let graph = std::cell::RefCell::new(IdentityGraph::new(IdentitySettings::default()));
    let seq = std::cell::Cell::new(0u64);
    rate("identity graph (pre-parsed)", &|i| {
        seq.set(seq.get() + 1);
        let mut graph = graph.borrow_mut();
        let at = observed_at(&parsed[i], "2026-12-05T10:00:00.000Z");
        let observed = graph.observe(seq.get(), at, &parsed[i]);
        across(&observed, &graph).len() + usize::from(observed.created)
    });
    // Issue 15: the warehouse mapping alone, then fed to the schema with the `warehouse/…`
    // verdicts, as `check` does.
    rate("warehouse rows (pre-parsed)", &|i| {
        eventscope::warehouse::rows(&parsed[i]).len()
    });
    let schema = std::cell::RefCell::new(eventscope::warehouse::Schema::new());
    let warehouse = eventscope::warehouse::WarehouseSettings::default();
    rate("warehouse rows + schema + verdicts", &|i| {
        seq.set(seq.get() + 1);
        let rows = eventscope::warehouse::rows(&parsed[i]);
        let mut schema = schema.borrow_mut();
        let observed = schema.observe(seq.get(), &rows);
        eventscope::inspect::warehouse::verdicts(&rows, &observed, &schema, &warehouse).len()
    });
    let all = rate("all verdicts incl. parse (goal 250k)", &|i| {
        inspector.inspect_text(&messages[i]).len()
    });
    // As `check` judges a message since issue 15: one parse, every verdict, and the warehouse
    // mapping fed to the schema with its verdicts.
    let checked = std::cell::RefCell::new(eventscope::warehouse::Schema::new());
    rate("all verdicts + warehouse incl. parse (goal 250k)", &|i| {
        seq.set(seq.get() + 1);
        let text = &messages[i];
        let Ok(tree) = Json::parse(text) else {
            return 0;
        };
        let findings = inspector.inspect_json(&tree, text.len()).len();
        let rows = eventscope::warehouse::rows(&tree);
        let mut schema = checked.borrow_mut();
        let observed = schema.observe(seq.get(), &rows);
        findings
            + eventscope::inspect::warehouse::verdicts(&rows, &observed, &schema, &warehouse).len()
    });
    // The viewer's rows as the feeds build them (summary, verdicts, one parse), without and
    // with the identity graph and its cross-message verdicts (the difference is identity's
    // cost inside verdicts), then with the warehouse schema as well (the viewer's feeds since
    // issue 15: the difference is the mapping, the schema and its verdicts).
    let inspector = std::sync::Arc::new(inspector);
    let texts = &messages.clone();
    let rows = |graph: bool, schema: bool| {
        let mut builder = EntryBuilder::judging(std::sync::Arc::clone(&inspector));
        if schema {
            builder.set_schema(eventscope::warehouse::SharedSchema::default());
        }
        if graph {
            let settings = IdentitySettings::default();
            builder.set_identity(std::sync::Arc::new(std::sync::Mutex::new(
                IdentityGraph::new(settings),
            )));
        }
        let builder = std::cell::RefCell::new(builder);
        let seq = std::cell::Cell::new(0u64);
        move |i: usize| {
            seq.set(seq.get() + 1);
            let entry = builder.borrow_mut().event(
                seq.get(),
                "2026-12-05T10:00:00.000Z",
                Source::default(),
                None,
                None,
                texts[i].as_str().into(),
            );
            usize::from(entry.verdict.violation()) + entry.profile.map_or(0, |_| 1)
        }
    };
    let without = rate("rows: verdicts", &rows(false, false));
    let with = rate("rows: verdicts + identity graph", &rows(true, false));
    if without > 0.0 && with > 0.0 {
        println!(
            "identity inside verdicts: {:.2} µs/event",
            1e6 / with - 1e6 / without
        );
    }
    let feed = rate(
        "rows: verdicts + identity + warehouse (the viewer's feed)",
        &rows(true, true),
    );
    if with > 0.0 && feed > 0.0 {
        println!(
            "warehouse inside the viewer's feed: {:.2} µs/event",
            1e6 / feed - 1e6 / with
        );
    }
    println!("all verdicts: {all:.0} events/s on one core");
    if !stage.is_empty() {
        return;
    }

    // `check` over a million events, streamed through standard input.
    let total: usize = std::env::var("EVENTSCOPE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args([
            "check",
            "--plan",
            &format!("{FIXTURES}/plan.json"),
            "--format",
            "json",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn check");
    let pid = child.id();
    let start = Instant::now();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut stdin);
        for i in 0..total {
            let _ = out.write_all(messages[i % messages.len()].as_bytes());
            let _ = out.write_all(b"\n");
        }
    });
    let status_path = format!("/proc/{pid}/status");
    let mut peak_kb = 0u64;
    let mut samples = Vec::new();
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            for line in status.lines() {
                let kb = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                if line.starts_with("VmHWM:") {
                    peak_kb = peak_kb.max(kb(line));
                }
                if line.starts_with("VmRSS:") {
                    samples.push(kb(line));
                }
            }
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = writer.join();
    let output = child.wait_with_output().expect("check finished");
    let wall = start.elapsed();
    let quarter = samples.len() / 4;
    let (early, late) = (
        samples.get(quarter).copied().unwrap_or(0),
        samples
            .get(samples.len().saturating_sub(quarter + 1))
            .copied()
            .unwrap_or(0),
    );
    println!(
        "check over {total} events: {:.1} s wall ({:.0} events/s), peak RSS {:.1} MB, RSS at 25% {:.1} MB and at 75% {:.1} MB",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        early as f64 / 1024.0,
        late as f64 / 1024.0,
    );
    println!(
        "check said: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    side_by_side(&messages_again());
}

fn messages_again() -> Vec<String> {
    std::fs::read_to_string(format!("{FIXTURES}/events.ndjson"))
        .expect("fixtures")
        .lines()
        .map(str::to_string)
        .collect()
}

/// `eventscope check` and ajv as whole processes, one after the other, on one core, over the
/// same file: the figure the README quotes.
fn side_by_side(messages: &[String]) {
    let total: usize = std::env::var("EVENTSCOPE_BENCH_SIDE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let path = std::env::temp_dir().join(format!("eventscope-side-{}.ndjson", std::process::id()));
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
        for i in 0..total {
            writeln!(out, "{}", messages[i % messages.len()]).expect("write");
        }
    }
    let plan = format!("{FIXTURES}/plan.json");
    let file = path.to_str().expect("utf-8 temp path").to_string();
    let pinned = Command::new("taskset").arg("-V").output().is_ok();
    let run = |name: &str, program: &str, args: &[&str]| {
        let mut command = if pinned {
            let mut c = Command::new("taskset");
            c.args(["-c", "0", program]);
            c
        } else {
            Command::new(program)
        };
        let start = Instant::now();
        let output = command.args(args).stdout(Stdio::null()).output();
        let wall = start.elapsed().as_secs_f64();
        match output {
            Ok(o) => println!(
                "{name:<28} {total} events: {wall:.2} s, {:.0} events/s{}  ({})",
                total as f64 / wall,
                if pinned { " on core 0" } else { "" },
                String::from_utf8_lossy(&o.stderr)
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or_default()
            ),
            Err(e) => println!("{name}: SKIPPED ({e})"),
        }
        wall
    };
    let check = run(
        "eventscope check (json)",
        env!("CARGO_BIN_EXE_eventscope"),
        &["check", "--plan", &plan, "--format", "json", &file],
    );
    let ajv = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/ajv"));
    if ajv.join("node_modules/ajv").exists() {
        let script = ajv.join("validate.mjs");
        let ajv_wall = run(
            "ajv (plan only)",
            "node",
            &[script.to_str().expect("utf-8 path"), &plan, &file],
        );
        println!("check is {:.2}x ajv's speed", ajv_wall / check);
    } else {
        println!("ajv: SKIPPED (run `npm ci` in benches/ajv)");
    }
    let _ = std::fs::remove_file(&path);
}
