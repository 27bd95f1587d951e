//! The hub: sequence numbers, the retained log, fan-out to subscribers, resume, gaps and the
//! recording.
//!
//! Publishing never waits for a viewer. Each subscriber is a cursor into the retained log: it
//! reads at its own pace, and when it falls so far behind that the frames it needs were evicted
//! it gets a `gap` frame naming exactly the seqs it will never see, then carries on.

mod log;

pub use log::{EvictedBy, FrameLog, LogRead, RingLog, StoredFrame};

use std::ops::{Range, RangeInclusive};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::model::{DeliveryFrame, FrameKind, GapFrame, Hello, STREAM_VERSION, server_name};
use crate::recording::Recorder;

/// Default number of retained frames (`--buffer`).
pub const DEFAULT_BUFFER: usize = 100_000;
/// Default bytes of frame text retained (`--buffer-bytes`): 512 MiB.
pub const DEFAULT_BUFFER_BYTES: u64 = 512 << 20;
/// Frame text a subscriber takes from the log per read, besides the frame count: what a slow
/// subscriber holds of frames the log may already have evicted.
pub const READ_BYTES: usize = 1 << 20;

/// A frame waiting for its sequence number: the JSON text that follows `"seq":N,`.
#[derive(Debug)]
pub struct PendingFrame {
    kind: FrameKind,
    tail: String,
    /// Where the event's message sits in `tail`.
    message: Option<Range<usize>>,
}

impl PendingFrame {
    /// `tail` is the rest of the frame object after its seq, e.g. `"receivedAt":"…",…}`.
    pub fn new(kind: FrameKind, tail: String) -> Self {
        PendingFrame {
            kind,
            tail,
            message: None,
        }
    }

    /// An event frame whose message JSON is `tail[message]`: the embedded viewer then reads
    /// the message without scanning the frame for it.
    pub fn event(tail: String, message: Range<usize>) -> Self {
        let message = tail.get(message.clone()).map(|_| message);
        PendingFrame {
            kind: FrameKind::Event,
            tail,
            message,
        }
    }

    /// A `delivery` frame; its own `seq` is ignored (the log assigns one, as for every frame).
    pub fn delivery(mut delivery: DeliveryFrame) -> Option<Self> {
        delivery.seq = None;
        let json = serde_json::to_string(&delivery).ok()?;
        // `at` is always serialized, so the object has fields and its tail after `{` is the
        // rest of the frame after `"seq":N,`.
        let tail = json.strip_prefix('{')?.to_string();
        Some(PendingFrame::new(FrameKind::Delivery, tail))
    }

    pub fn kind(&self) -> FrameKind {
        self.kind
    }

    /// The frame's text without a seq (`{"type":"event",…}`): what the bus carries, where
    /// the log gives the sequence number.
    pub fn unsequenced_json(&self) -> String {
        let kind = self.kind.as_str();
        let mut json = String::with_capacity(self.tail.len() + kind.len() + 12);
        json.push_str("{\"type\":\"");
        json.push_str(kind);
        json.push_str("\",");
        json.push_str(&self.tail);
        json
    }

    fn finish(self, seq: u64) -> StoredFrame {
        let kind = self.kind.as_str();
        let mut json = String::with_capacity(self.tail.len() + kind.len() + 32);
        json.push_str("{\"type\":\"");
        json.push_str(kind);
        json.push_str("\",\"seq\":");
        json.push_str(&seq.to_string());
        json.push(',');
        let offset = json.len();
        json.push_str(&self.tail);
        StoredFrame {
            seq,
            kind: self.kind,
            message: self
                .message
                .map(|m| (offset + m.start) as u32..(offset + m.end) as u32),
            json: Bytes::from(json),
        }
    }
}

/// Where the hub copies the frames it publishes through [`Hub::publish_mirrored`] (`serve
/// --bus`: the bus). Must not block: it is called on the publishing task.
pub trait Mirror: Send + Sync {
    fn mirror(&self, frame: &PendingFrame);
}

