//! The filter history kept between runs, in the user's data directory
//! (`$XDG_DATA_HOME/eventscope/history`, the platform's data directory elsewhere): one JSON
//! string a line, oldest first, each query once (its last use counts), bounded in entries and
//! bytes, written whole to a temporary file and renamed over the old one. A file that does not
//! read is ignored with a warning, never a crash; `history = false` in the config or
//! `EVENTSCOPE_NO_HISTORY=1` keep it off.

use std::io::Write as _;
use std::path::{Path, PathBuf};

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
