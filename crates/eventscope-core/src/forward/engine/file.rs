//! `file` destinations: a request's body appended to the file, one append at a time.

use std::path::PathBuf;
use std::time::Instant;

use super::{Answer, Engine, Failure, Outcome};
use crate::forward::{Destination, Request};

impl Engine {
    /// A `file` destination: the body appended to the file (created if missing; its
    /// directory must exist).
    pub(super) async fn append(&self, destination: &Destination, request: &Request) -> Outcome {
        let started = Instant::now();
        let result = match file_path(destination, request) {
            None => Err(Failure {
                message: format!("`{}` is not a file URL", request.url),
                retryable: false,
            }),
            Some(path) => {
                let _guard = self.file_lock.lock().await;
                let body = request.body.clone();
                let shown = path.display().to_string();
                let written = tokio::task::spawn_blocking(move || {
                    use std::io::Write;
                    let mut file = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)?;
                    file.write_all(&body)?;
                    file.flush()
                })
                .await;
                match written {
                    Ok(Ok(())) => Ok(Answer::default()),
                    Ok(Err(e)) => Err(Failure {
                        message: match e.kind() {
                            std::io::ErrorKind::NotFound => {
                                format!("cannot append to {shown}: its directory does not exist")
                            }
                            _ => format!("cannot append to {shown}: {e}"),
                        },
                        retryable: false,
                    }),
                    Err(e) => Err(Failure {
                        message: format!("cannot append to {shown}: {e}"),
                        retryable: false,
                    }),
                }
            }
        };
        Outcome {
            latency: started.elapsed(),
            result,
        }
    }
}

/// The file a request appends to: its `file://` URL, else the destination's `path`.
fn file_path(destination: &Destination, request: &Request) -> Option<PathBuf> {
    reqwest::Url::parse(&request.url)
        .ok()
        .and_then(|url| url.to_file_path().ok())
        .or_else(|| destination.file.clone())
}
