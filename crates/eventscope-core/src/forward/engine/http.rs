//! One HTTP attempt: the request built from a mapped [`Request`], sent, and its answer read
//! (capped), or the failure in a person's words.

use std::time::{Duration, Instant};

use super::{Answer, Engine, Failure, Outcome, parse_retry_after};
use crate::forward::{Destination, Request};

/// How much of an answer is kept in memory to judge it (GA4's validation messages, Mixpanel's
/// failed records); the rest is read and counted, not kept.
const ANSWER_BYTES: usize = 1024 * 1024;

/// Response headers worth showing: the rest is noise in a delivery.
const SHOWN_RESPONSE_HEADERS: [&str; 2] = ["content-type", "retry-after"];

impl Engine {
    /// One HTTP attempt, bounded by the destination's timeout from the first byte sent to
    /// the last byte of the answer.
    pub(super) async fn attempt(&self, destination: &Destination, request: &Request) -> Outcome {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(5)), "5s");
        assert_eq!(seconds(Duration::from_millis(250)), "250ms");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
    }
}
