//! The command line: clap definitions and wiring. Errors a person sees are one line, and the
//! exit code says what kind: 1 a failure at run time, 2 a usage or access problem.

mod check;
mod diff;
mod docs;
mod jq_worker;
mod people;
pub mod plan;
mod relay;
mod replay;
mod serve;
pub mod size;
mod sql;
mod tail;
mod tui;
mod warehouse;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use eventscope_core::inspect::redact::RedactMode;
use eventscope_core::server::{DEFAULT_LISTEN, parse_listen};

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
    /// Serve the live stream from a NATS JetStream bus that collectors (`serve --bus`)
    /// publish to: any number of relays, each with any number of viewers.
    Relay(RelayArgs),
    /// Print a stream's frames as NDJSON, reconnecting and resuming without duplicates.
    Tail(TailArgs),
    /// Judge a recording (or `-`) against the spec, a tracking plan and privacy rules, for CI.
    #[command(after_long_help = check::HELP)]
    Check(CheckArgs),
    /// Send the messages of a recording to a configured destination (`[[destination]]`).
    Replay(ReplayArgs),
    /// The people of a recording (profiles stitched as Segment's Unify does), or one
    /// person's messages as frames (`--id`).
    People(PeopleArgs),
    /// Load a recording into a database with Segment's warehouse schema: sqlite:PATH or
    /// postgres://… (tables and columns made as they appear; loading twice adds nothing).
    #[command(after_long_help = warehouse::HELP)]
    Warehouse(WarehouseArgs),
    /// SQL over a recording: its warehouse tables and eventscope's own (messages, findings,
    /// deliveries) in an in-memory SQLite.
    #[command(after_long_help = sql::HELP)]
    Sql(SqlArgs),
    /// How events' shapes changed across a recording: paths that appeared, disappeared or
    /// changed type, each with the first seq of the change.
    Diff(DiffArgs),
    /// Print shell completions (bash, zsh or fish) to stdout.
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Man,
    /// The viewer's `jq:` filters run in this (internal; not for people).
    #[command(name = eventscope_core::filter::jq_worker::WORKER_SUBCOMMAND, hide = true)]
    JqWorker(jq_worker::JqWorkerArgs),
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
    #[arg(long, default_value_t = eventscope_core::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    /// Bytes of frames retained, besides the count (512MiB, 64MB, bytes); the oldest are
    /// evicted first. The viewer gives half to its collector and half to its rows.
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = size::parse_nonzero_size)]
    pub buffer_bytes: u64,
    /// A web origin allowed to open the stream besides loopback pages (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Proxy mode: forward every accepted request, unchanged, to this Segment-compatible API
    /// (e.g. https://api.segment.io); its answers appear as delivery frames.
    #[arg(long, value_name = "URL", env = "EVENTSCOPE_UPSTREAM")]
    pub upstream: Option<String>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Mask values in messages before they are published or recorded: `secrets` (Red PII: API
    /// keys, tokens, private keys, cards, passwords…), `pii` (all PII) or `none` (as sent).
    /// Verdicts still report what was masked; matchers from `[pii]` in eventscope.toml.
    #[arg(long, value_name = "MODE", default_value = "none", env = "EVENTSCOPE_REDACT",
          value_parser = redact_parser())]
    pub redact: RedactMode,
    /// Publish every frame to NATS JetStream (nats://HOST:PORT[,HOST:PORT…]) and answer the
    /// SDK only once the bus has it (503 bus_unavailable, with Retry-After, when it cannot).
    #[arg(long, value_name = "URL", env = "EVENTSCOPE_BUS", value_parser = parse_bus)]
    pub bus: Option<BusServers>,
    /// The JetStream stream to publish to (created if missing).
    #[arg(long, value_name = "NAME", requires = "bus", default_value = eventscope_core::bus::DEFAULT_STREAM,
          value_parser = eventscope_core::bus::parse_stream_name)]
    pub bus_stream: String,
    /// A new stream keeps frames this long (1h, 10m, 30s).
    #[arg(long, value_name = "DURATION", requires = "bus", default_value = "1h", value_parser = parse_duration)]
    pub bus_max_age: std::time::Duration,
    /// A new stream keeps at most this much (1GiB, 500MB, bytes); the oldest go first.
    #[arg(long, value_name = "SIZE", requires = "bus", default_value = "1GiB", value_parser = size::parse_nonzero_size)]
    pub bus_max_bytes: u64,
    /// Copies a new stream keeps (1 for one server; 3 for a cluster).
    #[arg(long, value_name = "N", requires = "bus", default_value_t = eventscope_core::bus::DEFAULT_REPLICAS as u64,
          value_parser = clap::value_parser!(u64).range(1..=5))]
    pub bus_replicas: u64,
    /// A new stream stores a messageId seen within this long once (an SDK's retry); the server
    /// holds ~340 bytes per id, so at a high rate keep it short (30s). At most --bus-max-age.
    #[arg(long, value_name = "DURATION", requires = "bus", default_value = "2m", value_parser = parse_duration)]
    pub bus_duplicate_window: std::time::Duration,
}

