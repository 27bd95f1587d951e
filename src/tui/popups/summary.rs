//! The Summary, one component: the violations report over the messages the list shows, by
//! event or by rule, and — with destinations configured — routed and dropped per destination
//! (drawn by `summary_routing`). Its state (tab, sort, cursor, the count of `tui::summary`), the keys it
//! answers ([`HELP`], bound in `keys`: none reaches the view below), what they do
//! ([`SummaryView::handle`]) and how it is drawn: bounded name columns, rules and events
//! wrapped under their row (never cut), and a legend for every column.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::summary_routing::{ROUTE_CELLS, ROUTE_LEGEND, destination_table, route_terms};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::store::Store;
use crate::tui::summary::{EventRow, OTHER, RouteCounts, RuleRow, Tally};
use crate::tui::text::{fit, pad, width};
use crate::tui::theme::Role;
use crate::tui::views::thousands;
use eventscope_core::inspect::Severity;
use eventscope_core::model::count;

/// The Summary's keys for the help overlay, filled in from the bindings.
pub const HELP: &str = "{summary-down}/{summary-up} move · {summary-page-down}/{summary-page-up} \
page · {summary-next-tab} by event / by rule / by destination · {summary-sort} sort · \
{summary-prev-cell}/{summary-next-cell} pick a rule (an event, a reason) in the row · \
{summary-filter} list those messages · {summary-close} close";

/// The short hint on the Summary's border.
const BORDER_HINT: &str = " {summary-next-tab} by event/rule · {summary-sort} sort · \
{summary-prev-cell}/{summary-next-cell} cell · {summary-filter} filter · {summary-close} close ";

/// New messages counted per refresh (per frame at most): a million rows take a few frames.
const COUNT_BUDGET: usize = 100_000;
/// Top events listed per rule.
const TOP_EVENTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryTab {
    ByEvent,
    ByRule,
    /// Only with destinations configured.
    ByDestination,
}

/// The order of the rows; `summary-sort` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Errors,
    Warnings,
    Pii,
    Count,
    Name,
}

impl SortKey {
    fn next(self) -> SortKey {
        match self {
            SortKey::Errors => SortKey::Warnings,
            SortKey::Warnings => SortKey::Pii,
            SortKey::Pii => SortKey::Count,
            SortKey::Count => SortKey::Name,
            SortKey::Name => SortKey::Errors,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Errors => "errors",
            SortKey::Warnings => "warnings",
            SortKey::Pii => "PII",
            SortKey::Count => "messages",
            SortKey::Name => "name",
        }
    }
}

/// What the Summary asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Close,
    /// Show the messages these filter terms match (`type:track event:"A" rule:plan/x`).
    Filter(String),
}

/// The Summary: its count, the rows built from it, and where the user is.
#[derive(Debug)]
pub struct SummaryView {
    tally: Tally,
    /// The tally's version the rows were built from.
    built: u64,
    pub events: Vec<EventRow>,
    pub rules: Vec<RuleRow>,
    /// The configured destinations' names (in `App::routing`'s order) and their counts.
    pub destinations: Vec<String>,
    pub routes: Vec<RouteCounts>,
    pub tab: SummaryTab,
    pub sort: SortKey,
    /// The selected row of the tab shown.
    pub cursor: usize,
    /// The first row drawn (the drawing moves it down when wrapped rows push the cursor out).
    pub offset: usize,
    /// The cell picked in the selected row: a rule (by event) or a top event (by rule).
    pub cell: Option<usize>,
    /// Rows visible at the last draw (for paging).
    pub page: usize,
}

impl Default for SummaryView {
    fn default() -> Self {
        SummaryView {
            tally: Tally::default(),
            built: 0,
            events: Vec::new(),
            rules: Vec::new(),
            destinations: Vec::new(),
            routes: Vec::new(),
            tab: SummaryTab::ByEvent,
            sort: SortKey::Errors,
            cursor: 0,
            offset: 0,
            cell: None,
            page: 10,
        }
    }
}

impl SummaryView {
    /// A Summary that also counts, per destination of `destinations`, what is routed and
    /// dropped.
    pub fn routing(destinations: Vec<String>) -> SummaryView {
        SummaryView {
            destinations,
            ..SummaryView::default()
        }
    }

