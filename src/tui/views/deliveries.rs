//! The Deliveries view: one row per delivery (green delivered, red not) with the event, user
//! and messageId it carried — and one per message a forward did not send, in the warning
//! colour, with why (`dropped — consent: consent Analytics not given` when routing dropped it,
//! as Segment would; `skipped — …` for the transform or the mapper). A delivery sent with
//! routing ignored is marked `⚠`. Then its own filter bar when a query is set or edited, and below, the
//! selected one's request as sent (secrets masked) beside the destination's answer, with what
//! the destination said about the payload listed first, as findings.
//!
//! ```text
//! ┌ 4 deliveries for seq 13 · 1 failed ──────────────────────────────────────────┐
//! │ time (UTC)   destination status     event            user      messageId   latency │
//! │ 10:00:01.000 hook        200        Order Completed  u-1       m-13          12 ms │
//! └──────────────────────────────────────────────────────────────────────────────┘
//!  / user:u-1

//! ┌ Request ───────────────────────────┐┌ Response 200 · 12 ms · 1 attempt ───────┐
//! │ POST http://127.0.0.1:9000/hook    ││ content-type: application/json          │
//! │  1 {                               ││  1 {                                    │
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::list::format_time;
use super::{
    DrawnLayout, Highlights, NARROW_WIDTH, delivery_row_style, delivery_style, fit, header_lines,
    json_lines, pad, thousands,
};
use crate::tui::app::{App, DeliveryPane, Mode};
use crate::tui::deliveries::{Delivery, millis};
use crate::tui::highlight::Highlighted;
use crate::tui::text::{escape, escape_line, escape_lines};
use crate::tui::theme::{ColorMode, Role};
use eventscope_core::model::PREVIEW_BYTES;

const TIME: usize = 12;
const STATUS: usize = 12;
const LATENCY: usize = 8;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    highlights: &Highlights,
    layout: &mut DrawnLayout,
) {
    let editing = matches!(app.mode, Mode::Filter(_));
    let show_bar = editing || !app.deliveries.query().is_empty();
    let [top, panes] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let [list_area, bar_area] =
        Layout::vertical([Constraint::Min(2), Constraint::Length(u16::from(show_bar))]).areas(top);
    layout.delivery_rows = draw_list(frame, list_area, app);
    if show_bar {
        draw_bar(frame, bar_area, app, editing);
    }
    let [request_area, response_area] = if area.width < NARROW_WIDTH {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panes)
    } else {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panes)
    };
    let selected = app
        .delivery_view
        .selected
        .and_then(|id| app.deliveries.get(id));
    let (request_lines, request_total) = draw_pane(
        frame,
        request_area,
        app,
        selected,
        DeliveryPane::Request,
        highlights.request,
    );
    let (response_lines, response_total) = draw_pane(
        frame,
        response_area,
        app,
        selected,
        DeliveryPane::Response,
        highlights.response,
    );
    layout.delivery_panes = [request_lines, response_lines];
    layout.delivery_lines = [request_total, response_total];
}

fn border(app: &App, pane: DeliveryPane) -> Style {
    if app.delivery_view.pane == pane {
        app.theme.style(Role::Accent)
    } else {
        app.theme.style(Role::Border)
    }
}

