//! A relay's live feeds: one ordered consumer per distinct narrowing, however many live viewers
//! share it, fanned out through a bounded ring that each viewer reads by seq at its own pace. A
//! viewer the ring has left behind gets a `gap`, never slows the others; a feed with no viewers
//! left stops its consumer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::bus::{BusError, Narrowing, NatsReader};
use crate::model::{Frame, GapFrame};

use super::source::{Unpacked, unpack};

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
        let filling = Arc::clone(&shared);
        let kept = narrowing.clone();
        let task = tokio::spawn(async move {
            tokio::pin!(frames);
            let mut expected = from;
            while let Some(frame) = frames.next().await {
                let unpacked = match frame {
                    Ok(frame) => unpack(frame, &kept, &mut expected),
                    Err(e) => {
                        tracing::warn!("relay: a feed lost the bus: {e}");
                        break;
                    }
                };
                filling.push(unpacked);
            }
            filling.ring().ended = true;
            filling.changes.send_replace(());
        });
        let feed = Arc::new(Feed {
            shared,
            task: task.abort_handle(),
        });
        live.insert(narrowing.clone(), Arc::downgrade(&feed));
        Ok(feed)
    }
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

    fn push(feed: &Feed, seq: u64, expected: &mut u64) {
        push_padded(feed, seq, expected, 0);
    }

    fn push_padded(feed: &Feed, seq: u64, expected: &mut u64, padding: usize) {
        let pad = "x".repeat(padding);
        let frame = BusFrame {
            seq,
            subject: "evs.nokey.track.1.2".into(),
            pending: 0,
            payload: format!(r#"{{"type":"event","n":{seq},"pad":"{pad}"}}"#).into(),
        };
        feed.shared
            .push(unpack(frame, &Narrowing::default(), expected));
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
}