    /// Counts what the list shows (its first `shown` visible rows) not counted yet, within a
    /// budget, and rebuilds the rows if the counts changed. True when the count is complete.
    pub fn refresh(&mut self, store: &Store, shown: usize) -> bool {
        let done = self.tally.refresh(store, shown, COUNT_BUDGET);
        if self.tally.version() != self.built {
            let selected = self.selected_key();
            self.built = self.tally.version();
            self.events = self.tally.by_event();
            self.rules = self.tally.by_rule();
            self.routes = self.tally.by_destination(self.destinations.len());
            self.sort_rows();
            self.reselect(selected);
        }
        done
    }

    /// Shown messages not counted yet.
    pub fn pending(&self) -> usize {
        self.tally.pending()
    }

    fn len(&self) -> usize {
        match self.tab {
            SummaryTab::ByEvent => self.events.len(),
            SummaryTab::ByRule => self.rules.len(),
            SummaryTab::ByDestination => self.routes.len(),
        }
    }

    /// What identifies the selected row across rebuilds and sorts.
    fn selected_key(&self) -> Option<(String, String)> {
        match self.tab {
            SummaryTab::ByEvent => self
                .events
                .get(self.cursor)
                .map(|r| (r.name.clone(), r.kind.clone())),
            SummaryTab::ByRule => self
                .rules
                .get(self.cursor)
                .map(|r| (r.rule.clone(), String::new())),
            // Destinations keep the config's order: the cursor stays.
            SummaryTab::ByDestination => None,
        }
    }

    fn reselect(&mut self, key: Option<(String, String)>) {
        let found = key.and_then(|(a, b)| match self.tab {
            SummaryTab::ByEvent => self.events.iter().position(|r| r.name == a && r.kind == b),
            SummaryTab::ByRule => self.rules.iter().position(|r| r.rule == a),
            SummaryTab::ByDestination => None,
        });
        if self.tab == SummaryTab::ByDestination {
            self.cursor = self.cursor.min(self.len().saturating_sub(1));
            return;
        }
        match found {
            Some(i) => self.cursor = i,
            None => {
                self.cursor = self.cursor.min(self.len().saturating_sub(1));
                self.cell = None;
            }
        }
    }

    fn sort_rows(&mut self) {
        let sort = self.sort;
        self.events.sort_by(|a, b| {
            let pii = |r: &EventRow| (r.pii_red, r.pii_yellow);
            let order = match sort {
                SortKey::Errors => b.errors.cmp(&a.errors).then(b.warnings.cmp(&a.warnings)),
                SortKey::Warnings => b.warnings.cmp(&a.warnings).then(b.errors.cmp(&a.errors)),
                SortKey::Pii => pii(b).cmp(&pii(a)),
                SortKey::Count => b.messages.cmp(&a.messages),
                SortKey::Name => a.name.cmp(&b.name).then(a.kind.cmp(&b.kind)),
            };
            order
                .then(b.messages.cmp(&a.messages))
                .then_with(|| (&a.name, &a.kind).cmp(&(&b.name, &b.kind)))
        });
        self.rules.sort_by(|a, b| {
            let order = match sort {
                SortKey::Errors => b.severity.cmp(&a.severity),
                SortKey::Warnings => a.severity.cmp(&b.severity),
                SortKey::Pii => b.is_pii().cmp(&a.is_pii()),
                SortKey::Count => std::cmp::Ordering::Equal,
                SortKey::Name => a.rule.cmp(&b.rule),
            };
            order
                .then(b.messages.cmp(&a.messages))
                .then_with(|| a.rule.cmp(&b.rule))
        });
    }

    /// Cells of the selected row that `summary-next-cell` steps through.
    fn cells(&self) -> usize {
        match self.tab {
            SummaryTab::ByEvent => self.events.get(self.cursor).map_or(0, |r| r.rules.len()),
            SummaryTab::ByRule => self
                .rules
                .get(self.cursor)
                .map_or(0, |r| r.events.len().min(TOP_EVENTS)),
            SummaryTab::ByDestination => ROUTE_CELLS,
        }
    }

