//! Reads recordings and other NDJSON: stream frames, bare Segment messages, or `{"batch":[…]}`
//! lines, optionally gzip-compressed. A bad line is reported with its number and skipped.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::RecordingError;
use crate::model::{EventFrame, Frame, Incoming, parse_frame_text};

/// One item read from a recording.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // frames are moved once, not stored in bulk
pub enum ReadItem {
    Frame {
        line: u64,
        frame: Frame,
    },
    /// A line that could not be read; reading goes on with the next one.
    Problem {
        line: u64,
        message: String,
    },
}

pub struct RecordingReader {
    input: Box<dyn BufRead + Send>,
    name: String,
    line: u64,
    last_seq: u64,
    buf: Vec<u8>,
    queued: VecDeque<ReadItem>,
    done: bool,
}

impl RecordingReader {
    /// Opens a file, or standard input for `-`. Gzip is detected from the content.
    pub fn open(path: &Path) -> Result<RecordingReader, RecordingError> {
        let name = path.display().to_string();
        if name == "-" {
            return Ok(Self::from_reader(io::stdin(), "stdin"));
        }
        let file = File::open(path).map_err(|source| RecordingError::Open {
            path: name.clone(),
            source,
        })?;
        Ok(Self::from_reader(file, &name))
    }

    /// Reads from any byte source; `name` is used in frames' `source.path` and messages.
    pub fn from_reader(reader: impl io::Read + Send + 'static, name: &str) -> RecordingReader {
        let mut buffered = BufReader::with_capacity(256 * 1024, reader);
        let gzipped = matches!(buffered.fill_buf(), Ok(head) if head.starts_with(&[0x1f, 0x8b]));
        let input: Box<dyn BufRead + Send> = if gzipped {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        RecordingReader {
            input,
            name: name.to_string(),
            line: 0,
            last_seq: 0,
            buf: Vec::with_capacity(16 * 1024),
            queued: VecDeque::new(),
            done: false,
        }
    }

    fn read_line(&mut self) -> Option<ReadItem> {
        self.buf.clear();
        match self.input.read_until(b'\n', &mut self.buf) {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                self.done = true;
                return Some(ReadItem::Problem {
                    line: self.line + 1,
                    message: format!("{}: read failed after line {}: {e}", self.name, self.line),
                });
            }
        }
        self.line += 1;
        let line = self.line;
        let complete = self.buf.last() == Some(&b'\n');
        let text = match std::str::from_utf8(&self.buf) {
            Ok(text) => text.trim(),
            Err(e) => {
                return Some(ReadItem::Problem {
                    line,
                    message: format!("{}:{line}: not UTF-8 ({e}); skipped", self.name),
                });
            }
        };
        if text.is_empty() {
            return None;
        }
        let incoming = match parse_frame_text(text) {
            Ok(incoming) => incoming,
            Err(e) if !complete => {
                return Some(ReadItem::Problem {
                    line,
                    message: format!(
                        "{}:{line}: the last line is incomplete (a write cut off?): {e}; skipped",
                        self.name
                    ),
                });
            }
            Err(e) => {
                return Some(ReadItem::Problem {
                    line,
                    message: format!("{}:{line}: {e}; skipped", self.name),
                });
            }
        };
        match incoming {
            Incoming::Frame(frame) => {
                if let Some(seq) = frame.seq() {
                    self.last_seq = self.last_seq.max(seq);
                }
                Some(ReadItem::Frame { line, frame })
            }
            Incoming::Messages(messages) => {
                for message in messages {
                    self.last_seq += 1;
                    let frame = EventFrame::from_plain(self.last_seq, message, &self.name);
                    self.queued.push_back(ReadItem::Frame {
                        line,
                        frame: Frame::Event(frame),
                    });
                }
                self.queued.pop_front()
            }
        }
    }
}

impl Iterator for RecordingReader {
    type Item = ReadItem;

    fn next(&mut self) -> Option<ReadItem> {
        if let Some(item) = self.queued.pop_front() {
            return Some(item);
        }
        while !self.done {
            if let Some(item) = self.read_line() {
                return Some(item);
            }
        }
        None
    }
}