/// Draws the rows; returns their area.
fn draw_list(frame: &mut Frame, area: Rect, app: &App) -> Rect {
    let t = &app.theme;
    let title = title(app);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border(app, DeliveryPane::List))
        .title(escape_line(Line::from(title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return inner;
    }
    let width = inner.width as usize;
    let columns = Columns::for_width(width);
    let heading = format!(
        "  {:<TIME$} {} {} {} {} {} {:>LATENCY$}",
        "time (UTC)",
        pad("destination", columns.destination),
        pad("status", STATUS),
        pad("event", columns.event),
        pad("user", columns.user),
        pad("messageId", columns.message_id),
        "latency",
    );
    frame.render_widget(
        Paragraph::new(fit(&heading, width))
            .style(t.style(Role::Muted).add_modifier(Modifier::BOLD)),
        Rect { height: 1, ..inner },
    );
    let rows = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    let visible = app.deliveries.visible();
    if visible.is_empty() {
        let text = match (app.deliveries.filter(), app.deliveries.query().is_empty()) {
            (_, false) if !app.deliveries.is_empty() => format!(
                "No delivery matches `{}` ({} in all). {} clears the filter.",
                app.deliveries.query().source(),
                thousands(app.deliveries.len() as u64),
                app.keys
                    .first_key_label(crate::tui::action::Action::ClearFilter)
            ),
            (Some(filter), _) => format!("No delivery carried {} yet.", filter.label),
            _ => "No deliveries yet. Mark messages (Space) and press f to forward them, \
                     R to replay them, or run with --upstream URL to see a proxy's answers."
                .to_string(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, t.style(Role::Muted))).wrap(Wrap { trim: false }),
            rows,
        );
        return rows;
    }
    let selected = app.delivery_view.selected;
    let lines: Vec<Line> = visible
        .iter()
        .skip(app.delivery_view.offset)
        .take(rows.height as usize)
        .filter_map(|id| app.deliveries.get(*id))
        .map(|delivery| {
            let f = &delivery.frame;
            let mark = match (delivery.is_skipped(), f.ok) {
                (true, _) => "⊘",
                (false, true) => "✓",
                (false, false) => "✗",
            };
            let message_id = match (f.message_ids.first(), f.for_seqs.first()) {
                (Some(_), _) => some_of(&f.message_ids),
                (None, Some(seq)) => format!("seq {seq}"),
                (None, None) => "—".into(),
            };
            let columns_text = format!(
                " {:<TIME$} {} {} {} ",
                format_time(delivery.at_ms),
                pad(&f.destination, columns.destination),
                pad(&delivery.status_text(), STATUS),
                pad(&some_of(&f.events), columns.event),
            );
            // Not sent: the reason takes the place of messageId and latency.
            let rest = match &f.skipped {
                Some(reason) => format!("{} — {reason}", pad(&some_of(&f.users), columns.user)),
                None => format!(
                    "{} {} {:>LATENCY$}",
                    pad(&some_of(&f.users), columns.user),
                    pad(&message_id, columns.message_id),
                    if f.status.is_some() || f.latency_ms > 0.0 {
                        millis(f.latency_ms)
                    } else {
                        "—".into()
                    },
                ),
            };
            let style = delivery_row_style(delivery, app);
            let text = fit(&format!("{columns_text}{rest}"), width.saturating_sub(1));
            // Sent with routing ignored: the mark says so in the warning colour.
            let line = if f.ignored_routing {
                Line::from(vec![
                    Span::styled("⚠", t.style(Role::Warning).add_modifier(Modifier::BOLD)),
                    Span::styled(text, style),
                ])
            } else {
                Line::from(vec![Span::styled(mark, style), Span::styled(text, style)])
            };
            if Some(delivery.id) == selected {
                // The selection keeps the row's green or red: only the background changes.
                let selection = match t.mode {
                    ColorMode::NoColor => t.style(Role::Selected),
                    _ => Style::new().bg(t.ui.selected_bg),
                };
                line.patch_style(selection)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), rows);
    rows
}

/// The list's title: what is shown, for what, how many failed — `4 deliveries for seq 13 ·
/// 1 failed`.
fn title(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let store = &app.deliveries;
    let shown = store.visible().len();
    let narrowed = store.filter().is_some() || !store.query().is_empty();
    let mut text = format!(" {}", plural(shown, "delivery"));
    if let Some(filter) = store.filter() {
        text.push_str(&format!(" for {}", filter.label));
    }
    if !store.query().is_empty() {
        text.push_str(&format!(" matching {}", store.query().source()));
    }
    let mut spans = vec![Span::raw(text)];
    let failed = if narrowed {
        store.visible_failed() as u64
    } else {
        store.totals().failed
    };
    let skipped = if narrowed {
        store.visible_skipped() as u64
    } else {
        store.totals().skipped
    };
    if !narrowed {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{} delivered", thousands(store.totals().ok)),
            delivery_style(true, app),
        ));
    }
    spans.push(Span::raw(" · "));
    spans.push(Span::styled(
        format!("{} failed", thousands(failed)),
        if failed > 0 {
            delivery_style(false, app)
        } else {
            t.style(Role::Muted)
        },
    ));
    if skipped > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{} not sent", thousands(skipped)),
            t.style(Role::Warning),
        ));
    }
    if narrowed {
        spans.push(Span::styled(
            format!(" · of {}", thousands(store.len() as u64)),
            t.style(Role::Muted),
        ));
    }
    if store.evicted() > 0 {
        spans.push(Span::styled(
            format!(" · {} evicted", thousands(store.evicted())),
            t.style(Role::Gap),
        ));
    }
    spans.push(Span::raw(" "));
    spans
}

