//! Part `latency`: POST → relay viewer at a steady 5,000 events/s (through the bus), and the
//! same through the in-memory hub's `/v1/stream` as the anchor, in the same run.

use std::time::Duration;

use eventscope::model::thousands;

use crate::cpu::{self, Pids, Use};
use crate::paced::{
    LATENCY_BATCH, LATENCY_CONNS, LATENCY_RATE, Plan, Summary, latency_requests, send_paced,
    summarize,
};
use crate::subscriber::drain;
use crate::targets::{Collector, InProcessRelay, finish, viewer};
use crate::testkit::nats::NatsServer;
use crate::{Config, Runtimes};

/// The goal for the p99 through the bus, on loopback.
const GOAL_P99: Duration = Duration::from_millis(20);

pub fn run(rts: &Runtimes, cfg: &Config) {
    let nats = NatsServer::start("bus bench: latency").expect("nats-server (checked at start)");
    let pids = Pids {
        nats: nats.pid(),
        child: 0,
    };
    let plan = Plan::new(cfg.warmup, cfg.window);
    println!(
        "\n== POST → viewer latency at {} events/s: POST /v1/batch of {LATENCY_BATCH} every {} ms over {LATENCY_CONNS} conns (alternating), {:.1} s warm-up then {:.1} s measured",
        thousands(LATENCY_RATE),
        plan.interval.as_secs_f64() * 1000.0,
        cfg.warmup.as_secs_f64(),
        cfg.window.as_secs_f64(),
    );
    for bus in [true, false] {
        let (summary, errors, cpu) = measure(rts, &nats, bus, &plan, pids);
        let [p50, p90, p99, max] = summary.percentiles;
        let label = if bus {
            "serve --bus → relay viewer"
        } else {
            "serve (hub) → /v1/stream "
        };
        let goal = if bus {
            format!(
                "   (goal p99 < {} ms: {})",
                GOAL_P99.as_millis(),
                if p99 < GOAL_P99 { "met" } else { "NOT met" }
            )
        } else {
            "   (anchor)".to_string()
        };
        println!(
            "latency {label}  p50 {}  p90 {}  p99 {}  max {}  mean {}  count {}{goal}",
            ms(p50),
            ms(p90),
            ms(p99),
            ms(max),
            ms(summary.mean),
            thousands(summary.measured as u64),
        );
        println!(
            "                        offered {} events/s; {} sent in all, {} missing, {} errors; {}",
            thousands(summary.offered_rate as u64),
            thousands(summary.sent as u64),
            summary.missing,
            errors,
            cpu.describe(&if bus {
                vec![
                    ("nats-server", cpu.nats),
                    ("collector", cpu.collector),
                    ("relay+viewer", cpu.relay),
                    ("load generator", cpu.client),
                ]
            } else {
                vec![
                    ("collector", cpu.collector),
                    ("viewer", cpu.relay),
                    ("load generator", cpu.client),
                ]
            }),
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One paced run against a fresh collector (with `--bus` and a relay viewer, or the hub's).
fn measure(
    rts: &Runtimes,
    nats: &NatsServer,
    bus: bool,
    plan: &Plan,
    pids: Pids,
) -> (Summary, u64, Use) {
    let url = nats.url();
    let collector = Collector::start(&rts.server, bus.then_some(url.as_str()));
    let relay = bus.then(|| InProcessRelay::start(&rts.relay, &url));
    let stream_url = match &relay {
        Some(relay) => relay.stream_url(),
        None => collector.running.stream_url(),
    };
    let watcher = viewer(&rts.relay, stream_url, true);
    let requests = latency_requests(collector.addr(), plan);
    let (sends, errors, cpu) = rts.client.block_on(async {
        let cpu0 = cpu::sample(pids);
        let (sends, errors) = send_paced(collector.addr(), requests, *plan).await;
        let cpu = Use::between(&cpu0, &cpu::sample(pids));
        drain(
            &watcher.stats,
            collector.last_seq(),
            Duration::from_secs(10),
        )
        .await;
        (sends, errors, cpu)
    });
    if let Some(relay) = relay {
        relay.stop(&rts.relay);
    }
    collector.stop(&rts.server);
    let arrivals = finish(&rts.relay, watcher);
    (summarize(plan, &sends, arrivals), errors, cpu)
}
