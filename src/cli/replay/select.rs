//! The messages of a recording that match `--filter`, in order, and what was passed over
//! (rejected requests, unreadable lines, lines over `--max-line`).

use std::sync::Arc;

use serde_json::value::RawValue;

use super::Setup;
use eventscope_core::entry::EntryBuilder;
use eventscope_core::filter::Query;
use eventscope_core::forward::Outgoing;
use eventscope_core::model::Frame;
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader};

/// Unreadable lines quoted in the summary (printing them as they come would tear the
/// progress bar).
const PROBLEMS_SHOWN: usize = 5;

#[derive(Debug, Default, Clone)]
pub(super) struct SelectionCounts {
    pub(super) messages: u64,
    pub(super) filtered_out: u64,
    pub(super) rejected: u64,
    pub(super) unreadable: u64,
    pub(super) over_max_line: u64,
    pub(super) read_failed: Option<String>,
}

/// The messages of a recording that match the filter, in order.
pub(super) struct Selection {
    source: Box<dyn Iterator<Item = ReadItem> + Send>,
    query: Option<Query>,
    /// Builds the viewer's rows, so the filter sees exactly what it sees in the TUI
    /// (verdict terms included).
    builder: EntryBuilder,
    pub(super) counts: SelectionCounts,
    /// The first [`PROBLEMS_SHOWN`] unreadable lines' messages.
    pub(super) problems: Vec<String>,
}

impl Selection {
    pub(super) fn new(setup: &Setup, reader: RecordingReader) -> Selection {
        Selection {
            source: Box::new(reader),
            query: setup.query.clone(),
            builder: EntryBuilder::judging(Arc::clone(&setup.inspector)),
            counts: SelectionCounts::default(),
            problems: Vec::new(),
        }
    }

    /// Messages already selected (held from standard input).
    pub(super) fn held(setup: &Setup, picked: Vec<Outgoing>) -> Selection {
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
    type Item = Outgoing;

    fn next(&mut self) -> Option<Outgoing> {
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
                return Some(Outgoing {
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
                    return Some(Outgoing {
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
