//! Drawing: pure reads of `App`. One file per region; popups drawn last, on top.
//!
//! ```text
//! ┌ header: source · state · totals · rate · rejected · missed · evicted ─────────┐
//! │ list (time, type, name, user, size, verdict) │ detail [Pretty|Raw|Call]        │
//! │                                               │                                │
//! ├ filter bar (when open or active) ──────────────────────────────────────────────┤
//! └ footer: the keys that matter now ─────────────────────────────────────────────┘
//! ```
//! Under 100 columns the list and the detail stack vertically.

mod detail;
mod footer;
mod header;
mod help;
mod list;
mod summary;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Mode};
use super::highlight::Highlighted;

/// Below this width the panes stack.
pub const NARROW_WIDTH: u16 = 100;

/// Where things were drawn, for paging and mouse hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrawnLayout {
    pub list: Rect,
    pub list_rows: Rect,
    pub detail: Rect,
    pub detail_lines: Rect,
}

/// Draws the whole screen. `highlighted` is the selected message's highlighting, if ready.
pub fn draw(frame: &mut Frame, app: &App, highlighted: Option<&Highlighted>) -> DrawnLayout {
    let area = frame.area();
    frame.render_widget(
        ratatui::widgets::Block::new().style(app.theme.style(super::theme::Role::Base)),
        area,
    );
    let show_filter_bar = app.mode == Mode::Filter || !app.store.filter().source().is_empty();
    let [header_area, body, filter_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(u16::from(show_filter_bar)),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(frame, header_area, app);
    let [list_area, detail_area] = if area.width < NARROW_WIDTH {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body)
    } else {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
    };
    let list_rows = list::draw(frame, list_area, app);
    let detail_lines = detail::draw(frame, detail_area, app, highlighted);
    if show_filter_bar {
        footer::draw_filter_bar(frame, filter_area, app);
    }
    footer::draw(frame, footer_area, app);
    match app.mode {
        Mode::Help => help::draw(frame, area, app),
        Mode::Summary => summary::draw(frame, area, app),
        Mode::Normal | Mode::Filter => {}
    }
    DrawnLayout {
        list: list_area,
        list_rows,
        detail: detail_area,
        detail_lines,
    }
}

pub use crate::model::thousands;

/// Cuts `text` to `width` characters, ending with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
