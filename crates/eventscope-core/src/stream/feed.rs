//! A relay's live feeds: one ordered consumer per distinct narrowing, however many live viewers
//! share it, fanned out through a bounded ring that each viewer reads by seq at its own pace. A
//! viewer the ring has left behind gets a `gap`, never slows the others; a feed with no viewers
//! left stops its consumer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use crate::bus::{BusError, Narrowing, NatsReader};
use crate::model::{Frame, GapFrame};

use super::source::{BusFrames, Unpacked, unpack};

/// Frames (and gaps) a feed keeps for viewers that are behind, at most.
pub const RING: usize = 4096;
/// Bytes of frames a feed keeps, at most (a frame may be up to the bus's 1 MiB payload).
pub const RING_BYTES: usize = 64 << 20;

/// One feed, as `/health` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedReport {
    /// The narrowing (`all`, `types=track sample=10% source=…`).
    pub narrowing: String,
    /// Viewers reading it (live, or catching up before they join it).
    pub viewers: usize,
    /// The newest seq it holds (0 before any).
    #[serde(rename = "lastSeq")]
    pub last_seq: u64,
}

/// The relay's feeds, by narrowing.
pub(crate) struct Feeds {
    reader: Arc<NatsReader>,
    live: tokio::sync::Mutex<HashMap<Narrowing, Weak<Feed>>>,
}

impl Feeds {
    pub(crate) fn new(reader: Arc<NatsReader>) -> Feeds {
        Feeds {
            reader,
            live: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The feeds running now and their viewers.
    pub(crate) async fn report(&self) -> Vec<FeedReport> {
        let live = self.live.lock().await;
        let mut feeds: Vec<FeedReport> = live
            .iter()
            .filter_map(|(narrowing, feed)| {
                let viewers = feed.strong_count();
                let feed = feed.upgrade()?;
                let ring = feed.shared.ring();
                Some(FeedReport {
                    narrowing: narrowing.to_string(),
                    viewers,
                    last_seq: ring.items.back().map_or(0, |(seq, _)| *seq),
                })
            })
            .collect();
        feeds.sort_by(|a, b| a.narrowing.cmp(&b.narrowing));
        feeds
    }

    /// The live feed of `narrowing`, started (from the stream's next seq) if none runs.
    pub(crate) async fn join(&self, narrowing: &Narrowing) -> Result<Arc<Feed>, BusError> {
        let mut live = self.live.lock().await;
        live.retain(|_, feed| feed.strong_count() > 0);
        if let Some(feed) = live.get(narrowing).and_then(Weak::upgrade)
            && !feed.shared.ring().ended
        {
            return Ok(feed);
        }
        let state = self.reader.state().await?;
        let from = state.last_seq + 1;
        let (_, frames) = self.reader.follow(from, narrowing.filter_subject()).await?;
        let (changes, _) = watch::channel(());
        let shared = Arc::new(Shared {
            ring: Mutex::new(Ring::default()),
            changes,
        });
        let upstream = Upstream {
            reader: Arc::clone(&self.reader),
            filter: narrowing.filter_subject(),
            instance: state.instance,
        };
        let task = tokio::spawn(fill(
            Box::pin(frames),
            upstream,
            narrowing.clone(),
            from,
            Arc::clone(&shared),
        ));
        let feed = Arc::new(Feed {
            shared,
            task: task.abort_handle(),
        });
        live.insert(narrowing.clone(), Arc::downgrade(&feed));
        Ok(feed)
    }
}

/// A feed with no frame for this long asks whether the stream has newer ones.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// Checks in a row that found newer frames in the stream but none in the feed before its
/// consumer is replaced; doubled (up to [`MAX_PATIENCE`]) each time a replacement shows that
/// nothing was waiting for this narrowing (its filter matched none of the newer frames).
const PATIENCE: u32 = 2;
const MAX_PATIENCE: u32 = 32;

/// What a feed asks of the bus besides its consumer's frames.
pub(crate) trait Consumers: Send + 'static {
    /// A fresh consumer of the feed's narrowing from seq `from` on: how many frames it had
    /// waiting when created, and its frames.
    fn follow(&self, from: u64) -> BoxFuture<'_, Result<(u64, BusFrames), BusError>>;
    /// The stream's last seq.
    fn last_seq(&self) -> BoxFuture<'_, Result<u64, BusError>>;
}

/// The relay's reader, for one narrowing of the stream `instance`.
struct Upstream {
    reader: Arc<NatsReader>,
    filter: Option<String>,
    instance: String,
}

impl Consumers for Upstream {
    /// A stream created again since the feed started ends the feed: the fresh "consumer" is
    /// that error (the new stream's seqs must not pass for the old one's).
    fn follow(&self, from: u64) -> BoxFuture<'_, Result<(u64, BusFrames), BusError>> {
        Box::pin(async move {
            if self.reader.state().await?.instance != self.instance {
                let recreated = BusError::Failed(format!(
                    "stream {} was deleted and created again: its seqs started over",
                    self.reader.stream_name()
                ));
                let frames = futures_util::stream::iter([Err(recreated)]);
                return Ok((0, Box::pin(frames) as BusFrames));
            }
            let (held, frames) = self.reader.follow(from, self.filter.clone()).await?;
            Ok((held, Box::pin(frames) as BusFrames))
        })
    }

