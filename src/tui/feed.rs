//! Where the viewer's frames come from: the embedded collector's hub, a remote stream, or a
//! recording. Each feed runs off the UI task and sends parsed frames in batches.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::app::Connection;
use super::rules::Rules;
use eventscope_core::budget::{self, Weigh};
use eventscope_core::entry::{Entry, EntryBuilder};
use eventscope_core::hub::Hub;
use eventscope_core::model::{DeliveryFrame, Frame, Incoming, RelayOrigin, parse_frame_text};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader};
use eventscope_core::stream::client::{ClientEvent, ClientOptions, follow, follow_publishing};
use tokio::sync::watch;

/// Rows per batch sent to the UI …
const BATCH: usize = 1024;
/// … and, reading a file, about this many bytes of them.
const BATCH_BYTES: usize = 1 << 20;
/// Batches waiting for the UI, and what they may weigh in all: rows wait here, outside the
/// store's bound, only this much.
const QUEUED: usize = 64;
pub const QUEUED_BYTES: usize = 16 << 20;

/// The feed's receiving end, read by the UI loop.
pub type FeedReceiver = budget::Receiver<Feed>;

/// How often a file feed reports its progress and its unread lines.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub enum Feed {
    /// Rows, built off the UI task.
    Entries(Vec<Entry>),
    /// `delivery` frames (the proxy's upstream answers): not rows, the Deliveries view's.
    Deliveries(Vec<DeliveryFrame>),
    Connection(Connection),
    /// Said at every connection: the bus stream a relay reads, or `None` for a collector.
    Relayed(Option<RelayOrigin>),
    /// Something worth a line in the status bar (a skipped line, a restart).
    Notice {
        text: String,
        is_error: bool,
    },
    /// A recording's lines that could not be read, so far (for the header).
    Unread(Unread),
}

/// The lines of a recording the viewer could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unread {
    /// Lines skipped: not a frame, a message or a batch, a torn last line, or …
    pub skipped: u64,
    /// … longer than `--max-line` (passed over without being held).
    pub over_max_line: u64,
    /// `--max-line`.
    pub max_line: u64,
    /// The file could not be read to its end (an I/O error, a truncated gzip): why.
    pub failed: Option<String>,
}

impl Weigh for Feed {
    fn weight(&self) -> usize {
        let size = std::mem::size_of::<Feed>();
        match self {
            Feed::Entries(entries) => size + entries.iter().map(Entry::weight).sum::<usize>(),
            Feed::Deliveries(frames) => {
                size + frames.iter().map(super::deliveries::weight).sum::<usize>()
            }
            Feed::Notice { text, .. } => size + text.len(),
            Feed::Unread(unread) => size + unread.failed.as_ref().map_or(0, String::len),
            Feed::Connection(_) | Feed::Relayed(_) => size,
        }
    }
}

fn channel() -> (budget::Sender<Feed>, FeedReceiver) {
    budget::channel(QUEUED, QUEUED_BYTES)
}

/// Takes the `delivery` frames out of `frames` (rows are built from the rest).
fn take_deliveries(frames: &mut Vec<Frame>) -> Option<Feed> {
    if !frames.iter().any(|f| matches!(f, Frame::Delivery(_))) {
        return None;
    }
    let mut deliveries = Vec::new();
    frames.retain_mut(|frame| match frame {
        Frame::Delivery(delivery) => {
            deliveries.push(std::mem::take(delivery).bounded());
            false
        }
        _ => true,
    });
    Some(Feed::Deliveries(deliveries))
}

