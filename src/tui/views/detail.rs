//! The detail pane: the selected message as Pretty (highlighted, numbered), Raw (as received)
//! or Call (the SDK call, in the sending SDK's language), with filter matches marked; its
//! Findings, Routing (`views::routing`) and Warehouse (`views::warehouse`) tabs.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{finding, thousands};
use crate::tui::app::{App, Focus, SYNC_DETAIL_BYTES, Tab};
use crate::tui::highlight::{Highlighted, StyledLine};
use crate::tui::text::{escape_line, escape_lines, fit, floor_boundary};
use crate::tui::theme::Role;
use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::inspect::{Finding, Kind, PiiClass, Severity};
use eventscope_core::model::pretty::PrettyDoc;

/// Bytes of a message (or a rejected body) the Raw view shows: all of any message Segment
/// accepts (32 KB); of a larger one, the start and how much more there is.
pub const RAW_SHOWN: usize = 64 * 1024;

/// Messages over this size get no Call view: the call is written with the synchronous layout
/// of the selected message ([`SYNC_DETAIL_BYTES`]), not off the UI task.
pub const CALL_MAX: usize = SYNC_DETAIL_BYTES;

/// Draws the pane; returns the area of its text.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, highlighted: Option<&Highlighted>) -> Rect {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let border = if app.focus == Focus::Detail {
        t.style(Role::Accent)
    } else {
        t.style(Role::Border)
    };
    let mut title = vec![Span::raw(" ")];
    for (i, tab) in Tab::shown(!app.routing.is_empty()).iter().enumerate() {
        if i > 0 {
            title.push(Span::styled(" │ ", t.style(Role::Border)));
        }
        let style = if *tab == app.detail.tab {
            Style::new()
                .fg(ui.accent)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            t.style(Role::Muted)
        };
        title.push(Span::styled(tab.title(), style));
    }
    title.push(Span::raw(" "));
    let entry = app.selected.and_then(|id| app.store.get(id));
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(title));
    if let Some(entry) = entry {
        let room = usize::from(area.width.saturating_sub(4));
        block = block.title_bottom(Line::from(info(entry, room)).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(entry) = entry else {
        return inner;
    };
    let inner = match delivery_summary(app) {
        Some(line) if inner.height > 2 => {
            frame.render_widget(
                Paragraph::new(escape_line(line)),
                Rect { height: 1, ..inner },
            );
            Rect {
                y: inner.y + 1,
                height: inner.height - 1,
                ..inner
            }
        }
        _ => inner,
    };
    let lines = match (&entry.kind, app.detail.tab) {
        (EntryKind::Gap(gap), _) => vec![
            Line::styled(
                format!(
                    "{} never arrive (seq {}–{}).",
                    match gap.to.saturating_sub(gap.from) + 1 {
                        1 => "1 frame will".to_string(),
                        n => format!("{} will", eventscope_core::model::count(n, "frame")),
                    },
                    gap.from,
                    gap.to
                ),
                t.style(Role::Gap).add_modifier(Modifier::BOLD),
            ),
            Line::raw(""),
            Line::styled(gap.reason.to_string(), t.fg(ui.fg)),
        ],
        (EntryKind::Rejected(rejection), _) => {
            let mut lines = vec![
                Line::styled(
                    format!("{} {}", rejection.status, rejection.code),
                    t.style(Role::Rejected).add_modifier(Modifier::BOLD),
                ),
                Line::styled(rejection.message.clone(), t.fg(ui.fg)),
                Line::raw(""),
                Line::styled(
                    format!(
                        "Body ({} of {} bytes as received):",
                        thousands(entry.text.len() as u64),
                        thousands(rejection.body_bytes)
                    ),
                    t.style(Role::Muted),
                ),
            ];
            let (body, rest) = shown(&entry.text);
            lines.extend(more_line(rest, entry.text.len(), app));
            // Tabs indent (pretty-printed bodies use them); other controls are escaped.
            lines.extend(body.lines().map(|l| Line::raw(l.replace('\t', "    "))));
            lines
        }
        (EntryKind::Event, Tab::Pretty | Tab::Findings | Tab::Routing | Tab::Warehouse)
            if app.detail.pending == app.selected =>
        {
            vec![Line::styled(
                format!(
                    "Laying out and judging this message ({} bytes)…",
                    thousands(entry.text.len() as u64)
                ),
                t.style(Role::Muted),
            )]
        }
        (EntryKind::Event, Tab::Pretty) => {
            let doc = app.detail.doc.as_ref().map(|(_, doc)| doc.as_ref());
            let styled = highlighted
                .filter(|h| Some(h.key.id) == app.selected)
                .map(|h| h.lines.as_slice());
            return draw_pretty(frame, inner, app, doc, styled);
        }
        (EntryKind::Event, Tab::Warehouse) => return super::warehouse::draw(frame, inner, app),
        (EntryKind::Event, Tab::Raw) => raw_lines(entry, app),
        (EntryKind::Event, Tab::Findings) => findings_lines(app, usize::from(inner.width)),
        (EntryKind::Event, Tab::Routing) => super::routing::lines(app, usize::from(inner.width)),
        (EntryKind::Event, Tab::Call) if entry.text.len() > CALL_MAX => vec![Line::styled(
            format!(
                "No SDK call for {} bytes (up to {} bytes).",
                thousands(entry.text.len() as u64),
                thousands(CALL_MAX as u64)
            ),
            t.style(Role::Muted),
        )],
        (EntryKind::Event, Tab::Call) => match (&app.detail.doc, &app.detail.call) {
            (Some((id, _)), Some(call)) if Some(*id) == app.selected => call
                .lines()
                .map(|l| Line::styled(l.to_string(), t.fg(ui.fg)))
                .collect(),
            _ => vec![Line::styled("(not a message object)", t.style(Role::Muted))],
        },
    };
    let lines = escape_lines(lines);
    let wrap =
        !matches!(entry.kind, EntryKind::Event) || app.detail.tab == Tab::Raw || app.detail.wrap;
    let mut paragraph = Paragraph::new(lines).scroll((app.detail.scroll as u16, 0));
    if wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, inner);
    inner
}

