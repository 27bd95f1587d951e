//! `jq:` terms evaluated in a worker process, with a budget.
//!
//! A jaq program cannot be interrupted from outside the thread running it: `last(range(1e10))`
//! loops inside one call for minutes, `[limit(1e8; repeat(1))]` builds gigabytes, and
//! `def f: 1 + f; f` recurses until the stack overflows, which aborts the whole process. A
//! process can be killed and its memory capped, so untrusted programs (the viewer's filter
//! bar) run in one: the eventscope binary itself, started as `eventscope __jq-worker`.
//!
//! [`JqEvaluator`] starts the worker, hands it messages and waits for each answer at most the
//! per-message budget (wall clock). A message over budget, a worker over its memory cap
//! (`RLIMIT_DATA`) or a crash stops the evaluator: the worker is killed and reaped, and the
//! [`JqStop`] says what happened and on which message.
//!
//! The protocol, over the worker's stdin and stdout:
//! - caller → worker, the program then each message: `<length in bytes>\n<bytes>`;
//! - worker → caller, once the program compiled: `ready\n` (or `error <message>\n`, then it
//!   exits);
//! - worker → caller, per message: `1\n` when the program yields a truthy value within its
//!   first 1024 outputs, else `0\n` (no truthy output, input not JSON, a runtime error) — the
//!   same rule as [`crate::filter::Query::matches`].
//!
//! This is the one part of `filter` that does I/O (it spawns and talks to a process); the
//! program itself is the same [`JqFilter`] the rest of the module compiles.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};

use super::jq::JqFilter;

/// The hidden subcommand that runs a worker (`eventscope __jq-worker --memory BYTES`).
pub const WORKER_SUBCOMMAND: &str = "__jq-worker";
/// Wall-clock time one message may take, by default.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(100);
/// The worker's memory cap (its data segment: heap and private mappings), by default.
pub const DEFAULT_MEMORY: u64 = 256 * 1024 * 1024;

/// Time the worker has to start and compile the program (jaq compiles its standard library
/// first: milliseconds in release builds, more in debug builds on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a stopped worker has to exit and be reaped after being killed.
const EXIT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest line read from the worker (`ready`, `0`, `1`, or a compile error).
const MAX_LINE: u64 = 4096;
/// Bytes of the worker's stderr kept to explain a crash.
const MAX_STDERR: u64 = 4096;
/// The longest length prefix the worker reads (20 digits hold any u64).
const MAX_LENGTH_DIGITS: u64 = 24;

/// The limits a worker runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JqLimits {
    /// Wall-clock time one message may take.
    pub budget: Duration,
    /// Bytes of data segment (heap) the worker may use.
    pub memory: u64,
}

impl Default for JqLimits {
    fn default() -> JqLimits {
        JqLimits {
            budget: DEFAULT_BUDGET,
            memory: DEFAULT_MEMORY,
        }
    }
}

/// How to start a worker: a program and the arguments before `--memory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

impl WorkerCommand {
    /// `program __jq-worker`: `program` is an eventscope binary.
    pub fn eventscope(program: impl Into<PathBuf>) -> WorkerCommand {
        WorkerCommand {
            program: program.into(),
            args: vec![WORKER_SUBCOMMAND.into()],
        }
    }

    /// The running executable (the viewer starts its workers from itself).
    pub fn current_exe() -> io::Result<WorkerCommand> {
        std::env::current_exe().map(WorkerCommand::eventscope)
    }
}

/// One message to evaluate: its JSON text, and its seq for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JqMessage {
    pub seq: Option<u64>,
    pub text: Box<str>,
}

/// Which message a stop happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At(pub Option<u64>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(seq) => write!(f, "message seq {seq}"),
            None => f.write_str("a message without a seq"),
        }
    }
}

/// Why an evaluator stopped. Once stopped, its worker is gone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JqStop {
    #[error("jq filter stopped: over its budget of {} ms on {at}", budget.as_millis())]
    OverBudget { budget: Duration, at: At },
    #[error("jq filter stopped: exceeded its memory cap of {} MiB on {at}", cap / (1024 * 1024))]
    OverMemory { cap: u64, at: At },
    #[error("jq filter stopped: it recursed until the stack overflowed on {at}")]
    StackOverflow { at: At },
    #[error("jq filter stopped: its worker crashed on {at} ({detail})")]
    Crashed { at: At, detail: String },
    #[error("jq filter could not start: {0}")]
    Start(String),
    #[error("invalid jq expression: {0}")]
    Compile(String),
}

/// A worker with one compiled program.
pub struct JqEvaluator {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Option<ChildStderr>,
    limits: JqLimits,
    /// Set once a stop was reported: the worker was killed.
    stopped: bool,
}

