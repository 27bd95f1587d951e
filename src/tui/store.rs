//! The retained events of a viewer: a ring bounded in rows and in bytes, with stable ids, an
//! eviction count, and the ids matching the current filter — kept up to date as frames arrive, and rebuilt in small
//! steps when the filter changes so that the UI never stalls on a million events.
//!
//! A filter's `jq:` term never runs here: rows its other terms cannot decide wait, in order,
//! for answers from a worker process (handed out by [`Store::jq_batch`], brought back by
//! [`Store::jq_answered`]), so a runaway program costs the UI nothing.

use std::collections::VecDeque;
use std::sync::Arc;

use eventscope_core::entry::{EntryBuilder, EntryId, EntryKind};
use eventscope_core::filter::jq_worker::JqMessage;
use eventscope_core::filter::{PII_RED, Query};
use eventscope_core::hub::DEFAULT_BUFFER_BYTES;
use eventscope_core::model::{Frame, Source};

use super::jq::JqBatch;

pub use eventscope_core::entry::Entry;

/// Rows [`Store::jq_batch`] looks at per call for ones its jq term must answer.
const JQ_SCAN_LIMIT: usize = 65_536;

/// Running totals since the viewer started (not reduced by eviction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub events: u64,
    pub rejected: u64,
    pub gaps: u64,
    /// Frames the gaps say will never arrive.
    pub missed: u64,
    /// Requests the collector refused because its recording could not be written.
    pub not_recorded: u64,
    /// Messages with a Red PII finding (a secret, a card, a password…) at warning or above,
    /// masked by the collector or not.
    pub secrets: u64,
    /// Messages a bot sent (`has:bot`).
    pub bots: u64,
}

pub struct Store {
    entries: VecDeque<Entry>,
    /// What each retained entry weighs (see [`Store::weight`]), in step with `entries`.
    weights: VecDeque<u32>,
    next_id: EntryId,
    capacity: usize,
    max_bytes: u64,
    bytes: u64,
    evicted: u64,
    totals: Totals,
    /// Builds the rows of [`Store::push`] (sharing sources between them).
    builder: EntryBuilder,
    filter: Query,
    /// Ids of retained entries that match the filter, in order.
    matching: VecDeque<EntryId>,
    /// While a new filter is being applied (or rows wait for jq): the next id to test.
    rescan_from: Option<EntryId>,
    /// Bumped by every new filter, so that jq answers for an older one are dropped.
    generation: u64,
    /// The filter's `jq:` term, when it has one.
    jq: Option<JqTerm>,
}

/// Where the filter's `jq:` term stands: its answers come from a worker, in id order.
struct JqTerm {
    code: Arc<str>,
    /// Rows from this id on have not been handed out yet.
    asked_to: EntryId,
    /// A batch is out and its answers are not back.
    in_flight: bool,
    /// Answers not used yet, in id order.
    answers: VecDeque<(EntryId, bool)>,
    /// Why the worker was stopped: no more rows are tested until the filter changes.
    stopped: Option<String>,
}

impl Store {
    /// A store of at most `capacity` rows and [`DEFAULT_BUFFER_BYTES`] of them.
    pub fn new(capacity: usize) -> Store {
        Store::bounded(capacity, DEFAULT_BUFFER_BYTES)
    }

    /// A store keeping the newest rows while there are at most `capacity` of them and they
    /// weigh at most `max_bytes` (the newest row is kept whatever its weight).
    pub fn bounded(capacity: usize, max_bytes: u64) -> Store {
        Store {
            entries: VecDeque::new(),
            weights: VecDeque::new(),
            next_id: 1,
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            bytes: 0,
            evicted: 0,
            totals: Totals::default(),
            builder: EntryBuilder::default(),
            filter: Query::default(),
            matching: VecDeque::new(),
            rescan_from: None,
            generation: 0,
            jq: None,
        }
    }

    /// The oldest retained row's id (the next id when none is).
    pub fn first_id(&self) -> EntryId {
        self.entries.front().map_or(self.next_id, |e| e.id)
    }

    /// The id the next row will get.
    pub fn next_id(&self) -> EntryId {
        self.next_id
    }

