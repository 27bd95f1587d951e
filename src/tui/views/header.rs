//! The header: source, connection state, totals, rate and its sparkline, events per source,
//! rejected, secrets seen, bots, missed and evicted counts.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::thousands;
use crate::tui::action::Action;
use crate::tui::app::{App, Connection, SourceKind};
use crate::tui::sources::source_style;
use crate::tui::text::escape_line;
use crate::tui::theme::{ColorMode, Role};
use eventscope_core::inspect::redact::RedactMode;
use eventscope_core::model::count;
use eventscope_core::recording::describe_size;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let base = t.style(Role::Header).remove_modifier(Modifier::BOLD);
    let source = match &app.source {
        SourceKind::Embedded { addr, .. } => format!("http://{addr}"),
        SourceKind::Remote { url } => url.clone(),
        SourceKind::File { path } => path.clone(),
    };
    let (state, state_style) = state_label(app);
    let totals = app.store.totals();
    let mut spans = vec![
        Span::styled(" eventscope ", base.add_modifier(Modifier::BOLD)),
        Span::styled(format!("{source} "), base),
        Span::styled(format!(" {state} "), state_style),
    ];
    let state_at = 2;
    // Right after the state: a recording that was not read whole must not go unnoticed.
    let unread = &app.unread;
    if unread.skipped > 0 {
        let mut text = format!("  {} skipped", count(unread.skipped, "line"));
        if unread.over_max_line > 0 {
            text.push_str(&format!(
                " ({} over --max-line {})",
                thousands(unread.over_max_line),
                describe_size(unread.max_line)
            ));
        }
        spans.push(Span::styled(
            text,
            base.patch(t.fg(ui.warning)).add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::styled(
        format!("  {}", count(totals.events, "event")),
        base,
    ));
    if !matches!(app.source, SourceKind::File { .. }) {
        let rate = app.rate.per_second(Instant::now());
        spans.push(Span::styled(format!(" · {rate:.0}/s"), base));
    }
    spans.extend(rate_sparkline(app, base));
    spans.extend(per_source(app, base, area.width));
    let rejected_style = if totals.rejected > 0 {
        base.patch(t.fg(ui.rejected)).add_modifier(Modifier::BOLD)
    } else {
        base
    };
    spans.push(Span::styled(
        format!(" · {} rejected", thousands(totals.rejected)),
        rejected_style,
    ));
    // SDK telemetry (`/v1/m`) is answered, not shown as rows: counted so it is not a mystery.
    if let Some(metrics) = app.sdk_metrics.as_ref().map(|m| m.get()).filter(|&n| n > 0) {
        spans.push(Span::styled(
            format!(" · {} metrics", thousands(metrics)),
            base,
        ));
    }
    if totals.not_recorded > 0 {
        // The collector answered 503: the SDK will send again, the recording has a hole now.
        spans.push(Span::styled(
            format!(" · {} not recorded", thousands(totals.not_recorded)),
            base.patch(t.fg(ui.error)).add_modifier(Modifier::BOLD),
        ));
    }
    spans.extend(secrets(app, base));
    if totals.bots > 0 {
        spans.push(Span::styled(
            format!(" · {}", count(totals.bots, "bot")),
            base.patch(t.fg(ui.accent)),
        ));
    }
    if totals.missed > 0 || app.store.evicted() > 0 {
        spans.push(Span::styled(
            format!(
                " · {} missed · {} evicted",
                thousands(totals.missed),
                thousands(app.store.evicted())
            ),
            base.patch(t.fg(ui.gap)),
        ));
    }
    let filtered = app.store.visible().len();
    if !app.store.filter().source().is_empty() {
        spans.push(Span::styled(
            format!(" · {} shown", thousands(filtered as u64)),
            base.patch(t.fg(ui.accent)),
        ));
    }
    if !app.marks.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", thousands(app.marks.len() as u64)),
            base.patch(t.fg(ui.accent)).add_modifier(Modifier::BOLD),
        ));
    }
    // Checked at start: a destination `f` cannot use is named before anyone presses `f`.
    for unusable in &app.destinations.unusable {
        spans.push(Span::styled(
            format!(" · ✗ {}: {}", unusable.name, unusable.short),
            base.patch(t.fg(ui.warning)).add_modifier(Modifier::BOLD),
        ));
    }
    // `--ignore-routing`: said loudly, from the first frame.
    if app.destinations.ignore_routing {
        spans.push(Span::styled(
            " · ⚠ routing ignored (--ignore-routing)",
            base.patch(t.fg(ui.warning)).add_modifier(Modifier::BOLD),
        ));
    }
    let deliveries = app.deliveries.totals();
    if deliveries.ok + deliveries.failed > 0 {
        spans.push(Span::styled(
            format!(" · {} delivered", thousands(deliveries.ok)),
            base,
        ));
        if deliveries.failed > 0 {
            spans.push(Span::styled(
                format!(" · {} failed", thousands(deliveries.failed)),
                base.patch(t.fg(ui.error)).add_modifier(Modifier::BOLD),
            ));
        }
    }
    if deliveries.skipped > 0 {
        spans.push(Span::styled(
            format!(" · {} not sent", thousands(deliveries.skipped)),
            base.patch(t.fg(ui.warning)),
        ));
    }
    if !app.jobs.is_empty() {
        let done: usize = app.jobs.iter().map(|j| j.done).sum();
        spans.push(Span::styled(
            format!(" · sending… {done} done"),
            base.patch(t.fg(ui.accent)),
        ));
    }
    let spans = compact(spans, state_at, usize::from(area.width));
    frame.render_widget(
        Paragraph::new(escape_line(Line::from(spans))).style(base),
        area,
    );
}

