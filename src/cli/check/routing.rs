//! `check --routing`: for each message and each `[[destination]]`, Segment's routing verdict
//! (delivered, or dropped with its reason), counted per destination and said as findings:
//! `routing/dropped/<reason>` (info, or error where `--require-delivery` asks for the message)
//! and `routing/stripped` (info). Destinations are built from their tables alone — no `env:`
//! credential is read — so CI judges routing without secrets.

use std::path::Path;

use eventscope_core::config::Config;
use eventscope_core::inspect::{Finding, Kind, Severity};
use eventscope_core::model::json::Json;
use eventscope_core::routing::{self, Reason, Verdict};

use super::tally::{Example, JUNIT_EXAMPLES, Names};

/// The reasons in routing's order: the columns of the report and the index of `dropped`.
pub const REASONS: [Reason; 4] = [
    Reason::Consent,
    Reason::Integrations,
    Reason::Filter,
    Reason::Unsupported,
];

/// One destination's totals.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub delivered: u64,
    /// By [`REASONS`] index.
    pub dropped: [u64; 4],
    /// Delivered with fields its filters strip.
    pub stripped: u64,
}

impl Counts {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// One configured destination, its routing and what it was found to get.
pub struct Route {
    pub name: String,
    /// The catalog name the integrations object uses (the name for a `file` destination).
    pub segment_name: String,
    destination: routing::Destination,
    /// `--require-delivery NAME`: every message must reach it.
    required_all: bool,
    /// `--require-delivery NAME:EVENT`: the messages of these events must.
    required_events: Vec<String>,
    pub counts: Counts,
    /// Its findings at or above `--fail-on`, and the first few of them (for JUnit).
    pub failing: u64,
    pub examples: Vec<Example>,
}

impl Route {
    fn requires(&self, event: &str) -> bool {
        self.required_all || self.required_events.iter().any(|e| e == event)
    }
}

/// Every destination's routing, in config order, and the findings of the message at hand.
pub struct Routes {
    pub routes: Vec<Route>,
    /// Messages routed (bare messages and recorded events; refused requests are not).
    pub messages: u64,
    fail_on: Severity,
    /// The current message's findings, each with the index of its destination.
    found: Vec<(usize, Finding)>,
}

impl Routes {
    /// The destinations of `config` (read from `path`, if any) and the `--require-delivery`
    /// specs. `Err` is one line for the user: no destinations (naming the file looked at), a
    /// duplicate name, an unknown name in `required`.
    pub fn from_config(
        config: &Config,
        path: Option<&Path>,
        required: &[String],
        fail_on: Severity,
    ) -> Result<Routes, String> {
        if config.destination.is_empty() {
            return Err(match path {
                Some(path) => format!(
                    "--routing needs [[destination]] tables, and {} has none",
                    path.display()
                ),
                None => format!(
                    "--routing needs [[destination]] tables, and there is no config file (looked \
                     for {}); write one or pass --config FILE",
                    Config::search_paths()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            });
        }
        let mut routes: Vec<Route> = Vec::with_capacity(config.destination.len());
        for table in &config.destination {
            let name = table.name.trim();
            if routes.iter().any(|r| r.name == name) {
                return Err(format!("two destinations are called `{name}`"));
            }
            let destination = routing::Destination::from_config(table, &routing::fql)
                .map_err(|e| format!("destination `{name}`: {e}"))?;
            routes.push(Route {
                name: name.to_string(),
                segment_name: destination.segment_name.clone(),
                destination,
                required_all: false,
                required_events: Vec::new(),
                counts: Counts::default(),
                failing: 0,
                examples: Vec::new(),
            });
        }
        for spec in required {
            let (name, event) = match spec.split_once(':') {
                Some((name, event)) => (name.trim(), Some(event)),
                None => (spec.trim(), None),
            };
            let Some(route) = routes.iter_mut().find(|r| r.name == name) else {
                let names: Vec<&str> = routes.iter().map(|r| r.name.as_str()).collect();
                return Err(format!(
                    "--require-delivery {spec}: no destination `{name}`; configured: {}",
                    names.join(", ")
                ));
            };
            match event {
                Some("") => {
                    return Err(format!(
                        "--require-delivery {spec}: the event after `:` is empty; write \
                         NAME:EVENT, or NAME for every message"
                    ));
                }
                Some(event) => route.required_events.push(event.to_string()),
                None => route.required_all = true,
            }
        }
        Ok(Routes {
            routes,
            messages: 0,
            fail_on,
            found: Vec::new(),
        })
    }

    /// Routes one message to every destination, counting the verdicts; its findings are then
    /// in [`Routes::take_found`].
    pub fn judge(&mut self, message: &Json<'_>, event: &str) {
        self.messages += 1;
        self.found.clear();
        let facts = routing::Facts::of(message);
        for (index, route) in self.routes.iter_mut().enumerate() {
            match routing::route_facts(&facts, &route.destination) {
                Verdict::Routed { stripped } => {
                    route.counts.delivered += 1;
                    if !stripped.is_empty() {
                        route.counts.stripped += 1;
                        let finding = Finding::new(
                            Kind::Routing,
                            "routing/stripped",
                            "",
                            Severity::Info,
                            format!(
                                "delivered to {} without {} (its filters strip them)",
                                route.name,
                                stripped.join(", ")
                            ),
                        );
                        self.found.push((index, finding));
                    }
                }
                Verdict::Dropped { reason, rule } => {
                    route.counts.dropped[slot(reason)] += 1;
                    let (severity, required) = if route.requires(event) {
                        (Severity::Error, ", which --require-delivery requires")
                    } else {
                        (Severity::Info, "")
                    };
                    let finding = Finding::new(
                        Kind::Routing,
                        rule_name(reason),
                        path(reason),
                        severity,
                        format!("not delivered to {}{required}: {rule}", route.name),
                    );
                    self.found.push((index, finding));
                }
            }
        }
    }

    /// The current message's findings (give them back with [`Routes::give_back`], so the
    /// buffer is reused).
    pub fn take_found(&mut self) -> Vec<(usize, Finding)> {
        std::mem::take(&mut self.found)
    }

    pub fn give_back(&mut self, found: Vec<(usize, Finding)>) {
        self.found = found;
    }

    /// Counts a finding of destination `index` that fails the run, keeping a few as examples.
    pub fn failing(&mut self, index: usize, finding: &Finding, names: &Names<'_>, line: u64) {
        if finding.severity < self.fail_on {
            return;
        }
        if let Some(route) = self.routes.get_mut(index) {
            route.failing += 1;
            if route.examples.len() < JUNIT_EXAMPLES {
                route
                    .examples
                    .push(Example::of(finding, line, names.message_id));
            }
        }
    }

    pub fn name(&self, index: usize) -> Option<&str> {
        self.routes.get(index).map(|r| r.name.as_str())
    }
}

/// The reason's index in [`REASONS`].
fn slot(reason: Reason) -> usize {
    match reason {
        Reason::Consent => 0,
        Reason::Integrations => 1,
        Reason::Filter => 2,
        Reason::Unsupported => 3,
    }
}

/// `routing/dropped/consent`, …
fn rule_name(reason: Reason) -> &'static str {
    match reason {
        Reason::Consent => "routing/dropped/consent",
        Reason::Integrations => "routing/dropped/integrations",
        Reason::Filter => "routing/dropped/filter",
        Reason::Unsupported => "routing/dropped/unsupported",
    }
}

/// Where in the message the reason lies (the whole message for a filter).
fn path(reason: Reason) -> &'static str {
    match reason {
        Reason::Consent => "context.consent.categoryPreferences",
        Reason::Integrations => "integrations",
        Reason::Filter => "",
        Reason::Unsupported => "type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_counts_in_its_own_column() {
        for (index, reason) in REASONS.into_iter().enumerate() {
            assert_eq!(slot(reason), index, "{reason}");
            assert!(rule_name(reason).ends_with(reason.as_str()));
        }
    }
}
