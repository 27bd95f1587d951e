//! The invariants checked by the fuzz targets (`fuzz/`, nightly, libFuzzer) and by the property
//! tests (`tests/properties.rs`, stable, proptest): one definition for both, so a fuzz crash and
//! a failing property mean the same thing.
//!
//! Each `check_*` takes arbitrary input and returns `Err` with a description when an invariant
//! does not hold; a panic inside the code under test is a failure too. Nothing here trusts the
//! input: bytes that are not UTF-8, not JSON or not a plan are legal input and must be handled.
//!
//! Used from `tests/properties.rs` as `mod invariants;` and from `fuzz/src/lib.rs` through a
//! `#[path]` attribute. Fixtures are embedded with `include_str!`, relative to this file.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri};
use eventscope_core::collector::{Collector, CollectorConfig};
use eventscope_core::filter::{Filterable, Query};
use eventscope_core::hub::{Hub, Subscription};
use eventscope_core::inspect::pii::{PiiMatchers, mask};
use eventscope_core::inspect::plan::TrackingPlan;
use eventscope_core::inspect::{Finding, Kind};
use eventscope_core::model::json::Json;
use eventscope_core::model::pretty::{index_path, key_path, pretty};
use eventscope_core::model::{Frame, FrameKind};
use eventscope_core::recording::{ReadItem, RecordingReader};
use serde_json::Value;

/// 600 Segment messages, one per line.
pub const EVENTS: &str = include_str!("../fixtures/events.ndjson");
/// A tracking plan in Segment's Public API shape.
pub const PLAN: &str = include_str!("../fixtures/plan.json");

/// The path segments after `/v1/` the collector target posts to (`nope` is unknown).
pub const ENDPOINTS: [&str; 16] = [
    "track", "identify", "page", "screen", "group", "alias", "batch", "import", "t", "i", "p", "s",
    "g", "a", "b", "nope",
];

/// An invariant that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A published frame holds a `\n` or `\r` byte: it would span lines in a recording and on
    /// `tail` (issue 9, item 1).
    SpansLines { frame: String },
    /// A published frame is not JSON to serde_json, so every reader refuses it: a lone
    /// surrogate, nesting past serde_json's limit or a number out of f64's range (issue 9,
    /// item 2).
    ReadersReject { frame: String, error: String },
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::SpansLines { frame } => {
                write!(f, "a published frame spans lines: {frame:?}")
            }
            Violation::ReadersReject { frame, error } => {
                write!(
                    f,
                    "a published frame is not JSON to the readers ({error}): {frame:?}"
                )
            }
            Violation::Other(message) => f.write_str(message),
        }
    }
}

fn other(message: impl Into<String>) -> Violation {
    Violation::Other(message.into())
}

// ---------------------------------------------------------------------------------------------
// The collector: body → frames → recording reader

/// What one POST did.
#[derive(Debug)]
pub struct Posted {
    pub status: u16,
    /// The `message` of each `event` frame, in order.
    pub messages: Vec<Value>,
    /// The `code` of the `rejected` frame, when the request was refused.
    pub rejected: Option<String>,
}

/// A collector on a hub, driven on a current-thread runtime, with a subscription that reads
/// every frame each request publishes. Reused across inputs (building a runtime per input
/// would dominate the fuzzer's time).
pub struct CollectorHarness {
    runtime: tokio::runtime::Runtime,
    collector: Arc<Collector>,
    subscription: Subscription,
}

