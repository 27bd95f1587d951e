//! The forward popup, one component: its state, the keys it answers ([`HELP`], bound in
//! `keys`), what it does with them ([`ForwardPopup::handle`]) and how it is drawn.
//!
//! `f` opens it over the marked messages (or the selected one). The app maps them for the
//! chosen destination off the UI task (see `tui::forward`); Enter sends exactly the requests
//! previewed; `e` edits the messages in `$EDITOR`.
//!
//! Routing is applied as Segment would (the core's mapping pipeline): the lines under the
//! summary count the messages it drops, by reason, name each one with its reason, and list the
//! fields destination filters strip (the preview is what is sent, so they are absent there).
//! `i` ignores routing for this forward — everything is sent, unstripped — and a warning line
//! says so while it is on (`--ignore-routing` starts the popup with it on).
//!
//! ```text
//! ┌ Forward 2 messages ──────────────────────────────────────────────────────────┐
//! │ To:  1 hook (webhook)   2 amp-dev (amplitude)                                │
//! │ 2 requests · request 1 of 2 · 1 message                                      │
//! │ 1 dropped by routing: 1 consent (consent Analytics not given) · i sends anyway│
//! │ seq 3: consent: consent Analytics not given                                  │
//! │──────────────────────────────────────────────────────────────────────────────│
//! │ POST http://127.0.0.1:9000/hook                                              │
//! │ X-Signature: 3fa1…9c2d                                                       │
//! │                                                                              │
//! │  1 {                                                                         │
//! │ Enter send · e edit · ←/→ destination · [/] request · ↑/↓ scroll · Esc close  │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::forward::{
    MAX_EDIT_MESSAGES, Prepared, SHOWN_BODY_BYTES, ShownRequest, edit_text, skipped_at,
};
use crate::tui::highlight::Highlighted;
use crate::tui::text::{escape_line, escape_lines};
use crate::tui::theme::Role;
use crate::tui::views::{header_lines, json_lines, thousands};
use eventscope_core::forward::Outgoing;
use eventscope_core::model::count as count_of;

/// The popup's keys for the help overlay, filled in from the bindings (`{action}` is its
/// first key).
pub const HELP: &str = "{forward-send} send · {forward-edit} edit in $EDITOR · \
{forward-ignore-routing} ignore routing (send what Segment would drop) · \
{forward-prev-destination}/{forward-next-destination} \
{forward-destination-1}-{forward-destination-9} destination · \
{forward-prev-request}/{forward-next-request} request · \
{forward-scroll-up}/{forward-scroll-down} {forward-page-up}/{forward-page-down} scroll · \
{forward-close} close";

/// Where the mapping for the chosen destination stands.
#[derive(Debug)]
pub enum Preview {
    /// No destination is configured (or none resolved).
    NoDestination,
    Mapping,
    Ready(Arc<Prepared>),
    Failed(String),
}

/// The forward popup.
#[derive(Debug)]
pub struct ForwardPopup {
    /// What is forwarded (after edits), oldest first.
    pub messages: Arc<Vec<Outgoing>>,
    /// The messages were changed in the editor.
    pub edited: bool,
    /// An edit that did not parse, reopened by the next `e`.
    pub draft: Option<String>,
    /// Index into the viewer's destinations.
    pub destination: usize,
    /// Of the mapping in flight or shown; answers for older ones are dropped.
    pub generation: u64,
    pub preview: Preview,
    /// Which request is shown, and its masked, pretty-printed form.
    pub request: usize,
    pub shown: Option<ShownRequest>,
    /// First line drawn.
    pub scroll: usize,
    /// Lines of request text visible at the last draw (for paging).
    pub height: usize,
    /// Routing is ignored for this forward: what Segment would drop is sent, unstripped.
    pub ignore_routing: bool,
}

/// What the popup asks of the app after a key.
#[derive(Debug)]
pub enum Outcome {
    Close,
    /// The destination changed: map the messages for it.
    Remap,
    /// Edit this text in `$EDITOR`.
    Edit(String),
    /// Send these requests, then close.
    Send(Arc<Prepared>),
    /// Say something in the status line.
    Status {
        text: String,
        is_error: bool,
    },
}

impl ForwardPopup {
    /// `ignore_routing`: the popup starts with routing ignored (`--ignore-routing`).
    pub fn new(messages: Vec<Outgoing>, ignore_routing: bool) -> ForwardPopup {
        ForwardPopup {
            messages: Arc::new(messages),
            edited: false,
            draft: None,
            destination: 0,
            generation: 0,
            preview: Preview::NoDestination,
            request: 0,
            shown: None,
            scroll: 0,
            height: 20,
            ignore_routing,
        }
    }