impl JqEvaluator {
    /// Starts a worker for `code` and waits until it compiled the program.
    pub async fn start(
        command: &WorkerCommand,
        code: &str,
        limits: JqLimits,
    ) -> Result<JqEvaluator, JqStop> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .arg("--memory")
            .arg(limits.memory.to_string())
            // A backtrace of a worker dying over its memory cap takes seconds to print.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                JqStop::Start(format!(
                    "cannot run the worker {}: {e}",
                    command.program.display()
                ))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(JqStop::Start("the worker has no pipes".into()));
        };
        let stderr = child.stderr.take();
        let mut evaluator = JqEvaluator {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr,
            limits,
            stopped: false,
        };
        let started = tokio::time::timeout(START_TIMEOUT, evaluator.handshake(code)).await;
        match started {
            Ok(Ok(())) => Ok(evaluator),
            Ok(Err(stop)) => {
                evaluator.stop().await;
                Err(stop)
            }
            Err(_) => {
                evaluator.stop().await;
                Err(JqStop::Start(format!(
                    "the worker did not compile the program within {} s",
                    START_TIMEOUT.as_secs()
                )))
            }
        }
    }

    async fn handshake(&mut self, code: &str) -> Result<(), JqStop> {
        let sent = async {
            write_frame(&mut self.stdin, code.as_bytes()).await?;
            self.stdin.flush().await
        }
        .await;
        let line = match sent {
            Ok(()) => read_line(&mut self.stdout).await,
            Err(e) => Err(e),
        };
        match line {
            Ok(Some(line)) if line == "ready" => Ok(()),
            Ok(Some(line)) => match line.strip_prefix("error ") {
                Some(message) => Err(JqStop::Compile(message.to_string())),
                None => Err(JqStop::Start(format!(
                    "the worker answered {:?} instead of `ready`",
                    cut(&line, 80)
                ))),
            },
            Ok(None) | Err(_) => Err(self.died(At(None)).await),
        }
    }

    /// Whether the program matches each of `messages` (in order). Each message may take the
    /// budget, counted from the previous answer; the first one over it stops the evaluator.
    pub async fn eval(&mut self, messages: &[JqMessage]) -> Result<Vec<bool>, JqStop> {
        if self.stopped {
            return Err(JqStop::Start("the worker was stopped".into()));
        }
        let budget = self.limits.budget;
        let result = self.exchange(messages).await;
        let at = |index: usize| At(messages.get(index).and_then(|m| m.seq));
        match result {
            Ok(answers) => Ok(answers),
            Err(Failed::OverBudget(index)) => {
                self.stop().await;
                Err(JqStop::OverBudget {
                    budget,
                    at: at(index),
                })
            }
            Err(Failed::Garbled(index, line)) => {
                self.stop().await;
                Err(JqStop::Crashed {
                    at: at(index),
                    detail: format!("it answered {:?}", cut(&line, 80)),
                })
            }
            Err(Failed::Died(index)) => Err(self.died(at(index)).await),
        }
    }

    /// Writes `messages` while reading their answers, each within the budget.
    async fn exchange(&mut self, messages: &[JqMessage]) -> Result<Vec<bool>, Failed> {
        let (stdin, stdout, budget) = (&mut self.stdin, &mut self.stdout, self.limits.budget);
        // Messages are written while answers are read: the pipes hold 64 KiB, messages more.
        let write = async {
            for message in messages {
                write_frame(stdin, message.text.as_bytes()).await?;
            }
            stdin.flush().await
        };
        let read = async {
            let mut answers = Vec::with_capacity(messages.len());
            for (index, _) in messages.iter().enumerate() {
                match tokio::time::timeout(budget, read_line(stdout)).await {
                    Err(_) => return Err(Failed::OverBudget(index)),
                    Ok(Ok(Some(line))) if line == "1" => answers.push(true),
                    Ok(Ok(Some(line))) if line == "0" => answers.push(false),
                    Ok(Ok(Some(line))) => return Err(Failed::Garbled(index, line)),
                    Ok(Ok(None) | Err(_)) => return Err(Failed::Died(index)),
                }
            }
            Ok(answers)
        };
        tokio::pin!(write, read);
        let mut writing = true;
        loop {
            tokio::select! {
                result = &mut read => break result,
                // A failed write means the worker is gone; the reader sees it end and says
                // on which message.
                _ = &mut write, if writing => writing = false,
            }
        }
    }

    /// Kills the worker and waits for it to be gone (reaped: no zombie).
    pub async fn stop(&mut self) {
        self.stopped = true;
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(EXIT_TIMEOUT, self.child.wait()).await;
    }

    /// The worker's process id (`None` once it was reaped).
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// The worker stopped answering: reap it and tell why from its exit and stderr (Rust
    /// prints `memory allocation of N bytes failed` or `has overflowed its stack` before it
    /// aborts).
    async fn died(&mut self, at: At) -> JqStop {
        self.stop().await;
        let mut stderr = String::new();
        if let Some(pipe) = self.stderr.take() {
            let mut bytes = Vec::new();
            let mut pipe = pipe.take(MAX_STDERR);
            let _ = tokio::time::timeout(EXIT_TIMEOUT, pipe.read_to_end(&mut bytes)).await;
            stderr = String::from_utf8_lossy(&bytes).into_owned();
        }
        if stderr.contains("memory allocation of") {
            return JqStop::OverMemory {
                cap: self.limits.memory,
                at,
            };
        }
        if stderr.contains("has overflowed its stack") {
            return JqStop::StackOverflow { at };
        }
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            _ => "it stopped answering".to_string(),
        };
        let said = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| format!(": {}", cut(l, 120)))
            .unwrap_or_default();
        JqStop::Crashed {
            at,
            detail: format!("{status}{said}"),
        }
    }
}