#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    /// The bus to read: nats://HOST:PORT[,HOST:PORT…].
    #[arg(long, value_name = "URL", env = "EVENTSCOPE_BUS", value_parser = parse_bus)]
    pub bus: BusServers,
    /// The JetStream stream the collectors publish to.
    #[arg(long, value_name = "NAME", default_value = eventscope_core::bus::DEFAULT_STREAM,
          value_parser = eventscope_core::bus::parse_stream_name)]
    pub bus_stream: String,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_parser = parse_listen, default_value = RELAY_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Token viewers must send to stream (required when listening beyond loopback).
    #[arg(long, env = "EVENTSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A web origin allowed to open the stream besides loopback pages (repeatable).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// The bounds on the connections a listener holds (`serve` and `relay`).
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Close a connection that has not sent a complete request head this long after it
    /// connected (or after the first byte of its next request): 10s, 500ms, 1m.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: std::time::Duration,
    /// Close a keep-alive connection idle this long between requests.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: std::time::Duration,
    /// Connections held at once (websockets included), at most; lowered to fit the open-file
    /// limit. At the cap the longest-idle connection is closed for a new one, or the new one
    /// is refused when none is idle.
    #[arg(long, value_name = "N", default_value_t = eventscope_core::server::DEFAULT_MAX_CONNECTIONS as u64, value_parser = buffer_parser())]
    pub max_connections: u64,
}

impl ConnectionArgs {
    /// The connection bounds these flags ask for.
    pub fn limits(&self) -> eventscope_core::server::ConnectionLimits {
        eventscope_core::server::ConnectionLimits {
            timeouts: eventscope_core::server::Timeouts {
                header: self.header_timeout,
                idle: self.idle_timeout,
            },
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            ..eventscope_core::server::ConnectionLimits::default()
        }
    }
}

/// `relay --listen`'s default: next to a collector's 8707 on the same machine.
const RELAY_LISTEN: &str = "127.0.0.1:8708";

/// `--bus`'s servers, as `nats://HOST:PORT` each.
#[derive(Debug, Clone)]
pub struct BusServers(pub Vec<String>);

fn parse_bus(text: &str) -> Result<BusServers, String> {
    eventscope_core::bus::parse_bus_url(text).map(BusServers)
}

impl ServeArgs {
    /// The bus these flags ask for, if any.
    pub fn bus_config(&self) -> Option<eventscope_core::bus::BusConfig> {
        let servers = self.bus.as_ref()?.0.clone();
        Some(eventscope_core::bus::BusConfig {
            servers,
            stream: eventscope_core::bus::StreamSettings {
                name: self.bus_stream.clone(),
                max_age: self.bus_max_age,
                max_bytes: self.bus_max_bytes,
                replicas: usize::try_from(self.bus_replicas).unwrap_or(1),
                // JetStream refuses a window longer than the stream's max age.
                duplicate_window: self.bus_duplicate_window.min(self.bus_max_age),
                create_if_missing: true,
            },
        })
    }

    /// The collector these flags ask for, holding `buffer` frames and `buffer_bytes` (the
    /// viewer keeps part of `--buffer-bytes` for itself) and masking with `redactor`.
    pub fn serve_config(
        self,
        buffer: usize,
        buffer_bytes: u64,
        redactor: Option<std::sync::Arc<eventscope_core::inspect::redact::Redactor>>,
    ) -> eventscope_core::server::ServeConfig {
        let connections = self.connections.limits();
        let bus = self.bus_config();
        eventscope_core::server::ServeConfig {
            listen: self.listen.unwrap_or_else(default_listen),
            token: self.token,
            write_keys: self.write_keys,
            buffer,
            buffer_bytes,
            record: self.record,
            allowed_origins: self.allowed_origins,
            upstream: self.upstream,
            connections,
            redactor,
            bus,
            ..eventscope_core::server::ServeConfig::default()
        }
    }
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
    /// Time a `jq:` filter may spend on one message before it is stopped (e.g. 100ms, 2s).
    #[arg(long, value_name = "TIME", default_value = "100ms", value_parser = jq_worker::parse_budget)]
    pub jq_budget: std::time::Duration,
    /// Forward every message as it is, also those Segment would drop (consent, the
    /// integrations object, destination filters), without stripping fields; the viewer says
    /// so in its header and the forward popup [default: route as Segment does].
    #[arg(long)]
    pub ignore_routing: bool,
    /// Open with this saved view (a `[[view]]` table of the config: its filter and columns).
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// Also write what the viewer copies (`c`, `y`, `Y`) to FILE, replacing it each time, for
    /// terminals without OSC 52 [default: `copy-to` in the config].
    #[arg(long, value_name = "FILE")]
    pub copy_to: Option<std::path::PathBuf>,
}

