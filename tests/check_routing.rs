//! `eventscope check --routing` as CI uses it: the real binary over messages written here and a
//! config with three destinations (consent, integrations, drop, block and sample filters).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// Named in the config's `api_key`; never set, so resolving the destination would fail.
const UNSET_VAR: &str = "EVENTSCOPE_TEST_CHECK_ROUTING_UNSET_KEY";

const CONFIG: &str = r#"
[[destination]]
name = "amp"
kind = "amplitude"
api_key = "env:EVENTSCOPE_TEST_CHECK_ROUTING_UNSET_KEY"
consent = ["Analytics"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"

[[destination.filter]]
action = "block_fields"
fields = ["properties.email"]

[[destination]]
name = "mix"
kind = "mixpanel"
token = "mixpanel-project-token"

[[destination.filter]]
if = "type = 'track'"
action = "sample"
percent = 50

[[destination]]
name = "hook"
kind = "webhook"
endpoint = "http://127.0.0.1:9/segment"
"#;

/// Product Viewed tracks, for mix's 50 % sample.
const VIEWS: usize = 20;

/// A scratch directory (the working directory of the run, and its HOME, so no user config is
/// read) holding the config and the messages.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eventscope-check-routing-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn analytics(given: bool) -> Value {
    json!({"consent": {"categoryPreferences": {"Analytics": given}}})
}

/// The messages, in order, and what routing makes of them:
/// ok (amp strips the email), denied (no consent for amp), integrations (amp and hook off),
/// test (amp's drop filter), an identify (mix carries no identify), then `VIEWS` views.
fn messages() -> Vec<Value> {
    let mut out = vec![
        json!({"type":"track","event":"Order Completed","messageId":"order-ok","userId":"u1",
               "properties":{"email":"ada@example.com","total":10},"context":analytics(true)}),
        json!({"type":"track","event":"Order Completed","messageId":"order-denied","userId":"u1",
               "properties":{"total":10},"context":analytics(false)}),
        json!({"type":"track","event":"Order Completed","messageId":"order-off","userId":"u1",
               "properties":{"total":10},"context":analytics(true),
               "integrations":{"Amplitude":false,"Webhooks":false}}),
        json!({"type":"track","event":"Test Event","messageId":"test-1","userId":"u1",
               "context":analytics(true)}),
        json!({"type":"identify","messageId":"identify-1","userId":"u1",
               "traits":{"plan":"pro"},"context":analytics(true)}),
    ];
    for i in 0..VIEWS {
        out.push(
            json!({"type":"track","event":"Product Viewed","messageId":format!("view-{i}"),
                        "userId":"u1","properties":{"sku":i},"context":analytics(true)}),
        );
    }
    out
}

/// Writes the config and the messages into `dir`.
fn setup(dir: &Path) {
    std::fs::write(dir.join("eventscope.toml"), CONFIG).unwrap();
    let lines: String = messages().iter().map(|m| format!("{m}\n")).collect();
    std::fs::write(dir.join("events.ndjson"), lines).unwrap();
}

