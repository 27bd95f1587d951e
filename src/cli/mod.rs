//! The command line: clap definitions and wiring. Errors a person sees are one line, and the
//! exit code says what kind: 1 a failure at run time, 2 a usage or access problem.

mod serve;
mod tail;

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
    /// Without a command: run the collector (the TUI will open here once it exists).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector headless: the Segment tracking API plus the live stream.
    Serve(ServeArgs),
    /// Print a stream's frames as NDJSON, reconnecting and resuming without duplicates.
    Tail(TailArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, default_value = DEFAULT_LISTEN, value_parser = parse_listen, env = "EVENTSCOPE_LISTEN")]
    pub listen: std::net::SocketAddr,
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
    #[arg(long, default_value_t = crate::hub::DEFAULT_BUFFER as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub buffer: u64,
    /// A web origin allowed to open the stream besides loopback pages (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
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
        None => runtime.block_on(serve::run(cli.serve)),
    }
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
