//! The header's rate: events per second over a short window.

use std::time::{Duration, Instant};

/// Events per second over the last few seconds.
#[derive(Debug, Default)]
pub struct RateMeter {
    window: std::collections::VecDeque<(Instant, u64)>,
}

impl RateMeter {
    const SPAN: Duration = Duration::from_secs(2);

    pub fn record(&mut self, now: Instant, count: u64) {
        self.window.push_back((now, count));
        while self
            .window
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN)
        {
            self.window.pop_front();
        }
    }

    pub fn per_second(&self, now: Instant) -> f64 {
        let total: u64 = self
            .window
            .iter()
            .filter(|(t, _)| now.duration_since(*t) <= Self::SPAN)
            .map(|(_, c)| c)
            .sum();
        total as f64 / Self::SPAN.as_secs_f64()
    }
}