/// The row for an event frame whose message the hub located: only the small envelope around
/// it is parsed (with `null` in the message's place), so the message is scanned once, by the
/// verdicts, instead of once more to find where it ends.
fn event_without_rescan(
    builder: &mut EntryBuilder,
    frame: &str,
    message: Option<std::ops::Range<u32>>,
) -> Option<Entry> {
    let message = message?;
    let (start, end) = (message.start as usize, message.end as usize);
    let text = frame.get(start..end)?;
    let envelope = [frame.get(..start)?, "null", frame.get(end..)?].concat();
    let Ok(Incoming::Frame(Frame::Event(event))) = parse_frame_text(&envelope) else {
        return None;
    };
    Some(builder.event(
        event.seq,
        &event.received_at,
        event.source,
        event.adjusted,
        event.redacted.as_deref(),
        text.into(),
    ))
}

/// Follows the embedded collector's hub from its first retained frame.
pub fn embedded(hub: Arc<Hub>, rules: watch::Receiver<Rules>) -> FeedReceiver {
    let (tx, rx) = channel();
    tokio::spawn(async move {
        let mut subscription = hub.subscribe(Some(0));
        let mut builder = rules.borrow().builder();
        if tx.send(Feed::Connection(Connection::Live)).await.is_err() {
            return;
        }
        loop {
            let batch = subscription.read(BATCH);
            if batch.is_empty() {
                if !subscription.wait().await {
                    let closed = Connection::Closed {
                        reason: "the collector stopped".into(),
                    };
                    let _ = tx.send(Feed::Connection(closed)).await;
                    return;
                }
                continue;
            }
            rules.borrow().update(&mut builder);
            let mut entries = Vec::with_capacity(batch.frames.len() + 1);
            let mut deliveries = Vec::new();
            entries.extend(batch.gap.and_then(|gap| builder.build(Frame::Gap(gap))));
            for stored in batch.frames {
                // The hub's frames are built here from `String`s: always UTF-8.
                let Ok(text) = std::str::from_utf8(&stored.json) else {
                    continue;
                };
                if let Some(entry) = event_without_rescan(&mut builder, text, stored.message) {
                    entries.push(entry);
                    continue;
                }
                match parse_frame_text(text) {
                    Ok(Incoming::Frame(Frame::Delivery(delivery))) => {
                        deliveries.push(delivery.bounded());
                    }
                    Ok(Incoming::Frame(frame)) => entries.extend(builder.build(frame)),
                    _ => {}
                }
            }
            if !deliveries.is_empty() && tx.send(Feed::Deliveries(deliveries)).await.is_err() {
                return;
            }
            if tx.send(Feed::Entries(entries)).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// Follows a remote stream, reconnecting and resuming; sends `publish`'s deliveries to it.
pub fn remote(
    options: ClientOptions,
    rules: watch::Receiver<Rules>,
    publish: Option<tokio::sync::mpsc::Receiver<DeliveryFrame>>,
) -> FeedReceiver {
    let (tx, rx) = channel();
    tokio::spawn(async move {
        let mut events = match publish {
            Some(deliveries) => follow_publishing(options, deliveries),
            None => follow(options),
        };
        let mut builder = rules.borrow().builder();
        let mut buffer = Vec::new();
        while events.recv_many(&mut buffer, BATCH).await > 0 {
            let mut frames = Vec::new();
            let mut feeds = Vec::new();
            for event in buffer.drain(..) {
                match event {
                    ClientEvent::Frame { frame, .. } => frames.push(frame),
                    ClientEvent::Connected { hello, restarted } => {
                        feeds.push(Feed::Relayed(hello.and_then(|hello| hello.relay)));
                        if restarted {
                            feeds.push(Feed::Notice {
                                text: "the server restarted; its seqs start again".into(),
                                is_error: false,
                            });
                        }
                        feeds.push(Feed::Connection(Connection::Live));
                    }
                    ClientEvent::Skipped { reason } => feeds.push(Feed::Notice {
                        text: format!("skipped: {reason}"),
                        is_error: true,
                    }),
                    ClientEvent::Reconnecting { error, retry_in } => {
                        feeds.push(Feed::Connection(Connection::Reconnecting {
                            error,
                            retry_at: Instant::now() + retry_in,
                        }));
                    }
                    ClientEvent::Fatal(e) => feeds.push(Feed::Connection(Connection::Closed {
                        reason: e.to_string(),
                    })),
                }
            }
            rules.borrow().update(&mut builder);
            feeds.extend(take_deliveries(&mut frames));
            let entries = builder.build_all(frames);
            if !entries.is_empty() && tx.send(Feed::Entries(entries)).await.is_err() {
                return;
            }
            for feed in feeds {
                if tx.send(feed).await.is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Counts the bytes read from the file, for the progress figure.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads a recording on a blocking thread, in batches, with progress.
pub fn file(path: PathBuf, max_line: u64, rules: watch::Receiver<Rules>) -> FeedReceiver {
    let (tx, rx) = channel();
    tokio::task::spawn_blocking(move || {
        let name = path.display().to_string();
        let opened = File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f)));
        let (total, file) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                let reason = format!("cannot open {name}: {e}");
                let _ = tx.blocking_send(Feed::Connection(Connection::Closed { reason }));
                return;
            }
        };
        let read = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: file,
            read: Arc::clone(&read),
        };
        let reader = RecordingReader::from_reader(counting, &name).with_max_line(max_line);
        let mut builder = rules.borrow().builder();
        let mut frames = Vec::with_capacity(BATCH);
        let mut frames_bytes = 0;
        let mut deliveries = Vec::new();
        let mut unread = Unread {
            max_line,
            ..Unread::default()
        };
        let mut last_problem = None;
        let mut unread_sent = None;
        let mut last_progress = Instant::now();
        let send = |feed| tx.blocking_send(feed).is_ok();
        for item in reader {
            match item {
                ReadItem::Frame {
                    frame: Frame::Delivery(delivery),
                    ..
                } => {
                    deliveries.push(delivery.bounded());
                    if deliveries.len() == BATCH
                        && !send(Feed::Deliveries(std::mem::take(&mut deliveries)))
                    {
                        return;
                    }
                }
                ReadItem::Frame { frame, .. } => {
                    if let Some(entry) = builder.build(frame) {
                        frames_bytes += entry.weight();
                        frames.push(entry);
                    }
                }
                ReadItem::Problem { message, kind, .. } => {
                    match kind {
                        ProblemKind::ReadFailed => unread.failed = Some(message.clone()),
                        ProblemKind::OverMaxLine { .. } => {
                            unread.skipped += 1;
                            unread.over_max_line += 1;
                        }
                        ProblemKind::Unreadable => unread.skipped += 1,
                    }
                    last_problem = Some(message);
                    // The header's count, at most ten times a second.
                    if unread_sent.is_none_or(|at: Instant| at.elapsed() > PROGRESS_EVERY) {
                        unread_sent = Some(Instant::now());
                        if !send(Feed::Unread(unread.clone())) {
                            return;
                        }
                    }
                }
            }
            if frames.len() == BATCH || frames_bytes >= BATCH_BYTES {
                frames_bytes = 0;
                if !send(Feed::Entries(std::mem::take(&mut frames))) {
                    return;
                }
                if last_progress.elapsed() > PROGRESS_EVERY {
                    last_progress = Instant::now();
                    let done = read.load(Ordering::Relaxed);
                    if !send(Feed::Connection(Connection::Loading { done, total })) {
                        return;
                    }
                }
            }
        }
        if !frames.is_empty() && !send(Feed::Entries(frames)) {
            return;
        }
        if !deliveries.is_empty() && !send(Feed::Deliveries(deliveries)) {
            return;
        }
        if last_problem.is_some() && !send(Feed::Unread(unread.clone())) {
            return;
        }
        if let Some(message) = last_problem {
            let problems = unread.skipped + u64::from(unread.failed.is_some());
            let text = if problems == 1 {
                message
            } else {
                format!(
                    "{} skipped; the last: {message}",
                    eventscope_core::model::count(problems, "line")
                )
            };
            send(Feed::Notice {
                text,
                is_error: true,
            });
        }
        send(Feed::Connection(Connection::Loaded));
    });
    rx
}
