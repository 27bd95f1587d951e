//! `eventscope replay FILE --to NAME`: sends the messages of a recording (frames, bare
//! messages or batches, gzip or not, `-` for standard input) to a configured destination.
//!
//! Reading, filtering, rewriting and mapping run on their own thread and hand requests to the
//! engine through a small bounded channel, so memory stays flat on any file size and the
//! engine keeps the destination's `concurrency` requests in flight. `--retime` needs the
//! newest timestamp first: a file is read twice, standard input is held in memory.
//!
//! Exit codes: 0 every message delivered (or nothing to send), 1 anything failed (or the
//! run was interrupted), 2 a usage, config or I/O problem before sending, or an input that
//! could not be read to its end (a truncated gzip: what was read before is sent or printed).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use tokio::sync::{mpsc, oneshot};

use super::{ReplayArgs, one_line};
use eventscope_core::config::Config;
use eventscope_core::entry::EntryBuilder;
use eventscope_core::filter::Query;
use eventscope_core::forward::destination::DestinationError;
use eventscope_core::forward::engine::{Engine, SendOptions};
use eventscope_core::forward::{Destination, Outgoing, Request};
use eventscope_core::inspect::Inspector;
use eventscope_core::model::{
    DeliveryFrame, FieldValue, Frame, ObjectFields, format_timestamp, parse_timestamp, thousands,
};
use eventscope_core::recording::{
    ProblemKind, ReadItem, RecordingError, RecordingReader, describe_size,
};

/// Messages handed to the mapper at once (at least a batch): enough to pay for a transform's
/// compilation once per many messages, few enough to keep the progress estimate close.
const CHUNK_MESSAGES: usize = 100;

/// Requests waiting between the reader and the engine.
const QUEUED_REQUESTS: usize = 16;

/// Failed requests shown in the summary with their answer.
const FAILURE_EXAMPLES: usize = 5;

/// The message fields `--retime` moves (`receivedAt` is the receiver's to set).
const RETIMED_FIELDS: [&str; 3] = ["timestamp", "originalTimestamp", "sentAt"];

pub async fn run(args: ReplayArgs) -> ExitCode {
    let setup = match Setup::new(&args) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("eventscope replay: {}", one_line(&message));
            return ExitCode::from(2);
        }
    };
    if args.dry_run {
        dry_run(setup).await
    } else {
        send(setup, args.rate).await
    }
}

/// Everything checked before the first message is read.
struct Setup {
    file: std::path::PathBuf,
    destination: Arc<Destination>,
    inspector: Arc<Inspector>,
    query: Option<Query>,
    new_ids: bool,
    retime: bool,
    /// Lines longer than this are skipped unread (`--max-line`).
    max_line: u64,
}

impl Setup {
    fn new(args: &ReplayArgs) -> Result<Setup, String> {
        let (config, _) = Config::load(args.config.as_deref()).map_err(|e| e.to_string())?;
        let name = args.to.trim();
        let tables = &config.destination;
        let table = tables
            .iter()
            .find(|d| d.name.trim() == name)
            .ok_or_else(|| {
                DestinationError::NotFound {
                    name: name.to_string(),
                    configured: tables.iter().map(|d| d.name.trim().to_string()).collect(),
                }
                .to_string()
            })?;
        let destination = Destination::from_config(table).map_err(|e| e.to_string())?;
        let query = match args.filter.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                Some(Query::parse(text).map_err(|e| format!("--filter: {e}"))?)
            }
            _ => None,
        };
        let inspector = super::check::inspector(&config, args.plan.as_deref())?;
        if args.file.as_os_str() != "-" && !args.file.exists() {
            return Err(format!(
                "cannot open recording {}: no such file",
                args.file.display()
            ));
        }
        Ok(Setup {
            file: args.file.clone(),
            destination: Arc::new(destination),
            inspector: Arc::new(inspector),
            query,
            new_ids: !args.keep_ids,
            retime: args.retime,
            max_line: args.max_line,
        })
    }
}

