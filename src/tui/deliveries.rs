//! The deliveries the viewer knows of: forwards and replays made here, and `delivery` frames
//! from the stream (the proxy's upstream answers, other viewers' deliveries, our own coming
//! back). A bounded ring with stable ids, indexed by the seqs and `messageId`s each delivery
//! carried, so that a message finds its deliveries without a scan; the Deliveries view can be
//! narrowed to one message and by its own query ([`DeliveryQuery`]).

use std::collections::{HashMap, VecDeque};

use crate::tui::delivery_query::DeliveryQuery;
use eventscope_core::forward::Outgoing;
use eventscope_core::model::{DeliveryFrame, MessageType, Summary, parse_timestamp};

/// Our own deliveries published and not yet back from the stream, at most.
const AWAITING_ECHO: usize = 4096;

pub type DeliveryId = u64;

/// Deliveries kept; older ones are evicted (and counted) …
pub const DELIVERIES_KEPT: usize = 10_000;
/// … and what they may weigh ([`weight`]): a delivery frame carries as many `messageId`s as
/// its request did, as long as the sender made them.
pub const DELIVERIES_BYTES: u64 = 64 << 20;

/// Roughly what a (bounded) delivery frame holds in memory, in bytes, with its index entries.
pub fn weight(frame: &DeliveryFrame) -> usize {
    std::mem::size_of::<Delivery>()
        + frame.at.len()
        + frame.destination.len()
        + frame.kind.len()
        + frame.request.method.len()
        + frame.request.url.len()
        + frame.request.body.len()
        + frame
            .request
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .sum::<usize>()
        + frame.response.as_ref().map_or(0, |r| {
            r.body.len()
                + r.headers
                    .iter()
                    .map(|(name, value)| name.len() + value.len())
                    .sum::<usize>()
        })
        + frame.error.as_ref().map_or(0, String::len)
        + frame.events.iter().chain(&frame.users).map(String::len).sum::<usize>()
        + frame
            .notes
            .iter()
            .map(|n| {
                std::mem::size_of::<eventscope_core::model::DeliveryNote>()
                    + n.path.len()
                    + n.code.len()
                    + n.message.len()
            })
            .sum::<usize>()
        // Each seq and id is kept twice: in the frame and in an index.
        + frame.for_seqs.len() * 2 * std::mem::size_of::<u64>()
        + frame
            .message_ids
            .iter()
            .map(|id| 2 * (std::mem::size_of::<String>() + id.len()))
            .sum::<usize>()
}

/// Where a delivery came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A `delivery` frame on the stream (e.g. the proxy's upstream).
    Stream,
    /// A forward or replay made by this viewer.
    Here,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: DeliveryId,
    pub origin: Origin,
    /// When the last attempt ended, Unix milliseconds (0 when unknown).
    pub at_ms: i64,
    pub frame: DeliveryFrame,
}

impl Delivery {
    /// Messages the request carried (by seq or `messageId`, whichever says more).
    pub fn message_count(&self) -> usize {
        self.frame.for_seqs.len().max(self.frame.message_ids.len())
    }

    /// No request carried the message (see [`DeliveryFrame::skipped`]): a row that says why.
    pub fn is_skipped(&self) -> bool {
        self.frame.skipped.is_some()
    }

    /// `dropped — consent: consent Analytics not given` (routing dropped it: Segment would
    /// not deliver it either) or `skipped — dropped by the transform`.
    pub fn skip_text(&self) -> Option<String> {
        let reason = self.frame.skipped.as_ref()?;
        let word = if self.frame.dropped.is_some() {
            "dropped"
        } else {
            "skipped"
        };
        Some(format!("{word} — {reason}"))
    }

    /// `200`, `503`, the error when no answer came, or `dropped`/`skipped` when nothing was
    /// sent.
    pub fn status_text(&self) -> String {
        if self.is_skipped() {
            let word = if self.frame.dropped.is_some() {
                "dropped"
            } else {
                "skipped"
            };
            return word.into();
        }
        match (self.frame.status, &self.frame.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "—".into(),
        }
    }