    pub fn prepared(&self) -> Option<&Arc<Prepared>> {
        match &self.preview {
            Preview::Ready(prepared) => Some(prepared),
            _ => None,
        }
    }

    /// Shows request `index` of the current mapping (clamped), from its top.
    pub fn show_request(&mut self, index: usize) {
        self.scroll = 0;
        let Some(prepared) = self.prepared().cloned() else {
            self.shown = None;
            self.request = 0;
            return;
        };
        self.request = index.min(prepared.requests.len().saturating_sub(1));
        self.shown = prepared.shown.get(self.request).cloned();
    }

    /// The highlight key id of the shown request's body: unique per mapping and request.
    pub fn highlight_id(&self) -> u64 {
        (self.generation << 32) | (self.request as u64 & 0xffff_ffff)
    }

    /// Answers one of the popup's actions; `destinations` is how many there are to choose from.
    pub fn handle(&mut self, action: Action, destinations: usize) -> Option<Outcome> {
        let page = self.height.max(1);
        let total = self.shown.as_ref().map_or(0, ShownRequest::total_lines);
        let last_line = total.saturating_sub(1);
        if let Some(index) = action.destination_index() {
            if index < destinations && index != self.destination {
                self.destination = index;
                return Some(Outcome::Remap);
            }
            return None;
        }
        match action {
            Action::ForwardClose => return Some(Outcome::Close),
            Action::ForwardIgnoreRouting => {
                self.ignore_routing = !self.ignore_routing;
                return Some(Outcome::Remap);
            }
            Action::ForwardPrevDestination if destinations > 1 => {
                self.destination = (self.destination + destinations - 1) % destinations;
                return Some(Outcome::Remap);
            }
            Action::ForwardNextDestination if destinations > 1 => {
                self.destination = (self.destination + 1) % destinations;
                return Some(Outcome::Remap);
            }
            Action::ForwardNextRequest => self.show_request(self.request + 1),
            Action::ForwardPrevRequest => self.show_request(self.request.saturating_sub(1)),
            Action::ForwardScrollDown => self.scroll = (self.scroll + 1).min(last_line),
            Action::ForwardScrollUp => self.scroll = self.scroll.saturating_sub(1),
            Action::ForwardPageDown => self.scroll = (self.scroll + page).min(last_line),
            Action::ForwardPageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::ForwardTop => self.scroll = 0,
            Action::ForwardBottom => self.scroll = total.saturating_sub(page),
            Action::ForwardEdit => {
                if self.messages.len() > MAX_EDIT_MESSAGES {
                    return Some(Outcome::Status {
                        text: format!(
                            "editing takes up to {MAX_EDIT_MESSAGES} messages; mark fewer"
                        ),
                        is_error: true,
                    });
                }
                let text = self
                    .draft
                    .clone()
                    .unwrap_or_else(|| edit_text(&self.messages));
                return Some(Outcome::Edit(text));
            }
            Action::ForwardSend => {
                let (text, is_error) = match &self.preview {
                    Preview::Ready(prepared)
                        if prepared.requests.is_empty() && prepared.skipped.is_empty() =>
                    {
                        (
                            format!("nothing to send to {}", prepared.destination.name),
                            true,
                        )
                    }
                    Preview::Ready(prepared) => return Some(Outcome::Send(Arc::clone(prepared))),
                    Preview::Mapping => ("still mapping the messages…".into(), false),
                    Preview::Failed(error) => (error.clone(), true),
                    Preview::NoDestination => {
                        ("no destination: add a [[destination]] table".into(), true)
                    }
                };
                return Some(Outcome::Status { text, is_error });
            }
            _ => {}
        }
        None
    }