    fn last_seq(&self) -> BoxFuture<'_, Result<u64, BusError>> {
        Box::pin(async move { Ok(self.reader.state().await?.last_seq) })
    }
}

/// Moves a feed's consumer's frames into its ring, from seq `expected` on, until the consumer
/// ends, through leader changes:
/// - the client recreates a consumer whose server died, so its errors are passed over;
/// - but its recreation can hang (async-nats 0.52 on nats-server 2.9: it creates the
///   replacement under one name, and a create first assigned to the dead server is never
///   answered), and it registers no wake-up after a first missed heartbeat: a consumer with
///   nothing for [`CHECK_EVERY`] while the stream has newer frames is replaced by a fresh one
///   from `expected`;
/// - a consumer recreated before it delivered anything starts over at the stream's first
///   seq: it is replaced too, so viewers get neither old frames nor a feed that stalls while
///   the whole stream is read again.
async fn fill(
    mut frames: BusFrames,
    consumers: impl Consumers,
    narrowing: Narrowing,
    mut expected: u64,
    shared: Arc<Shared>,
) {
    let (mut quiet, mut patience) = (0, PATIENCE);
    loop {
        let frame = match tokio::time::timeout(CHECK_EVERY, frames.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                if consumers
                    .last_seq()
                    .await
                    .is_ok_and(|last| last >= expected)
                {
                    quiet += 1;
                }
                if quiet >= patience {
                    quiet = 0;
                    match consumers.follow(expected).await {
                        Ok((held, fresh)) => {
                            tracing::debug!("relay: a feed's consumer replaced from {expected}");
                            frames = fresh;
                            if held == 0 {
                                patience = (patience * 2).min(MAX_PATIENCE);
                            }
                        }
                        Err(e) => tracing::debug!("relay: a feed's consumer not replaced: {e}"),
                    }
                }
                continue;
            }
        };
        (quiet, patience) = (0, PATIENCE);
        match frame {
            Ok(frame) if frame.seq < expected => match consumers.follow(expected).await {
                Ok((_, fresh)) => frames = fresh,
                Err(e) => tracing::debug!("relay: a feed's consumer not replaced: {e}"),
            },
            Ok(frame) => shared.push(unpack(frame, &narrowing, &mut expected)),
            Err(e) => tracing::debug!("relay: a feed's consumer: {e}; it recovers by itself"),
        }
    }
    shared.ring().ended = true;
    shared.changes.send_replace(());
}

/// One narrowing's live frames; its consumer stops when the last viewer drops it.
pub(crate) struct Feed {
    shared: Arc<Shared>,
    task: tokio::task::AbortHandle,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    ring: Mutex<Ring>,
    /// Bumped after every push (and at the end).
    changes: watch::Sender<()>,
}

