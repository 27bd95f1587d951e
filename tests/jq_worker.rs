//! jq filters in a worker process (`eventscope __jq-worker`, the real binary): the same
//! answers as in-process matching, and a budget in time and memory that stops runaway
//! programs — the worker then killed and reaped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod common;

use std::time::Duration;

use common::DEADLINE;
use eventscope::filter::jq_worker::{
    At, JqEvaluator, JqLimits, JqMessage, JqStop, WORKER_SUBCOMMAND, WorkerCommand,
};
use eventscope::filter::{Query, Text};

fn worker() -> WorkerCommand {
    WorkerCommand::eventscope(env!("CARGO_BIN_EXE_eventscope"))
}

/// A generous budget: these tests are about answers, not speed (debug builds on a busy
/// machine).
fn relaxed() -> JqLimits {
    JqLimits {
        budget: DEADLINE,
        ..JqLimits::default()
    }
}

fn fixture_messages() -> Vec<JqMessage> {
    let text = std::fs::read_to_string("tests/fixtures/events.ndjson").unwrap();
    let mut messages: Vec<JqMessage> = text
        .lines()
        .enumerate()
        .map(|(i, line)| JqMessage {
            seq: Some(i as u64 + 1),
            text: line.into(),
        })
        .collect();
    // What else a viewer's rows hold: rejected bodies that are not JSON, and nothing.
    messages.push(JqMessage {
        seq: None,
        text: "{bad json".into(),
    });
    messages.push(JqMessage {
        seq: None,
        text: "".into(),
    });
    messages
}

/// Where a worker process is: gone entirely once reaped (a zombie still has an entry).
#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test]
async fn the_worker_matches_exactly_what_the_in_process_filter_matches() {
    let programs = [
        ".type == \"track\"",
        ".properties.total > 100",
        ".properties.products[]? | .price > 100",
        ".context.library.name | startswith(\"analytics\")",
        "false, null, .userId",
        "error(\"boom\"), true",
        "repeat(false)",
        ".traits.email | test(\"@example\\\\.com$\")",
        "halt",
    ];
    let messages = fixture_messages();
    for code in programs {
        let query = Query::parse(&format!("jq: {code}")).unwrap();
        let expected: Vec<bool> = messages
            .iter()
            .map(|m| query.matches(&Text(&m.text)))
            .collect();
        let mut evaluator = JqEvaluator::start(&worker(), code, relaxed())
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        let mut answers = Vec::new();
        // In several batches, as the viewer sends them.
        for batch in messages.chunks(256) {
            answers.extend(evaluator.eval(batch).await.unwrap());
        }
        assert_eq!(answers, expected, "{code}");
        assert!(
            expected.contains(&true)
                || code == "repeat(false)"
                || code.starts_with("error")
                || code == "halt",
            "{code}: the fixture exercises matches"
        );
        evaluator.stop().await;
    }
}

#[tokio::test]
async fn a_message_over_budget_stops_the_worker_and_names_the_message() {
    let limits = JqLimits {
        budget: Duration::from_millis(100),
        ..JqLimits::default()
    };
    let mut evaluator = JqEvaluator::start(&worker(), "last(range(1e10)) > 0 or .ok", limits)
        .await
        .unwrap();
    let pid = evaluator.id().expect("a running worker");
    let messages = [
        JqMessage {
            seq: Some(41),
            text: "{\"ok\":true}".into(),
        },
        JqMessage {
            seq: Some(42),
            text: "{\"ok\":true}".into(),
        },
    ];
    let stop = evaluator.eval(&messages).await.unwrap_err();
    assert_eq!(
        stop,
        JqStop::OverBudget {
            budget: Duration::from_millis(100),
            at: At(Some(41)),
        }
    );
    assert_eq!(
        stop.to_string(),
        "jq filter stopped: over its budget of 100 ms on message seq 41"
    );
    assert_eq!(evaluator.id(), None, "killed and reaped");
    #[cfg(target_os = "linux")]
    assert!(!process_exists(pid), "no process, not even a zombie");
    let _ = pid;
    assert!(evaluator.eval(&messages).await.is_err(), "stays stopped");
}