struct HubState {
    log: Box<dyn FrameLog>,
    recorder: Option<Recorder>,
}

#[derive(Default)]
struct Counters {
    events: AtomicU64,
    rejected: AtomicU64,
    deliveries: AtomicU64,
    record_errors: AtomicU64,
    subscribers: AtomicUsize,
    metrics: MetricsCounter,
}

/// Posts of SDK telemetry to `/v1/m`: counted, never published as frames (they are neither
/// events nor rejections). A shared handle, cheap to read every frame (the viewer's header).
#[derive(Debug, Clone, Default)]
pub struct MetricsCounter(Arc<AtomicU64>);

impl MetricsCounter {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A point-in-time view of the hub, for `/health` and headers.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HubStatus {
    pub instance: String,
    pub last_seq: u64,
    pub oldest_seq: u64,
    pub retained: usize,
    pub retained_bytes: u64,
    pub capacity: usize,
    /// The byte bound (`--buffer-bytes`).
    pub capacity_bytes: u64,
    pub evicted: u64,
    pub events: u64,
    pub rejected: u64,
    pub deliveries: u64,
    /// SDK telemetry posts to `/v1/m` (answered, not published).
    pub metrics: u64,
    pub subscribers: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    pub record_errors: u64,
}

pub struct Hub {
    state: Mutex<HubState>,
    last_seq: watch::Sender<u64>,
    instance: String,
    capacity: usize,
    capacity_bytes: u64,
    recording_path: Option<String>,
    counters: Counters,
    shutdown: CancellationToken,
    mirror: OnceLock<Arc<dyn Mirror>>,
}

impl Hub {
    /// A hub retaining the newest `capacity` frames (and at most [`DEFAULT_BUFFER_BYTES`] of
    /// them), appending each to `recorder` if given.
    pub fn new(capacity: usize, recorder: Option<Recorder>) -> Arc<Hub> {
        Hub::bounded(capacity, DEFAULT_BUFFER_BYTES, recorder)
    }

