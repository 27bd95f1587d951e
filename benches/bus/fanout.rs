//! Part `fanout`: the real `eventscope relay` (a child process, so that its CPU can be read)
//! serving 1, 16 and 64 viewers while a bare publisher sends the collector's frames into the
//! stream: all viewers on one narrowing (no query), then spread over 16 narrowings.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eventscope::bus::{Narrowing, NarrowingQuery};
use eventscope::model::thousands;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::cpu::{self, Pids, Use};
use crate::frames::{self, Frame, PublishCounters};
use crate::subscriber::{Subscribed, subscribe};
use crate::targets::{Collector, stream_name};
use crate::testkit::binary;
use crate::testkit::nats::NatsServer;
use crate::{Config, Runtimes};

/// 16 distinct narrowings. `?sample=` has two fixed buckets (10 % and 1 % of people), so the
/// 16 are combinations of `?types=` and `?sample=`.
const NARROWINGS: [&str; 16] = [
    "types=track",
    "types=page",
    "types=identify",
    "types=group",
    "types=screen",
    "types=alias",
    "types=track,page",
    "types=identify,group",
    "sample=10",
    "sample=1",
    "types=track&sample=10",
    "types=page&sample=10",
    "types=identify&sample=10",
    "types=track&sample=1",
    "types=track,identify&sample=10",
    "types=page,screen,alias",
];

/// How long the viewers may take to get the last frames after the publisher stopped, at most
/// (ended sooner once every viewer has its share, or nothing arrived for a while).
const DRAIN: Duration = Duration::from_secs(20);
const NO_PROGRESS: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Spread {
    /// Every viewer with no query.
    One,
    /// Viewer i on `NARROWINGS[i % 16]`.
    Sixteen,
}

pub fn run(rts: &Runtimes, cfg: &Config) {
    let frames = {
        let nats = start_nats();
        let capturer = Collector::start(&rts.server, Some(&nats.url()));
        let frames = rts.client.block_on(async {
            let js = nats.jetstream().await;
            frames::capture(capturer.addr(), &js, &stream_name()).await
        });
        capturer.stop(&rts.server);
        Arc::new(frames)
    };
    println!(
        "\n== relay fan-out: `eventscope relay` (a child process, built with the bench profile) on nats-server R1; a bare async-nats publisher re-sends the collector's {} frames (fresh Nats-Msg-Id each, ≤ {} acks in flight); {:.1} s per case, each on a fresh nats-server (so that no consumer of an earlier case, which the server keeps 30 s after its relay stopped, is counted); viewers are websocket clients in this process",
        frames.len(),
        frames::IN_FLIGHT,
        cfg.fanout_window.as_secs_f64(),
    );
    println!(
        "   16 narrowings (the relay's ?sample= is two fixed buckets, 10 % and 1 % of people, so they combine ?types= and ?sample=): {}",
        NARROWINGS.join(" | ")
    );
    let mut cases: Vec<(Spread, Option<u64>, usize)> = Vec::new();
    for spread in [Spread::One, Spread::Sixteen] {
        for &n in &cfg.fanout_viewers {
            cases.push((spread, Some(cfg.fanout_rate), n));
        }
    }
    if cfg.fanout_max {
        for &n in &cfg.fanout_viewers {
            cases.push((Spread::One, None, n));
        }
    }
    for (spread, rate, viewers) in cases {
        let nats = start_nats();
        // The stream as a collector makes it.
        Collector::start(&rts.server, Some(&nats.url())).stop(&rts.server);
        case(rts, cfg, &nats, &frames, spread, rate, viewers);
    }
}

fn start_nats() -> NatsServer {
    NatsServer::start("bus bench: fanout").expect("nats-server (checked at start)")
}

/// Whether a subject is matched by a NATS filter (`*` one token, `>` the rest).
fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut subject = subject.split('.');
    for token in filter.split('.') {
        match (token, subject.next()) {
            (">", Some(_)) => return true,
            (_, None) => return false,
            ("*", Some(_)) => {}
            (want, Some(got)) if want == got => {}
            _ => return false,
        }
    }
    subject.next().is_none()
}