#[tokio::test]
async fn a_program_growing_past_the_memory_cap_is_stopped_as_such() {
    let limits = JqLimits {
        budget: DEADLINE,
        memory: 64 * 1024 * 1024,
    };
    let mut evaluator = JqEvaluator::start(
        &worker(),
        "[limit(100000000; repeat(1))] | length > 0",
        limits,
    )
    .await
    .unwrap();
    let pid = evaluator.id().unwrap();
    let message = JqMessage {
        seq: Some(7),
        text: "{}".into(),
    };
    let stop = evaluator.eval(&[message]).await.unwrap_err();
    assert_eq!(
        stop,
        JqStop::OverMemory {
            cap: 64 * 1024 * 1024,
            at: At(Some(7)),
        }
    );
    assert!(stop.to_string().contains("memory cap of 64 MiB"), "{stop}");
    #[cfg(target_os = "linux")]
    assert!(!process_exists(pid));
    let _ = pid;
}

#[tokio::test]
async fn endless_recursion_is_a_stop_not_a_crash_of_the_caller() {
    let mut evaluator = JqEvaluator::start(&worker(), "def f: 1 + f; f", relaxed())
        .await
        .unwrap();
    let message = JqMessage {
        seq: Some(3),
        text: "{}".into(),
    };
    let stop = evaluator.eval(&[message]).await.unwrap_err();
    assert!(
        matches!(
            stop,
            JqStop::StackOverflow { at: At(Some(3)) }
                | JqStop::OverMemory {
                    at: At(Some(3)),
                    ..
                }
        ),
        "{stop:?}"
    );
    // This process is fine, and a new worker works.
    let mut evaluator = JqEvaluator::start(&worker(), ".a", relaxed())
        .await
        .unwrap();
    let answers = evaluator
        .eval(&[JqMessage {
            seq: None,
            text: "{\"a\":1}".into(),
        }])
        .await
        .unwrap();
    assert_eq!(answers, [true]);
}

#[tokio::test]
async fn a_program_that_does_not_compile_is_a_compile_error() {
    let result = JqEvaluator::start(&worker(), "nosuch(1)", relaxed()).await;
    match result {
        Err(JqStop::Compile(message)) => {
            assert_eq!(message, "undefined filter `nosuch/1`")
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("should not compile"),
    }
    let missing = WorkerCommand::eventscope("/nonexistent/eventscope");
    assert!(matches!(
        JqEvaluator::start(&missing, ".", relaxed()).await,
        Err(JqStop::Start(_))
    ));
}

#[tokio::test]
async fn a_dropped_evaluator_takes_its_worker_with_it() {
    let mut evaluator = JqEvaluator::start(&worker(), "last(range(1e10))", relaxed())
        .await
        .unwrap();
    let pid = evaluator.id().unwrap();
    // Busy in the middle of a message when dropped.
    let message = [JqMessage {
        seq: Some(1),
        text: "{}".into(),
    }];
    let busy = tokio::time::timeout(Duration::from_millis(50), evaluator.eval(&message)).await;
    assert!(busy.is_err(), "still busy");
    drop(evaluator);
    #[cfg(target_os = "linux")]
    {
        // Killed at once; tokio reaps it in the background. Poll with a deadline.
        let start = std::time::Instant::now();
        while process_exists(pid) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if stat.contains(") Z ") {
                // Dead, waiting to be reaped: good enough for a dropped handle.
                break;
            }
            assert!(start.elapsed() < DEADLINE, "worker {pid} still runs");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = pid;
}

#[test]
fn the_worker_subcommand_is_hidden_from_help() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_eventscope"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Commands:"), "{help}");
    assert!(!help.contains(WORKER_SUBCOMMAND), "{help}");
    assert!(help.contains("--jq-budget"), "{help}");
}
