//! The message list: only the visible window of rows is built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{fit, pad, thousands};
use crate::tui::app::{App, Focus, SourceKind};
use crate::tui::columns::Column;
use crate::tui::glyphs::{Glyph, PiiGlyph, pii_glyph, verdict_glyph};
use crate::tui::sources::{source_name, source_style};
use crate::tui::theme::Role;
use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::model::format_duration_ms;

/// The marks' gutter: `● `.
const MARK: usize = 2;

/// Draws the list; returns the area of its rows.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) -> Rect {
    let t = &app.theme;
    let border = if app.focus == Focus::List {
        t.style(Role::Accent)
    } else {
        t.style(Role::Border)
    };
    let mut title = format!(
        " Messages {}/{} ",
        thousands(app.shown_len() as u64),
        thousands(app.store.len() as u64)
    );
    if let Some(person) = &app.narrowed_to {
        title = format!("{title}· {} ", fit(person, 48));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return inner;
    }
    let header_area = Rect { height: 1, ..inner };
    let rows_area = rows_area(area);
    // While messages are marked, a gutter shows the marks (and costs no width otherwise).
    let marking = !app.marks.is_empty();
    let gutter = if marking { MARK } else { 0 };
    let width = (inner.width as usize).saturating_sub(gutter);
    // A source column says nothing while one source has been seen, a latency column while no
    // message has carried a time to measure.
    let columns = app.columns.fit_where(width, |column| match column {
        Column::Source => app.source_counts.len() > 1,
        Column::Latency => app.lateness_seen,
        _ => true,
    });
    let mut heading = " ".repeat(gutter);
    for (i, (column, w)) in columns.iter().enumerate() {
        if i > 0 {
            heading.push(' ');
        }
        heading.push_str(&cell(column.heading(), *w, column.right_aligned()));
    }
    frame.render_widget(
        Paragraph::new(fit(&heading, width + gutter))
            .style(t.style(Role::Muted).add_modifier(Modifier::BOLD)),
        header_area,
    );
    if app.shown_len() == 0 {
        draw_empty(frame, rows_area, app);
        return rows_area;
    }
    let height = rows_area.height as usize;
    let selected = app.selected_index();
    let lines: Vec<Line> = (app.list_offset..app.list_offset + height)
        .filter_map(|index| {
            let id = app.shown_id(index)?;
            let entry = app.store.get(id)?;
            let mut line = row(entry, width, &columns, app);
            if marking {
                let mark = if app.marks.contains(id) {
                    Span::styled("● ", t.style(Role::Accent).add_modifier(Modifier::BOLD))
                } else {
                    Span::raw("  ")
                };
                line.spans.insert(0, mark);
            }
            Some(if Some(index) == selected {
                line.patch_style(t.style(Role::Selected))
            } else {
                line
            })
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows_area);
    rows_area
}

/// `text` in exactly `width` cells, left- or right-aligned.
fn cell(text: &str, width: usize, right: bool) -> String {
    if right {
        let text = fit(text, width);
        format!("{text:>width$}")
    } else {
        pad(text, width)
    }
}

fn row<'a>(entry: &'a Entry, width: usize, columns: &[(Column, usize)], app: &App) -> Line<'a> {
    let t = &app.theme;
    if let EntryKind::Gap(gap) = &entry.kind {
        let (from, to, reason) = (&gap.from, &gap.to, &gap.reason);
        let missed = to.saturating_sub(*from) + 1;
        let text = format!(
            "— {} missed (seq {from}–{to}): {reason} —",
            eventscope_core::model::count(missed, "frame")
        );
        return Line::styled(
            fit(&text, width),
            t.style(Role::Gap).add_modifier(Modifier::BOLD),
        );
    }
    let mut spans = Vec::with_capacity(columns.len() + 1);
    for (i, (column, w)) in columns.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.extend(column_cell(entry, *column, *w, app));
    }
    let line = Line::from(spans);
    match entry.kind {
        // A refused request reads as one: its whole row in the rejected colour.
        EntryKind::Rejected(_) => line.style(t.style(Role::Rejected)),
        _ => line,
    }
}

