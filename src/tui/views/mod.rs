//! Drawing: pure reads of `App`. One file per region; popups (components in `tui::popups`,
//! each drawing itself) drawn last, on top.
//!
//! ```text
//! ┌ header: source · state · totals · rate · rejected · missed · evicted ─────────┐
//! │ list (time, type, name, user, size, verdict) │ detail [Pretty|Raw|Call]        │
//! │                                               │                                │
//! ├ filter bar (when open or active) ──────────────────────────────────────────────┤
//! └ footer: the keys that matter now ─────────────────────────────────────────────┘
//! ```
//! Under 100 columns the list and the detail stack vertically.

mod deliveries;
mod detail;
mod finding;
mod footer;
mod header;
mod list;
mod routing;
mod warehouse;
pub mod welcome;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::app::{App, Mode, SourceKind, View};
use super::highlight::{Highlighted, StyledLine};
use super::theme::Role;
use eventscope_core::model::pretty::PrettyDoc;

/// Below this width the panes stack.
pub const NARROW_WIDTH: u16 = 100;

/// Where things were drawn, for paging and mouse hits. Areas of what was not drawn are empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrawnLayout {
    pub list: Rect,
    pub list_rows: Rect,
    pub detail: Rect,
    pub detail_lines: Rect,
    /// The Deliveries view's rows, and its request and response panes' text.
    pub delivery_rows: Rect,
    pub delivery_panes: [Rect; 2],
    /// Lines each pane has in all (for scrolling bounds).
    pub delivery_lines: [usize; 2],
    /// The forward popup's request text.
    pub forward_lines: Rect,
    /// The Summary's rows.
    pub summary_rows: Rect,
    /// The person view's timeline rows.
    pub person_rows: Rect,
    /// The schema view's rows.
    pub schema_rows: Rect,
    /// The SQL prompt's answer rows (with their header line).
    pub sql_rows: Rect,
    /// The diff pane's rows.
    pub diff_rows: Rect,
}

/// Highlighting ready for what is on screen: the selected message, the forward popup's
/// request body, the selected delivery's request and response bodies. Each is used only if
/// its key matches what is shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct Highlights<'a> {
    pub message: Option<&'a Highlighted>,
    pub forward: Option<&'a Highlighted>,
    pub request: Option<&'a Highlighted>,
    pub response: Option<&'a Highlighted>,
}

/// Draws the whole screen. `highlighted` is the selected message's highlighting, if ready.
pub fn draw(frame: &mut Frame, app: &App, highlighted: Option<&Highlighted>) -> DrawnLayout {
    let highlights = Highlights {
        message: highlighted,
        ..Highlights::default()
    };
    draw_all(frame, app, &highlights)
}

