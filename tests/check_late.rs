//! `spec/late` through the real `eventscope check`: a backdated event in a recording is a
//! finding (info by default), a prompt one is not, and `[late]` sets the threshold and the
//! severity.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop on its own setup

use std::process::{Command, Output};

use serde_json::Value;

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("check")
        .args(args)
        .output()
        .expect("runs")
}

/// A recording as the collector writes it: frames whose messages carry `receivedAt`.
fn recording(dir: &std::path::Path) -> String {
    let frame = |seq: u64, id: &str, timestamp: &str| {
        format!(
            r#"{{"type":"event","seq":{seq},"receivedAt":"2026-11-22T12:00:0{seq}.000Z","source":{{"writeKey":"wk_t…cdef","path":"/v1/batch"}},"message":{{"type":"track","event":"Song Played","userId":"u1","messageId":"{id}","timestamp":"{timestamp}","receivedAt":"2026-11-22T12:00:0{seq}.000Z"}}}}"#
        )
    };
    let text = [
        frame(1, "m-prompt", "2026-11-22T12:00:00.500Z"),
        // Three hours before it arrived.
        frame(2, "m-backdated", "2026-11-22T09:00:02.000Z"),
        // Ten minutes: late only under a stricter threshold.
        frame(3, "m-ten-minutes", "2026-11-22T11:50:03.000Z"),
    ]
    .join("\n");
    let path = dir.join("late.ndjson");
    std::fs::write(&path, text + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

/// (messageId, severity) of each `spec/late` finding in an NDJSON run.
fn late_findings(output: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["rule"] == "spec/late")
        .map(|f| {
            (
                f["messageId"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_backdated_event_is_spec_late_at_the_configured_threshold_and_severity() {
    let dir = std::env::temp_dir().join(format!("eventscope-late-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = recording(&dir);
    let config = dir.join("eventscope.toml");
    std::fs::write(&config, "").unwrap();
    let config = config.to_str().unwrap().to_string();

    // The default: later than an hour, info.
    let output = check(&[
        "--config", &config, "--show", "info", "--format", "ndjson", &events,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        late_findings(&output),
        [("m-backdated".to_string(), "info".to_string())],
        "{stderr}"
    );
    let text = check(&["--config", &config, "--show", "info", &events]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("spec/late") && stdout.contains("3h00m"),
        "the text output names it and how late: {stdout}"
    );

    // Stricter and louder from the config.
    std::fs::write(&config, "[late]\nafter = \"5m\"\nseverity = \"warning\"\n").unwrap();
    let output = check(&[
        "--config", &config, "--show", "info", "--format", "ndjson", &events,
    ]);
    assert_eq!(
        late_findings(&output),
        [
            ("m-backdated".to_string(), "warning".to_string()),
            ("m-ten-minutes".to_string(), "warning".to_string()),
        ]
    );

    // Off.
    std::fs::write(&config, "[late]\nseverity = \"off\"\n").unwrap();
    let output = check(&[
        "--config", &config, "--show", "info", "--format", "ndjson", &events,
    ]);
    assert!(late_findings(&output).is_empty());

    // A bad threshold: one line naming the table and what to write.
    std::fs::write(&config, "[late]\nafter = \"soon\"\n").unwrap();
    let output = check(&["--config", &config, &events]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[late] after") && stderr.contains("5m"),
        "{stderr}"
    );
}