    /// Copies of the retained rows from id `from` on, at most `max_rows` of them and about
    /// `max_bytes` of text (at least one), for work off the UI task.
    pub fn entries_from(&self, from: EntryId, max_rows: usize, max_bytes: usize) -> Vec<Entry> {
        let skip = usize::try_from(from.saturating_sub(self.first_id())).unwrap_or(usize::MAX);
        let mut bytes = 0;
        let mut out = Vec::new();
        for entry in self.entries.iter().skip(skip) {
            if out.len() == max_rows || (bytes >= max_bytes && !out.is_empty()) {
                break;
            }
            bytes += entry.text.len();
            out.push(entry.clone());
        }
        out
    }

    pub fn get(&self, id: EntryId) -> Option<&Entry> {
        let index = id.checked_sub(self.first_id())?;
        self.entries.get(usize::try_from(index).ok()?)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The retained row with this seq (the newest, should a restarted server repeat seqs): a
    /// scan from the newest, for a key press.
    pub fn id_of_seq(&self, seq: u64) -> Option<EntryId> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.seq == Some(seq))
            .map(|e| e.id)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// What the retained rows weigh, in bytes (text, row and the parts a row owns).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Changes the byte bound, evicting the oldest rows now if they weigh more.
    pub fn set_max_bytes(&mut self, max_bytes: u64) {
        self.max_bytes = max_bytes.max(1);
        self.evict();
    }

    /// Roughly what a retained row costs in memory: [`Entry::weight`], its place in the
    /// filter's ids, and its source when not shared with the row before it (sources are
    /// shared while they repeat).
    fn weight(entry: &Entry, previous: Option<&Entry>) -> u64 {
        let mut bytes =
            entry.weight() + std::mem::size_of::<EntryId>() + std::mem::size_of::<u32>();
        if !previous.is_some_and(|p| Arc::ptr_eq(&p.source, &entry.source)) {
            let source = &entry.source;
            bytes += std::mem::size_of::<Source>()
                + source.path.len()
                + [
                    &source.write_key,
                    &source.key_from,
                    &source.ip,
                    &source.user_agent,
                ]
                .iter()
                .map(|s| s.as_deref().map_or(0, str::len))
                .sum::<usize>();
        }
        bytes as u64
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    pub fn last_id(&self) -> Option<EntryId> {
        self.entries.back().map(|e| e.id)
    }

    /// Adds a frame; returns its id. `hello` frames are not rows and return `None`.
    pub fn push(&mut self, frame: Frame) -> Option<EntryId> {
        let entry = self.builder.build(frame)?;
        Some(self.push_entry(entry))
    }

    /// Adds a row built (off the UI task) by an [`EntryBuilder`].
    pub fn push_entry(&mut self, entry: Entry) -> EntryId {
        match &entry.kind {
            EntryKind::Event => {
                self.totals.events += 1;
                if entry.verdict.pii & PII_RED != 0 {
                    self.totals.secrets += 1;
                }
                if entry.verdict.bot {
                    self.totals.bots += 1;
                }
            }
            EntryKind::Rejected(rejection) => {
                self.totals.rejected += 1;
                if rejection.code == "record_failed" {
                    self.totals.not_recorded += 1;
                }
            }
            EntryKind::Gap(gap) => {
                self.totals.gaps += 1;
                self.totals.missed += gap.to.saturating_sub(gap.from) + 1;
            }
        }
        self.insert(entry)
    }

    fn insert(&mut self, mut entry: Entry) -> EntryId {
        let id = self.next_id;
        self.next_id += 1;
        entry.id = id;
        if self.rescan_from.is_none() {
            match decide(&self.filter, self.jq.is_some(), &entry) {
                Some(true) => self.matching.push_back(id),
                Some(false) => {}
                // Its jq answer comes later; rows after it wait behind it, in order.
                None => self.rescan_from = Some(id),
            }
        }
        let weight = Store::weight(&entry, self.entries.back());
        let weight = u32::try_from(weight).unwrap_or(u32::MAX);
        self.bytes += u64::from(weight);
        self.weights.push_back(weight);
        self.entries.push_back(entry);
        self.evict();
        id
    }

    /// Drops the oldest rows while over either bound, keeping the newest.
    fn evict(&mut self) {
        while self.entries.len() > 1
            && (self.entries.len() > self.capacity || self.bytes > self.max_bytes)
        {
            let (Some(old), Some(weight)) = (self.entries.pop_front(), self.weights.pop_front())
            else {
                break;
            };
            self.bytes -= u64::from(weight);
            self.evicted += 1;
            if self.matching.front() == Some(&old.id) {
                self.matching.pop_front();
            }
            if let Some(from) = self.rescan_from.as_mut() {
                *from = (*from).max(old.id + 1);
            }
        }
    }

    /// Drops every entry (the totals stay).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.weights.clear();
        self.bytes = 0;
        self.matching.clear();
        self.rescan_from = None;
        if let Some(jq) = self.jq.as_mut() {
            jq.answers.clear();
        }
    }

