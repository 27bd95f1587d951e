//! Property tests for the parsers the fuzz targets (`fuzz/`) cover, for CI on stable: a few
//! thousand generated cases each, from a fixed seed, so a run is the same every time and a
//! failure is reproducible. The invariants are those of the fuzz targets
//! (`tests/invariants/mod.rs`).
//!
//! A failure prints the minimal (shrunk) input. Run one with
//! `cargo test --test properties collector_`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

mod invariants;

use std::cell::RefCell;
use std::fmt;
use std::io::Write;

use base64::Engine;
use eventscope::inspect::pii::PiiMatchers;
use invariants::{
    CollectorHarness, EVENTS, PLAN, Violation, check_filter, check_pii, check_plan, check_pretty,
    check_reader, filter_samples, plan_samples,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;

/// The seed of every property here (32 bytes for ChaCha).
const SEED: [u8; 32] = *b"eventscope issue 9 properties 01";

/// Runs `test` on `cases` inputs drawn from `strategy` with the fixed seed; on failure, panics
/// with the shrunk input.
fn check<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        // Shrinking a collector failure costs a request per step: bounded by count, not time,
        // so a run stays deterministic.
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

fn fail(violation: Violation) -> TestCaseError {
    TestCaseError::fail(violation.to_string())
}

// ---------------------------------------------------------------------------------------------
// Generated JSON, written with insignificant whitespace

/// How a string is escaped.
#[derive(Debug, Clone, Copy)]
enum Escape {
    /// As serde_json writes it: `\n`, `\"`, `\\`, `\u001f`; other characters as they are.
    Minimal,
    /// Every non-ASCII and control character as `\uXXXX` (surrogate pairs above U+FFFF).
    Unicode,
    /// `/` as `\/`, as some JSON encoders write it.
    Solidus,
}

#[derive(Debug, Clone)]
struct JStr {
    text: String,
    escape: Escape,
}

/// A JSON value as written: number literals kept as text (`1.50`, `-0`, `2E+3`).
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(JStr),
    Arr(Vec<J>),
    Obj(Vec<(JStr, J)>),
}

impl J {
    fn str(text: &str) -> J {
        J::Str(JStr {
            text: text.to_string(),
            escape: Escape::Minimal,
        })
    }
}

fn escaped(s: &JStr) -> String {
    match s.escape {
        Escape::Minimal => serde_json::to_string(&s.text).unwrap_or_default(),
        Escape::Solidus => serde_json::to_string(&s.text)
            .unwrap_or_default()
            .replace('/', "\\/"),
        Escape::Unicode => {
            let mut out = String::from("\"");
            for c in s.text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    ' '..='~' => out.push(c),
                    _ => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
            }
            out.push('"');
            out
        }
    }
}

/// Writes JSON with the whitespace pieces `ws` (cycled) around every token.
struct Writer<'a> {
    out: String,
    ws: &'a [&'static str],
    next: usize,
}

impl<'a> Writer<'a> {
    fn write(j: &J, ws: &'a [&'static str]) -> String {
        let mut w = Writer {
            out: String::new(),
            ws,
            next: 0,
        };
        w.space();
        w.value(j);
        w.space();
        w.out
    }

    fn space(&mut self) {
        if !self.ws.is_empty() {
            self.out.push_str(self.ws[self.next % self.ws.len()]);
            self.next += 1;
        }
    }

    fn value(&mut self, j: &J) {
        match j {
            J::Null => self.out.push_str("null"),
            J::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => self.out.push_str(n),
            J::Str(s) => self.out.push_str(&escaped(s)),
            J::Arr(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.space();
                    if i > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    self.value(item);
                }
                self.space();
                self.out.push(']');
            }
            J::Obj(members) => {
                self.out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    self.space();
                    if i > 0 {
                        self.out.push(',');
                        self.space();
                    }
                    self.out.push_str(&escaped(key));
                    self.space();
                    self.out.push(':');
                    self.space();
                    self.value(value);
                }
                self.space();
                self.out.push('}');
            }
        }
    }
}

fn compact(j: &J) -> String {
    Writer::write(j, &[])
}

/// Whitespace pieces as pretty-printers, curl users and Postman write them; `""` shrinks to
/// compact JSON.
fn whitespace() -> impl Strategy<Value = Vec<&'static str>> {
    vec(
        prop::sample::select(vec!["", " ", "\n", "\r\n", "\t", "  ", "\n    ", "\r"]),
        0..12,
    )
}

fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        2 => prop::char::range(' ', '~'),
        2 => prop::sample::select(vec![
            '\n', '\r', '\t', '"', '\\', '/', '\u{0}', '\u{1f}', '\u{7f}', '\u{2028}', 'é', '€',
            '😀', '\u{202e}', '\u{feff}',
        ]),
        1 => any::<char>(),
    ]
}

fn jstr() -> impl Strategy<Value = JStr> {
    let escape = prop_oneof![
        6 => Just(Escape::Minimal),
        1 => Just(Escape::Unicode),
        1 => Just(Escape::Solidus),
    ];
    (vec(text_char(), 0..12), escape).prop_map(|(chars, escape)| JStr {
        text: chars.into_iter().collect(),
        escape,
    })
}

/// Number literals within f64's range, in the shapes JSON allows.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).map_or("0".into(), |n| n.to_string())),
        (
            any::<bool>(),
            0u32..1000,
            prop::option::of("[0-9]{1,6}"),
            prop::option::of((
                prop::sample::select(vec!["e", "E", "e+", "E-", "e-"]),
                0u32..300
            )),
        )
            .prop_map(|(negative, int, frac, exp)| {
                let mut n = String::new();
                if negative {
                    n.push('-');
                }
                n.push_str(&int.to_string());
                if let Some(frac) = frac {
                    n.push('.');
                    n.push_str(&frac);
                }
                if let Some((e, x)) = exp {
                    n.push_str(e);
                    n.push_str(&x.to_string());
                }
                n
            }),
        Just("123456789012345678901234567890".to_string()),
        Just("-0".to_string()),
    ]
}

fn json() -> impl Strategy<Value = J> {
    json_sized(4, 48, 6)
}

/// JSON nested at most `depth` deep, with about `size` nodes, containers of up to `items`.
fn json_sized(depth: u32, size: u32, items: u32) -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        number().prop_map(J::Num),
        jstr().prop_map(J::Str),
    ];
    let n = items as usize;
    leaf.prop_recursive(depth, size, items, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..n).prop_map(J::Arr),
            vec((jstr(), inner), 0..n).prop_map(|members| J::Obj(unique(members))),
        ]
    })
}

/// Keys the collector sets or rewrites; the others are copied as sent.
const ADJUSTED: [&str; 9] = [
    "type",
    "context",
    "integrations",
    "sentAt",
    "timestamp",
    "originalTimestamp",
    "receivedAt",
    "messageId",
    "writeKey",
];

/// Members with distinct keys, none of them one the collector adjusts.
fn unique(members: Vec<(JStr, J)>) -> Vec<(JStr, J)> {
    let mut seen = std::collections::HashSet::new();
    members
        .into_iter()
        .filter(|(k, _)| !ADJUSTED.contains(&k.text.as_str()) && seen.insert(k.text.clone()))
        .collect()
}

/// A Segment message: some of `event`, `userId`, `properties`, `traits`, and other members.
fn message() -> impl Strategy<Value = J> {
    (
        prop::option::of(jstr()),
        prop::option::of(jstr()),
        prop::option::of(vec((jstr(), json()), 0..6)),
        prop::option::of(vec((jstr(), json()), 0..4)),
        vec((jstr(), json()), 0..3),
    )
        .prop_map(|(event, user, properties, traits, others)| {
            let mut members = Vec::new();
            let key = |k: &str| JStr {
                text: k.to_string(),
                escape: Escape::Minimal,
            };
            if let Some(event) = event {
                members.push((key("event"), J::Str(event)));
            }
            if let Some(user) = user {
                members.push((key("userId"), J::Str(user)));
            }
            if let Some(properties) = properties {
                members.push((key("properties"), J::Obj(unique(properties))));
            }
            if let Some(traits) = traits {
                members.push((key("traits"), J::Obj(unique(traits))));
            }
            members.extend(others);
            J::Obj(unique(members))
        })
}

// ---------------------------------------------------------------------------------------------
// The collector

/// One POST: single messages to a type's path, or a batch with its envelope fields.
#[derive(Debug, Clone)]
struct Post {
    endpoint: &'static str,
    items: Vec<J>,
    batch_context: Option<J>,
    batch_sent_at: bool,
    ws: Vec<&'static str>,
}

impl Post {
    fn is_batch(&self) -> bool {
        matches!(self.endpoint, "batch" | "b" | "import")
    }