/// The spans of one column of a row, `width` cells wide.
fn column_cell<'a>(entry: &'a Entry, column: Column, width: usize, app: &App) -> Vec<Span<'a>> {
    let t = &app.theme;
    let rejection = entry.rejection();
    let styled = |text: &str, style| Span::styled(cell(text, width, column.right_aligned()), style);
    let muted = if rejection.is_some() {
        t.style(Role::Rejected)
    } else {
        t.style(Role::Muted)
    };
    match column {
        Column::Time => vec![styled(&format_time(entry.received_ms), muted)],
        Column::Source => {
            let name = source_name(&entry.source);
            let style = match rejection {
                Some(_) => muted,
                None => source_style(t, name),
            };
            vec![styled(name, style)]
        }
        Column::Type => match rejection {
            Some(_) => vec![styled("rejected", t.style(Role::Rejected))],
            None => vec![styled(
                entry.summary.type_str(&entry.text),
                t.style(Role::Accent),
            )],
        },
        Column::Name => match rejection {
            Some(r) => vec![styled(
                &format!("{} {}: {}", r.status, r.code, r.message),
                t.style(Role::Rejected),
            )],
            None => vec![styled(
                &entry.summary.display_name(&entry.text),
                t.fg(app.theme.ui.fg),
            )],
        },
        Column::User => match rejection {
            Some(_) => vec![styled(&entry.source.path, t.style(Role::Rejected))],
            None => vec![styled(&entry.summary.user(&entry.text), muted)],
        },
        Column::Latency => {
            let lateness = &entry.lateness;
            match lateness.late_ms() {
                Some(late) => {
                    // `~`: the device clock was off, and the lateness is corrected for it.
                    let mark = if lateness.skewed() { "~" } else { "" };
                    let text = format!("{}{mark}", format_duration_ms(late));
                    let style = if late > app.inspector.late.after_ms || late < 0 {
                        t.style(Role::Warning)
                    } else {
                        muted
                    };
                    vec![styled(&text, style)]
                }
                None => vec![styled("", muted)],
            }
        }
        Column::Size => {
            let bytes = rejection.map_or(entry.text.len(), |r| r.body_bytes as usize);
            vec![styled(&size(bytes), muted)]
        }
        Column::Verdict => match rejection {
            Some(_) => vec![styled("✗", t.style(Role::Rejected))],
            None => vec![verdict_mark(entry, app), pii_mark(entry, app)],
        },
    }
}

/// The verdict column: see [`crate::tui::glyphs`].
fn verdict_mark<'a>(entry: &Entry, app: &App) -> Span<'a> {
    let t = &app.theme;
    match verdict_glyph(entry) {
        Some(glyph @ Glyph::Error) => Span::styled(glyph.symbol(), t.style(Role::Error)),
        Some(glyph @ Glyph::Warning) => Span::styled(glyph.symbol(), t.style(Role::Warning)),
        Some(glyph @ Glyph::Note) => Span::styled(glyph.symbol(), t.style(Role::Muted)),
        Some(glyph @ Glyph::Bot) => Span::styled(glyph.symbol(), t.style(Role::Accent)),
        None => Span::raw(" "),
    }
}

/// `●` in the PII class's colour (Red over Yellow) when PII is found at warning or above.
fn pii_mark<'a>(entry: &Entry, app: &App) -> Span<'a> {
    let t = &app.theme;
    match pii_glyph(entry) {
        Some(PiiGlyph::Red) => Span::styled("●", t.style(Role::Error)),
        Some(PiiGlyph::Yellow) => Span::styled("●", t.style(Role::Pii)),
        None => Span::raw(" "),
    }
}

/// Where the rows go in a list drawn in `area`: inside the border, under the column heading.
pub fn rows_area(area: Rect) -> Rect {
    let inner = Block::new().borders(Borders::ALL).inner(area);
    Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    }
}

fn draw_empty(frame: &mut Frame, area: Rect, app: &App) {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let muted = t.style(Role::Muted);
    let strong = t.fg(ui.fg).add_modifier(Modifier::BOLD);
    let lines: Vec<Line> = if !app.store.filter().source().is_empty() && !app.store.is_empty() {
        vec![Line::styled("No message matches the filter.", strong)]
    } else {
        match &app.source {
            // The empty viewer over its collector is the welcome screen (`views::welcome`).
            SourceKind::Embedded { .. } => vec![Line::styled("Waiting for events.", strong)],
            SourceKind::Remote { url } => vec![
                Line::styled("Waiting for events.", strong),
                Line::styled(format!("Streaming from {url}"), muted),
            ],
            SourceKind::File { path } => vec![Line::styled(
                format!("No messages in {path} (yet)."),
                strong,
            )],
        }
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// `HH:MM:SS.mmm` in UTC.
pub fn format_time(ms: i64) -> String {
    if ms == 0 {
        return "—".into();
    }
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| "—".into())
}

/// `982B`, `1.2K`, `3.4M`.
pub fn size(bytes: usize) -> String {
    match bytes {
        b if b < 1000 => format!("{b}B"),
        b if b < 1_000_000 => format!("{:.1}K", b as f64 / 1024.0),
        b => format!("{:.1}M", b as f64 / (1024.0 * 1024.0)),
    }
}