    pub fn filter(&self) -> &Query {
        &self.filter
    }

    /// Applies a new filter; the matching ids are rebuilt by `rescan_step`.
    pub fn set_filter(&mut self, filter: Query) {
        self.generation += 1;
        self.jq = filter.jq_code().map(|code| JqTerm {
            code: Arc::from(code),
            asked_to: self.first_id(),
            in_flight: false,
            answers: VecDeque::new(),
            stopped: None,
        });
        self.filter = filter;
        self.matching.clear();
        self.rescan_from = Some(self.first_id());
    }

    /// Tests up to `budget` entries against the filter; true when nothing more can be done
    /// now: the rescan is complete, or it waits for jq answers.
    pub fn rescan_step(&mut self, budget: usize) -> bool {
        let Some(from) = self.rescan_from else {
            return true;
        };
        let first = self.first_id();
        let start = usize::try_from(from.saturating_sub(first)).unwrap_or(usize::MAX);
        let start = start.min(self.entries.len());
        for (tested, entry) in self.entries.range(start..).enumerate() {
            if tested == budget {
                self.rescan_from = Some(entry.id);
                return false;
            }
            let keep = match decide(&self.filter, self.jq.is_some(), entry) {
                Some(keep) => keep,
                None => match self.jq.as_mut().and_then(|jq| jq.answer(entry.id)) {
                    Some(answer) => self.filter.matches_given(entry, answer),
                    None => {
                        self.rescan_from = Some(entry.id);
                        return true;
                    }
                },
            };
            if keep {
                self.matching.push_back(entry.id);
            }
        }
        self.rescan_from = None;
        true
    }

    /// The generation of the current filter (bumped by every `set_filter`).
    pub fn filter_generation(&self) -> u64 {
        self.generation
    }

    /// The next rows the filter's jq term must answer: at most `max_rows` and about
    /// `max_bytes` of JSON (one row at least), when none are out already.
    pub fn jq_batch(&mut self, max_rows: usize, max_bytes: usize) -> Option<JqBatch> {
        let from = self.rescan_from?;
        let first = self.first_id();
        let jq = self.jq.as_mut()?;
        if jq.in_flight || jq.stopped.is_some() {
            return None;
        }
        let start = jq.asked_to.max(from);
        let skip = usize::try_from(start.saturating_sub(first)).unwrap_or(usize::MAX);
        let (mut ids, mut messages, mut bytes) = (Vec::new(), Vec::new(), 0);
        let mut next = start;
        // Rows the other terms decide are passed over; not too many per call (the UI waits).
        for (scanned, entry) in self.entries.iter().skip(skip).enumerate() {
            let full = ids.len() == max_rows || (bytes >= max_bytes && !ids.is_empty());
            if full || scanned == JQ_SCAN_LIMIT {
                break;
            }
            next = entry.id + 1;
            if decide(&self.filter, true, entry).is_none() {
                bytes += entry.text.len();
                ids.push(entry.id);
                messages.push(JqMessage {
                    seq: entry.seq,
                    text: entry.text.clone(),
                });
            }
        }
        jq.asked_to = next;
        if ids.is_empty() {
            return None;
        }
        jq.in_flight = true;
        Some(JqBatch {
            generation: self.generation,
            code: Arc::clone(&jq.code),
            ids,
            messages,
        })
    }

