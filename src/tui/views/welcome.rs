//! The welcome screen: the empty viewer over its own collector, across the whole body with no
//! borders, one command per line and never wrapped inside a command, so that a command selected
//! with the mouse copies clean; `y` copies the curl example ([`curl_example`]).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::text::escape_lines;
use crate::tui::theme::Role;

/// The curl command the welcome screen shows and `y` copies.
pub fn curl_example(addr: &str) -> String {
    format!("curl -u KEY: http://{addr}/v1/track -d '{{\"event\":\"Test\",\"userId\":\"u1\"}}'")
}

/// Draws the welcome screen for a collector at `addr` (`note`: why the address differs from
/// the one asked for, if it does).
pub fn draw(frame: &mut Frame, area: Rect, app: &App, addr: &str, note: Option<&str>) {
    let t = &app.theme;
    let muted = t.style(Role::Muted);
    let strong = t.fg(t.ui.fg).add_modifier(Modifier::BOLD);
    let command = t.fg(t.ui.fg);
    let copy_key = app.keys.first_key_label(Action::CopyMessage);
    let mut lines = vec![Line::styled("Waiting for events.", strong)];
    if let Some(note) = note {
        lines.push(Line::styled(note.to_string(), t.style(Role::Warning)));
    }
    lines.extend([
        Line::raw(""),
        Line::styled(
            format!("Point an SDK at http://{addr}"),
            t.style(Role::Accent),
        ),
        Line::raw(""),
        Line::from(vec![
            Span::styled("curl", strong),
            Span::styled(format!("  ({copy_key} copies it)"), muted),
        ]),
        Line::styled(curl_example(addr), command),
        Line::raw(""),
        Line::styled("@segment/analytics-node", strong),
        Line::styled(
            format!("new Analytics({{ writeKey, host: 'http://{addr}' }})"),
            command,
        ),
        Line::raw(""),
        Line::styled("segment-analytics-python", strong),
        Line::styled(format!("analytics.host = 'http://{addr}'"), command),
        Line::raw(""),
        Line::styled("analytics.js", strong),
        Line::styled(
            format!(
                "integrations: {{ 'Segment.io': {{ apiHost: '{addr}/v1', protocol: 'http' }} }}"
            ),
            command,
        ),
        Line::raw(""),
        // Chrome's Local Network Access check stops a public page before it sends anything.
        Line::styled(
            "Page on a public origin? Allow Chrome's Local network access, or serve it from localhost.",
            muted,
        ),
    ]);
    // No wrapping: a command too wide for the terminal is cut at the edge, not broken.
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    frame.render_widget(Paragraph::new(escape_lines(lines)), area);
}