    fn body(&self) -> String {
        if !self.is_batch() {
            return Writer::write(&self.items[0], &self.ws);
        }
        let key = |k: &str| JStr {
            text: k.to_string(),
            escape: Escape::Minimal,
        };
        let mut envelope = vec![(key("batch"), J::Arr(self.items.clone()))];
        if let Some(context) = &self.batch_context {
            envelope.push((key("context"), context.clone()));
        }
        if self.batch_sent_at {
            envelope.push((key("sentAt"), J::str("2026-11-22T12:00:00.000Z")));
        }
        Writer::write(&J::Obj(envelope), &self.ws)
    }
}

fn post() -> impl Strategy<Value = Post> {
    let single = (
        prop::sample::select(vec![
            "track", "identify", "page", "screen", "group", "alias", "t", "i", "p", "s", "g", "a",
        ]),
        message(),
        whitespace(),
    )
        .prop_map(|(endpoint, item, ws)| Post {
            endpoint,
            items: vec![item],
            batch_context: None,
            batch_sent_at: false,
            ws,
        });
    let batch = (
        prop::sample::select(vec!["batch", "b", "import"]),
        vec(message(), 0..6),
        prop::option::of(vec((jstr(), json()), 0..4).prop_map(|m| J::Obj(unique(m)))),
        any::<bool>(),
        whitespace(),
    )
        .prop_map(|(endpoint, items, batch_context, batch_sent_at, ws)| Post {
            endpoint,
            items,
            batch_context,
            batch_sent_at,
            ws,
        });
    prop_oneof![2 => single, 1 => batch]
}

/// Posts `body`, with the body in the failure (as text and base64).
fn post_checked(
    harness: &RefCell<CollectorHarness>,
    endpoint: &str,
    body: &str,
) -> Result<invariants::Posted, TestCaseError> {
    harness
        .borrow_mut()
        .post(endpoint, body.as_bytes().to_vec())
        .map_err(|v| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(body);
            TestCaseError::fail(format!("POST /v1/{endpoint} {body:?} (base64 {b64}): {v}"))
        })
}

/// Accepted by the collector ⇒ one line per frame ⇒ read back equal by the recording reader;
/// and nothing lost or changed: every message of a valid body is published, its members as
/// sent (as JSON values) except those the collector sets.
#[test]
fn collector_accepted_is_one_line_and_reads_back_equal() {
    let harness = RefCell::new(CollectorHarness::new());
    check(3000, post(), |post| {
        let body = post.body();
        let posted = post_checked(&harness, post.endpoint, &body)?;
        prop_assert_eq!(
            posted.status,
            200,
            "refused: {:?} for {:?}",
            posted.rejected,
            body
        );
        prop_assert_eq!(posted.messages.len(), post.items.len(), "for {:?}", body);
        for (published, item) in posted.messages.iter().zip(&post.items) {
            let sent: Value = serde_json::from_str(&compact(item))
                .map_err(|e| TestCaseError::fail(format!("the generator wrote bad JSON: {e}")))?;
            let Value::Object(sent) = sent else {
                return Err(TestCaseError::fail("the generator wrote a non-object"));
            };
            for (key, value) in &sent {
                prop_assert_eq!(
                    published.get(key),
                    Some(value),
                    "member {:?} of {:?}",
                    key,
                    body
                );
            }
        }
        Ok(())
    });
}

