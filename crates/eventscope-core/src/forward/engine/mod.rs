//! The engine: sends the requests the mappers built and reports one [`DeliveryFrame`] per
//! request — what was sent (secrets masked), what came back, how long it took and how many
//! attempts it needed.
//!
//! - One HTTP client for everything (connection reuse matters more than anything else for
//!   throughput), rustls with the ring provider, no system proxy (a test destination on
//!   127.0.0.1 must not go through `HTTP_PROXY`), no redirects (a 3xx is an answer to show, and
//!   following it would turn a POST into a GET).
//! - Each attempt has the destination's timeout, covering the request and the whole answer.
//! - Retried: 5xx (except 501 and 505, which will not change), 429, timeouts and connection
//!   failures, up to the destination's `max_attempts`, with exponential backoff and full jitter
//!   ([`RetryPolicy`]). On 429 and 503 a `Retry-After` (seconds or an HTTP date) is honoured
//!   instead of the backoff, up to [`RetryPolicy::retry_after_cap`]; a longer wait is not
//!   shortened (retrying early only earns another 429): the engine gives up and says why.
//! - Not retried: any other 4xx (its body is kept in the delivery), or a request that cannot
//!   be built.
//! - `file` destinations (URL `file://…`, method `APPEND`) append the body to the file; the
//!   directory must exist.
//!
//! [`Engine::send`] and [`Engine::send_stream`] run many requests, at most the destination's
//! `concurrency` at once, optionally paced to a rate, and hand back results as they finish on
//! a channel: the caller's task (the TUI's event loop) never waits on the network.
//!
//! This file schedules (sending, attempts, the delivery frame); `retry` decides when to try
//! again, `http` performs one HTTP exchange, `file` one append.

mod file;
mod http;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use tokio::sync::{Semaphore, mpsc};

pub use self::http::read_capped;
use self::retry::{Retry, random_unit};
pub use self::retry::{RetryPolicy, parse_retry_after};
use super::{Destination, Request};
use crate::model::{DeliveryFrame, DeliveryNote, PREVIEW_BYTES, ResponsePreview, format_timestamp};

/// Options for sending many requests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendOptions {
    /// Messages per second (a request counts the messages it carries); `None`: as fast as
    /// the destination's concurrency allows.
    pub rate: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
}

/// Sends requests to destinations. Cheap to share (`Arc<Engine>`): one client, one pool.
pub struct Engine {
    client: reqwest::Client,
    policy: RetryPolicy,
    /// Appends to `file` destinations one at a time, so that concurrent batches never
    /// interleave their lines.
    file_lock: tokio::sync::Mutex<()>,
}

impl Engine {
    /// An engine with the default [`RetryPolicy`].
    pub fn new() -> Result<Engine, EngineError> {
        Engine::with_policy(RetryPolicy::default())
    }

