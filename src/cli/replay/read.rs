//! Opening the input (a file, `-` for standard input) and measuring how much of it has been
//! read, for the progress line.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use eventscope_core::recording::{RecordingError, RecordingReader};

/// The recording reader over `path`; `bytes_read` counts what it reads.
pub(super) fn open(
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
pub(super) struct Reading {
    /// Bytes of the file read.
    pub(super) bytes: Arc<AtomicU64>,
    /// Messages in requests handed to the engine.
    pub(super) queued: AtomicU64,
    /// Everything is read and mapped: `queued` is the total.
    pub(super) done: AtomicBool,
}

impl Reading {
    /// The share of the replay finished, given `finished` messages: exact once reading is
    /// done, else extrapolated from the share of the file read so far.
    pub(super) fn fraction(&self, finished: u64, total_bytes: Option<u64>) -> Option<f64> {
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
}
