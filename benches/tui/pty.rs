//! The real binary in a pseudo-terminal: its output parsed by `vt100` on a reader thread that
//! counts frames and notices when a probed key's effect shows.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::{COLS, ROWS};

pub const SCREEN_DEADLINE: Duration = Duration::from_secs(20);
/// What crossterm writes for every ratatui draw without a cursor: one per frame drawn.
const HIDE_CURSOR: &[u8] = b"\x1b[?25l";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Pretty,
    Raw,
}

/// Which detail tab the screen shows, judged by the pane's first text line: Pretty numbers its
/// lines (` 1 {`), Raw shows the message compact (`{"type":…`).
pub fn detail_shows(screen: &vt100::Screen) -> Option<Shown> {
    let half = COLS / 2;
    for row in screen.rows(half, COLS - half).skip(2).take(2) {
        let text = row.trim_start_matches(['│', ' ']);
        if text.starts_with("{\"") {
            return Some(Shown::Raw);
        }
        if text.starts_with("1 {") || text.starts_with("1▶{") {
            return Some(Shown::Pretty);
        }
    }
    None
}

#[derive(Default)]
pub struct Probe {
    pub want: Option<Shown>,
    pub sent: Option<Instant>,
    pub seen: Option<Duration>,
}

#[derive(Default)]
pub struct Output {
    pub bytes: AtomicU64,
    pub frames: AtomicU64,
    /// When each frame's output ended (its hide-cursor sequence was read).
    pub frame_ends: Mutex<Vec<Instant>>,
    pub probe: Mutex<Probe>,
}

pub struct Tui {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub output: Arc<Output>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub pid: u32,
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tui {
    pub fn spawn(args: &[&str]) -> anyhow::Result<Tui> {
        let pty = native_pty_system().openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })?;
        // Another build of the viewer (a before/after pair) may stand in for this one.
        let binary = std::env::var("EVENTSCOPE_BENCH_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_eventscope").to_string());
        let mut command = CommandBuilder::new(binary);
        command.args(args);
        command.env("TERM", "xterm-256color");
        command.env_remove("NO_COLOR");
        command.env_remove("EVENTSCOPE_LOG");
        command.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pty.slave.spawn_command(command)?;
        drop(pty.slave);
        let pid = child.process_id().context("the child's pid")?;
        let mut reader = pty.master.try_clone_reader()?;
        let writer = pty.master.take_writer()?;
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(ROWS).context("rows")?,
            NonZeroU16::new(COLS).context("cols")?,
            0,
        )));
        let output = Arc::new(Output::default());
        let (parser_in, output_in) = (Arc::clone(&parser), Arc::clone(&output));
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = vec![0u8; 64 * 1024];
            // The tail of the previous read, so that sequences split across reads count.
            let mut carry: Vec<u8> = Vec::new();
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                carry.extend_from_slice(chunk);
                let frames = carry
                    .windows(HIDE_CURSOR.len())
                    .filter(|w| *w == HIDE_CURSOR)
                    .count();
                let keep = carry.len().min(HIDE_CURSOR.len() - 1);
                carry.drain(..carry.len() - keep);
                output_in.frames.fetch_add(frames as u64, Ordering::Relaxed);
                if frames > 0 {
                    let now = Instant::now();
                    lock(&output_in.frame_ends).extend(std::iter::repeat_n(now, frames));
                }
                output_in.bytes.fetch_add(n as u64, Ordering::Relaxed);
                let mut parser = lock(&parser_in);
                parser.process(chunk);
                let mut probe = lock(&output_in.probe);
                if let (Some(want), Some(sent), None) = (probe.want, probe.sent, probe.seen)
                    && detail_shows(parser.screen()) == Some(want)
                {
                    probe.seen = Some(sent.elapsed());
                }
            }
        });
        Ok(Tui {
            parser,
            output,
            writer,
            child,
            pid,
        })
    }

    pub fn text(&self) -> String {
        lock(&self.parser).screen().contents()
    }

    pub fn wait_for(&mut self, what: &str, check: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let start = Instant::now();
        loop {
            let text = self.text();
            if check(&text) {
                return Ok(text);
            }
            if start.elapsed() > SCREEN_DEADLINE {
                bail!("waiting for {what}; screen:\n{text}");
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("the viewer exited ({status:?}) while waiting for {what}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn type_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()?;
        Ok(())
    }

    /// Asks the viewer to quit and waits a little; Drop kills it otherwise.
    pub fn quit(&mut self) {
        let _ = self.type_text("q");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

pub fn address_on(screen: &str) -> anyhow::Result<String> {
    let start = screen
        .find("http://127.0.0.1:")
        .context("the collector's address is on screen")?;
    Ok(screen[start + "http://".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect())
}

/// The `N events` of the header (not the `events` of `eventscope`).
pub fn events_on(screen: &str) -> Option<u64> {
    let header = screen.lines().next()?;
    header.match_indices(" events").find_map(|(end, _)| {
        let before = &header[..end];
        let start = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == ','))
            .map_or(0, |i| i + 1);
        let digits: String = before[start..]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}
