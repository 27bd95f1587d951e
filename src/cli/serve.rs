//! `eventscope serve`: the headless collector.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use super::{ServeArgs, init_logging, shutdown_signal};
use eventscope_core::config::Config;
use eventscope_core::inspect::redact::{RedactMode, Redactor};
use eventscope_core::server::Server;

pub async fn run(args: ServeArgs) -> ExitCode {
    init_logging("info");
    let redact = args.redact;
    let redactor = match redactor(redact) {
        Ok(redactor) => redactor,
        Err(e) => {
            eprintln!("eventscope: {e}");
            return ExitCode::from(2);
        }
    };
    let buffer = usize::try_from(args.buffer).unwrap_or(usize::MAX);
    let buffer_bytes = args.buffer_bytes;
    let config = args.serve_config(buffer, buffer_bytes, redactor);
    let record = config.record.clone();
    let server = match Server::bind(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("eventscope: {e}");
            return ExitCode::from(if e.is_usage() { 2 } else { 1 });
        }
    };
    let addr = server.local_addr();
    // The first stdout line is a contract: scripts read the chosen port from it.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{addr}");
    let _ = stdout.flush();
    eprintln!("eventscope {} collector ready", env!("CARGO_PKG_VERSION"));
    eprintln!("  tracking API  http://{addr}/v1/batch   (set an SDK's host to http://{addr})");
    eprintln!("  live stream   ws://{addr}/v1/stream  (eventscope tail http://{addr})");
    if let Some(path) = record {
        eprintln!("  recording to  {}", path.display());
    }
    if redact != RedactMode::None {
        eprintln!("  redacting     {redact} (masked before streaming and recording)");
    }
    if let Some(upstream) = &server.upstream {
        eprintln!(
            "  upstream      {} (accepted requests are forwarded; answers are delivery frames)",
            upstream.url()
        );
    }
    if let Some(bus) = &server.bus {
        let status = bus.status();
        eprintln!(
            "  bus           {} stream {} (answers after the bus's ack; /health shows its state)",
            status.servers.join(","),
            status.stream
        );
    }
    match server.run(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventscope: the server stopped: {e}");
            ExitCode::from(1)
        }
    }
}

/// The redactor for `--redact`, with the `[pii]` matchers of the config the viewer would read
/// (./eventscope.toml, then the user config dir); the config is read only when redacting.
fn redactor(mode: RedactMode) -> Result<Option<Arc<Redactor>>, String> {
    if mode == RedactMode::None {
        return Ok(None);
    }
    let (config, _) = Config::load(None).map_err(|e| e.to_string())?;
    let redactor = Redactor::new(mode, &config.pii).map_err(|e| format!("[pii]: {e}"))?;
    Ok(redactor.map(Arc::new))
}
