//! Recordings: NDJSON files of stream frames, written by `--record` and read by `open`,
//! `check` and `replay`.

mod reader;
mod writer;

pub use reader::{DEFAULT_MAX_LINE, ProblemKind, ReadItem, RecordingReader, Step, describe_size};
pub use writer::Recorder;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot open recording {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
