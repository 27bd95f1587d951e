//! `eventscope people FILE|-`: the people of a recording. Every event message is fed to an
//! [`IdentityGraph`] (settings from `[identity]`); prints the profiles, biggest first, and the
//! refused merges (text or one JSON document), or with `--id ID` that person's messages as
//! NDJSON frames in order (pipe into `eventscope open -`). Exits 2 on usage or I/O errors.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::{Value, json};

use super::PeopleArgs;
use eventscope_core::config::Config;
use eventscope_core::identity::{IdentityGraph, Profile, ProfileId, observed_at};
use eventscope_core::model::json::Json;
use eventscope_core::model::{EventFrame, Frame, count};
use eventscope_core::recording::{ReadItem, RecordingReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One block per profile, biggest first, then the refused merges and alias links.
    Text,
    /// One JSON document: `{"profiles":[…],"refused":[…],"aliases":[…]}`.
    Json,
}

pub fn run(args: PeopleArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope people: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let (config, _) = match Config::load(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let mut graph = IdentityGraph::new(config.identity.clone());
    // With `--id`: each event frame's profile when observed (mapped to the final profile at
    // the end), and, when the input cannot be read twice (`-`), the frames themselves.
    let mut placed: Vec<Option<ProfileId>> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let keep_frames = args.id.is_some() && args.file.as_os_str() == "-";
    let mut messages = 0u64;
    for event in reader.events(|problem| eprintln!("eventscope people: {problem}")) {
        let event = match event {
            Ok(event) => event,
            Err(message) => return fail(message),
        };
        messages += 1;
        let profile = observe(&mut graph, &event);
        if args.id.is_some() {
            placed.push(profile);
            if keep_frames {
                kept.push(Frame::Event(event).to_json());
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let written = match &args.id {
        Some(id) => {
            let Some(target) = graph.profile_of(id).map(Profile::id) else {
                return fail(format!(
                    "no profile holds the identifier {id:?} ({} read)",
                    count(messages, "message")
                ));
            };
            let selected: Vec<bool> = placed
                .iter()
                .map(|p| p.and_then(|p| graph.current(p)) == Some(target))
                .collect();
            if keep_frames {
                write_selected(&mut out, kept.into_iter(), &selected)
            } else {
                // Second pass: the graph keeps only recent seqs, the file has every frame.
                match RecordingReader::open(&args.file) {
                    Ok(reader) => {
                        let frames =
                            reader
                                .with_max_line(args.max_line)
                                .filter_map(|item| match item {
                                    ReadItem::Frame {
                                        frame: frame @ Frame::Event(_),
                                        ..
                                    } => Some(frame.to_json()),
                                    _ => None,
                                });
                        write_selected(&mut out, frames, &selected)
                    }
                    Err(e) => return fail(e.to_string()),
                }
            }
        }
        None => match args.format {
            Format::Json => {
                serde_json::to_writer(&mut out, &document(&graph)).map_err(std::io::Error::from)
            }
            Format::Text => write_text(&mut out, &graph),
        },
    };
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// Feeds one event frame; returns the profile the message belongs to.
fn observe(graph: &mut IdentityGraph, event: &EventFrame) -> Option<ProfileId> {
    let tree = Json::parse(event.message.get()).ok()?;
    let at = observed_at(&tree, &event.received_at);
    graph.observe(event.seq, at, &tree).profile
}

/// The frames whose position is selected, one per line, in order.
fn write_selected(
    out: &mut impl Write,
    frames: impl Iterator<Item = String>,
    selected: &[bool],
) -> std::io::Result<()> {
    for (frame, _) in frames.zip(selected).filter(|(_, s)| **s) {
        writeln!(out, "{frame}")?;
    }
    Ok(())
}

/// A trait's stored text (compact JSON) as JSON again.
fn trait_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// `{"profiles":[…],"refused":[…],"aliases":[…]}`: the design's `people --format json`.
pub fn document(graph: &IdentityGraph) -> Value {
    let profiles: Vec<Value> = graph
        .profiles_by_size()
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id().to_string(),
                "identifiers": p.identifiers().iter().map(|i| json!({
                    "type": &*i.kind, "value": &*i.value, "firstSeq": i.first_seq,
                })).collect::<Vec<_>>(),
                "traits": p.traits().iter()
                    .map(|(k, v)| (k.clone(), trait_json(&v.value)))
                    .collect::<serde_json::Map<_, _>>(),
                "messages": p.message_count(),
                "firstSeen": p.first_seen().to_rfc3339(),
                "lastSeen": p.last_seen().to_rfc3339(),
                "merges": p.merges().iter().map(|m| json!({
                    "seq": m.seq,
                    "joined": m.joined.iter().map(ProfileId::to_string).collect::<Vec<_>>(),
                    "by": m.by.iter().map(|i| json!({"type": i.kind, "value": i.value}))
                        .collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let refused: Vec<Value> = graph
        .refusals()
        .map(|r| {
            json!({
                "seq": r.seq,
                "rule": r.rule,
                "identifier": {"type": r.identifier.kind, "value": r.identifier.value},
                "detail": r.detail,
            })
        })
        .collect();
    let aliases: Vec<Value> = graph
        .aliases()
        .map(|a| json!({"seq": a.seq, "previousId": a.previous_id, "userId": a.user_id}))
        .collect();
    json!({"profiles": profiles, "refused": refused, "aliases": aliases})
}

/// One block per profile, biggest first, then refusals and alias links.
fn write_text(out: &mut impl Write, graph: &IdentityGraph) -> std::io::Result<()> {
    for p in graph.profiles_by_size() {
        writeln!(
            out,
            "{}: {}, first seen {}, last seen {}",
            p.id(),
            count(p.message_count(), "message"),
            p.first_seen().to_rfc3339(),
            p.last_seen().to_rfc3339()
        )?;
        for i in p.identifiers() {
            writeln!(out, "  {} {} (seq {})", i.kind, i.value, i.first_seq)?;
        }
        for (name, value) in p.traits() {
            writeln!(out, "  trait {name} = {} (seq {})", value.value, value.seq)?;
        }
        for m in p.merges() {
            let joined: Vec<String> = m.joined.iter().map(ProfileId::to_string).collect();
            let by: Vec<String> =
                m.by.iter()
                    .map(|i| format!("{} {}", i.kind, i.value))
                    .collect();
            writeln!(
                out,
                "  merged {} by {}, seq {}",
                joined.join(" + "),
                by.join(", "),
                m.seq
            )?;
        }
        writeln!(out)?;
    }
    let refusals = graph.refusals();
    if refusals.len() > 0 {
        writeln!(out, "refused merges:")?;
        for r in refusals {
            writeln!(
                out,
                "  seq {}: {} {} ({}): {}",
                r.seq, r.identifier.kind, r.identifier.value, r.rule, r.detail
            )?;
        }
    }
    let aliases = graph.aliases();
    if aliases.len() > 0 {
        writeln!(out, "alias links (they merge nothing):")?;
        for a in aliases {
            writeln!(out, "  seq {}: {} → {}", a.seq, a.previous_id, a.user_id)?;
        }
    }
    Ok(())
}