impl Default for CollectorHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl CollectorHarness {
    pub fn new() -> CollectorHarness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        // More than a batch's 2,500 items plus its frame: a read never meets a gap.
        let hub = Hub::new(4096, None);
        let subscription = hub.subscribe(None);
        let collector = Collector::new(hub, CollectorConfig::default());
        CollectorHarness {
            runtime,
            collector,
            subscription,
        }
    }

    /// POSTs `body` to `/v1/{segment}` and checks every frame it published:
    /// - a 200 published only `event` frames; a refusal exactly one `rejected` frame;
    /// - every frame is one line (no `\n` or `\r` byte) and JSON to serde_json;
    /// - an event's message range points at its message;
    /// - the recording reader reads the frame back: the same kind and seq, and for an event
    ///   a message equal (as a `serde_json::Value`) to the one published.
    pub fn post(&mut self, segment: &str, body: Vec<u8>) -> Result<Posted, Violation> {
        let uri: Uri = match format!("/v1/{segment}").parse() {
            Ok(uri) => uri,
            Err(e) => return Err(other(format!("not a path segment {segment:?}: {e}"))),
        };
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        let collector = Arc::clone(&self.collector);
        let response = self.runtime.block_on(async move {
            collector
                .request(peer, Method::POST, uri, HeaderMap::new(), Body::from(body))
                .await
        });
        let status = response.status().as_u16();

        let mut frames = Vec::new();
        loop {
            let batch = self.subscription.read(usize::MAX);
            if let Some(gap) = batch.gap {
                return Err(other(format!("the harness missed frames: {gap:?}")));
            }
            if batch.frames.is_empty() {
                break;
            }
            frames.extend(batch.frames);
        }

        let mut posted = Posted {
            status,
            messages: Vec::new(),
            rejected: None,
        };
        for stored in &frames {
            let json = &stored.json[..];
            let text = String::from_utf8_lossy(json);
            if json.iter().any(|&b| b == b'\n' || b == b'\r') {
                return Err(Violation::SpansLines {
                    frame: text.into_owned(),
                });
            }
            let value: Value =
                serde_json::from_slice(json).map_err(|e| Violation::ReadersReject {
                    frame: text.to_string(),
                    error: e.to_string(),
                })?;
            if value["type"] != stored.kind.as_str() || value["seq"] != stored.seq {
                return Err(other(format!(
                    "frame {} ({}) says otherwise: {text}",
                    stored.seq,
                    stored.kind.as_str()
                )));
            }
            let read = read_back(json)?;
            match (stored.kind, read) {
                (FrameKind::Event, Frame::Event(event)) => {
                    let published = &value["message"];
                    if let Some(range) = &stored.message {
                        let inner = json
                            .get(range.start as usize..range.end as usize)
                            .and_then(|m| serde_json::from_slice::<Value>(m).ok());
                        if inner.as_ref() != Some(published) {
                            return Err(other(format!(
                                "the message range {range:?} does not hold the message: {text}"
                            )));
                        }
                    }
                    let back: Value = serde_json::from_str(event.message.get()).map_err(|e| {
                        other(format!("the reader's message is not JSON ({e}): {text}"))
                    })?;
                    if &back != published || event.seq != stored.seq {
                        return Err(other(format!(
                            "read back differs: published {published}, read {back} (seq {})",
                            event.seq
                        )));
                    }
                    posted.messages.push(back);
                }
                (FrameKind::Rejected, Frame::Rejected(rejected)) => {
                    if value["body"] != rejected.body.as_str()
                        || value["code"] != rejected.code.as_str()
                        || rejected.seq != stored.seq
                    {
                        return Err(other(format!("rejected frame read back differs: {text}")));
                    }
                    posted.rejected = Some(rejected.code);
                }
                (kind, read) => {
                    return Err(other(format!(
                        "a {} frame read back as {}",
                        kind.as_str(),
                        read.to_json()
                    )));
                }
            }
        }

        let rejected_frames = frames
            .iter()
            .filter(|f| f.kind == FrameKind::Rejected)
            .count();
        let event_frames = frames.iter().filter(|f| f.kind == FrameKind::Event).count();
        if status == 200 {
            if rejected_frames != 0 || event_frames != frames.len() {
                return Err(other(format!(
                    "a 200 published {rejected_frames} rejected frame(s) and {} others",
                    frames.len() - rejected_frames
                )));
            }
        } else if rejected_frames != 1 || frames.len() != 1 {
            return Err(other(format!(
                "a {status} published {} frame(s), {rejected_frames} rejected",
                frames.len()
            )));
        }
        Ok(posted)
    }
}

