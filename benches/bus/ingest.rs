//! Part `ingest`: events/s through the bus against a bare publisher and the in-memory hub,
//! alternating in slices, with where the CPU went.
//!
//! The figure compares `serve --bus` with one relay viewer against the bare publisher; a
//! relay viewer costs nats-server (a consumer to serve) and the machine (the relay) as much
//! as a good part of the collector, so the same two also run the other way round (the bare
//! publisher with the same relay viewer, and `serve --bus` with none) for like-for-like ratios.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use eventscope::model::thousands;

use crate::cpu::{self, Pids, Use};
use crate::frames::{self, PublishCounters};
use crate::generator::{LoadCounters, load_worker};
use crate::stamp::Stamped;
use crate::subscriber::{SubStats, Subscribed, drain};
use crate::targets::{Collector, InProcessRelay, finish, stream_name, viewer};
use crate::testkit::nats::NatsServer;
use crate::{Config, Runtimes};

/// The goals for ours through the bus.
const GOAL_RATIO: f64 = 0.6;
const GOAL_RATE: f64 = 80_000.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `serve --bus`.
    Bus,
    /// A bare async-nats publisher of the same frames.
    Bare,
    /// `serve` (the in-memory hub), its viewer on the collector's `/v1/stream`.
    Hub,
}

/// What runs in one slice: a kind, with or without one viewer.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Target {
    kind: Kind,
    viewer: bool,
}

/// In the order they alternate; the first three are the figure.
const TARGETS: [Target; 5] = [
    Target {
        kind: Kind::Bus,
        viewer: true,
    },
    Target {
        kind: Kind::Bare,
        viewer: false,
    },
    Target {
        kind: Kind::Hub,
        viewer: true,
    },
    Target {
        kind: Kind::Bare,
        viewer: true,
    },
    Target {
        kind: Kind::Bus,
        viewer: false,
    },
];

