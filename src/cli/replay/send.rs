//! Sending: the reader thread hands requests to the engine and the deliveries are tallied as
//! they come back, with a progress line; `--dry-run` prints the requests instead.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::read::Reading;
use super::report::{Progress, Tally, count, seq_span, summary};
use super::{QUEUED_REQUESTS, Setup, one_line, produce};
use eventscope_core::forward::engine::{Engine, SendOptions};
use eventscope_core::forward::{Destination, Request};

/// `--dry-run`: every request printed as it would be sent (secrets masked); nothing sent.
pub(super) async fn dry_run(setup: Setup) -> ExitCode {
    let destination = Arc::clone(&setup.destination);
    let produced = tokio::task::spawn_blocking(move || {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let mut number = 0u64;
        let mut failed = false;
        let counts = produce(&setup, &Reading::default(), |request| {
            number += 1;
            let written = print_request(&mut out, &destination, &request, number);
            failed |= written.is_err();
            written.is_ok()
        });
        failed |= out.flush().is_err();
        counts.map(|counts| (counts, failed))
    })
    .await;
    let (counts, failed) = match produced {
        Ok(Ok(result)) => result,
        Ok(Err(message)) => {
            eprintln!("eventscope replay: {}", one_line(&message));
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("eventscope replay: {e}");
            return ExitCode::from(2);
        }
    };
    if failed {
        return ExitCode::from(2);
    }
    eprintln!(
        "eventscope replay (dry run): {} in {} for `{}` ({}); nothing sent",
        count(counts.messages_in_requests, "message"),
        count(counts.requests, "request"),
        counts.destination,
        counts.kind
    );
    for line in counts.skip_lines() {
        eprintln!("  {line}");
    }
    if let Some(error) = &counts.read_failed {
        eprintln!("  stopped early: {}", one_line(error));
        return ExitCode::from(2);
    }
    if let Some(error) = &counts.map_error {
        eprintln!("  stopped: {}", one_line(error));
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn print_request(
    out: &mut impl Write,
    destination: &Destination,
    request: &Request,
    number: u64,
) -> std::io::Result<()> {
    let preview = destination.preview(request);
    writeln!(
        out,
        "# request {number}: {}{}",
        eventscope_core::model::count(request.carries.len() as u64, "message"),
        seq_range(request)
    )?;
    writeln!(out, "{} {}", preview.method, preview.url)?;
    for (name, value) in &preview.headers {
        writeln!(out, "{name}: {value}")?;
    }
    writeln!(out)?;
    // The whole body, not the preview's cut: a dry run is for reading what would go out.
    let body = destination.mask(&request.body_text());
    out.write_all(body.as_bytes())?;
    if !body.ends_with('\n') {
        writeln!(out)?;
    }
    writeln!(out)
}

/// ` (seqs 1–100)` or ` (seq 7)`.
fn seq_range(request: &Request) -> String {
    let seqs: Vec<u64> = request.carries.iter().filter_map(|c| c.seq).collect();
    seq_span(&seqs)
}

/// Sends everything; prints progress and the summary; the exit code.
pub(super) async fn send(setup: Setup, rate: Option<f64>) -> ExitCode {
    let engine = match Engine::new() {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            eprintln!("eventscope replay: {e}");
            return ExitCode::from(2);
        }
    };
    let destination = Arc::clone(&setup.destination);
    let total_bytes = std::fs::metadata(&setup.file).ok().map(|m| m.len());
    let reading = Arc::new(Reading::default());
    let (request_tx, mut request_rx) = mpsc::channel::<Request>(QUEUED_REQUESTS);
    let (counts_tx, counts_rx) = oneshot::channel();
    // A plain thread, not `spawn_blocking`: on Ctrl-C the process must be able to leave
    // without waiting for a reader blocked on a full queue.
    let reader_progress = Arc::clone(&reading);
    let spawned = std::thread::Builder::new()
        .name("replay-reader".into())
        .spawn(move || {
            let counts = produce(&setup, &reader_progress, |request| {
                request_tx.blocking_send(request).is_ok()
            });
            let _ = counts_tx.send(counts);
        });
    if let Err(e) = spawned {
        eprintln!("eventscope replay: cannot start the reader: {e}");
        return ExitCode::from(2);
    }
    let requests = futures_util::stream::poll_fn(move |cx| request_rx.poll_recv(cx));
    let mut deliveries =
        engine.send_stream(Arc::clone(&destination), requests, SendOptions { rate });

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut progress = Progress::new(&destination.name, total_bytes);
    let mut tick = tokio::time::interval(progress.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut interrupted = false;
    let mut stop = std::pin::pin!(crate::cli::shutdown_signal());
    loop {
        tokio::select! {
            frame = deliveries.recv() => match frame {
                Some(frame) => tally.add(frame),
                None => break,
            },
            _ = tick.tick() => progress.show(&tally, &reading, started),
            _ = &mut stop => {
                interrupted = true;
                break;
            }
        }
    }
    progress.clear();
    let elapsed = started.elapsed();
    let counts = if interrupted {
        None
    } else {
        match counts_rx.await {
            Ok(Ok(counts)) => Some(counts),
            Ok(Err(message)) => {
                eprintln!("eventscope replay: {}", one_line(&message));
                return ExitCode::from(2);
            }
            Err(_) => None,
        }
    };
    let lines = summary(&destination, &tally, counts.as_ref(), elapsed, interrupted);
    for line in lines {
        eprintln!("{line}");
    }
    let map_failed = counts.as_ref().is_some_and(|c| c.map_error.is_some());
    if counts.as_ref().is_some_and(|c| c.read_failed.is_some()) {
        // The input ended early: an I/O error, whatever was delivered from it.
        ExitCode::from(2)
    } else if tally.failed_requests > 0 || interrupted || map_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
