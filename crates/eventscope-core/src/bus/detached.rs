//! Frames nobody waits for on their way to the bus: `rejected` frames (the SDK's answer is
//! an error anyway) and `delivery` frames. A bounded queue and one task that publishes them
//! in batches; when the queue is full (the bus is slower than they come), the newest are
//! dropped and counted, never held without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::{Bus, BusMessage, subject};
use crate::hub::{Mirror, PendingFrame};
use crate::model::FrameKind;

/// Frames queued for the bus, at most.
pub const QUEUE: usize = 4096;
/// Frames the task publishes at once, at most.
const BATCH: usize = 256;

pub struct Detached {
    queue: mpsc::Sender<BusMessage>,
    dropped: Arc<AtomicU64>,
}

impl Detached {
    /// Starts the task publishing to `bus` (it ends when the last sender is dropped).
    pub fn spawn(bus: Arc<dyn Bus>) -> Arc<Detached> {
        let (queue, mut receiver) = mpsc::channel::<BusMessage>(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let lost = Arc::clone(&dropped);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut batch, BATCH).await > 0 {
                let count = batch.len() as u64;
                if let Err(e) = bus.publish(std::mem::take(&mut batch)).await {
                    lost.fetch_add(count, Ordering::Relaxed);
                    tracing::debug!("bus: {count} rejected/delivery frame(s) not published: {e}");
                }
            }
        });
        Arc::new(Detached { queue, dropped })
    }

    /// Queues `message`; drops (and counts) it when the queue is full.
    pub fn send(&self, message: BusMessage) {
        if self.queue.try_send(message).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Frames that never reached the bus (queue full, or the bus failed them).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Mirror for Detached {
    /// A frame the hub publishes without a write key at hand: a delivery, or a request the
    /// HTTP layer refused before the collector saw it.
    fn mirror(&self, frame: &PendingFrame) {
        let type_token = match frame.kind() {
            FrameKind::Delivery => subject::DELIVERY,
            FrameKind::Rejected => subject::REJECTED,
            FrameKind::Event => subject::OTHER,
        };
        self.send(BusMessage {
            subject: subject::subject(subject::NO_KEY, type_token, subject::NO_PERSON),
            message_id: None,
            payload: frame.unsequenced_json().into(),
        });
    }
}
