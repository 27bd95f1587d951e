//! Doing what the person view (`popups::person`) asks: opening it on the selected message's
//! person (`P`) or on the identifier under the detail pane's cursor (`Enter` in Pretty),
//! keeping it in step with the graph and the rows, selecting a timeline row's message in the
//! list, and narrowing the list to the person (`person:ID`).

use super::{App, Effect, Mode};
use crate::tui::action::Action;
use crate::tui::person::{PersonModel, TimelineKey};
use crate::tui::popups::PersonView;
use crate::tui::popups::person::Outcome;
use eventscope_core::identity::{self, ProfileId};

impl App {
    /// `P`: the person of the selected message (the profile it joined, followed through the
    /// merges since).
    pub(super) fn open_selected_person(&mut self) {
        let Some(entry) = self.selected_event() else {
            self.set_status("select a message to see its person", true);
            return;
        };
        let Some(profile) = entry.profile else {
            self.set_status(
                "no person: the message has no identifier the identity graph keeps (none, or blocked)",
                true,
            );
            return;
        };
        let at = TimelineKey::Message(entry.id);
        self.open_person(profile, Some(at));
    }

    /// `Enter` on a value in the Pretty tab: the person holding it as an identifier.
    pub(super) fn open_person_at_cursor(&mut self) {
        let value = self
            .detail
            .doc
            .as_ref()
            .and_then(|(_, doc)| doc.lines.get(self.detail.cursor))
            .and_then(|line| {
                let text = line.text.get(line.value.clone()?)?;
                serde_json::from_str::<String>(text).ok()
            });
        let Some(value) = value else {
            return;
        };
        let profile = identity::lock(&self.identity)
            .profile_of(&value)
            .map(|p| p.id());
        match profile {
            Some(profile) => {
                let at = self.selected.map(TimelineKey::Message);
                self.open_person(profile, at);
            }
            None => self.set_status(
                format!(
                    "{} is no one's identifier (not promoted, or blocked)",
                    crate::tui::text::fit(&value, 40)
                ),
                true,
            ),
        }
    }

    fn open_person(&mut self, profile: ProfileId, at: Option<TimelineKey>) {
        let model = PersonModel::open(profile, &self.identity, &self.store);
        // The list stays where it was under the view.
        self.set_follow(false);
        self.mode = Mode::Person(Box::new(PersonView::new(model, at)));
    }

    /// Brings the open person view up to date with the graph and the rows (a bounded scan).
    /// True when it has scanned every row (or none is open).
    pub fn refresh_person(&mut self) -> bool {
        match &mut self.mode {
            Mode::Person(view) => view.refresh(&self.identity, &self.store),
            _ => true,
        }
    }

    pub(super) fn update_person(&mut self, action: Action) -> Option<Effect> {
        let Mode::Person(view) = &mut self.mode else {
            return None;
        };
        match view.handle(action)? {
            Outcome::Close => self.mode = Mode::Normal,
            Outcome::Select(row) => {
                let Some(id) = view.model.entry_at(row) else {
                    self.set_status("the message that caused it is not retained", true);
                    return None;
                };
                if !self.select_shown(id) {
                    let narrow = self.keys.first_key_label(Action::PersonNarrow);
                    self.set_status(
                        format!(
                            "that message is not in the list (filtered out, or after the pause): {narrow} narrows the list to this person"
                        ),
                        true,
                    );
                }
            }
            Outcome::Narrow => {
                let text = format!("person:{}", quoted(&view.model.name));
                self.mode = Mode::Normal;
                self.filter_to(text);
            }
        }
        None
    }
}

/// `value` as one filter value: quoted when it holds spaces, quotes or brackets.
fn quoted(value: &str) -> String {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '(' | ')' | '\\'))
    {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_string()
    }
}