/// The selected message's deliveries in one line, the latest per destination:
/// `⇢ upstream 200 · 12 ms · 1 attempt │ hook 500 · 3 attempts`.
fn delivery_summary(app: &App) -> Option<Line<'static>> {
    let t = &app.theme;
    let deliveries = app.selected_deliveries();
    if deliveries.is_empty() {
        return None;
    }
    let mut latest: Vec<&crate::tui::deliveries::Delivery> = Vec::new();
    for delivery in deliveries.iter().rev() {
        if !latest
            .iter()
            .any(|d| d.frame.destination == delivery.frame.destination)
        {
            latest.push(delivery);
        }
    }
    latest.reverse();
    let mut spans = vec![Span::styled("⇢ ", t.style(Role::Muted))];
    for (i, delivery) in latest.iter().take(3).enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.style(Role::Border)));
        }
        spans.push(Span::styled(
            delivery.one_line(),
            super::delivery_row_style(delivery, app),
        ));
    }
    if latest.len() > 3 {
        spans.push(Span::styled(
            format!(" │ +{} more", latest.len() - 3),
            t.style(Role::Muted),
        ));
    }
    spans.push(Span::styled(
        format!(
            "   {}: deliveries",
            app.keys
                .first_key_label(crate::tui::action::Action::MessageDeliveries)
        ),
        t.style(Role::Muted),
    ));
    Some(Line::from(spans))
}

fn findings_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let findings = &app.detail.findings.findings;
    if findings.is_empty() {
        return vec![Line::styled(
            "No findings: the spec, the plan and the privacy rules are satisfied.",
            t.style(Role::Muted),
        )];
    }
    let mut lines = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        let wrapped = finding::wrap(Vec::new(), finding::spans(finding, app, true), 2, width);
        let cursor = app.focus == Focus::Detail && i == app.detail.cursor;
        lines.extend(wrapped.into_iter().map(|line| {
            if cursor {
                line.patch_style(t.style(Role::Selected))
            } else {
                line
            }
        }));
    }
    lines
}