    /// Answers one of the Summary's actions.
    pub fn handle(&mut self, action: Action) -> Option<Outcome> {
        let last = self.len().saturating_sub(1) as isize;
        let page = self.page.max(1) as isize;
        let delta = match action {
            Action::SummaryClose => return Some(Outcome::Close),
            Action::SummaryFilter => return self.filter_terms().map(Outcome::Filter),
            Action::SummaryUp => -1,
            Action::SummaryDown => 1,
            Action::SummaryPageUp => -page,
            Action::SummaryPageDown => page,
            Action::SummaryTop => -last - 1,
            Action::SummaryBottom => last + 1,
            Action::SummaryNextTab | Action::SummaryPrevTab => {
                let tabs: &[SummaryTab] = if self.destinations.is_empty() {
                    &[SummaryTab::ByEvent, SummaryTab::ByRule]
                } else {
                    &[
                        SummaryTab::ByEvent,
                        SummaryTab::ByRule,
                        SummaryTab::ByDestination,
                    ]
                };
                let i = tabs.iter().position(|t| *t == self.tab).unwrap_or(0);
                let step = if action == Action::SummaryNextTab {
                    1
                } else {
                    tabs.len() - 1
                };
                self.tab = tabs[(i + step) % tabs.len()];
                (self.cursor, self.offset, self.cell) = (0, 0, None);
                return None;
            }
            Action::SummarySort => {
                let selected = self.selected_key();
                self.sort = self.sort.next();
                self.sort_rows();
                self.reselect(selected);
                return None;
            }
            Action::SummaryNextCell | Action::SummaryPrevCell => {
                let cells = self.cells();
                self.cell = match (self.cell, action == Action::SummaryNextCell) {
                    _ if cells == 0 => None,
                    (None, true) => Some(0),
                    (None, false) => Some(cells - 1),
                    (Some(i), true) => (i + 1 < cells).then_some(i + 1),
                    (Some(i), false) => i.checked_sub(1),
                };
                return None;
            }
            _ => return None,
        };
        let cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
        if cursor != self.cursor {
            self.cell = None;
        }
        self.cursor = cursor;
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + self.page.max(1) {
            self.offset = self.cursor + 1 - self.page.max(1);
        }
        None
    }

    /// The filter terms for the selected row (and cell): the event, the rule, or both.
    pub fn filter_terms(&self) -> Option<String> {
        match self.tab {
            SummaryTab::ByEvent => {
                let row = self.events.get(self.cursor)?;
                let event = event_terms(&row.name, &row.kind)?;
                match self.cell.and_then(|i| row.rules.keys().nth(i)) {
                    Some(rule) => Some(format!("{event} rule:{rule}")),
                    None => Some(event),
                }
            }
            SummaryTab::ByRule => {
                let row = self.rules.get(self.cursor)?;
                let rule = format!("rule:{}", row.rule);
                match self.cell.and_then(|i| row.events.get(i)) {
                    Some(e) => Some(format!("{rule} {}", event_terms(&e.name, &e.kind)?)),
                    None => Some(rule),
                }
            }
            SummaryTab::ByDestination => {
                let name = self.destinations.get(self.cursor)?;
                Some(route_terms(name, self.cell))
            }
        }
    }