/// Which of `frames` a viewer with `query` should get (the relay's consumer filter and its own
/// check, from the core's `Narrowing`).
fn kept(query: &str, frames: &[Frame]) -> Vec<bool> {
    let mut q = NarrowingQuery::default();
    for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
        match name {
            "types" => q.types = Some(value.to_string()),
            "sample" => q.sample = value.parse().ok(),
            _ => {}
        }
    }
    let narrowing = Narrowing::parse(&q).expect("a valid narrowing");
    let filter = narrowing.filter_subject();
    frames
        .iter()
        .map(|f| {
            filter
                .as_deref()
                .is_none_or(|filter| subject_matches(filter, &f.subject))
                && narrowing.keeps(&f.subject)
        })
        .collect()
}

/// How many of the first `sent` frames (cycling through `kept`) a viewer should get.
fn expected(kept: &[bool], sent: u64) -> u64 {
    let per_cycle = kept.iter().filter(|k| **k).count() as u64;
    let n = kept.len() as u64;
    let rest = kept[..(sent % n) as usize].iter().filter(|k| **k).count() as u64;
    sent / n * per_cycle + rest
}

struct Counts {
    events: u64,
    gaps: u64,
    missed: u64,
}

fn counts(viewers: &[Subscribed]) -> Counts {
    let load =
        |f: fn(&crate::subscriber::SubStats) -> u64| viewers.iter().map(|v| f(&v.stats)).sum();
    Counts {
        events: load(|s| s.events.load(Ordering::Relaxed)),
        gaps: load(|s| s.gaps.load(Ordering::Relaxed)),
        missed: load(|s| s.missed.load(Ordering::Relaxed)),
    }
}

