//! Doing what `=` and the diff pane (`popups::diff`) ask: picking the pair (the two marked
//! messages, or else the selected one and the previous retained message of the same event),
//! comparing them (inline when small, else off the UI task as a [`DiffJob`]), and closing.

use super::{App, Effect, Mode, SYNC_DETAIL_BYTES};
use crate::tui::action::Action;
use crate::tui::popups::diff::{Compared, DiffPane, Outcome, Side};
use eventscope_core::diff::{DiffOptions, diff};
use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::model::json::Json;

/// Rows looked back for the previous message of the same event: the search stays a few
/// milliseconds on the UI task however many rows are retained.
const PREVIOUS_SEARCH: u64 = 200_000;

/// A pair too large to compare on the UI task; the result goes to [`App::diff_ready`].
#[derive(Debug)]
pub struct DiffJob {
    pub generation: u64,
    before: String,
    after: String,
}

impl DiffJob {
    /// Both diffs of the pair (volatile fields hidden, and shown).
    pub fn run(&self) -> Result<Compared, String> {
        compare(&self.before, &self.after)
    }
}

fn compare(before: &str, after: &str) -> Result<Compared, String> {
    let before = Json::parse(before).map_err(|e| format!("the first message: {e}"))?;
    let after = Json::parse(after).map_err(|e| format!("the second message: {e}"))?;
    let options = DiffOptions::default();
    Ok(Compared {
        hidden: diff(&before, &after, &options),
        all: diff(
            &before,
            &after,
            &DiffOptions {
                show_volatile: true,
                ..options
            },
        ),
    })
}

/// A message's event as the pair is matched on: its type and its name (a track's event, a
/// page's name…), as sent.
fn event_key(entry: &Entry) -> (String, String) {
    let summary = &entry.summary;
    let kind = match (summary.message_type, &summary.other_type) {
        (Some(t), _) => t.as_str().to_string(),
        (None, Some(other)) => other.display(&entry.text).into_owned(),
        (None, None) => String::new(),
    };
    let name = summary
        .name
        .as_ref()
        .map(|n| n.display(&entry.text).into_owned())
        .unwrap_or_default();
    (kind, name)
}

fn side(entry: &Entry) -> Side {
    let (kind, name) = event_key(entry);
    let event = match (kind.as_str(), name.is_empty()) {
        ("track", false) => format!("{name:?}"),
        (_, true) => kind,
        (_, false) => format!("{kind} {name:?}"),
    };
    Side {
        seq: entry.seq,
        event,
    }
}

impl App {
    /// `=`: the diff pane over the pair, or why there is none on the status line.
    pub(super) fn open_diff(&mut self) {
        let generation = self.next_generation;
        self.next_generation += 1;
        let (before, after) = match self.diff_pair() {
            Ok(pair) => pair,
            Err(why) => {
                self.set_status(why, true);
                return;
            }
        };
        let mut pane = DiffPane::new(side(before), side(after), generation);
        let job = DiffJob {
            generation,
            before: before.text.to_string(),
            after: after.text.to_string(),
        };
        if job.before.len() + job.after.len() > SYNC_DETAIL_BYTES {
            self.diff_job = Some(job);
        } else {
            pane.set_result(job.run());
        }
        self.mode = Mode::Diff(Box::new(pane));
    }

    /// The two marked messages (older first), or else the previous retained message of the
    /// selected one's event and the selected one.
    fn diff_pair(&self) -> Result<(&Entry, &Entry), String> {
        let event = |id| {
            self.store
                .get(id)
                .filter(|e| matches!(e.kind, EntryKind::Event))
        };
        match self.marks.len() {
            0 => {}
            2 => {
                let marked: Vec<&Entry> = self.marks.iter().filter_map(event).collect();
                return match marked[..] {
                    [a, b] => Ok((a, b)),
                    _ => Err("nothing to compare: a marked message is no longer retained".into()),
                };
            }
            n => {
                return Err(format!(
                    "nothing to compare: = compares two marked messages, and {n} are marked \
                     ({} clears the marks)",
                    self.keys.first_key_label(Action::ClearMarks)
                ));
            }
        }
        let Some(selected) = self.selected_event() else {
            return Err("nothing to compare: select a message (or mark two)".into());
        };
        let key = event_key(selected);
        let first = self
            .store
            .first_id()
            .max(selected.id.saturating_sub(PREVIOUS_SEARCH));
        let previous = (first..selected.id)
            .rev()
            .filter_map(event)
            .find(|e| event_key(e) == key);
        match previous {
            Some(previous) => Ok((previous, selected)),
            None => Err(format!(
                "nothing to compare: no earlier {} message is retained; mark two messages \
                 ({}) to compare them",
                side(selected).event,
                self.keys.first_key_label(Action::ToggleMark)
            )),
        }
    }

    /// The comparison to run off the UI task, if `=` asked for one.
    pub fn take_diff_job(&mut self) -> Option<DiffJob> {
        self.diff_job.take()
    }

    /// A [`DiffJob`]'s result: shown if its pane is still open.
    pub fn diff_ready(&mut self, generation: u64, result: Result<Compared, String>) {
        if let Mode::Diff(pane) = &mut self.mode
            && pane.generation == generation
        {
            pane.set_result(result);
        }
    }

    pub(super) fn update_diff(&mut self, action: Action) -> Option<Effect> {
        let Mode::Diff(pane) = &mut self.mode else {
            return None;
        };
        match pane.handle(action)? {
            Outcome::Close => self.mode = Mode::Normal,
        }
        None
    }
}