    /// `upstream 200 · 12 ms · 1 attempt`: the one line a message's detail shows;
    /// `amplitude dropped — consent: consent Analytics not given` for a message not sent.
    pub fn one_line(&self) -> String {
        if let Some(skip) = self.skip_text() {
            return format!("{} {skip}", self.frame.destination);
        }
        let mut line = format!("{} {}", self.frame.destination, self.status_text());
        if self.frame.status.is_some() || self.frame.latency_ms > 0.0 {
            line.push_str(&format!(" · {}", millis(self.frame.latency_ms)));
        }
        let attempts = self.frame.attempts.max(1);
        line.push_str(&format!(
            " · {attempts} attempt{}",
            if attempts == 1 { "" } else { "s" }
        ));
        if self.frame.ignored_routing {
            line.push_str(" · ⚠ routing ignored");
        }
        line
    }
}

/// `12 ms`, `1.3 s`.
pub fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.0} ms", ms)
    }
}

/// The Deliveries view narrowed to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFilter {
    pub seq: Option<u64>,
    pub message_id: Option<String>,
    /// How the view's title names the message, e.g. `seq 42 · Order Completed`.
    pub label: String,
}

impl MessageFilter {
    fn matches(&self, frame: &DeliveryFrame) -> bool {
        self.seq.is_some_and(|seq| frame.for_seqs.contains(&seq))
            || self
                .message_id
                .as_ref()
                .is_some_and(|id| frame.message_ids.iter().any(|m| m == id))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryTotals {
    pub ok: u64,
    pub failed: u64,
    /// Messages a forward's destination skipped (nothing sent; [`Delivery::is_skipped`]).
    pub skipped: u64,
}

pub struct Deliveries {
    rows: VecDeque<Delivery>,
    next_id: DeliveryId,
    capacity: usize,
    max_bytes: u64,
    bytes: u64,
    evicted: u64,
    totals: DeliveryTotals,
    by_seq: HashMap<u64, Vec<DeliveryId>>,
    by_message_id: HashMap<String, Vec<DeliveryId>>,
    filter: Option<MessageFilter>,
    /// The view's own query (`/` inside it).
    query: DeliveryQuery,
    /// Ids shown (all, or those of the filtered message and query), in order.
    visible: VecDeque<DeliveryId>,
    /// Keys ([`echo_key`]) of our deliveries published to the hub, oldest first: the stream
    /// brings each back once, and that copy is not shown twice.
    awaiting_echo: VecDeque<String>,
}

impl Default for Deliveries {
    fn default() -> Self {
        Deliveries::new(DELIVERIES_KEPT)
    }
}

impl Deliveries {
    pub fn new(capacity: usize) -> Deliveries {
        Deliveries::bounded(capacity, DELIVERIES_BYTES)
    }

    /// At most `capacity` deliveries weighing at most `max_bytes` (the newest is kept).
    pub fn bounded(capacity: usize, max_bytes: u64) -> Deliveries {
        Deliveries {
            rows: VecDeque::new(),
            next_id: 1,
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            bytes: 0,
            evicted: 0,
            totals: DeliveryTotals::default(),
            by_seq: HashMap::new(),
            by_message_id: HashMap::new(),
            filter: None,
            query: DeliveryQuery::default(),
            visible: VecDeque::new(),
            awaiting_echo: VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Since the viewer started (not reduced by eviction).
    pub fn totals(&self) -> DeliveryTotals {
        self.totals
    }

    pub fn get(&self, id: DeliveryId) -> Option<&Delivery> {
        let first = self.rows.front()?.id;
        self.rows.get(usize::try_from(id.checked_sub(first)?).ok()?)
    }

    pub fn push(&mut self, frame: DeliveryFrame, origin: Origin) -> DeliveryId {
        let id = self.next_id;
        self.next_id += 1;
        if frame.skipped.is_some() {
            self.totals.skipped += 1;
        } else if frame.ok {
            self.totals.ok += 1;
        } else {
            self.totals.failed += 1;
        }
        for seq in &frame.for_seqs {
            self.by_seq.entry(*seq).or_default().push(id);
        }
        for message_id in &frame.message_ids {
            self.by_message_id
                .entry(message_id.clone())
                .or_default()
                .push(id);
        }
        let at_ms = parse_timestamp(&frame.at).map_or(0, |t| t.timestamp_millis());
        self.bytes += weight(&frame) as u64;
        let delivery = Delivery {
            id,
            origin,
            at_ms,
            frame,
        };
        if self.shows(&delivery) {
            self.visible.push_back(id);
        }
        self.rows.push_back(delivery);
        // The oldest go while over either bound; the newest stays.
        while self.rows.len() > 1
            && (self.rows.len() > self.capacity || self.bytes > self.max_bytes)
        {
            let Some(old) = self.rows.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(weight(&old.frame) as u64);
            self.evicted += 1;
            self.unindex(&old);
            if self.visible.front() == Some(&old.id) {
                self.visible.pop_front();
            }
        }
        id
    }

    fn unindex(&mut self, old: &Delivery) {
        for seq in &old.frame.for_seqs {
            if let Some(ids) = self.by_seq.get_mut(seq) {
                ids.retain(|id| *id != old.id);
                if ids.is_empty() {
                    self.by_seq.remove(seq);
                }
            }
        }
        for message_id in &old.frame.message_ids {
            if let Some(ids) = self.by_message_id.get_mut(message_id) {
                ids.retain(|id| *id != old.id);
                if ids.is_empty() {
                    self.by_message_id.remove(message_id);
                }
            }
        }
    }

    /// The deliveries that carried the message with this seq or `messageId`, oldest first.
    pub fn for_message(&self, seq: Option<u64>, message_id: Option<&str>) -> Vec<&Delivery> {
        let mut ids: Vec<DeliveryId> = Vec::new();
        if let Some(found) = seq.and_then(|seq| self.by_seq.get(&seq)) {
            ids.extend(found);
        }
        if let Some(found) = message_id.and_then(|id| self.by_message_id.get(id)) {
            ids.extend(found);
        }
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().filter_map(|id| self.get(id)).collect()
    }

    pub fn filter(&self) -> Option<&MessageFilter> {
        self.filter.as_ref()
    }

    /// Shows only one message's deliveries (`Some`), or all of them.
    pub fn set_filter(&mut self, filter: Option<MessageFilter>) {
        self.filter = filter;
        self.refilter();
    }

    pub fn query(&self) -> &DeliveryQuery {
        &self.query
    }

    /// Shows only the deliveries `query` matches (within the message filter).
    pub fn set_query(&mut self, query: DeliveryQuery) {
        if query != self.query {
            self.query = query;
            self.refilter();
        }
    }

    fn shows(&self, delivery: &Delivery) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| f.matches(&delivery.frame))
            && self.query.matches(delivery)
    }

    fn refilter(&mut self) {
        self.visible = self
            .rows
            .iter()
            .filter(|d| self.shows(d))
            .map(|d| d.id)
            .collect();
    }

    /// Deliveries shown that failed (for the view's title).
    pub fn visible_failed(&self) -> usize {
        self.visible
            .iter()
            .filter_map(|id| self.get(*id))
            .filter(|d| !d.frame.ok && !d.is_skipped())
            .count()
    }

    /// Deliveries shown that are skipped messages (for the view's title).
    pub fn visible_skipped(&self) -> usize {
        self.visible
            .iter()
            .filter_map(|id| self.get(*id))
            .filter(|d| d.is_skipped())
            .count()
    }

    /// Our delivery was published: its copy from the stream is the same delivery.
    pub fn expect_echo(&mut self, frame: &DeliveryFrame) {
        if self.awaiting_echo.len() >= AWAITING_ECHO {
            self.awaiting_echo.pop_front();
        }
        self.awaiting_echo.push_back(echo_key(frame));
    }

    /// Whether `frame`, from the stream, is one of ours coming back (then it is forgotten).
    pub fn is_echo(&mut self, frame: &DeliveryFrame) -> bool {
        if self.awaiting_echo.is_empty() {
            return false;
        }
        let key = echo_key(frame);
        match self.awaiting_echo.iter().position(|k| *k == key) {
            Some(at) => {
                self.awaiting_echo.remove(at);
                true
            }
            None => false,
        }
    }

    /// The ids shown, oldest first.
    pub fn visible(&self) -> &VecDeque<DeliveryId> {
        &self.visible
    }

    pub fn position(&self, id: DeliveryId) -> Option<usize> {
        self.visible.binary_search(&id).ok()
    }
}

/// What tells one delivery from another, whichever way it came (the hub adds the seq).
fn echo_key(f: &DeliveryFrame) -> String {
    format!(
        "{}|{}|{}|{:?}|{:?}|{}|{:?}|{:?}",
        f.at, f.destination, f.kind, f.status, f.error, f.attempts, f.for_seqs, f.message_ids
    )
}

/// The event names and users of the messages a forward or replay sends, by seq and by
/// `messageId`, to fill in each delivery's `events` and `users` (a viewer that never saw the
/// messages shows and filters by them too).
#[derive(Debug, Default)]
pub struct CarriedNames {
    by_seq: HashMap<u64, (String, String)>,
    by_message_id: HashMap<String, (String, String)>,
}

impl CarriedNames {
    pub fn of(messages: &[Outgoing]) -> CarriedNames {
        let mut names = CarriedNames::default();
        for message in messages {
            let text = message.text();
            let summary = Summary::of(text);
            let named = (event_name(&summary, text), summary.user(text).into_owned());
            if let Some(id) = &summary.message_id {
                names
                    .by_message_id
                    .insert(id.get(text).to_string(), named.clone());
            }
            if let Some(seq) = message.seq {
                names.by_seq.insert(seq, named);
            }
        }
        names
    }

    /// Fills `frame.events` and `frame.users` (distinct, in order) where the sender left them
    /// empty.
    pub fn fill(&self, frame: &mut DeliveryFrame) {
        if !frame.events.is_empty() || !frame.users.is_empty() {
            return;
        }
        let found = frame
            .for_seqs
            .iter()
            .filter_map(|seq| self.by_seq.get(seq))
            .chain(
                frame
                    .message_ids
                    .iter()
                    .filter_map(|id| self.by_message_id.get(id)),
            );
        for (event, user) in found {
            for (list, value) in [(&mut frame.events, event), (&mut frame.users, user)] {
                if !value.is_empty() && list.len() < DeliveryFrame::NAMES && !list.contains(value) {
                    list.push(value.clone());
                }
            }
        }
    }
}

/// How many of the newest rows a delivery from the stream without `events` and `users` (the
/// proxy's) is looked up in: its messages arrived just before it.
const LOOKED_UP_ROWS: u64 = 1024;

/// Fills a stream delivery's `events` and `users` from the newest rows that carry its seqs,
/// when the sender left them empty.
pub fn fill_from_rows(store: &crate::tui::store::Store, frame: &mut DeliveryFrame) {
    if !frame.events.is_empty() || !frame.users.is_empty() || frame.for_seqs.is_empty() {
        return;
    }
    let Some(last) = store.last_id() else {
        return;
    };
    let wanted: std::collections::HashSet<u64> = frame.for_seqs.iter().copied().collect();
    let mut found = Vec::new();
    let oldest = last.saturating_sub(LOOKED_UP_ROWS.min(store.len() as u64));
    for id in (oldest..=last).rev() {
        let Some(entry) = store.get(id) else {
            continue;
        };
        if entry.seq.is_some_and(|seq| wanted.contains(&seq)) {
            found.push(id);
            if found.len() == wanted.len() {
                break;
            }
        }
    }
    for id in found.into_iter().rev() {
        let Some(entry) = store.get(id) else {
            continue;
        };
        let event = event_name(&entry.summary, &entry.text);
        let user = entry.summary.user(&entry.text).into_owned();
        for (list, value) in [(&mut frame.events, event), (&mut frame.users, user)] {
            if !value.is_empty() && list.len() < DeliveryFrame::NAMES && !list.contains(&value) {
                list.push(value);
            }
        }
    }
}

/// A track's event name, a page's or screen's name, else the type (`identify`).
fn event_name(summary: &Summary, text: &str) -> String {
    match summary.message_type {
        Some(MessageType::Track | MessageType::Page | MessageType::Screen) => {
            let name = summary.display_name(text);
            if name.is_empty() {
                summary.type_str(text).to_string()
            } else {
                name
            }
        }
        _ => summary.type_str(text).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_deliveries_come_back_once_and_carry_names() {
        let messages = vec![
            Outgoing::from_text(
                Some(13),
                r#"{"type":"track","event":"Order Completed","userId":"u-1","messageId":"m-13"}"#,
            )
            .unwrap(),
            Outgoing::from_text(
                None,
                r#"{"type":"identify","anonymousId":"a-2","messageId":"m-14"}"#,
            )
            .unwrap(),
        ];
        let mut frame = delivery(&[13], &["m-13", "m-14"], 200);
        CarriedNames::of(&messages).fill(&mut frame);
        assert_eq!(frame.events, ["Order Completed", "identify"]);
        assert_eq!(frame.users, ["u-1", "a-2"]);
        let mut store = Deliveries::new(10);
        store.expect_echo(&frame);
        store.push(frame.clone(), Origin::Here);
        let mut echoed = frame.clone();
        echoed.seq = Some(99);
        assert!(store.is_echo(&echoed));
        assert!(!store.is_echo(&echoed), "each is expected back once");
    }

    #[test]
    fn the_query_narrows_within_the_message_filter() {
        let mut store = Deliveries::new(10);
        let mut one = delivery(&[1], &["m1"], 200);
        one.users = vec!["u-1".into()];
        let mut two = delivery(&[1], &["m1"], 503);
        two.users = vec!["u-2".into()];
        store.push(one, Origin::Here);
        store.push(two, Origin::Stream);
        store.set_query(DeliveryQuery::parse("user:u-2").unwrap());
        assert_eq!(store.visible().iter().copied().collect::<Vec<_>>(), [2]);
        assert_eq!(store.visible_failed(), 1);
        store.push(delivery(&[2], &["m2"], 500), Origin::Here);
        assert_eq!(
            store.visible().len(),
            1,
            "a new row is shown only if it matches"
        );
        store.set_query(DeliveryQuery::default());
        assert_eq!(store.visible().len(), 3);
    }

    fn delivery(seqs: &[u64], ids: &[&str], status: u16) -> DeliveryFrame {
        DeliveryFrame {
            at: "2026-11-22T10:00:01.000Z".into(),
            destination: "hook".into(),
            kind: "webhook".into(),
            for_seqs: seqs.to_vec(),
            message_ids: ids.iter().map(|s| s.to_string()).collect(),
            status: Some(status),
            ok: (200..300).contains(&status),
            latency_ms: 12.4,
            attempts: 1,
            ..DeliveryFrame::default()
        }
    }

    #[test]
    fn finds_a_messages_deliveries_by_seq_or_message_id() {
        let mut store = Deliveries::new(10);
        store.push(delivery(&[1, 2], &["m1", "m2"], 200), Origin::Here);
        store.push(delivery(&[], &["m2"], 500), Origin::Stream);
        store.push(delivery(&[3], &["m3"], 200), Origin::Here);
        let found: Vec<u64> = store
            .for_message(Some(2), Some("m2"))
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(found, [1, 2]);
        assert_eq!(store.for_message(None, Some("m3"))[0].id, 3);
        assert!(store.for_message(Some(9), None).is_empty());
        assert_eq!(
            store.totals(),
            DeliveryTotals {
                ok: 2,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(
            store.get(1).unwrap().one_line(),
            "hook 200 · 12 ms · 1 attempt"
        );
    }

    #[test]
    fn the_filter_narrows_to_one_message_and_follows_new_rows() {
        let mut store = Deliveries::new(10);
        store.push(delivery(&[1], &["m1"], 200), Origin::Here);
        store.push(delivery(&[2], &["m2"], 200), Origin::Here);
        store.set_filter(Some(MessageFilter {
            seq: Some(2),
            message_id: Some("m2".into()),
            label: "seq 2".into(),
        }));
        assert_eq!(store.visible().iter().copied().collect::<Vec<_>>(), [2]);
        store.push(delivery(&[], &["m2"], 503), Origin::Stream);
        store.push(delivery(&[1], &[], 200), Origin::Stream);
        assert_eq!(store.visible().iter().copied().collect::<Vec<_>>(), [2, 3]);
        store.set_filter(None);
        assert_eq!(store.visible().len(), 4);
    }

    #[test]
    fn bytes_bound_the_deliveries_too() {
        let long_id = "m".repeat(10_000);
        let ids: Vec<&str> = vec![long_id.as_str(); 10];
        let one = weight(&delivery(&[1], &ids, 200)) as u64;
        assert!(one > 200_000, "{one}");
        let mut store = Deliveries::bounded(1000, 3 * one);
        for seq in 1..=10 {
            store.push(delivery(&[seq], &ids, 200), Origin::Stream);
            assert!(store.bytes <= 3 * one);
        }
        assert_eq!((store.len(), store.evicted()), (3, 7));
        assert!(store.get(7).is_none() && store.get(8).is_some());
        assert!(store.for_message(Some(7), None).is_empty());
        assert_eq!(store.for_message(None, Some(&long_id)).len(), 3);
    }

    #[test]
    fn eviction_drops_rows_and_their_index() {
        let mut store = Deliveries::new(2);
        store.push(delivery(&[1], &["m1"], 200), Origin::Here);
        store.push(delivery(&[2], &["m2"], 200), Origin::Here);
        store.push(delivery(&[3], &["m3"], 200), Origin::Here);
        assert_eq!(store.evicted(), 1);
        assert!(store.get(1).is_none());
        assert!(store.for_message(Some(1), Some("m1")).is_empty());
        assert!(!store.by_seq.contains_key(&1));
        assert_eq!(store.visible().iter().copied().collect::<Vec<_>>(), [2, 3]);
    }
}