/// The columns that share the width left by time, status and latency.
struct Columns {
    destination: usize,
    event: usize,
    user: usize,
    message_id: usize,
}

impl Columns {
    fn for_width(width: usize) -> Columns {
        let rest = width.saturating_sub(2 + TIME + 1 + STATUS + 1 + LATENCY + 1 + 4);
        let destination = (rest * 18 / 100).clamp(6, 20);
        let event = (rest * 32 / 100).clamp(8, 32);
        let user = (rest * 22 / 100).clamp(6, 24);
        let message_id = rest.saturating_sub(destination + event + user).clamp(6, 40);
        Columns {
            destination,
            event,
            user,
            message_id,
        }
    }
}

/// The first of `values`, and how many more: `u-1 +2`; `—` for none.
fn some_of(values: &[String]) -> String {
    match values {
        [] => "—".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    }
}

/// The view's query bar: the query being edited (with why it does not parse), or the one set.
fn draw_bar(frame: &mut Frame, area: Rect, app: &App, editing: bool) {
    let t = &app.theme;
    let text = match &app.mode {
        Mode::Filter(bar) => bar.text.clone(),
        _ => app.deliveries.query().source().to_string(),
    };
    let mut spans = vec![
        Span::styled(" / ", t.style(Role::Accent).add_modifier(Modifier::BOLD)),
        Span::styled(text, t.fg(t.ui.fg)),
    ];
    if editing {
        spans.push(Span::styled("█", t.style(Role::Accent)));
        match &app.delivery_view.query_error {
            Some(error) => spans.push(Span::styled(format!("   ✗ {error}"), t.style(Role::Error))),
            None => spans.push(Span::styled(
                "   dest: status: user: event: id: seq: or any text",
                t.style(Role::Muted),
            )),
        }
    }
    frame.render_widget(Paragraph::new(escape_line(Line::from(spans))), area);
}

