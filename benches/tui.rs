//! Viewer benchmark: frame time with a million retained events, key press → screen change
//! while the embedded collector takes 20,000 events/s, and idle CPU.
//!
//! ```text
//! cargo bench --bench tui
//! EVENTSCOPE_BENCH_SECONDS=3 EVENTSCOPE_BENCH_EVENTS=50000 cargo bench --bench tui   # smoke run
//! ```
//!
//! Knobs (environment): `EVENTSCOPE_BENCH_EVENTS` (events retained for the frame-time part,
//! default 1,000,000), `EVENTSCOPE_BENCH_SECONDS` (the load phase, default 30),
//! `EVENTSCOPE_BENCH_RATE` (events/s posted during the load phase, default 20,000),
//! `EVENTSCOPE_BENCH_IDLE_SECONDS` (the idle window, default 10), `EVENTSCOPE_BENCH_DRAWS`
//! (draws timed, default 500), `EVENTSCOPE_BENCH_MAX_LOAD` (if set, e.g. `1.5`: before each
//! part wait, up to 10 minutes, until the 1-minute load average is below it).
//!
//! 1. In process, no terminal: an `App` holding the events, a `type:track` filter active, drawn
//!    into ratatui's `TestBackend` at 200×50 while the selection moves up and down.
//! 2. The real binary (`eventscope --listen 127.0.0.1:0`) in a 200×50 pseudo-terminal, its
//!    output parsed by `vt100`; a paced load generator posts `/v1/batch` bodies of 100 fixture
//!    messages while `2`/`1` (Raw/Pretty tab) are typed every 100 ms and the time from writing
//!    a key to the first screen state showing its effect is recorded. Frames are counted from
//!    the output (one hide-cursor sequence per draw); the machine's other CPU use and the UI
//!    thread's run-queue wait are sampled, to tell the viewer's own stalls from contention.
//! 3. The same binary with no traffic: CPU over a quiet window.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use eventscope::model::{EventFrame, Frame};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, SourceKind};
use eventscope::tui::highlight::{HighlightKey, Highlighted, highlight_doc};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::value::RawValue;

mod common;
use common::{env_number, fixture_messages, load_1min, load_average, rss_kib, system_busy_ticks};
use eventscope::model::thousands;

const COLS: u16 = 200;
const ROWS: u16 = 50;
const INGEST_BATCH: usize = 4096;
const BATCH_MESSAGES: usize = 100;
const LOAD_CONNS: usize = 4;
const KEY_INTERVAL: Duration = Duration::from_millis(100);
/// A key whose effect has not shown after this long counts as this long (and as missed).
const KEY_TIMEOUT: Duration = Duration::from_secs(2);
const SCREEN_DEADLINE: Duration = Duration::from_secs(20);
/// What crossterm writes for every ratatui draw without a cursor: one per frame drawn.
const HIDE_CURSOR: &[u8] = b"\x1b[?25l";

// ---------------------------------------------------------------------------------------------
// Configuration and small helpers

struct Config {
    events: usize,
    load_seconds: f64,
    rate: u64,
    idle_seconds: f64,
    draws: usize,
    max_load: Option<f64>,
}

impl Config {
    fn from_env() -> Config {
        Config {
            events: env_number("EVENTSCOPE_BENCH_EVENTS")
                .filter(|n| *n > 0)
                .unwrap_or(1_000_000),
            load_seconds: env_number("EVENTSCOPE_BENCH_SECONDS")
                .filter(|s: &f64| *s > 0.0)
                .unwrap_or(30.0),
            rate: env_number("EVENTSCOPE_BENCH_RATE")
                .filter(|r| *r > 0)
                .unwrap_or(20_000),
            idle_seconds: env_number("EVENTSCOPE_BENCH_IDLE_SECONDS")
                .filter(|s: &f64| *s > 0.0)
                .unwrap_or(10.0),
            draws: env_number("EVENTSCOPE_BENCH_DRAWS")
                .filter(|n| *n > 0)
                .unwrap_or(500),
            max_load: env_number("EVENTSCOPE_BENCH_MAX_LOAD").filter(|l: &f64| *l > 0.0),
        }
    }
}

