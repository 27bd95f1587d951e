//! The retained frame log: append → seq, read from seq, first/last seq.
//!
//! Today it is an in-memory ring. The interface is small on purpose so that a shared log (a
//! JetStream stream, where `seq` is the stream sequence) can stand in for it later.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::model::FrameKind;

/// A frame as retained and fanned out: its JSON text is built once and shared by every reader.
#[derive(Debug, Clone)]
pub struct StoredFrame {
    pub seq: u64,
    pub kind: FrameKind,
    pub json: Bytes,
    /// For event frames built here: the byte range of the message inside `json`.
    pub message: Option<std::ops::Range<u32>>,
}

/// What a read from the log returned.
#[derive(Debug, Default)]
pub struct LogRead {
    /// Seqs that were asked for but are no longer retained.
    pub evicted: Option<(u64, u64)>,
    /// Which bound evicted them.
    pub evicted_by: EvictedBy,
    pub frames: Vec<StoredFrame>,
}

/// Which retention bound evicted a range of frames: the frame count (`--buffer`), the bytes
/// (`--buffer-bytes`), or both (when the range saw evictions of each kind).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvictedBy {
    pub count: bool,
    pub bytes: bool,
}

pub trait FrameLog: Send {
    /// The seq the next appended frame must carry.
    fn next_seq(&self) -> u64;
    /// Appends a frame whose seq is `next_seq()`; returns the frames evicted to stay within
    /// the bounds, so the caller can free them outside any lock.
    fn append(&mut self, frame: StoredFrame) -> Vec<StoredFrame>;
    /// Frames with seq ≥ `from`, in order: at most `max` of them, and no more than
    /// `max_bytes` of frame text (but always the first one, however large).
    fn read_from(&self, from: u64, max: usize, max_bytes: usize) -> LogRead;
    /// The oldest retained seq (`last_seq() + 1` when nothing is retained).
    fn first_seq(&self) -> u64;
    /// The newest seq ever appended (0 before the first).
    fn last_seq(&self) -> u64;
    /// Frames dropped to stay within capacity.
    fn evicted(&self) -> u64;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes of frame text retained.
    fn retained_bytes(&self) -> u64;
}

/// Seqs evicted for one reason: the oldest and the newest.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: u64,
    last: u64,
}

impl Span {
    fn extend(span: &mut Option<Span>, seq: u64) {
        match span {
            Some(span) => span.last = seq,
            None => {
                *span = Some(Span {
                    first: seq,
                    last: seq,
                })
            }
        }
    }

    fn meets(span: Option<Span>, from: u64, to: u64) -> bool {
        span.is_some_and(|s| s.first <= to && from <= s.last)
    }
}

/// A bounded ring of the newest frames: at most `capacity` of them and at most `max_bytes` of
/// frame text (the newest frame is kept even when it alone is larger).
pub struct RingLog {
    frames: VecDeque<StoredFrame>,
    capacity: usize,
    max_bytes: u64,
    next_seq: u64,
    evicted: u64,
    bytes: u64,
    /// The seqs each bound evicted, to say which one a gap is owed to.
    evicted_for_count: Option<Span>,
    evicted_for_bytes: Option<Span>,
}

impl RingLog {
    pub fn new(capacity: usize, max_bytes: u64) -> Self {
        RingLog {
            frames: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            next_seq: 1,
            evicted: 0,
            bytes: 0,
            evicted_for_count: None,
            evicted_for_bytes: None,
        }
    }

    fn evicted_by(&self, from: u64, to: u64) -> EvictedBy {
        EvictedBy {
            count: Span::meets(self.evicted_for_count, from, to),
            bytes: Span::meets(self.evicted_for_bytes, from, to),
        }
    }
}

impl FrameLog for RingLog {
    fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn append(&mut self, frame: StoredFrame) -> Vec<StoredFrame> {
        debug_assert_eq!(frame.seq, self.next_seq);
        self.next_seq = frame.seq + 1;
        self.bytes += frame.json.len() as u64;
        self.frames.push_back(frame);
        let mut evicted = Vec::new();
        while self.frames.len() > 1 {
            let over_count = self.frames.len() > self.capacity;
            if !over_count && self.bytes <= self.max_bytes {
                break;
            }
            let Some(old) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= old.json.len() as u64;
            self.evicted += 1;
            let span = if over_count {
                &mut self.evicted_for_count
            } else {
                &mut self.evicted_for_bytes
            };
            Span::extend(span, old.seq);
            evicted.push(old);
        }
        evicted
    }