impl Target {
    fn label(self) -> &'static str {
        match (self.kind, self.viewer) {
            (Kind::Bus, true) => "serve --bus + relay viewer",
            (Kind::Bus, false) => "serve --bus, no viewer",
            (Kind::Bare, false) => "bare publisher",
            (Kind::Bare, true) => "bare publisher + relay viewer",
            (Kind::Hub, _) => "serve (hub) + viewer",
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
    /// nats-server's read and write system calls per second.
    nats_syscalls: f64,
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
        self.nats_syscalls = (self.nats_syscalls * self.window
            + slice.nats_syscalls * slice.window)
            / (self.window + slice.window).max(1e-9);
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
        "   bare publisher: one async-nats connection re-sending the {} frames the collector published (same subjects and payloads, a fresh Nats-Msg-Id each), ≤ {} acks in flight; relay viewer: an in-process eventscope_core::relay::Relay with one websocket viewer (no query) counting frames",
        frames.len(),
        frames::IN_FLIGHT
    );
    let mut tallies: Vec<Tally> = TARGETS.iter().map(|_| Tally::default()).collect();
    for _ in 0..cfg.slices {
        for (target, tally) in TARGETS.iter().zip(tallies.iter_mut()) {
            tally.add(run_slice(rts, cfg, &nats, &frames, *target, slice, pids));
        }
    }
    for (target, tally) in TARGETS.iter().zip(&tallies) {
        print(*target, tally);
    }
    let rate = |kind: Kind, viewer: bool| {
        TARGETS
            .iter()
            .zip(&tallies)
            .find(|(t, _)| t.kind == kind && t.viewer == viewer)
            .map_or(0.0, |(_, tally)| tally.rate())
    };
    let ours = rate(Kind::Bus, true);
    let ratio = ours / rate(Kind::Bare, false).max(1.0);
    println!(
        "ratio   serve --bus + relay viewer / bare publisher {ratio:.2}   (goal ≥ {GOAL_RATIO:.2}: {}; ≥ {} events/s: {})",
        met(ratio >= GOAL_RATIO),
        thousands(GOAL_RATE as u64),
        met(ours >= GOAL_RATE),
    );
    println!(
        "        like for like: with a relay viewer each {:.2}, without {:.2};   serve --bus + relay viewer / serve (hub) + viewer {:.2}",
        ours / rate(Kind::Bare, true).max(1.0),
        rate(Kind::Bus, false) / rate(Kind::Bare, false).max(1.0),
        ours / rate(Kind::Hub, true).max(1.0),
    );
    println!(
        "        nats-server, the collector, the relay and the load generator all share this machine's {} cores: the rates are a floor, not a capacity",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn print(target: Target, t: &Tally) {
    println!(
        "ingest  {:<30} {:>9} events/s  ({:.1} s in all, {} accepted, {} errors)",
        target.label(),
        thousands(t.rate() as u64),
        t.window,
        thousands(t.accepted),
        t.errors,
    );
    if target.viewer {
        let ok = t.errors == 0
            && t.viewer_events == t.accepted
            && t.viewer_gaps == 0
            && t.viewer_out_of_order == 0
            && t.drained;
        println!(
            "                                       viewer: {} event frames, {} gaps ({} missed), {} out of order{} — {}",
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
    let mut parts: Vec<(&str, f64)> = Vec::new();
    if target.kind != Kind::Hub {
        parts.push(("nats-server", c.nats));
    }
    if target.kind != Kind::Bare {
        parts.push(("collector", c.collector));
    }
    if target.viewer {
        parts.push(match target.kind {
            Kind::Hub => ("viewer", c.relay),
            _ => ("relay+viewer", c.relay),
        });
    }
    parts.push(match target.kind {
        Kind::Bare => ("publisher", c.client),
        _ => ("load generator", c.client),
    });
    let per_event = (c.total() - c.rest) * 1e6 / t.rate().max(1.0);
    let syscalls = match target.kind {
        Kind::Hub => String::new(),
        _ => format!(
            "; nats-server {:.1} µs and {:.2} read/write syscalls per event",
            c.nats * 1e6 / t.rate().max(1.0),
            t.nats_syscalls / t.rate().max(1.0)
        ),
    };
    println!(
        "                                       {}; {per_event:.1} µs of CPU per event{syscalls}",
        c.describe(&parts)
    );
}

/// A relay and its one viewer (no query), in process.
struct RelayViewer {
    relay: InProcessRelay,
    viewer: Subscribed,
}

/// One slice of `target` on fresh parts: warm-up, then the measured window; afterwards the
/// viewer (if any) is given up to 15 s to get the last accepted frame.
fn run_slice(
    rts: &Runtimes,
    cfg: &Config,
    nats: &NatsServer,
    frames: &Arc<Vec<frames::Frame>>,
    target: Target,
    window: Duration,
    pids: Pids,
) -> Tally {
    let url = nats.url();
    // Every slice starts on an empty stream: one that earlier slices filled to its byte limit
    // makes the server discard old messages on every publish, a cost of the order of slices.
    rts.client.block_on(async {
        let js = nats.jetstream().await;
        if let Ok(stream) = js.get_stream(stream_name()).await {
            stream.purge().await.expect("purge the stream");
        }
    });
    let collector = match target.kind {
        Kind::Bus => Some(Collector::start(&rts.server, Some(&url))),
        Kind::Hub => Some(Collector::start(&rts.server, None)),
        Kind::Bare => None,
    };
    let mut watcher = None;
    let mut relay_viewer = None;
    if target.viewer {
        match (target.kind, &collector) {
            (Kind::Hub, Some(collector)) => {
                watcher = Some(viewer(&rts.relay, collector.running.stream_url(), false));
            }
            _ => {
                let relay = InProcessRelay::start(&rts.relay, &url);
                let viewer = viewer(&rts.relay, relay.stream_url(), false);
                relay_viewer = Some(RelayViewer { relay, viewer });
            }
        }
    }
    let stats = watcher
        .as_ref()
        .or(relay_viewer.as_ref().map(|r| &r.viewer))
        .map(|v| Arc::clone(&v.stats));
    let mut tally = rts.client.block_on(async {
        let (load, publisher) = match &collector {
            Some(collector) => {
                let addr = collector.addr();
                let counters = Arc::new(LoadCounters::default());
                let workers: Vec<_> = (0..cfg.conns)
                    .map(|c| {
                        let source = Stamped::new(addr, c);
                        tokio::spawn(load_worker(addr, source, Arc::clone(&counters)))
                    })
                    .collect();
                (Some((counters, workers)), None)
            }
            None => {
                let js = frames::connect(&url).await;
                let counters = Arc::new(PublishCounters::default());
                let task = tokio::spawn(frames::publish(
                    js,
                    Arc::clone(frames),
                    None,
                    Arc::clone(&counters),
                ));
                (None, Some((counters, task)))
            }
        };
        let accepted = || match (&load, &publisher) {
            (Some((counters, _)), _) => counters.accepted.load(Ordering::Relaxed),
            (_, Some((counters, _))) => counters.acked.load(Ordering::Relaxed),
            _ => 0,
        };
        tokio::time::sleep(cfg.warmup).await;
        let (a0, cpu0) = (accepted(), cpu::sample(pids));
        tokio::time::sleep(window).await;
        let (a1, cpu1) = (accepted(), cpu::sample(pids));
        let mut tally = Tally {
            window: cpu::seconds(&cpu0, &cpu1),
            in_window: a1 - a0,
            cpu: Use::between(&cpu0, &cpu1),
            nats_syscalls: cpu::nats_syscalls_per_second(&cpu0, &cpu1),
            drained: true,
            ..Tally::default()
        };
        let last_seq = if let Some((counters, workers)) = load {
            counters.stop.store(true, Ordering::Relaxed);
            for worker in workers {
                let _ = worker.await;
            }
            tally.accepted = counters.accepted.load(Ordering::Relaxed);
            tally.errors = counters.errors();
            collector.as_ref().map_or(0, Collector::last_seq)
        } else if let Some((counters, task)) = publisher {
            counters.stop.store(true, Ordering::Relaxed);
            let _ = task.await;
            tally.accepted = counters.acked.load(Ordering::Relaxed);
            tally.errors = counters.errors.load(Ordering::Relaxed)
                + counters.duplicates.load(Ordering::Relaxed);
            counters.last_seq.load(Ordering::Relaxed)
        } else {
            0
        };
        if let Some(stats) = &stats {
            tally.drained = drain(stats, last_seq, Duration::from_secs(15)).await;
        }
        tally
    });
    if let Some(RelayViewer { relay, viewer }) = relay_viewer {
        relay.stop(&rts.relay);
        watcher = Some(viewer);
    }
    if let Some(collector) = collector {
        collector.stop(&rts.server);
    }
    if let Some(viewer) = watcher {
        tally.viewer(&viewer.stats);
        finish(&rts.relay, viewer);
    }
    tally
}