enum Failed {
    OverBudget(usize),
    Died(usize),
    Garbled(usize, String),
}

async fn write_frame(stdin: &mut ChildStdin, bytes: &[u8]) -> io::Result<()> {
    stdin
        .write_all(format!("{}\n", bytes.len()).as_bytes())
        .await?;
    stdin.write_all(bytes).await
}

/// One line without its `\n`; `None` at the end of the output. At most [`MAX_LINE`] bytes.
async fn read_line(stdout: &mut BufReader<ChildStdout>) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    (&mut *stdout)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .await?;
    if line.last() != Some(&b'\n') {
        // The end of the output, or a line longer than any the worker writes.
        return Ok(None);
    }
    line.pop();
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max.min(text.len()))]
}

/// The worker's side: reads the program, compiles it, then answers each message until its
/// input ends. The caller (`eventscope __jq-worker`) caps the process's memory first.
pub fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<()> {
    let mut buffer = Vec::new();
    if !read_frame(input, &mut buffer)? {
        return Ok(());
    }
    let compiled = std::str::from_utf8(&buffer)
        .map_err(|_| "the program is not UTF-8".to_string())
        .and_then(|code| JqFilter::compile(code).map_err(|e| e.message));
    let filter = match compiled {
        Ok(filter) => filter,
        Err(message) => {
            let message = message.replace(['\n', '\r'], " ");
            writeln!(output, "error {message}")?;
            return output.flush();
        }
    };
    output.write_all(b"ready\n")?;
    output.flush()?;
    while read_frame(input, &mut buffer)? {
        let matched = std::str::from_utf8(&buffer).is_ok_and(|text| filter.matches(text));
        output.write_all(if matched { b"1\n" } else { b"0\n" })?;
        // Every answer at once: the caller times each message from the previous answer.
        output.flush()?;
    }
    Ok(())
}

/// Reads one `<length>\n<bytes>` frame into `buffer`; false at the end of the input.
fn read_frame(input: &mut impl BufRead, buffer: &mut Vec<u8>) -> io::Result<bool> {
    let mut length = Vec::new();
    io::Read::take(&mut *input, MAX_LENGTH_DIGITS).read_until(b'\n', &mut length)?;
    if length.is_empty() {
        return Ok(false);
    }
    let length = std::str::from_utf8(&length)
        .ok()
        .and_then(|l| l.trim_end().parse::<usize>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad frame length"))?;
    buffer.clear();
    // Larger than the memory cap allows ends the worker here, as a memory stop.
    buffer.resize(length, 0);
    input.read_exact(buffer)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for part in parts {
            bytes.extend_from_slice(format!("{}\n{part}", part.len()).as_bytes());
        }
        bytes
    }

    fn served(parts: &[&str]) -> String {
        let input = frames(parts);
        let mut output = Vec::new();
        serve(&mut input.as_slice(), &mut output).unwrap();
        String::from_utf8(output).unwrap()
    }

    #[test]
    fn the_worker_answers_each_message_as_query_matches_does() {
        let answers = served(&[
            ".properties.total > 10",
            r#"{"properties":{"total":12}}"#,
            r#"{"properties":{"total":2}}"#,
            "not json",
            "{\"properties\":\n{\"total\": 99}}",
            "",
        ]);
        assert_eq!(answers, "ready\n1\n0\n0\n1\n0\n");
    }

    #[test]
    fn a_program_that_does_not_compile_is_one_error_line() {
        assert_eq!(
            served(&["nosuchfunction(1)", "{}"]),
            "error undefined filter `nosuchfunction/1`\n"
        );
        assert_eq!(served(&[]), "", "no program: nothing to say");
    }

    #[test]
    fn a_broken_frame_is_an_error_not_a_guess() {
        let mut input = frames(&["true"]);
        input.extend_from_slice(b"twelve\n{}");
        let mut output = Vec::new();
        let error = serve(&mut input.as_slice(), &mut output).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(output, b"ready\n");
        let mut short = frames(&["true"]);
        short.extend_from_slice(b"10\n{}");
        assert!(serve(&mut short.as_slice(), &mut Vec::new()).is_err());
    }

    #[test]
    fn stops_say_what_and_where() {
        let stop = JqStop::OverBudget {
            budget: Duration::from_millis(100),
            at: At(Some(42)),
        };
        assert_eq!(
            stop.to_string(),
            "jq filter stopped: over its budget of 100 ms on message seq 42"
        );
        let stop = JqStop::OverMemory {
            cap: DEFAULT_MEMORY,
            at: At(None),
        };
        assert_eq!(
            stop.to_string(),
            "jq filter stopped: exceeded its memory cap of 256 MiB on a message without a seq"
        );
    }
}
