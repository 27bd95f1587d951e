//! Part `ingest`: events/s through the bus against a bare publisher and the in-memory hub,
//! alternating in slices, with where the CPU went.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use eventscope::model::thousands;

use crate::cpu::{self, Pids, Use};
use crate::frames::{self, PublishCounters};
use crate::generator::{LoadCounters, load_worker};
use crate::stamp::Stamped;
use crate::subscriber::{SubStats, drain};
use crate::targets::{Collector, InProcessRelay, finish, stream_name, viewer};
use crate::testkit::nats::NatsServer;
use crate::{Config, Runtimes};

/// The goals for ours through the bus.
const GOAL_RATIO: f64 = 0.6;
const GOAL_RATE: f64 = 80_000.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `serve --bus`, one relay viewer.
    Bus,
    /// A bare async-nats publisher of the same frames.
    Bare,
    /// `serve` (the in-memory hub), one stream viewer.
    Hub,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Bus => "serve --bus",
            Kind::Bare => "bare publisher",
            Kind::Hub => "serve (hub)",
        }
    }
}

/// One target's slices added up.
#[derive(Default)]
struct Tally {
    window: f64,
    /// Messages accepted (HTTP 200, or acked by the bus) within the windows.
    in_window: u64,
    /// Everything accepted, warm-ups included, and what the viewer saw of it.
    accepted: u64,
    errors: u64,
    viewer_events: u64,
    viewer_gaps: u64,
    viewer_missed: u64,
    viewer_out_of_order: u64,
    drained: bool,
    cpu: Use,
}

impl Tally {
    fn rate(&self) -> f64 {
        self.in_window as f64 / self.window.max(1e-9)
    }

    fn add(&mut self, slice: Tally) {
        if self.window == 0.0 {
            *self = slice;
            return;
        }
        self.cpu = self.cpu.merge(self.window, slice.cpu, slice.window);
        self.window += slice.window;
        self.in_window += slice.in_window;
        self.accepted += slice.accepted;
        self.errors += slice.errors;
        self.viewer_events += slice.viewer_events;
        self.viewer_gaps += slice.viewer_gaps;
        self.viewer_missed += slice.viewer_missed;
        self.viewer_out_of_order += slice.viewer_out_of_order;
        self.drained &= slice.drained;
    }

    fn viewer(&mut self, stats: &SubStats) {
        self.viewer_events = stats.events.load(Ordering::Relaxed);
        self.viewer_gaps = stats.gaps.load(Ordering::Relaxed);
        self.viewer_missed = stats.missed.load(Ordering::Relaxed);
        self.viewer_out_of_order = stats.out_of_order.load(Ordering::Relaxed);
    }
}

