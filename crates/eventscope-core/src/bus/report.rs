//! What `/health` says about the bus from the server's side: the connection's state and the
//! stream as the server holds it (first and last seq, size, consumers, leader), for collectors
//! and relays alike.

use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream;

use super::BusError;

/// How long `/health` waits for the stream's info before it reports the bus as not answering.
pub const REPORT_TIMEOUT: Duration = Duration::from_secs(1);

/// The stream as its server reports it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamReport {
    /// The oldest sequence held (0 when empty).
    pub first_seq: u64,
    /// The newest sequence ever stored (0 before the first).
    pub last_seq: u64,
    pub messages: u64,
    pub bytes: u64,
    /// Consumers reading it: each relay feed (one per narrowing) and each viewer catching up.
    pub consumers: usize,
    pub replicas: usize,
    /// The server leading the stream, in a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
}

/// `connected`, `connecting` or `disconnected`.
pub fn connection_state(client: &async_nats::Client) -> &'static str {
    match client.connection_state() {
        State::Connected => "connected",
        State::Pending => "connecting",
        State::Disconnected => "disconnected",
    }
}

/// The stream `name` as the server reports it now, within [`REPORT_TIMEOUT`].
pub async fn stream_report(
    jetstream: &jetstream::Context,
    name: &str,
) -> Result<StreamReport, BusError> {
    let asking = async {
        let mut stream = jetstream
            .get_stream(name)
            .await
            .map_err(|e| BusError::Failed(format!("stream {name}: {e}")))?;
        let info = stream
            .info()
            .await
            .map_err(|e| BusError::Failed(format!("stream {name}: {e}")))?;
        let state = &info.state;
        Ok(StreamReport {
            first_seq: state.first_sequence,
            last_seq: state.last_sequence,
            messages: state.messages,
            bytes: state.bytes,
            consumers: state.consumer_count,
            replicas: info.config.num_replicas,
            leader: info.cluster.as_ref().and_then(|c| c.leader.clone()),
        })
    };
    tokio::time::timeout(REPORT_TIMEOUT, asking)
        .await
        .map_err(|_| BusError::Timeout(REPORT_TIMEOUT))?
}
