//! The filter history kept between runs, in the user's data directory
//! (`$XDG_DATA_HOME/eventscope/history`, the platform's data directory elsewhere): one JSON
//! string a line, oldest first, each query once (its last use counts), bounded in entries and
//! bytes, written whole to a temporary file and renamed over the old one. A file that does not
//! read is ignored with a warning, never a crash; `history = false` in the config or
//! `EVENTSCOPE_NO_HISTORY=1` keep it off. Saving happens on a thread of its own
//! ([`HistoryWriter`]): a write with its fsync never holds up the UI thread.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// Queries kept at most.
pub const MAX_ENTRIES: usize = 500;
/// Bytes the file may hold at most (the oldest queries leave first).
pub const MAX_BYTES: usize = 64 * 1024;
/// A query longer than this is not kept (one query must not push out all others).
const MAX_QUERY: usize = 4 * 1024;

/// Where the history lives, if anywhere: `None` when turned off (`enabled` is the config's
/// `history`, default on; `EVENTSCOPE_NO_HISTORY=1` wins) or no data directory is known.
pub fn path(enabled: Option<bool>) -> Option<PathBuf> {
    let off_by_env = std::env::var_os("EVENTSCOPE_NO_HISTORY")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if off_by_env || enabled == Some(false) {
        return None;
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::data_dir)?;
    Some(base.join("eventscope").join("history"))
}

/// The history in `path`, oldest first; an absent file is an empty history, and a file that
/// does not read is one too, with the warning to show.
pub fn load(path: &Path) -> (Vec<String>, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), None),
        Err(e) => {
            return (
                Vec::new(),
                Some(format!(
                    "filter history {} not read ({e}): starting empty",
                    path.display()
                )),
            );
        }
    };
    let mut queries = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<String>(line) {
            Ok(query) => queries.push(query),
            Err(_) => {
                return (
                    Vec::new(),
                    Some(format!(
                        "filter history {} line {} is not a JSON string: ignored, starting empty",
                        path.display(),
                        number + 1
                    )),
                );
            }
        }
    }
    (bounded(queries), None)
}

/// Each query once (at its last use), then the newest that fit [`MAX_ENTRIES`] and
/// [`MAX_BYTES`] (as written), oldest first.
pub fn bounded(queries: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    let mut bytes = 0;
    for query in queries.into_iter().rev() {
        if query.is_empty() || query.len() > MAX_QUERY || kept.contains(&query) {
            continue;
        }
        let line = encoded(&query).len() + 1;
        if kept.len() == MAX_ENTRIES || bytes + line > MAX_BYTES {
            break;
        }
        bytes += line;
        kept.push(query);
    }
    kept.reverse();
    kept
}

fn encoded(query: &str) -> String {
    serde_json::Value::String(query.to_string()).to_string()
}

/// Writes `queries` (bounded) to `path`: whole, to a temporary file beside it, then renamed
/// over it, so a crash leaves the old file or the new one.
pub fn save(path: &Path, queries: &[String]) -> std::io::Result<()> {
    let queries = bounded(queries.to_vec());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for query in &queries {
        text.push_str(&encoded(query));
        text.push('\n');
    }
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    Ok(())
}

/// Saves the history to its file on a thread of its own. Snapshots waiting when a write ends
/// collapse to the newest; dropping the writer waits for the last one, so a query submitted
/// just before quitting is kept.
#[derive(Debug)]
pub struct HistoryWriter {
    queue: Option<mpsc::Sender<Vec<String>>>,
    errors: mpsc::Receiver<String>,
    thread: Option<JoinHandle<()>>,
}