    /// Draws the Summary over `area`; returns where its rows are.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) -> Rect {
        let t = &app.theme;
        let popup = super::whole_screen(frame, area);
        let messages = self.tally.messages();
        let mut title = format!(
            " Summary of the {} message{} shown ",
            thousands(messages),
            if messages == 1 { "" } else { "s" }
        );
        let bots = self.tally.bots();
        if bots > 0 {
            title = format!("{title}· {} ", count(bots, "bot"));
        }
        let filter = app.store.filter().source();
        if !filter.is_empty() {
            title = format!("{}· filter {filter} ", title);
        }
        if self.pending() > 0 {
            title = format!(
                "{title}· counting, {} to go ",
                thousands(self.pending() as u64)
            );
        }
        let hint = app.keys.hint(BORDER_HINT);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(fit(&title, popup.width.saturating_sub(2) as usize))
            .title_bottom(
                Line::styled(
                    fit(&hint, popup.width.saturating_sub(2) as usize),
                    t.style(Role::Muted),
                )
                .right_aligned(),
            )
            .style(t.style(Role::Base));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let w = inner.width as usize;
        let legend = wrap_words(self.legend(), w.max(1));
        let [tabs_area, heading_area, rows_area, legend_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(legend.len() as u16),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(self.tabs_line(app)), tabs_area);
        let table = match self.tab {
            SummaryTab::ByEvent => self.event_table(w, app),
            SummaryTab::ByRule => self.rule_table(w, app),
            SummaryTab::ByDestination => destination_table(self, w, app),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(
                table.heading,
                t.style(Role::Muted).add_modifier(Modifier::BOLD),
            )),
            heading_area,
        );
        let height = rows_area.height as usize;
        let mut start = self.offset.min(self.cursor);
        let lines_of = |i: usize| table.rows.get(i).map_or(0, Vec::len);
        while start < self.cursor && (start..=self.cursor).map(lines_of).sum::<usize>() > height {
            start += 1;
        }
        let mut lines: Vec<Line> = table.rows.into_iter().skip(start).flatten().collect();
        if lines.is_empty() {
            lines.push(Line::styled(
                if self.pending() > 0 {
                    "Counting…"
                } else {
                    "No messages shown."
                },
                t.style(Role::Muted),
            ));
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), rows_area);
        frame.render_widget(
            Paragraph::new(legend.into_iter().map(Line::raw).collect::<Vec<_>>())
                .style(t.style(Role::Muted))
                .wrap(Wrap { trim: false }),
            legend_area,
        );
        rows_area
    }

    fn tabs_line(&self, app: &App) -> Line<'static> {
        let t = &app.theme;
        let tab = |label: &str, on: bool| {
            let style = if on {
                t.style(Role::Selected).add_modifier(Modifier::BOLD)
            } else {
                t.style(Role::Muted)
            };
            Span::styled(format!(" {label} "), style)
        };
        let mut spans = vec![
            tab("By event", self.tab == SummaryTab::ByEvent),
            Span::raw(" "),
            tab("By rule", self.tab == SummaryTab::ByRule),
        ];
        if !self.destinations.is_empty() {
            spans.push(Span::raw(" "));
            spans.push(tab("By destination", self.tab == SummaryTab::ByDestination));
        }
        let order = match self.tab {
            SummaryTab::ByDestination => "   in eventscope.toml's order".to_string(),
            _ => format!("   sorted by {}", self.sort.label()),
        };
        spans.push(Span::styled(order, t.style(Role::Muted)));
        Line::from(spans)
    }

    fn legend(&self) -> &'static str {
        match self.tab {
            SummaryTab::ByEvent => {
                "msgs: messages shown · err / warn: messages whose worst spec or plan finding \
                 is an error / a warning · PII-R: messages with Red PII (secrets: passwords, \
                 API keys, card numbers) · PII-Y: messages with Yellow PII (personal data: \
                 emails, phones, names, IPs) outside its expected places · rules: code×messages"
            }
            SummaryTab::ByRule => {
                "sev: the worst severity the rule's findings reached · msgs: messages with a \
                 finding of the rule · events: how many event names · top events: the most \
                 affected, name×messages"
            }
            SummaryTab::ByDestination => ROUTE_LEGEND,
        }
    }

    fn event_table(&self, w: usize, app: &App) -> Table {
        let t = &app.theme;
        const COUNTS: usize = 45; // marker, type and five numbers with their spaces
        let longest = self
            .events
            .iter()
            .map(|r| width(&r.name))
            .max()
            .unwrap_or(0);
        let name_w = longest
            .clamp(10, 32)
            .min(w.saturating_sub(COUNTS + 1))
            .max(6);
        let fixed = name_w + COUNTS;
        let inline = w.saturating_sub(fixed + 2) >= 24;
        let heading = format!(
            "  {} {:<8} {:>7} {:>6} {:>6} {:>5} {:>5}{}",
            pad("event", name_w),
            "type",
            "msgs",
            "err",
            "warn",
            "PII-R",
            "PII-Y",
            if inline { "  rules" } else { "" }
        );
        let rows = self
            .events
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let selected = i == self.cursor;
                let style = if row.errors > 0 {
                    t.style(Role::Error)
                } else if row.warnings > 0 {
                    t.style(Role::Warning)
                } else {
                    t.fg(t.ui.fg)
                };
                let name = if row.name.is_empty() {
                    "—"
                } else {
                    &row.name
                };
                let counts = format!(
                    "{} {} {} {:>7} {:>6} {:>6} {:>5} {:>5}",
                    if selected { "▶" } else { " " },
                    pad(name, name_w),
                    pad(&row.kind, 8),
                    thousands(row.messages),
                    thousands(row.errors),
                    thousands(row.warnings),
                    thousands(row.pii_red),
                    thousands(row.pii_yellow),
                );
                let counts_style = if selected && self.cell.is_none() {
                    style.add_modifier(Modifier::REVERSED)
                } else {
                    style
                };
                let cells: Vec<String> = row
                    .rules
                    .iter()
                    .map(|(rule, n)| format!("{rule}×{}", thousands(*n)))
                    .collect();
                let picked = if selected { self.cell } else { None };
                cell_lines(
                    Span::styled(counts, counts_style),
                    &cells,
                    picked,
                    inline.then_some(fixed + 2),
                    w,
                    app,
                )
            })
            .collect();
        Table { heading, rows }
    }

    fn rule_table(&self, w: usize, app: &App) -> Table {
        let t = &app.theme;
        const COUNTS: usize = 23; // marker, severity and two numbers with their spaces
        let longest = self.rules.iter().map(|r| width(&r.rule)).max().unwrap_or(0);
        let rule_w = longest
            .clamp(8, 40)
            .min(w.saturating_sub(COUNTS + 1))
            .max(6);
        let fixed = rule_w + COUNTS;
        let inline = w.saturating_sub(fixed + 2) >= 24;
        let heading = format!(
            "  {} {:<5} {:>7} {:>6}{}",
            pad("rule", rule_w),
            "sev",
            "msgs",
            "events",
            if inline { "  top events" } else { "" }
        );
        let rows = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let selected = i == self.cursor;
                let (sev, style) = match row.severity {
                    Severity::Error => ("error", t.style(Role::Error)),
                    _ => ("warn", t.style(Role::Warning)),
                };
                let counts = format!(
                    "{} {} {:<5} {:>7} {:>6}",
                    if selected { "▶" } else { " " },
                    pad(&row.rule, rule_w),
                    sev,
                    thousands(row.messages),
                    thousands(row.events.len() as u64),
                );
                let counts_style = if selected && self.cell.is_none() {
                    style.add_modifier(Modifier::REVERSED)
                } else {
                    style
                };
                let mut cells: Vec<String> = row
                    .events
                    .iter()
                    .take(TOP_EVENTS)
                    .map(|e| {
                        let name = if e.name.is_empty() { &e.kind } else { &e.name };
                        format!("{}×{}", fit(name, 40), thousands(e.messages))
                    })
                    .collect();
                if row.events.len() > TOP_EVENTS {
                    cells.push(format!("+{} more", row.events.len() - TOP_EVENTS));
                }
                let picked = if selected { self.cell } else { None };
                cell_lines(
                    Span::styled(counts, counts_style),
                    &cells,
                    picked,
                    inline.then_some(fixed + 2),
                    w,
                    app,
                )
            })
            .collect();
        Table { heading, rows }
    }
}

