//! Tracking plans (to be built): Segment Protocols' JSON Schema rules.

use serde_json::Value;

use super::Finding;

/// A loaded tracking plan.
#[derive(Debug)]
pub struct TrackingPlan {}

impl TrackingPlan {
    /// Appends a finding for each way `message` departs from the plan.
    pub fn check(&self, _message: &Value, _out: &mut Vec<Finding>) {}
}