/// `seq 7 · /v1/batch · wk_t…cdef`, in at most `room` columns.
fn info(entry: &Entry, room: usize) -> Vec<Span<'static>> {
    let mut parts = Vec::new();
    if let Some(seq) = entry.seq {
        parts.push(format!("seq {seq}"));
    }
    if !entry.source.path.is_empty() {
        parts.push(fit(&entry.source.path, room));
    }
    if let Some(key) = &entry.source.write_key {
        parts.push(fit(key, room));
    }
    vec![Span::raw(format!(
        " {} ",
        fit(&parts.join(" · "), room.saturating_sub(2))
    ))]
}

/// At most [`RAW_SHOWN`] bytes of `text` (cut on a character boundary), and the bytes left.
fn shown(text: &str) -> (&str, usize) {
    let end = floor_boundary(text, RAW_SHOWN);
    (&text[..end], text.len() - end)
}

/// The line saying how much of a long text is shown, if not all of it.
fn more_line(rest: usize, total: usize, app: &App) -> Option<Line<'static>> {
    (rest > 0).then(|| {
        Line::styled(
            format!(
                "The first {} bytes of {} ({} more not shown); {} copies it whole:",
                thousands((total - rest) as u64),
                thousands(total as u64),
                thousands(rest as u64),
                app.keys
                    .first_key_label(crate::tui::action::Action::CopyMessage)
            ),
            app.theme.style(Role::Muted).add_modifier(Modifier::BOLD),
        )
    })
}

fn raw_lines(entry: &Entry, app: &App) -> Vec<Line<'static>> {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let (text, rest) = shown(&entry.text);
    let mut lines: Vec<Line> = more_line(rest, entry.text.len(), app).into_iter().collect();
    lines.push(Line::styled(text.to_string(), t.fg(ui.fg)));
    if let Some(adjusted) = &entry.adjusted {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "eventscope changed on arrival:",
            t.style(Role::Muted).add_modifier(Modifier::BOLD),
        ));
        let mut note =
            |text: String| lines.push(Line::styled(format!("  {text}"), t.style(Role::Muted)));
        if adjusted.message_id_generated {
            note("messageId: generated (the message had none)".into());
        }
        if let Some(kind) = &adjusted.type_from_path {
            note(format!("type: {kind:?}, from the endpoint path"));
        }
        match &adjusted.timestamp {
            Some(eventscope_core::model::TimestampAdjustment::Corrected {
                original,
                sent_at,
                skew_ms,
            }) => {
                note(format!(
                    "timestamp: corrected from {original} (sentAt {sent_at}, device clock {skew_ms:+} ms)"
                ));
            }
            Some(eventscope_core::model::TimestampAdjustment::ServerTime) => {
                note("timestamp: the server time (the message had none)".into());
            }
            None => {}
        }
        if !adjusted.merged_from_batch.is_empty() {
            note(format!(
                "merged from the batch: {}",
                adjusted.merged_from_batch.join(", ")
            ));
        }
        note("receivedAt: added".into());
    }
    if !entry.redacted().is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "masked by the collector (--redact):",
            t.style(Role::Muted).add_modifier(Modifier::BOLD),
        ));
        for field in entry.redacted() {
            let class = match field.class {
                eventscope_core::inspect::PiiClass::Red => "red",
                eventscope_core::inspect::PiiClass::Yellow => "yellow",
            };
            lines.push(Line::styled(
                format!("  {}: {} ({class})", field.path, field.rule),
                t.style(Role::Muted),
            ));
        }
    }
    lines
}