    /// Answers for a batch from [`Store::jq_batch`]; dropped when the filter changed since.
    pub fn jq_answered(&mut self, generation: u64, answers: Vec<(EntryId, bool)>) {
        if let Some(jq) = self.jq.as_mut().filter(|_| generation == self.generation) {
            jq.in_flight = false;
            jq.answers.extend(answers);
        }
    }

    /// A batch could not be handed over: it is asked for again.
    pub fn jq_unsent(&mut self, generation: u64) {
        if let Some(jq) = self.jq.as_mut().filter(|_| generation == self.generation) {
            jq.in_flight = false;
            jq.asked_to = jq
                .answers
                .back()
                .map_or(self.rescan_from.unwrap_or(0), |(id, _)| id + 1);
        }
    }

    /// The jq worker was stopped (over budget, out of memory, crashed): the filter shows what
    /// it matched so far, and `error` until it changes.
    pub fn jq_stopped(&mut self, generation: u64, error: String) {
        if let Some(jq) = self.jq.as_mut().filter(|_| generation == self.generation) {
            jq.in_flight = false;
            jq.stopped = Some(error);
        }
    }

    /// Why the filter's jq term was stopped, if it was.
    pub fn jq_error(&self) -> Option<&str> {
        self.jq.as_ref()?.stopped.as_deref()
    }

    /// How far a rescan has come, 0.0 to 1.0 (1.0 when none runs).
    pub fn rescan_progress(&self) -> f64 {
        match self.rescan_from {
            None => 1.0,
            Some(from) => {
                let done = from.saturating_sub(self.first_id()) as f64;
                done / self.entries.len().max(1) as f64
            }
        }
    }

    /// The ids shown, in order (complete once any rescan is done).
    pub fn visible(&self) -> &VecDeque<EntryId> {
        &self.matching
    }

    /// Position of `id` among the visible ids.
    pub fn position(&self, id: EntryId) -> Option<usize> {
        self.matching.binary_search(&id).ok()
    }
}

/// Whether `filter` keeps `entry`, or `None` when only its jq term can tell (`has_jq`).
/// Gaps always stay.
fn decide(filter: &Query, has_jq: bool, entry: &Entry) -> Option<bool> {
    if entry.is_gap() {
        Some(true)
    } else if has_jq {
        filter.decide(entry)
    } else {
        Some(filter.matches(entry))
    }
}

