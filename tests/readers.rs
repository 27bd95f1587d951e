//! The recording readers of `check`, `replay` and `open` on hostile files: a gzip whose one line
//! expands far past `--max-line`, and a gzip cut short. The real binary on real files (or its
//! standard input), its memory read from /proc while it runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use common::{DEADLINE, gzip};

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-readers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn eventscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

/// A clean message (no finding at warning or above).
fn order(n: u32) -> String {
    format!(
        r#"{{"type":"track","event":"Order Completed","userId":"u{n}","messageId":"m{n}","properties":{{"n":{n}}}}}"#
    )
}

/// One line of `mib` MiB as a run of gzip members (multi-member gzip is what `cat a.gz b.gz`
/// makes): a track message whose property is `mib` MiB of `a`, in a few KiB of gzip.
fn huge_line_gz(mib: usize) -> Vec<u8> {
    let mut out =
        gzip(br#"{"type":"track","event":"Order Completed","userId":"big","properties":{"blob":""#);
    let chunk = gzip(&vec![b'a'; 1 << 20]);
    for _ in 0..mib {
        out.extend_from_slice(&chunk);
    }
    out.extend_from_slice(&gzip(b"\"}}\n"));
    out
}

/// VmHWM (peak resident memory) of a running process, in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[cfg(target_os = "linux")]
#[test]
fn check_passes_over_a_line_beyond_max_line_without_holding_it() {
    const LINE_MIB: usize = 64;
    let mut input = gzip(format!("{}\n", order(1)).as_bytes());
    input.extend_from_slice(&huge_line_gz(LINE_MIB));
    input.extend_from_slice(&gzip(format!("{}\n{}\n", order(3), order(4)).as_bytes()));
    assert!(input.len() < 512 * 1024, "{} bytes of gzip", input.len());

    let mut child = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["check", "--max-line", "1MiB", "-"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Everything is written but standard input stays open: `check` is still running, past the
    // long line, when its peak memory is read.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&input).unwrap();
    stdin.flush().unwrap();
    let start = Instant::now();
    let mut lines = Vec::new();
    let warning = loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("--max-line") => break line,
            Ok(line) => lines.push(line),
            Err(e) => panic!("no warning about the long line ({e}); stderr so far: {lines:?}"),
        }
    };
    let peak_mib = peak_kib(child.id()) / 1024;
    eprintln!("peak RSS while passing over the line: {peak_mib} MiB");
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    lines.extend(rx.iter());
    let stderr = lines.join("\n");

    assert!(
        warning.contains("stdin:2: the line is 64.0 MiB ("),
        "the warning names the line and its size: {warning}"
    );
    // Holding the line would take at least its 64 MiB; the debug binary itself maps about
    // 30 MiB, so the bound sits between the two.
    assert!(
        peak_mib < (LINE_MIB as u64) * 3 / 4,
        "peak RSS {peak_mib} MiB while passing over a {LINE_MIB} MiB line with --max-line 1MiB"
    );
    assert!(
        stderr.contains("3 messages")
            && stderr.contains("1 line skipped (1 over --max-line 1 MiB)"),
        "the summary counts the messages read and the line skipped: {stderr}"
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "a skipped line is a warning, not a finding: {stderr}"
    );
}

/// Lines 1–3 in one gzip member, lines 4–400 in a second one cut in half.
fn truncated_gz(dir: &Path) -> PathBuf {
    let message =
        |n: u32| format!(r#"{{"type":"track","event":"e{n}","userId":"u{n}","messageId":"m{n}"}}"#);
    let mut data = gzip(
        (1..=3)
            .map(|n| message(n) + "\n")
            .collect::<String>()
            .as_bytes(),
    );
    let rest = gzip(
        (4..=400)
            .map(|n| message(n) + "\n")
            .collect::<String>()
            .as_bytes(),
    );
    data.extend_from_slice(&rest[..rest.len() / 2]);
    let path = dir.join("cut.ndjson.gz");
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn check_on_a_truncated_gzip_reports_what_it_read_then_exits_2() {
    let dir = temp_dir();
    let path = truncated_gz(&dir);
    let output = eventscope(
        &["check", "--format", "ndjson", path.to_str().unwrap()],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "an I/O error: {stderr}");
    // Findings, then the summary line.
    let lines: Vec<u64> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|record| record.get("summary").is_none())
        .map(|finding| finding["line"].as_u64().unwrap())
        .collect();
    for line in 1..=3 {
        assert!(lines.contains(&line), "line {line} judged: {lines:?}");
    }
    assert!(
        stderr.contains("read failed after line") && stderr.contains("truncated"),
        "{stderr}"
    );
    let summary = stderr.find(" messages, ").expect("the summary");
    let failure = stderr.rfind("read failed").unwrap();
    assert!(summary < failure, "the summary, then the failure: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_dry_run_on_a_truncated_gzip_prints_the_requests_read_then_exits_2() {
    let dir = temp_dir();
    let path = truncated_gz(&dir);
    std::fs::write(
        dir.join("eventscope.toml"),
        "[[destination]]\nname = \"sink\"\nkind = \"segment\"\nendpoint = \"http://127.0.0.1:9\"\nwrite_key = \"wk_readers_0123456789\"\n",
    )
    .unwrap();
    let output = eventscope(
        &[
            "replay",
            path.to_str().unwrap(),
            "--to",
            "sink",
            "--dry-run",
            "--keep-ids",
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "an I/O error: {stderr}");
    for id in ["\"m1\"", "\"m2\"", "\"m3\""] {
        assert!(stdout.contains(id), "{id} printed: {stdout}");
    }
    assert!(
        stderr.contains("stopped early") && stderr.contains("truncated"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_dry_run_counts_a_line_over_max_line() {
    let dir = temp_dir();
    let mut data = gzip(format!("{}\n", order(1)).as_bytes());
    data.extend_from_slice(&huge_line_gz(3));
    data.extend_from_slice(&gzip(format!("{}\n", order(3)).as_bytes()));
    let path = dir.join("long.ndjson.gz");
    std::fs::write(&path, data).unwrap();
    std::fs::write(
        dir.join("eventscope.toml"),
        "[[destination]]\nname = \"sink\"\nkind = \"segment\"\nendpoint = \"http://127.0.0.1:9\"\nwrite_key = \"wk_readers_0123456789\"\n",
    )
    .unwrap();
    let output = eventscope(
        &[
            "replay",
            path.to_str().unwrap(),
            "--to",
            "sink",
            "--dry-run",
            "--keep-ids",
            "--max-line",
            "1MiB",
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("\"m1\"") && stdout.contains("\"m3\""),
        "{stdout}"
    );
    assert!(!stdout.contains("aaaa"), "the long line is not replayed");
    assert!(
        stderr.contains("1 line over --max-line 1 MiB")
            && stderr.contains(":2: the line is 3.0 MiB ("),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