fn draw_pretty(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    doc: Option<&PrettyDoc>,
    styled: Option<&[StyledLine]>,
) -> Rect {
    let ui = &app.theme.ui;
    let t = &app.theme;
    let Some(doc) = doc else {
        return area;
    };
    let gutter = doc.lines.len().to_string().len();
    let terms: Vec<String> = app
        .store
        .filter()
        .highlights()
        .iter()
        .map(|t| t.to_lowercase())
        .collect();
    let match_style = t
        .style(Role::Match)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let height = area.height as usize;
    let selected = &app.detail.findings;
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    // The folds of this layout (none if they were made for another).
    let folds = (app.detail.folds.visible().len() <= doc.lines.len()
        && app.detail.doc.as_ref().map(|(id, _)| *id) == app.detail.folds.id)
        .then_some(&app.detail.folds);
    let all: Vec<usize>;
    let visible = match folds {
        Some(folds) => folds.visible(),
        None => {
            all = (0..doc.lines.len()).collect();
            &all
        }
    };
    let first = folds.map_or(app.detail.scroll, |f| f.index_of(app.detail.scroll));
    for &i in visible.iter().skip(first) {
        let Some(line) = doc.lines.get(i) else {
            break;
        };
        if lines.len() >= height {
            break;
        }
        let here: Vec<&Finding> = selected.at_line(i).map(|f| &selected.findings[f]).collect();
        // Findings hidden in a folded container show on its line.
        let folded = line.fold.filter(|_| folds.is_some_and(|f| f.is_folded(i)));
        let inside: Vec<&Finding> = folded.map_or_else(Vec::new, |fold| {
            selected
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| **l > i && **l <= fold.close)
                .map(|(f, _)| &selected.findings[f])
                .collect()
        });
        let cursor = app.focus == Focus::Detail && i == app.detail.cursor;
        let number_style = if cursor {
            t.style(Role::Accent).add_modifier(Modifier::BOLD)
        } else {
            t.style(Role::Muted)
        };
        let worst = here.iter().chain(&inside).map(|f| f.severity).max();
        let (marker, marker_style) = match worst {
            Some(severity) => finding::severity_mark(severity, app),
            None if cursor => ("▶", number_style),
            None => (" ", number_style),
        };
        let mut spans = vec![
            Span::styled(format!("{:>gutter$}", i + 1), number_style),
            Span::styled(marker, marker_style),
        ];
        let pii = here
            .iter()
            .filter(|f| f.kind == Kind::Pii && f.path == line.path)
            .map(|f| f.pii)
            .max()
            .flatten();
        let value = line.value.clone().filter(|_| pii.is_some());
        if let (Some(range), true) = (value.clone(), app.mask_pii) {
            let masked = format!(
                "{}\"••••••\"{}",
                slice(&line.text, 0..range.start),
                slice(&line.text, range.end..line.text.len())
            );
            spans.push(Span::styled(masked, t.style(Role::Muted)));
        } else {
            let mut base: Vec<(Range<usize>, Style)> = match styled.and_then(|s| s.get(i)) {
                Some(styled) => styled.spans.clone(),
                None => vec![(0..line.text.len(), t.fg(ui.fg))],
            };
            if let Some(range) = value {
                let pii_style = match pii {
                    Some(PiiClass::Red) => t.style(Role::Error),
                    _ => t.style(Role::Pii),
                }
                .add_modifier(Modifier::UNDERLINED);
                base = overlay_ranges(&base, &[range], pii_style);
            }
            let matches = find_all(&line.text, &terms);
            spans.extend(overlay(&line.text, &base, &matches, match_style));
        }
        if folded.is_some() {
            spans.extend(fold_preview(doc, i, &inside, app));
        }
        lines.push(escape_line(Line::from(spans)));
        // Problems go right under their line; `info` (e.g. PII in its expected place) only
        // marks the gutter, and the Findings tab lists it.
        // Each wraps under its first line, indented past `╰ ✗ `, so no value is cut.
        let width = usize::from(area.width);
        for finding in here.iter().filter(|f| f.severity >= Severity::Warning) {
            let indent = (gutter + 1 + usize::from(line.depth) * 2 + 2).min(width / 2);
            let first = vec![Span::styled(
                format!("{}╰ ", " ".repeat(indent)),
                t.style(Role::Muted),
            )];
            let exact = doc.line_of(&finding.path) == Some(i);
            let spans = finding::spans(finding, app, !exact);
            for wrapped in finding::wrap(first, spans, indent + 4, width) {
                if lines.len() >= height {
                    break;
                }
                lines.push(escape_line(wrapped));
            }
        }
    }
    let mut paragraph = Paragraph::new(lines);
    if app.detail.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, area);
    area
}

