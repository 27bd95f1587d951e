//! The Deliveries view's side of the state: one row per delivery, the selected one's request
//! and response below; opening it (all deliveries or one message's), its own filter (`/`
//! inside it edits a [`DeliveryQuery`] in the filter bar), moving in it, and back to the
//! messages.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::{App, Effect, Focus, Mode, View};
use crate::tui::action::Action;
use crate::tui::deliveries::{DeliveryId, MessageFilter};
use crate::tui::delivery_query::DeliveryQuery;
use crate::tui::popups::FilterBar;
use crate::tui::popups::filter::Outcome;
use eventscope_core::entry::{EntryId, EntryKind};
use eventscope_core::model::pretty::{PrettyDoc, pretty};

/// The view's keys for the help overlay: main-view actions that mean something else here,
/// filled in from the bindings.
pub const HELP: &str = "{up.2}/{down.2} delivery · {open-filter} filter (dest: status: user: \
event: text) · {switch-focus} panes · {jump-to-finding} its message · {back} back";

/// The panes of the Deliveries view, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryPane {
    #[default]
    List,
    Request,
    Response,
}

/// The selected delivery's bodies, pretty-printed (highlighting comes from workers).
#[derive(Debug, Clone)]
pub struct DeliveryDocs {
    pub id: DeliveryId,
    pub request: Arc<PrettyDoc>,
    pub response: Arc<PrettyDoc>,
}

/// The Deliveries view's selection and scrolling.
#[derive(Debug)]
pub struct DeliveryView {
    pub selected: Option<DeliveryId>,
    /// Index (into the visible rows) of the first row drawn.
    pub offset: usize,
    /// Keep the newest delivery selected as they arrive.
    pub follow: bool,
    pub pane: DeliveryPane,
    /// First line drawn in the request and response panes.
    pub scroll: [usize; 2],
    pub docs: Option<DeliveryDocs>,
    /// Rows of the list and lines of each pane at the last draw, for paging and bounds.
    pub rows_height: usize,
    pub pane_height: usize,
    pub pane_lines: [usize; 2],
    /// The message selected when `D` opened the view, selected again on the way back.
    pub from_message: Option<EntryId>,
    /// Queries applied in the view, oldest first (↑/↓ in the bar).
    pub history: Vec<String>,
    /// Why the query being edited does not parse (the last valid one stays applied).
    pub query_error: Option<String>,
}

impl Default for DeliveryView {
    fn default() -> Self {
        DeliveryView {
            selected: None,
            offset: 0,
            follow: true,
            pane: DeliveryPane::List,
            scroll: [0, 0],
            docs: None,
            rows_height: 10,
            pane_height: 10,
            pane_lines: [usize::MAX, usize::MAX],
            from_message: None,
            history: Vec::new(),
            query_error: None,
        }
    }
}

impl App {
    /// Deliveries of the selected message, oldest first.
    pub fn selected_deliveries(&self) -> Vec<&crate::tui::deliveries::Delivery> {
        let Some(entry) = self.selected_event() else {
            return Vec::new();
        };
        let message_id = entry
            .summary
            .message_id
            .as_ref()
            .map(|r| r.get(&entry.text));
        self.deliveries.for_message(entry.seq, message_id)
    }

    /// `d`: the Deliveries view, all of them (`None`) or one message's.
    pub(super) fn open_deliveries(&mut self, filter: Option<MessageFilter>) {
        self.view = View::Deliveries;
        self.deliveries.set_filter(filter);
        let view = &mut self.delivery_view;
        view.follow = true;
        view.pane = DeliveryPane::List;
        view.selected = None;
        self.deliveries_changed();
    }

    /// `D`: the selected message's deliveries.
    pub(super) fn open_message_deliveries(&mut self) {
        let Some(entry) = self.selected_event() else {
            self.set_status("select a message to see its deliveries", true);
            return;
        };
        let message_id = entry
            .summary
            .message_id
            .as_ref()
            .map(|r| r.get(&entry.text).to_string());
        let name = entry.summary.display_name(&entry.text);
        let label = match entry.seq {
            Some(seq) => format!("seq {seq} · {name}"),
            None => name,
        };
        let filter = MessageFilter {
            seq: entry.seq,
            message_id,
            label,
        };
        let from = entry.id;
        self.set_follow(false);
        self.open_deliveries(Some(filter));
        self.delivery_view.from_message = Some(from);
        if self.deliveries.visible().is_empty() {
            self.set_status("no delivery carried this message yet", false);
        }
    }