/// Prints the load average before a part; with `EVENTSCOPE_BENCH_MAX_LOAD`, waits for it.
fn settle(config: &Config, part: &str) {
    if let Some(max) = config.max_load {
        let start = Instant::now();
        while load_1min().is_some_and(|l| l >= max) && start.elapsed() < Duration::from_secs(600) {
            std::thread::sleep(Duration::from_secs(5));
        }
        if start.elapsed() > Duration::from_secs(1) {
            println!(
                "  (waited {:.0} s for the 1-minute load to drop below {max})",
                start.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "\n== {part}\n  load average (1/5/15 min) at start: {}",
        load_average()
    );
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime (clock ticks) and the name of a process or thread, from its `stat` file.
fn cpu_ticks(stat_path: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_string();
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

/// CPU ticks of a process and of each of its threads (by tid), plus context switches.
#[derive(Clone, Default)]
struct CpuSample {
    total: u64,
    threads: HashMap<String, (String, u64)>,
    switches: u64,
}

fn sample_cpu(pid: u32) -> CpuSample {
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
struct CpuUse {
    percent: f64,
    by_thread: Vec<(String, f64)>,
    switches_per_second: f64,
}

fn cpu_use(before: &CpuSample, after: &CpuSample, elapsed: Duration) -> CpuUse {
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

fn print_cpu(label: &str, cpu: &CpuUse) {
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

/// Sorted durations → (p50, p90, p99, max) in milliseconds.
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn percentiles(samples: &[Duration]) -> Percentiles {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        if ms.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len());
        ms[rank - 1]
    };
    Percentiles {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: ms.last().copied().unwrap_or(f64::NAN),
        mean: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
    }
}

fn goal(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

// ---------------------------------------------------------------------------------------------
// Part 1: frame time in process

struct FrameReport {
    draw_p50: f64,
    draw_p99: f64,
    rss_per_event: f64,
    raw_per_event: f64,
}

fn frame_time(config: &Config) -> anyhow::Result<FrameReport> {
    let n = config.events;
    settle(
        config,
        &format!(
            "1. Frame time: {} retained events, filter `type:track`, TestBackend {COLS}×{ROWS}",
            thousands(n as u64)
        ),
    );
    let messages = fixture_messages();
    let theme = Arc::new(load_theme("dark", ColorMode::TrueColor)?);
    let source = SourceKind::File {
        path: "bench".into(),
    };
    let mut app = App::new(source, n, Arc::clone(&theme), KeyMap::default());
    app.connection = Connection::Loaded;
    // Warm the allocator and syntect's assets outside the measured memory.
    let _ = highlight_doc(&eventscope::model::pretty::pretty(messages[0]), &theme);
    let rss_before = rss_kib("self");

    let raw_bytes: u64 = (0..n)
        .map(|i| messages[i % messages.len()].len() as u64)
        .sum();
    let mut build = Duration::ZERO;
    let mut ingest = Duration::ZERO;
    let mut seq = 0usize;
    while seq < n {
        let end = (seq + INGEST_BATCH).min(n);
        let started = Instant::now();
        let mut frames = Vec::with_capacity(end - seq);
        for s in seq..end {
            let text = messages[s % messages.len()].to_string();
            let raw = RawValue::from_string(text).context("a fixture line is JSON")?;
            frames.push(Frame::Event(EventFrame::from_plain(
                s as u64 + 1,
                raw,
                "bench",
            )));
        }
        build += started.elapsed();
        let started = Instant::now();
        app.ingest(frames, Instant::now());
        ingest += started.elapsed();
        seq = end;
    }
    let rss_loaded = rss_kib("self");
    if app.store.len() != n {
        bail!("retained {} events, expected {n}", app.store.len());
    }

    let started = Instant::now();
    app.apply_filter("type:track");
    while !app.store.rescan_step(usize::MAX) {}
    app.after_change();
    let filter_time = started.elapsed();
    let shown = app.shown_len();
    let rss_filtered = rss_kib("self");

    let raw_per_event = raw_bytes as f64 / n as f64;
    let rss_per_event = (rss_loaded.saturating_sub(rss_before)) as f64 * 1024.0 / n as f64;
    let rss_per_event_filtered =
        (rss_filtered.saturating_sub(rss_before)) as f64 * 1024.0 / n as f64;
    println!(
        "  building frames (bench side, not the app): {:.2} s",
        build.as_secs_f64()
    );
    println!(
        "  App::ingest of {} events in batches of {INGEST_BATCH}: {:.2} s ({:.2} µs/event, {:.0} events/s)",
        thousands(n as u64),
        ingest.as_secs_f64(),
        ingest.as_secs_f64() * 1e6 / n as f64,
        n as f64 / ingest.as_secs_f64()
    );
    println!(
        "  apply_filter(\"type:track\") full rescan: {:.1} ms → {} of {} shown",
        filter_time.as_secs_f64() * 1e3,
        thousands(shown as u64),
        thousands(app.store.len() as u64)
    );
    println!(
        "  VmRSS: {:.1} MiB before loading, {:.1} MiB loaded, {:.1} MiB with the filter",
        rss_before as f64 / 1024.0,
        rss_loaded as f64 / 1024.0,
        rss_filtered as f64 / 1024.0
    );
    println!(
        "  memory per retained event: {rss_per_event:.0} B (with the filter {rss_per_event_filtered:.0} B); average raw message {raw_per_event:.0} B → overhead {:.0} B/event (goal ≤ 300: {})",
        rss_per_event - raw_per_event,
        goal(rss_per_event - raw_per_event <= 300.0)
    );

    println!(
        "    (size_of::<Entry>() = {} B, of which Summary {} B; plus the message text, its allocation header, and 8 B per visible id)",
        std::mem::size_of::<eventscope::entry::Entry>(),
        std::mem::size_of::<eventscope::model::Summary>()
    );

    // The real loop learns the pane heights from the first draw.
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS))?;
    let mut layout = views::DrawnLayout::default();
    terminal.draw(|f| layout = views::draw(f, &app, None))?;
    app.list_height = (layout.list_rows.height as usize).max(1);
    app.detail.height = (layout.detail_lines.height as usize).max(1);
    app.after_change();

    // The app's highlight worker caches results; draws reuse them. Highlight each message the
    // selection visits once, outside the timings.
    let mut cache: HashMap<u64, Highlighted> = HashMap::new();
    let mut highlight_times = Vec::new();
    let mut highlight = |app: &App, cache: &mut HashMap<u64, Highlighted>| {
        if let Some((id, doc)) = &app.detail.doc
            && !cache.contains_key(id)
        {
            let started = Instant::now();
            let lines = highlight_doc(doc, &app.theme);
            highlight_times.push(started.elapsed());
            cache.insert(
                *id,
                Highlighted {
                    key: HighlightKey {
                        id: *id,
                        theme: app.theme.name.clone(),
                    },
                    doc: Arc::clone(doc),
                    lines: Arc::new(lines),
                },
            );
        }
    };

    let mut draw_times = Vec::with_capacity(config.draws);
    let mut view_times = Vec::with_capacity(config.draws);
    let mut update_times = Vec::with_capacity(config.draws);
    let warmup = 20;
    for i in 0..warmup + config.draws {
        let action = if i % 2 == 0 { Action::Up } else { Action::Down };
        let started = Instant::now();
        app.update(action);
        let update = started.elapsed();
        highlight(&app, &mut cache);
        let highlighted = app.selected.and_then(|id| cache.get(&id));
        let mut view = Duration::ZERO;
        let started = Instant::now();
        terminal.draw(|f| {
            let inner = Instant::now();
            views::draw(f, &app, highlighted);
            view = inner.elapsed();
        })?;
        let draw = started.elapsed();
        if i >= warmup {
            draw_times.push(draw);
            view_times.push(view);
            update_times.push(update);
        }
    }
    let screen = format!("{:?}", terminal.backend());
    if !screen.contains("Pretty") || !screen.contains("track") {
        bail!("the drawn screen does not look right:\n{screen}");
    }
    let draw = percentiles(&draw_times);
    let view = percentiles(&view_times);
    let update = percentiles(&update_times);
    let hl = percentiles(&highlight_times);
    println!(
        "  terminal.draw (views::draw + buffer diff into TestBackend), {} draws: median {:.3} ms, p99 {:.3} ms, mean {:.3} ms, max {:.3} ms (goal median < 2 ms: {})",
        config.draws,
        draw.p50,
        draw.p99,
        draw.mean,
        draw.max,
        goal(draw.p50 < 2.0)
    );
    println!(
        "    of which views::draw: median {:.3} ms, p99 {:.3} ms",
        view.p50, view.p99
    );
    println!(
        "  app.update(Up/Down) between draws (incl. pretty-printing the new selection): median {:.3} ms, p99 {:.3} ms",
        update.p50, update.p99
    );
    println!(
        "  highlight_doc of a selected message (the worker's job, cached): median {:.3} ms over {} messages",
        hl.p50,
        highlight_times.len()
    );
    Ok(FrameReport {
        draw_p50: draw.p50,
        draw_p99: draw.p99,
        rss_per_event,
        raw_per_event,
    })
}

// ---------------------------------------------------------------------------------------------
// The real binary in a pseudo-terminal

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    Pretty,
    Raw,
}

/// Which detail tab the screen shows, judged by the pane's first text line: Pretty numbers its
/// lines (` 1 {`), Raw shows the message compact (`{"type":…`).
fn detail_shows(screen: &vt100::Screen) -> Option<Shown> {
    let half = COLS / 2;
    for row in screen.rows(half, COLS - half).skip(2).take(2) {
        let text = row.trim_start_matches(['│', ' ']);
        if text.starts_with("{\"") {
            return Some(Shown::Raw);
        }
        if text.starts_with("1 {") || text.starts_with("1▶{") {
            return Some(Shown::Pretty);
        }
    }
    None
}

#[derive(Default)]
struct Probe {
    want: Option<Shown>,
    sent: Option<Instant>,
    seen: Option<Duration>,
}

#[derive(Default)]
struct Output {
    bytes: AtomicU64,
    frames: AtomicU64,
    /// When each frame's output ended (its hide-cursor sequence was read).
    frame_ends: Mutex<Vec<Instant>>,
    probe: Mutex<Probe>,
}

struct Tui {
    parser: Arc<Mutex<vt100::Parser>>,
    output: Arc<Output>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    pid: u32,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tui {
    fn spawn(args: &[&str]) -> anyhow::Result<Tui> {
        let pty = native_pty_system().openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })?;
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_eventscope"));
        command.args(args);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        command.env_remove("EVENTSCOPE_LOG");
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pty.slave.spawn_command(command)?;
        drop(pty.slave);
        let pid = child.process_id().context("the child's pid")?;
        let mut reader = pty.master.try_clone_reader()?;
        let writer = pty.master.take_writer()?;
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(ROWS).context("rows")?,
            NonZeroU16::new(COLS).context("cols")?,
            0,
        )));
        let output = Arc::new(Output::default());
        let (parser_in, output_in) = (Arc::clone(&parser), Arc::clone(&output));
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = vec![0u8; 64 * 1024];
            // The tail of the previous read, so that sequences split across reads count.
            let mut carry: Vec<u8> = Vec::new();
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                carry.extend_from_slice(chunk);
                let frames = carry
                    .windows(HIDE_CURSOR.len())
                    .filter(|w| *w == HIDE_CURSOR)
                    .count();
                let keep = carry.len().min(HIDE_CURSOR.len() - 1);
                carry.drain(..carry.len() - keep);
                output_in.frames.fetch_add(frames as u64, Ordering::Relaxed);
                if frames > 0 {
                    let now = Instant::now();
                    lock(&output_in.frame_ends).extend(std::iter::repeat_n(now, frames));
                }
                output_in.bytes.fetch_add(n as u64, Ordering::Relaxed);
                let mut parser = lock(&parser_in);
                parser.process(chunk);
                let mut probe = lock(&output_in.probe);
                if let (Some(want), Some(sent), None) = (probe.want, probe.sent, probe.seen)
                    && detail_shows(parser.screen()) == Some(want)
                {
                    probe.seen = Some(sent.elapsed());
                }
            }
        });
        Ok(Tui {
            parser,
            output,
            writer,
            child,
            pid,
        })
    }

    fn text(&self) -> String {
        lock(&self.parser).screen().contents()
    }

    fn wait_for(&mut self, what: &str, check: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let start = Instant::now();
        loop {
            let text = self.text();
            if check(&text) {
                return Ok(text);
            }
            if start.elapsed() > SCREEN_DEADLINE {
                bail!("waiting for {what}; screen:\n{text}");
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("the viewer exited ({status:?}) while waiting for {what}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()?;
        Ok(())
    }

    /// Asks the viewer to quit and waits a little; Drop kills it otherwise.
    fn quit(&mut self) {
        let _ = self.type_text("q");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn address_on(screen: &str) -> anyhow::Result<String> {
    let start = screen
        .find("http://127.0.0.1:")
        .context("the collector's address is on screen")?;
    Ok(screen[start + "http://".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect())
}

/// The `N events` of the header (not the `events` of `eventscope`).
fn events_on(screen: &str) -> Option<u64> {
    let header = screen.lines().next()?;
    header.match_indices(" events").find_map(|(end, _)| {
        let before = &header[..end];
        let start = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == ','))
            .map_or(0, |i| i + 1);
        let digits: String = before[start..]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}

// ---------------------------------------------------------------------------------------------
// The machine around the viewer: to tell the viewer's own stalls from waiting for a CPU

/// One point in time: CPU ticks of the whole machine, the viewer and this process, and how long
/// the viewer's UI thread (its main thread) has waited, runnable, for a CPU.
#[derive(Clone, Copy)]
struct Moment {
    at: Instant,
    busy: u64,
    viewer: u64,
    bench: u64,
    ui_wait_ns: u64,
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
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Moment>>,
}

impl Sampler {
    fn start(viewer: u32) -> Sampler {
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

    fn finish(self) -> Vec<Moment> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Between two moments: cores busy with other processes (neither the viewer nor this
/// benchmark), cores used by the viewer, and the UI thread's run-queue wait in ms per second.
struct Between {
    others: f64,
    viewer: f64,
    ui_wait_ms_per_s: f64,
}

fn between(a: &Moment, b: &Moment, ticks: f64) -> Between {
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
fn around(moments: &[Moment], at: Instant, ticks: f64) -> Option<Between> {
    let i = moments.partition_point(|m| m.at <= at);
    (i > 0 && i < moments.len()).then(|| between(&moments[i - 1], &moments[i], ticks))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

// ---------------------------------------------------------------------------------------------
// Part 2: key press → screen change under load

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

struct KeyReport {
    p99: f64,
    cpu: f64,
}

fn key_latency(config: &Config) -> anyhow::Result<KeyReport> {
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
    let mut tui = Tui::spawn(&["--listen", "127.0.0.1:0"])?;
    let text = tui.wait_for("the empty state", |s| s.contains("Waiting for events"))?;
    let addr = address_on(&text)?;
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

// ---------------------------------------------------------------------------------------------
// Part 3: idle CPU

fn idle_cpu(config: &Config) -> anyhow::Result<f64> {
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

fn main() -> anyhow::Result<()> {
    let config = Config::from_env();
    println!(
        "eventscope TUI benchmark — {} cores, CLK_TCK {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        clock_ticks()
    );
    let frames = frame_time(&config)?;
    let keys = key_latency(&config)?;
    let idle = idle_cpu(&config)?;
    println!("\n== Summary");
    println!(
        "  frame time at {} events, filter on: median {:.3} ms, p99 {:.3} ms (goal median < 2 ms: {})",
        thousands(config.events as u64),
        frames.draw_p50,
        frames.draw_p99,
        goal(frames.draw_p50 < 2.0)
    );
    println!(
        "  memory: {:.0} B/event for {:.0} B raw messages (goal ≤ raw + 300: {})",
        frames.rss_per_event,
        frames.raw_per_event,
        goal(frames.rss_per_event <= frames.raw_per_event + 300.0)
    );
    println!(
        "  key → screen p99 under {} events/s: {:.1} ms (goal < 50 ms: {}); viewer CPU {:.1} % (goal < 50 %: {})",
        thousands(config.rate),
        keys.p99,
        goal(keys.p99 < 50.0),
        keys.cpu,
        goal(keys.cpu < 50.0)
    );
    println!("  idle CPU: {idle:.2} % (goal < 1 %: {})", goal(idle < 1.0));
    println!("  load average at the end: {}", load_average());
    Ok(())
}
