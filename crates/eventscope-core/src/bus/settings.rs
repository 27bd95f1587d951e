//! What `--bus` and its `--bus-*` flags ask for: the servers to publish to and the stream's
//! settings (created with these when missing).

use std::time::Duration;

/// `--bus-stream`'s default.
pub const DEFAULT_STREAM: &str = "EVENTSCOPE";
/// `--bus-max-age`'s default: an hour of frames.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// `--bus-max-bytes`' default: 1 GiB of frames on the bus's disk.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// `--bus-replicas`' default: one copy (a single server); 3 for a cluster.
pub const DEFAULT_REPLICAS: usize = 1;
/// Retries of one messageId within this window are stored once (`Nats-Msg-Id`). The server
/// keeps every id of the window in memory (about 340 bytes each), so it stays short.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The bus a collector publishes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusConfig {
    /// `nats://HOST:PORT` for each server of `--bus` (any one of them will do).
    pub servers: Vec<String>,
    pub stream: StreamSettings,
}

/// The stream's settings: limits retention (the oldest go first), file storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    pub name: String,
    pub max_age: Duration,
    pub max_bytes: u64,
    pub replicas: usize,
    pub duplicate_window: Duration,
    /// A collector creates the stream when it is missing (with the settings above); a relay,
    /// which only adds viewers' delivery frames to it, never does.
    pub create_if_missing: bool,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            name: DEFAULT_STREAM.to_string(),
            max_age: DEFAULT_MAX_AGE,
            max_bytes: DEFAULT_MAX_BYTES,
            replicas: DEFAULT_REPLICAS,
            duplicate_window: DUPLICATE_WINDOW,
            create_if_missing: true,
        }
    }
}

/// Parses `--bus`: `nats://HOST:PORT[,HOST:PORT…]` (a later entry may repeat `nats://`).
pub fn parse_bus_url(value: &str) -> Result<Vec<String>, String> {
    let value = value.trim();
    let Some(rest) = value.strip_prefix("nats://") else {
        return Err(format!(
            "{value:?} is not a bus URL; use nats://HOST:PORT[,HOST:PORT…] (NATS JetStream is \
             the only bus so far)"
        ));
    };
    rest.split(',')
        .map(|server| {
            let server = server.trim();
            let server = server.strip_prefix("nats://").unwrap_or(server);
            let (host, port) = server.rsplit_once(':').ok_or_else(|| {
                format!("{server:?} in --bus has no port; use HOST:PORT, e.g. 127.0.0.1:4222")
            })?;
            if host.is_empty() || host.contains(['/', '@', ' ']) || port.parse::<u16>().is_err() {
                return Err(format!(
                    "{server:?} in --bus is not HOST:PORT, e.g. 127.0.0.1:4222"
                ));
            }
            Ok(format!("nats://{host}:{port}"))
        })
        .collect()
}

/// Parses `--bus-stream`: a JetStream stream name (no spaces, `.`, `*`, `>`, path separators).
pub fn parse_stream_name(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 200
        && !value.contains(|c: char| c.is_whitespace() || ".*>/\\".contains(c));
    match ok {
        true => Ok(value.to_string()),
        false => Err(format!(
            "{value:?} is not a stream name: use letters, digits, - and _ (e.g. EVENTSCOPE)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_urls_list_every_server() {
        assert_eq!(
            parse_bus_url("nats://127.0.0.1:4222").unwrap(),
            ["nats://127.0.0.1:4222"]
        );
        assert_eq!(
            parse_bus_url("nats://a:4231,b:4232, nats://c:4233").unwrap(),
            ["nats://a:4231", "nats://b:4232", "nats://c:4233"]
        );
        for bad in [
            "kafka://a:9092",
            "127.0.0.1:4222",
            "nats://a",
            "nats://a:x",
            "nats://:1",
        ] {
            assert!(parse_bus_url(bad).is_err(), "{bad}");
        }
        assert!(
            parse_bus_url("kafka://a:9092")
                .unwrap_err()
                .contains("nats://HOST:PORT")
        );
    }

    #[test]
    fn stream_names_refuse_subject_characters() {
        assert_eq!(parse_stream_name("EVS_team-1").unwrap(), "EVS_team-1");
        for bad in ["", "a.b", "a*", "a>", "a b", "a/b"] {
            assert!(parse_stream_name(bad).is_err(), "{bad:?}");
        }
    }
}
