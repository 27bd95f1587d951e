//! Reads recordings and other NDJSON: stream frames, bare Segment messages, or `{"batch":[…]}`
//! lines, optionally gzip-compressed. A bad line is reported with its number and skipped.
//!
//! Reading streams: at most [`RecordingReader::with_max_line`] bytes of a line are held. A
//! longer line is passed over to its newline without being kept, and reported with its size.
//! An input that cannot be read to its end (an I/O error, a truncated gzip) ends the items with
//! a [`ProblemKind::ReadFailed`] problem, after everything read before it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::RecordingError;
use crate::model::{EventFrame, Frame, Incoming, parse_frame_text};

/// The longest line read by default (`--max-line`): 64 MiB.
pub const DEFAULT_MAX_LINE: u64 = 64 * 1024 * 1024;

/// The line buffer's capacity kept between lines; a long line's memory goes back after it.
const KEPT_CAPACITY: usize = 64 * 1024;

/// One item read from a recording.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // frames are moved once, not stored in bulk
pub enum ReadItem {
    Frame {
        line: u64,
        frame: Frame,
    },
    /// A line that could not be read; reading goes on with the next one, except after
    /// [`ProblemKind::ReadFailed`], which is the last item.
    Problem {
        line: u64,
        message: String,
        kind: ProblemKind,
    },
}

/// One step of [`RecordingReader::step`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // moved once per line, not stored
pub enum Step {
    /// A line's text is ready: read it with [`RecordingReader::text`].
    Line { line: u64, complete: bool },
    /// A frame or problem, as the iterator gives them.
    Item(ReadItem),
    /// A blank line.
    Skip,
    /// Nothing more.
    End,
}

/// Why a line was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not a frame, a message or a batch (or not UTF-8, or a torn last line): skipped.
    Unreadable,
    /// Longer than the reader's cap: passed over without being held. `bytes`: its length
    /// (without the newline).
    OverMaxLine { bytes: u64 },
    /// The input could not be read further (an I/O error, a truncated or damaged gzip file):
    /// nothing follows.
    ReadFailed,
}

/// A line as read: its content is in the reader's buffer unless it was over the cap.
struct LineRead {
    /// Bytes of the line, without its newline.
    bytes: u64,
    /// It ended with a newline (not the end of the input).
    complete: bool,
    /// Longer than the cap: not held.
    over: bool,
}

