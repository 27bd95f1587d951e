//! The person view's model: one person of the identity graph as the view draws it — their
//! identifiers, traits, event counts, alias links, and the timeline of their retained rows with
//! merges and refused merges as separators between them. Kept in step incrementally: the graph
//! is read (under its lock, briefly) only when its counts moved or rows arrived, rows are
//! scanned once each (again only when a merge changes who the person is), and the timeline is
//! indexed, never materialised, so a frame draws only its visible slice.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::tui::store::Store;
use eventscope_core::entry::EntryId;
use eventscope_core::identity::{
    IdentifierRecord, IdentityGraph, Profile, ProfileId, SharedGraph, TraitValue, abbreviate, lock,
};

/// Rows tested per refresh (per frame at most) when the whole store is scanned again.
const SCAN_BUDGET: usize = 200_000;
/// Alias links listed at most.
const MAX_ALIASES: usize = 20;

/// What a separator row says happened to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marker {
    Merge,
    Refused,
}

/// A timeline row between messages: a merge or a refused merge, at the message that caused it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Separator {
    pub seq: u64,
    pub marker: Marker,
    pub text: String,
}

/// One row of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineRow<'a> {
    Message(EntryId),
    Separator(&'a Separator),
}

/// What identifies a timeline row across refreshes (its index moves as rows arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKey {
    Message(EntryId),
    Separator(u64, Marker),
}

/// The graph's counts: when none moved (and no row arrived) the model is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GraphMark {
    merges: u64,
    profiles: usize,
    refusals: u64,
    aliases: u64,
    identifiers: usize,
}

impl GraphMark {
    fn of(graph: &IdentityGraph) -> GraphMark {
        GraphMark {
            merges: graph.merge_total(),
            profiles: graph.len(),
            refusals: graph.refusal_total(),
            aliases: graph.alias_total(),
            identifiers: graph.identifier_count(),
        }
    }
}

/// One person, as drawn.
#[derive(Debug)]
pub struct PersonModel {
    /// The person's profile now (follows merges).
    pub person: ProfileId,
    /// False when the graph no longer knows the person (it was cleared).
    pub found: bool,
    /// The identifier that names the person best: a user id, else an email, else the first
    /// added (the settings' priority).
    pub name: String,
    pub identifiers: Vec<IdentifierRecord>,
    /// Traits by name: the latest value and the message that set it.
    pub traits: Vec<(String, TraitValue)>,
    /// Message counts by event, most first.
    pub events: Vec<(String, u64)>,
    /// Every message the graph counted for the person (retained or not).
    pub messages: u64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Alias links touching the person, as sentences.
    pub aliases: Vec<String>,
    /// The profiles that are the person now: theirs and every one merged into it (sorted).
    members: Vec<ProfileId>,
    /// The person's retained rows: (seq, id), ascending.
    rows: Vec<(u64, EntryId)>,
    merges: Vec<Separator>,
    refusals: Vec<Separator>,
    /// Merges and refusals, by seq.
    separators: Vec<Separator>,
    /// Each separator's index in the timeline.
    at: Vec<usize>,
    /// Rows from this id on are not scanned yet.
    scanned_to: EntryId,
    mark: Option<GraphMark>,
    last_row: Option<EntryId>,
}

impl PersonModel {
    /// The person whose profile is (or was merged into) `profile`, read from `graph` and
    /// `store` at once.
    pub fn open(profile: ProfileId, graph: &SharedGraph, store: &Store) -> PersonModel {
        let mut model = PersonModel {
            person: profile,
            found: true,
            name: profile.to_string(),
            identifiers: Vec::new(),
            traits: Vec::new(),
            events: Vec::new(),
            messages: 0,
            first_seen: None,
            last_seen: None,
            aliases: Vec::new(),
            members: Vec::new(),
            rows: Vec::new(),
            merges: Vec::new(),
            refusals: Vec::new(),
            separators: Vec::new(),
            at: Vec::new(),
            scanned_to: 0,
            mark: None,
            last_row: None,
        };
        while !model.refresh(graph, store) {}
        model
    }