    /// Back from the Deliveries view to the messages, the selection as it was.
    pub(super) fn close_deliveries(&mut self) {
        self.view = View::Messages;
        self.deliveries.set_filter(None);
        if let Some(id) = self.delivery_view.from_message.take()
            && let Some(index) = self.store.position(id)
        {
            self.select_index(index);
        }
    }

    /// Keeps the Deliveries view's selection valid and following (while it is shown; opening
    /// it selects again).
    pub(super) fn deliveries_changed(&mut self) {
        if self.view != View::Deliveries {
            return;
        }
        let len = self.deliveries.visible().len();
        let view = &mut self.delivery_view;
        if len == 0 {
            view.selected = None;
            view.offset = 0;
            view.docs = None;
            return;
        }
        let index = match view.selected.and_then(|id| self.deliveries.position(id)) {
            Some(index) if !view.follow => index,
            _ if view.follow || view.selected.is_none() => len - 1,
            // The selected delivery was evicted: the oldest one left.
            _ => 0,
        };
        self.select_delivery(index);
    }

    /// Selects the delivery row shown at `index` below the first drawn (a mouse click).
    pub fn click_delivery_row(&mut self, row: usize) {
        let index = self.delivery_view.offset + row;
        let len = self.deliveries.visible().len();
        if index < len {
            self.delivery_view.pane = DeliveryPane::List;
            self.delivery_view.follow = index == len - 1;
            self.select_delivery(index);
        }
    }

    fn select_delivery(&mut self, index: usize) {
        let id = self.deliveries.visible().get(index).copied();
        let view = &mut self.delivery_view;
        if id != view.selected {
            view.selected = id;
            view.scroll = [0, 0];
            view.pane_lines = [usize::MAX, usize::MAX];
        }
        let height = view.rows_height.max(1);
        if index < view.offset {
            view.offset = index;
        } else if index >= view.offset + height {
            view.offset = index + 1 - height;
        }
        self.refresh_delivery_docs();
    }

    fn refresh_delivery_docs(&mut self) {
        let view = &mut self.delivery_view;
        let Some(id) = view.selected else {
            view.docs = None;
            return;
        };
        if view.docs.as_ref().is_some_and(|d| d.id == id) {
            return;
        }
        let Some(delivery) = self.deliveries.get(id) else {
            return;
        };
        let response = delivery
            .frame
            .response
            .as_ref()
            .map_or("", |r| r.body.as_str());
        view.docs = Some(DeliveryDocs {
            id,
            request: Arc::new(pretty(&delivery.frame.request.body)),
            response: Arc::new(pretty(response)),
        });
    }

