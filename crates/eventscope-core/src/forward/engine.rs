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

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use tokio::sync::{Semaphore, mpsc};

use super::{Destination, Request};
use crate::model::{DeliveryFrame, DeliveryNote, PREVIEW_BYTES, ResponsePreview, format_timestamp};

/// How much of an answer is kept in memory to judge it (GA4's validation messages, Mixpanel's
/// failed records); the rest is read and counted, not kept.
const ANSWER_BYTES: usize = 1024 * 1024;

/// Response headers worth showing: the rest is noise in a delivery.
const SHOWN_RESPONSE_HEADERS: [&str; 2] = ["content-type", "retry-after"];

/// Backoff between attempts: `random(0, min(cap, base × 2^(retry−1)))` ("full jitter"), so
/// that many requests failing together do not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry waits up to this long.
    pub base: Duration,
    /// No backoff is longer than this.
    pub cap: Duration,
    /// The longest `Retry-After` the engine waits for; a longer one ends the retries.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the second attempt), with `random` in
    /// `[0, 1)` picking a point in the window.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let window = self.base.saturating_mul(factor).min(self.cap);
        window.mul_f64(random.clamp(0.0, 1.0))
    }
}

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

    /// Whether (and when) to try again after an answer.
    fn retry_wait(&self, answer: &Answer, attempt: u32) -> Option<Retry> {
        let status = answer.status?;
        let retryable =
            status == 429 || (500..600).contains(&status) && ![501, 505].contains(&status);
        if !retryable {
            return None;
        }
        if (status == 429 || status == 503)
            && let Some(after) = answer.retry_after
        {
            if after > self.policy.retry_after_cap {
                return Some(Retry::GiveUp(format!(
                    "Retry-After {}s is over the {}s the engine waits; not retried",
                    after.as_secs(),
                    self.policy.retry_after_cap.as_secs()
                )));
            }
            return Some(Retry::After(after));
        }
        Some(Retry::After(self.policy.backoff(attempt, random_unit())))
    }

    /// One HTTP attempt, bounded by the destination's timeout from the first byte sent to
    /// the last byte of the answer.
    async fn attempt(&self, destination: &Destination, request: &Request) -> Outcome {
        let built = match self.build(request) {
            Ok(built) => built,
            Err(message) => {
                return Outcome {
                    latency: Duration::ZERO,
                    result: Err(Failure {
                        message,
                        retryable: false,
                    }),
                };
            }
        };
        let started = Instant::now();
        let timeout = destination.timeout;
        let result = match tokio::time::timeout(timeout, exchange(&self.client, built)).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(Failure {
                retryable: e.is_timeout() || e.is_connect() || e.is_request(),
                message: describe_error(&e, timeout),
            }),
            Err(_) => Err(Failure {
                message: format!("timeout after {}", seconds(timeout)),
                retryable: true,
            }),
        };
        Outcome {
            latency: started.elapsed(),
            result,
        }
    }

    fn build(&self, request: &Request) -> Result<reqwest::Request, String> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("invalid HTTP method `{}`", request.method))?;
        let url = reqwest::Url::parse(&request.url).map_err(|e| format!("invalid URL: {e}"))?;
        let mut headers = reqwest::header::HeaderMap::with_capacity(request.headers.len());
        for (name, value) in &request.headers {
            let header = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name `{name}`"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header `{name}`"))?;
            headers.append(header, value);
        }
        self.client
            .request(method, url)
            .headers(headers)
            .body(request.body.clone())
            .build()
            .map_err(|e| format!("cannot build the request: {}", e.without_url()))
    }

    /// A `file` destination: the body appended to the file (created if missing; its
    /// directory must exist).
    async fn append(&self, destination: &Destination, request: &Request) -> Outcome {
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

/// Sends the request and reads the answer, keeping at most [`ANSWER_BYTES`] of its body.
async fn exchange(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<Answer, reqwest::Error> {
    let mut response = client.execute(request).await?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| SHOWN_RESPONSE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    let (body, body_bytes) = read_capped(&mut response, ANSWER_BYTES).await?;
    Ok(Answer {
        status: Some(status),
        headers,
        body,
        body_bytes,
        retry_after,
    })
}

/// An answer's body, keeping at most `cap` bytes (a huge or endless answer costs time, bounded
/// by the timeout, not memory), and its full size.
pub async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, u64), reqwest::Error> {
    let mut body = Vec::new();
    let mut body_bytes = 0u64;
    while let Some(chunk) = response.chunk().await? {
        body_bytes += chunk.len() as u64;
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((body, body_bytes))
}

/// `Retry-After`: delay-seconds or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[derive(Debug, Default)]
struct Answer {
    /// `None` for a file append.
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    body_bytes: u64,
    retry_after: Option<Duration>,
}

struct Failure {
    message: String,
    retryable: bool,
}

struct Outcome {
    latency: Duration,
    result: Result<Answer, Failure>,
}

enum Retry {
    After(Duration),
    GiveUp(String),
}

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

fn file_path(destination: &Destination, request: &Request) -> Option<PathBuf> {
    reqwest::Url::parse(&request.url)
        .ok()
        .and_then(|url| url.to_file_path().ok())
        .or_else(|| destination.file.clone())
}

/// A person's words for a failed exchange: `connection refused`, `timeout after 5s`, ….
/// The URL is left out (it may carry a secret; the delivery shows it masked anyway).
fn describe_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("timeout after {}", seconds(timeout));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = String::new();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            let known = match io.kind() {
                ConnectionRefused => Some("connection refused"),
                ConnectionReset => Some("connection reset by the destination"),
                ConnectionAborted => Some("connection aborted"),
                TimedOut => Some("connection timed out"),
                UnexpectedEof => Some("connection closed before an answer"),
                _ => None,
            };
            if let Some(known) = known {
                return known.to_string();
            }
        }
        let text = e.to_string();
        if !text.is_empty() {
            innermost = text;
        }
        source = e.source();
    }
    let lower = innermost.to_ascii_lowercase();
    if error.is_connect() && (lower.contains("dns") || lower.contains("resolve")) {
        return format!("cannot resolve the host: {innermost}");
    }
    if lower.contains("connection closed") || lower.contains("incomplete message") {
        return "connection closed before an answer".to_string();
    }
    if error.is_connect() {
        return format!("cannot connect: {innermost}");
    }
    innermost
}

