//! Applying a query to the rows, and doing what the filter bar (`popups::filter`) asks.

use crossterm::event::KeyEvent;

use super::{App, Mode};
use crate::tui::popups::filter::Outcome;
use eventscope_core::filter::Query;
use eventscope_core::identity;

/// Rows tested at once when a filter changes; the rest is done in slices by the event loop.
const RESCAN_NOW: usize = 20_000;

impl App {
    /// Applies `text` as the filter if it parses; otherwise keeps the last valid one and
    /// shows the error in the bar (when it is open).
    pub fn apply_filter(&mut self, text: &str) -> bool {
        let destinations: Vec<&str> = self.routing.iter().map(|d| d.name.as_str()).collect();
        match Query::parse_for(text, &destinations) {
            Ok(mut query) => {
                if let Mode::Filter(bar) = &mut self.mode {
                    bar.error = None;
                }
                if query.source() != self.store.filter().source() {
                    self.bind(&mut query);
                    self.store.set_filter(query);
                    self.name_person();
                    // A first slice now; the event loop applies it to the rest between keys.
                    self.store.rescan_step(RESCAN_NOW);
                    self.after_change();
                }
                true
            }
            Err(error) => {
                if let Mode::Filter(bar) = &mut self.mode {
                    bar.error = Some(error);
                }
                false
            }
        }
    }

    /// Filters to `text` as if typed and submitted (kept in the history), and says so.
    pub fn filter_to(&mut self, text: String) {
        if self.apply_filter(&text) {
            self.remember_filter(&text);
            self.set_status(format!("filter: {text}"), false);
        } else {
            self.set_status(format!("cannot filter to {text}"), true);
        }
    }

    /// Points the filter's `person:` terms at the profiles that are each person now, and
    /// tests the rows again when a merge changed that (`person:` is live).
    pub fn bind_people(&mut self) {
        if self.store.filter().people().is_empty() {
            return;
        }
        let mut query = self.store.filter().clone();
        if self.bind(&mut query) {
            self.store.set_filter(query);
        }
        self.name_person();
    }

    /// The list's "person: user-77 (3 ids)" while the filter names a person: the identifier
    /// as typed and how many identifiers that person holds now.
    fn name_person(&mut self) {
        let person = self.store.filter().people().first().map(|value| {
            let graph = identity::lock(&self.identity);
            let ids = graph.profile_of(value).map_or(0, |p| p.identifiers().len());
            format!(
                "person: {value} ({})",
                eventscope_core::model::count(ids as u64, "id")
            )
        });
        self.narrowed_to = person;
    }

    fn bind(&self, query: &mut Query) -> bool {
        if query.people().is_empty() {
            return false;
        }
        let graph = identity::lock(&self.identity);
        query.bind_people(|value| graph.members_of(value))
    }

    /// A key typed while the filter bar is open.
    pub fn filter_key(&mut self, key: KeyEvent) {
        if self.view == super::View::Deliveries {
            return self.delivery_filter_key(key);
        }
        let Mode::Filter(bar) = &mut self.mode else {
            return;
        };
        match bar.handle(key, &self.filter_history) {
            None => {}
            Some(Outcome::Cancel { before }) => {
                self.mode = Mode::Normal;
                self.apply_filter(&before);
            }
            Some(Outcome::Close) => self.mode = Mode::Normal,
            Some(Outcome::Submit(text)) if self.apply_filter(&text) => {
                self.mode = Mode::Normal;
                self.remember_filter(&text);
            }
            // A query that does not parse: the bar stays open with the error.
            Some(Outcome::Submit(_)) => {}
            Some(Outcome::Changed(text)) => {
                self.apply_filter(&text);
            }
        }
    }
}
