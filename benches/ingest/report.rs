//! How the ingest figures are printed.

use std::time::Duration;

use eventscope::model::thousands;

use crate::load::LoadResult;
use crate::target::Kind;

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

pub fn print_load(result: &LoadResult) {
    let mut line = format!(
        "ingest  {:<11} {:>9} events/s  ({} conns, {:.1} s window, {} requests ok, {} errors",
        result.kind.label(),
        thousands(result.rate as u64),
        result.conns,
        result.window.as_secs_f64(),
        thousands(result.ok_requests),
        result.errors_total(),
    );
    if result.kind == Kind::Ours {
        line.push_str(&format!(
            "; accepted {} / hub {} / subscriber got {} event frames, {} gaps ({} missed), {} out of order{}{}",
            thousands(result.accepted),
            thousands(result.hub_events),
            thousands(result.sub_events),
            result.sub_gaps,
            thousands(result.sub_missed),
            result.sub_out_of_order,
            if result.sub_other > 0 {
                format!(", {} other frames", result.sub_other)
            } else {
                String::new()
            },
            if result.sub_drained {
                ""
            } else {
                ", NOT drained within 15 s"
            },
        ));
    }
    line.push(')');
    println!("{line}");
    println!("                     {}", result.cpu.describe(result.rate));
}
