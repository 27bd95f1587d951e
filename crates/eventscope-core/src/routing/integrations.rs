//! The integrations object: `"Mixpanel": false` keeps a message from that destination; with
//! `"All": false` only destinations named `true` or with an options object receive it. `All`
//! defaults to true; keys are catalog names, compared exactly. Per the reference it filters
//! track, page, group, identify and screen calls; other calls pass it.

use crate::model::json::{Json, Object};

const FILTERED_CALLS: [&str; 5] = ["track", "page", "group", "identify", "screen"];

/// `Err(rule)` when the integrations object keeps the call from the destination `name`.
pub(super) fn check(
    integrations: Option<&Object<'_>>,
    name: &str,
    call: &str,
) -> Result<(), String> {
    let Some(integrations) = integrations else {
        return Ok(());
    };
    if !FILTERED_CALLS.contains(&call) {
        return Ok(());
    }
    match integrations.get(name) {
        Some(Json::Bool(false)) => return Err(format!("integrations.{name} = false")),
        Some(Json::Bool(true) | Json::Object(_)) => return Ok(()),
        // Other values (null, strings) say nothing: `All` decides.
        _ => {}
    }
    match integrations.get("All") {
        Some(Json::Bool(false)) => Err(format!("integrations.All = false ({name} not enabled)")),
        _ => Ok(()),
    }
}