/// Draws the request or response pane; returns its text area and its line count.
fn draw_pane(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    delivery: Option<&Delivery>,
    pane: DeliveryPane,
    highlighted: Option<&Highlighted>,
) -> (Rect, usize) {
    let t = &app.theme;
    let slot = usize::from(pane == DeliveryPane::Response);
    let title = match (pane, delivery) {
        (DeliveryPane::Request, Some(d)) if d.is_skipped() => {
            format!(" Not sent · {} ", d.frame.destination)
        }
        (DeliveryPane::Response, Some(d)) if d.is_skipped() => {
            format!(" {} ", d.status_text())
        }
        (DeliveryPane::Request, Some(d)) => format!(
            " Request · {} · {} ",
            d.frame.destination,
            plural(d.message_count(), "message")
        ),
        (DeliveryPane::Response, Some(d)) => {
            let mut title = format!(" Response {}", d.status_text());
            if d.frame.status.is_some() {
                title.push_str(&format!(" · {}", millis(d.frame.latency_ms)));
            }
            title.push_str(&format!(
                " · {}",
                plural(d.frame.attempts as usize, "attempt")
            ));
            if d.frame.attempts > 1 {
                title.push_str(&format!(" · {} in all", millis(d.frame.total_ms)));
            }
            title.push(' ');
            title
        }
        (DeliveryPane::Request, None) => " Request ".into(),
        _ => " Response ".into(),
    };
    let title_style = match (pane, delivery) {
        (DeliveryPane::Response, Some(d)) => delivery_row_style(d, app),
        _ => t.fg(t.ui.fg),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border(app, pane))
        .title(Line::styled(escape(&title).into_owned(), title_style));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(delivery) = delivery else {
        return (inner, 0);
    };
    let f = &delivery.frame;
    if delivery.is_skipped() {
        let lines = escape_lines(skipped_lines(delivery, pane, app));
        let total = lines.len();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return (inner, total);
    }
    let docs = app
        .delivery_view
        .docs
        .as_ref()
        .filter(|d| d.id == delivery.id);
    let mut head: Vec<Line> = Vec::new();
    let (doc, body_len, body_bytes) = match pane {
        DeliveryPane::Request => {
            head.push(Line::from(vec![
                Span::styled(
                    format!("{} ", f.request.method),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(f.request.url.clone(), t.fg(t.ui.fg)),
            ]));
            head.extend(header_lines(&f.request.headers, app));
            head.push(Line::raw(""));
            (
                docs.map(|d| &d.request),
                f.request.body.len(),
                f.request.body_bytes,
            )
        }
        _ => {
            if f.ignored_routing {
                head.push(Line::styled(
                    "⚠ sent with routing ignored (--ignore-routing or the forward popup's \
                     toggle): Segment might not have delivered this, or not all of it",
                    t.style(Role::Warning).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(error) = &f.error {
                head.push(Line::styled(format!("✗ {error}"), t.style(Role::Error)));
            }
            for note in &f.notes {
                let mut spans = vec![Span::styled("✗ ", t.style(Role::Error))];
                if !note.code.is_empty() {
                    spans.push(Span::styled(
                        format!("{} ", note.code),
                        t.style(Role::Error).add_modifier(Modifier::BOLD),
                    ));
                }
                if !note.path.is_empty() {
                    spans.push(Span::styled(
                        format!("{} ", note.path),
                        t.style(Role::Accent),
                    ));
                }
                spans.push(Span::styled(note.message.clone(), t.fg(t.ui.fg)));
                head.push(Line::from(spans));
            }
            match &f.response {
                Some(response) => {
                    head.extend(header_lines(&response.headers, app));
                    if !head.is_empty() {
                        head.push(Line::raw(""));
                    }
                    (
                        docs.map(|d| &d.response),
                        response.body.len(),
                        response.body_bytes,
                    )
                }
                None => {
                    if f.error.is_none() {
                        head.push(Line::styled("(no answer)", t.style(Role::Muted)));
                    }
                    (None, 0, 0)
                }
            }
        }
    };
    let body_lines = doc.map_or(0, |d| d.lines.len());
    // Masking changes a body's length, so only a body as long as the preview keeps was cut.
    let cut_note = body_bytes > body_len as u64 && body_len + 4 >= PREVIEW_BYTES;
    let total = head.len() + body_lines + usize::from(cut_note);
    let scroll = app.delivery_view.scroll[slot].min(total.saturating_sub(1));
    let height = inner.height as usize;
    let mut lines: Vec<Line> = head.into_iter().skip(scroll).take(height).collect();
    let head_len = total - body_lines - usize::from(cut_note);
    if let Some(doc) = doc
        && lines.len() < height
    {
        let start = scroll.saturating_sub(head_len);
        let end = start + (height - lines.len());
        let styled = highlighted
            .filter(|h| h.key.id == delivery.id)
            .map(|h| h.lines.as_slice());
        lines.extend(json_lines(doc, styled, start..end.min(body_lines), app));
    }
    if cut_note && lines.len() < height {
        lines.push(Line::styled(
            format!(
                "… shown up to {} KiB of {} bytes",
                PREVIEW_BYTES / 1024,
                thousands(body_bytes)
            ),
            t.style(Role::Muted),
        ));
    }
    let mut paragraph = Paragraph::new(escape_lines(lines));
    if app.detail.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, inner);
    (inner, total)
}

/// A pane of a message that was not sent: which message (request side), and why (answer side).
fn skipped_lines(delivery: &Delivery, pane: DeliveryPane, app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let f = &delivery.frame;
    let muted = t.style(Role::Muted);
    match pane {
        DeliveryPane::Request => {
            let mut lines = vec![Line::styled(
                format!("Nothing was sent to {}.", f.destination),
                t.fg(t.ui.fg),
            )];
            let seqs: Vec<String> = f.for_seqs.iter().map(u64::to_string).collect();
            for (label, values) in [
                ("seq", seqs),
                ("messageId", f.message_ids.clone()),
                ("event", f.events.clone()),
                ("user", f.users.clone()),
            ] {
                if !values.is_empty() {
                    lines.push(Line::styled(
                        format!("{label}: {}", values.join(", ")),
                        muted,
                    ));
                }
            }
            lines
        }
        _ => {
            let mut lines = vec![Line::styled(
                delivery.skip_text().unwrap_or_default(),
                t.style(Role::Warning).add_modifier(Modifier::BOLD),
            )];
            if f.dropped.is_some() {
                lines.push(Line::styled(
                    app.keys.hint(
                        "Segment would not deliver it either (routing: consent, the \
                         integrations object, destination filters). To send it anyway, \
                         forward it with routing ignored ({forward-ignore-routing} in the \
                         forward popup, or --ignore-routing).",
                    ),
                    muted,
                ));
            }
            lines
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    let n = thousands(n as u64);
    match what.strip_suffix('y') {
        Some(stem) if n != "1" => format!("{n} {stem}ies"),
        _ if n == "1" => format!("{n} {what}"),
        _ => format!("{n} {what}s"),
    }
}