/// A tab's heading and its rows, each row one or more lines.
pub(super) struct Table {
    pub(super) heading: String,
    pub(super) rows: Vec<Vec<Line<'static>>>,
}

/// A row's lines: `counts`, then its cells wrapped — beside the counts from column `inline`
/// when there is room, else on lines of their own under it, indented. A cell is never cut: one
/// longer than a line is broken across lines.
fn cell_lines(
    counts: Span<'static>,
    cells: &[String],
    picked: Option<usize>,
    inline: Option<usize>,
    w: usize,
    app: &App,
) -> Vec<Line<'static>> {
    const INDENT: usize = 4;
    let t = &app.theme;
    let (column, mut lines, mut current) = match inline {
        Some(column) => {
            let used = width(&counts.content);
            let gap = Span::raw(" ".repeat(column.saturating_sub(used)));
            (column, Vec::new(), vec![counts, gap])
        }
        None => (INDENT, vec![Line::from(counts)], Vec::new()),
    };
    let room = w.saturating_sub(column).max(1);
    let mut used = 0;
    let lead = || Span::raw(" ".repeat(column));
    for (i, cell) in cells.iter().enumerate() {
        let style = if picked == Some(i) {
            t.style(Role::Selected)
        } else {
            t.style(Role::Muted)
        };
        for piece in break_long(cell, room) {
            let need = width(&piece) + usize::from(used > 0) * 2;
            if used > 0 && used + need > room {
                lines.push(Line::from(std::mem::take(&mut current)));
                used = 0;
            }
            if current.is_empty() {
                current.push(lead());
            }
            if used > 0 {
                current.push(Span::raw("  "));
                used += 2;
            }
            used += width(&piece);
            current.push(Span::styled(piece, style));
        }
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// `text` in pieces of at most `room` columns (one piece when it fits).
fn break_long(text: &str, room: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if used + cw > room && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
        used += cw;
    }
    pieces
}