/// `--dry-run`: every request printed as it would be sent (secrets masked); nothing sent.
async fn dry_run(setup: Setup) -> ExitCode {
    let destination = Arc::clone(&setup.destination);
    let produced = tokio::task::spawn_blocking(move || {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut number = 0u64;
        let mut failed = false;
        let counts = produce(&setup, &Reading::default(), |request| {
            number += 1;
            let written = print_request(&mut out, &destination, &request, number);
            failed |= written.is_err();
            written.is_ok()
        });
        failed |= out.flush().is_err();
        counts.map(|counts| (counts, failed))
    })
    .await;
    let (counts, failed) = match produced {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => {
            eprintln!("eventscope replay: {}", one_line(&message));
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("eventscope replay: {e}");
            return ExitCode::from(2);
        }
    };
    if failed {
        return ExitCode::from(2);
    }
    eprintln!(
        "eventscope replay (dry run): {} in {} for `{}` ({}); nothing sent",
        count(counts.messages_in_requests, "message"),
        count(counts.requests, "request"),
        counts.destination,
        counts.kind
    );
    for line in counts.skip_lines() {
        eprintln!("  {line}");
    }
    if let Some(error) = &counts.read_failed {
        eprintln!("  stopped early: {}", one_line(error));
        return ExitCode::from(2);
    }
    if let Some(error) = &counts.map_error {
        eprintln!("  stopped: {}", one_line(error));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn print_request(
    out: &mut impl Write,
    destination: &Destination,
    request: &Request,
    number: u64,
) -> std::io::Result<()> {
    let preview = destination.preview(request);
    writeln!(
        out,
        "# request {number}: {} message{}{}",
        request.carries.len(),
        if request.carries.len() == 1 { "" } else { "s" },
        seq_range(request)
    )?;
    writeln!(out, "{} {}", preview.method, preview.url)?;
    for (name, value) in &preview.headers {
        writeln!(out, "{name}: {value}")?;
    }
    writeln!(out)?;
    // The whole body, not the preview's cut: a dry run is for reading what would go out.
    let body = destination.mask(&request.body_text());
    out.write_all(body.as_bytes())?;
    if !body.ends_with('\n') {
        writeln!(out)?;
    }
    writeln!(out)
}

/// ` (seqs 1–100)` or ` (seq 7)`.
fn seq_range(request: &Request) -> String {
    let seqs: Vec<u64> = request.carries.iter().filter_map(|c| c.seq).collect();
    seq_span(&seqs)
}

fn seq_span(seqs: &[u64]) -> String {
    match (seqs.iter().min(), seqs.iter().max()) {
        (Some(a), Some(b)) if a == b => format!(" (seq {a})"),
        (Some(a), Some(b)) => format!(" (seqs {a}–{b})"),
        _ => String::new(),
    }
}

/// Sends everything; prints progress and the summary; the exit code.
async fn send(setup: Setup, rate: Option<f64>) -> ExitCode {
    let engine = match Engine::new() {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            eprintln!("eventscope replay: {e}");
            return ExitCode::from(2);
        }
    };
    let destination = Arc::clone(&setup.destination);
    let total_bytes = std::fs::metadata(&setup.file).ok().map(|m| m.len());
    let reading = Arc::new(Reading::default());
    let (request_tx, mut request_rx) = mpsc::channel::<Request>(QUEUED_REQUESTS);
    let (counts_tx, counts_rx) = oneshot::channel();
    // A plain thread, not `spawn_blocking`: on Ctrl-C the process must be able to leave
    // without waiting for a reader blocked on a full queue.
    let reader_progress = Arc::clone(&reading);
    let spawned = std::thread::Builder::new()
        .name("replay-reader".into())
        .spawn(move || {
            let counts = produce(&setup, &reader_progress, |request| {
                request_tx.blocking_send(request).is_ok()
            });
            let _ = counts_tx.send(counts);
        });
    if let Err(e) = spawned {
        eprintln!("eventscope replay: cannot start the reader: {e}");
        return ExitCode::from(2);
    }
    let requests = futures_util::stream::poll_fn(move |cx| request_rx.poll_recv(cx));
    let mut deliveries =
        engine.send_stream(Arc::clone(&destination), requests, SendOptions { rate });

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut progress = Progress::new(&destination.name, total_bytes);
    let mut tick = tokio::time::interval(progress.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut interrupted = false;
    let mut stop = std::pin::pin!(super::shutdown_signal());
    loop {
        tokio::select! {
            frame = deliveries.recv() => match frame {
                Some(frame) => tally.add(frame),
                None => break,
            },
            _ = tick.tick() => progress.show(&tally, &reading, started),
            _ = &mut stop => {
                interrupted = true;
                break;
            }
        }
    }
    progress.clear();
    let elapsed = started.elapsed();
    let counts = if interrupted {
        None
    } else {
        match counts_rx.await {
            Ok(Ok(counts)) => Some(counts),
            Ok(Err(message)) => {
                eprintln!("eventscope replay: {}", one_line(&message));
                return ExitCode::from(2);
            }
            Err(_) => None,
        }
    };
    let lines = summary(&destination, &tally, counts.as_ref(), elapsed, interrupted);
    for line in lines {
        eprintln!("{line}");
    }
    let map_failed = counts.as_ref().is_some_and(|c| c.map_error.is_some());
    if counts.as_ref().is_some_and(|c| c.read_failed.is_some()) {
        // The input ended early: an I/O error, whatever was delivered from it.
        ExitCode::from(2)
    } else if tally.failed_requests > 0 || interrupted || map_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What the reader saw and did.
#[derive(Debug, Default)]
struct ReadCounts {
    destination: String,
    kind: &'static str,
    /// Messages (event frames, bare messages, batch items) read.
    messages: u64,
    /// … of which did not match `--filter`.
    filtered_out: u64,
    /// Rejected-request frames: not messages, so not replayed.
    rejected: u64,
    /// Lines that could not be read …
    unreadable: u64,
    /// … and lines over `--max-line`, skipped unread (the cap, for the summary).
    over_max_line: u64,
    max_line: u64,
    /// The input could not be read to its end: why (reading stopped there).
    read_failed: Option<String>,
    /// … and the first few of them, with their line numbers.
    problems: Vec<String>,
    /// Messages the mapper left out, by reason.
    skipped: BTreeMap<String, u64>,
    requests: u64,
    messages_in_requests: u64,
    /// The transform failed: reading stopped there.
    map_error: Option<String>,
    /// `--retime` found no timestamp to anchor on.
    no_timestamps: bool,
}

impl ReadCounts {
    fn skip_lines(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if self.rejected > 0 {
            parts.push(format!(
                "{} (not {})",
                count(self.rejected, "rejected request"),
                if self.rejected == 1 {
                    "a message"
                } else {
                    "messages"
                }
            ));
        }
        if self.unreadable > 0 {
            parts.push(count(self.unreadable, "unreadable line"));
        }
        if self.over_max_line > 0 {
            parts.push(format!(
                "{} over --max-line {}",
                count(self.over_max_line, "line"),
                describe_size(self.max_line)
            ));
        }
        for (reason, n) in &self.skipped {
            parts.push(format!("{}: {reason}", thousands(*n)));
        }
        let mut lines = Vec::new();
        if !parts.is_empty() {
            lines.push(format!("skipped: {}", parts.join("; ")));
        }
        for problem in &self.problems {
            lines.push(format!("  {}", one_line(problem)));
        }
        if self.filtered_out > 0 {
            lines.push(format!(
                "not matching the filter: {} of {} messages",
                thousands(self.filtered_out),
                thousands(self.messages)
            ));
        }
        if self.no_timestamps {
            lines.push("--retime: no message had a timestamp; none moved".to_string());
        }
        lines
    }
}

/// Reads, selects, rewrites and maps; hands each request to `sink` until it returns false.
/// `Err` only when the input cannot be opened.
fn produce(
    setup: &Setup,
    reading: &Reading,
    mut sink: impl FnMut(Request) -> bool,
) -> Result<ReadCounts, String> {
    let mut counts = ReadCounts {
        destination: setup.destination.name.clone(),
        kind: setup.destination.kind.as_str(),
        ..ReadCounts::default()
    };
    let stdin = setup.file.as_os_str() == "-";
    let mut shift = None;
    let mut held: Option<Vec<Picked>> = None;
    // Standard input is read once, in the first pass: what it saw is what counts.
    let mut first_pass: Option<(SelectionCounts, Vec<String>)> = None;
    if setup.retime {
        // The newest timestamp becomes now; everything keeps its distance to it.
        let newest = if stdin {
            let mut selection = Selection::new(setup, open(&setup.file, setup.max_line, None)?);
            let picked: Vec<Picked> = selection.by_ref().collect();
            let newest = picked.iter().filter_map(Picked::time).max();
            held = Some(picked);
            first_pass = Some((selection.counts, selection.problems));
            newest
        } else {
            Selection::new(setup, open(&setup.file, setup.max_line, None)?)
                .filter_map(|p| p.time())
                .max()
        };
        match newest {
            Some(newest) => shift = Some(Utc::now() - newest),
            None => counts.no_timestamps = true,
        }
    }
    let mut rewrite = Rewrite::new(setup.new_ids, shift);
    let mut selection = match held {
        Some(picked) => Selection::held(setup, picked),
        None => Selection::new(
            setup,
            open(&setup.file, setup.max_line, Some(&reading.bytes))?,
        ),
    };
    let chunk_size = CHUNK_MESSAGES.max(setup.destination.batch_size.max(1));
    let mut chunk: Vec<Outgoing> = Vec::with_capacity(chunk_size);
    let mut open_sink = true;
    let mut flush = |chunk: &mut Vec<Outgoing>, counts: &mut ReadCounts| -> bool {
        if chunk.is_empty() {
            return true;
        }
        let mapped = setup
            .destination
            .requests(chunk, Some(setup.inspector.as_ref()));
        chunk.clear();
        match mapped {
            Ok(mapped) => {
                for skipped in mapped.skipped {
                    *counts.skipped.entry(skipped.reason).or_default() += 1;
                }
                for request in mapped.requests {
                    counts.requests += 1;
                    counts.messages_in_requests += request.carries.len() as u64;
                    reading
                        .queued
                        .fetch_add(request.carries.len() as u64, Ordering::Relaxed);
                    if !sink(request) {
                        return false;
                    }
                }
                true
            }
            Err(e) => {
                counts.map_error = Some(e.to_string());
                false
            }
        }
    };
    for picked in selection.by_ref() {
        let message = match rewrite.apply(picked.message) {
            Some(message) => message,
            None => continue,
        };
        chunk.push(Outgoing {
            seq: picked.seq,
            message,
        });
        if chunk.len() >= chunk_size && !flush(&mut chunk, &mut counts) {
            open_sink = false;
            break;
        }
    }
    if open_sink {
        flush(&mut chunk, &mut counts);
    }
    reading.done.store(true, Ordering::Relaxed);
    let (seen, problems) = first_pass.unwrap_or((selection.counts, selection.problems));
    counts.messages = seen.messages;
    counts.filtered_out = seen.filtered_out;
    counts.rejected = seen.rejected;
    counts.unreadable = seen.unreadable;
    counts.over_max_line = seen.over_max_line;
    counts.max_line = setup.max_line;
    counts.read_failed = seen.read_failed;
    counts.problems = problems;
    Ok(counts)
}

fn open(
    path: &Path,
    max_line: u64,
    bytes_read: Option<&Arc<AtomicU64>>,
) -> Result<RecordingReader, String> {
    if path.as_os_str() == "-" {
        return RecordingReader::open(path)
            .map(|reader| reader.with_max_line(max_line))
            .map_err(|e| e.to_string());
    }
    let file = File::open(path).map_err(|source| {
        RecordingError::Open {
            path: path.display().to_string(),
            source,
        }
        .to_string()
    })?;
    let name = path.display().to_string();
    let reader = match bytes_read {
        Some(read) => RecordingReader::from_reader(
            Counting {
                inner: file,
                read: Arc::clone(read),
            },
            &name,
        ),
        None => RecordingReader::from_reader(file, &name),
    };
    Ok(reader.with_max_line(max_line))
}

/// How far the reader is, for the progress line.
#[derive(Default)]
struct Reading {
    /// Bytes of the file read.
    bytes: Arc<AtomicU64>,
    /// Messages in requests handed to the engine.
    queued: AtomicU64,
    /// Everything is read and mapped: `queued` is the total.
    done: AtomicBool,
}

impl Reading {
    /// The share of the replay finished, given `finished` messages: exact once reading is
    /// done, else extrapolated from the share of the file read so far.
    fn fraction(&self, finished: u64, total_bytes: Option<u64>) -> Option<f64> {
        let queued = self.queued.load(Ordering::Relaxed) as f64;
        let total = if self.done.load(Ordering::Relaxed) {
            queued
        } else {
            let total_bytes = total_bytes? as f64;
            let read = (self.bytes.load(Ordering::Relaxed) as f64 / total_bytes).min(1.0);
            if read <= 0.0 {
                return None;
            }
            queued / read
        };
        (total > 0.0).then(|| (finished as f64 / total).min(1.0))
    }
}

/// A message picked for replay.
struct Picked {
    seq: Option<u64>,
    message: Box<RawValue>,
}

impl Picked {
    /// `timestamp`, else `originalTimestamp`.
    fn time(&self) -> Option<DateTime<Utc>> {
        let fields = ObjectFields::parse(self.message.get()).ok()?;
        ["timestamp", "originalTimestamp"]
            .iter()
            .find_map(|key| fields.get_string(key).and_then(|t| parse_timestamp(&t)))
    }
}

/// Unreadable lines quoted in the summary (printing them as they come would tear the
/// progress bar).
const PROBLEMS_SHOWN: usize = 5;

#[derive(Debug, Default, Clone)]
struct SelectionCounts {
    messages: u64,
    filtered_out: u64,
    rejected: u64,
    unreadable: u64,
    over_max_line: u64,
    read_failed: Option<String>,
}

/// The messages of a recording that match the filter, in order.
struct Selection {
    source: Box<dyn Iterator<Item = ReadItem> + Send>,
    query: Option<Query>,
    /// Builds the viewer's rows, so the filter sees exactly what it sees in the TUI
    /// (verdict terms included).
    builder: EntryBuilder,
    counts: SelectionCounts,
    /// The first [`PROBLEMS_SHOWN`] unreadable lines' messages.
    problems: Vec<String>,
}

impl Selection {
    fn new(setup: &Setup, reader: RecordingReader) -> Selection {
        Selection {
            source: Box::new(reader),
            query: setup.query.clone(),
            builder: EntryBuilder::judging(Arc::clone(&setup.inspector)),
            counts: SelectionCounts::default(),
            problems: Vec::new(),
        }
    }

    /// Messages already selected (held from standard input).
    fn held(setup: &Setup, picked: Vec<Picked>) -> Selection {
        let items = picked.into_iter().map(|p| ReadItem::Frame {
            line: 0,
            frame: Frame::Event(eventscope_core::model::EventFrame {
                seq: p.seq.unwrap_or(0),
                received_at: String::new(),
                source: eventscope_core::model::Source::default(),
                message: p.message,
                redacted: None,
                adjusted: None,
            }),
        });
        Selection {
            source: Box::new(items.collect::<Vec<_>>().into_iter()),
            // Already filtered in the first pass.
            query: None,
            builder: EntryBuilder::judging(Arc::clone(&setup.inspector)),
            counts: SelectionCounts::default(),
            problems: Vec::new(),
        }
    }
}

impl Iterator for Selection {
    type Item = Picked;

    fn next(&mut self) -> Option<Picked> {
        loop {
            let event = match self.source.next()? {
                ReadItem::Frame {
                    frame: Frame::Event(event),
                    ..
                } => event,
                ReadItem::Frame {
                    frame: Frame::Rejected(_),
                    ..
                } => {
                    self.counts.rejected += 1;
                    continue;
                }
                ReadItem::Frame { .. } => continue,
                ReadItem::Problem {
                    kind: ProblemKind::ReadFailed,
                    message,
                    ..
                } => {
                    self.counts.read_failed = Some(message);
                    continue;
                }
                ReadItem::Problem { message, kind, .. } => {
                    match kind {
                        ProblemKind::OverMaxLine { .. } => self.counts.over_max_line += 1,
                        _ => self.counts.unreadable += 1,
                    }
                    if self.problems.len() < PROBLEMS_SHOWN {
                        self.problems.push(message);
                    }
                    continue;
                }
            };
            self.counts.messages += 1;
            let Some(query) = &self.query else {
                return Some(Picked {
                    seq: Some(event.seq),
                    message: event.message,
                });
            };
            let seq = event.seq;
            let entry = self.builder.build(Frame::Event(event))?;
            if !query.matches(&entry) {
                self.counts.filtered_out += 1;
                continue;
            }
            // The row's text is the message as it was; it parsed once already.
            match RawValue::from_string(entry.text.into()) {
                Ok(message) => {
                    return Some(Picked {
                        seq: Some(seq),
                        message,
                    });
                }
                Err(_) => {
                    self.counts.unreadable += 1;
                    continue;
                }
            }
        }
    }
}

/// New `messageId`s and moved timestamps.
struct Rewrite {
    new_ids: bool,
    shift: Option<chrono::TimeDelta>,
    ids: IdSource,
}

impl Rewrite {
    fn new(new_ids: bool, shift: Option<chrono::TimeDelta>) -> Rewrite {
        Rewrite {
            new_ids,
            shift,
            ids: IdSource::new(),
        }
    }

    /// The message to send; unchanged bytes when there is nothing to change. A message that
    /// is not a JSON object goes as it is (the mapper decides what to do with it).
    fn apply(&mut self, message: Box<RawValue>) -> Option<Box<RawValue>> {
        if !self.new_ids && self.shift.is_none() {
            return Some(message);
        }
        let text = message.get();
        let Ok(mut fields) = ObjectFields::parse(text) else {
            return Some(message);
        };
        if self.new_ids {
            let id = format!("es-replay-{}", self.ids.next());
            fields.set("messageId", FieldValue::string(&id));
        }
        if let Some(shift) = self.shift {
            for key in RETIMED_FIELDS {
                if let Some(moved) = fields
                    .get_string(key)
                    .and_then(|t| parse_timestamp(&t))
                    // A timestamp near chrono's limits stays as recorded instead of panicking.
                    .and_then(|t| t.checked_add_signed(shift))
                    .map(format_timestamp)
                {
                    fields.set(key, FieldValue::string(&moved));
                }
            }
        }
        let json = fields.to_json();
        drop(fields);
        RawValue::from_string(json).ok().or(Some(message))
    }
}

/// Version 4 UUIDs from a generator seeded once per run from the system's randomness: one
/// system call per run instead of one per message (replay rewrites every id by default).
/// Unique, not secret.
struct IdSource {
    state: u64,
}

impl IdSource {
    fn new() -> IdSource {
        IdSource {
            state: uuid::Uuid::new_v4().as_u64_pair().0,
        }
    }

    /// splitmix64, twice: 128 well-mixed bits, stamped as a v4 UUID.
    fn next(&mut self) -> uuid::Uuid {
        let mut half = || {
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let bits = (u128::from(half()) << 64) | u128::from(half());
        uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid()
    }
}

/// Results as they come back.
#[derive(Default)]
struct Tally {
    requests: u64,
    failed_requests: u64,
    delivered: u64,
    failed: u64,
    /// Requests that needed more than one attempt.
    retried: u64,
    /// `503 Service Unavailable`, `timeout after 5s`… → (requests, messages).
    failures: BTreeMap<String, (u64, u64)>,
    examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, frame: DeliveryFrame) {
        let messages = frame.for_seqs.len().max(frame.message_ids.len()) as u64;
        self.requests += 1;
        if frame.attempts > 1 {
            self.retried += 1;
        }
        if frame.ok {
            self.delivered += messages;
            return;
        }
        self.failed_requests += 1;
        self.failed += messages;
        let label = failure_label(&frame);
        let entry = self.failures.entry(label.clone()).or_default();
        entry.0 += 1;
        entry.1 += messages;
        if self.examples.len() < FAILURE_EXAMPLES {
            // What the destination said: its notes when it gave any (they name the fields),
            // else the body.
            let said = if frame.notes.is_empty() {
                frame
                    .response
                    .as_ref()
                    .map(|r| one_line(&r.body))
                    .unwrap_or_default()
            } else {
                let mut notes: Vec<String> = frame
                    .notes
                    .iter()
                    .take(3)
                    .map(|n| match n.path.as_str() {
                        "" => n.message.clone(),
                        path => format!("{path}: {}", n.message),
                    })
                    .collect();
                if frame.notes.len() > 3 {
                    notes.push(format!("{} more", frame.notes.len() - 3));
                }
                notes.join("; ")
            };
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": {}", clip(&said, 200))
            };
            self.examples.push(format!(
                "{label} after {} attempt{}{}{said}",
                frame.attempts,
                if frame.attempts == 1 { "" } else { "s" },
                seq_span(&frame.for_seqs),
            ));
        }
    }
}

/// `503 Service Unavailable`, `200 OK with 2 notes`, `timeout after 5s`.
fn failure_label(frame: &DeliveryFrame) -> String {
    match (frame.status, &frame.error) {
        (Some(status), error) => {
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let mut label = format!("{status} {reason}").trim_end().to_string();
            // A 2xx that failed: the destination reported problems in the payload.
            if (200..300).contains(&status) && !frame.notes.is_empty() {
                let n = frame.notes.len();
                label.push_str(&format!(
                    " with {n} problem{}",
                    if n == 1 { "" } else { "s" }
                ));
            }
            if let Some(error) = error {
                label.push_str(&format!(" ({error})"));
            }
            label
        }
        (None, Some(error)) => error.clone(),
        (None, None) => "failed".to_string(),
    }
}

/// `1 request`, `1,200 requests`.
fn count(n: u64, word: &str) -> String {
    format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

fn summary(
    destination: &Destination,
    tally: &Tally,
    counts: Option<&ReadCounts>,
    elapsed: Duration,
    interrupted: bool,
) -> Vec<String> {
    let sent = tally.delivered + tally.failed;
    let rate = sent as f64 / elapsed.as_secs_f64().max(0.001);
    let mut lines = vec![format!(
        "eventscope replay{}: {} to `{}` ({}) in {}: {} delivered, {} failed · {:.1}s, {} messages/s",
        if interrupted { " (interrupted)" } else { "" },
        count(sent, "message"),
        destination.name,
        destination.kind.as_str(),
        count(tally.requests, "request"),
        thousands(tally.delivered),
        thousands(tally.failed),
        elapsed.as_secs_f64(),
        thousands(rate.round() as u64),
    )];
    if !tally.failures.is_empty() {
        let parts: Vec<String> = tally
            .failures
            .iter()
            .map(|(label, (requests, messages))| {
                format!(
                    "{label}: {} ({})",
                    count(*requests, "request"),
                    count(*messages, "message")
                )
            })
            .collect();
        lines.push(format!("  failed: {}", parts.join("; ")));
        for example in &tally.examples {
            lines.push(format!("    ✗ {example}"));
        }
    }
    if tally.retried > 0 {
        lines.push(format!(
            "  retried: {} needed more than one attempt",
            count(tally.retried, "request")
        ));
    }
    if let Some(counts) = counts {
        for line in counts.skip_lines() {
            lines.push(format!("  {line}"));
        }
        if let Some(error) = &counts.map_error {
            lines.push(format!("  stopped: {}", one_line(error)));
        }
        if let Some(error) = &counts.read_failed {
            lines.push(format!("  stopped early: {}", one_line(error)));
        }
        if counts.messages_in_requests == 0 && counts.map_error.is_none() {
            lines.push("  nothing to replay".to_string());
        }
    }
    lines
}

/// The live line on a terminal; a plain line every few seconds otherwise.
struct Progress {
    terminal: bool,
    name: String,
    total_bytes: Option<u64>,
    every: Duration,
    shown: bool,
}

impl Progress {
    fn new(name: &str, total_bytes: Option<u64>) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress {
            terminal,
            name: name.to_string(),
            total_bytes: total_bytes.filter(|t| *t > 0),
            every: if terminal {
                Duration::from_millis(100)
            } else {
                Duration::from_secs(5)
            },
            shown: false,
        }
    }

    fn show(&mut self, tally: &Tally, reading: &Reading, started: Instant) {
        let elapsed = started.elapsed();
        // The first tick fires at once: nothing to say yet.
        if elapsed < self.every {
            return;
        }
        let done = tally.delivered + tally.failed;
        let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
        let fraction = reading.fraction(done, self.total_bytes);
        let counts = format!(
            "{} delivered · {} failed · {} messages/s",
            thousands(tally.delivered),
            thousands(tally.failed),
            thousands(rate.round() as u64)
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let bar = match fraction {
                Some(f) => {
                    let width = 24;
                    let filled = (f * width as f64).round() as usize;
                    format!(
                        "[{}{}] {:>3.0}% · ",
                        "█".repeat(filled),
                        "░".repeat(width - filled.min(width)),
                        f * 100.0
                    )
                }
                None => String::new(),
            };
            let _ = write!(err, "\r\x1b[2Kreplay → {} {bar}{counts}", self.name);
            let _ = err.flush();
        } else {
            let read = fraction
                .map(|f| format!(" ({:.0}% of the file read)", f * 100.0))
                .unwrap_or_default();
            let _ = writeln!(err, "eventscope replay: {counts}{read}");
        }
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.terminal && self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// The most read from the file at once: the recording reader buffers what it is given, and
/// bytes read but not yet parsed would make the progress estimate run ahead.
const READ_BYTES: usize = 16 * 1024;

/// Counts the bytes read from the file, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let cap = buf.len().min(READ_BYTES);
        let n = self.inner.read(&mut buf[..cap])?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn new_ids_change_only_the_message_id_and_keep_the_order() {
        let mut rewrite = Rewrite::new(true, None);
        let out = rewrite
            .apply(raw(
                r#"{"type":"track","messageId":"m1","event":"A","n":1.50}"#,
            ))
            .unwrap();
        let text = out.get();
        let id = text
            .split(r#""messageId":""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        assert!(id.starts_with("es-replay-") && id.len() == 46, "{id}");
        assert_eq!(
            text.replace(id, "X"),
            r#"{"type":"track","messageId":"X","event":"A","n":1.50}"#
        );
    }

    #[test]
    fn a_message_without_an_id_gets_one_and_ids_are_kept_on_request() {
        let mut new = Rewrite::new(true, None);
        assert!(
            new.apply(raw(r#"{"type":"track"}"#))
                .unwrap()
                .get()
                .contains("es-replay-")
        );
        let mut keep = Rewrite::new(false, None);
        let text = r#"{ "type" : "track", "messageId":"m1" }"#;
        assert_eq!(
            keep.apply(raw(text)).unwrap().get(),
            text,
            "bytes untouched"
        );
    }

    #[test]
    fn retime_moves_the_three_timestamps_only() {
        let mut rewrite = Rewrite::new(false, Some(chrono::TimeDelta::hours(1)));
        let out = rewrite
            .apply(raw(concat!(
                r#"{"timestamp":"2024-01-01T10:00:00.000Z","originalTimestamp":"2024-01-01T10:00:00+02:00","#,
                r#""sentAt":"2024-01-01T10:00:01Z","receivedAt":"2024-01-01T10:00:02.000Z","#,
                r#""properties":{"timestamp":"2024-01-01T10:00:00.000Z"}}"#
            )))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(out.get()).unwrap();
        assert_eq!(value["timestamp"], "2024-01-01T11:00:00.000Z");
        assert_eq!(value["originalTimestamp"], "2024-01-01T09:00:00.000Z");
        assert_eq!(value["sentAt"], "2024-01-01T11:00:01.000Z");
        assert_eq!(value["receivedAt"], "2024-01-01T10:00:02.000Z");
        assert_eq!(value["properties"]["timestamp"], "2024-01-01T10:00:00.000Z");
    }

    #[test]
    fn a_timestamp_at_the_edge_of_time_is_kept_not_a_panic() {
        let mut rewrite = Rewrite::new(false, Some(chrono::TimeDelta::days(365 * 1000)));
        // Accepted by `parse_timestamp`'s extended-year fallback, near chrono's last year.
        let sent = "+262000-01-01T00:00:00";
        let parsed = parse_timestamp(sent).expect("an extended year parses");
        assert!(
            parsed
                .checked_add_signed(chrono::TimeDelta::days(365 * 1000))
                .is_none()
        );
        let text = format!(r#"{{"timestamp":"2024-01-01T10:00:00Z","sentAt":"{sent}"}}"#);
        let out = rewrite.apply(raw(&text)).unwrap();
        let value: serde_json::Value = serde_json::from_str(out.get()).unwrap();
        assert_eq!(value["sentAt"], sent);
    }

    #[test]
    fn generated_ids_are_v4_uuids_and_differ() {
        let mut ids = IdSource::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 4);
        assert_eq!(b.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn a_message_that_is_not_an_object_goes_as_it_is() {
        let mut rewrite = Rewrite::new(true, Some(chrono::TimeDelta::hours(1)));
        assert_eq!(rewrite.apply(raw("[1,2]")).unwrap().get(), "[1,2]");
    }

    #[test]
    fn progress_is_extrapolated_while_reading_and_exact_after() {
        let reading = Reading::default();
        assert_eq!(reading.fraction(0, Some(1000)), None, "nothing read yet");
        reading.bytes.store(250, Ordering::Relaxed);
        reading.queued.store(100, Ordering::Relaxed);
        // A quarter of the file holds 100 messages: about 400 in all.
        assert_eq!(reading.fraction(100, Some(1000)), Some(0.25));
        assert_eq!(reading.fraction(100, None), None, "standard input: no size");
        reading.queued.store(300, Ordering::Relaxed);
        reading.done.store(true, Ordering::Relaxed);
        assert_eq!(reading.fraction(150, None), Some(0.5));
    }

    #[test]
    fn labels_name_the_status_or_the_error() {
        let frame = DeliveryFrame {
            status: Some(503),
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "503 Service Unavailable");
        let frame = DeliveryFrame {
            status: Some(200),
            notes: vec![eventscope_core::model::DeliveryNote::default(); 2],
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "200 OK with 2 problems");
        let frame = DeliveryFrame {
            error: Some("timeout after 5s".into()),
            ..DeliveryFrame::default()
        };
        assert_eq!(failure_label(&frame), "timeout after 5s");
        assert_eq!(count(1, "request"), "1 request");
        assert_eq!(count(1200, "request"), "1,200 requests");
    }
}
