//! Part 1, in process: an `App` holding many events with a filter on, drawn into ratatui's
//! `TestBackend` while the selection moves; draw time and memory per retained event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use eventscope::model::{EventFrame, Frame, thousands};
use eventscope::tui::action::Action;
use eventscope::tui::app::{App, Connection, SourceKind};
use eventscope::tui::highlight::{HighlightKey, Highlighted, highlight_doc};
use eventscope::tui::keys::KeyMap;
use eventscope::tui::theme::{ColorMode, load_theme};
use eventscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::value::RawValue;

use crate::common::{fixture_messages, rss_kib};
use crate::figures::{goal, percentiles};
use crate::{COLS, Config, ROWS, settle};

const INGEST_BATCH: usize = 4096;

pub struct FrameReport {
    pub draw_p50: f64,
    pub draw_p99: f64,
    pub rss_per_event: f64,
    pub raw_per_event: f64,
    /// Draw time with the Pretty tree of an ~80-line order (see `tree::tree_frames`).
    pub tree_p50: f64,
}

pub fn frame_time(config: &Config) -> anyhow::Result<FrameReport> {
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
    // All `n` events stay, whatever they weigh (the default byte budget keeps ~450,000 fixture
    // events; `--buffer-bytes` lifts it the same way).
    app.store = eventscope::tui::store::Store::bounded(n, u64::MAX);
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
    let tree = crate::tree::tree_frames(&mut app, &mut terminal, config)?;
    Ok(FrameReport {
        tree_p50: tree.p50,
        draw_p50: draw.p50,
        draw_p99: draw.p99,
        rss_per_event,
        raw_per_event,
    })
}
