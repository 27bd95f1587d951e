//! One finding per problem: the spec and the tracking plan often see the same fault at the same
//! path (`properties.revenue` is a string: `spec/reserved-type` and `plan/type`). Such pairs
//! become one finding, the more severe (the plan's on a tie), listing the other rule in `also`.

use super::{Finding, Kind};

/// What a rule complains about, for deciding whether two findings are the same problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The value has the wrong JSON type.
    Type,
    /// The value has the right type but the wrong form (format, pattern, allowed values).
    Form,
    /// The value is missing.
    Missing,
}

fn cause(rule: &str) -> Option<Cause> {
    Some(match rule {
        "plan/type"
        | "spec/reserved-type"
        | "spec/ecommerce-type"
        | "spec/products"
        | "spec/not-object"
        | "spec/id-not-string"
        | "spec/event-not-string"
        | "spec/name-not-string" => Cause::Type,
        "plan/format" | "plan/pattern" | "plan/enum" | "spec/email" | "spec/date"
        | "spec/currency" | "spec/timestamp" => Cause::Form,
        "plan/required" | "spec/missing-event" | "spec/missing-group-id" => Cause::Missing,
        _ => return None,
    })
}

/// Merges each spec finding into a plan finding with the same path and cause (or the plan's
/// into the spec's when that one is more severe). Order is otherwise kept.
pub(super) fn same_cause(findings: &mut Vec<Finding>) {
    let has = |kind| findings.iter().any(|f| f.kind == kind);
    if !has(Kind::Spec) || !has(Kind::Plan) {
        return;
    }
    let mut i = 0;
    while i < findings.len() {
        let Some(c) = (findings[i].kind == Kind::Spec)
            .then(|| cause(&findings[i].rule))
            .flatten()
        else {
            i += 1;
            continue;
        };
        let partner = findings.iter().position(|f| {
            f.kind == Kind::Plan && f.path == findings[i].path && cause(&f.rule) == Some(c)
        });
        let Some(p) = partner else {
            i += 1;
            continue;
        };
        let spec = findings.remove(i);
        let p = if p > i { p - 1 } else { p };
        let plan = &mut findings[p];
        if spec.severity > plan.severity {
            let plan_rule = std::mem::replace(plan, spec).rule;
            plan.also.push(plan_rule);
        } else {
            plan.also.push(spec.rule);
        }
        // `i` now points at the finding after the removed one.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::Severity;

    fn finding(kind: Kind, rule: &'static str, path: &str, severity: Severity) -> Finding {
        Finding::new(kind, rule, path, severity, rule)
    }

    #[test]
    fn a_spec_and_a_plan_finding_on_one_path_for_one_cause_are_one() {
        let mut findings = vec![
            finding(
                Kind::Spec,
                "spec/reserved-type",
                "properties.revenue",
                Severity::Warning,
            ),
            finding(
                Kind::Spec,
                "spec/currency",
                "properties.currency",
                Severity::Warning,
            ),
            finding(
                Kind::Plan,
                "plan/type",
                "properties.revenue",
                Severity::Error,
            ),
            finding(
                Kind::Plan,
                "plan/required",
                "properties.order_id",
                Severity::Error,
            ),
            finding(
                Kind::Plan,
                "plan/type",
                "properties.currency",
                Severity::Error,
            ),
        ];
        same_cause(&mut findings);
        let rules: Vec<Vec<&str>> = findings.iter().map(|f| f.rules().collect()).collect();
        assert_eq!(
            rules,
            [
                vec!["spec/currency"],
                vec!["plan/type", "spec/reserved-type"],
                vec!["plan/required"],
                vec!["plan/type"],
            ],
            "a type and a form problem on one path stay two"
        );
        assert_eq!(findings[1].severity, Severity::Error);
    }

    #[test]
    fn the_more_severe_finding_leads() {
        let mut findings = vec![
            finding(Kind::Plan, "plan/format", "traits.email", Severity::Warning),
            finding(Kind::Spec, "spec/email", "traits.email", Severity::Error),
        ];
        same_cause(&mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].rules().collect::<Vec<_>>(),
            ["spec/email", "plan/format"]
        );
    }
}