    fn read_from(&self, from: u64, max: usize, max_bytes: usize) -> LogRead {
        let first = self.first_seq();
        let mut read = LogRead::default();
        let start = if from < first {
            read.evicted = Some((from, first - 1));
            read.evicted_by = self.evicted_by(from, first - 1);
            first
        } else {
            from
        };
        if start > self.last_seq() {
            return read;
        }
        let index = (start - first) as usize;
        let mut bytes = 0usize;
        for frame in self.frames.range(index..).take(max) {
            if !read.frames.is_empty() && bytes + frame.json.len() > max_bytes {
                break;
            }
            bytes += frame.json.len();
            read.frames.push(frame.clone());
        }
        read
    }

    fn first_seq(&self) -> u64 {
        self.frames.front().map_or(self.next_seq, |f| f.seq)
    }

    fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    fn evicted(&self) -> u64 {
        self.evicted
    }

    fn len(&self) -> usize {
        self.frames.len()
    }

    fn retained_bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64, len: usize) -> StoredFrame {
        StoredFrame {
            seq,
            kind: FrameKind::Event,
            json: Bytes::from(format!("{seq:0>len$}")),
            message: None,
        }
    }

    fn push(log: &mut RingLog, n: usize) {
        for _ in 0..n {
            let seq = log.next_seq();
            log.append(StoredFrame {
                seq,
                kind: FrameKind::Event,
                json: Bytes::from(format!("{seq}")),
                message: None,
            });
        }
    }

    #[test]
    fn empty_log_reads_nothing() {
        let log = RingLog::new(4, 1 << 20);
        assert_eq!((log.first_seq(), log.last_seq()), (1, 0));
        let read = log.read_from(1, 10, usize::MAX);
        assert!(read.frames.is_empty() && read.evicted.is_none());
    }

    #[test]
    fn evicts_oldest_and_reports_what_a_reader_missed() {
        let mut log = RingLog::new(4, 1 << 20);
        push(&mut log, 10);
        assert_eq!((log.first_seq(), log.last_seq(), log.evicted()), (7, 10, 6));
        let read = log.read_from(2, 10, usize::MAX);
        assert_eq!(read.evicted, Some((2, 6)));
        assert_eq!(
            read.evicted_by,
            EvictedBy {
                count: true,
                bytes: false
            }
        );
        let seqs: Vec<u64> = read.frames.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, [7, 8, 9, 10]);
        let read = log.read_from(9, 1, usize::MAX);
        assert_eq!(read.frames[0].seq, 9);
        assert_eq!(read.frames.len(), 1);
        assert!(log.read_from(11, 10, usize::MAX).frames.is_empty());
        assert_eq!(log.retained_bytes(), 1 + 1 + 1 + 2);
    }

    #[test]
    fn bytes_bound_retention_and_say_so() {
        let mut log = RingLog::new(1000, 1000);
        for seq in 1..=10 {
            let evicted = log.append(frame(seq, 300));
            assert!(log.retained_bytes() <= 1000, "{}", log.retained_bytes());
            assert_eq!(evicted.len(), usize::from(seq > 3));
        }
        assert_eq!((log.first_seq(), log.len(), log.evicted()), (8, 3, 7));
        // One large frame pushes out every other, and is kept though it alone is over.
        let evicted = log.append(frame(11, 5000));
        assert_eq!(evicted.len(), 3);
        assert_eq!(
            (log.first_seq(), log.len(), log.retained_bytes()),
            (11, 1, 5000)
        );
        let read = log.read_from(1, 100, usize::MAX);
        assert_eq!(read.evicted, Some((1, 10)));
        assert_eq!(
            read.evicted_by,
            EvictedBy {
                count: false,
                bytes: true
            }
        );
    }

    #[test]
    fn the_count_and_the_bytes_are_both_bounds() {
        let mut log = RingLog::new(3, 1000);
        for (seq, len) in [(1, 10), (2, 10), (3, 10), (4, 10), (5, 985), (6, 10)] {
            log.append(frame(seq, len));
        }
        // 1 and 2 left for the count (a fourth frame); 3 and 4 for the bytes.
        assert_eq!((log.first_seq(), log.retained_bytes()), (5, 995));
        let by = |from, to| log.evicted_by(from, to);
        assert_eq!(
            by(1, 2),
            EvictedBy {
                count: true,
                bytes: false
            }
        );
        assert_eq!(
            by(3, 4),
            EvictedBy {
                count: false,
                bytes: true
            }
        );
        assert_eq!(
            by(2, 3),
            EvictedBy {
                count: true,
                bytes: true
            }
        );
    }

    #[test]
    fn reads_stop_at_the_byte_cap_but_never_return_nothing() {
        let mut log = RingLog::new(100, 1 << 20);
        for seq in 1..=10 {
            log.append(frame(seq, 100));
        }
        assert_eq!(log.read_from(1, 100, 350).frames.len(), 3);
        assert_eq!(log.read_from(1, 2, 350).frames.len(), 2);
        let one = log.read_from(4, 100, 10).frames;
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].seq, 4);
    }
}