    /// Brings the model up to date if the graph or the store moved; scans at most
    /// [`SCAN_BUDGET`] rows. True when every retained row is scanned.
    pub fn refresh(&mut self, shared: &SharedGraph, store: &Store) -> bool {
        let last = store.last_id();
        let first = first_id(store);
        let evicted = match last {
            Some(_) => self.rows.partition_point(|(_, id)| *id < first),
            // Cleared.
            None => self.rows.len(),
        };
        self.rows.drain(..evicted);
        self.scanned_to = self.scanned_to.max(first);
        let graph = lock(shared);
        let mark = GraphMark::of(&graph);
        let scanning = last.is_some_and(|l| self.scanned_to <= l);
        if Some(mark) == self.mark && last == self.last_row && evicted == 0 && !scanning {
            return true;
        }
        let old = self.mark.replace(mark);
        self.last_row = last;
        let Some(profile) = graph.current(self.person).and_then(|p| graph.profile(p)) else {
            self.found = false;
            return true;
        };
        self.found = true;
        self.person = profile.id();
        let members = profile.members();
        let again = members != self.members;
        if again {
            self.members = members;
            self.rows.clear();
            self.refusals.clear();
            self.scanned_to = first;
        }
        self.copy_profile(profile);
        self.name = best_name(&graph, profile);
        let merges = profile.merges().to_vec();
        if old
            .is_none_or(|o| again || o.aliases != mark.aliases || o.identifiers != mark.identifiers)
        {
            self.aliases = aliases(&graph, profile);
        }
        // Rows are scanned without the lock: the feed goes on observing meanwhile.
        drop(graph);
        let new_rows = self.scan(store);
        let lo = self.rows.get(new_rows).map_or(u64::MAX, |(seq, _)| *seq);
        let since = old.filter(|_| !again).map(|o| o.refusals);
        self.add_refusals(&lock(shared), since, lo);
        self.merges = merges
            .iter()
            .map(|m| Separator {
                seq: m.seq,
                marker: Marker::Merge,
                text: merge_text(m, self.kind_of(m.seq, store)),
            })
            .collect();
        self.index();
        last.is_none_or(|l| self.scanned_to > l)
    }

    fn copy_profile(&mut self, profile: &Profile) {
        self.identifiers = profile.identifiers().to_vec();
        self.traits = profile
            .traits()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut events: Vec<(String, u64)> = profile
            .events()
            .iter()
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        events.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.events = events;
        self.messages = profile.message_count();
        self.first_seen = Some(profile.first_seen());
        self.last_seen = Some(profile.last_seen());
    }

    /// Tests unscanned rows (within the budget); answers the index of the first row added.
    fn scan(&mut self, store: &Store) -> usize {
        let added_from = self.rows.len();
        let Some(last) = store.last_id() else {
            return added_from;
        };
        let end = last.min(self.scanned_to.saturating_add(SCAN_BUDGET as u64 - 1));
        for id in self.scanned_to..=end {
            if let Some(entry) = store.get(id)
                && entry
                    .profile
                    .is_some_and(|p| self.members.binary_search(&p).is_ok())
            {
                self.rows.push((entry.seq.unwrap_or(0), id));
            }
        }
        self.scanned_to = end + 1;
        added_from
    }