/// What follows a folded container's opening line: `3 items],` (muted), then the worst
/// severity of the findings hidden inside and how many there are.
fn fold_preview(
    doc: &PrettyDoc,
    line: usize,
    inside: &[&Finding],
    app: &App,
) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(
        crate::tui::tree::preview(doc, line).unwrap_or_default(),
        t.style(Role::Muted).add_modifier(Modifier::ITALIC),
    )];
    if let Some(worst) = inside.iter().map(|f| f.severity).max() {
        let (mark, style) = finding::severity_mark(worst, app);
        let count = match inside.len() {
            1 => String::new(),
            n => format!(" {n}"),
        };
        spans.push(Span::styled(format!("  {mark}{count}"), style));
    }
    spans
}

/// Byte ranges of case-insensitive occurrences of any term in `text`.
fn find_all(text: &str, terms: &[String]) -> Vec<Range<usize>> {
    if terms.is_empty() {
        return Vec::new();
    }
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return Vec::new(); // lowercasing changed byte offsets; skip marking this line
    }
    let mut ranges = Vec::new();
    for term in terms.iter().filter(|t| !t.is_empty()) {
        let mut from = 0;
        while let Some(at) = lower[from..].find(term.as_str()) {
            let start = from + at;
            ranges.push(start..start + term.len());
            from = start + term.len();
        }
    }
    ranges.sort_by_key(|r| r.start);
    ranges
}

/// The styled ranges with `ranges` restyled by `style` on top (ranges split where needed).
fn overlay_ranges(
    base: &[(Range<usize>, Style)],
    ranges: &[Range<usize>],
    style: Style,
) -> Vec<(Range<usize>, Style)> {
    let mut out = Vec::with_capacity(base.len() + 2);
    for (range, base_style) in base {
        let mut cursor = range.start;
        for r in ranges
            .iter()
            .filter(|r| r.start < range.end && r.end > range.start)
        {
            let (start, end) = (r.start.max(range.start), r.end.min(range.end));
            if cursor < start {
                out.push((cursor..start, *base_style));
            }
            out.push((start..end, base_style.patch(style)));
            cursor = end;
        }
        if cursor < range.end {
            out.push((cursor..range.end, *base_style));
        }
    }
    out
}

/// Splits the styled spans of a line so that match ranges get `match_style` on top.
fn overlay<'a>(
    text: &'a str,
    base: &[(Range<usize>, Style)],
    matches: &[Range<usize>],
    match_style: Style,
) -> Vec<Span<'a>> {
    let mut spans = Vec::with_capacity(base.len() + matches.len() * 2);
    for (range, style) in base {
        let mut cursor = range.start;
        for m in matches
            .iter()
            .filter(|m| m.start < range.end && m.end > range.start)
        {
            let start = m.start.max(range.start);
            let end = m.end.min(range.end);
            if cursor < start {
                spans.push(Span::styled(slice(text, cursor..start), *style));
            }
            spans.push(Span::styled(
                slice(text, start..end),
                style.patch(match_style),
            ));
            cursor = end;
        }
        if cursor < range.end {
            spans.push(Span::styled(slice(text, cursor..range.end), *style));
        }
    }
    spans
}

fn slice(text: &str, range: Range<usize>) -> &str {
    text.get(range).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_marks_matches_inside_styled_spans() {
        let text = r#""event": "Order Completed","#;
        let base = vec![(0..7, Style::new()), (7..text.len(), Style::new())];
        let matches = find_all(text, &["order".to_string()]);
        assert_eq!(matches, vec![10..15]);
        let spans = overlay(
            text,
            &base,
            &matches,
            Style::new().add_modifier(Modifier::BOLD),
        );
        let joined: String = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(joined, text);
        assert!(
            spans
                .iter()
                .any(|s| s.content == "Order" && s.style.add_modifier.contains(Modifier::BOLD))
        );
    }
}
