//! `eventscope relay`: serves `/v1/stream` from the bus to any number of viewers (`connect`,
//! `tail`, the viewer), with `serve`'s stream contract and access rules.

use std::io::Write;
use std::process::ExitCode;

use super::{RelayArgs, init_logging, shutdown_signal};
use eventscope_core::relay::{Relay, RelayConfig};
use eventscope_core::stream::StreamAccess;

pub async fn run(args: RelayArgs) -> ExitCode {
    init_logging("info");
    let servers = args.bus.0;
    let config = RelayConfig {
        listen: args.listen,
        servers: servers.clone(),
        stream: args.bus_stream.clone(),
        access: StreamAccess {
            token: args.token,
            allowed_origins: args.allowed_origins,
        },
        connections: args.connections.limits(),
    };
    let relay = match Relay::bind(config).await {
        Ok(relay) => relay,
        Err(e) => {
            eprintln!("eventscope: {e}");
            return ExitCode::from(if e.is_usage() { 2 } else { 1 });
        }
    };
    let addr = match relay.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("eventscope: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    // The first stdout line is a contract, as for `serve`: scripts read the port from it.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{addr}");
    let _ = stdout.flush();
    eprintln!("eventscope {} relay ready", env!("CARGO_PKG_VERSION"));
    eprintln!("  live stream   ws://{addr}/v1/stream  (eventscope tail http://{addr})");
    eprintln!(
        "  bus           {} stream {} (seq is the stream sequence)",
        servers.join(","),
        args.bus_stream
    );
    match relay.run(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventscope: the relay stopped: {e}");
            ExitCode::from(1)
        }
    }
}
