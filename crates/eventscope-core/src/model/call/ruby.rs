//! Ruby calls, analytics-ruby's keyword form:
//! `Analytics.track(user_id: "u", event: "Order Completed", properties: { revenue: 42 })`.

use super::literal::RUBY;
use super::{Parts, call_args, snake_arguments};

pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let args: Vec<String> = snake_arguments(parts, &RUBY)
        .into_iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect();
    call_args(
        &format!("{receiver}.{}(", parts.kind.as_str()),
        &args,
        ")",
        true,
    )
}