    /// Keeps the refusals about the person: of a profile that is now the person, or caused
    /// by one of the person's messages. Looks at those recorded after the `since`th (all
    /// without it) and at those as new as the rows just scanned (from seq `lo`): both are at
    /// the back.
    fn add_refusals(&mut self, graph: &IdentityGraph, since: Option<u64>, lo: u64) {
        let new = since.map_or(usize::MAX, |since| {
            usize::try_from(graph.refusal_total().saturating_sub(since)).unwrap_or(usize::MAX)
        });
        let before = self.refusals.len();
        for (i, r) in graph.refusals().rev().enumerate() {
            if i >= new && r.seq < lo {
                break;
            }
            let theirs = r
                .profile
                .is_some_and(|p| self.members.binary_search(&p).is_ok())
                || self.row_of_seq(r.seq).is_some();
            if theirs {
                self.refusals.push(Separator {
                    seq: r.seq,
                    marker: Marker::Refused,
                    text: format!("refused: {}, seq {}", r.detail, r.seq),
                });
            }
        }
        if self.refusals.len() != before {
            self.refusals.sort();
            self.refusals.dedup();
        }
    }

    /// The message type of the person's row `seq`, if retained.
    fn kind_of(&self, seq: u64, store: &Store) -> Option<String> {
        let id = self.row_of_seq(seq)?;
        let entry = store.get(id)?;
        Some(entry.summary.type_str(&entry.text).to_string())
    }

    /// The person's retained row with this seq.
    pub fn row_of_seq(&self, seq: u64) -> Option<EntryId> {
        let i = self.rows.partition_point(|(s, _)| *s < seq);
        self.rows
            .get(i)
            .filter(|(s, _)| *s == seq)
            .map(|(_, id)| *id)
    }

    /// Places the separators among the rows.
    fn index(&mut self) {
        let mut separators: Vec<Separator> = self
            .merges
            .iter()
            .chain(self.refusals.iter())
            .cloned()
            .collect();
        separators.sort();
        separators.dedup();
        self.at = separators
            .iter()
            .enumerate()
            .map(|(j, s)| self.rows.partition_point(|(seq, _)| *seq < s.seq) + j)
            .collect();
        self.separators = separators;
    }

    /// Rows in the timeline: retained messages and separators.
    pub fn len(&self) -> usize {
        self.rows.len() + self.separators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Retained messages of the person.
    pub fn retained(&self) -> usize {
        self.rows.len()
    }

    /// Separators of each kind: (merges, refusals).
    pub fn separator_counts(&self) -> (usize, usize) {
        let merges = self
            .separators
            .iter()
            .filter(|s| s.marker == Marker::Merge)
            .count();
        (merges, self.separators.len() - merges)
    }

    /// The timeline's row `i`.
    pub fn row(&self, i: usize) -> Option<TimelineRow<'_>> {
        let j = self.at.partition_point(|&p| p < i);
        if self.at.get(j) == Some(&i) {
            return self.separators.get(j).map(TimelineRow::Separator);
        }
        self.rows
            .get(i.checked_sub(j)?)
            .map(|(_, id)| TimelineRow::Message(*id))
    }

    pub fn key(&self, i: usize) -> Option<TimelineKey> {
        Some(match self.row(i)? {
            TimelineRow::Message(id) => TimelineKey::Message(id),
            TimelineRow::Separator(s) => TimelineKey::Separator(s.seq, s.marker),
        })
    }

    /// Where the row `key` is now (or the nearest row after it).
    pub fn index_of(&self, key: TimelineKey) -> usize {
        match key {
            TimelineKey::Message(id) => {
                let k = self.rows.partition_point(|(_, r)| *r < id);
                // Separators placed before row k.
                let before = self
                    .at
                    .iter()
                    .enumerate()
                    .filter(|(j, p)| *p - j <= k)
                    .count();
                k + before
            }
            TimelineKey::Separator(seq, marker) => {
                let j = self
                    .separators
                    .partition_point(|s| (s.seq, s.marker) < (seq, marker));
                self.at.get(j).copied().unwrap_or(self.len())
            }
        }
        .min(self.len().saturating_sub(1))
    }

    /// The list row a timeline row stands for: the message, or the one that caused a
    /// separator (if it is the person's and retained).
    pub fn entry_at(&self, i: usize) -> Option<EntryId> {
        match self.row(i)? {
            TimelineRow::Message(id) => Some(id),
            TimelineRow::Separator(s) => self.row_of_seq(s.seq),
        }
    }
}