    /// A hub retaining the newest frames while there are at most `capacity` of them and at
    /// most `capacity_bytes` of frame text (the newest frame is kept whatever its size).
    pub fn bounded(capacity: usize, capacity_bytes: u64, recorder: Option<Recorder>) -> Arc<Hub> {
        let recording_path = recorder.as_ref().map(|r| r.path().display().to_string());
        Arc::new(Hub {
            state: Mutex::new(HubState {
                log: Box::new(RingLog::new(capacity, capacity_bytes)),
                recorder,
            }),
            last_seq: watch::Sender::new(0),
            instance: uuid::Uuid::new_v4().simple().to_string(),
            capacity: capacity.max(1),
            capacity_bytes: capacity_bytes.max(1),
            recording_path,
            counters: Counters::default(),
            shutdown: CancellationToken::new(),
            mirror: OnceLock::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock cannot leave the log half-written in a way readers
        // would misread (append is one push), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Gives each frame the next seq, retains it, records it, and wakes subscribers.
    /// Returns the seqs assigned; the recording is written before this returns. A failed
    /// recording is counted and logged, and the frames are still published.
    pub fn publish(&self, frames: Vec<PendingFrame>) -> Option<RangeInclusive<u64>> {
        // Not `must_record`: a failed recording is counted and logged inside, never returned.
        self.publish_with(frames, false).unwrap_or_default()
    }

    /// As [`Hub::publish`], for frames the collector is about to acknowledge: when the
    /// recording cannot be written, nothing is retained or sent, and the error is returned
    /// (the collector then answers 503 and the SDK sends again). Record or refuse.
    pub fn publish_recorded(
        &self,
        frames: Vec<PendingFrame>,
    ) -> std::io::Result<Option<RangeInclusive<u64>>> {
        self.publish_with(frames, true)
    }

    fn publish_with(
        &self,
        frames: Vec<PendingFrame>,
        must_record: bool,
    ) -> std::io::Result<Option<RangeInclusive<u64>>> {
        if frames.is_empty() {
            return Ok(None);
        }
        let (mut events, mut rejected, mut deliveries) = (0, 0, 0);
        let mut evicted = Vec::new();
        let range = {
            let mut state = self.lock();
            let first = state.log.next_seq();
            let stored: Vec<StoredFrame> = frames
                .into_iter()
                .zip(first..)
                .map(|(pending, seq)| {
                    match pending.kind {
                        FrameKind::Event => events += 1,
                        FrameKind::Rejected => rejected += 1,
                        FrameKind::Delivery => deliveries += 1,
                    }
                    pending.finish(seq)
                })
                .collect();
            if let Some(recorder) = state.recorder.as_mut()
                && let Err(e) = recorder.append(stored.iter().map(|f| &f.json[..]))
            {
                self.counters.record_errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(path = %recorder.path().display(), "recording failed: {e}");
                if must_record {
                    return Err(e);
                }
            }
            for frame in stored {
                evicted.extend(state.log.append(frame));
            }
            first..=state.log.last_seq()
        };
        // Evicted frames are freed here, after the lock, so that readers never wait on it.
        drop(evicted);
        self.counters.events.fetch_add(events, Ordering::Relaxed);
        self.counters
            .rejected
            .fetch_add(rejected, Ordering::Relaxed);
        self.counters
            .deliveries
            .fetch_add(deliveries, Ordering::Relaxed);
        self.last_seq.send_replace(*range.end());
        Ok(Some(range))
    }

    /// Sets where [`Hub::publish_mirrored`] copies frames; only the first call counts.
    pub fn set_mirror(&self, mirror: Arc<dyn Mirror>) {
        let _ = self.mirror.set(mirror);
    }

    /// Publishes one frame that the hub's mirror (if any) gets a copy of: deliveries, and
    /// frames no collector request carries (a request the HTTP layer refused).
    pub fn publish_mirrored(&self, frame: PendingFrame) -> Option<u64> {
        if let Some(mirror) = self.mirror.get() {
            mirror.mirror(&frame);
        }
        self.publish(vec![frame]).map(|range| *range.start())
    }

    /// Publishes a `delivery` frame (the proxy's upstream results); returns its seq. The
    /// frame's own `seq` is ignored: the hub assigns it, as for every frame.
    pub fn publish_delivery(&self, delivery: DeliveryFrame) -> Option<u64> {
        self.publish_mirrored(PendingFrame::delivery(delivery)?)
    }

    pub fn hello(&self) -> Hello {
        let state = self.lock();
        Hello {
            version: STREAM_VERSION,
            server: server_name(),
            instance: self.instance.clone(),
            last_seq: state.log.last_seq(),
            oldest_seq: state.log.first_seq(),
            relay: None,
        }
    }

    /// The count of SDK telemetry posts (`/v1/m`) this hub's collector answered.
    pub fn metrics(&self) -> MetricsCounter {
        self.counters.metrics.clone()
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn status(&self) -> HubStatus {
        let state = self.lock();
        HubStatus {
            instance: self.instance.clone(),
            last_seq: state.log.last_seq(),
            oldest_seq: state.log.first_seq(),
            retained: state.log.len(),
            retained_bytes: state.log.retained_bytes(),
            capacity: self.capacity,
            capacity_bytes: self.capacity_bytes,
            evicted: state.log.evicted(),
            events: self.counters.events.load(Ordering::Relaxed),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
            deliveries: self.counters.deliveries.load(Ordering::Relaxed),
            metrics: self.counters.metrics.get(),
            subscribers: self.counters.subscribers.load(Ordering::Relaxed),
            recording: self.recording_path.clone(),
            record_errors: self.counters.record_errors.load(Ordering::Relaxed),
        }
    }

    /// A cursor that starts after `since` (every retained frame for `Some(0)`), or at the next
    /// frame to be published for `None`.
    ///
    /// A `since` ahead of the last seq can only come from a client of an earlier instance (the
    /// server restarted): that subscriber first reads a `gap` from `lastSeq + 1` to `since` —
    /// the seqs it counted will not arrive from this instance — and then every retained frame.
    pub fn subscribe(self: &Arc<Self>, since: Option<u64>) -> Subscription {
        let mut changes = self.last_seq.subscribe();
        changes.mark_changed();
        let hello = self.hello();
        let mut restart = None;
        let next = match since {
            Some(since) if since > hello.last_seq => {
                restart = Some(GapFrame {
                    from: hello.last_seq + 1,
                    to: since,
                    reason: format!(
                        "resume point {since} is ahead of this server's last seq {}: the server \
                         restarted; sending everything retained",
                        hello.last_seq
                    ),
                });
                1
            }
            Some(since) => since.saturating_add(1),
            None => hello.last_seq + 1,
        };
        self.counters.subscribers.fetch_add(1, Ordering::Relaxed);
        Subscription {
            hub: Arc::clone(self),
            hello,
            next,
            resuming: since.is_some(),
            restart,
            changes,
        }
    }

    /// Why a reader missed frames, naming the flag that bounds what it needs.
    fn eviction_reason(&self, resuming: bool, by: EvictedBy) -> String {
        let bound = match (by.count, by.bytes) {
            (true, true) => format!(
                "the newest {} frames and at most {} of them (--buffer, --buffer-bytes)",
                self.capacity,
                show_bytes(self.capacity_bytes)
            ),
            (false, true) => format!(
                "at most {} of frames (--buffer-bytes)",
                show_bytes(self.capacity_bytes)
            ),
            _ => format!("the newest {} frames (--buffer)", self.capacity),
        };
        if resuming {
            format!("evicted before resume: the server retains {bound}")
        } else {
            format!(
                "subscriber too slow: frames were evicted before they could be sent; the server \
                 retains {bound}"
            )
        }
    }

    /// Tells subscribers to finish, and flushes the recording.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
        if let Some(recorder) = self.lock().recorder.as_mut()
            && let Err(e) = recorder.flush()
        {
            tracing::error!("flushing the recording failed: {e}");
        }
    }

    /// Completes when the hub shuts down.
    pub async fn shut_down(&self) {
        self.shutdown.cancelled().await
    }
}

/// What a subscriber reads next: maybe a gap, then frames in seq order.
#[derive(Debug, Default)]
pub struct Batch {
    pub gap: Option<GapFrame>,
    pub frames: Vec<StoredFrame>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.gap.is_none() && self.frames.is_empty()
    }
}

/// One subscriber's cursor into the hub.
pub struct Subscription {
    hub: Arc<Hub>,
    hello: Hello,
    next: u64,
    resuming: bool,
    /// The gap a subscriber resuming ahead of the last seq reads first.
    restart: Option<GapFrame>,
    changes: watch::Receiver<u64>,
}

impl Subscription {
    /// The `hello` frame for this subscriber, as of when it subscribed.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The seq this subscriber will read next.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Reads up to `max` frames (and about [`READ_BYTES`] of them) without waiting; empty
    /// when caught up.
    pub fn read(&mut self, max: usize) -> Batch {
        if let Some(gap) = self.restart.take() {
            return Batch {
                gap: Some(gap),
                frames: Vec::new(),
            };
        }
        // Mark what we have seen *before* reading, so a publish racing with this read still
        // wakes the next `wait`.
        self.changes.borrow_and_update();
        let read = self.hub.lock().log.read_from(self.next, max, READ_BYTES);
        let mut batch = Batch {
            gap: None,
            frames: read.frames,
        };
        if let Some((from, to)) = read.evicted {
            let reason = self.hub.eviction_reason(self.resuming, read.evicted_by);
            batch.gap = Some(GapFrame { from, to, reason });
            self.next = to + 1;
        }
        self.resuming = false;
        if let Some(last) = batch.frames.last() {
            self.next = last.seq + 1;
        }
        batch
    }

    /// Waits until something new is published. Returns false when the hub shuts down.
    pub async fn wait(&mut self) -> bool {
        tokio::select! {
            changed = self.changes.changed() => changed.is_ok(),
            _ = self.hub.shutdown.cancelled() => false,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub
            .counters
            .subscribers
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// `64 MiB` for whole mebibytes (or gibibytes), else the number of bytes.
fn show_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} bytes", crate::model::thousands(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> PendingFrame {
        PendingFrame::new(FrameKind::Event, format!("\"n\":{n}}}"))
    }

    fn publish(hub: &Hub, count: u64) {
        hub.publish((0..count).map(event).collect());
    }

    #[test]
    fn assigns_monotonic_seqs_and_valid_json() {
        let hub = Hub::new(10, None);
        assert_eq!(hub.publish(vec![event(0), event(1)]), Some(1..=2));
        assert_eq!(hub.publish(vec![event(2)]), Some(3..=3));
        let mut sub = hub.subscribe(Some(0));
        let batch = sub.read(10);
        let texts: Vec<&[u8]> = batch.frames.iter().map(|f| &f.json[..]).collect();
        assert_eq!(texts[2], br#"{"type":"event","seq":3,"n":2}"#);
        for f in &batch.frames {
            serde_json::from_slice::<serde_json::Value>(&f.json).unwrap();
        }
    }

    #[test]
    fn the_unsequenced_text_is_the_frame_without_its_seq() {
        let frame = event(7);
        assert_eq!(frame.unsequenced_json(), r#"{"type":"event","n":7}"#);
        let hub = Hub::new(10, None);
        hub.publish(vec![frame]);
        let stored = hub.subscribe(Some(0)).read(1).frames;
        assert_eq!(&stored[0].json[..], br#"{"type":"event","seq":1,"n":7}"#);
    }

    #[test]
    fn an_event_frame_knows_where_its_message_is() {
        let hub = Hub::new(10, None);
        let tail = r#""receivedAt":"t","message":{"a":[1,"}"]}}"#.to_string();
        let start = tail.find('{').unwrap();
        let end = tail.len() - 1;
        hub.publish(vec![PendingFrame::event(tail, start..end)]);
        // A range that is not inside the text is dropped, not trusted.
        hub.publish(vec![PendingFrame::event("}".into(), 5..9)]);
        let batch = hub.subscribe(Some(0)).read(10);
        let first = &batch.frames[0];
        let range = first.message.clone().unwrap();
        assert_eq!(
            &first.json[range.start as usize..range.end as usize],
            br#"{"a":[1,"}"]}"#
        );
        assert!(batch.frames[1].message.is_none());
    }

    #[test]
    fn resume_reads_exactly_the_missed_frames() {
        let hub = Hub::new(100, None);
        publish(&hub, 5);
        let mut sub = hub.subscribe(Some(3));
        let seqs: Vec<u64> = sub.read(100).frames.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, [4, 5]);
        assert!(sub.read(100).is_empty());
    }

    #[test]
    fn live_subscriber_starts_at_the_next_frame() {
        let hub = Hub::new(100, None);
        publish(&hub, 5);
        let mut sub = hub.subscribe(None);
        assert!(sub.read(10).is_empty());
        publish(&hub, 1);
        assert_eq!(sub.read(10).frames[0].seq, 6);
    }

    #[test]
    fn gaps_name_evicted_seqs_for_resume_and_for_slow_readers() {
        let hub = Hub::new(3, None);
        publish(&hub, 10);
        let mut resumed = hub.subscribe(Some(2));
        let batch = resumed.read(100);
        let gap = batch.gap.unwrap();
        assert_eq!((gap.from, gap.to), (3, 7));
        assert!(gap.reason.contains("before resume"));
        assert_eq!(batch.frames.first().unwrap().seq, 8);

        publish(&hub, 10);
        let batch = resumed.read(100);
        let gap = batch.gap.unwrap();
        assert_eq!((gap.from, gap.to), (11, 17));
        assert!(gap.reason.contains("too slow"));
    }

    #[test]
    fn resuming_ahead_of_the_last_seq_gets_a_restart_gap_then_everything_retained() {
        let hub = Hub::new(100, None);
        publish(&hub, 300);
        let mut sub = hub.subscribe(Some(3000));
        assert_eq!(sub.hello().last_seq, 300);
        let first = sub.read(1000);
        let gap = first.gap.expect("a gap first");
        assert_eq!((gap.from, gap.to), (301, 3000));
        assert!(
            gap.reason.contains("ahead of this server's last seq 300")
                && gap.reason.contains("restarted"),
            "{}",
            gap.reason
        );
        assert!(first.frames.is_empty());
        // This hub retains the newest 100 (201..=300): the rest is a gap of its own.
        let second = sub.read(1000);
        let evicted = second.gap.expect("the evicted seqs");
        assert_eq!((evicted.from, evicted.to), (1, 200));
        let seqs: Vec<u64> = second.frames.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, (201..=300).collect::<Vec<_>>());
        publish(&hub, 1);
        assert_eq!(sub.read(10).frames[0].seq, 301, "then live");
        // Resuming at the last seq exactly is not ahead: nothing missed, no gap.
        let mut level = hub.subscribe(Some(301));
        assert!(level.read(10).is_empty());
    }

    #[test]
    fn bytes_bound_the_hub_and_gaps_name_the_flag() {
        let hub = Hub::bounded(1000, 64 * 1024, None);
        let body = "x".repeat(1000);
        for _ in 0..200 {
            hub.publish(vec![PendingFrame::new(
                FrameKind::Event,
                format!("\"b\":\"{body}\"}}"),
            )]);
        }
        let status = hub.status();
        assert!(status.retained_bytes <= 64 * 1024, "{status:?}");
        assert!(status.evicted > 0 && status.retained < 200, "{status:?}");
        assert_eq!(status.capacity_bytes, 64 * 1024);
        let gap = hub.subscribe(Some(0)).read(1000).gap.unwrap();
        assert_eq!((gap.from, gap.to), (1, status.oldest_seq - 1));
        assert!(
            gap.reason
                .contains("at most 65,536 bytes of frames (--buffer-bytes)"),
            "{}",
            gap.reason
        );
    }

    #[tokio::test]
    async fn wait_wakes_on_publish_and_on_shutdown() {
        let hub = Hub::new(10, None);
        let mut sub = hub.subscribe(None);
        assert!(sub.read(10).is_empty());
        let publisher = Arc::clone(&hub);
        tokio::spawn(async move { publish(&publisher, 1) });
        assert!(sub.wait().await);
        assert_eq!(sub.read(10).frames.len(), 1);
        hub.shutdown();
        assert!(!sub.wait().await);
    }

    #[test]
    fn delivery_frames_get_a_seq_and_stay_valid_json() {
        let hub = Hub::new(10, None);
        publish(&hub, 1);
        let delivery = DeliveryFrame {
            seq: Some(99),
            destination: "upstream".into(),
            for_seqs: vec![1],
            status: Some(200),
            ..DeliveryFrame::default()
        };
        assert_eq!(hub.publish_delivery(delivery), Some(2));
        let frames = hub.subscribe(Some(1)).read(10).frames;
        let value: serde_json::Value = serde_json::from_slice(&frames[0].json).unwrap();
        assert_eq!(value["type"], "delivery");
        assert_eq!(value["seq"], 2);
        assert_eq!(value["forSeqs"], serde_json::json!([1]));
        assert_eq!(hub.status().deliveries, 1);
    }

    #[test]
    fn status_counts_subscribers_and_kinds() {
        let hub = Hub::new(10, None);
        hub.publish(vec![
            event(1),
            PendingFrame::new(FrameKind::Rejected, "}".into()),
        ]);
        let sub = hub.subscribe(None);
        let status = hub.status();
        assert_eq!(
            (status.events, status.rejected, status.subscribers),
            (1, 1, 1)
        );
        drop(sub);
        assert_eq!(hub.status().subscribers, 0);
    }
}
