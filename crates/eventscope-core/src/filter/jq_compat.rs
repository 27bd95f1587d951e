//! The jq programs a transform may run, through eventscope's jq (jaq, patched for updates
//! through missing paths) and through the `jq` binary: the two must agree.
//!
//! Without `jq` on PATH the test prints `SKIPPED` and passes, unless env `CI` is set (then it
//! fails: `.ci/run` installs jq). Where jq 1.6 and 1.7 differ, 1.7 is followed and the case
//! says so.

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::jq::JqFilter;

/// An identify without `properties`, as SDKs send it.
const IDENTIFY: &str =
    r#"{"type":"identify","userId":"u1","traits":{"email":"a@b.co"},"messageId":"m1","l":[1]}"#;

/// `(program, input)`: assignments, updates and deletions through missing paths, and reads.
const CASES: &[(&str, &str)] = &[
    (".properties.x = 1", IDENTIFY),
    (".properties.x = 1 | .properties.y = \"two\"", IDENTIFY),
    (".context.traits.email = .traits.email", IDENTIFY),
    (".a.b.c = 1", IDENTIFY),
    (".a[2] = 1", IDENTIFY),
    (".l[3] = 5", IDENTIFY),
    (".l[0] = 9", IDENTIFY),
    (".properties.count += 1", IDENTIFY),
    (".properties.n |= . + 1", IDENTIFY),
    (".context.traits.plan //= \"free\"", IDENTIFY),
    ("setpath([\"properties\", \"x\"]; 1)", IDENTIFY),
    (".a[1:2] = [\"x\"]", IDENTIFY),
    ("del(.properties.email)", IDENTIFY),
    ("del(.traits.email)", IDENTIFY),
    ("del(.l[0])", IDENTIFY),
    ("del(.traits.email, .context.ip)", IDENTIFY),
    (".properties.x", IDENTIFY),
    (".a[0]", IDENTIFY),
    ("{event: .properties.name}", IDENTIFY),
    (
        "if .type == \"identify\" then .properties.source = \"crm\" else . end",
        IDENTIFY,
    ),
];

/// Programs both refuse (the error texts differ; an error is what must agree).
const ERRORS: &[(&str, &str)] = &[
    (".a[-1] = 1", IDENTIFY),
    (".traits.email.x = 1", IDENTIFY),
    (".type[0] = 1", IDENTIFY),
];

fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// `jq -c program` on `input`: its one output as a value, or `Err` with its stderr.
fn real_jq(program: &str, input: &str) -> Option<Result<serde_json::Value, String>> {
    let mut child = Command::new("jq")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return Some(Err(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(serde_json::from_str(text.trim()).map_err(|e| format!("{e}: {text}")))
}

fn ours(program: &str, input: &str) -> Result<serde_json::Value, String> {
    let filter = JqFilter::compile(program).map_err(|e| e.message)?;
    filter
        .transform(input)
        .map(|v| v.unwrap_or(serde_json::Value::Null))
}

#[test]
fn transforms_agree_with_the_jq_binary() {
    let Some(version) = Command::new("jq").arg("--version").output().ok() else {
        assert!(
            !on_ci(),
            "jq not found on PATH, and CI is set: .ci/run must install it"
        );
        eprintln!(
            "SKIPPED: transforms_agree_with_the_jq_binary: jq not found (set CI=1 to make this a failure)"
        );
        return;
    };
    eprintln!("jq: {}", String::from_utf8_lossy(&version.stdout).trim());
    for (program, input) in CASES {
        let Some(expected) = real_jq(program, input) else {
            panic!("could not run jq on {program}");
        };
        let expected = expected.unwrap_or_else(|e| panic!("jq refused `{program}`: {e}"));
        assert_eq!(ours(program, input), Ok(expected), "`{program}`");
    }
    for (program, input) in ERRORS {
        let Some(expected) = real_jq(program, input) else {
            panic!("could not run jq on {program}");
        };
        assert!(expected.is_err(), "jq accepts `{program}`: {expected:?}");
        assert!(
            ours(program, input).is_err(),
            "`{program}`: {:?}",
            ours(program, input)
        );
    }
}

/// Some of the same cases without the binary, answers as jq 1.6 and 1.7 give them (so the
/// behaviour is pinned where jq is absent, too).
#[test]
fn updates_through_missing_paths_build_them() {
    let cases = [
        (
            ".properties.x = 1",
            r#"{"l":[1]}"#,
            r#"{"l":[1],"properties":{"x":1}}"#,
        ),
        (".a[2] = 1", r#"{}"#, r#"{"a":[null,null,1]}"#),
        (".l[3] = 5", r#"{"l":[1]}"#, r#"{"l":[1,null,null,5]}"#),
        ("del(.properties.email)", r#"{"l":[1]}"#, r#"{"l":[1]}"#),
        (".properties.n += 1", r#"{}"#, r#"{"properties":{"n":1}}"#),
    ];
    for (program, input, expected) in cases {
        let expected: serde_json::Value = serde_json::from_str(expected).unwrap_or_default();
        assert_eq!(ours(program, input), Ok(expected), "`{program}`");
    }
    for (program, error) in [
        (".a[-1] = 1", "Out of bounds negative array index"),
        (".a[100000000] = 1", "Array index too large"),
    ] {
        let refused = ours(program, "{}");
        assert!(
            refused.as_ref().is_err_and(|e| e.contains(error)),
            "`{program}`: {refused:?}"
        );
    }
}