/// The identifier that names `profile` best (see [`PersonModel::name`]).
fn best_name(graph: &IdentityGraph, profile: &Profile) -> String {
    let settings = graph.settings();
    profile
        .identifiers()
        .iter()
        .min_by(|a, b| {
            settings
                .rank(&a.kind)
                .cmp(&settings.rank(&b.kind))
                .then(a.first_seq.cmp(&b.first_seq))
        })
        .map_or_else(|| profile.id().to_string(), |r| r.value.to_string())
}

/// "merged anonymous_id anon-9f ↔ user_id user-77 by identify, seq 123".
fn merge_text(merge: &eventscope_core::identity::Merge, kind: Option<String>) -> String {
    let ids: Vec<String> = merge
        .by
        .iter()
        .map(|i| format!("{} {}", i.kind, abbreviate(&i.value)))
        .collect();
    let what = if ids.len() > 1 {
        ids.join(" ↔ ")
    } else {
        format!("{} profiles on {}", merge.joined.len(), ids.join(""))
    };
    match kind {
        Some(kind) => format!("merged {what} by {kind}, seq {}", merge.seq),
        None => format!("merged {what}, seq {}", merge.seq),
    }
}

/// The alias links touching the person's identifiers, each saying what Unify made of it.
fn aliases(graph: &IdentityGraph, profile: &Profile) -> Vec<String> {
    let values: HashSet<&str> = profile.identifiers().iter().map(|r| &*r.value).collect();
    let mut out = Vec::new();
    for link in graph.aliases().rev() {
        let (previous, user) = (link.previous_id.as_str(), link.user_id.as_str());
        let other = match (values.contains(previous), values.contains(user)) {
            (false, false) => continue,
            (true, true) => {
                out.push(format!(
                    "alias {previous} → {user}: the same profile (seq {})",
                    link.seq
                ));
                continue;
            }
            (true, false) => user,
            (false, true) => previous,
        };
        let verdict = match graph.profile_of(other) {
            Some(_) => "a separate profile".to_string(),
            None => format!("{other} never seen"),
        };
        out.push(format!(
            "alias {previous} → {user}: {verdict} (seq {})",
            link.seq
        ));
        if out.len() >= MAX_ALIASES {
            break;
        }
    }
    out
}