/// Reads one frame's text as a recording line.
fn read_back(json: &[u8]) -> Result<Frame, Violation> {
    let mut line = json.to_vec();
    line.push(b'\n');
    let items: Vec<ReadItem> = RecordingReader::from_reader(Cursor::new(line), "fuzz").collect();
    let text = String::from_utf8_lossy(json);
    match <[ReadItem; 1]>::try_from(items) {
        Ok([ReadItem::Frame { frame, .. }]) => Ok(frame),
        Ok([ReadItem::Problem { message, .. }]) => Err(other(format!(
            "serde_json reads the frame but the recording reader refuses it ({message}): {text}"
        ))),
        Err(items) => Err(other(format!(
            "one frame read back as {} items: {text}",
            items.len()
        ))),
    }
}

/// The fuzz input of the collector target: the first byte picks the endpoint, the rest is the
/// body.
pub fn split_collector_input(data: &[u8]) -> Option<(&'static str, &[u8])> {
    let (&pick, body) = data.split_first()?;
    Some((ENDPOINTS[pick as usize % ENDPOINTS.len()], body))
}

// ---------------------------------------------------------------------------------------------
// The pretty re-indenter

/// - never panics; key and value ranges lie inside their line, on character boundaries;
/// - for text the readers take as JSON: one line per scalar, empty container and bracket, in
///   document order, each with the path and depth a walk of the parsed value gives, indented
///   by two spaces a level, no line breaks inside a line, keys and scalars as written, and the
///   lines joined parse to the same value.
pub fn check_pretty(text: &str) -> Result<(), Violation> {
    let doc = pretty(text);
    for (n, line) in doc.lines.iter().enumerate() {
        for range in [&line.key, &line.value].into_iter().flatten() {
            if line.text.get(range.clone()).is_none() {
                return Err(other(format!(
                    "line {n} {:?}: range {range:?} is not inside it",
                    line.text
                )));
            }
        }
    }
    let Ok(json) = Json::parse(text) else {
        return Ok(());
    };
    let mut expected = Vec::new();
    expected_lines(&json, String::new(), 0, None, &mut expected);
    if doc.lines.len() != expected.len() {
        return Err(other(format!(
            "{} lines for a document of {} (raw fallback for valid JSON?): {text:?}",
            doc.lines.len(),
            expected.len()
        )));
    }
    for (n, (line, want)) in doc.lines.iter().zip(&expected).enumerate() {
        let indent = 2 * usize::from(line.depth);
        if line.path != want.path
            || usize::from(line.depth) != want.depth
            || line.text.len() < indent
            || !line.text[..indent].bytes().all(|b| b == b' ')
            || line.text.as_bytes().get(indent) == Some(&b' ')
            || line.text.contains(['\n', '\r'])
        {
            return Err(other(format!(
                "line {n} {:?} (path {:?}, depth {}) should have path {:?} and depth {}",
                line.text, line.path, line.depth, want.path, want.depth
            )));
        }
        let key = line
            .key
            .clone()
            .and_then(|r| serde_json::from_str::<String>(&line.text[r]).ok());
        if key != want.key {
            return Err(other(format!(
                "line {n} {:?}: key {key:?}, expected {:?}",
                line.text, want.key
            )));
        }
        let scalar = line
            .value
            .clone()
            .and_then(|r| serde_json::from_str::<Value>(&line.text[r]).ok());
        if scalar != want.scalar {
            return Err(other(format!(
                "line {n} {:?}: value {scalar:?}, expected {:?}",
                line.text, want.scalar
            )));
        }
    }
    let joined: String = doc.lines.iter().map(|l| l.text.trim()).collect();
    let again: Result<Value, _> = serde_json::from_str(&joined);
    let original: Result<Value, _> = serde_json::from_str(text);
    match (again, original) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (again, _) => Err(other(format!(
            "the pretty lines read back as {again:?}, not as the original {text:?}"
        ))),
    }
}

struct ExpectedLine {
    path: String,
    depth: usize,
    key: Option<String>,
    /// The value of a scalar line.
    scalar: Option<Value>,
}

