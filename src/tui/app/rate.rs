//! The header's rate: events per second over a short window, and events per second of
//! `receivedAt` over the last minutes for its sparkline.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Events per second over the last few seconds.
#[derive(Debug, Default)]
pub struct RateMeter {
    window: VecDeque<(Instant, u64)>,
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

/// Events per second of `receivedAt`, for the last [`RateHistory::SECONDS`] seconds up to
/// the newest: a counter bumped per row, read per frame into a few buckets.
#[derive(Debug, Default)]
pub struct RateHistory {
    /// The second (Unix) of the last counter.
    newest: i64,
    /// Counts per second, oldest first, ending at `newest`.
    counts: VecDeque<u32>,
}

impl RateHistory {
    /// Five minutes.
    pub const SECONDS: usize = 300;

    /// Counts one row received at `received_ms` (0, unknown, and rows older than the window
    /// are not counted).
    pub fn record(&mut self, received_ms: i64) {
        if received_ms <= 0 {
            return;
        }
        let second = received_ms.div_euclid(1000);
        if self.counts.is_empty() {
            self.newest = second;
            self.counts.push_back(0);
        }
        if second > self.newest {
            let step = usize::try_from(second - self.newest).unwrap_or(usize::MAX);
            if step >= Self::SECONDS {
                self.counts.clear();
            } else {
                self.counts.extend(std::iter::repeat_n(0, step));
            }
            if self.counts.is_empty() {
                self.counts.push_back(0);
            }
            self.newest = second;
            while self.counts.len() > Self::SECONDS {
                self.counts.pop_front();
            }
        }
        let back = usize::try_from(self.newest - second).unwrap_or(usize::MAX);
        // An older row within the window: the window grows back to its second.
        while back < Self::SECONDS && self.counts.len() <= back {
            self.counts.push_front(0);
        }
        if back < self.counts.len() {
            let index = self.counts.len() - 1 - back;
            self.counts[index] = self.counts[index].saturating_add(1);
        }
    }

    /// The counts summed into `buckets` equal spans of the window that ends at `end_ms`
    /// (the newest second when 0), oldest first.
    pub fn buckets(&self, buckets: usize, end_ms: i64) -> Vec<u64> {
        let mut out = vec![0u64; buckets];
        if buckets == 0 || self.counts.is_empty() {
            return out;
        }
        let end = if end_ms > 0 {
            end_ms.div_euclid(1000).max(self.newest)
        } else {
            self.newest
        };
        let span = Self::SECONDS.div_ceil(buckets) as i64;
        let first = end - span * buckets as i64 + 1;
        for (i, count) in self.counts.iter().enumerate() {
            let second = self.newest - (self.counts.len() - 1 - i) as i64;
            if second < first {
                continue;
            }
            let bucket = ((second - first) / span) as usize;
            if let Some(slot) = out.get_mut(bucket) {
                *slot += u64::from(*count);
            }
        }
        out
    }
}

/// `values` as block characters, the largest full height; all blank when all are zero.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| match v {
            0 => ' ',
            v => BARS[((v * 7 / max.max(1)) as usize).min(7)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_buckets_counts_by_received_second() {
        let mut history = RateHistory::default();
        let base = 1_800_000_000_000;
        for _ in 0..10 {
            history.record(base + 299_000);
        }
        history.record(base);
        history.record(base + 150_500);
        history.record(0);
        let buckets = history.buckets(10, 0);
        assert_eq!(buckets, [1, 0, 0, 0, 0, 1, 0, 0, 0, 10]);
        // Ten minutes on: the window is empty.
        assert_eq!(history.buckets(10, base + 900_000), [0; 10]);
        // A row far newer clears the old counts.
        history.record(base + 3_600_000);
        assert_eq!(history.buckets(10, 0).iter().sum::<u64>(), 1);
    }

    #[test]
    fn the_sparkline_scales_to_the_largest() {
        assert_eq!(sparkline(&[0, 1, 5, 10]), " ▁▄█");
        assert_eq!(sparkline(&[0, 0]), "  ");
    }
}
