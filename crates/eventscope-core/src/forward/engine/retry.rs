//! When to try again: the backoff ([`RetryPolicy`]), `Retry-After`, and which answers are
//! worth another attempt.

use std::time::Duration;

use super::{Answer, Engine};

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

/// What to do after a retryable answer.
pub(super) enum Retry {
    After(Duration),
    GiveUp(String),
}

impl Engine {
    /// Whether (and when) to try again after an answer.
    pub(super) fn retry_wait(&self, answer: &Answer, attempt: u32) -> Option<Retry> {
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

/// A uniform number in `[0, 1)` for jitter. A v4 uuid's random bits are enough and save a
/// dependency; retries are rare enough that the cost does not matter.
pub(super) fn random_unit() -> f64 {
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
}
