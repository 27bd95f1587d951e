//! Destination filters: a condition and an action, applied in order, as Segment does.
//!
//! Each filter acts only on messages its condition matches: `Drop` drops them, `Sample` keeps
//! `percent` of them, `AllowFields`/`BlockFields` strip fields. A condition that cannot be
//! evaluated drops the message (a PII filter never fails open). Conditions are evaluated on the
//! message as sent: a field stripped by an earlier filter is still visible to a later condition.
//!
//! Sampling is deterministic: the messageId's FNV-1a 64-bit hash, high half folded into the
//! low, modulo 10,000 gives a bucket; the message is kept when `bucket < percent × 100`. The same
//! message is kept or dropped on every run and by every destination sampling the same percent.

use std::fmt;

use super::fields::{self, FieldPath};
use crate::model::json::Json;

/// A filter's condition (FQL in practice). `Err` carries why it cannot be evaluated.
pub trait Condition: Send + Sync {
    fn matches(&self, message: &Json<'_>) -> Result<bool, String>;
}

/// A destination filter's `if`, in Segment's Filter Query Language. A statement that cannot be
/// evaluated on a message is an `Err`, which drops the message (as Segment does).
impl Condition for crate::filter::fql::Query {
    fn matches(&self, message: &Json<'_>) -> Result<bool, String> {
        crate::filter::fql::Query::matches(self, message).map_err(|e| e.to_string())
    }
}

/// Compiles a filter's `if` as FQL: the `condition` argument of
/// [`Destination::from_config`](super::Destination::from_config).
pub fn fql(text: &str) -> Result<Box<dyn Condition>, String> {
    crate::filter::fql::Query::parse(text)
        .map(|query| Box::new(query) as Box<dyn Condition>)
        .map_err(|e| e.to_string())
}

/// The condition of a filter written without `if`: every message.
pub struct Always;

impl Condition for Always {
    fn matches(&self, _message: &Json<'_>) -> Result<bool, String> {
        Ok(true)
    }
}

/// What a filter does to the messages its condition matches.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterAction {
    Drop,
    /// Keep this percentage (0–100) of the messages.
    Sample {
        percent: f64,
    },
    AllowFields(Vec<FieldPath>),
    BlockFields(Vec<FieldPath>),
}

/// One destination filter.
pub struct Filter {
    pub condition: Box<dyn Condition>,
    /// The condition as written, quoted in verdicts.
    pub text: String,
    pub action: FilterAction,
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filter")
            .field("text", &self.text)
            .field("action", &self.action)
            .finish()
    }
}

/// The sample bucket (0..10,000) of a messageId: FNV-1a 64, folded, modulo 10,000.
pub fn sample_bucket(message_id: &str) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = message_id.bytes().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    ((hash ^ (hash >> 32)) % 10_000) as u32
}

/// The fields the filters strip, or `Err(rule)` when one drops the message.
pub(super) fn apply(
    filters: &[Filter],
    message: &Json<'_>,
    message_id: &str,
) -> Result<Vec<String>, String> {
    let mut stripped = Vec::new();
    for (index, filter) in filters.iter().enumerate() {
        let number = index + 1;
        match filter.condition.matches(message) {
            Err(error) => {
                return Err(format!(
                    "filter {number} cannot be evaluated, so it drops: {error}"
                ));
            }
            Ok(false) => continue,
            Ok(true) => {}
        }
        match &filter.action {
            FilterAction::Drop => return Err(format!("filter {number} drops: {}", filter.text)),
            FilterAction::Sample { percent } => {
                if f64::from(sample_bucket(message_id)) >= percent * 100.0 {
                    return Err(format!(
                        "filter {number} samples {percent} %, not this one: {}",
                        filter.text
                    ));
                }
            }
            FilterAction::AllowFields(paths) => fields::allow(message, paths, &mut stripped),
            FilterAction::BlockFields(paths) => fields::block(message, paths, &mut stripped),
        }
    }
    Ok(stripped)
}