/// The id of the oldest retained row (the next id when there is none).
fn first_id(store: &Store) -> EntryId {
    store
        .last_id()
        .map_or(0, |last| (last + 1).saturating_sub(store.len() as u64))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use eventscope_core::entry::EntryBuilder;
    use eventscope_core::identity::IdentitySettings;
    use eventscope_core::model::{EventFrame, Frame, Source};

    struct World {
        graph: SharedGraph,
        builder: EntryBuilder,
        store: Store,
        seq: u64,
    }

    impl World {
        fn new(capacity: usize) -> World {
            let graph = Arc::new(Mutex::new(IdentityGraph::new(IdentitySettings::default())));
            let mut builder = EntryBuilder::default();
            builder.set_identity(Arc::clone(&graph));
            World {
                graph,
                builder,
                store: Store::new(capacity),
                seq: 0,
            }
        }

        fn post(&mut self, message: &str) -> EntryId {
            self.seq += 1;
            let frame = Frame::Event(EventFrame {
                seq: self.seq,
                received_at: "2026-11-22T10:00:00.123Z".into(),
                source: Source::default(),
                message: serde_json::value::RawValue::from_string(message.into()).unwrap(),
                redacted: None,
                adjusted: None,
            });
            let entry = self.builder.build(frame).unwrap();
            self.store.push_entry(entry)
        }

        fn profile(&self, id: EntryId) -> ProfileId {
            self.store.get(id).unwrap().profile.unwrap()
        }
    }

    /// The timeline as text: message ids and separators.
    fn shown(model: &PersonModel) -> Vec<String> {
        (0..model.len())
            .map(|i| match model.row(i).unwrap() {
                TimelineRow::Message(id) => format!("#{id}"),
                TimelineRow::Separator(s) => format!("{:?}@{}", s.marker, s.seq),
            })
            .collect()
    }

    #[test]
    fn rows_and_separators_interleave_by_seq_and_follow_merges_live() {
        let mut w = World::new(100);
        let a = w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        w.post(r#"{"type":"track","event":"E","userId":"user-1"}"#);
        w.post(r#"{"type":"track","event":"E","userId":"user-2"}"#);
        let mut model = PersonModel::open(w.profile(a), &w.graph, &w.store);
        assert_eq!(shown(&model), ["#1"]);
        // The login merges user-1's profile in: its earlier row joins the timeline, the
        // merge sits before the message that caused it.
        w.post(r#"{"type":"identify","userId":"user-1","anonymousId":"anon-1"}"#);
        w.post(r#"{"type":"track","event":"E","anonymousId":"anon-1"}"#);
        assert!(model.refresh(&w.graph, &w.store));
        assert_eq!(shown(&model), ["#1", "#2", "Merge@4", "#4", "#5"]);
        assert_eq!(model.name, "user-1");
        // A second user id on the device is refused: a separator, not a merge.
        w.post(r#"{"type":"track","event":"E","userId":"user-2","anonymousId":"anon-1"}"#);
        assert!(model.refresh(&w.graph, &w.store));
        assert_eq!(
            shown(&model),
            ["#1", "#2", "Merge@4", "#4", "#5", "Refused@6"]
        );
        // Keys find their rows again; a separator stands for the message that caused it.
        for i in 0..model.len() {
            assert_eq!(model.index_of(model.key(i).unwrap()), i);
        }
        assert_eq!(model.entry_at(2), Some(4));
        assert_eq!(
            model.entry_at(5),
            None,
            "the refusing message is another person's"
        );
        // Nothing moved: nothing to do.
        let before = shown(&model);
        assert!(model.refresh(&w.graph, &w.store));
        assert_eq!(shown(&model), before);
    }

    #[test]
    fn evicted_rows_leave_the_timeline_and_a_cleared_store_empties_it() {
        let mut w = World::new(3);
        let a = w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        let mut model = PersonModel::open(w.profile(a), &w.graph, &w.store);
        assert_eq!(shown(&model), ["#1", "#2"]);
        w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        model.refresh(&w.graph, &w.store);
        assert_eq!(shown(&model), ["#2", "#3", "#4"]);
        assert_eq!(model.messages, 4, "the graph still counts every message");
        w.store.clear();
        model.refresh(&w.graph, &w.store);
        assert!(model.is_empty());
        w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        model.refresh(&w.graph, &w.store);
        assert_eq!(shown(&model), ["#5"]);
    }

    #[test]
    fn a_large_store_is_scanned_in_slices() {
        let mut w = World::new(SCAN_BUDGET * 2 + 10);
        let a = w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        for _ in 0..SCAN_BUDGET * 2 {
            w.post(r#"{"type":"page","anonymousId":"someone-else"}"#);
        }
        let last = w.post(r#"{"type":"page","anonymousId":"anon-1"}"#);
        let mut model = PersonModel::open(w.profile(a), &w.graph, &w.store);
        assert_eq!(shown(&model), ["#1", format!("#{last}").as_str()]);
        // A merge makes it someone else: scanned again, a slice per refresh.
        w.post(r#"{"type":"identify","userId":"u","anonymousId":"anon-1"}"#);
        w.post(r#"{"type":"identify","userId":"u","anonymousId":"someone-else"}"#);
        let mut refreshes = 1;
        while !model.refresh(&w.graph, &w.store) {
            refreshes += 1;
        }
        assert!(refreshes >= 2, "{refreshes}");
        assert_eq!(model.retained(), SCAN_BUDGET * 2 + 4);
    }
}