/// Posts `value` inside a message, alone or in a batch: the collector either refuses it with a
/// `rejected` frame or publishes what every reader reads.
fn edge_refused_or_readable(edges: impl Strategy<Value = String>, cases: u32) {
    let harness = RefCell::new(CollectorHarness::new());
    check(cases, (edges, any::<bool>()), |(edge, batch)| {
        let message = format!(r#"{{"event":"edge","properties":{{"v":{edge}}}}}"#);
        let (endpoint, body) = if batch {
            ("batch", format!(r#"{{"batch":[{message}]}}"#))
        } else {
            ("track", message)
        };
        post_checked(&harness, endpoint, &body)?;
        Ok(())
    });
}

/// The edges of the JSON grammar (issue 9, item 2): lone surrogates…
#[test]
fn collector_lone_surrogates_are_refused_or_readable() {
    let strings = prop::sample::select(vec![
        r#""\ud83d\ude00""#,
        r#""\ud800""#,
        r#""\udfff""#,
        r#""a\udc00\ud800b""#,
        r#""\uD800\u0041""#,
    ]);
    edge_refused_or_readable(strings.prop_map(str::to_string), 100);
}

/// …numbers past f64's range…
#[test]
fn collector_huge_numbers_are_refused_or_readable() {
    let numbers = prop_oneof![
        Just("1.7976931348623157e308".to_string()),
        Just("1e-400".to_string()),
        (any::<bool>(), 1u32..10, 300u32..1000).prop_map(|(negative, digit, exp)| {
            format!("{}{digit}e{exp}", if negative { "-" } else { "" })
        }),
        Just("123456789012345678901234567890e300".to_string()),
    ];
    edge_refused_or_readable(numbers, 200);
}

/// …and nesting around the readers' depth limit.
#[test]
fn collector_deep_nesting_is_refused_or_readable() {
    let nested = (100usize..140, any::<bool>()).prop_map(|(depth, arrays)| {
        let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
        format!("{}1{}", open.repeat(depth), close.repeat(depth))
    });
    edge_refused_or_readable(nested, 200);
}

/// Any bytes at all: the collector never panics and keeps every frame invariant for what it
/// accepts (mutated fixture lines and batches).
#[test]
fn collector_mutated_fixture_bodies() {
    let lines: Vec<&str> = EVENTS.lines().collect();
    let harness = RefCell::new(CollectorHarness::new());
    let case = (
        prop::sample::select(invariants::ENDPOINTS.to_vec()),
        vec(prop::sample::select(lines), 1..4),
        edits(),
    );
    check(1500, case, |(endpoint, picked, edits)| {
        let mut body = if matches!(endpoint, "batch" | "b" | "import") {
            format!("{{\"batch\":[{}]}}", picked.join(",")).into_bytes()
        } else {
            picked[0].as_bytes().to_vec()
        };
        apply(&mut body, &edits);
        harness
            .borrow_mut()
            .post(endpoint, body.clone())
            .map_err(|v| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&body);
                TestCaseError::fail(format!("POST /v1/{endpoint} (base64 {b64}): {v}"))
            })?;
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Byte mutations of fixture text

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    /// Copies a short run of bytes elsewhere (repeats a key, a bracket…).
    Copy {
        from: usize,
        len: usize,
        to: usize,
    },
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let byte = prop_oneof![
        3 => prop::sample::select(b"\n\r\t \"\\{}[],:-0e.u/".to_vec()),
        1 => any::<u8>(),
    ];
    let edit = prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip(at, 1 << bit)),
        (any::<usize>(), byte).prop_map(|(at, b)| Edit::Insert(at, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), 1usize..16, any::<usize>()).prop_map(|(from, len, to)| Edit::Copy {
            from,
            len,
            to
        }),
    ];
    vec(edit, 1..6)
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for edit in edits {
        let len = bytes.len();
        match *edit {
            Edit::Flip(at, mask) if len > 0 => bytes[at % len] ^= mask,
            Edit::Insert(at, b) => bytes.insert(at % (len + 1), b),
            Edit::Delete(at) if len > 0 => {
                bytes.remove(at % len);
            }
            Edit::Copy { from, len: n, to } if len > 0 => {
                let from = from % len;
                let run: Vec<u8> = bytes[from..(from + n).min(len)].to_vec();
                let to = to % (len + 1);
                bytes.splice(to..to, run);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The recording reader

/// Mutated recordings (fixture lines and frames, sometimes gzipped) are read without a panic,
/// with rising line numbers, and every frame read writes back as a line that reads the same.
#[test]
fn reader_mutated_recordings() {
    let mut lines: Vec<String> = EVENTS.lines().step_by(7).map(str::to_string).collect();
    lines.extend(
        [
            r#"{"type":"event","seq":1,"receivedAt":"2026-11-22T12:00:00.000Z","source":{"path":"/v1/track","ip":"127.0.0.1"},"message":{"type":"track","event":"A","userId":"u"}}"#,
            r#"{"type":"hello","version":1,"server":"eventscope 0.1.0","instance":"abc","lastSeq":3,"oldestSeq":1}"#,
            r#"{"type":"rejected","seq":4,"receivedAt":"2026-11-22T12:00:00.000Z","source":{"path":"/v1/track"},"status":400,"code":"invalid_json","message":"Invalid JSON","body":"{nope","bodyBytes":5}"#,
            r#"{"type":"gap","from":5,"to":9,"reason":"evicted"}"#,
            r#"{"batch":[{"type":"track","event":"A"},{"type":"identify","userId":"u"}]}"#,
        ]
        .map(str::to_string),
    );
    let case = (vec(prop::sample::select(lines), 1..5), edits(), 0u8..8);
    check(3000, case, |(picked, edits, gzip)| {
        let mut bytes = picked.join("\n").into_bytes();
        apply(&mut bytes, &edits);
        if gzip == 0 {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(&bytes)
                .and_then(|()| encoder.finish())
                .map(|gz| bytes = gz)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        check_reader(&bytes).map_err(|v| {
            TestCaseError::fail(format!("{v}; input {:?}", String::from_utf8_lossy(&bytes)))
        })
    });
}

/// The reader's property can fail: unmutated fixture lines all read as frames.
#[test]
fn reader_reads_every_fixture_line() {
    let items: Vec<_> = eventscope::recording::RecordingReader::from_reader(
        std::io::Cursor::new(EVENTS.as_bytes().to_vec()),
        "events.ndjson",
    )
    .collect();
    assert_eq!(items.len(), 600);
    assert!(
        items
            .iter()
            .all(|i| matches!(i, eventscope::recording::ReadItem::Frame { .. }))
    );
    check_reader(EVENTS.as_bytes()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The pretty re-indenter

/// Generated JSON, however it is spaced, is laid out one value per line with the right paths,
/// and reads back equal.
#[test]
fn pretty_generated_json() {
    check(3000, (json(), whitespace()), |(j, ws)| {
        check_pretty(&Writer::write(&j, &ws)).map_err(fail)
    });
}

/// Mutated fixture lines (valid or not) never panic the re-indenter, and what stays JSON is
/// laid out right.
#[test]
fn pretty_mutated_fixture_lines() {
    let lines: Vec<&str> = EVENTS.lines().step_by(3).collect();
    check(
        2000,
        (prop::sample::select(lines), edits()),
        |(line, edits)| {
            let mut bytes = line.as_bytes().to_vec();
            apply(&mut bytes, &edits);
            check_pretty(&String::from_utf8_lossy(&bytes)).map_err(fail)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The filter parser

const QUERIES: [&str; 17] = [
    "checkout",
    r#""Order Completed""#,
    "type:track",
    r#"event:"Order Completed""#,
    "event:Order*  event:*Viewed",
    "user:u_42",
    "id:8a6a63ec-*",
    "key:abcd…wxyz",
    "key:abcd",
    "has:rejected",
    "a b        a or b",
    "-a         not a",
    "(a or b) c",
    "jq: .properties.total > 10",
    r#""say \"hi\" \\ there" -type:page or (event:Sign* user:u_1)"#,
    "https://shop.example.com/cart",
    r#"not (type:identify or type:group) "or""#,
];

/// Queries built from the grammar's pieces.
fn query() -> impl Strategy<Value = String> {
    let term = prop_oneof![
        prop::sample::select(vec![
            "checkout",
            "order",
            "u_42",
            "Completed",
            "analytics.js",
            "OR",
            "not",
            "-",
            "*",
            "\"",
            "\\",
            "(",
            ")",
            ":",
            "…",
            "é",
            "https://x.io/a",
        ])
        .prop_map(str::to_string),
        (
            prop::sample::select(vec![
                "type:", "event:", "user:", "id:", "key:", "has:", "nope:", "TYPE:",
            ]),
            prop::sample::select(vec![
                "track",
                "Order*",
                "*Viewed",
                "\"Order Completed\"",
                "u_*",
                "",
                "rejected",
                "a\\\"b",
                "…",
                "abcd...wxyz",
            ]),
        )
            .prop_map(|(field, value)| format!("{field}{value}")),
    ];
    let leaf = term.boxed();
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 1..4).prop_map(|terms| terms.join(" ")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

#[test]
fn filter_generated_queries() {
    let samples = filter_samples();
    check(2000, query(), |q| check_filter(&q, &samples).map_err(fail));
}

#[test]
fn filter_mutated_queries() {
    let samples = filter_samples();
    check(
        1500,
        (prop::sample::select(QUERIES.to_vec()), edits()),
        |(q, edits)| {
            let mut bytes = q.as_bytes().to_vec();
            apply(&mut bytes, &edits);
            check_filter(&String::from_utf8_lossy(&bytes), &samples).map_err(fail)
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The plan loader

/// Each rule of the fixture plan as a plan of its own, mutated: loading never panics, and
/// what loads checks fixture messages.
#[test]
fn plan_mutated_rules() {
    let plan: Value = serde_json::from_str(PLAN).expect("the fixture plan is JSON");
    let rules: Vec<String> = plan["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| serde_json::json!({ "name": "one rule", "rules": [rule] }).to_string())
        .collect();
    let samples = plan_samples();
    check(
        1500,
        (prop::sample::select(rules), edits()),
        |(plan, edits)| {
            let mut bytes = plan.into_bytes();
            apply(&mut bytes, &edits);
            check_plan(&String::from_utf8_lossy(&bytes), &samples).map_err(fail)
        },
    );
}

/// A rule whose JSON Schema for the properties is generated JSON: loading never panics.
#[test]
fn plan_generated_schemas() {
    let samples = plan_samples();
    check(1000, json(), |schema| {
        let plan = format!(
            r#"{{"rules":[{{"key":"Order Completed","type":"TRACK","version":1,"jsonSchema":{{"properties":{{"properties":{}}}}}}}]}}"#,
            compact(&schema)
        );
        check_plan(&plan, &samples).map_err(fail)
    });
}

/// The fixture plan loads: the plan properties can fail.
#[test]
fn plan_fixture_loads() {
    eventscope::inspect::plan::TrackingPlan::parse(PLAN, "plan.json").unwrap();
    check_plan(PLAN, &plan_samples()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The PII scanner

/// Personal data and secrets of every kind the scanner knows.
const PII: [&str; 14] = [
    "jane.doe@example.com",
    "call me on +1 (415) 555-9120 after 5pm",
    "4111 1111 1111 1111",
    "078-05-1120",
    "GB82 WEST 1234 5698 7654 32",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "AKIAIOSFODNN7EXAMPLE",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98\n-----END RSA PRIVATE KEY-----",
    "192.168.10.24",
    "2001:db8::ff00:42:8329",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
];

fn pii_value() -> impl Strategy<Value = J> {
    prop_oneof![
        2 => prop::sample::select(PII.to_vec()).prop_map(J::str),
        1 => (prop::sample::select(PII.to_vec()), jstr())
            .prop_map(|(pii, s)| J::str(&format!("{} {pii} {}", s.text, s.text))),
        1 => Just(J::Num("4111111111111111".into())),
        3 => json_sized(2, 8, 4),
    ]
}

/// Messages with personal data at random places under `properties`, `traits`, `context` and
/// the identity fields.
fn pii_message() -> impl Strategy<Value = J> {
    let members = || {
        vec(
            (
                prop_oneof![
                    jstr(),
                    prop::sample::select(vec![
                        "email",
                        "phone",
                        "firstName",
                        "password",
                        "token",
                        "ssn",
                        "name",
                        "address",
                        "ip",
                        "device",
                        "traits",
                        "products",
                    ])
                    .prop_map(|k| JStr {
                        text: k.into(),
                        escape: Escape::Minimal
                    }),
                ],
                pii_value(),
            ),
            0..6,
        )
        .prop_map(|m| J::Obj(unique(m)))
    };
    (
        prop::sample::select(vec![
            "track", "identify", "group", "page", "screen", "alias",
        ]),
        members(),
        members(),
        members(),
        prop::option::of(pii_value()),
    )
        .prop_map(|(kind, properties, traits, context, user)| {
            let key = |k: &str| JStr {
                text: k.to_string(),
                escape: Escape::Minimal,
            };
            let mut m = vec![
                (key("type"), J::str(kind)),
                (key("properties"), properties),
                (key("traits"), traits),
                (key("context"), context),
            ];
            if let Some(user) = user {
                m.push((key("userId"), user));
            }
            J::Obj(m)
        })
}

#[test]
fn pii_generated_messages() {
    let matchers = PiiMatchers::default();
    check(3000, pii_message(), |m| {
        check_pii(&compact(&m), &matchers).map_err(fail)
    });
}

#[test]
fn pii_mutated_fixture_lines() {
    let matchers = PiiMatchers::default();
    let lines: Vec<&str> = EVENTS.lines().collect();
    check(
        2000,
        (prop::sample::select(lines), edits()),
        |(line, edits)| {
            let mut bytes = line.as_bytes().to_vec();
            apply(&mut bytes, &edits);
            check_pii(&String::from_utf8_lossy(&bytes), &matchers).map_err(fail)
        },
    );
}