/// `eventscope check ARGS events.ndjson` in `dir`, with no user config and `UNSET_VAR` unset.
fn check(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("check")
        .args(args)
        .arg("events.ndjson")
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env_remove(UNSET_VAR)
        .output()
        .expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The tracks mix's 50 % sample keeps: the messageIds whose bucket is under 5,000.
fn sampled_in() -> u64 {
    messages()
        .iter()
        .filter(|m| m["type"] == "track")
        .filter(|m| eventscope::routing::sample_bucket(m["messageId"].as_str().unwrap()) < 5_000)
        .count() as u64
}

/// What every destination should get: `{name: [delivered, consent, integrations, filter,
/// unsupported, stripped]}`.
fn expected() -> Vec<(&'static str, [u64; 6])> {
    let tracks = (4 + VIEWS) as u64;
    let kept = sampled_in();
    vec![
        // ok, identify and the views; one each dropped by consent, integrations, filter.
        ("amp", [2 + VIEWS as u64, 1, 1, 1, 0, 1]),
        ("mix", [kept, 0, 0, tracks - kept, 1, 0]),
        ("hook", [4 + VIEWS as u64, 0, 1, 0, 0, 0]),
    ]
}

#[test]
fn check_routing_counts_what_each_destination_would_get_in_json_and_text() {
    let dir = scratch("counts");
    setup(&dir);
    let kept = sampled_in();
    assert!(
        0 < kept && kept < (4 + VIEWS) as u64,
        "the sample keeps some and drops some ({kept})"
    );

    let output = check(&dir, &["--routing", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let routing = &document["summary"]["routing"];
    assert_eq!(routing["messages"], messages().len() as u64);
    for (
        name,
        [
            delivered,
            consent,
            integrations,
            filter,
            unsupported,
            stripped,
        ],
    ) in expected()
    {
        let d = &routing["destinations"][name];
        assert_eq!(d["delivered"], delivered, "{name}: {d}");
        assert_eq!(d["dropped"]["consent"], consent, "{name}: {d}");
        assert_eq!(d["dropped"]["integrations"], integrations, "{name}: {d}");
        assert_eq!(d["dropped"]["filter"], filter, "{name}: {d}");
        assert_eq!(d["dropped"]["unsupported"], unsupported, "{name}: {d}");
        assert_eq!(
            d["dropped"]["total"],
            consent + integrations + filter + unsupported
        );
        assert_eq!(d["stripped"], stripped, "{name}: {d}");
        assert_eq!(d["failing"], 0);
    }
    assert_eq!(routing["destinations"]["amp"]["segment_name"], "Amplitude");

    // The sample is a hash of the messageId: a second run keeps the same messages.
    let again = check(&dir, &["--routing", "--format", "json"]);
    let again: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(again["summary"]["routing"], *routing);

    // The text report: a row per destination, in config order, under the first line.
    let output = check(&dir, &["--routing"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let heading = lines
        .iter()
        .position(|l| l.starts_with("Routing of 25 messages"))
        .unwrap_or_else(|| panic!("a routing table: {text}"));
    assert!(
        lines[heading + 1].split_whitespace().collect::<Vec<_>>()
            == [
                "destination",
                "delivered",
                "dropped",
                "consent",
                "integrations",
                "filter",
                "unsupported",
                "stripped"
            ],
        "{text}"
    );
    let labels = ["amp (Amplitude)", "mix (Mixpanel)", "hook (Webhooks)"];
    for (row, ((_, counts), label)) in expected().into_iter().zip(labels).enumerate() {
        let line = lines[heading + 2 + row].trim_start();
        let cells: Vec<u64> = line
            .strip_prefix(label)
            .unwrap_or_else(|| panic!("row {row} is {label}: {text}"))
            .split_whitespace()
            .map(|c| if c == "·" { 0 } else { c.parse().unwrap() })
            .collect();
        let [
            delivered,
            consent,
            integrations,
            filter,
            unsupported,
            stripped,
        ] = counts;
        let dropped = consent + integrations + filter + unsupported;
        assert_eq!(
            cells,
            [
                delivered,
                dropped,
                consent,
                integrations,
                filter,
                unsupported,
                stripped
            ],
            "{label}: {text}"
        );
    }

    // Without --routing nothing is routed.
    let output = check(&dir, &["--format", "json"]);
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(document["summary"].get("routing").is_none());
    assert!(!stdout(&output).contains("routing/"));
}

#[test]
fn routing_findings_name_the_destination_and_the_rule_and_are_info() {
    let dir = scratch("findings");
    setup(&dir);
    let output = check(&dir, &["--routing", "--show", "info", "--format", "ndjson"]);
    assert_eq!(output.status.code(), Some(0), "info never fails a run");
    let records: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |rule: &str, destination: &str, id: &str| -> Value {
        records
            .iter()
            .find(|r| r["rule"] == rule && r["destination"] == destination && r["messageId"] == id)
            .unwrap_or_else(|| panic!("{rule} for {destination} on {id}: {records:#?}"))
            .clone()
    };
    let consent = find("routing/dropped/consent", "amp", "order-denied");
    assert_eq!(consent["kind"], "routing");
    assert_eq!(consent["severity"], "info");
    assert_eq!(consent["event"], "Order Completed");
    assert!(
        consent["message"]
            .as_str()
            .unwrap()
            .contains("consent Analytics not given"),
        "{consent}"
    );
    let off = find("routing/dropped/integrations", "hook", "order-off");
    assert!(
        off["message"]
            .as_str()
            .unwrap()
            .contains("integrations.Webhooks = false"),
        "{off}"
    );
    find("routing/dropped/integrations", "amp", "order-off");
    let filter = find("routing/dropped/filter", "amp", "test-1");
    assert!(
        filter["message"]
            .as_str()
            .unwrap()
            .contains("filter 1 drops: event = 'Test Event'"),
        "{filter}"
    );
    find("routing/dropped/unsupported", "mix", "identify-1");
    let stripped = find("routing/stripped", "amp", "order-ok");
    assert!(
        stripped["message"]
            .as_str()
            .unwrap()
            .contains("properties.email"),
        "{stripped}"
    );
    // Every routing finding names a configured destination; nothing routes a delivered,
    // unstripped message.
    let routing: Vec<&Value> = records.iter().filter(|r| r["kind"] == "routing").collect();
    let (_, mix) = &expected()[1];
    assert_eq!(routing.len() as u64, 3 + 1 + mix[3] + 1 + 1);
    assert!(routing.iter().all(|r| r["severity"] == "info"));
    let summary = &records.last().unwrap()["summary"];
    assert_eq!(summary["by_rule"]["routing/dropped/consent"], 1);
    assert_eq!(
        summary["routing"]["destinations"]["amp"]["dropped"]["consent"],
        1
    );

    // At the default --show warning they are counted, not listed.
    let output = check(&dir, &["--routing", "--format", "ndjson"]);
    assert!(!stdout(&output).contains("\"kind\":\"routing\""));
}

#[test]
fn require_delivery_fails_the_run_when_a_required_message_is_dropped() {
    let dir = scratch("require");
    setup(&dir);
    // Two Order Completed are kept from amp (consent, integrations): a CI failure.
    let output = check(
        &dir,
        &[
            "--require-delivery",
            "amp:Order Completed",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let errors: Vec<&Value> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    let mut ids: Vec<&str> = errors
        .iter()
        .map(|f| f["messageId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["order-denied", "order-off"], "{errors:#?}");
    assert!(errors.iter().all(|f| f["destination"] == "amp"
        && f["rule"].as_str().unwrap().starts_with("routing/dropped/")));
    let summary = &document["summary"];
    assert_eq!(summary["failing_messages"], 2);
    assert_eq!(summary["routing"]["destinations"]["amp"]["failing"], 2);
    // The Test Event dropped for amp and the views mix samples out stay info.
    assert_eq!(summary["routing"]["destinations"]["mix"]["failing"], 0);

    // Every Product Viewed reaches amp: passes. The same drops without the option: passes.
    for args in [
        &["--routing", "--require-delivery", "amp:Product Viewed"][..],
        &["--routing"][..],
    ] {
        let output = check(&dir, args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // Every message must reach amp: the Test Event fails too. The name alone, every event.
    let output = check(
        &dir,
        &["--routing", "--require-delivery", "amp", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["summary"]["failing_messages"], 3);
    // --fail-on info fails on the routing findings as on any info.
    let output = check(&dir, &["--routing", "--fail-on", "info"]);
    assert_eq!(output.status.code(), Some(1));

    // The text report lists the errors; JUnit fails amp's case in the routing suite.
    let output = check(&dir, &["--require-delivery", "amp:Order Completed"]);
    let text = stdout(&output);
    assert!(
        text.contains(
            "not delivered to amp, which --require-delivery requires: consent Analytics not given"
        ),
        "{text}"
    );
    let output = check(
        &dir,
        &[
            "--require-delivery",
            "amp:Order Completed",
            "--format",
            "junit",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let xml = stdout(&output);
    let suite = xml
        .split(r#"<testsuite name="eventscope check --routing" tests="3" failures="1">"#)
        .nth(1)
        .unwrap_or_else(|| panic!("a routing suite: {xml}"));
    let amp = suite
        .split(r#"<testcase classname="eventscope.check.routing" name="amp">"#)
        .nth(1)
        .and_then(|case| case.split("</testcase>").next())
        .unwrap_or_else(|| panic!("amp's case: {xml}"));
    assert!(
        amp.contains(r#"<property name="dropped.consent" value="1"/>"#),
        "{amp}"
    );
    assert!(
        amp.contains(r#"<failure message="2 routing findings at or above error">"#),
        "{amp}"
    );
    assert!(
        amp.contains("order-denied") && amp.contains("order-off"),
        "{amp}"
    );
    let hook = suite
        .split(r#"name="hook">"#)
        .nth(1)
        .and_then(|case| case.split("</testcase>").next())
        .unwrap();
    assert!(!hook.contains("<failure"), "{hook}");
}

#[test]
fn check_routing_without_destinations_says_which_config_it_read() {
    let dir = scratch("none");
    setup(&dir);
    std::fs::write(dir.join("empty.toml"), "theme = \"dark\"\n").unwrap();
    let output = check(&dir, &["--routing", "--config", "empty.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert_eq!(error.trim().lines().count(), 1, "{error}");
    assert!(
        error.contains("[[destination]]") && error.contains("empty.toml has none"),
        "{error}"
    );

    // No config file at all: the places looked at.
    std::fs::remove_file(dir.join("eventscope.toml")).unwrap();
    let output = check(&dir, &["--routing"]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("no config file") && error.contains("eventscope.toml"),
        "{error}"
    );
    assert!(stdout(&output).is_empty());
    // Without --routing the same run is fine.
    assert_eq!(check(&dir, &[]).status.code(), Some(0));

    // A name --require-delivery does not know is refused with the configured names.
    setup(&dir);
    let output = check(&dir, &["--require-delivery", "amplitude:Order Completed"]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("no destination `amplitude`; configured: amp, mix, hook"),
        "{error}"
    );
    let output = check(&dir, &["--require-delivery", "amp:"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("empty"), "{}", stderr(&output));
}

#[test]
fn check_routing_reads_no_credentials_from_the_environment() {
    let dir = scratch("secrets");
    setup(&dir);
    // Sending to amp needs its key: replay refuses without it…
    let replay = Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .args(["replay", "events.ndjson", "--to", "amp", "--dry-run"])
        .current_dir(&dir)
        .env("HOME", &dir)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .env_remove(UNSET_VAR)
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(2));
    assert!(stderr(&replay).contains(UNSET_VAR), "{}", stderr(&replay));
    // …judging where it would go does not.
    let output = check(&dir, &["--routing", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        document["summary"]["routing"]["destinations"]["amp"]["delivered"],
        2 + VIEWS as u64
    );
}
