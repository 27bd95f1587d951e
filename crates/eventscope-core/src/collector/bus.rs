//! The collector's side of `--bus`: the bus messages of a request's frames, and the 503 an
//! SDK gets when the bus cannot take them.

use axum::http::StatusCode;

use super::IngestError;
use super::envelope::FinishedMessage;
use crate::bus::{BusError, BusMessage, subject};
use crate::hub::PendingFrame;

/// `Retry-After` (seconds) on a `bus_unavailable` answer: about how long a restarting bus
/// server or a cluster electing a new leader takes.
pub const RETRY_AFTER_SECS: u32 = 2;

/// Where one accepted message goes on the bus, taken before its frame is built.
pub struct BusRoute {
    message_id: Option<String>,
    type_token: &'static str,
    digits: String,
}

impl BusRoute {
    pub fn of(message: &FinishedMessage) -> BusRoute {
        BusRoute {
            message_id: message.message_id.clone(),
            type_token: subject::type_token(message.message_type.as_deref()),
            digits: subject::person_digits(message.person.as_deref()),
        }
    }
}

/// The bus messages of a request's event frames (`routes[i]` is `frames[i]`'s), from the
/// request's write key.
pub fn event_messages(
    write_key: Option<&str>,
    frames: &[PendingFrame],
    routes: Vec<BusRoute>,
) -> Vec<BusMessage> {
    let src = subject::source_token(write_key);
    frames
        .iter()
        .zip(routes)
        .map(|(frame, route)| BusMessage {
            subject: subject::subject(&src, route.type_token, &route.digits),
            message_id: route.message_id,
            payload: frame.unsequenced_json().into(),
        })
        .collect()
}

/// The bus message of a `rejected` frame: about no person, with no messageId.
pub fn rejected_message(write_key: Option<&str>, frame: &PendingFrame) -> BusMessage {
    BusMessage {
        subject: subject::subject(
            &subject::source_token(write_key),
            subject::REJECTED,
            subject::NO_PERSON,
        ),
        message_id: None,
        payload: frame.unsequenced_json().into(),
    }
}

/// 503 `bus_unavailable` with `Retry-After`: SDKs send the batch again.
pub fn unavailable(error: &BusError) -> IngestError {
    IngestError {
        retry_after: Some(RETRY_AFTER_SECS),
        ..IngestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "bus_unavailable",
            format!("{error}; nothing was acknowledged, send again"),
        )
    }
}