fn case(
    rts: &Runtimes,
    cfg: &Config,
    nats: &NatsServer,
    frames: &Arc<Vec<Frame>>,
    spread: Spread,
    rate: Option<u64>,
    n: usize,
) {
    let queries: Vec<&str> = (0..n)
        .map(|i| match spread {
            Spread::One => "",
            Spread::Sixteen => NARROWINGS[i % NARROWINGS.len()],
        })
        .collect();
    let kept: Vec<Vec<bool>> = queries.iter().map(|q| kept(q, frames)).collect();
    let monitor = nats.monitor_url();
    let report = rts.client.block_on(async {
        let mut child = binary::eventscope()
            .args(["relay", "--bus", &nats.url(), "--listen", "127.0.0.1:0"])
            // Never read: a full pipe must not stall the relay.
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start eventscope relay");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let addr = binary::listening_address(&mut lines).await;
        let pids = Pids {
            nats: nats.pid(),
            child: child.id().unwrap_or(0),
        };
        let mut viewers = Vec::with_capacity(n);
        for query in &queries {
            let url = match query.is_empty() {
                true => format!("ws://{addr}/v1/stream"),
                false => format!("ws://{addr}/v1/stream?{query}"),
            };
            viewers.push(subscribe(url, false).await);
        }
        // The consumers exist once every viewer has its hello; a moment for the last ones.
        tokio::time::sleep(Duration::from_millis(300)).await;

        let js = frames::connect(&nats.url()).await;
        let counters = Arc::new(PublishCounters::default());
        let cpu0 = cpu::sample(pids);
        let publisher = tokio::spawn(frames::publish(
            js,
            Arc::clone(frames),
            rate,
            Arc::clone(&counters),
        ));
        tokio::time::sleep(cfg.fanout_window / 2).await;
        let consumers = consumers(&monitor).await;
        tokio::time::sleep(cfg.fanout_window / 2).await;
        counters.stop.store(true, Ordering::Relaxed);
        let in_window = counts(&viewers);
        let cpu1 = cpu::sample(pids);
        let sent = publisher.await.expect("the publisher");
        let should: Vec<u64> = kept.iter().map(|k| expected(k, sent)).collect();
        let should_total: u64 = should.iter().sum();

        // Until every viewer has its share (or gave up on it as a gap), or nothing moves.
        let drain_start = Instant::now();
        let mut last = counts(&viewers);
        let mut last_progress = Instant::now();
        loop {
            let done = viewers.iter().zip(&should).all(|(v, should)| {
                v.stats.events.load(Ordering::Relaxed) + v.stats.missed.load(Ordering::Relaxed)
                    >= *should
            });
            if done || drain_start.elapsed() > DRAIN || last_progress.elapsed() > NO_PROGRESS {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            let now = counts(&viewers);
            if now.events != last.events || now.missed != last.missed {
                last = now;
                last_progress = Instant::now();
            }
        }
        let end = counts(&viewers);
        let short: u64 = viewers
            .iter()
            .zip(&should)
            .map(|(v, should)| should.saturating_sub(v.stats.events.load(Ordering::Relaxed)))
            .sum();
        let viewers_short = viewers
            .iter()
            .zip(&should)
            .filter(|(v, should)| v.stats.events.load(Ordering::Relaxed) < **should)
            .count();
        let _ = child.kill().await;
        for viewer in viewers {
            let _ = tokio::time::timeout(Duration::from_secs(5), viewer.task).await;
        }
        Report {
            seconds: cpu::seconds(&cpu0, &cpu1),
            sent,
            acked: counters.acked.load(Ordering::Relaxed),
            errors: counters.errors.load(Ordering::Relaxed)
                + counters.duplicates.load(Ordering::Relaxed),
            in_window: in_window.events,
            should_total,
            end,
            short,
            viewers_short,
            consumers,
            drain: drain_start.elapsed(),
            cpu: Use::between(&cpu0, &cpu1),
        }
    });
    report.print(spread, rate, n);
}

struct Report {
    seconds: f64,
    sent: u64,
    acked: u64,
    errors: u64,
    /// Event frames the viewers got while the publisher ran.
    in_window: u64,
    should_total: u64,
    end: Counts,
    /// Frames viewers should have got and did not (in gaps or never), and how many viewers.
    short: u64,
    viewers_short: usize,
    consumers: Option<u64>,
    drain: Duration,
    cpu: Use,
}

impl Report {
    fn print(&self, spread: Spread, rate: Option<u64>, n: usize) {
        let seconds = self.seconds.max(1e-9);
        println!(
            "fanout  {n:>2} viewer(s) {:<16} published {:>9}/s{}  delivered {:>9} frames/s (sum over viewers)  relay CPU {:>4.0} % of a core  consumers on the server {}",
            match spread {
                Spread::One => "on one narrowing",
                Spread::Sixteen => "on 16 narrowings",
            },
            thousands((self.acked as f64 / seconds) as u64),
            match rate {
                Some(rate) => format!(" (steady {}/s)", thousands(rate)),
                None => " (max)".to_string(),
            },
            thousands((self.in_window as f64 / seconds) as u64),
            self.cpu.child * 100.0,
            self.consumers.map_or("?".to_string(), |c| c.to_string()),
        );
        println!(
            "                        should get {} frames in all, got {} ({} gaps, {} missed in them; {} short in {} viewer(s)); {} sent, {} acked, {} errors; last frames within {:.1} s of the publisher stopping ({} frames/s from its start to then)",
            thousands(self.should_total),
            thousands(self.end.events),
            self.end.gaps,
            thousands(self.end.missed),
            thousands(self.short),
            self.viewers_short,
            thousands(self.sent),
            thousands(self.acked),
            self.errors,
            self.drain.as_secs_f64(),
            thousands(
                (self.end.events as f64 / (seconds + self.drain.as_secs_f64()).max(1e-9)) as u64
            ),
        );
        println!(
            "                        {}",
            self.cpu.describe(&[
                ("relay", self.cpu.child),
                ("nats-server", self.cpu.nats),
                ("publisher+viewers", self.cpu.client),
            ])
        );
    }
}

/// The number of JetStream consumers the server holds (`/jsz?consumers=true`).
async fn consumers(monitor: &str) -> Option<u64> {
    let jsz: serde_json::Value = crate::testkit::client()
        .get(format!("{monitor}/jsz?consumers=true"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    jsz["consumers"].as_u64()
}