/// The header within `width` columns (80 at least is supported): when it does not fit, the
/// name goes, then the source, then the counts shorten (`·` items keep their numbers); the
/// state (at `state_at`) always stays.
fn compact(mut spans: Vec<Span<'static>>, state_at: usize, width: usize) -> Vec<Span<'static>> {
    let wide = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    if wide(&spans) <= width {
        return spans;
    }
    // The source, then the name, leave first.
    for drop in [1, 0] {
        if wide(&spans) > width && drop < state_at {
            spans[drop].content = "".into();
        }
    }
    if let Some(first) = spans.get_mut(state_at) {
        first.content = first.content.trim_start().to_string().into();
    }
    if wide(&spans) > width {
        for span in spans.iter_mut().skip(state_at + 1) {
            let short = span
                .content
                .replace(" events", " ev")
                .replace(" rejected", " rej")
                .replace(" missed", " miss")
                .replace(" evicted", " evict")
                .replace(" delivered", " dlv");
            span.content = short.into();
        }
    }
    spans
}

fn state_label(app: &App) -> (String, Style) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let on = |color| {
        if t.mode == ColorMode::NoColor {
            return Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        Style::new()
            .fg(ui.header_bg)
            .bg(color)
            .add_modifier(Modifier::BOLD)
    };
    if app.paused_at.is_some() {
        let waiting = app.waiting();
        return (
            format!("⏸ paused · {} new", thousands(waiting as u64)),
            on(ui.paused),
        );
    }
    // Moved up: the list no longer follows; rows keep arriving below, off-screen.
    if let Some(new) = app.new_below()
        && app.connection != Connection::Loaded
    {
        return (
            format!(
                "↑ scrolled · {} new ↓ · {} follows",
                thousands(new as u64),
                app.keys.first_key_label(Action::Live)
            ),
            on(ui.paused),
        );
    }
    match &app.connection {
        Connection::Connecting => ("connecting…".into(), on(ui.muted)),
        Connection::Live => match &app.relayed {
            Some(relay) => (
                format!("● live via relay · stream {}", relay.stream),
                on(ui.live),
            ),
            None => ("● live".into(), on(ui.live)),
        },
        Connection::Reconnecting { retry_at, .. } => {
            let secs = retry_at
                .saturating_duration_since(Instant::now())
                .as_secs_f64()
                .ceil();
            (format!("reconnecting in {secs:.0}s"), on(ui.warning))
        }
        Connection::Loading { done, total } => {
            let percent = if *total > 0 {
                *done as f64 * 100.0 / *total as f64
            } else {
                0.0
            };
            (format!("loading {percent:.0}%"), on(ui.accent))
        }
        // The file ended early (a truncated gzip): what was read is shown.
        Connection::Loaded if app.unread.failed.is_some() => ("read failed".into(), on(ui.error)),
        Connection::Loaded => ("file".into(), on(ui.muted)),
        Connection::Closed { .. } => ("closed".into(), on(ui.error)),
    }
}

/// Events per `receivedAt` second over the last five minutes, as block characters: up to the
/// clock for a live source, up to the newest message for a recording; nothing when none fall
/// in that window.
fn rate_sparkline(app: &App, base: Style) -> Option<Span<'static>> {
    const BUCKETS: usize = 16;
    let end_ms = match app.source {
        SourceKind::File { .. } => 0,
        _ => chrono::Utc::now().timestamp_millis(),
    };
    let buckets = app.rate_history.buckets(BUCKETS, end_ms);
    if buckets.iter().all(|b| *b == 0) {
        return None;
    }
    Some(Span::styled(
        format!(" {}", crate::tui::app::sparkline(&buckets)),
        base.patch(app.theme.fg(app.theme.ui.accent)),
    ))
}

/// Events per source, most first, each in its colour: the top few by the width ("+N more"
/// for the rest); nothing while a single source has been seen.
fn per_source(app: &App, base: Style, width: u16) -> Vec<Span<'static>> {
    let counts = &app.source_counts;
    if counts.len() < 2 {
        return Vec::new();
    }
    let shown = match width {
        w if w >= 160 => 4,
        w if w >= 120 => 3,
        w if w >= 100 => 2,
        _ => 1,
    };
    let ranked = counts.ranked();
    let mut spans = Vec::new();
    for (name, n) in ranked.iter().take(shown) {
        spans.push(Span::styled(" · ", base));
        spans.push(Span::styled(
            format!("{} {}", crate::tui::text::fit(name, 12), thousands(*n)),
            base.patch(source_style(&app.theme, name)),
        ));
    }
    if ranked.len() > shown {
        spans.push(Span::styled(
            format!(" +{} more", ranked.len() - shown),
            base,
        ));
    }
    spans
}

/// "N secrets seen": messages with a Red PII finding, masked by the collector or not, so
/// whether secrets are recorded as sent is visible; with `--redact`, the mode too.
fn secrets(app: &App, base: Style) -> Vec<Span<'static>> {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let seen = app.store.totals().secrets;
    let mut spans = Vec::new();
    if seen > 0 {
        let style = if app.redact == RedactMode::None {
            base.patch(t.fg(ui.error)).add_modifier(Modifier::BOLD)
        } else {
            base
        };
        spans.push(Span::styled(
            format!(" · {} seen", count(seen, "secret")),
            style,
        ));
    }
    if app.redact != RedactMode::None {
        spans.push(Span::styled(
            format!(" · redact: {}", app.redact),
            base.patch(t.fg(ui.accent)),
        ));
    }
    spans
}
