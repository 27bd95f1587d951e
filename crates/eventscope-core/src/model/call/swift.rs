//! Swift calls, analytics-swift's labelled form:
//! `analytics.track(name: "Order Completed", properties: ["revenue": 42])`.

use super::literal::SWIFT;
use super::{Kind, Parts, call_args};
use crate::model::json::Json;

/// `None` for a page: analytics-swift has no page call.
pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> Option<String> {
    let mut args: Vec<String> = Vec::new();
    let mut arg = |label: &str, value: Option<&Json<'_>>| {
        if let Some(value) = value {
            args.push(format!("{label}: {}", SWIFT.value(value)));
        }
    };
    let payload_label = match parts.kind {
        Kind::Track => {
            arg("name", parts.name);
            "properties"
        }
        Kind::Identify => {
            arg("userId", parts.user_id);
            "traits"
        }
        Kind::Screen => {
            arg("title", parts.name);
            arg("category", parts.category);
            "properties"
        }
        Kind::Group => {
            arg("groupId", parts.group_id);
            "traits"
        }
        Kind::Alias => {
            arg("newId", parts.user_id);
            ""
        }
        Kind::Page => return None,
    };
    if let Some(payload) = parts.payload.as_ref().filter(|_| !payload_label.is_empty()) {
        args.push(format!("{payload_label}: {}", SWIFT.map_of(payload)));
    }
    // Swift allows no comma after a call's last argument before 6.1.
    Some(call_args(
        &format!("{receiver}.{}(", parts.kind.as_str()),
        &args,
        ")",
        false,
    ))
}
