//! Segment spec rules (to be built).

use serde_json::Value;

use super::Finding;

#[derive(Debug, Default)]
pub struct SpecRules {}

impl SpecRules {
    pub fn check(&self, _message: &Value, _size: usize, _out: &mut Vec<Finding>) {}
}