/// Draws the whole screen with every highlighting there is.
pub fn draw_all(frame: &mut Frame, app: &App, highlights: &Highlights) -> DrawnLayout {
    let highlighted = highlights.message;
    let area = frame.area();
    frame.render_widget(
        ratatui::widgets::Block::new().style(app.theme.style(super::theme::Role::Base)),
        area,
    );
    // The Deliveries view draws its own query's bar.
    let show_filter_bar = app.view == View::Messages
        && (matches!(app.mode, Mode::Filter(_)) || !app.store.filter().source().is_empty());
    let [header_area, body, filter_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(u16::from(show_filter_bar)),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, header_area, app);
    let mut layout = DrawnLayout::default();
    match app.view {
        View::Messages => {
            let [list_area, detail_area] = if area.width < NARROW_WIDTH {
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(body)
            } else {
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(body)
            };
            layout.list = list_area;
            let welcome = match &app.source {
                SourceKind::Embedded { addr, note } if app.store.is_empty() => {
                    Some((addr, note.as_deref()))
                }
                _ => None,
            };
            if let Some((addr, note)) = welcome {
                // Drawn over the whole body; the list's areas stay what they will be when the
                // first rows arrive (paging and following count on them).
                layout.list_rows = list::rows_area(list_area);
                welcome::draw(frame, body, app, addr, note);
            } else {
                layout.list_rows = list::draw(frame, list_area, app);
                layout.detail = detail_area;
                layout.detail_lines = detail::draw(frame, detail_area, app, highlighted);
            }
        }
        View::Deliveries => deliveries::draw(frame, body, app, highlights, &mut layout),
    }
    if show_filter_bar {
        crate::tui::popups::filter::draw(frame, filter_area, app);
    }
    footer::draw(frame, footer_area, app);
    match &app.mode {
        Mode::Help(help) => help.draw(frame, area, app),
        Mode::Summary(view) => layout.summary_rows = view.draw(frame, area, app),
        Mode::Person(view) => layout.person_rows = view.draw(frame, area, app),
        Mode::Schema(view) => layout.schema_rows = view.draw(frame, area, app),
        Mode::Diff(pane) => layout.diff_rows = pane.draw(frame, area, app),
        Mode::Sql(prompt) => layout.sql_rows = prompt.draw(frame, area, app),
        Mode::Confirm(confirm) => confirm.draw(frame, area, app),
        Mode::Views(picker) => picker.draw(frame, area, app),
        Mode::Forward(popup) => {
            layout.forward_lines = popup.draw(frame, area, app, highlights.forward)
        }
        Mode::Replay(popup) => popup.draw(frame, area, app),
        Mode::Write(prompt) => prompt.draw(frame, area, app),
        Mode::Jump(prompt) => prompt.draw(frame, area, app),
        Mode::Normal | Mode::Filter(_) => {}
    }
    layout
}

/// Lines `range` of a pretty-printed JSON body, numbered, in the highlighter's colours when
/// `styled` is ready (plain until then).
pub fn json_lines(
    doc: &PrettyDoc,
    styled: Option<&[StyledLine]>,
    range: std::ops::Range<usize>,
    app: &App,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let plain = t.fg(t.ui.fg);
    let gutter = doc.lines.len().to_string().len();
    doc.lines
        .iter()
        .enumerate()
        .skip(range.start)
        .take(range.end.saturating_sub(range.start))
        .map(|(i, line)| {
            let mut spans = vec![Span::styled(
                format!("{:>gutter$} ", i + 1),
                t.style(Role::Muted),
            )];
            match styled.and_then(|s| s.get(i)) {
                Some(styled) => spans.extend(styled.spans.iter().map(|(r, style)| {
                    Span::styled(line.text.get(r.clone()).unwrap_or("").to_string(), *style)
                })),
                None => spans.push(Span::styled(line.text.clone(), plain)),
            }
            Line::from(spans)
        })
        .collect()
}

/// `Name: value` header lines, the name muted.
pub fn header_lines(headers: &[(String, String)], app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    headers
        .iter()
        .map(|(name, value)| {
            Line::from(vec![
                Span::styled(format!("{name}: "), t.style(Role::Muted)),
                Span::styled(value.clone(), t.fg(t.ui.fg)),
            ])
        })
        .collect()
}

/// The style of a delivery: green when delivered, red when not.
pub fn delivery_style(ok: bool, app: &App) -> Style {
    if ok {
        app.theme.style(Role::Live)
    } else {
        app.theme.style(Role::Error)
    }
}

/// A delivery row's colour: green delivered, red failed, the warning colour for a message
/// that was not sent (skipped, or dropped by routing).
pub fn delivery_row_style(delivery: &crate::tui::deliveries::Delivery, app: &App) -> Style {
    if delivery.is_skipped() {
        app.theme.style(Role::Warning)
    } else {
        delivery_style(delivery.frame.ok, app)
    }
}

pub use eventscope_core::model::thousands;
/// `HH:MM:SS.mmm` in UTC, as the list shows a row's time.
pub use list::format_time;

/// `text` in at most `width` columns, ending with `…` when cut, with control, bidi and
/// zero-width characters escaped (see [`crate::tui::text`]).
pub use crate::tui::text::fit;
/// [`fit`], padded with spaces to exactly `width` columns: a column of a table.
pub use crate::tui::text::pad;
/// Styled text wrapped under a first line, indented (findings, the help overlay).
pub use finding::wrap;
