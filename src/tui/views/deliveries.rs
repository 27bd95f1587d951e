//! The Deliveries view: one row per delivery (green delivered, red not), and below, the
//! selected one's request as sent (secrets masked) beside the destination's answer, with what
//! the destination said about the payload listed first, as findings.
//!
//! ```text
//! ┌ Deliveries 2 · 1 delivered · 1 failed ───────────────────────────────────────┐
//! │ time (UTC)   destination     status             latency attempts msgs  kind    │
//! │ 10:00:01.000 hook            200                  12 ms        1    1  webhook │
//! └──────────────────────────────────────────────────────────────────────────────┘
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
    DrawnLayout, Highlights, NARROW_WIDTH, delivery_style, fit, header_lines, json_lines, pad,
    thousands,
};
use crate::tui::app::{App, DeliveryPane};
use crate::tui::deliveries::{Delivery, millis};
use crate::tui::highlight::Highlighted;
use crate::tui::text::{escape, escape_line, escape_lines};
use crate::tui::theme::{ColorMode, Role};
use eventscope_core::model::PREVIEW_BYTES;

const TIME: usize = 12;
const STATUS: usize = 20;
const LATENCY: usize = 8;
const ATTEMPTS: usize = 8;
const MESSAGES: usize = 5;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    highlights: &Highlights,
    layout: &mut DrawnLayout,
) {
    let [list_area, panes] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    layout.delivery_rows = draw_list(frame, list_area, app);
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
    let totals = app.deliveries.totals();
    let mut title = vec![Span::raw(format!(
        " Deliveries {} · ",
        thousands(app.deliveries.visible().len() as u64)
    ))];
    title.push(Span::styled(
        format!("{} delivered", thousands(totals.ok)),
        delivery_style(true, app),
    ));
    title.push(Span::raw(" · "));
    title.push(Span::styled(
        format!("{} failed ", thousands(totals.failed)),
        if totals.failed > 0 {
            delivery_style(false, app)
        } else {
            t.style(Role::Muted)
        },
    ));
    if let Some(filter) = app.deliveries.filter() {
        title.push(Span::styled(
            format!("· for {} ", filter.label),
            t.style(Role::Accent),
        ));
    }
    if app.deliveries.evicted() > 0 {
        title.push(Span::styled(
            format!("· {} evicted ", thousands(app.deliveries.evicted())),
            t.style(Role::Gap),
        ));
    }
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
    let destination = width
        .saturating_sub(TIME + STATUS + LATENCY + ATTEMPTS + MESSAGES + 2 + 6 + 10)
        .clamp(8, 24);
    let heading = format!(
        "  {:<TIME$} {:<destination$} {:<STATUS$} {:>LATENCY$} {:>ATTEMPTS$} {:>MESSAGES$}  kind",
        "time (UTC)", "destination", "status", "latency", "attempts", "msgs"
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
        let text = match app.deliveries.filter() {
            Some(filter) => format!("No delivery carried {} yet.", filter.label),
            None => "No deliveries yet. Mark messages (Space) and press f to forward them, \
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
            let mark = if f.ok { "✓" } else { "✗" };
            let text = format!(
                "{mark} {:<TIME$} {} {} {:>LATENCY$} {:>ATTEMPTS$} {:>MESSAGES$}  {}",
                format_time(delivery.at_ms),
                pad(&f.destination, destination),
                pad(&delivery.status_text(), STATUS),
                if f.status.is_some() || f.latency_ms > 0.0 {
                    millis(f.latency_ms)
                } else {
                    "—".into()
                },
                f.attempts,
                delivery.message_count(),
                f.kind,
            );
            let line = Line::styled(fit(&text, width), delivery_style(f.ok, app));
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
        (DeliveryPane::Response, Some(d)) => delivery_style(d.frame.ok, app),
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

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