fn expected_lines(
    json: &Json<'_>,
    path: String,
    depth: usize,
    key: Option<&str>,
    out: &mut Vec<ExpectedLine>,
) {
    let line = |path: String, key: Option<&str>, scalar: Option<Value>| ExpectedLine {
        path,
        depth,
        key: key.map(str::to_string),
        scalar,
    };
    match json {
        Json::Array(items) if !items.is_empty() => {
            out.push(line(path.clone(), key, None));
            for (i, item) in items.iter().enumerate() {
                expected_lines(item, index_path(&path, i), depth + 1, None, out);
            }
            out.push(line(path, None, None));
        }
        Json::Object(object) if !object.is_empty() => {
            out.push(line(path.clone(), key, None));
            for (k, v) in object.iter() {
                expected_lines(v, key_path(&path, k), depth + 1, Some(k), out);
            }
            out.push(line(path, None, None));
        }
        Json::Array(_) | Json::Object(_) => out.push(line(path, key, None)),
        scalar => out.push(line(path, key, Some(scalar.to_value()))),
    }
}

// ---------------------------------------------------------------------------------------------
// The filter parser

/// A frame for filters, built from a fixture line.
#[derive(Debug, Clone)]
pub struct Sample {
    text: String,
    message_type: Option<String>,
    event: Option<String>,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    message_id: Option<String>,
    write_key: Option<String>,
    rejected: bool,
}

impl Sample {
    pub fn from_message(text: &str) -> Sample {
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let get = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        Sample {
            text: text.to_string(),
            message_type: get("type"),
            event: get("event").or_else(|| get("name")),
            user_id: get("userId"),
            anonymous_id: get("anonymousId"),
            message_id: get("messageId"),
            write_key: Some("wk_t…cdef".to_string()),
            rejected: false,
        }
    }

    pub fn rejected(body: &str) -> Sample {
        Sample {
            text: body.to_string(),
            message_type: None,
            event: None,
            user_id: None,
            anonymous_id: None,
            message_id: None,
            write_key: None,
            rejected: true,
        }
    }
}

impl Filterable for Sample {
    fn text(&self) -> &str {
        &self.text
    }
    fn message_type(&self) -> Option<&str> {
        self.message_type.as_deref()
    }
    fn event_name(&self) -> Option<&str> {
        self.event.as_deref()
    }
    fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    fn anonymous_id(&self) -> Option<&str> {
        self.anonymous_id.as_deref()
    }
    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }
    fn write_key(&self) -> Option<&str> {
        self.write_key.as_deref()
    }
    fn is_rejected(&self) -> bool {
        self.rejected
    }
}

