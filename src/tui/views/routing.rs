//! The detail pane's Routing tab: for each configured destination (`[[destination]]`), would
//! Segment deliver the selected message — `✓ amplitude`, with the fields its filters would
//! strip — or not, and why (`✗ mixpanel — integrations.Mixpanel = false`). The verdicts are
//! worked out once per selected message (`DetailPane::routes`), never per frame.

use ratatui::text::{Line, Span};

use super::finding;
use crate::tui::app::App;
use crate::tui::glyphs::route_mark;
use crate::tui::text::pad;
use crate::tui::theme::Role;
use eventscope_core::routing::Verdict;

/// The tab's lines at `width` columns: a heading, one line per destination (wrapped under
/// its name), and how to filter the list by it.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(routes) = &app.detail.routes else {
        return vec![Line::styled(
            "Not a message object: there is nothing to route.",
            t.style(Role::Muted),
        )];
    };
    let delivered = routes.iter().filter(|v| v.is_routed()).count();
    let mut lines = vec![
        Line::styled(
            format!(
                "Segment would deliver it to {delivered} of {} destination{}:",
                routes.len(),
                if routes.len() == 1 { "" } else { "s" }
            ),
            t.style(Role::Muted),
        ),
        Line::raw(""),
    ];
    let name_w = app
        .routing
        .iter()
        .map(|d| crate::tui::text::width(&d.name))
        .max()
        .unwrap_or(0)
        .min(24);
    for (named, verdict) in app.routing.iter().zip(routes.iter()) {
        let (style, why) = match verdict {
            Verdict::Routed { stripped } if stripped.is_empty() => (t.style(Role::Live), None),
            Verdict::Routed { stripped } => (
                t.style(Role::Live),
                Some(format!("strips {}", stripped.join(", "))),
            ),
            Verdict::Dropped { rule, .. } => (t.style(Role::Warning), Some(rule.clone())),
        };
        let mut first = vec![
            Span::styled(format!("{} ", route_mark(verdict.is_routed())), style),
            Span::styled(pad(&named.name, name_w), style),
        ];
        let mut rest = Vec::new();
        if let Some(why) = why {
            first.push(Span::styled(" — ", t.style(Role::Muted)));
            rest.push(Span::styled(why, t.fg(t.ui.fg)));
        }
        lines.extend(finding::wrap(first, rest, name_w + 5, width));
    }
    lines.push(Line::raw(""));
    lines.extend(finding::wrap(
        Vec::new(),
        vec![Span::styled(
            "Filter the list with routed:NAME, dropped:NAME or dropped:NAME:REASON (consent, \
             integrations, filter, unsupported).",
            t.style(Role::Muted),
        )],
        0,
        width,
    ));
    lines
}
