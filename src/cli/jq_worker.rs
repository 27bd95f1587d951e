//! `eventscope __jq-worker` (hidden): the process the viewer runs its `jq:` filters in (see
//! `filter::jq_worker`). It caps its own memory before reading anything, and dies with its
//! parent, so a runaway program never outlives the viewer.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use eventscope_core::filter::jq_worker;

#[derive(Debug, Clone, Args)]
pub struct JqWorkerArgs {
    /// Bytes of data segment (heap) this process may use.
    #[arg(long, default_value_t = jq_worker::DEFAULT_MEMORY)]
    pub memory: u64,
}

pub fn run(args: JqWorkerArgs) -> ExitCode {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    if let Err(e) = limit_self(args.memory) {
        let _ = writeln!(stdout, "error cannot cap the jq worker's memory: {e}");
        let _ = stdout.flush();
        return ExitCode::from(2);
    }
    let mut stdin = std::io::stdin().lock();
    match jq_worker::serve(&mut stdin, &mut stdout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

/// The data segment (heap and private mappings: what a runaway jq program grows) capped at
/// `memory`, no core dump when it aborts over it, and SIGKILL when the viewer dies. A parent
/// gone before this took effect closes the worker's stdin, which ends it too.
#[cfg(unix)]
fn limit_self(memory: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let cap = |resource: Resource, value: u64| {
        let hard = getrlimit(resource).maximum;
        let value = hard.map_or(value, |hard| value.min(hard));
        setrlimit(
            resource,
            Rlimit {
                current: Some(value),
                maximum: hard,
            },
        )
    };
    cap(Resource::Data, memory)?;
    cap(Resource::Core, 0)?;
    #[cfg(target_os = "linux")]
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
    Ok(())
}

#[cfg(not(unix))]
fn limit_self(_memory: u64) -> std::io::Result<()> {
    Ok(())
}

/// `--jq-budget`: a duration such as `100ms`, `2s` or `1.5s` (a bare number is milliseconds),
/// from 1 ms to 1 hour.
pub fn parse_budget(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1.0)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1000.0)
    } else {
        (text, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && (1.0..=3_600_000.0).contains(&(n * scale)) => {
            Ok(Duration::from_micros((n * scale * 1000.0) as u64))
        }
        _ => Err(format!(
            "`{text}` is not a time from 1ms to 3600s (e.g. 100ms, 2s)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_as_durations() {
        assert_eq!(parse_budget("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_budget("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_budget("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_budget("250"), Ok(Duration::from_millis(250)));
        for bad in ["0ms", "-1s", "fast", "", "2h", "1e9s", "NaNms"] {
            assert!(parse_budget(bad).is_err(), "{bad}");
        }
    }
}