fn redact_parser()
-> clap::builder::MapValueParser<clap::builder::PossibleValuesParser, fn(String) -> RedactMode> {
    fn mode(name: String) -> RedactMode {
        // Only the possible values reach here.
        name.parse().unwrap_or_default()
    }
    clap::builder::TypedValueParser::map(
        clap::builder::PossibleValuesParser::new(RedactMode::NAMES),
        mode as fn(String) -> RedactMode,
    )
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
    #[arg(long, default_value_t = eventscope_core::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    /// Bytes the retained messages may take, besides the count (512MiB, 64MB, bytes).
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = size::parse_nonzero_size)]
    pub buffer_bytes: u64,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    /// A recording, or any NDJSON of frames, messages or batches, optionally gzip-compressed.
    pub file: std::path::PathBuf,
    /// Messages retained; older ones are evicted (with a count).
    #[arg(long, default_value_t = eventscope_core::hub::DEFAULT_BUFFER as u64, value_parser = buffer_parser())]
    pub buffer: u64,
    /// Bytes the retained messages may take, besides the count (512MiB, 64MB, bytes).
    #[arg(long, value_name = "SIZE", default_value = "512MiB", value_parser = size::parse_nonzero_size)]
    pub buffer_bytes: u64,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PeopleArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: people::Format,
    /// Print this person's messages (any identifier value) as NDJSON frames, in order.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    /// Config file (its `[identity]`) [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    /// Only this event: a track's event name ("Order Completed") or a message type
    /// (identify, page…); its changes, then every path with its types [default: every event
    /// whose shape changed].
    #[arg(long, value_name = "NAME")]
    pub event: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: diff::Format,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
}

#[derive(Debug, Clone, Args)]
pub struct WarehouseArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    /// The database: sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(
        long = "to",
        value_name = "URL",
        env = "EVENTSCOPE_WAREHOUSE",
        hide_env_values = true
    )]
    pub to: String,
    /// The schema the tables go in: created if missing in PostgreSQL; in SQLite the file is
    /// attached under this name (its tables are plain tables in the file).
    #[arg(long, value_name = "NAME", default_value = "eventscope")]
    pub schema: String,
    /// At most this long to connect, and for each statement (10s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    /// Config file (its `[warehouse] column_limit`) [default: ./eventscope.toml, then the user
    /// config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Rows held before a write (tests use a few, to write many batches).
    #[arg(long, value_name = "N", hide = true,
          default_value_t = eventscope_core::warehouse::load::DEFAULT_BATCH_ROWS as u64, value_parser = buffer_parser())]
    pub batch_rows: u64,
}

#[derive(Debug, Clone, Args)]
pub struct SqlArgs {
    /// A recording or NDJSON of messages or batches (gzip ok); `-` reads standard input.
    pub file: std::path::PathBuf,
    /// The query (SQLite's dialect), e.g. "SELECT event, count(*) FROM tracks GROUP BY 1".
    pub query: String,
    #[arg(long, value_enum, default_value = "table")]
    pub format: sql::Format,
    /// Tracking plan, for the `findings` table [default: `plan` in the config].
    #[arg(long, value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,
    /// Config file [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    /// The query's budget: past it, it is stopped with an error (exit 2).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
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
    /// A track event the plan has no rule for: `error`, `warning` or `allow` (no finding)
    /// [default: `[plan] unplanned-event` in the config, else warning].
    #[arg(long, value_name = "LEVEL")]
    pub unplanned_event: Option<eventscope_core::inspect::plan::Unplanned>,
    /// An event property no rule lists: `error`, `warning` or `allow`
    /// [default: `[plan] unplanned-property`, else warning].
    #[arg(long, value_name = "LEVEL")]
    pub unplanned_property: Option<eventscope_core::inspect::plan::Unplanned>,
    /// An identify or group trait no rule lists: `error`, `warning` or `allow`
    /// [default: `[plan] unplanned-trait`, else warning].
    #[arg(long, value_name = "LEVEL")]
    pub unplanned_trait: Option<eventscope_core::inspect::plan::Unplanned>,
    /// Lines longer than this (e.g. `64MiB`, `1MB`, bytes) are skipped unread, with a warning.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    /// Config file [default: ./eventscope.toml, then the user config dir].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Judge routing too: for each `[[destination]]` in the config, the messages Segment would
    /// deliver and those it would drop (consent, integrations, filter, unsupported), as a table
    /// and `routing/…` findings (info). Reads no credentials.
    #[arg(long)]
    pub routing: bool,
    /// A message to destination NAME (of EVENT only, with `:EVENT`) that routing drops is an
    /// error, so the run fails (repeatable; implies --routing).
    #[arg(long = "require-delivery", value_name = "NAME[:EVENT]")]
    pub require_delivery: Vec<String>,
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
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = size::parse_nonzero_size)]
    pub max_line: u64,
    /// Send every message as it is, also those Segment would drop (consent, the integrations
    /// object, destination filters), without stripping fields [default: route as Segment does].
    #[arg(long)]
    pub ignore_routing: bool,
}

