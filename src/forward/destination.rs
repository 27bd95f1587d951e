//! `[[destination]]` tables: what a destination is, its credentials and how to reach it.
//! (Stub: the forwarding work fills this in.)

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The kinds of destination eventscope can map messages for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    Webhook,
    Segment,
    Amplitude,
    Mixpanel,
    Ga4,
    Posthog,
    File,
}

impl DestinationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Segment => "segment",
            DestinationKind::Amplitude => "amplitude",
            DestinationKind::Mixpanel => "mixpanel",
            DestinationKind::Ga4 => "ga4",
            DestinationKind::Posthog => "posthog",
            DestinationKind::File => "file",
        }
    }
}

/// A configured destination, credentials resolved (`env:VAR` read), ready to map and send.
#[derive(Debug, Clone)]
pub struct Destination {
    pub name: String,
    pub kind: DestinationKind,
    /// Messages per request (1 for kinds without batches).
    pub batch_size: usize,
    /// Per attempt.
    pub timeout: Duration,
    /// Requests in flight at once to this destination.
    pub concurrency: usize,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// For `file`: where NDJSON is appended.
    pub file: Option<PathBuf>,
    /// Every secret value, to mask wherever text is shown.
    pub secrets: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error("destination `{name}`: {message}")]
    Invalid { name: String, message: String },
}
