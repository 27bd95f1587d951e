//! `eventscope check` as CI uses it: the real binary over the fixture recording and plan.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs")
}

fn labels() -> Vec<Value> {
    std::fs::read_to_string(format!("{FIXTURES}/labels.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The rule codes that count as finding a labelled problem.
fn rules_for(kind: &str, label: &str) -> &'static [&'static str] {
    match (kind, label) {
        ("plan", "wrong_type") => &["plan/type"],
        ("plan", "missing_required") => &["plan/required"],
        ("plan", "unplanned_property") => &["plan/unplanned-property"],
        ("plan", "unplanned_event") => &["plan/unplanned-event"],
        ("pii", "email") => &["pii/email"],
        ("pii", "phone") => &["pii/phone"],
        ("pii", "card") => &["pii/card"],
        ("pii", "ssn") => &["pii/ssn"],
        ("pii", "iban") => &["pii/iban"],
        ("pii", "jwt") => &["pii/jwt"],
        ("pii", "api_key") => &["pii/api-key"],
        _ => &[],
    }
}

#[test]
fn the_fixture_findings_match_the_labels() {
    let output = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "--format",
        "json",
        "tests/fixtures/events.ndjson",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "errors were found: {stderr}");
    // line → (kind, rule) of findings at warning or above.
    let mut found: BTreeMap<u64, BTreeSet<(String, String)>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let finding: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(finding["messageId"].is_string(), "{finding}");
        let severity = finding["severity"].as_str().unwrap();
        if severity == "info" {
            continue;
        }
        found
            .entry(finding["line"].as_u64().unwrap())
            .or_default()
            .insert((
                finding["kind"].as_str().unwrap().to_string(),
                finding["rule"].as_str().unwrap().to_string(),
            ));
    }
    let mut problems = Vec::new();
    for label in labels() {
        let line = label["line"].as_u64().unwrap();
        let findings = found.get(&line).cloned().unwrap_or_default();
        for kind in ["plan", "pii"] {
            let key = if kind == "plan" { "violation" } else { "pii" };
            let of_kind: Vec<&String> = findings
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, rule)| rule)
                .collect();
            match label[key].as_str() {
                Some(expected) => {
                    let wanted = rules_for(kind, expected);
                    if !of_kind.iter().any(|rule| wanted.contains(&rule.as_str())) {
                        problems.push(format!(
                            "line {line}: labelled {kind} {expected}, found {of_kind:?}"
                        ));
                    }
                }
                None if label["violation"].is_null()
                    && label["pii"].is_null()
                    && !of_kind.is_empty() =>
                {
                    problems.push(format!(
                        "line {line}: unlabelled, but {kind} findings {of_kind:?}"
                    ));
                }
                None => {}
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn junit_output_is_valid_xml_with_one_case_per_event_name() {
    let output = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "--format",
        "junit",
        "tests/fixtures/events.ndjson",
    ]);
    let xml = String::from_utf8(output.stdout).unwrap();
    let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<_> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: BTreeSet<&str> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(names.len(), cases.len(), "one case per event name");
    assert!(names.contains("Order Completed (track)"), "{names:?}");
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    let suite = document
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("failures"),
        Some(failures.to_string().as_str())
    );
    assert!(failures > 0);
}

#[test]
fn exit_codes_say_clean_findings_or_usage_problems() {
    let dir = std::env::temp_dir().join(format!("eventscope-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let clean = dir.join("clean.ndjson");
    std::fs::write(
        &clean,
        r#"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m1","properties":{"order_id":"o1","total":10,"currency":"USD"}}
"#,
    )
    .unwrap();
    let clean = clean.to_str().unwrap();
    assert_eq!(check(&[clean]).status.code(), Some(0));

    let warned = dir.join("warned.ndjson");
    std::fs::write(
        &warned,
        "{\"type\":\"track\",\"event\":\"order done\",\"userId\":\"u\"}\n",
    )
    .unwrap();
    let warned = warned.to_str().unwrap();
    assert_eq!(
        check(&[warned]).status.code(),
        Some(0),
        "a warning is not an error"
    );
    assert_eq!(
        check(&["--fail-on", "warning", warned]).status.code(),
        Some(1)
    );

    let missing = check(&["/nonexistent/file.ndjson"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.ndjson"));

    let bad_plan = dir.join("plan.json");
    std::fs::write(&bad_plan, "{\"rules\": [").unwrap();
    let output = check(&["--plan", bad_plan.to_str().unwrap(), clean]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("plan.json"), "{stderr}");

    let stdin = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["check", "-"])
        .stdin(std::fs::File::open(clean).unwrap())
        .output()
        .unwrap();
    assert_eq!(stdin.status.code(), Some(0), "reads standard input");
}

#[test]
fn pii_rules_from_the_config_apply_and_a_bad_one_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("eventscope-pii-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        r#"{"type":"track","event":"Order Completed","userId":"u1","properties":{"loyalty_card":"LC-1234-5678"}}
"#,
    )
    .unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        "[[pii.matcher]]\nname = \"loyalty\"\nclass = \"red\"\non = \"value\"\npattern = \"LC-\\\\d{4}-\\\\d{4}\"\n",
    )
    .unwrap();
    let events = events.to_str().unwrap();
    let config_path = config.to_str().unwrap();
    let output = check(&["--config", config_path, "--format", "json", events]);
    assert_eq!(output.status.code(), Some(1), "a Red match is an error");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("custom:loyalty"), "{stdout}");
    assert!(
        !stdout.contains("LC-1234-5678"),
        "the value is masked: {stdout}"
    );

    std::fs::write(
        &config,
        "[[pii.matcher]]\nname = \"broken\"\nclass = \"red\"\npattern = \"(unclosed\"\n",
    )
    .unwrap();
    let output = check(&["--config", config_path, events]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("broken"), "{stderr}");
}
