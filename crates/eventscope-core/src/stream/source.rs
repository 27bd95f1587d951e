//! Where a relay viewer's frames come from — its own ordered consumer (a viewer resuming with
//! `since`), or the shared live feed of its narrowing — and how a bus message becomes the
//! texts a viewer is sent.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::watch;

use super::feed::Feed;
use crate::bus::{BusError, BusFrame, Narrowing, sequenced};
use crate::model::{Frame, GapFrame};

/// A viewer's own consumer's frames.
pub(crate) type BusFrames = Pin<Box<dyn Stream<Item = Result<BusFrame, BusError>> + Send>>;

pub(crate) enum Source {
    /// Its own ordered consumer, until it catches up with the stream and hands over to
    /// `feed` (joined before the consumer was made); `expected` is the next seq it should see.
    Own {
        frames: BusFrames,
        narrowing: Narrowing,
        expected: u64,
        feed: Arc<Feed>,
    },
    /// The live feed; `after` is the last seq sent.
    Shared {
        feed: Arc<Feed>,
        after: u64,
        changes: watch::Receiver<()>,
    },
}

/// How often a consumer is polled while it delivers nothing (see [`next_frame`]).
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The consumer's next frame. A consumer whose server died must notice its missed heartbeats
/// to recreate itself, but the client (async-nats 0.52) registers no wake-up after the first
/// miss: left alone, the consumer slept until some unrelated event (40 s and more after a
/// leader kill). So an idle consumer is polled again every [`POLL_EVERY`]
/// (`StreamExt::next` is cancel-safe: nothing is lost by the timeout).
pub(crate) async fn next_frame(frames: &mut BusFrames) -> Option<Result<BusFrame, BusError>> {
    loop {
        if let Ok(next) = tokio::time::timeout(POLL_EVERY, frames.next()).await {
            return next;
        }
    }
}

/// What waiting on a [`Source`] gives.
pub(crate) enum Next {
    Texts(Vec<Utf8Bytes>),
    /// The bus failed this viewer's reading.
    Lost(String),
}

impl Source {
    /// The live feed from just after `after` (subscribed to its changes before any read).
    pub(crate) fn shared(feed: Arc<Feed>, after: u64) -> Source {
        Source::Shared {
            changes: feed.changes(),
            feed,
            after,
        }
    }

    /// Waits for at least one text (at most about `max`). Cancel-safe: its only waits are a
    /// stream's `next` and a watch's `changed`. An own consumer that has caught up with the
    /// stream hands its viewer over to the live feed.
    pub(crate) async fn next(&mut self, max: usize) -> Next {
        loop {
            let (texts, caught_up) = match self {
                Source::Own {
                    frames,
                    narrowing,
                    expected,
                    feed,
                } => {
                    let mut texts = Vec::new();
                    let mut caught_up = None;
                    let mut next = next_frame(frames).await;
                    loop {
                        match next {
                            Some(Ok(frame)) => {
                                let pending = frame.pending;
                                texts.extend(
                                    unpack(frame, narrowing, expected)
                                        .texts()
                                        .map(|(_, text)| text),
                                );
                                if pending == 0 {
                                    // The last seq this viewer has (a frame delivered again
                                    // is not sent twice, so not its seq).
                                    let sent = expected.saturating_sub(1);
                                    caught_up = Some((Arc::clone(feed), sent));
                                    break;
                                }
                            }
                            // Through a leader change the consumer recovers by itself.
                            Some(Err(e)) if texts.is_empty() => {
                                tracing::debug!("relay: a viewer's consumer: {e}; recovering");
                                next = next_frame(frames).await;
                                continue;
                            }
                            Some(Err(_)) => break,
                            None if texts.is_empty() => {
                                return Next::Lost("the bus ended the stream".into());
                            }
                            None => break,
                        }
                        if texts.len() >= max {
                            break;
                        }
                        match frames.next().now_or_never() {
                            Some(more) => next = more,
                            None => break,
                        }
                    }
                    (texts, caught_up)
                }
                Source::Shared {
                    feed,
                    after,
                    changes,
                } => loop {
                    changes.borrow_and_update();
                    let read = feed.read(after, max);
                    if !read.texts.is_empty() {
                        return Next::Texts(read.texts);
                    }
                    if read.ended || changes.changed().await.is_err() {
                        return Next::Lost("the relay's feed lost the bus".into());
                    }
                },
            };
            // Every later frame of this narrowing is in the feed (it started before this
            // consumer, and nothing after `seq` was pending): no duplicate, no loss.
            if let Some((feed, seq)) = caught_up {
                *self = Source::shared(feed, seq);
            }
            if !texts.is_empty() {
                return Next::Texts(texts);
            }
        }
    }
}

/// One bus message's texts for a viewer: a `retention` gap first when an unfiltered reader's
/// seq jumps past `expected`, then the frame if `narrowing` keeps it; nothing for a seq
/// before `expected` (already given).
pub(crate) struct Unpacked {
    gap: Option<(u64, Utf8Bytes)>,
    frame: Option<(u64, Utf8Bytes)>,
}

impl Unpacked {
    /// (seq, text) in order; a gap's seq is its `to`.
    pub(crate) fn texts(self) -> impl Iterator<Item = (u64, Utf8Bytes)> {
        self.gap.into_iter().chain(self.frame)
    }
}

pub(crate) fn unpack(frame: BusFrame, narrowing: &Narrowing, expected: &mut u64) -> Unpacked {
    // A consumer recreated through a leader change may deliver again what it had delivered.
    if frame.seq < *expected {
        return Unpacked {
            gap: None,
            frame: None,
        };
    }
    // A filtered consumer skips seqs by design.
    let gap = (frame.seq > *expected && narrowing.is_everything()).then(|| {
        let gap = retention(*expected, frame.seq - 1);
        (gap.to, Utf8Bytes::from(Frame::Gap(gap).to_json()))
    });
    *expected = (*expected).max(frame.seq + 1);
    let text = match sequenced(&frame.payload, frame.seq) {
        Some(_) if !narrowing.keeps(&frame.subject) => None,
        Some(text) => Some((frame.seq, Utf8Bytes::from(text))),
        None => {
            tracing::warn!(
                seq = frame.seq,
                "relay: skipped a bus message that is no eventscope frame"
            );
            None
        }
    };
    Unpacked { gap, frame: text }
}

/// Frames `from..=to` are gone from the stream (its max age or size dropped them).
pub(crate) fn retention(from: u64, to: u64) -> GapFrame {
    GapFrame {
        from,
        to,
        reason: "retention: the bus stream no longer holds these frames (its max age or size, \
                 --bus-max-age and --bus-max-bytes of the collector that created it)"
            .to_string(),
    }
}