    /// Actions in the Deliveries view; `None` for those that work as in the messages.
    pub(super) fn update_deliveries(&mut self, action: Action) -> Option<Option<Effect>> {
        let len = self.deliveries.visible().len();
        let page = self.delivery_view.rows_height.max(1) as isize;
        let pane_page = self.delivery_view.pane_height.max(1) as isize;
        let pane = self.delivery_view.pane;
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown
                if pane != DeliveryPane::List =>
            {
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -pane_page,
                    _ => pane_page,
                };
                self.scroll_delivery_pane(delta);
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown if len > 0 => {
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    _ => page,
                };
                let current = self
                    .delivery_view
                    .selected
                    .and_then(|id| self.deliveries.position(id))
                    .unwrap_or(len - 1) as isize;
                let target = (current + delta).clamp(0, len as isize - 1) as usize;
                self.delivery_view.follow = target == len - 1 && delta > 0;
                self.select_delivery(target);
            }
            Action::Top if pane != DeliveryPane::List => self.scroll_delivery_pane(isize::MIN / 2),
            Action::Live if pane != DeliveryPane::List => self.scroll_delivery_pane(isize::MAX / 2),
            Action::Top if len > 0 => {
                self.delivery_view.follow = false;
                self.select_delivery(0);
            }
            Action::Live if len > 0 => {
                self.delivery_view.follow = true;
                self.select_delivery(len - 1);
            }
            Action::SwitchFocus => {
                self.delivery_view.pane = match pane {
                    DeliveryPane::List => DeliveryPane::Request,
                    DeliveryPane::Request => DeliveryPane::Response,
                    DeliveryPane::Response => DeliveryPane::List,
                }
            }
            Action::JumpToFinding => self.show_delivery_message(),
            Action::Back if pane != DeliveryPane::List => {
                self.delivery_view.pane = DeliveryPane::List
            }
            Action::Back | Action::Deliveries | Action::MessageDeliveries => {
                self.close_deliveries()
            }
            Action::OpenFilter => {
                self.delivery_view.query_error = None;
                self.mode = Mode::Filter(FilterBar::open(self.deliveries.query().source()));
            }
            Action::ClearFilter => {
                self.apply_delivery_query("");
            }
            Action::ToggleMark | Action::MarkRange | Action::MarkMatching => {
                self.set_status("marks are set in the message list (d goes back)", false)
            }
            Action::Quit
            | Action::Help
            | Action::Summary
            | Action::Forward
            | Action::Replay
            | Action::ClearMarks
            | Action::ToggleMask
            | Action::ToggleWrap
            | Action::TogglePause
            | Action::Clear => return None,
            _ => {}
        }
        Some(None)
    }

    /// Applies `text` as the view's query if it parses; otherwise keeps the last valid one and
    /// says why in the bar.
    fn apply_delivery_query(&mut self, text: &str) -> bool {
        match DeliveryQuery::parse(text) {
            Ok(query) => {
                self.delivery_view.query_error = None;
                self.deliveries.set_query(query);
                self.deliveries_changed();
                true
            }
            Err(error) => {
                self.delivery_view.query_error = Some(error);
                false
            }
        }
    }

    /// A key typed in the filter bar while the Deliveries view is shown: it edits the view's
    /// query, not the messages' filter.
    pub(super) fn delivery_filter_key(&mut self, key: KeyEvent) {
        let Mode::Filter(bar) = &mut self.mode else {
            return;
        };
        match bar.handle(key, &self.delivery_view.history) {
            None => {}
            Some(Outcome::Cancel { before }) => {
                self.mode = Mode::Normal;
                self.apply_delivery_query(&before);
            }
            Some(Outcome::Close) => self.mode = Mode::Normal,
            Some(Outcome::Submit(text)) if self.apply_delivery_query(&text) => {
                self.mode = Mode::Normal;
                let history = &mut self.delivery_view.history;
                if !text.is_empty() && history.last() != Some(&text) {
                    history.push(text);
                }
                if self.deliveries.visible().is_empty() {
                    self.set_status("no delivery matches the filter", false);
                }
            }
            Some(Outcome::Submit(_)) => {}
            Some(Outcome::Changed(text)) => {
                self.apply_delivery_query(&text);
            }
        }
    }

    fn scroll_delivery_pane(&mut self, delta: isize) {
        let view = &mut self.delivery_view;
        let slot = match view.pane {
            DeliveryPane::Request => 0,
            DeliveryPane::Response => 1,
            DeliveryPane::List => return,
        };
        let last = view.pane_lines[slot].saturating_sub(1) as isize;
        view.scroll[slot] = (view.scroll[slot] as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Enter in the Deliveries view: back to the messages, on the delivery's first message.
    fn show_delivery_message(&mut self) {
        let Some(delivery) = self
            .delivery_view
            .selected
            .and_then(|id| self.deliveries.get(id))
        else {
            return;
        };
        let seqs = delivery.frame.for_seqs.clone();
        let ids = delivery.frame.message_ids.clone();
        // Newest first: a replayed message with a kept messageId is the one just seen.
        let found = self.store.visible().iter().rev().copied().find(|id| {
            self.store.get(*id).is_some_and(|entry| {
                matches!(entry.kind, EntryKind::Event)
                    && (entry.seq.is_some_and(|s| seqs.contains(&s))
                        || entry
                            .summary
                            .message_id
                            .as_ref()
                            .is_some_and(|m| ids.iter().any(|i| i == m.get(&entry.text))))
            })
        });
        match found.and_then(|id| self.store.position(id)) {
            Some(index) => {
                self.delivery_view.from_message = None;
                self.close_deliveries();
                self.set_follow(false);
                self.focus = Focus::List;
                self.select_index(index);
            }
            None => self.set_status(
                "its message is not in the list (evicted, or hidden by the filter)",
                true,
            ),
        }
    }
}