    /// Draws the popup; returns the area of the request text.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        app: &App,
        highlighted: Option<&Highlighted>,
    ) -> Rect {
        let popup = self;
        let t = &app.theme;
        let area = area.inner(Margin::new(2, 1));
        frame.render_widget(Clear, area);
        let count = popup.messages.len();
        let mut title = format!(" Forward {} ", count_of(count as u64, "message"));
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
        let routing = routing_lines(popup, app);
        let [choices, summary, routing_area, rule, text, keys] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(routing.len() as u16),
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
        frame.render_widget(Paragraph::new(escape_lines(routing)), routing_area);
        frame.render_widget(
            Paragraph::new("─".repeat(rule.width as usize)).style(t.style(Role::Border)),
            rule,
        );
        draw_request(frame, text, popup, app, highlighted);
        let key = |k: &str| t.key(k);
        let what = |w: &str| Span::styled(w.to_string(), t.style(Role::Muted));
        let hint = |template: &str| key(&app.keys.hint(template));
        let mut spans = vec![
            hint(" {forward-send}"),
            what(" send  "),
            hint("{forward-edit}"),
            what(" edit  "),
            hint("{forward-ignore-routing}"),
            what(if popup.ignore_routing {
                " route as Segment  "
            } else {
                " ignore routing  "
            }),
        ];
        if app.destinations.list.len() > 1 {
            spans.extend([
                hint("{forward-prev-destination}/{forward-next-destination}"),
                what(" destination  "),
            ]);
        }
        if popup.prepared().is_some_and(|p| p.requests.len() > 1) {
            spans.extend([
                hint("{forward-prev-request}/{forward-next-request}"),
                what(" request  "),
            ]);
        }
        spans.extend([
            hint("{forward-scroll-up}/{forward-scroll-down} {forward-page-up}/{forward-page-down}"),
            what(" scroll  "),
            hint("{forward-close}"),
            what(" close"),
        ]);
        frame.render_widget(Paragraph::new(Line::from(spans)), keys);
        text
    }
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
    // Unusable ones are listed, disabled, with the reason.
    for unusable in &app.destinations.unusable {
        spans.push(Span::styled(
            format!(" ✗ {} ", unusable.name),
            t.style(Role::Muted).add_modifier(Modifier::CROSSED_OUT),
        ));
        spans.push(Span::styled(
            format!("disabled: {} ", unusable.reason),
            t.style(Role::Warning),
        ));
    }
    if app.destinations.unusable.is_empty()
        && let Some(problem) = &app.destinations.problem
    {
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
            let mut text = format!(" {}", count_of(n as u64, "request"));
            if let Some(shown) = &popup.shown {
                text.push_str(&format!(
                    " · request {} of {} · {} · {}",
                    popup.request + 1,
                    thousands(n as u64),
                    count_of(shown.messages as u64, "message"),
                    count_of(shown.body_bytes as u64, "byte")
                ));
            }
            let mut spans = vec![Span::styled(text, t.fg(t.ui.fg))];
            // Routing's drops have lines of their own (`routing_lines`).
            let mut skipped = prepared.skipped.iter().filter(|s| s.dropped.is_none());
            if let Some(first) = skipped.next() {
                spans.push(Span::styled(
                    format!(
                        " · {} skipped ({}: {})",
                        skipped.count() + 1,
                        skipped_at(first),
                        first.reason
                    ),
                    t.style(Role::Warning),
                ));
            }
            Line::from(spans)
        }
    }
}

/// What routing does to this forward, under the summary: the warning while it is ignored;
/// else the messages it drops (counted by reason, then each with its reason) and the fields
/// filters strip. Empty when routing changes nothing.
fn routing_lines(popup: &ForwardPopup, app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let warning = t.style(Role::Warning);
    let prepared = popup.prepared();
    if popup.ignore_routing {
        let mut lines = vec![Line::styled(
            app.keys.hint(
                " ⚠ routing ignored: messages Segment would drop (consent, integrations, \
                 filters) are sent, unstripped — {forward-ignore-routing} routes as Segment does",
            ),
            warning.add_modifier(Modifier::BOLD),
        )];
        // The mapping may still be the one from before the toggle.
        if let Some(prepared) = prepared.filter(|p| p.destination.ignore_routing)
            && let Some(summary) = &prepared.routing.dropped
        {
            lines.push(Line::styled(format!("   sent anyway: {summary}"), warning));
        }
        return lines;
    }
    let Some(prepared) = prepared.filter(|p| !p.destination.ignore_routing) else {
        return Vec::new();
    };
    let note = &prepared.routing;
    let mut lines = Vec::new();
    if let Some(summary) = &note.dropped {
        lines.push(Line::from(vec![
            Span::styled(format!(" ✗ {summary}"), warning),
            Span::styled(
                app.keys
                    .hint(" · {forward-ignore-routing} sends them anyway"),
                t.style(Role::Muted),
            ),
        ]));
        lines.push(Line::styled(
            format!("   {}", note.each),
            t.style(Role::Muted),
        ));
    }
    if let Some(stripped) = &note.stripped {
        lines.push(Line::styled(
            format!(" ✂ {stripped}; the request below is what is sent"),
            warning,
        ));
    }
    lines
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
    if app.detail.wrap {
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
        app.keys.hint(
            "The config is read from --config FILE, ./eventscope.toml or ~/.config/eventscope/. \
             {forward-close} closes.",
        ),
        muted,
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
