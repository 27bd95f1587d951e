//! Identity figures: memory per identifier and per profile with 1,000,000 identifiers, and the
//! cost of `IdentityGraph::observe` per message (issue 14's figures).
//!
//! `cargo bench --bench identity`; `EVENTSCOPE_BENCH_N=100000` identifiers for a quicker run.
//! Two shapes of people, each fed until the graph holds N identifiers: `identify` calls with a
//! userId and an anonymousId (N/2 profiles of 2), then the same with `traits.email` (N/3
//! profiles of 3). Memory is what the graph holds live afterwards, counted by a global
//! allocator (`cap`) as bytes allocated minus bytes freed since the graph was made, so messages
//! parsed and dropped on the way do not count.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench or test may stop on its own setup

use std::alloc::System;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use cap::Cap;
use chrono::{TimeZone, Utc};
use eventscope::identity::{IdentityGraph, IdentitySettings};
use eventscope::model::json::Json;

/// Counts live heap bytes. The workspace forbids `unsafe` (a `GlobalAlloc` needs it), so the
/// counting wrapper around the system allocator is the `cap` crate's.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Messages parsed and observed per batch (parsing is outside the timed part).
const BATCH: usize = 1024;

fn live() -> isize {
    ALLOCATOR.allocated() as isize
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("identity bench: run with `cargo bench --bench identity`");
        return;
    }
    let n: usize = std::env::var("EVENTSCOPE_BENCH_N")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    println!("identity graph with {n} identifiers (EVENTSCOPE_BENCH_N)");
    run("userId + anonymousId", n, 2, |i, text| {
        write!(
            text,
            r#"{{"type":"identify","userId":"user-{i:08}","anonymousId":"4f1c2b9e-5d3a-4c1e-9b7f-{i:012}","traits":{{"plan":"pro"}}}}"#
        )
        .unwrap();
    });
    run("userId + anonymousId + email", n, 3, |i, text| {
        write!(
            text,
            r#"{{"type":"identify","userId":"user-{i:08}","anonymousId":"4f1c2b9e-5d3a-4c1e-9b7f-{i:012}","traits":{{"plan":"pro","email":"person.{i}@example.com"}}}}"#
        )
        .unwrap();
    });
}

/// Feeds people of `per_profile` identifiers (written by `message`) until the graph holds `n`
/// identifiers; prints live bytes per identifier and per profile, and ns per observe.
fn run(name: &str, n: usize, per_profile: usize, message: impl Fn(usize, &mut String)) {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().unwrap();
    let before = live();
    let mut graph = IdentityGraph::new(IdentitySettings::default());
    let mut observing = Duration::ZERO;
    let mut messages = 0usize;
    let mut texts: Vec<String> = Vec::with_capacity(BATCH);
    while graph.identifier_count() + per_profile <= n {
        let room = (n - graph.identifier_count()) / per_profile;
        texts.clear();
        for i in messages..messages + room.min(BATCH) {
            let mut text = String::with_capacity(200);
            message(i, &mut text);
            texts.push(text);
        }
        let parsed: Vec<Json<'_>> = texts.iter().map(|t| Json::parse(t).unwrap()).collect();
        let start = Instant::now();
        for (offset, tree) in parsed.iter().enumerate() {
            std::hint::black_box(graph.observe((messages + offset) as u64 + 1, at, tree));
        }
        observing += start.elapsed();
        messages += parsed.len();
    }
    drop(texts);
    let bytes = (live() - before).max(0) as f64;
    let (ids, profiles) = (graph.identifier_count(), graph.len());
    println!(
        "{name}: {messages} messages, {ids} identifiers, {profiles} profiles: {:.1} MB live \
         ({:.0} bytes/identifier, {:.0} bytes/profile); observe {:.0} ns/message",
        bytes / 1e6,
        bytes / ids.max(1) as f64,
        bytes / profiles.max(1) as f64,
        observing.as_nanos() as f64 / messages.max(1) as f64
    );
    drop(graph);
}
