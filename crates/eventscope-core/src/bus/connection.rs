//! One connection to the bus, for the collector's publisher and the relay's reader alike:
//! any of `--bus`'s servers, reconnecting by itself (a short, capped backoff), and a few
//! seconds' wait for the first connection before carrying on without it.

use std::time::{Duration, Instant};

use async_nats::connection::State;

use super::BusError;

/// How long a connection attempt waits for a server.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnection attempts back off by this much each, up to [`MAX_RECONNECT_DELAY`].
const RECONNECT_STEP: Duration = Duration::from_millis(100);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);
/// How long [`connect`] waits for the first connection before it carries on.
const FIRST_CONNECTION: Duration = Duration::from_secs(3);
/// How often that wait looks at the connection's state.
const CONNECTION_POLL: Duration = Duration::from_millis(10);

/// Connects as `name` (`eventscope collector`, `eventscope relay`) to `servers`. A bus still
/// down after a few seconds is retried in the background; the warning says what `meanwhile`
/// (`requests get 503 bus_unavailable`) until it answers. Errs only on an unusable address.
pub(crate) async fn connect(
    servers: &[String],
    name: &str,
    meanwhile: &str,
) -> Result<async_nats::Client, BusError> {
    let addrs = servers
        .iter()
        .map(|s| {
            s.parse::<async_nats::ServerAddr>()
                .map_err(|e| BusError::Config(format!("{s}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(CONNECTION_TIMEOUT)
        .reconnect_delay_callback(|attempts| {
            let steps = u32::try_from(attempts).unwrap_or(u32::MAX);
            RECONNECT_STEP
                .saturating_mul(steps)
                .min(MAX_RECONNECT_DELAY)
        })
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("bus: connected"),
                async_nats::Event::Disconnected => {
                    tracing::warn!("bus: disconnected; reconnecting")
                }
                other => tracing::debug!("bus: {other}"),
            }
        })
        .connect(addrs)
        .await
        .map_err(|e| BusError::Config(e.to_string()))?;
    let waiting = Instant::now();
    while client.connection_state() != State::Connected {
        if waiting.elapsed() > FIRST_CONNECTION {
            tracing::warn!(
                "bus: no connection to {} yet; retrying in the background ({meanwhile} until \
                 it answers)",
                servers.join(",")
            );
            break;
        }
        tokio::time::sleep(CONNECTION_POLL).await;
    }
    Ok(client)
}