impl JqTerm {
    /// The answer for `id`, dropping those for rows before it (evicted since).
    fn answer(&mut self, id: EntryId) -> Option<bool> {
        while self.answers.front().is_some_and(|(at, _)| *at < id) {
            self.answers.pop_front();
        }
        match self.answers.front() {
            Some((at, answer)) if *at == id => {
                let answer = *answer;
                self.answers.pop_front();
                Some(answer)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::model::{EventFrame, GapFrame, RejectedFrame};

    pub fn event(seq: u64, message: &str) -> Frame {
        Frame::Event(EventFrame {
            seq,
            received_at: "2026-11-22T10:00:00.123Z".into(),
            source: Source {
                path: "/v1/batch".into(),
                write_key: Some("wk_t…cdef".into()),
                ..Source::default()
            },
            message: serde_json::value::RawValue::from_string(message.into()).unwrap(),
            redacted: None,
            adjusted: None,
        })
    }

    fn track(seq: u64, name: &str) -> Frame {
        event(
            seq,
            &format!(r#"{{"type":"track","event":"{name}","userId":"u{seq}"}}"#),
        )
    }

    #[test]
    fn evicts_the_oldest_and_counts() {
        let mut store = Store::new(3);
        for seq in 1..=5 {
            store.push(track(seq, "A"));
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.evicted(), 2);
        assert_eq!(
            store.visible().iter().copied().collect::<Vec<_>>(),
            [3, 4, 5]
        );
        assert!(store.get(2).is_none());
        assert_eq!(store.get(4).unwrap().seq, Some(4));
        assert_eq!(store.totals().events, 5);
    }

    #[test]
    fn bytes_bound_the_rows_too() {
        const BUDGET: u64 = 1 << 20;
        let mut store = Store::bounded(100_000, BUDGET);
        let padding = "x".repeat(32 * 1024);
        for seq in 1..=1000 {
            store.push(event(
                seq,
                &format!(r#"{{"type":"track","event":"E{seq}","properties":{{"p":"{padding}"}}}}"#),
            ));
            assert!(store.bytes() <= BUDGET, "{} after {seq}", store.bytes());
        }
        // 32 KiB rows: about 31 fit in 1 MiB.
        assert!((25..32).contains(&store.len()), "{} rows", store.len());
        assert_eq!(store.evicted(), 1000 - store.len() as u64);
        assert_eq!(store.totals().events, 1000);
        let first = store.visible()[0];
        assert_eq!(
            store.get(first).unwrap().seq,
            Some(1000 - store.len() as u64 + 1)
        );
        assert_eq!(store.visible().len(), store.len());
        // A row heavier than the whole budget is kept, alone.
        let huge = "y".repeat(2 << 20);
        let id = store
            .push(event(1001, &format!(r#"{{"h":"{huge}"}}"#)))
            .unwrap();
        assert_eq!((store.len(), store.visible()[0]), (1, id));
        assert!(store.bytes() > BUDGET);
        store.push(track(1002, "A"));
        assert_eq!(store.len(), 1, "and leaves with the next row");
        // Lowering the bound evicts at once; clearing forgets the weight.
        let mut store = Store::bounded(100, 1 << 20);
        for seq in 1..=50 {
            store.push(track(seq, "A"));
        }
        let before = store.bytes();
        store.set_max_bytes(before / 2);
        assert!(store.bytes() <= before / 2 && store.len() < 50);
        store.clear();
        assert_eq!((store.bytes(), store.len()), (0, 0));
    }

    #[test]
    fn filters_incrementally_and_rescans_in_steps() {
        let mut store = Store::new(100);
        for seq in 1..=10 {
            store.push(track(seq, if seq % 2 == 0 { "Even" } else { "Odd" }));
        }
        store.set_filter(Query::parse("event:Even").unwrap());
        assert!(!store.rescan_step(4));
        assert!(store.rescan_progress() > 0.0 && store.rescan_progress() < 1.0);
        store.push(track(11, "Even"));
        assert!(store.rescan_step(100));
        let visible: Vec<u64> = store.visible().iter().copied().collect();
        assert_eq!(visible, [2, 4, 6, 8, 10, 11]);
        store.push(track(12, "Odd"));
        store.push(track(13, "Even"));
        assert_eq!(store.visible().back(), Some(&13));
        assert_eq!(store.position(6), Some(2));
    }

    fn visible(store: &Store) -> Vec<u64> {
        store.visible().iter().copied().collect()
    }

    #[test]
    fn a_jq_term_waits_for_its_answers_in_order_and_runs_nothing_here() {
        let mut store = Store::new(100);
        for seq in 1..=6 {
            store.push(track(seq, if seq % 2 == 0 { "Even" } else { "Odd" }));
        }
        // `event:Even` decides the odd rows; the even ones need the worker.
        store.set_filter(Query::parse("event:Even jq: last(range(1e10))").unwrap());
        let generation = store.filter_generation();
        assert!(store.rescan_step(100), "waiting, not busy");
        assert!(visible(&store).is_empty());
        let batch = store.jq_batch(2, 1 << 20).expect("rows to ask about");
        assert_eq!(batch.ids, [2, 4]);
        assert_eq!(batch.messages[0].seq, Some(2));
        assert_eq!(&*batch.code, "last(range(1e10))");
        assert!(
            store.jq_batch(2, 1 << 20).is_none(),
            "one batch out at a time"
        );
        store.jq_answered(generation, vec![(2, true), (4, false)]);
        assert!(store.rescan_step(100));
        assert_eq!(visible(&store), [2], "row 6 waits for its answer");
        store.push(track(7, "Odd"));
        store.push(track(8, "Even"));
        let batch = store.jq_batch(10, 1 << 20).unwrap();
        assert_eq!(batch.ids, [6, 8]);
        // Answers for an older filter are dropped.
        store.jq_answered(generation - 1, vec![(6, true), (8, true)]);
        assert!(store.rescan_step(100));
        assert_eq!(visible(&store), [2]);
        store.jq_answered(generation, vec![(6, true), (8, true)]);
        assert!(store.rescan_step(100));
        assert_eq!(visible(&store), [2, 6, 8]);
        assert_eq!(store.rescan_progress(), 1.0);
        // Once the worker is stopped, nothing more is tested, and the error stays.
        store.push(track(10, "Even"));
        let batch = store.jq_batch(10, 1 << 20).unwrap();
        assert_eq!(batch.ids, [9]);
        store.jq_stopped(generation, "jq filter stopped: over its budget".into());
        assert!(store.rescan_step(100));
        assert!(store.jq_batch(10, 1 << 20).is_none());
        assert_eq!(store.jq_error(), Some("jq filter stopped: over its budget"));
        assert_eq!(visible(&store), [2, 6, 8]);
        // A new filter starts over, without the error.
        store.set_filter(Query::parse("event:Even").unwrap());
        assert!(store.rescan_step(100));
        assert_eq!(store.jq_error(), None);
        assert!(store.jq_batch(10, 1 << 20).is_none());
        assert_eq!(visible(&store), [2, 4, 6, 8, 9]);
    }

    #[test]
    fn a_batch_not_handed_over_is_asked_for_again_and_evicted_rows_are_skipped() {
        let mut store = Store::new(4);
        for seq in 1..=4 {
            store.push(track(seq, "A"));
        }
        store.set_filter(Query::parse("jq: .userId").unwrap());
        let generation = store.filter_generation();
        let batch = store.jq_batch(2, 1 << 20).unwrap();
        assert_eq!(batch.ids, [1, 2]);
        store.jq_unsent(generation);
        let batch = store.jq_batch(2, 1 << 20).unwrap();
        assert_eq!(batch.ids, [1, 2]);
        // Rows 1 and 2 are evicted before their answers come back.
        store.push(track(5, "A"));
        store.push(track(6, "A"));
        store.jq_answered(generation, vec![(1, true), (2, true)]);
        assert!(store.rescan_step(100));
        assert!(visible(&store).is_empty());
        let batch = store.jq_batch(1, 1).unwrap();
        assert_eq!(batch.ids, [3], "one row at least, even over the byte bound");
        store.jq_answered(generation, vec![(3, false)]);
        let batch = store.jq_batch(10, 1 << 20).unwrap();
        assert_eq!(batch.ids, [4, 5, 6]);
        store.jq_answered(generation, vec![(4, true), (5, false), (6, true)]);
        assert!(store.rescan_step(100));
        assert_eq!(visible(&store), [4, 6]);
    }

    #[test]
    fn gaps_and_rejections_become_rows() {
        let mut store = Store::new(10);
        store.push(Frame::Gap(GapFrame {
            from: 1,
            to: 1234,
            reason: "evicted".into(),
        }));
        store.push(Frame::Rejected(RejectedFrame {
            seq: 1235,
            received_at: "2026-11-22T10:00:00.000Z".into(),
            source: Source::default(),
            status: 400,
            code: "invalid_json".into(),
            message: "Invalid JSON".into(),
            body: "{bad".into(),
            body_bytes: 4,
        }));
        store.set_filter(Query::parse("has:rejected").unwrap());
        store.rescan_step(10);
        assert_eq!(store.visible().len(), 2, "gaps always stay visible");
        assert_eq!(store.totals().missed, 1234);
        assert!(store.get(2).unwrap().rejection().is_some());
    }

    #[test]
    fn sources_are_shared() {
        let mut store = Store::new(10);
        store.push(track(1, "A"));
        store.push(track(2, "B"));
        assert!(Arc::ptr_eq(
            &store.get(1).unwrap().source,
            &store.get(2).unwrap().source
        ));
    }
}
