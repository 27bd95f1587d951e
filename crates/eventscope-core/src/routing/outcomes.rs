//! Each destination's verdict in brief, packed into one word per message: what a viewer keeps
//! with every row (for the `routed:`/`dropped:` filter terms and the Summary's counts), while
//! the whole [`Verdict`] — rule and stripped fields — is worked out again for the selected
//! message only. [`Named`] pairs a configured destination with its name.

use super::{Destination, Facts, Reason, Verdict, route_facts};
use crate::forward::destination::DestinationConfig;
use crate::model::json::Json;

/// How many destinations [`Outcomes`] holds (3 bits each in a `u64`); later ones are not
/// judged per row (their filter terms match nothing, the Summary does not count them).
pub const MAX_OUTCOMES: usize = 21;

/// One destination's verdict in brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Routed,
    Dropped(Reason),
}

impl Outcome {
    fn code(self) -> u64 {
        match self {
            Outcome::Routed => 1,
            Outcome::Dropped(Reason::Consent) => 2,
            Outcome::Dropped(Reason::Integrations) => 3,
            Outcome::Dropped(Reason::Filter) => 4,
            Outcome::Dropped(Reason::Unsupported) => 5,
        }
    }

    fn from_code(code: u64) -> Option<Outcome> {
        Some(match code {
            1 => Outcome::Routed,
            2 => Outcome::Dropped(Reason::Consent),
            3 => Outcome::Dropped(Reason::Integrations),
            4 => Outcome::Dropped(Reason::Filter),
            5 => Outcome::Dropped(Reason::Unsupported),
            _ => return None,
        })
    }
}

impl From<&Verdict> for Outcome {
    fn from(verdict: &Verdict) -> Outcome {
        match verdict {
            Verdict::Routed { .. } => Outcome::Routed,
            Verdict::Dropped { reason, .. } => Outcome::Dropped(*reason),
        }
    }
}

/// The outcome per destination (by index) of one message; the default judges none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Outcomes(u64);

impl Outcomes {
    /// The outcomes of `message` for the first [`MAX_OUTCOMES`] of `destinations`.
    pub fn of(message: &Json<'_>, destinations: &[Named]) -> Outcomes {
        let facts = Facts::of(message);
        let mut outcomes = Outcomes::default();
        for (index, named) in destinations.iter().take(MAX_OUTCOMES).enumerate() {
            outcomes.set(index, (&route_facts(&facts, &named.destination)).into());
        }
        outcomes
    }

    /// Records destination `index`'s outcome (ignored past [`MAX_OUTCOMES`]).
    pub fn set(&mut self, index: usize, outcome: Outcome) {
        if index < MAX_OUTCOMES {
            let shift = index * 3;
            self.0 = (self.0 & !(0b111 << shift)) | (outcome.code() << shift);
        }
    }

    /// Destination `index`'s outcome; `None` when not judged (not an event, or past
    /// [`MAX_OUTCOMES`]).
    pub fn get(self, index: usize) -> Option<Outcome> {
        if index >= MAX_OUTCOMES {
            return None;
        }
        Outcome::from_code((self.0 >> (index * 3)) & 0b111)
    }

    /// True when no destination was judged.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The whole verdict of `message` for each of `destinations`, in order (what a viewer shows for
/// the selected message).
pub fn route_each(message: &Json<'_>, destinations: &[Named]) -> Vec<Verdict> {
    let facts = Facts::of(message);
    destinations
        .iter()
        .map(|named| route_facts(&facts, &named.destination))
        .collect()
}

/// A configured destination (a `[[destination]]` table) as routing sees it, with its name.
#[derive(Debug)]
pub struct Named {
    /// The table's `name` (what `routed:NAME` and the viewer say).
    pub name: String,
    pub destination: Destination,
}

impl Named {
    /// Routing's view of every table, in order. A table whose filters do not compile is left
    /// out with its error (configuration loading refuses those already, naming the line).
    pub fn all(tables: &[DestinationConfig]) -> (Vec<Named>, Vec<String>) {
        let mut named = Vec::new();
        let mut problems = Vec::new();
        for table in tables {
            match Destination::from_config(table, &super::fql) {
                Ok(destination) => named.push(Named {
                    name: table.name.clone(),
                    destination,
                }),
                Err(e) => problems.push(format!("destination `{}`: {e}", table.name)),
            }
        }
        (named, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_pack_every_reason_per_destination_and_leave_the_rest_unjudged() {
        let mut outcomes = Outcomes::default();
        assert!(outcomes.is_empty());
        let all = [
            Outcome::Routed,
            Outcome::Dropped(Reason::Consent),
            Outcome::Dropped(Reason::Integrations),
            Outcome::Dropped(Reason::Filter),
            Outcome::Dropped(Reason::Unsupported),
        ];
        for (i, outcome) in all.iter().enumerate() {
            outcomes.set(i * 4, *outcome);
        }
        outcomes.set(MAX_OUTCOMES - 1, Outcome::Routed);
        outcomes.set(MAX_OUTCOMES, Outcome::Routed);
        for (i, outcome) in all.iter().enumerate() {
            assert_eq!(outcomes.get(i * 4), Some(*outcome));
            assert_eq!(outcomes.get(i * 4 + 1), None);
        }
        assert_eq!(outcomes.get(MAX_OUTCOMES - 1), Some(Outcome::Routed));
        assert_eq!(outcomes.get(MAX_OUTCOMES), None);
        outcomes.set(0, Outcome::Dropped(Reason::Filter));
        assert_eq!(outcomes.get(0), Some(Outcome::Dropped(Reason::Filter)));
    }
}
