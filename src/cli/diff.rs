//! `eventscope diff FILE|-`: how events' shapes changed across a recording (`diff::shape`).
//! With `--event NAME` one event (a track's name, or a message type), its changes and then its
//! paths; without it, every event whose shape changed. Text or one JSON document. Exits 0 when
//! read (changes or not), 2 on usage or I/O errors or when the event asked for never occurs.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::{Value, json};

use super::DiffArgs;
use eventscope_core::diff::shape::{
    EventShape, ShapeChange, ShapeChangeKind, ShapeOptions, Shapes,
};
use eventscope_core::model::count;
use eventscope_core::model::json::Json;
use eventscope_core::recording::RecordingReader;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per event: its changes, one a line (`seq N  PATH  what`).
    Text,
    /// One JSON document: `{"messages":N,"events":[…],"unchanged":N,"untracked":N}`.
    Json,
}

pub fn run(args: DiffArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope diff: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let mut shapes = Shapes::new(ShapeOptions {
        event: args.event.clone(),
        ..ShapeOptions::default()
    });
    let mut read = 0u64;
    for event in reader.events(|problem| eprintln!("eventscope diff: {problem}")) {
        let event = match event {
            Ok(event) => event,
            Err(message) => return fail(message),
        };
        read += 1;
        // The reader accepted it as a message: an object, so it parses.
        if let Ok(message) = Json::parse(event.message.get()) {
            shapes.observe(event.seq, &message);
        }
    }
    let untracked = shapes.untracked;
    let events = shapes.finish();
    if let Some(name) = &args.event
        && events.is_empty()
    {
        return fail(format!(
            "no message of the event {name:?} ({} read); name a track event or a message type",
            count(read, "message")
        ));
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let one = args.event.is_some();
    let written = match args.format {
        Format::Json => serde_json::to_writer(&mut out, &document(read, &events, untracked, one))
            .map_err(std::io::Error::from),
        Format::Text => write_text(&mut out, read, &events, untracked, one),
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// What a change says, in words: `type number → string`, `appeared (string)`.
fn described(change: &ShapeChange) -> String {
    match change.kind {
        ShapeChangeKind::Appeared { types } => format!("appeared ({types})"),
        ShapeChangeKind::Disappeared { types } => format!("disappeared (was {types})"),
        ShapeChangeKind::TypeChanged { from, to } => format!("type {from} → {to}"),
    }
}

fn write_text(
    out: &mut impl Write,
    read: u64,
    events: &[EventShape],
    untracked: u64,
    one: bool,
) -> std::io::Result<()> {
    let mut unchanged = 0;
    for event in events {
        if event.changes.is_empty() && !one {
            unchanged += 1;
            continue;
        }
        writeln!(
            out,
            "{}: {}, seq {}–{}, {}",
            shown_name(event),
            count(event.messages, "message"),
            event.first_seq,
            event.last_seq,
            count(event.changes.len() as u64 + event.more, "shape change"),
        )?;
        let width = event
            .changes
            .iter()
            .map(|c| c.path.chars().count())
            .max()
            .unwrap_or(0);
        for change in &event.changes {
            writeln!(
                out,
                "  seq {:<8} {:<width$}  {}",
                change.seq,
                change.path,
                described(change)
            )?;
        }
        if event.more > 0 {
            writeln!(out, "  … {} more", event.more)?;
        }
        if event.untracked_paths > 0 {
            writeln!(
                out,
                "  ({} past the cap of {} not followed)",
                count(event.untracked_paths, "new path"),
                ShapeOptions::default().max_paths
            )?;
        }
        if one {
            writeln!(out, "paths:")?;
            let width = event
                .paths
                .iter()
                .map(|p| p.path.chars().count())
                .max()
                .unwrap_or(0);
            for path in &event.paths {
                writeln!(
                    out,
                    "  {:<width$}  {:<14} seq {}–{}",
                    path.path,
                    path.types.to_string(),
                    path.first_seq,
                    path.last_seq
                )?;
            }
        }
        writeln!(out)?;
    }
    if !one {
        writeln!(
            out,
            "{} read; {} changed shape, {} did not",
            count(read, "message"),
            count((events.len() - unchanged) as u64, "event"),
            unchanged
        )?;
    }
    if untracked > 0 {
        writeln!(
            out,
            "({} of events past the cap of {} not followed)",
            count(untracked, "message"),
            ShapeOptions::default().max_events
        )?;
    }
    Ok(())
}

/// A track's name in quotes; a message type as is.
fn shown_name(event: &EventShape) -> String {
    if event.kind == "track" {
        format!("{:?}", event.name)
    } else if event.name.is_empty() {
        "(no type)".to_string()
    } else {
        event.name.clone()
    }
}

/// The design's `diff --format json` document.
pub fn document(read: u64, events: &[EventShape], untracked: u64, one: bool) -> Value {
    let shown: Vec<Value> = events
        .iter()
        .filter(|e| one || !e.changes.is_empty())
        .map(|e| {
            let changes: Vec<Value> = e
                .changes
                .iter()
                .map(|c| {
                    let mut change = json!({"seq": c.seq, "path": c.path, "change": c.kind.name()});
                    match c.kind {
                        ShapeChangeKind::Appeared { types }
                        | ShapeChangeKind::Disappeared { types } => {
                            change["types"] = json!(types.to_string());
                        }
                        ShapeChangeKind::TypeChanged { from, to } => {
                            change["from"] = json!(from.to_string());
                            change["to"] = json!(to.to_string());
                        }
                    }
                    change
                })
                .collect();
            let paths: Vec<Value> = e
                .paths
                .iter()
                .map(|p| {
                    json!({"path": p.path, "types": p.types.to_string(),
                           "firstSeq": p.first_seq, "lastSeq": p.last_seq})
                })
                .collect();
            json!({
                "event": e.name, "type": e.kind, "messages": e.messages,
                "firstSeq": e.first_seq, "lastSeq": e.last_seq,
                "changes": changes, "more": e.more,
                "paths": paths, "untrackedPaths": e.untracked_paths,
            })
        })
        .collect();
    let unchanged = events.len() - shown.len();
    json!({"messages": read, "events": shown, "unchanged": unchanged, "untracked": untracked})
}
