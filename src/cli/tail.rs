//! `eventscope tail URL`: frames as NDJSON on stdout; connection news on stderr.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use super::{TailArgs, init_logging, shutdown_signal};
use crate::stream::client::{ClientEvent, ClientOptions, follow};

pub async fn run(args: TailArgs) -> ExitCode {
    init_logging("warn");
    let mut events = follow(ClientOptions {
        url: args.url,
        token: args.token,
        since: args.since,
    });
    let stop = shutdown_signal();
    tokio::pin!(stop);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut stop => return ExitCode::SUCCESS,
        };
        let Some(event) = event else {
            return ExitCode::SUCCESS;
        };
        match event {
            ClientEvent::Frame { text, .. } => {
                let written = stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.write_all(b"\n"));
                // Flush when the channel is drained, so pipes see frames promptly.
                let flushed = written.and_then(|()| {
                    if events.is_empty() {
                        stdout.flush()
                    } else {
                        Ok(())
                    }
                });
                if let Err(e) = flushed {
                    if e.kind() == ErrorKind::BrokenPipe {
                        return ExitCode::SUCCESS;
                    }
                    eprintln!("eventscope tail: cannot write to stdout: {e}");
                    return ExitCode::from(1);
                }
            }
            ClientEvent::Connected { hello, restarted } => match hello {
                Some(hello) => {
                    if restarted {
                        eprintln!("eventscope tail: the server restarted; its seqs start again");
                    }
                    let retained = if hello.last_seq >= hello.oldest_seq {
                        format!("retains seqs {}..={}", hello.oldest_seq, hello.last_seq)
                    } else {
                        "nothing retained yet".to_string()
                    };
                    eprintln!(
                        "eventscope tail: connected to {} ({retained})",
                        hello.server
                    );
                }
                None => eprintln!("eventscope tail: connected to a plain source"),
            },
            ClientEvent::Skipped { reason } => {
                eprintln!("eventscope tail: skipped a message: {reason}");
            }
            ClientEvent::Reconnecting { error, retry_in } => {
                let _ = stdout.flush();
                eprintln!(
                    "eventscope tail: {error}; reconnecting in {:.1}s",
                    retry_in.as_secs_f64()
                );
            }
            ClientEvent::Fatal(e) => {
                let _ = stdout.flush();
                let hint = if e.is_auth() {
                    " (pass the server's token with --token or EVENTSCOPE_TOKEN)"
                } else {
                    ""
                };
                eprintln!("eventscope tail: {e}{hint}");
                return ExitCode::from(2);
            }
        }
    }
}