#[derive(Default)]
struct Ring {
    /// In seq order; a gap is keyed by its `to`.
    items: VecDeque<(u64, Utf8Bytes)>,
    /// The bytes of `items`' texts, at most [`RING_BYTES`] (and the newest frame).
    bytes: usize,
    /// The newest seq evicted from `items` (0 before any).
    dropped_through: u64,
    /// The consumer stopped: viewers read what is left, then close.
    ended: bool,
}

/// What one read of a feed gives a viewer.
pub(crate) struct Read {
    pub(crate) texts: Vec<Utf8Bytes>,
    /// Nothing more will come.
    pub(crate) ended: bool,
}

impl Shared {
    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, unpacked: Unpacked) {
        {
            let mut ring = self.ring();
            for (seq, text) in unpacked.texts() {
                ring.bytes += text.len();
                ring.items.push_back((seq, text));
                while ring.items.len() > RING || (ring.bytes > RING_BYTES && ring.items.len() > 1) {
                    let Some((seq, text)) = ring.items.pop_front() else {
                        break;
                    };
                    ring.bytes -= text.len();
                    ring.dropped_through = seq;
                }
            }
        }
        self.changes.send_replace(());
    }
}

impl Feed {
    /// Waits for changes after the last read: subscribe before the first read.
    pub(crate) fn changes(&self) -> watch::Receiver<()> {
        self.shared.changes.subscribe()
    }