impl HistoryWriter {
    pub fn start(path: PathBuf) -> std::io::Result<HistoryWriter> {
        let (queue, snapshots) = mpsc::channel::<Vec<String>>();
        let (report, errors) = mpsc::channel();
        let file = path;
        let thread = std::thread::Builder::new()
            .name("eventscope-history".into())
            .spawn(move || {
                while let Ok(mut queries) = snapshots.recv() {
                    while let Ok(newer) = snapshots.try_recv() {
                        queries = newer;
                    }
                    if let Err(e) = save(&file, &queries) {
                        let _ = report.send(format!(
                            "filter history not saved to {}: {e}",
                            file.display()
                        ));
                    }
                }
            })?;
        Ok(HistoryWriter {
            queue: Some(queue),
            errors,
            thread: Some(thread),
        })
    }

    /// Asks for `queries` to be written.
    pub fn save(&self, queries: Vec<String>) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(queries);
        }
    }

    /// A write that failed since last asked, said as a status line.
    pub fn failure(&self) -> Option<String> {
        self.errors.try_iter().last()
    }
}

impl Drop for HistoryWriter {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("eventscope-history-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("eventscope").join("history")
    }

    #[test]
    fn a_saved_history_loads_back_deduplicated_and_bounded() {
        let path = scratch("roundtrip");
        let queries: Vec<String> = ["has:bot", "type:track", "has:bot", "say \"hi\"\nthere"]
            .map(String::from)
            .into();
        save(&path, &queries).unwrap();
        let (loaded, warning) = load(&path);
        assert_eq!(warning, None);
        assert_eq!(loaded, ["type:track", "has:bot", "say \"hi\"\nthere"]);
        // Bounded in entries, the newest kept.
        let many: Vec<String> = (0..MAX_ENTRIES + 10).map(|i| format!("q{i}")).collect();
        save(&path, &many).unwrap();
        let (loaded, _) = load(&path);
        assert_eq!(loaded.len(), MAX_ENTRIES);
        assert_eq!(loaded.last().map(String::as_str), Some("q509"));
        assert_eq!(loaded.first().map(String::as_str), Some("q10"));
        // And in bytes.
        let big: Vec<String> = (0..100)
            .map(|i| format!("{i:04}{}", "x".repeat(2000)))
            .collect();
        save(&path, &big).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() as usize <= MAX_BYTES);
        let (loaded, _) = load(&path);
        assert!(loaded.len() < 100 && loaded.last().unwrap().starts_with("0099"));
        std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).ok();
    }

    #[test]
    fn the_writer_saves_off_the_caller_and_its_drop_waits_for_the_last_snapshot() {
        let path = scratch("writer");
        let writer = HistoryWriter::start(path.clone()).unwrap();
        for n in 1..=50 {
            writer.save((0..n).map(|i| format!("q{i}")).collect());
        }
        drop(writer);
        let (loaded, warning) = load(&path);
        assert_eq!(warning, None);
        assert_eq!(
            loaded.len(),
            50,
            "the newest snapshot is on disk once dropped"
        );
        assert_eq!(loaded.last().map(String::as_str), Some("q49"));

        // A directory where the file should be: the failure is reported, not lost.
        let blocked = path.parent().unwrap().to_path_buf();
        let writer = HistoryWriter::start(blocked).unwrap();
        writer.save(vec!["type:track".into()]);
        let mut failure = None;
        for _ in 0..200 {
            failure = writer.failure();
            if failure.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let failure = failure.expect("a failed write is reported");
        assert!(
            failure.starts_with("filter history not saved to"),
            "{failure}"
        );
        drop(writer);
        std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).ok();
    }

    #[test]
    fn a_corrupt_or_missing_file_is_an_empty_history() {
        let path = scratch("corrupt");
        assert_eq!(load(&path), (Vec::new(), None));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "\"has:bot\"\nnot json\n").unwrap();
        let (loaded, warning) = load(&path);
        assert!(loaded.is_empty());
        assert!(warning.unwrap().contains("line 2"));
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        let (loaded, warning) = load(&path);
        assert!(loaded.is_empty() && warning.is_some());
        std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap()).ok();
    }
}
