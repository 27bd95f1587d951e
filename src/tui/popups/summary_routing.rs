//! The Summary's By destination tab: per configured destination, the messages shown that
//! Segment would deliver and those it would drop, by reason; each count a cell that Enter
//! turns into the list's filter (`routed:amp`, `dropped:amp:consent`).

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::summary::{SummaryView, Table};
use crate::tui::app::App;
use crate::tui::summary::REASONS;
use crate::tui::text::pad;
use crate::tui::theme::Role;
use crate::tui::views::thousands;

/// The cells of a row: routed, then each reason of [`REASONS`].
pub const ROUTE_CELLS: usize = 1 + REASONS.len();

pub const ROUTE_LEGEND: &str = "routed: messages Segment would deliver to the destination · \
dropped: those it would not, then by reason — consent (context.consent.categoryPreferences), \
integrations (the integrations object), filter (a destination filter), unsupported (a call \
the destination cannot carry) · Enter lists them (dropped:NAME on the row)";

/// The filter terms of a destination's row: `dropped:NAME` for the row, `routed:NAME` or
/// `dropped:NAME:REASON` for a cell.
pub fn route_terms(name: &str, cell: Option<usize>) -> String {
    let term = |field: &str, value: String| {
        if value.contains(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')') {
            let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
            format!("{field}:\"{quoted}\"")
        } else {
            format!("{field}:{value}")
        }
    };
    match cell {
        Some(0) => term("routed", name.to_string()),
        Some(i) => match REASONS.get(i - 1) {
            Some(reason) => term("dropped", format!("{name}:{}", reason.as_str())),
            None => term("dropped", name.to_string()),
        },
        None => term("dropped", name.to_string()),
    }
}

/// The tab's heading and rows, one line per destination.
pub fn destination_table(view: &SummaryView, w: usize, app: &App) -> Table {
    let t = &app.theme;
    const COUNTS: usize = 63; // marker and seven numbers with their spaces
    let longest = view
        .destinations
        .iter()
        .map(|n| crate::tui::text::width(n))
        .max()
        .unwrap_or(0);
    let name_w = longest
        .clamp(11, 32)
        .min(w.saturating_sub(COUNTS + 1))
        .max(6);
    let heading = format!(
        "  {} {:>8} {:>8} {:>8} {:>12} {:>8} {:>11}",
        pad("destination", name_w),
        "routed",
        "dropped",
        "consent",
        "integrations",
        "filter",
        "unsupported",
    );
    let rows = view
        .destinations
        .iter()
        .zip(view.routes.iter())
        .enumerate()
        .map(|(i, (name, counts))| {
            let selected = i == view.cursor;
            let style = if counts.dropped_total() > 0 {
                t.style(Role::Warning)
            } else {
                t.fg(t.ui.fg)
            };
            let row_style = if selected && view.cell.is_none() {
                style.add_modifier(Modifier::REVERSED)
            } else {
                style
            };
            let picked = |cell: usize| {
                if selected && view.cell == Some(cell) {
                    t.style(Role::Selected)
                } else {
                    row_style
                }
            };
            let mut spans = vec![
                Span::styled(
                    format!("{} {}", if selected { "▶" } else { " " }, pad(name, name_w)),
                    row_style,
                ),
                Span::styled(format!(" {:>8}", thousands(counts.routed)), picked(0)),
                Span::styled(
                    format!(" {:>8}", thousands(counts.dropped_total())),
                    row_style,
                ),
            ];
            for (r, width) in [8, 12, 8, 11].into_iter().enumerate() {
                spans.push(Span::styled(" ", row_style));
                spans.push(Span::styled(
                    format!("{:>width$}", thousands(counts.dropped[r])),
                    picked(r + 1),
                ));
            }
            vec![Line::from(spans)]
        })
        .collect();
    Table { heading, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_filters_to_its_drops_and_a_cell_to_its_reason_quoted_when_needed() {
        assert_eq!(route_terms("amp", None), "dropped:amp");
        assert_eq!(route_terms("amp", Some(0)), "routed:amp");
        assert_eq!(route_terms("amp", Some(1)), "dropped:amp:consent");
        assert_eq!(route_terms("amp", Some(4)), "dropped:amp:unsupported");
        assert_eq!(
            route_terms("my hook", Some(3)),
            "dropped:\"my hook:filter\""
        );
        for cell in [None, Some(0), Some(2), Some(3)] {
            let terms = route_terms("my hook", cell);
            eventscope_core::filter::Query::parse_for(&terms, &["my hook"])
                .unwrap_or_else(|e| panic!("{terms}: {e}"));
        }
    }
}
