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
    pub frames: Vec<StoredFrame>,
}

pub trait FrameLog: Send {
    /// The seq the next appended frame must carry.
    fn next_seq(&self) -> u64;
    /// Appends a frame whose seq is `next_seq()`; returns the frame evicted to make room, so
    /// the caller can free it outside any lock.
    fn append(&mut self, frame: StoredFrame) -> Option<StoredFrame>;
    /// Up to `max` frames with seq ≥ `from`, in order.
    fn read_from(&self, from: u64, max: usize) -> LogRead;
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

/// A bounded ring of the newest `capacity` frames.
pub struct RingLog {
    frames: VecDeque<StoredFrame>,
    capacity: usize,
    next_seq: u64,
    evicted: u64,
    bytes: u64,
}

impl RingLog {
    pub fn new(capacity: usize) -> Self {
        RingLog {
            frames: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
            next_seq: 1,
            evicted: 0,
            bytes: 0,
        }
    }
}

impl FrameLog for RingLog {
    fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn append(&mut self, frame: StoredFrame) -> Option<StoredFrame> {
        debug_assert_eq!(frame.seq, self.next_seq);
        let evicted = if self.frames.len() == self.capacity {
            self.frames.pop_front()
        } else {
            None
        };
        if let Some(old) = &evicted {
            self.bytes -= old.json.len() as u64;
            self.evicted += 1;
        }
        self.next_seq = frame.seq + 1;
        self.bytes += frame.json.len() as u64;
        self.frames.push_back(frame);
        evicted
    }

    fn read_from(&self, from: u64, max: usize) -> LogRead {
        let first = self.first_seq();
        let mut read = LogRead::default();
        let start = if from < first {
            read.evicted = Some((from, first - 1));
            first
        } else {
            from
        };
        if start > self.last_seq() {
            return read;
        }
        let index = (start - first) as usize;
        read.frames = self.frames.range(index..).take(max).cloned().collect();
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
        let log = RingLog::new(4);
        assert_eq!((log.first_seq(), log.last_seq()), (1, 0));
        let read = log.read_from(1, 10);
        assert!(read.frames.is_empty() && read.evicted.is_none());
    }

    #[test]
    fn evicts_oldest_and_reports_what_a_reader_missed() {
        let mut log = RingLog::new(4);
        push(&mut log, 10);
        assert_eq!((log.first_seq(), log.last_seq(), log.evicted()), (7, 10, 6));
        let read = log.read_from(2, 10);
        assert_eq!(read.evicted, Some((2, 6)));
        let seqs: Vec<u64> = read.frames.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, [7, 8, 9, 10]);
        let read = log.read_from(9, 1);
        assert_eq!(read.frames[0].seq, 9);
        assert_eq!(read.frames.len(), 1);
        assert!(log.read_from(11, 10).frames.is_empty());
        assert_eq!(log.retained_bytes(), 1 + 1 + 1 + 2);
    }
}
