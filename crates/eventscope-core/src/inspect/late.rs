//! `spec/late`: a message that arrived long after it happened (a mobile SDK's batch sent
//! hours later, a backdated import), judged from its own time fields ([`Lateness`]), so
//! `check`, the viewer's rows and its Findings tab say the same.

use super::{Finding, Kind, Severity};
use crate::model::json::Json;
use crate::model::{Lateness, Stamps, format_duration_ms};

/// The default threshold: an hour.
pub const DEFAULT_LATE_MS: i64 = 3_600_000;

/// When a message counts as late, and how loudly that is said (`[late]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateRule {
    /// Later than this on arrival is late.
    pub after_ms: i64,
    /// `None`: the rule is off.
    pub severity: Option<Severity>,
}

impl Default for LateRule {
    fn default() -> LateRule {
        LateRule {
            after_ms: DEFAULT_LATE_MS,
            severity: Some(Severity::Info),
        }
    }
}

impl LateRule {
    /// Adds `spec/late` to `out` when `message` arrived later than the threshold;
    /// `received_ms` (Unix ms, 0 unknown) stands in for a missing `receivedAt`.
    pub fn check(&self, message: &Json<'_>, received_ms: i64, out: &mut Vec<Finding>) {
        let Some(severity) = self.severity else {
            return;
        };
        let stamp = |key: &str| message.get(key).and_then(Json::as_str);
        let stamps = Stamps {
            timestamp: stamp("timestamp"),
            original_timestamp: stamp("originalTimestamp"),
            sent_at: stamp("sentAt"),
            received_at: stamp("receivedAt"),
        };
        let lateness = Lateness::of(stamps, received_ms);
        let Some(late) = lateness.late_ms().filter(|late| *late > self.after_ms) else {
            return;
        };
        let corrected = if lateness.skew_ms().is_some() {
            " (device clock corrected with sentAt)"
        } else {
            ""
        };
        out.push(
            Finding::new(
                Kind::Spec,
                "spec/late",
                "timestamp",
                severity,
                format!(
                    "arrived {} after its timestamp{corrected}: a late batch or a backdated \
                     event; warehouses and tools that window by time may miss it",
                    format_duration_ms(late)
                ),
            )
            .expected(format!("within {}", format_duration_ms(self.after_ms)))
            .actual(format_duration_ms(late)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(rule: LateRule, text: &str) -> Vec<Finding> {
        let message = Json::parse(text).unwrap();
        let mut out = Vec::new();
        rule.check(&message, 0, &mut out);
        out
    }

    #[test]
    fn a_message_older_than_the_threshold_on_arrival_is_late() {
        let backdated = r#"{"type":"track","event":"A","timestamp":"2026-11-22T09:00:00.000Z","receivedAt":"2026-11-22T12:00:00.000Z"}"#;
        let found = findings(LateRule::default(), backdated);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "spec/late");
        assert_eq!(found[0].severity, Severity::Info);
        assert_eq!(found[0].actual.as_deref(), Some("3h00m"));
        // Within the threshold: nothing; a tighter threshold, at warning: found.
        let recent = backdated.replace("09:00:00", "11:30:00");
        assert!(findings(LateRule::default(), &recent).is_empty());
        let strict = LateRule {
            after_ms: 5 * 60_000,
            severity: Some(Severity::Warning),
        };
        assert_eq!(findings(strict, &recent)[0].severity, Severity::Warning);
        // Off: nothing, however late.
        let off = LateRule {
            severity: None,
            ..LateRule::default()
        };
        assert!(findings(off, backdated).is_empty());
    }

    #[test]
    fn a_skewed_clock_alone_is_not_lateness() {
        // The device clock is 3 hours behind, but the event was sent 2 s after it happened.
        let skewed = r#"{"type":"track","event":"A","originalTimestamp":"2026-11-22T08:59:58.000Z","timestamp":"2026-11-22T11:59:58.000Z","sentAt":"2026-11-22T09:00:00.000Z","receivedAt":"2026-11-22T12:00:00.000Z"}"#;
        assert!(findings(LateRule::default(), skewed).is_empty());
    }
}
