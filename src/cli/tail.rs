//! `eventscope tail URL`: frames as NDJSON on stdout; connection news on stderr.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

use super::{TailArgs, init_logging, shutdown_signal};
use eventscope_core::model::compact::frame_line;
use eventscope_core::stream::client::{ClientEvent, ClientOptions, follow};

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
    let mut refused = 0u64;
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
                // One frame, one line: a server that sent one spread over lines (pretty
                // printed) has it joined; one that cannot be is refused, said and counted.
                let text = match one_line(&text) {
                    Ok(Some(line)) => std::borrow::Cow::Owned(line),
                    Ok(None) => std::borrow::Cow::Borrowed(text.as_str()),
                    Err(reason) => {
                        refused += 1;
                        eprintln!("eventscope tail: refused frame #{refused}: {reason}");
                        continue;
                    }
                };
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

/// The frame as one NDJSON line, `None` when it already is one.
fn one_line(text: &str) -> Result<Option<String>, String> {
    if !text.contains(['\n', '\r']) {
        return Ok(None);
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| format!("it spans lines and is not JSON ({e})"))?;
    frame_line(text).map_err(|problem| format!("it spans lines and {problem}"))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn frames_are_joined_onto_one_line_or_refused() {
        assert_eq!(one_line(r#"{"a":1}"#), Ok(None));
        assert_eq!(
            one_line("{\n \"a\": [1,\n 2],\"s\":\"x y\"\n}")
                .unwrap()
                .as_deref(),
            Some(r#"{"a":[1,2],"s":"x y"}"#)
        );
        assert!(one_line("{\"a\":\n").is_err());
    }
}