    /// Up to `max` frames after seq `after` (advanced past them), with a `gap` first when the
    /// ring already dropped some of them.
    pub(crate) fn read(&self, after: &mut u64, max: usize) -> Read {
        let ring = self.shared.ring();
        let mut texts = Vec::new();
        if ring.dropped_through > *after {
            let gap = GapFrame {
                from: *after + 1,
                to: ring.dropped_through,
                reason: format!(
                    "slow viewer: the relay keeps the newest {RING} frames ({} MiB) for its \
                     viewers, and this one fell further behind",
                    RING_BYTES >> 20
                ),
            };
            texts.push(Frame::Gap(gap).to_json().into());
            *after = ring.dropped_through;
        }
        let first = ring.items.partition_point(|(seq, _)| *seq <= *after);
        for (seq, text) in ring.items.iter().skip(first).take(max) {
            texts.push(text.clone());
            *after = *seq;
        }
        Read {
            ended: ring.ended && ring.items.back().is_none_or(|(seq, _)| *seq <= *after),
            texts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::BusFrame;
    use crate::stream::source::unpack;

    fn feed() -> Feed {
        let (changes, _) = watch::channel(());
        let shared = Arc::new(Shared {
            ring: Mutex::new(Ring::default()),
            changes,
        });
        let task = tokio::spawn(async {});
        Feed {
            shared,
            task: task.abort_handle(),
        }
    }

    fn frame(seq: u64) -> BusFrame {
        padded(seq, 0)
    }

    fn padded(seq: u64, padding: usize) -> BusFrame {
        let pad = "x".repeat(padding);
        BusFrame {
            seq,
            subject: "evs.nokey.track.1.2".into(),
            pending: 0,
            payload: format!(r#"{{"type":"event","n":{seq},"pad":"{pad}"}}"#).into(),
        }
    }

    fn push(feed: &Feed, seq: u64, expected: &mut u64) {
        push_padded(feed, seq, expected, 0);
    }

    fn push_padded(feed: &Feed, seq: u64, expected: &mut u64, padding: usize) {
        feed.shared.push(unpack(
            padded(seq, padding),
            &Narrowing::default(),
            expected,
        ));
    }

    /// A bus whose stream's last seq is `last`, giving `next` when asked for a consumer.
    struct FakeConsumers {
        last: u64,
        next: fn(u64) -> BusFrames,
        asked: Arc<Mutex<Vec<u64>>>,
    }

    impl FakeConsumers {
        fn new(last: u64, next: fn(u64) -> BusFrames) -> (FakeConsumers, Arc<Mutex<Vec<u64>>>) {
            let asked = Arc::new(Mutex::new(Vec::new()));
            let fake = FakeConsumers {
                last,
                next,
                asked: Arc::clone(&asked),
            };
            (fake, asked)
        }
    }

    impl Consumers for FakeConsumers {
        fn follow(&self, from: u64) -> BoxFuture<'_, Result<(u64, BusFrames), BusError>> {
            self.asked.lock().unwrap().push(from);
            let frames = (self.next)(from);
            Box::pin(async move { Ok((1, frames)) })
        }

        fn last_seq(&self) -> BoxFuture<'_, Result<u64, BusError>> {
            let last = self.last;
            Box::pin(async move { Ok(last) })
        }
    }

    fn unused(_: u64) -> BusFrames {
        panic!("no fresh consumer: this one never went back")
    }

    /// A consumer delivering `items` (a seq, or an error for 0) and then ending.
    fn consumer(items: &[u64]) -> BusFrames {
        let items: Vec<Result<BusFrame, BusError>> = items
            .iter()
            .map(|&seq| match seq {
                0 => Err(BusError::Failed("leadership change".into())),
                seq => Ok(frame(seq)),
            })
            .collect();
        Box::pin(futures_util::stream::iter(items))
    }

    fn seqs(texts: &[Utf8Bytes]) -> Vec<(String, u64)> {
        texts
            .iter()
            .map(|t| {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                let seq = v["seq"].as_u64().or(v["to"].as_u64()).unwrap();
                (v["type"].as_str().unwrap().to_string(), seq)
            })
            .collect()
    }

    #[tokio::test]
    async fn viewers_read_by_seq_and_one_left_behind_gets_a_gap() {
        let feed = feed();
        let mut expected = 1;
        for seq in 1..=3 {
            push(&feed, seq, &mut expected);
        }
        let mut fast = 0;
        let read = feed.read(&mut fast, 2);
        assert_eq!(
            seqs(&read.texts),
            [("event".into(), 1), ("event".into(), 2)]
        );
        assert_eq!(fast, 2);
        // A viewer that joined after seq 2 starts at 3.
        let mut late = 2;
        assert_eq!(seqs(&feed.read(&mut late, 10).texts), [("event".into(), 3)]);

        // The ring overflows past a viewer still at 0: a gap, then what is left.
        for seq in 4..=(RING as u64 + 10) {
            push(&feed, seq, &mut expected);
        }
        let mut slow = 0;
        let read = feed.read(&mut slow, 1);
        let texts = seqs(&read.texts);
        assert_eq!(texts[0], ("gap".into(), 10));
        assert!(read.texts[0].as_str().contains("slow viewer"));
        assert_eq!(texts[1], ("event".into(), 11));
        assert!(!read.ended);
    }

    #[tokio::test]
    async fn the_ring_is_bounded_in_bytes_as_well_as_frames() {
        let feed = feed();
        let mut expected = 1;
        // 100 frames of 1 MiB: far fewer than RING frames, far more than RING_BYTES.
        for seq in 1..=100 {
            push_padded(&feed, seq, &mut expected, 1 << 20);
        }
        let ring = feed.shared.ring();
        assert!(ring.bytes <= RING_BYTES, "{} bytes kept", ring.bytes);
        assert_eq!(ring.items.back().map(|(seq, _)| *seq), Some(100));
        let dropped = ring.dropped_through;
        drop(ring);
        assert!(
            dropped >= 100 - (RING_BYTES >> 20) as u64,
            "dropped through {dropped}"
        );
        let mut slow = 0;
        let read = feed.read(&mut slow, 1);
        assert_eq!(seqs(&read.texts)[0], ("gap".into(), dropped));
        assert!(read.texts[0].as_str().contains("64 MiB"));
    }

    #[tokio::test]
    async fn a_seq_jump_in_an_unfiltered_feed_is_a_retention_gap() {
        let feed = feed();
        let mut expected = 1;
        push(&feed, 1, &mut expected);
        push(&feed, 5, &mut expected);
        let mut after = 0;
        let read = feed.read(&mut after, 10);
        assert_eq!(
            seqs(&read.texts),
            [("event".into(), 1), ("gap".into(), 4), ("event".into(), 5)]
        );
        assert!(read.texts[1].as_str().contains("retention"));
    }

    #[tokio::test]
    async fn a_feed_passes_over_its_consumers_errors_and_ends_with_it() {
        let feed = feed();
        let (bus, _) = FakeConsumers::new(2, unused);
        let frames = consumer(&[1, 0, 0, 2]);
        fill(
            frames,
            bus,
            Narrowing::default(),
            1,
            Arc::clone(&feed.shared),
        )
        .await;
        let mut after = 0;
        let read = feed.read(&mut after, 10);
        assert_eq!(
            seqs(&read.texts),
            [("event".into(), 1), ("event".into(), 2)]
        );
        assert!(read.ended, "the feed ends when its consumer does");
    }

    #[tokio::test]
    async fn a_consumer_that_starts_over_is_replaced_from_where_the_feed_is() {
        let feed = feed();
        let (bus, asked) = FakeConsumers::new(8, |from| consumer(&[from, from + 1]));
        // Recreated before it delivered anything, the client's consumer reads from seq 1.
        let frames = consumer(&[5, 6, 1, 2, 3]);
        fill(
            frames,
            bus,
            Narrowing::default(),
            5,
            Arc::clone(&feed.shared),
        )
        .await;
        assert_eq!(*asked.lock().unwrap(), [7]);
        let mut after = 4;
        let read = feed.read(&mut after, 10);
        assert_eq!(
            seqs(&read.texts),
            [5, 6, 7, 8].map(|seq| ("event".to_string(), seq))
        );
    }

    #[tokio::test]
    async fn a_stuck_consumer_is_replaced_when_the_stream_has_newer_frames() {
        // Its server died and the client's recreation hangs: it delivers nothing more, while
        // the stream (led elsewhere) goes on to seq 4.
        let feed = feed();
        let (bus, asked) = FakeConsumers::new(4, |from| consumer(&[from, from + 1]));
        let stuck = consumer(&[1, 2]).chain(futures_util::stream::pending());
        let filling = fill(
            Box::pin(stuck),
            bus,
            Narrowing::default(),
            1,
            Arc::clone(&feed.shared),
        );
        // A guard against hangs, not a timing assertion.
        tokio::time::timeout(std::time::Duration::from_secs(60), filling)
            .await
            .expect("the fresh consumer ends");
        assert_eq!(*asked.lock().unwrap(), [3]);
        let mut after = 0;
        assert_eq!(
            seqs(&feed.read(&mut after, 10).texts),
            [1, 2, 3, 4].map(|seq| ("event".to_string(), seq))
        );
    }

    #[tokio::test]
    async fn a_frame_delivered_again_is_given_once() {
        let feed = feed();
        let mut expected = 1;
        for seq in [1, 2, 1, 2, 3] {
            push(&feed, seq, &mut expected);
        }
        let mut after = 0;
        assert_eq!(
            seqs(&feed.read(&mut after, 10).texts),
            [1, 2, 3].map(|seq| ("event".to_string(), seq))
        );
    }

    #[tokio::test]
    async fn a_consumer_that_forgets_to_wake_the_feed_is_polled_again() {
        // Like async-nats' ordered consumer after a first missed heartbeat: pending, with no
        // wake-up registered; it has its frame when polled again.
        let mut polls = 0;
        let sleepy = futures_util::stream::poll_fn(move |_| {
            polls += 1;
            match polls {
                1 => std::task::Poll::Pending,
                2 => std::task::Poll::Ready(Some(Ok(frame(1)))),
                _ => std::task::Poll::Ready(None),
            }
        });
        let feed = feed();
        let (bus, _) = FakeConsumers::new(0, unused);
        let filling = fill(
            Box::pin(sleepy),
            bus,
            Narrowing::default(),
            1,
            Arc::clone(&feed.shared),
        );
        // A guard against hangs, not a timing assertion.
        tokio::time::timeout(std::time::Duration::from_secs(20), filling)
            .await
            .expect("the feed polls its consumer again");
        let mut after = 0;
        assert_eq!(
            seqs(&feed.read(&mut after, 10).texts),
            [("event".into(), 1)]
        );
    }
}