/// `text` wrapped at spaces into lines of at most `room` columns.
fn wrap_words(text: &str, room: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        for piece in break_long(word, room) {
            if !line.is_empty() && width(&line) + 1 + width(&piece) > room {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&piece);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Filter terms for the messages of an event row: `type:track event:"Name"`, or the type alone
/// for types without a name. None for the "(other)" row, which is no one event.
fn event_terms(name: &str, kind: &str) -> Option<String> {
    if name == OTHER {
        return None;
    }
    let kind_term = (!kind.is_empty()).then(|| format!("type:{kind}"));
    let name_term = (!name.is_empty()).then(|| {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("event:\"{quoted}\"")
    });
    match (kind_term, name_term) {
        (Some(k), Some(n)) => Some(format!("{k} {n}")),
        (Some(k), None) => Some(k),
        (None, Some(n)) => Some(n),
        (None, None) => None,
    }
}

/// `terms` and the active filter `current` together, as one query of the filter grammar:
/// `current` last (a `jq:` term reads to the end of the query), grouped when it has an `or`
/// and no `jq:` (which cannot be grouped: it would read the `)`).
pub fn combine(terms: &str, current: &str) -> String {
    let current = current.trim();
    if current.is_empty() || current.contains(terms) {
        return if current.contains(terms) {
            current.to_string()
        } else {
            terms.to_string()
        };
    }
    let has_or = current
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case("or"));
    if has_or && !current.contains("jq:") {
        format!("{terms} ({current})")
    } else {
        format!("{terms} {current}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_terms_quote_names_and_combine_with_the_active_filter() {
        assert_eq!(
            event_terms("Say \"hi\"", "track").as_deref(),
            Some("type:track event:\"Say \\\"hi\\\"\"")
        );
        assert_eq!(
            event_terms("", "identify").as_deref(),
            Some("type:identify")
        );
        assert_eq!(event_terms(OTHER, "track"), None);
        assert_eq!(combine("type:track", ""), "type:track");
        assert_eq!(
            combine("type:track", "has:violation"),
            "type:track has:violation"
        );
        assert_eq!(combine("type:track", "a or b"), "type:track (a or b)");
        assert_eq!(
            combine("type:track", "a or jq: .x"),
            "type:track a or jq: .x"
        );
        assert_eq!(combine("type:track", "type:track x"), "type:track x");
        for query in [
            combine("type:track event:\"A\"", "a or b"),
            combine("rule:plan/x", "jq: .type == \"track\""),
        ] {
            assert!(
                eventscope_core::filter::Query::parse(&query).is_ok(),
                "{query}"
            );
        }
    }

    #[test]
    fn long_cells_and_legends_wrap_without_losing_a_character() {
        assert_eq!(break_long("abcdef", 4), ["abcd", "ef"]);
        let lines = wrap_words("one two three four", 9);
        assert_eq!(lines, ["one two", "three", "four"]);
        assert!(lines.iter().all(|l| width(l) <= 9));
    }
}
