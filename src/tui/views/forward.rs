//! The forward popup: the destinations to choose from, then the exact request the chosen one
//! will get — method, URL and headers with secrets masked, the body pretty-printed and
//! highlighted — before anything is sent.
//!
//! ```text
//! ┌ Forward 2 messages ──────────────────────────────────────────────────────────┐
//! │ To:  1 hook (webhook)   2 amp-dev (amplitude)                                │
//! │ 2 requests · request 1 of 2 · 1 message                                      │
//! │──────────────────────────────────────────────────────────────────────────────│
//! │ POST http://127.0.0.1:9000/hook                                              │
//! │ X-Signature: 3fa1…9c2d                                                       │
//! │                                                                              │
//! │  1 {                                                                         │
//! │ Enter send · e edit · ←/→ destination · [/] request · ↑/↓ scroll · Esc close  │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::text::{escape_line, escape_lines};

use super::{header_lines, json_lines, thousands};
use crate::tui::app::App;
use crate::tui::forward::{ForwardPopup, Preview, SHOWN_BODY_BYTES};
use crate::tui::highlight::Highlighted;
use crate::tui::theme::Role;

/// Draws the popup; returns the area of the request text.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, highlighted: Option<&Highlighted>) -> Rect {
    let Some(popup) = app.forward.as_ref() else {
        return Rect::default();
    };
    let t = &app.theme;
    let area = area.inner(Margin::new(2, 1));
    frame.render_widget(Clear, area);
    let count = popup.messages.len();
    let mut title = format!(
        " Forward {} message{} ",
        thousands(count as u64),
        if count == 1 { "" } else { "s" }
    );
    if popup.edited {
        title.push_str("(edited) ");
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Accent))
        .title(title)
        .style(t.style(Role::Base));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 5 {
        return Rect::default();
    }
    if app.destinations.list.is_empty() {
        draw_no_destination(frame, inner, app);
        return Rect::default();
    }
    let [choices, summary, rule, text, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(destinations_line(popup, app)), choices);
    frame.render_widget(
        Paragraph::new(escape_line(summary_line(popup, app))),
        summary,
    );
    frame.render_widget(
        Paragraph::new("─".repeat(rule.width as usize)).style(t.style(Role::Border)),
        rule,
    );
    draw_request(frame, text, popup, app, highlighted);
    let key = |k: &str| {
        Span::styled(
            k.to_string(),
            t.style(Role::Accent).add_modifier(Modifier::BOLD),
        )
    };
    let what = |w: &str| Span::styled(w.to_string(), t.style(Role::Muted));
    let mut spans = vec![key(" Enter"), what(" send  "), key("e"), what(" edit  ")];
    if app.destinations.list.len() > 1 {
        spans.extend([key("←/→"), what(" destination  ")]);
    }
    if popup.prepared().is_some_and(|p| p.requests.len() > 1) {
        spans.extend([key("[/]"), what(" request  ")]);
    }
    spans.extend([
        key("↑/↓ PgUp/PgDn"),
        what(" scroll  "),
        key("Esc"),
        what(" close"),
    ]);
    frame.render_widget(Paragraph::new(Line::from(spans)), keys);
    text
}

