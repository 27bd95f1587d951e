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
        "ndjson",
        "tests/fixtures/events.ndjson",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "errors were found: {stderr}");
    // line → (kind, rule) of findings at warning or above.
    let mut found: BTreeMap<u64, BTreeSet<(String, String)>> = BTreeMap::new();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines: Vec<&str> = stdout.lines().collect();
    let last: Value = serde_json::from_str(lines.pop().unwrap()).unwrap();
    assert!(last["summary"].is_object(), "ends with a summary: {last}");
    assert_eq!(
        last["summary"]["findings"].as_u64(),
        Some(lines.len() as u64)
    );
    for line in lines {
        let finding: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(finding["messageId"].is_string(), "{finding}");
        let severity = finding["severity"].as_str().unwrap();
        if severity == "info" {
            continue;
        }
        // A merged finding counts for each of its rules.
        let rules = std::iter::once(&finding["rule"])
            .chain(finding["also"].as_array().into_iter().flatten())
            .map(|r| r.as_str().unwrap().to_string());
        for rule in rules {
            let kind = rule.split('/').next().unwrap().to_string();
            let kind = if kind == "custom" { "pii".into() } else { kind };
            found
                .entry(finding["line"].as_u64().unwrap())
                .or_default()
                .insert((
                    if finding["kind"] == "pii" {
                        "pii".into()
                    } else {
                        kind
                    },
                    rule,
                ));
        }
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

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eventscope-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fixture's findings as one JSON document, read by python's `json.load` (a real JSON
/// parser outside Rust): the findings listed and the summary's totals agree.
#[test]
fn the_json_document_parses_with_python_and_its_totals_count_its_findings() {
    let output = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "--format",
        "json",
        "--show",
        "info",
        "tests/fixtures/events.ndjson",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let dir = scratch("json-doc");
    let doc = dir.join("check.json");
    std::fs::write(&doc, &output.stdout).unwrap();
    let script = r#"
import json, sys, collections
doc = json.load(open(sys.argv[1]))
s, f = doc["summary"], doc["findings"]
assert s["findings"] == len(f), (s["findings"], len(f))
assert s["by_severity"] == dict(collections.Counter(x["severity"] for x in f) | {k: 0 for k in ("error", "warning", "info") if k not in {x["severity"] for x in f}}), s["by_severity"]
assert s["by_rule"] == dict(collections.Counter(x["rule"] for x in f)), "by_rule"
assert s["by_event"] == dict(collections.Counter(x["event"] for x in f)), "by_event"
assert all(x["event"] for x in f), "every finding names its event"
assert any(x["type"] == "identify" and x["event"] == "identify" for x in f)
print("ok", len(f))
"#;
    let python = match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&doc)
        .output()
    {
        Ok(python) => python,
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("SKIPPED: python3 not available ({e})");
            return;
        }
        Err(e) => panic!("python3 is required under CI: {e}"),
    };
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    assert!(String::from_utf8_lossy(&python.stdout).starts_with("ok "));
}

const MISSPELLED: &str = r#"{"type":"track","event":"Product Viewd","userId":"u1","messageId":"m1","properties":{"product_id":"p1"}}
{"type":"identify","userId":"u1","messageId":"m2","traits":{"name":"Ada","email":"ada@example.com"}}
"#;

#[test]
fn a_misspelled_event_gets_a_suggestion_and_fails_at_warning() {
    let dir = scratch("misspelled");
    let events = dir.join("events.ndjson");
    std::fs::write(&events, MISSPELLED).unwrap();
    let events = events.to_str().unwrap();
    let plan = "tests/fixtures/plan.json";
    let output = check(&["--plan", plan, "--format", "ndjson", events]);
    assert_eq!(output.status.code(), Some(0), "a warning by default");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let unplanned: Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|f| f["rule"] == "plan/unplanned-event")
        .unwrap_or_else(|| panic!("no unplanned-event finding: {stdout}"));
    assert!(
        unplanned["message"]
            .as_str()
            .unwrap()
            .contains("did you mean \"Product Viewed\"?"),
        "{unplanned}"
    );
    assert_eq!(unplanned["event"], "Product Viewd");
    assert_eq!(
        check(&["--plan", plan, "--fail-on", "warning", events])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        check(&["--plan", plan, "--unplanned-event", "error", events])
            .status
            .code(),
        Some(1),
        "the flag makes it an error"
    );
}

