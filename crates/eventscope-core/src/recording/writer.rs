//! Appends frames to a recording, one JSON line each.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::RecordingError;

pub struct Recorder {
    path: PathBuf,
    file: File,
    /// The file's length after the last complete append: a failed write is cut back to it.
    len: u64,
    buf: Vec<u8>,
}

impl Recorder {
    /// Opens `path` for appending, creating it. If an earlier run left a torn last line, a
    /// newline is added first so that the next frame starts a line of its own.
    pub fn open(path: &Path) -> Result<Recorder, RecordingError> {
        let err = |source| RecordingError::Open {
            path: path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(err)?;
        let mut len = file.metadata().map_err(err)?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
            file.read_exact(&mut last).map_err(err)?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(err)?;
                len += 1;
            }
        }
        Ok(Recorder {
            path: path.to_path_buf(),
            file,
            len,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes each line followed by a newline, and hands them to the OS before returning.
    /// All or nothing: a line that would span lines is refused, and a failed write is cut
    /// back so that no torn frame stays in the file (the caller refuses the request).
    pub fn append<'a>(&mut self, lines: impl IntoIterator<Item = &'a [u8]>) -> io::Result<()> {
        self.buf.clear();
        for line in lines {
            if memchr::memchr2(b'\n', b'\r', line).is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a frame holds a line break; recordings keep one frame per line",
                ));
            }
            self.buf.extend_from_slice(line);
            self.buf.push(b'\n');
        }
        if let Err(e) = self.file.write_all(&self.buf) {
            // Best effort: on a full disk the cut usually succeeds, and a later open adds a
            // newline after a torn line anyway.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += self.buf.len() as u64;
        // Don't keep a large buffer after one large batch.
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::with_capacity(64 * 1024);
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_frames_that_span_lines_and_writes_nothing_of_them() {
        let dir = std::env::temp_dir().join(format!("es-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.ndjson");
        let _ = std::fs::remove_file(&path);
        let mut recorder = Recorder::open(&path).unwrap();
        recorder.append([&b"{\"a\":1}"[..]]).unwrap();
        let err = recorder
            .append([&b"{\"b\":2}"[..], &b"{\"c\":\n3}"[..]])
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        recorder.append([&b"{\"d\":4}"[..]]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"d\":4}\n"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_an_error() {
        let mut recorder = Recorder::open(Path::new("/dev/full")).unwrap();
        assert!(recorder.append([&b"{}"[..]]).is_err());
    }
}