fn destinations_line(popup: &ForwardPopup, app: &App) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" To: ", t.style(Role::Muted))];
    for (i, destination) in app.destinations.list.iter().enumerate() {
        let label = format!(" {} {} ({}) ", i + 1, destination.name, destination.kind);
        let style = if i == popup.destination {
            t.style(Role::Selected).add_modifier(Modifier::BOLD)
        } else {
            t.fg(t.ui.fg)
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    if let Some(problem) = &app.destinations.problem {
        spans.push(Span::styled(
            format!(" ✗ {problem}"),
            t.style(Role::Warning),
        ));
    }
    Line::from(spans)
}

fn summary_line(popup: &ForwardPopup, app: &App) -> Line<'static> {
    let t = &app.theme;
    match &popup.preview {
        Preview::NoDestination => Line::raw(""),
        Preview::Mapping => Line::styled(" mapping…", t.style(Role::Muted)),
        Preview::Failed(error) => Line::styled(format!(" ✗ {error}"), t.style(Role::Error)),
        Preview::Ready(prepared) => {
            let n = prepared.requests.len();
            let mut text = format!(
                " {} request{}",
                thousands(n as u64),
                if n == 1 { "" } else { "s" }
            );
            if let Some(shown) = &popup.shown {
                text.push_str(&format!(
                    " · request {} of {} · {} message{} · {} bytes",
                    popup.request + 1,
                    thousands(n as u64),
                    shown.messages,
                    if shown.messages == 1 { "" } else { "s" },
                    thousands(shown.body_bytes as u64)
                ));
            }
            let mut spans = vec![Span::styled(text, t.fg(t.ui.fg))];
            if let Some(first) = prepared.skipped.first() {
                let at = match (&first.carried.seq, &first.carried.message_id) {
                    (Some(seq), _) => format!("seq {seq}"),
                    (None, Some(id)) => id.clone(),
                    (None, None) => "a message".into(),
                };
                spans.push(Span::styled(
                    format!(
                        " · {} skipped ({at}: {})",
                        prepared.skipped.len(),
                        first.reason
                    ),
                    t.style(Role::Warning),
                ));
            }
            Line::from(spans)
        }
    }
}

fn draw_request(
    frame: &mut Frame,
    area: Rect,
    popup: &ForwardPopup,
    app: &App,
    highlighted: Option<&Highlighted>,
) {
    let t = &app.theme;
    let Some(shown) = &popup.shown else {
        return;
    };
    let mut head = vec![Line::from(vec![
        Span::styled(
            format!("{} ", shown.method),
            t.style(Role::Accent).add_modifier(Modifier::BOLD),
        ),
        Span::styled(shown.url.clone(), t.fg(t.ui.fg)),
    ])];
    head.extend(header_lines(&shown.headers, app));
    head.push(Line::raw(""));
    let height = area.height as usize;
    let scroll = popup.scroll.min(shown.total_lines().saturating_sub(1));
    let head_len = head.len();
    let mut lines: Vec<Line> = head.into_iter().skip(scroll).take(height).collect();
    if lines.len() < height {
        let start = scroll.saturating_sub(head_len);
        let end = (start + height - lines.len()).min(shown.doc.lines.len());
        let styled = highlighted
            .filter(|h| h.key.id == popup.highlight_id())
            .map(|h| h.lines.as_slice());
        lines.extend(json_lines(&shown.doc, styled, start..end, app));
    }
    if shown.body_bytes > SHOWN_BODY_BYTES && lines.len() < height {
        lines.push(Line::styled(
            format!(
                "… shown up to 1 MiB of {} bytes (sent whole)",
                thousands(shown.body_bytes as u64)
            ),
            t.style(Role::Muted),
        ));
    }
    let mut paragraph = Paragraph::new(escape_lines(lines));
    if app.wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, area);
}

fn draw_no_destination(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let strong = t.fg(t.ui.fg).add_modifier(Modifier::BOLD);
    let code = t.style(Role::Accent);
    let muted = t.style(Role::Muted);
    let mut lines = vec![];
    match &app.destinations.problem {
        Some(problem) => {
            lines.push(Line::styled(
                "The configured destinations cannot be used:",
                strong,
            ));
            lines.push(Line::styled(format!("  {problem}"), t.style(Role::Error)));
        }
        None => lines.push(Line::styled("No destination is configured.", strong)),
    }
    lines.push(Line::raw(""));
    let file = app
        .destinations
        .config_path
        .clone()
        .unwrap_or_else(|| "eventscope.toml".into());
    lines.push(Line::styled(
        format!("Add one to {file}, for example:"),
        muted,
    ));
    lines.push(Line::raw(""));
    for line in [
        "[[destination]]",
        "name = \"local-hook\"",
        "kind = \"webhook\"            # segment, amplitude, mixpanel, ga4, posthog, file",
        "endpoint = \"http://127.0.0.1:9000/hook\"",
        "shared_secret = \"env:HOOK_SECRET\"   # optional: X-Signature, as Segment signs",
    ] {
        lines.push(Line::styled(format!("  {line}"), code));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "The config is read from --config FILE, ./eventscope.toml or ~/.config/eventscope/. Esc closes.",
        muted,
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
