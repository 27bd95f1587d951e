//! `eventscope replay FILE --to NAME`: sends the messages of a recording (frames, bare
//! messages or batches, gzip or not, `-` for standard input) to a configured destination.
//!
//! Files: `read` opens the input and measures progress, `select` picks the messages that match
//! `--filter`, `send` drives the engine (or prints, `--dry-run`), `report` counts and
//! summarises; the rewrite (ids, timestamps, `sentAt`) is the core's
//! `forward::replay::Rewrite`, shared with the viewer's `R`.
//!
//! Reading, filtering, rewriting and mapping run on their own thread and hand requests to the
//! engine through a small bounded channel, so memory stays flat on any file size and the
//! engine keeps the destination's `concurrency` requests in flight. `--retime` needs the
//! newest timestamp first: a file is read twice, standard input is held in memory.
//!
//! Exit codes: 0 every message delivered (or nothing to send), 1 anything failed (or the
//! run was interrupted), 2 a usage, config or I/O problem before sending, or an input that
//! could not be read to its end (a truncated gzip: what was read before is sent or printed).

mod read;
mod report;
mod select;
mod send;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Utc;

use super::{ReplayArgs, one_line};
use eventscope_core::config::Config;
use eventscope_core::filter::Query;
use eventscope_core::forward::destination::DestinationError;
use eventscope_core::forward::replay::{Rewrite, message_time, shift_to_now};
use eventscope_core::forward::{Destination, Outgoing, Request};
use eventscope_core::inspect::Inspector;

use read::{Reading, open};
use report::ReadCounts;
use select::{Selection, SelectionCounts};

/// Messages handed to the mapper at once (at least a batch): enough to pay for a transform's
/// compilation once per many messages, few enough to keep the progress estimate close.
const CHUNK_MESSAGES: usize = 100;

/// Requests waiting between the reader and the engine.
const QUEUED_REQUESTS: usize = 16;

/// Distinct stripped fields the summary names, about (paths come from the config's filters,
/// so there are few).
const STRIPPED_FIELDS_SHOWN: usize = 32;

pub async fn run(args: ReplayArgs) -> ExitCode {
    let setup = match Setup::new(&args) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("eventscope replay: {}", one_line(&message));
            return ExitCode::from(2);
        }
    };
    if setup.destination.ignore_routing {
        eprintln!(
            "eventscope replay: {}",
            ignore_routing_warning(&setup.destination.name)
        );
    }
    if args.dry_run {
        send::dry_run(setup).await
    } else {
        send::send(setup, args.rate).await
    }
}

/// Said on stderr before anything is sent with `--ignore-routing`.
fn ignore_routing_warning(destination: &str) -> String {
    format!(
        "⚠ warning: --ignore-routing: `{destination}` gets every message, unstripped — also \
         those Segment would drop (consent, the integrations object, destination filters)"
    )
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
        let mut destination = Destination::from_config(table).map_err(|e| e.to_string())?;
        destination.ignore_routing = args.ignore_routing;
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
        ignore_routing: setup.destination.ignore_routing,
        ..ReadCounts::default()
    };
    let stdin = setup.file.as_os_str() == "-";
    let mut shift = None;
    let mut held: Option<Vec<Outgoing>> = None;
    // Standard input is read once, in the first pass: what it saw is what counts.
    let mut first_pass: Option<(SelectionCounts, Vec<String>)> = None;
    if setup.retime {
        // The newest timestamp becomes now; everything keeps its distance to it.
        shift = if stdin {
            let mut selection = Selection::new(setup, open(&setup.file, setup.max_line, None)?);
            let picked: Vec<Outgoing> = selection.by_ref().collect();
            let shift = shift_to_now(
                picked.iter().filter_map(|p| message_time(&p.message)),
                Utc::now(),
            );
            held = Some(picked);
            first_pass = Some((selection.counts, selection.problems));
            shift
        } else {
            let selection = Selection::new(setup, open(&setup.file, setup.max_line, None)?);
            shift_to_now(
                selection.filter_map(|p| message_time(&p.message)),
                Utc::now(),
            )
        };
        counts.no_timestamps = shift.is_none();
    }
    let rewrite = Rewrite::new(setup.new_ids, shift);
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
                    match skipped.dropped {
                        Some(reason) => {
                            *counts
                                .dropped
                                .entry(reason.as_str().to_string())
                                .or_default()
                                .entry(skipped.reason)
                                .or_default() += 1
                        }
                        None => *counts.skipped.entry(skipped.reason).or_default() += 1,
                    }
                }
                for stripped in mapped.stripped {
                    counts.stripped += 1;
                    if counts.stripped_fields.len() < STRIPPED_FIELDS_SHOWN {
                        counts.stripped_fields.extend(stripped.fields);
                    }
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
        chunk.push(Outgoing {
            seq: picked.seq,
            message: rewrite.apply(picked.message),
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
