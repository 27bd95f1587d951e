//! Privacy matchers (to be built): values and key names that hold personal data or secrets.

use serde_json::Value;

use super::Finding;

/// The configured matchers.
#[derive(Debug, Default)]
pub struct PiiMatchers {}

impl PiiMatchers {
    /// Appends a finding for each value or key that matches.
    pub fn scan(&self, _message: &Value, _out: &mut Vec<Finding>) {}
}
