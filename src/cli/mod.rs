//! The command line: clap definitions and wiring. Errors a person sees are one line, and the
//! exit code says what kind: 1 a failure at run time, 2 a usage or access problem.

mod check;
mod replay;
mod serve;
mod size;
mod tail;
mod tui;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::server::{DEFAULT_LISTEN, parse_listen};

#[derive(Debug, Parser)]
#[command(
    name = "eventscope",
    version,
    about = "A source debugger and live event inspector for Segment-style event data",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a command: the viewer over an embedded collector.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the viewer on a remote stream (ws://HOST:PORT or http://HOST:PORT).
    Connect(ConnectArgs),
    /// Open the viewer on a recording (NDJSON, optionally gzip), with no network.
    Open(OpenArgs),
    /// Run the collector headless: the Segment tracking API plus the live stream.
    Serve(ServeArgs),
    /// Print a stream's frames as NDJSON, reconnecting and resuming without duplicates.
    Tail(TailArgs),
    /// Judge a recording (or `-`) against the spec, a tracking plan and privacy rules, for CI.
    Check(CheckArgs),
    /// Send the messages of a recording to a configured destination (`[[destination]]`).
    Replay(ReplayArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8707]; port 0 picks a free port.
    #[arg(long, value_parser = parse_listen, env = "EVENTSCOPE_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
    /// Token viewers must send to stream (required when listening beyond loopback).
    #[arg(long, env = "EVENTSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Accept only this write key (repeatable); without it any key, or none, is accepted.
    #[arg(long = "write-key", value_name = "KEY")]
    pub write_keys: Vec<String>,
    /// Append every frame to this NDJSON file before answering the request.
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
    /// Frames retained for resuming viewers; older ones are evicted.
    #[arg(long, default_value_t = crate::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    /// A web origin allowed to open the stream besides loopback pages (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Proxy mode: forward every accepted request, unchanged, to this Segment-compatible API
    /// (e.g. https://api.segment.io); its answers appear as delivery frames.
    #[arg(long, value_name = "URL", env = "EVENTSCOPE_UPSTREAM")]
    pub upstream: Option<String>,
}

/// Options of the viewer.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// Payload and UI theme: dark, light or high-contrast.
    #[arg(long)]
    pub theme: Option<String>,
    /// Config file [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Tracking plan to judge messages by [default: `plan` in the config].
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
}

fn buffer_parser() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..)
}

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// The stream: ws://HOST:PORT/v1/stream, or http://HOST:PORT
    pub url: String,
    /// The server's stream token.
    #[arg(long, env = "EVENTSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Messages retained; older ones are evicted (with a count).
    #[arg(long, default_value_t = crate::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// A recording, or any NDJSON of frames, messages or batches, optionally gzip-compressed.
    pub file: std::path::PathBuf,
    /// Messages retained; older ones are evicted (with a count).
    #[arg(long, default_value_t = crate::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_size)]
    pub max_line: u64,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    /// Tracking plan (Segment Public API or legacy shape) [default: `plan` in the config].
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: check::Level,
    /// Report findings at or above this severity.
    #[arg(long, value_enum, default_value = "warning")]
    pub show: check::Level,
    #[arg(long, value_enum, default_value = "text")]
    pub format: check::Format,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_size)]
    pub max_line: u64,
    /// Config file [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    /// The destination: the `name` of a `[[destination]]` table in the config.
    #[arg(long = "to", value_name = "NAME")]
    pub to: String,
    /// At most this many messages per second [default: as fast as the destination takes them].
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Only the messages matching this filter (the viewer's filter language).
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// Print the requests (secrets masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep each message's messageId [default: a new `es-replay-<uuid>` per message].
    #[arg(long)]
    pub keep_ids: bool,
    /// Move timestamp, originalTimestamp and sentAt so that the newest is now, keeping their
    /// spacing.
    #[arg(long)]
    pub retime: bool,
    /// Config file [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Tracking plan, for filter terms on verdicts [default: `plan` in the config].
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_size)]
    pub max_line: u64,
}

/// `--rate`: a positive number of messages per second.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        // Below one message a day the pacing arithmetic would overflow; nobody means that.
        Ok(rate) if rate.is_finite() && rate >= 0.001 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a number of messages per second of at least 0.001"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    /// The stream: ws://HOST:PORT/v1/stream, or http://HOST:PORT
    pub url: String,
    /// Start after this seq (0: everything the server retains); default: live frames only.
    #[arg(long)]
    pub since: Option<u64>,
    /// The server's stream token.
    #[arg(long, env = "EVENTSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("eventscope: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Some(Command::Serve(args)) => runtime.block_on(serve::run(args)),
        Some(Command::Tail(args)) => runtime.block_on(tail::run(args)),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Replay(args)) => runtime.block_on(replay::run(args)),
        Some(Command::Connect(args)) => {
            let target = tui::Target::Remote {
                url: args.url,
                token: args.token,
            };
            runtime.block_on(tui::run(target, args.view, args.buffer))
        }
        Some(Command::Open(args)) => runtime.block_on(tui::run(
            tui::Target::File {
                path: args.file,
                max_line: args.max_line,
            },
            args.view,
            args.buffer,
        )),
        None => {
            let buffer = cli.serve.buffer;
            runtime.block_on(tui::run(tui::Target::Embedded(cli.serve), cli.view, buffer))
        }
    }
}

/// An error as the one line a person sees: inner newlines (regex and parser errors draw
/// carets over several lines) folded into `; `.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "^")
        .collect::<Vec<_>>()
        .join("; ")
}

/// `--listen`'s default.
pub fn default_listen() -> std::net::SocketAddr {
    parse_listen(DEFAULT_LISTEN)
        .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], 8707)))
}

/// Logs go to stderr; `EVENTSCOPE_LOG` sets the filter (e.g. `debug`).
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EVENTSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
