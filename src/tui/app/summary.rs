//! Doing what the Summary (`popups::summary`) asks: keeping its count in step with what the
//! list shows, closing it, and filtering the list to a row.

use super::{App, Effect, Mode, View};
use crate::tui::action::Action;
use crate::tui::popups::SummaryView;
use crate::tui::popups::summary::{Outcome, combine};

impl App {
    /// Opens the Summary over what the list shows now.
    pub(super) fn open_summary(&mut self) {
        let destinations = self.routing.iter().map(|d| d.name.clone()).collect();
        self.mode = Mode::Summary(Box::new(SummaryView::routing(destinations)));
        self.refresh_summary();
    }

    /// Counts what the list shows that the open Summary has not counted yet (a bounded
    /// number of rows per call). True when nothing is left to count (or no Summary is open).
    pub fn refresh_summary(&mut self) -> bool {
        let shown = self.shown_len();
        match &mut self.mode {
            Mode::Summary(view) => view.refresh(&self.store, shown),
            _ => true,
        }
    }

    pub(super) fn update_summary(&mut self, action: Action) -> Option<Effect> {
        let Mode::Summary(view) = &mut self.mode else {
            return None;
        };
        match view.handle(action)? {
            Outcome::Close => self.mode = Mode::Normal,
            Outcome::Filter(terms) => {
                let text = combine(&terms, self.store.filter().source());
                self.mode = Mode::Normal;
                self.view = View::Messages;
                self.filter_to(text);
            }
        }
        None
    }
}

/// The type `Mode::Summary` holds (boxed: the count is large beside the other modes).
pub type SummaryBox = Box<SummaryView>;