/// `5s`, `1.5s`, `250ms`.
fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{}s", duration.as_secs())
    } else if duration.as_secs() == 0 {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

/// A uniform number in `[0, 1)` for jitter. A v4 uuid's random bits are enough and save a
/// dependency; retries are rare enough that the cost does not matter.
fn random_unit() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 75) as u64; // 53 random bits
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
            retry_after_cap: Duration::from_secs(60),
        };
        let top = |retry| policy.backoff(retry, 0.999_999);
        assert!(top(1) <= Duration::from_millis(100));
        assert!(top(2) > Duration::from_millis(150) && top(2) <= Duration::from_millis(200));
        assert!(top(3) > Duration::from_millis(350) && top(3) <= Duration::from_millis(400));
        assert_eq!(policy.backoff(30, 0.999_999), top(5));
        assert!(top(5) <= Duration::from_millis(1000));
        assert_eq!(policy.backoff(3, 0.0), Duration::ZERO);
        assert_eq!(policy.backoff(u32::MAX, 0.5), Duration::from_millis(500));
    }

    #[test]
    fn jitter_is_spread_over_the_window() {
        let samples: Vec<f64> = (0..200).map(|_| random_unit()).collect();
        assert!(samples.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(samples.iter().any(|x| *x < 0.25) && samples.iter().any(|x| *x > 0.75));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(5)), "5s");
        assert_eq!(seconds(Duration::from_millis(250)), "250ms");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn previews_are_cut_on_character_boundaries() {
        let text = "é".repeat(10);
        assert_eq!(crate::model::cut_to(&text, 5), "éé");
        assert_eq!(crate::model::cut_to("abc", 10), "abc");
    }
}
