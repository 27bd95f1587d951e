//! Keys in the main view: the Pretty tree's come first while it has focus, and two-key
//! sequences (vim's `zc`, `zo`) wait for their second key, saying on the status line what can
//! follow.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect};
use crate::tui::action::{Action, Context};

impl App {
    /// A key in the main view: the Pretty tree's keys come first while it has focus, and a key
    /// that leads a sequence (`z` of `zc`) waits for the next. A next key that completes no
    /// sequence is taken as the lead's own key and then itself (`z` alone still wraps); `Esc`
    /// drops the lead.
    pub(super) fn normal_key(&mut self, key: KeyEvent, main: Option<Action>) -> Option<Effect> {
        let context = if self.tree_has_focus() {
            Context::Tree
        } else {
            Context::Main
        };
        if let Some(lead) = self.pending_lead.take() {
            self.status = None;
            if let Some(action) = self.keys.action_after(context, lead, key) {
                return self.update(action);
            }
            if key.code == KeyCode::Esc {
                return None;
            }
            let lead_key = KeyEvent::new(KeyCode::Char(lead), KeyModifiers::NONE);
            let effect = self.single_key(context, lead_key, self.keys.action(lead_key));
            if effect.is_some() {
                return effect;
            }
            // The next key may lead a sequence of its own.
            return self.normal_key(key, main);
        } else if let Some(lead) = self.keys.lead_of(context, key) {
            self.pending_lead = Some(lead);
            let next = self.keys.sequences_after(context, lead);
            self.set_status(format!("{lead}… {next}"), false);
            return None;
        }
        self.single_key(context, key, main)
    }

    fn single_key(
        &mut self,
        context: Context,
        key: KeyEvent,
        main: Option<Action>,
    ) -> Option<Effect> {
        let action = match context {
            Context::Tree => self.keys.action_in(Context::Tree, key).or(main)?,
            _ => main?,
        };
        self.update(action)
    }
}
