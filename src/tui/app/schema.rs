//! Doing what the schema view (`popups::schema`) asks: opening it (`W`), keeping it in step
//! with the schema the feeds build, expanding a table, and selecting the message that added a
//! column in the list.

use super::{App, Effect, Mode};
use crate::tui::action::Action;
use crate::tui::popups::SchemaView;
use crate::tui::popups::schema::Outcome;
use crate::tui::schema::SchemaModel;

impl App {
    /// `W`: the warehouse schema the messages have built so far.
    pub(super) fn open_schema(&mut self) {
        let model = SchemaModel::open(&self.schema);
        self.mode = Mode::Schema(Box::new(SchemaView::new(model)));
    }

    /// Brings the open schema view up to date with the schema (a copy when it moved). True
    /// when it moved (a redraw is due).
    pub fn refresh_schema(&mut self) -> bool {
        match &mut self.mode {
            Mode::Schema(view) => view.refresh(&self.schema),
            _ => false,
        }
    }

    pub(super) fn update_schema(&mut self, action: Action) -> Option<Effect> {
        let Mode::Schema(view) = &mut self.mode else {
            return None;
        };
        match view.handle(action)? {
            Outcome::Close => self.mode = Mode::Normal,
            Outcome::Toggle => view.toggle(&self.schema),
            Outcome::Select(seq) => self.select_seq(seq, "the message that added it"),
        }
        None
    }
}