/// A dozen fixture messages of every type, and a rejected body.
pub fn filter_samples() -> Vec<Sample> {
    let mut samples: Vec<Sample> = EVENTS
        .lines()
        .step_by(50)
        .map(Sample::from_message)
        .collect();
    samples.push(Sample::rejected(r#"{"event":"Order Completed""#));
    samples
}

/// - never panics; an error's position is a character boundary of the input;
/// - a query keeps its source, and its highlights are ASCII-lowercase without duplicates;
/// - without `jq:` (whose budget is another item of issue 9), matching any sample does not
///   panic, and `-(q)` matches exactly what `q` does not, `q or q` and `(q) (q)` what `q`
///   does.
pub fn check_filter(input: &str, samples: &[Sample]) -> Result<(), Violation> {
    let query = match Query::parse(input) {
        Ok(query) => query,
        Err(e) => {
            if !input.is_char_boundary(e.position) || e.message.is_empty() {
                return Err(other(format!(
                    "error {:?} at {} for {input:?}: not a boundary of the input",
                    e.message, e.position
                )));
            }
            return Ok(());
        }
    };
    if query.source() != input {
        return Err(other(format!("source {:?} for {input:?}", query.source())));
    }
    let mut seen = HashSet::new();
    for h in query.highlights() {
        if h.is_empty() || *h != h.to_ascii_lowercase() || !seen.insert(h) {
            return Err(other(format!(
                "highlights {:?} for {input:?}",
                query.highlights()
            )));
        }
    }
    if input.to_ascii_lowercase().contains("jq") {
        return Ok(());
    }
    let variants = [
        (format!("-({input})"), true),
        (format!("{input} or {input}"), false),
        (format!("({input}) ({input})"), false),
    ];
    for (text, negated) in variants {
        let Ok(variant) = Query::parse(&text) else {
            // `q` can end in an escape or a field that swallows what follows.
            continue;
        };
        for sample in samples {
            let want = query.matches(sample) != negated;
            if variant.matches(sample) != want {
                return Err(other(format!(
                    "{text:?} gives {} on {:?} where {input:?} gives {}",
                    !want,
                    sample.text,
                    query.matches(sample)
                )));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The plan loader

/// Fixture messages parsed once, for checking plans against.
pub fn plan_samples() -> Vec<Value> {
    EVENTS
        .lines()
        .step_by(25)
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// - loading any text never panics; an error says something;
/// - a plan that loads checks fixture messages without panicking, and gives only `plan`
///   findings.
pub fn check_plan(text: &str, samples: &[Value]) -> Result<(), Violation> {
    let plan = match TrackingPlan::parse(text, "fuzz.json") {
        Ok(plan) => plan,
        Err(e) => {
            return if e.to_string().trim().is_empty() {
                Err(other(format!("an empty error for {text:?}")))
            } else {
                Ok(())
            };
        }
    };
    for sample in samples {
        let mut findings = Vec::new();
        plan.check(&Json::from_value(sample), &mut findings);
        if let Some(f) = findings.iter().find(|f| f.kind != Kind::Plan) {
            return Err(other(format!("a plan gave a {:?} finding: {f:?}", f.kind)));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The recording reader

/// - reading any bytes never panics and ends;
/// - line numbers never go down;
/// - every frame read writes back as one line that reads back as the same frame.
pub fn check_reader(bytes: &[u8]) -> Result<(), Violation> {
    let mut last_line = 0;
    for item in RecordingReader::from_reader(Cursor::new(bytes.to_vec()), "fuzz") {
        let line = match &item {
            ReadItem::Frame { line, .. } | ReadItem::Problem { line, .. } => *line,
        };
        if line < last_line || line == 0 {
            return Err(other(format!("line {line} after line {last_line}")));
        }
        last_line = line;
        let ReadItem::Frame { frame, .. } = item else {
            continue;
        };
        let json = frame.to_json();
        if json.contains(['\n', '\r']) {
            return Err(Violation::SpansLines { frame: json });
        }
        let again = read_back(json.as_bytes())?.to_json();
        if again != json {
            return Err(other(format!(
                "a frame read, written and read again changed:\n{json}\n{again}"
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The PII scanner

/// - scanning any JSON never panics;
/// - every finding is a PII finding with a class, at a path that exists in the message;
/// - `actual` never shows the whole string at the finding's path when it is longer than 8
///   characters (unless the string is its own mask, like `ab*****cd`).
pub fn check_pii(text: &str, matchers: &PiiMatchers) -> Result<(), Violation> {
    let Ok(message) = Json::parse(text) else {
        return Ok(());
    };
    let mut findings: Vec<Finding> = Vec::new();
    matchers.scan(&message, &mut findings);
    if findings.is_empty() {
        return Ok(());
    }
    let mut paths = HashMap::new();
    walk(&message, String::new(), &mut paths);
    for f in &findings {
        let Some(at) = paths
            .get(&f.path)
            .filter(|_| f.kind == Kind::Pii && f.pii.is_some())
        else {
            return Err(other(format!(
                "finding {f:?} is not a PII finding at a path of {text:?}"
            )));
        };
        if let (Some(actual), Some(s)) = (&f.actual, at)
            && actual.contains(s.as_str())
            && mask(s) != *s
        {
            return Err(other(format!(
                "finding {} at {} shows {s:?} unmasked: {actual:?}",
                f.rule, f.path
            )));
        }
    }
    Ok(())
}

/// Every path of the message, with the string there when it is longer than 8 characters.
fn walk(json: &Json<'_>, path: String, paths: &mut HashMap<String, Option<String>>) {
    let long = match json {
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, index_path(&path, i), paths);
            }
            None
        }
        Json::Object(object) => {
            for (k, v) in object.iter() {
                walk(v, key_path(&path, k), paths);
            }
            None
        }
        Json::String(s) if s.chars().count() > 8 => Some(s.to_string()),
        _ => None,
    };
    paths.insert(path, long);
}