/// The JUnit case of an unplanned event fails at or above `--fail-on`; `[plan]
/// unplanned_event = "allow"` in the config lets it pass with no finding.
#[test]
fn junit_fails_an_unplanned_event_unless_the_config_allows_it() {
    let dir = scratch("junit-unplanned");
    let events = dir.join("events.ndjson");
    std::fs::write(&events, MISSPELLED).unwrap();
    let events = events.to_str().unwrap();
    let plan = "tests/fixtures/plan.json";
    let case = |output: &Output| {
        let xml = String::from_utf8(output.stdout.clone()).unwrap();
        let document = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let case = document
            .descendants()
            .find(|n| n.attribute("name") == Some("Product Viewd (track)"))
            .unwrap_or_else(|| panic!("a case for the event: {xml}"));
        let failure = case
            .children()
            .find(|n| n.has_tag_name("failure"))
            .map(|n| n.text().unwrap_or_default().to_string());
        (failure, xml.clone())
    };
    let output = check(&[
        "--plan",
        plan,
        "--format",
        "junit",
        "--fail-on",
        "warning",
        events,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let (failure, xml) = case(&output);
    let failure = failure.unwrap_or_else(|| panic!("the case fails: {xml}"));
    assert!(failure.contains("plan/unplanned-event"), "{failure}");
    assert!(failure.contains("Product Viewed"), "{failure}");

    let config = dir.join("eventscope.toml");
    std::fs::write(
        &config,
        format!("[plan]\nfile = \"{plan}\"\nunplanned_event = \"error\"\n"),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let output = check(&["--config", config, "--format", "junit", events]);
    assert_eq!(output.status.code(), Some(1), "an error by config");
    assert!(case(&output).0.is_some());

    std::fs::write(
        config,
        format!("[plan]\nfile = \"{plan}\"\nunplanned_event = \"allow\"\n"),
    )
    .unwrap();
    let output = check(&[
        "--config",
        config,
        "--format",
        "junit",
        "--fail-on",
        "warning",
        events,
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(case(&output).0, None);
}

#[test]
fn text_puts_totals_first_then_findings_by_severity() {
    let output = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "--show",
        "info",
        "tests/fixtures/events.ndjson",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    assert!(at("By rule") < at("By event"));
    assert!(at("By event") < at("\nErrors ("));
    assert!(at("\nErrors (") < at("\nWarnings ("));
    assert!(at("\nWarnings (") < at("\nInfo ("));
    // Under a heading: rules, then events (indented deeper), then examples.
    let errors = &text[at("\nErrors (")..at("\nWarnings (")];
    let lines: Vec<&str> = errors.trim_start().lines().collect();
    assert!(lines[0].starts_with("Errors ("), "{errors}");
    assert!(
        lines[1].starts_with("  ") && lines[1].contains('/'),
        "a rule: {errors}"
    );
    assert!(lines[2].starts_with("    "), "an event under it: {errors}");
    // "… and N more" counts only what its group hides: at the default --show (warning) no
    // info finding is counted anywhere.
    let output = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "tests/fixtures/events.ndjson",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("\nInfo ("), "{text}");
    assert!(
        text.lines().next().unwrap().contains("info not shown"),
        "{text}"
    );
    let json = check(&[
        "--plan",
        "tests/fixtures/plan.json",
        "--format",
        "json",
        "tests/fixtures/events.ndjson",
    ]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let listed = doc["findings"].as_array().unwrap().len() as u64;
    let mut examples = 0u64;
    let mut more = 0u64;
    for line in text.lines() {
        if let Some(n) = line
            .trim()
            .strip_prefix("… and ")
            .and_then(|r| r.strip_suffix(" more"))
        {
            more += n.replace(',', "").parse::<u64>().unwrap();
        } else if line.starts_with("      ") {
            examples += 1;
        }
    }
    assert_eq!(
        examples + more,
        listed,
        "shown plus hidden is what JSON lists"
    );
}

/// `[identity]` in the config: a valid table is accepted (check runs as without it); each bad
/// entry stops check at start (exit 2) with one line naming the file, the key and what is
/// allowed.
#[test]
fn a_bad_identity_table_stops_check_with_one_line_naming_the_key() {
    let dir = scratch("identity-config");
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        r#"{"type":"identify","userId":"user-1","anonymousId":"a-1","traits":{"email":"jane@example.com"}}
"#,
    )
    .unwrap();
    let config = dir.join("eventscope.toml");
    let (events, config_path) = (events.to_str().unwrap(), config.to_str().unwrap());
    std::fs::write(
        &config,
        r#"[identity]
blocked = ["void", "abc123", "re:^test-.*$"]
limits = { user_id = 1, anonymous_id = "5 weekly", "ios.id" = "1 daily" }
priority = ["user_id", "email", "phone"]
max_identifiers = 1000000
shared_identifier_users = 5

[[identity.identifier]]
type = "phone"
path = "traits.phone"
"#,
    )
    .unwrap();
    let output = check(&["--config", config_path, events]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "a valid table: {stderr}");

    let cases = [
        (
            "[identity]\nlimits = { anonymous_id = \"5 fortnightly\" }\n",
            "[identity] limits.anonymous_id: \"5 fortnightly\": use N or \
             \"N daily|weekly|monthly|annually\"",
        ),
        (
            "[identity]\nblocked = [\"re:[a-\"]\n",
            "[identity] blocked: \"re:[a-\": bad regex:",
        ),
        (
            "[identity]\npriority = [\"email\", \"user_id\", \"email\"]\n",
            "[identity] priority: \"email\" is listed twice",
        ),
        (
            "[[identity.identifier]]\ntype = \"user_id\"\npath = \"traits.id\"\n",
            "[[identity.identifier]] type = \"user_id\": a built-in identifier type",
        ),
        (
            "[identity]\nlimits = { user_id = 0 }\n",
            "limits.user_id: 0:",
        ),
        (
            "[identity]\nblockd = [\"void\"]\n",
            "unknown field `blockd`",
        ),
        (
            "[identity]\nshared_identifier_users = 0\n",
            "[identity] shared_identifier_users: 0: use a whole number from 1 to 999",
        ),
    ];
    for (table, message) in cases {
        std::fs::write(&config, table).unwrap();
        let output = check(&["--config", config_path, events]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{table}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with("eventscope check: ") && stderr.contains(config_path),
            "names the file: {stderr}"
        );
        assert!(stderr.contains(message), "{table}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing judged: {stderr}");
    }
}

/// A userId `[identity]` blocks is an `identity/blocked-id` warning in check's output, naming
/// the path and the rule; without the table the same recording has no such finding.
#[test]
fn a_blocked_user_id_is_an_identity_finding_in_check() {
    let dir = scratch("identity-blocked");
    let events = dir.join("events.ndjson");
    std::fs::write(
        &events,
        r#"{"type":"track","event":"Order Completed","userId":"void","anonymousId":"a-1","messageId":"m-1"}
"#,
    )
    .unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, "[identity]\nblocked = [\"void\"]\n").unwrap();
    let (events, config_path) = (events.to_str().unwrap(), config.to_str().unwrap());

    let output = check(&["--config", config_path, "--format", "ndjson", events]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let findings: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|f: &Value| f["rule"] == "identity/blocked-id")
        .collect();
    assert_eq!(findings.len(), 1, "{stdout}");
    let finding = &findings[0];
    assert_eq!(finding["kind"], "identity", "{finding}");
    assert_eq!(finding["path"], "userId", "{finding}");
    assert_eq!(finding["severity"], "warning", "{finding}");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("exact \"void\""), "{message}");
    assert!(message.contains("not promote"), "{message}");

    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let output = check(&[
        "--config",
        empty.to_str().unwrap(),
        "--format",
        "ndjson",
        events,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("identity/blocked-id"), "{stdout}");
}

/// The identity findings (`identity/…` verdicts that need other messages) of an NDJSON run, as
/// (the message's seq, rule, the seqs it names).
fn across_findings(stdout: &str) -> Vec<(u64, String, Vec<u64>)> {
    ndjson_findings(stdout, |f| {
        let rule = f["rule"].as_str().unwrap();
        rule.starts_with("identity/")
            && !matches!(rule, "identity/blocked-id" | "identity/userid-looks-like")
    })
    .into_iter()
    .map(|(seq, rule, _, seqs)| (seq, rule, seqs))
    .collect()
}

/// The findings of an NDJSON run that `keep` picks, as (the message's seq, rule, path, the seqs
/// it names).
fn ndjson_findings(
    stdout: &str,
    keep: impl Fn(&Value) -> bool,
) -> Vec<(u64, String, String, Vec<u64>)> {
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f.get("summary").is_none())
        .filter(|f| keep(f))
        .map(|f| {
            let seqs = f["seqs"]
                .as_array()
                .map(|s| s.iter().map(|n| n.as_u64().unwrap()).collect())
                .unwrap_or_default();
            (
                f["seq"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                seqs,
            )
        })
        .collect()
}

/// A recording's frames (seqs from 101) through `check`: a refused merge names the message that
/// put the first userId on the anonymousId, an alias between two profiles names where each id
/// was seen, an alias from an unseen id is info; they count in every format and in the exit
/// code like the other verdicts.
#[test]
fn identity_verdicts_across_messages_name_the_other_messages_in_check() {
    let dir = scratch("identity-across");
    let recording = dir.join("session.ndjson");
    let messages = [
        r#"{"type":"identify","userId":"user-1","anonymousId":"anon-1","messageId":"m1"}"#,
        r#"{"type":"identify","userId":"user-2","anonymousId":"anon-1","messageId":"m2"}"#,
        r#"{"type":"track","event":"Order Completed","userId":"old-77","messageId":"m3"}"#,
        r#"{"type":"track","event":"Order Completed","userId":"user-77","messageId":"m4"}"#,
        r#"{"type":"alias","previousId":"old-77","userId":"user-77","messageId":"m5"}"#,
        r#"{"type":"alias","previousId":"ghost-1","userId":"user-77","messageId":"m6"}"#,
    ];
    let frames: String = (101..)
        .zip(messages)
        .map(|(seq, message)| {
            format!(
                "{{\"type\":\"event\",\"seq\":{seq},\"receivedAt\":\"2026-12-01T09:00:0{}Z\",\
                 \"source\":{{\"path\":\"/v1/batch\"}},\"message\":{message}}}\n",
                seq - 100
            )
        })
        .collect();
    std::fs::write(&recording, frames).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, "").unwrap();
    let (recording, config) = (recording.to_str().unwrap(), config.to_str().unwrap());

    let output = check(&[
        "--config", config, "--format", "ndjson", "--show", "info", recording,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        across_findings(&stdout),
        [
            (102, "identity/merge-refused".to_string(), vec![101]),
            (105, "identity/alias-only-link".to_string(), vec![103, 104]),
            (106, "identity/alias-unseen-previous".to_string(), vec![]),
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("2nd user_id for anonymous_id anon-1: shared device or hard-coded id?"),
        "{stdout}"
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let by_rule = &summary["summary"]["by_rule"];
    assert_eq!(by_rule["identity/merge-refused"], 1, "{summary}");
    assert_eq!(by_rule["identity/alias-only-link"], 1, "{summary}");
    assert_eq!(by_rule["identity/alias-unseen-previous"], 1, "{summary}");
    // Warnings: below the default --fail-on error, failing at --fail-on warning.
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let failing = check(&["--config", config, "--fail-on", "warning", recording]);
    assert_eq!(failing.status.code(), Some(1));
    let text = String::from_utf8_lossy(&failing.stdout);
    assert!(text.contains("identity/merge-refused"), "{text}");
    assert!(text.contains("(see seq 101)"), "{text}");
    assert!(text.contains("(see seqs 103, 104)"), "{text}");
    let junit = check(&[
        "--config",
        config,
        "--format",
        "junit",
        "--fail-on",
        "warning",
        recording,
    ]);
    let xml = String::from_utf8_lossy(&junit.stdout);
    assert!(xml.contains("identity/alias-only-link"), "{xml}");
    assert_eq!(junit.status.code(), Some(1));
}

/// One device, four users, bare messages: with `shared_identifier_users = 3` the fourth user
/// makes `identity/shared-identifier`, naming the messages that showed the other three; at the
/// default (5) it does not.
#[test]
fn a_shared_device_past_shared_identifier_users_is_named_in_check() {
    let dir = scratch("identity-shared");
    let events = dir.join("events.ndjson");
    let lines: String = ["u1", "u2", "u3", "u4", "u2"]
        .iter()
        .map(|user| {
            format!(
                "{{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"{user}\",\
                 \"context\":{{\"device\":{{\"type\":\"ios\",\"id\":\"ipad-store-1\"}}}}}}\n"
            )
        })
        .collect();
    std::fs::write(&events, lines).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, "[identity]\nshared_identifier_users = 3\n").unwrap();
    let (events, config_path) = (events.to_str().unwrap(), config.to_str().unwrap());

    let output = check(&["--config", config_path, "--format", "ndjson", events]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let found = across_findings(&stdout);
    let shared: Vec<&(u64, String, Vec<u64>)> = found
        .iter()
        .filter(|(_, rule, _)| rule == "identity/shared-identifier")
        .collect();
    assert_eq!(
        shared,
        [&(4, "identity/shared-identifier".to_string(), vec![1, 2, 3])],
        "{stdout}"
    );
    let refused: Vec<u64> = found
        .iter()
        .filter(|(_, rule, _)| rule == "identity/merge-refused")
        .map(|(seq, _, _)| *seq)
        .collect();
    assert_eq!(refused, [2, 3, 4, 5], "{stdout}");
    assert!(
        stdout.contains("ios.id ipad-store-1 has been seen with 4 user ids across refused merges"),
        "{stdout}"
    );

    std::fs::write(&config, "").unwrap();
    let output = check(&["--config", config_path, "--format", "ndjson", events]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("identity/shared-identifier"), "{stdout}");
}

/// The warehouse findings of an NDJSON run, as (the message's seq, rule, path, the seqs it
/// names).
fn warehouse_findings(stdout: &str) -> Vec<(u64, String, String, Vec<u64>)> {
    ndjson_findings(stdout, |f| f["kind"] == "warehouse")
}

/// A recording's frames (seqs from 201) through `check`: the schema is built across messages,
/// so a price sent as an integer then a float is a type conflict naming the first message, a
/// second "Ordered Product N" is an unbounded-tables family naming the first, and a reserved
/// property is said where it is sent; `[warehouse] severity` makes a conflict an error (the run
/// fails) or turns a rule off, and a bad `[warehouse]` is one line naming the key.
#[test]
fn warehouse_verdicts_across_messages_count_in_check() {
    let dir = scratch("warehouse");
    let recording = dir.join("session.ndjson");
    let messages = [
        r#"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m1","properties":{"price":42}}"#,
        r#"{"type":"track","event":"Order Completed","userId":"u1","messageId":"m2","properties":{"price":42.5}}"#,
        r#"{"type":"track","event":"Ordered Product 15","userId":"u1","messageId":"m3","properties":{}}"#,
        r#"{"type":"track","event":"Ordered Product 16","userId":"u1","messageId":"m4","properties":{"user_id":"u1"}}"#,
    ];
    let frames: String = (201..)
        .zip(messages)
        .map(|(seq, message)| {
            format!(
                "{{\"type\":\"event\",\"seq\":{seq},\"receivedAt\":\"2026-12-01T09:00:0{}Z\",\
                 \"source\":{{\"path\":\"/v1/batch\"}},\"message\":{message}}}\n",
                seq - 200
            )
        })
        .collect();
    std::fs::write(&recording, frames).unwrap();
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, "").unwrap();
    let (recording, config_path) = (recording.to_str().unwrap(), config.to_str().unwrap());

    let output = check(&["--config", config_path, "--format", "ndjson", recording]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        warehouse_findings(&stdout),
        [
            (
                202,
                "warehouse/type-conflict".to_string(),
                "properties.price".to_string(),
                vec![201]
            ),
            (
                204,
                "warehouse/reserved-column".to_string(),
                "properties.user_id".to_string(),
                vec![]
            ),
            (
                204,
                "warehouse/unbounded-tables".to_string(),
                "event".to_string(),
                vec![203]
            ),
        ],
        "{stdout}"
    );
    assert!(stdout.contains("the decimals are lost"), "{stdout}");
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["summary"]["by_rule"]["warehouse/type-conflict"], 1,
        "{summary}"
    );
    // Warnings: below the default --fail-on error.
    assert_eq!(output.status.code(), Some(0), "{stdout}");

    std::fs::write(
        &config,
        "[warehouse]\nseverity = { type-conflict = \"error\", unbounded-tables = \"off\" }\n",
    )
    .unwrap();
    let output = check(&["--config", config_path, "--format", "ndjson", recording]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rules: Vec<String> = warehouse_findings(&stdout)
        .into_iter()
        .map(|(_, rule, _, _)| rule)
        .collect();
    assert_eq!(
        rules,
        ["warehouse/type-conflict", "warehouse/reserved-column"],
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let text = check(&["--config", config_path, recording]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("warehouse/type-conflict"), "{text}");
    assert!(text.contains("(see seq 201)"), "{text}");

    std::fs::write(&config, "[warehouse]\ncolumn_limit = 0\n").unwrap();
    let output = check(&["--config", config_path, recording]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("[warehouse] column_limit: 0: use a whole number from 1 to"),
        "{stderr}"
    );
}