pub struct RecordingReader {
    input: Box<dyn BufRead + Send>,
    name: String,
    line: u64,
    last_seq: u64,
    max_line: u64,
    gzipped: bool,
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
            max_line: DEFAULT_MAX_LINE,
            gzipped,
            buf: Vec::with_capacity(16 * 1024),
            queued: VecDeque::new(),
            done: false,
        }
    }

    /// Lines longer than `bytes` (without the newline) are passed over unread, with a problem
    /// naming their size. Default [`DEFAULT_MAX_LINE`].
    pub fn with_max_line(mut self, bytes: u64) -> RecordingReader {
        self.max_line = bytes.max(1);
        self
    }

    /// The cap on a line's length.
    pub fn max_line(&self) -> u64 {
        self.max_line
    }

    /// Reads the next line into `self.buf`, holding at most `max_line` bytes of it: past the
    /// cap the buffer is emptied and the rest of the line only counted. `None` at the end.
    fn next_line(&mut self) -> io::Result<Option<LineRead>> {
        self.buf.clear();
        if self.buf.capacity() > KEPT_CAPACITY {
            self.buf.shrink_to(KEPT_CAPACITY);
        }
        let mut read = LineRead {
            bytes: 0,
            complete: false,
            over: false,
        };
        let mut started = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(started.then_some(read));
            }
            started = true;
            let (content, used) = match memchr::memchr(b'\n', available) {
                Some(at) => {
                    read.complete = true;
                    (&available[..at], at + 1)
                }
                None => (available, available.len()),
            };
            read.bytes += content.len() as u64;
            if !read.over && read.bytes > self.max_line {
                read.over = true;
                self.buf = Vec::with_capacity(KEPT_CAPACITY);
            }
            if !read.over {
                self.buf.extend_from_slice(content);
            }
            self.input.consume(used);
            if read.complete {
                return Ok(Some(read));
            }
        }
    }

    /// Reads the next line for a caller that parses lines itself (`check`, to parse each line
    /// once): [`Step::Line`] when its text is ready ([`RecordingReader::text`]), to judge
    /// directly or hand back to [`RecordingReader::interpret`]. Items queued by a batch line
    /// come first ([`Step::Item`]), as from the iterator.
    pub fn step(&mut self) -> Step {
        if let Some(item) = self.queued.pop_front() {
            return Step::Item(item);
        }
        if self.done {
            return Step::End;
        }
        match self.read_step() {
            Some(step) => step,
            None => Step::Skip,
        }
    }

    /// The line [`Step::Line`] stands for, trimmed.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.buf).unwrap_or_default().trim()
    }

    /// The sequence number the next bare message gets (what [`RecordingReader::interpret`]
    /// would give its frame); [`RecordingReader::take_seq`] uses it up.
    pub fn next_seq(&self) -> u64 {
        self.last_seq + 1
    }

    /// Uses up [`RecordingReader::next_seq`], for a bare message judged without `interpret`.
    pub fn take_seq(&mut self) {
        self.last_seq += 1;
    }

    fn read_line(&mut self) -> Option<ReadItem> {
        match self.read_step()? {
            Step::Line { line, complete } => self.interpret(line, complete),
            Step::Item(item) => Some(item),
            Step::Skip | Step::End => None,
        }
    }

    fn read_step(&mut self) -> Option<Step> {
        let read = match self.next_line() {
            Ok(Some(read)) => read,
            Ok(None) => {
                self.done = true;
                return Some(Step::End);
            }
            Err(e) => {
                self.done = true;
                let hint = if self.gzipped {
                    " (a truncated or damaged gzip file?)"
                } else {
                    ""
                };
                return Some(Step::Item(ReadItem::Problem {
                    line: self.line + 1,
                    message: format!(
                        "{}: read failed after line {}: {e}{hint}",
                        self.name, self.line
                    ),
                    kind: ProblemKind::ReadFailed,
                }));
            }
        };
        self.line += 1;
        let line = self.line;
        if read.over {
            return Some(Step::Item(ReadItem::Problem {
                line,
                message: format!(
                    "{}:{line}: the line is {} ({} bytes), over --max-line {}; skipped unread",
                    self.name,
                    describe_size(read.bytes),
                    crate::model::thousands(read.bytes),
                    describe_size(self.max_line)
                ),
                kind: ProblemKind::OverMaxLine { bytes: read.bytes },
            }));
        }
        let complete = read.complete;
        let text = match std::str::from_utf8(&self.buf) {
            Ok(text) => text.trim(),
            Err(e) => {
                return Some(Step::Item(ReadItem::Problem {
                    line,
                    message: format!("{}:{line}: not UTF-8 ({e}); skipped", self.name),
                    kind: ProblemKind::Unreadable,
                }));
            }
        };
        if text.is_empty() {
            return None;
        }
        Some(Step::Line { line, complete })
    }

    /// Reads the line [`Step::Line`] stands for as the iterator would: a frame, bare messages
    /// or a batch (queued), or a problem. `None` for nothing to report.
    pub fn interpret(&mut self, line: u64, complete: bool) -> Option<ReadItem> {
        let text = std::str::from_utf8(&self.buf).unwrap_or_default().trim();
        let incoming = match parse_frame_text(text) {
            Ok(incoming) => incoming,
            Err(e) if !complete => {
                return Some(ReadItem::Problem {
                    line,
                    message: format!(
                        "{}:{line}: the last line is incomplete (a write cut off?): {e}; skipped",
                        self.name
                    ),
                    kind: ProblemKind::Unreadable,
                });
            }
            Err(e) => {
                return Some(ReadItem::Problem {
                    line,
                    message: format!("{}:{line}: {e}; skipped", self.name),
                    kind: ProblemKind::Unreadable,
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

impl RecordingReader {
    /// The event frames only, for commands that read nothing else: a line that could not be
    /// read goes to `skipped` (reading goes on), and a failed read ends with its error.
    pub fn events(
        self,
        mut skipped: impl FnMut(&str),
    ) -> impl Iterator<Item = Result<EventFrame, String>> {
        self.filter_map(move |item| match item {
            ReadItem::Frame {
                frame: Frame::Event(event),
                ..
            } => Some(Ok(event)),
            ReadItem::Frame { .. } => None,
            ReadItem::Problem {
                message,
                kind: ProblemKind::ReadFailed,
                ..
            } => Some(Err(message)),
            ReadItem::Problem { message, .. } => {
                skipped(&message);
                None
            }
        })
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

/// `512 bytes`, `64 MiB`, `1.5 MiB`: a size as `--max-line` takes it.
pub fn describe_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn track(n: u32) -> String {
        format!(r#"{{"type":"track","event":"E{n}","userId":"u"}}"#)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// `(line, kind)` of each problem and the lines of the frames read.
    fn read(reader: RecordingReader) -> (Vec<(u64, ProblemKind)>, Vec<u64>) {
        let (mut problems, mut frames) = (Vec::new(), Vec::new());
        for item in reader {
            match item {
                ReadItem::Frame { line, .. } => frames.push(line),
                ReadItem::Problem { line, kind, .. } => problems.push((line, kind)),
            }
        }
        (problems, frames)
    }

    #[test]
    fn a_line_over_the_cap_is_passed_over_and_the_next_ones_read() {
        let long = format!(r#"{{"type":"track","event":"{}"}}"#, "x".repeat(5000));
        let text = format!("{}\n{long}\n{}\r\n\n{}", track(1), track(3), track(5));
        let reader =
            RecordingReader::from_reader(std::io::Cursor::new(text), "t").with_max_line(1000);
        let (problems, frames) = read(reader);
        assert_eq!(
            problems,
            [(
                2,
                ProblemKind::OverMaxLine {
                    bytes: long.len() as u64
                }
            )]
        );
        assert_eq!(frames, [1, 3, 5]);
    }

    #[test]
    fn a_line_at_the_cap_is_read_and_the_buffer_shrinks_after_a_long_one() {
        let line = format!(r#"{{"type":"track","event":"{}"}}"#, "x".repeat(200_000));
        let text = format!("{line}\n{}\n", track(2));
        let mut reader = RecordingReader::from_reader(std::io::Cursor::new(text), "t")
            .with_max_line(line.len() as u64);
        assert!(matches!(
            reader.next(),
            Some(ReadItem::Frame { line: 1, .. })
        ));
        assert!(reader.buf.capacity() >= line.len());
        assert!(matches!(
            reader.next(),
            Some(ReadItem::Frame { line: 2, .. })
        ));
        assert!(reader.buf.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn the_message_names_the_line_and_its_size() {
        let text = format!("{}\n{}\n", track(1), "y".repeat(3 << 20));
        let reader = RecordingReader::from_reader(std::io::Cursor::new(text), "f.ndjson")
            .with_max_line(1 << 20);
        let message = reader
            .filter_map(|item| match item {
                ReadItem::Problem { message, .. } => Some(message),
                _ => None,
            })
            .next()
            .unwrap();
        assert_eq!(
            message,
            "f.ndjson:2: the line is 3 MiB (3,145,728 bytes), over --max-line 1 MiB; skipped unread"
        );
    }

    #[test]
    fn a_truncated_gzip_ends_with_a_read_failure_after_the_lines_read() {
        let mut data = gzip(format!("{}\n{}\n", track(1), track(2)).as_bytes());
        let second = gzip(
            (3..200)
                .map(|n| track(n) + "\n")
                .collect::<String>()
                .as_bytes(),
        );
        data.extend_from_slice(&second[..second.len() / 2]);
        let reader = RecordingReader::from_reader(std::io::Cursor::new(data), "t.gz");
        let items: Vec<ReadItem> = reader.collect();
        let Some(ReadItem::Problem { kind, message, .. }) = items.last() else {
            panic!("{items:?}");
        };
        assert_eq!(*kind, ProblemKind::ReadFailed);
        assert!(message.contains("gzip"), "{message}");
        let frames = items
            .iter()
            .filter(|i| matches!(i, ReadItem::Frame { .. }))
            .count();
        assert!(frames >= 2, "{frames}");
        assert_eq!(items.len(), frames + 1, "one problem, the last: {items:?}");
    }

    #[test]
    fn sizes_read_as_the_flag_takes_them() {
        assert_eq!(describe_size(512), "512 bytes");
        assert_eq!(describe_size(64 << 20), "64 MiB");
        assert_eq!(describe_size(3 << 19), "1.5 MiB");
        assert_eq!(describe_size(1 << 30), "1 GiB");
    }
}