pub fn run(rts: &Runtimes, cfg: &Config) {
    let nats = NatsServer::start("bus bench: ingest").expect("nats-server (checked at start)");
    let pids = Pids {
        nats: nats.pid(),
        child: 0,
    };
    // The frames the bare publisher sends: what a collector published for the fixture.
    let capturer = Collector::start(&rts.server, Some(&nats.url()));
    let captured = rts.client.block_on(async {
        let js = nats.jetstream().await;
        frames::capture(capturer.addr(), &js, &stream_name()).await
    });
    capturer.stop(&rts.server);
    let frames = Arc::new(captured);
    let slice = cfg.window / cfg.slices;
    println!(
        "\n== ingest through the bus: {} alternating slices of {:.1} s per target, each after a {:.1} s warm-up on a fresh collector/relay/publisher; {} keep-alive conns of 100-message bodies (unique messageIds); nats-server R1, file storage, stream {}",
        cfg.slices,
        slice.as_secs_f64(),
        cfg.warmup.as_secs_f64(),
        cfg.conns,
        stream_name(),
    );
    println!(
        "   bare publisher: one async-nats connection re-sending the {} frames the collector published (same subjects and payloads, a fresh Nats-Msg-Id each), ≤ {} acks in flight",
        frames.len(),
        frames::IN_FLIGHT
    );
    let mut tallies: [Tally; 3] = Default::default();
    for _ in 0..cfg.slices {
        for (i, kind) in [Kind::Bus, Kind::Bare, Kind::Hub].into_iter().enumerate() {
            let result = match kind {
                Kind::Bare => bare_slice(rts, cfg, &nats, &frames, slice, pids),
                _ => http_slice(rts, cfg, &nats, kind, slice, pids),
            };
            tallies[i].add(result);
        }
    }
    let [bus, bare, hub] = &tallies;
    for (kind, tally) in [(Kind::Bus, bus), (Kind::Bare, bare), (Kind::Hub, hub)] {
        print(kind, tally);
    }
    let ratio = bus.rate() / bare.rate().max(1.0);
    println!(
        "ratio serve --bus / bare publisher {ratio:.2}   (goal ≥ {GOAL_RATIO:.2}: {}; ≥ {} events/s: {});   serve --bus / hub {:.2}",
        met(ratio >= GOAL_RATIO),
        thousands(GOAL_RATE as u64),
        met(bus.rate() >= GOAL_RATE),
        bus.rate() / hub.rate().max(1.0),
    );
    println!(
        "   nats-server, the collector, the relay and the load generator all share this machine's {} cores: the rates are a floor, not a capacity",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn print(kind: Kind, t: &Tally) {
    println!(
        "ingest  {:<15} {:>9} events/s  ({:.1} s in all, {} accepted, {} errors)",
        kind.label(),
        thousands(t.rate() as u64),
        t.window,
        thousands(t.accepted),
        t.errors,
    );
    if kind != Kind::Bare {
        let ok = t.errors == 0
            && t.viewer_events == t.accepted
            && t.viewer_gaps == 0
            && t.viewer_out_of_order == 0
            && t.drained;
        println!(
            "                        viewer ({}): {} event frames, {} gaps ({} missed), {} out of order{} — {}",
            if kind == Kind::Bus {
                "on the in-process relay"
            } else {
                "on the collector's /v1/stream"
            },
            thousands(t.viewer_events),
            t.viewer_gaps,
            thousands(t.viewer_missed),
            t.viewer_out_of_order,
            if t.drained {
                ""
            } else {
                ", NOT drained within 15 s"
            },
            if ok {
                "every accepted message reached it, in order"
            } else {
                "MISMATCH with what was accepted"
            }
        );
    }
    let c = &t.cpu;
    let parts: Vec<(&str, f64)> = match kind {
        Kind::Bus => vec![
            ("nats-server", c.nats),
            ("collector", c.collector),
            ("relay+viewer", c.relay),
            ("load generator", c.client),
        ],
        Kind::Bare => vec![("nats-server", c.nats), ("publisher", c.client)],
        Kind::Hub => vec![
            ("collector", c.collector),
            ("viewer", c.relay),
            ("load generator", c.client),
            ("nats-server (idle)", c.nats),
        ],
    };
    let per_event = (c.total() - c.rest) * 1e6 / t.rate().max(1.0);
    println!(
        "                        {}; {per_event:.1} µs of CPU per event",
        c.describe(&parts)
    );
}

/// A slice against a collector (with `--bus` and a relay viewer, or the hub and its viewer).
fn http_slice(
    rts: &Runtimes,
    cfg: &Config,
    nats: &NatsServer,
    kind: Kind,
    window: Duration,
    pids: Pids,
) -> Tally {
    let url = nats.url();
    let collector = Collector::start(&rts.server, (kind == Kind::Bus).then_some(url.as_str()));
    let relay = (kind == Kind::Bus).then(|| InProcessRelay::start(&rts.relay, &url));
    let stream_url = match &relay {
        Some(relay) => relay.stream_url(),
        None => collector.running.stream_url(),
    };
    let watcher = viewer(&rts.relay, stream_url, false);
    let addr = collector.addr();
    let counters = Arc::new(LoadCounters::default());
    let mut tally = rts.client.block_on(async {
        let workers: Vec<_> = (0..cfg.conns)
            .map(|c| {
                tokio::spawn(load_worker(
                    addr,
                    Stamped::new(addr, c),
                    Arc::clone(&counters),
                ))
            })
            .collect();
        tokio::time::sleep(cfg.warmup).await;
        let (a0, cpu0) = (counters.accepted.load(Ordering::Relaxed), cpu::sample(pids));
        tokio::time::sleep(window).await;
        let (a1, cpu1) = (counters.accepted.load(Ordering::Relaxed), cpu::sample(pids));
        counters.stop.store(true, Ordering::Relaxed);
        for worker in workers {
            let _ = worker.await;
        }
        let cpu = Use::between(&cpu0, &cpu1);
        Tally {
            window: cpu::seconds(&cpu0, &cpu1),
            in_window: a1 - a0,
            accepted: counters.accepted.load(Ordering::Relaxed),
            errors: counters.errors(),
            drained: drain(
                &watcher.stats,
                collector.last_seq(),
                Duration::from_secs(15),
            )
            .await,
            cpu,
            ..Tally::default()
        }
    });
    match relay {
        Some(relay) => {
            relay.stop(&rts.relay);
            collector.stop(&rts.server);
        }
        None => collector.stop(&rts.server),
    }
    tally.viewer(&watcher.stats);
    finish(&rts.relay, watcher);
    tally
}

/// A slice of the bare publisher.
fn bare_slice(
    rts: &Runtimes,
    cfg: &Config,
    nats: &NatsServer,
    frames: &Arc<Vec<frames::Frame>>,
    window: Duration,
    pids: Pids,
) -> Tally {
    rts.client.block_on(async {
        let js = frames::connect(&nats.url()).await;
        let counters = Arc::new(PublishCounters::default());
        let task = tokio::spawn(frames::publish(
            js,
            Arc::clone(frames),
            None,
            Arc::clone(&counters),
        ));
        tokio::time::sleep(cfg.warmup).await;
        let (a0, cpu0) = (counters.acked.load(Ordering::Relaxed), cpu::sample(pids));
        tokio::time::sleep(window).await;
        let (a1, cpu1) = (counters.acked.load(Ordering::Relaxed), cpu::sample(pids));
        counters.stop.store(true, Ordering::Relaxed);
        let _ = task.await;
        Tally {
            window: cpu::seconds(&cpu0, &cpu1),
            in_window: a1 - a0,
            accepted: counters.acked.load(Ordering::Relaxed),
            errors: counters.errors.load(Ordering::Relaxed)
                + counters.duplicates.load(Ordering::Relaxed),
            drained: true,
            cpu: Use::between(&cpu0, &cpu1),
            ..Tally::default()
        }
    })
}