/// A positive duration: `10s`, `500ms`, `1.5s`, `2m`, `1h`, or a bare number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim() {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    number
        .parse::<f64>()
        .ok()
        .map(|n| n * scale)
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.001)
        .and_then(|seconds| std::time::Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| {
            format!("`{text}` is not a duration of at least 1ms; use e.g. 10s, 500ms or 2m")
        })
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
    let command = match cli.command {
        // No async runtime: a worker is one thread, and small.
        Some(Command::JqWorker(args)) => return jq_worker::run(args),
        Some(Command::Completions(args)) => return docs::completions(&args),
        Some(Command::Man) => return docs::man(),
        command => command,
    };
    // An empty token would open the stream to anyone: a usage error, whichever command.
    let token = match &command {
        Some(Command::Serve(args)) => args.token.as_deref(),
        Some(Command::Connect(args)) => args.token.as_deref(),
        Some(Command::Tail(args)) => args.token.as_deref(),
        Some(Command::Relay(args)) => args.token.as_deref(),
        None => cli.serve.token.as_deref(),
        Some(_) => None,
    };
    if let Some(Err(e)) = token.map(eventscope_core::stream::check_token) {
        eprintln!("eventscope: {e}");
        return ExitCode::from(2);
    }
    eventscope_core::server::raise_open_file_limit();
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
    match command {
        Some(Command::Serve(args)) => runtime.block_on(serve::run(args)),
        Some(Command::Tail(args)) => runtime.block_on(tail::run(args)),
        Some(Command::Relay(args)) => runtime.block_on(relay::run(args)),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::People(args)) => people::run(args),
        Some(Command::Warehouse(args)) => warehouse::run(args),
        Some(Command::Sql(args)) => sql::run(args),
        Some(Command::Diff(args)) => diff::run(args),
        Some(Command::Replay(args)) => runtime.block_on(replay::run(args)),
        Some(Command::JqWorker(args)) => jq_worker::run(args),
        Some(Command::Completions(args)) => docs::completions(&args),
        Some(Command::Man) => docs::man(),
        Some(Command::Connect(args)) => {
            let target = tui::Target::Remote {
                url: args.url,
                token: args.token,
            };
            let retention = tui::Retention::new(args.buffer, args.buffer_bytes);
            viewer(runtime, tui::run(target, args.view, retention))
        }
        Some(Command::Open(args)) => viewer(
            runtime,
            tui::run(
                tui::Target::File {
                    path: args.file,
                    max_line: args.max_line,
                },
                args.view,
                tui::Retention::new(args.buffer, args.buffer_bytes),
            ),
        ),
        None => {
            let retention = tui::Retention::new(cli.serve.buffer, cli.serve.buffer_bytes);
            viewer(
                runtime,
                tui::run(
                    tui::Target::Embedded(Box::new(cli.serve)),
                    cli.view,
                    retention,
                ),
            )
        }
    }
}

/// How long a viewer that quit waits for work still running off the UI task.
const VIEWER_EXIT: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs the viewer; once it quit (the terminal restored, the embedded collector stopped),
/// blocking work still running is abandoned rather than waited for: a destination's
/// `transform` stuck in a loop must not keep the process alive after `q`.
fn viewer(
    runtime: tokio::runtime::Runtime,
    run: impl std::future::Future<Output = ExitCode>,
) -> ExitCode {
    let code = runtime.block_on(run);
    runtime.shutdown_timeout(VIEWER_EXIT);
    code
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_take_units_or_seconds() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in ["", "0", "0s", "-1s", "10 parsecs", "s", "1e9h", "nan"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