    pub fn with_policy(policy: RetryPolicy) -> Result<Engine, EngineError> {
        let client = super::http_client_builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| EngineError::Client(e.to_string()))?;
        Ok(Engine {
            client,
            policy,
            file_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends `request` to `destination`, retrying as the module describes, and reports the
    /// outcome. Never fails: every problem is in the frame's `status`, `ok` and `error`.
    pub async fn deliver(&self, destination: &Destination, request: Request) -> DeliveryFrame {
        let started = Instant::now();
        let mut frame = DeliveryFrame {
            destination: destination.name.clone(),
            kind: destination.kind.as_str().to_string(),
            for_seqs: request.carries.iter().filter_map(|c| c.seq).collect(),
            message_ids: request
                .carries
                .iter()
                .filter_map(|c| c.message_id.clone())
                .collect(),
            request: destination.preview(&request),
            ..DeliveryFrame::default()
        };
        let max_attempts = destination.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Only a `file` destination touches the disk, whatever URL a request carries.
            let outcome = if destination.appends_to_file() {
                self.append(destination, &request).await
            } else {
                self.attempt(destination, &request).await
            };
            frame.attempts = attempt;
            frame.latency_ms = millis(outcome.latency);
            let wait = match outcome.result {
                Ok(answer) => {
                    let wait = self.retry_wait(&answer, attempt);
                    fill_answer(&mut frame, destination, answer);
                    wait
                }
                Err(failure) => {
                    frame.status = None;
                    frame.ok = false;
                    frame.response = None;
                    frame.notes.clear();
                    frame.error = Some(destination.mask(&failure.message));
                    failure
                        .retryable
                        .then(|| Retry::After(self.policy.backoff(attempt, random_unit())))
                }
            };
            match wait {
                Some(Retry::After(delay)) if attempt < max_attempts => {
                    tokio::time::sleep(delay).await;
                }
                Some(Retry::GiveUp(reason)) => {
                    frame.error = Some(reason);
                    break;
                }
                _ => break,
            }
        }
        frame.total_ms = millis(started.elapsed());
        frame.at = format_timestamp(chrono::Utc::now());
        frame
    }

    /// Sends `requests` to `destination`, at most `destination.concurrency` at a time, and
    /// returns at once: deliveries arrive on the channel as they finish (not in order), and
    /// it closes after the last one. Dropping the receiver stops sending new requests.
    /// Must be called within a tokio runtime.
    pub fn send(
        self: &Arc<Self>,
        destination: Arc<Destination>,
        requests: Vec<Request>,
    ) -> mpsc::Receiver<DeliveryFrame> {
        self.send_stream(
            destination,
            futures_util::stream::iter(requests),
            SendOptions::default(),
        )
    }

    /// [`Engine::send`] for requests produced as they go (replay builds them while earlier
    /// ones are in flight, so memory stays flat), with [`SendOptions`].
    pub fn send_stream<S>(
        self: &Arc<Self>,
        destination: Arc<Destination>,
        requests: S,
        options: SendOptions,
    ) -> mpsc::Receiver<DeliveryFrame>
    where
        S: Stream<Item = Request> + Send + 'static,
    {
        let concurrency = destination.concurrency.max(1);
        let (tx, rx) = mpsc::channel(concurrency * 2 + 8);
        let engine = Arc::clone(self);
        tokio::spawn(dispatch(engine, destination, requests, options, tx));
        rx
    }
}

/// [`Engine::send_stream`]'s task: starts each request when pacing and a permit allow.
async fn dispatch<S>(
    engine: Arc<Engine>,
    destination: Arc<Destination>,
    requests: S,
    options: SendOptions,
    tx: mpsc::Sender<DeliveryFrame>,
) where
    S: Stream<Item = Request> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(destination.concurrency.max(1)));
    let rate = options.rate.filter(|r| r.is_finite() && *r > 0.0);
    let start = tokio::time::Instant::now();
    let mut messages_started: u64 = 0;
    let mut requests = std::pin::pin!(requests);
    while let Some(request) = requests.next().await {
        if let Some(rate) = rate {
            // Start each request when the messages before it have had their time.
            let due = start + Duration::from_secs_f64(messages_started as f64 / rate);
            tokio::time::sleep_until(due).await;
        }
        messages_started += request.carries.len().max(1) as u64;
        // The permit is held until the result is handed over: a slow reader slows the
        // sending instead of piling up finished deliveries.
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        if tx.is_closed() {
            break;
        }
        let (engine, destination, tx) = (Arc::clone(&engine), Arc::clone(&destination), tx.clone());
        tokio::spawn(async move {
            let frame = engine.deliver(&destination, request).await;
            let _ = tx.send(frame).await;
            drop(permit);
        });
    }
}

/// What one attempt came back with.
#[derive(Debug, Default)]
struct Answer {
    /// `None` for a file append.
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    body_bytes: u64,
    retry_after: Option<Duration>,
}

/// An attempt that got no answer: why, and whether another attempt may help.
struct Failure {
    message: String,
    retryable: bool,
}

/// One attempt: how long it took and what it came to.
struct Outcome {
    latency: Duration,
    result: Result<Answer, Failure>,
}

/// The frame's answer fields from the last attempt's answer.
fn fill_answer(frame: &mut DeliveryFrame, destination: &Destination, answer: Answer) {
    frame.status = answer.status;
    frame.error = None;
    let (ok, notes) = judge_answer(destination, answer.status, &answer.body);
    frame.ok = ok;
    frame.notes = notes;
    if answer.status.is_none() {
        frame.response = None;
        return;
    }
    let body = String::from_utf8_lossy(&answer.body);
    frame.response = Some(ResponsePreview {
        headers: answer.headers,
        // Masked before the final cut, with a margin, so a secret across the cut is masked too.
        body: crate::model::cut_to(
            &destination.mask(crate::model::cut_to(&body, 2 * PREVIEW_BYTES)),
            PREVIEW_BYTES,
        )
        .to_string(),
        body_bytes: answer.body_bytes,
    });
}

/// Delivered or not, and what the destination said about the payload. A file append that
/// returned is delivered.
fn judge_answer(
    destination: &Destination,
    status: Option<u16>,
    body: &[u8],
) -> (bool, Vec<DeliveryNote>) {
    match status {
        None => (true, Vec::new()),
        Some(status) => destination.read_answer(status, body),
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}
