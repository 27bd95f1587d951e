//! Python calls, analytics-python's keyword form (RudderStack's fork takes the same):
//! `analytics.track(user_id='u', event='Order Completed', properties={'revenue': 42})`.

use super::literal::PYTHON;
use super::{Parts, call_args, snake_arguments};

pub(super) fn call(receiver: &str, parts: &Parts<'_, '_>) -> String {
    let args: Vec<String> = snake_arguments(parts, &PYTHON)
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    call_args(
        &format!("{receiver}.{}(", parts.kind.as_str()),
        &args,
        ")",
        true,
    )
}
