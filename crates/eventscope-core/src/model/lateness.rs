//! How late a message arrived, and how far its device clock was off: what the latency column,
//! the `late:` and `skew:` terms and the `spec/late` finding read.
//!
//! Segment corrects device clocks with `sentAt`: `timestamp = receivedAt − (sentAt −
//! originalTimestamp)`. So with `sentAt`, the message was `sentAt − originalTimestamp` late
//! (both on the device clock, so skew cancels out) and the device clock was `sentAt −
//! receivedAt` off (network time aside); without it, `receivedAt − timestamp` is all there is.

use chrono::{DateTime, Utc};

use super::parse_timestamp;

/// A row's lateness and clock skew; 8 bytes (rows are many).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    /// [`Lateness::late_ms`], packed: `ms << 1` under 2^30 ms (12 days), else
    /// `seconds << 1 | 1` (34 years); `i32::MIN` when unknown.
    late: i32,
    /// [`Lateness::skew_ms`], saturated to ±24 days; `i32::MIN` when unknown.
    skew: i32,
}

/// Packs a lateness in ms into [`Lateness::late`].
fn pack(ms: i64) -> i32 {
    const LIMIT: i64 = 1 << 30;
    if ms.unsigned_abs() < LIMIT as u64 {
        (ms << 1) as i32
    } else {
        let seconds = (ms / 1000).clamp(-(LIMIT - 1), LIMIT - 1);
        ((seconds << 1) | 1) as i32
    }
}

fn unpack(late: i32) -> i64 {
    let late = i64::from(late);
    if late & 1 == 0 {
        late >> 1
    } else {
        (late >> 1) * 1000
    }
}

impl Default for Lateness {
    fn default() -> Lateness {
        Lateness::UNKNOWN
    }
}

/// A device clock off by at least this much is marked in the latency column.
pub const SKEW_MARK_MS: i64 = 10_000;

/// The message's time fields as sent, for [`Lateness::of`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamps<'a> {
    pub timestamp: Option<&'a str>,
    pub original_timestamp: Option<&'a str>,
    pub sent_at: Option<&'a str>,
    pub received_at: Option<&'a str>,
}

impl Lateness {
    pub const UNKNOWN: Lateness = Lateness {
        late: i32::MIN,
        skew: i32::MIN,
    };

    /// From the message's time fields; `received_ms` (Unix ms, 0 unknown) stands in for a
    /// missing `receivedAt`.
    pub fn of(stamps: Stamps<'_>, received_ms: i64) -> Lateness {
        let time = |s: Option<&str>| s.and_then(parse_timestamp);
        let received = time(stamps.received_at).or_else(|| {
            (received_ms != 0)
                .then(|| DateTime::from_timestamp_millis(received_ms))
                .flatten()
        });
        let Some(received) = received else {
            return Lateness::UNKNOWN;
        };
        // The collector fills a missing `timestamp` with `receivedAt` itself (and no
        // `originalTimestamp`): there is no device time to be late by.
        if stamps.original_timestamp.is_none()
            && stamps.timestamp.is_some()
            && stamps.timestamp == stamps.received_at
        {
            return Lateness::UNKNOWN;
        }
        let device = time(stamps.original_timestamp).or_else(|| time(stamps.timestamp));
        match (time(stamps.sent_at), device) {
            (Some(sent), Some(device)) => Lateness {
                late: pack(millis(sent, device)),
                skew: i32::try_from(
                    millis(sent, received).clamp(i64::from(i32::MIN + 1), i64::from(i32::MAX)),
                )
                .unwrap_or(i32::MAX),
            },
            _ => match time(stamps.timestamp) {
                Some(timestamp) => Lateness {
                    late: pack(millis(received, timestamp)),
                    skew: i32::MIN,
                },
                None => Lateness::UNKNOWN,
            },
        }
    }

    /// How long after the event happened it arrived (negative: stamped in the future).
    #[inline]
    pub fn late_ms(&self) -> Option<i64> {
        (self.late != i32::MIN).then(|| unpack(self.late))
    }

    /// How far the device clock was ahead of the server's (negative: behind), when `sentAt`
    /// was given.
    #[inline]
    pub fn skew_ms(&self) -> Option<i64> {
        (self.skew != i32::MIN).then_some(i64::from(self.skew))
    }

    /// The skew is worth a mark: at least [`SKEW_MARK_MS`] either way.
    pub fn skewed(&self) -> bool {
        self.skew_ms().is_some_and(|s| s.abs() >= SKEW_MARK_MS)
    }
}

/// `a − b` in ms, saturating.
fn millis(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    a.timestamp_millis().saturating_sub(b.timestamp_millis())
}

/// A duration as the filter terms and the config write it: a number and a unit, `ms`, `s`,
/// `m`, `h` or `d` (`90s`, `5m`, `1.5h`); in milliseconds.
pub fn parse_duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    let ms = (number * scale).round();
    (ms.is_finite() && ms < 9.0e15).then_some(ms as i64)
}

/// A duration in one or two units, short: `850ms`, `42s`, `5m12s`, `3h05m`, `2d4h`; a minus
/// sign for negative ones.
pub fn format_duration_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let (s, m, h, d) = (ms / 1000, ms / 60_000, ms / 3_600_000, ms / 86_400_000);
    let text = match () {
        _ if ms < 1000 => format!("{ms}ms"),
        _ if s < 60 => format!("{s}s"),
        _ if m < 60 => format!("{m}m{:02}s", s % 60),
        _ if h < 24 => format!("{h}h{:02}m", m % 60),
        _ if d < 1000 => format!("{d}d{}h", h % 24),
        _ => format!("{d}d"),
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamps<'a>(
        timestamp: Option<&'a str>,
        original: Option<&'a str>,
        sent_at: Option<&'a str>,
    ) -> Stamps<'a> {
        Stamps {
            timestamp,
            original_timestamp: original,
            sent_at,
            received_at: Some("2026-11-22T12:00:00.000Z"),
        }
    }

    #[test]
    fn without_sent_at_lateness_is_received_minus_timestamp() {
        let late = Lateness::of(stamps(Some("2026-11-22T09:00:00.000Z"), None, None), 0);
        assert_eq!(late.late_ms(), Some(3 * 3_600_000));
        assert_eq!(late.skew_ms(), None);
        assert!(!late.skewed());
    }

    #[test]
    fn a_timestamp_the_collector_filled_with_receivedat_is_no_device_time() {
        // No `timestamp` was sent; the device clock is 3 h ahead (`sentAt`). The collector
        // wrote `receivedAt` into `timestamp`: that is not 3 h of lateness.
        let server = Lateness::of(
            stamps(
                Some("2026-11-22T12:00:00.000Z"),
                None,
                Some("2026-11-22T15:00:00.000Z"),
            ),
            0,
        );
        assert_eq!(server, Lateness::UNKNOWN);
        // A device time that differs from `receivedAt` is still judged.
        let device = Lateness::of(
            stamps(
                Some("2026-11-22T11:59:59.000Z"),
                None,
                Some("2026-11-22T15:00:00.000Z"),
            ),
            0,
        );
        assert!(device.late_ms().is_some());
    }

    #[test]
    fn with_sent_at_the_device_clock_skew_is_corrected_and_measured() {
        // The device clock is an hour ahead; the call happened 5 s before sending. The
        // collector already corrected `timestamp`; `originalTimestamp` keeps the device's.
        let late = Lateness::of(
            stamps(
                Some("2026-11-22T11:59:55.000Z"),
                Some("2026-11-22T12:59:55.000Z"),
                Some("2026-11-22T13:00:00.000Z"),
            ),
            0,
        );
        assert_eq!(late.late_ms(), Some(5_000));
        assert_eq!(late.skew_ms(), Some(3_600_000));
        assert!(late.skewed());
        // As an SDK sent it, before any correction: the same answer.
        let raw = Lateness::of(
            stamps(
                Some("2026-11-22T12:59:55.000Z"),
                None,
                Some("2026-11-22T13:00:00.000Z"),
            ),
            0,
        );
        assert_eq!(raw, late);
    }

    #[test]
    fn the_rows_time_stands_in_for_received_at_and_nothing_is_unknown() {
        let mut s = stamps(Some("2026-11-22T11:59:00.000Z"), None, None);
        s.received_at = None;
        let received = parse_timestamp("2026-11-22T12:00:00.000Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(Lateness::of(s, received).late_ms(), Some(60_000));
        assert_eq!(Lateness::of(s, 0), Lateness::UNKNOWN);
        assert_eq!(Lateness::of(stamps(None, None, None), 0).late_ms(), None);
        assert_eq!(std::mem::size_of::<Lateness>(), 8);
    }

    #[test]
    fn lateness_packs_ms_under_twelve_days_and_seconds_beyond() {
        for ms in [0, 1, -1, 850, 3_600_000, (1 << 30) - 1, -(1 << 30) + 1] {
            assert_eq!(unpack(pack(ms)), ms, "{ms}");
        }
        // Years late: to the second.
        let years = 3 * 365 * 86_400_000 + 1_234;
        assert_eq!(unpack(pack(years)), years - 234);
        assert_eq!(unpack(pack(-years)), -(years - 234));
        assert_ne!(pack(i64::MIN), i32::MIN, "never the unknown value");
        assert_ne!(pack(i64::MAX), i32::MIN);
    }

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration_ms("5m"), Some(300_000));
        assert_eq!(parse_duration_ms("90s"), Some(90_000));
        assert_eq!(parse_duration_ms("1.5h"), Some(5_400_000));
        assert_eq!(parse_duration_ms("2d"), Some(172_800_000));
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        for bad in ["", "5", "m", "5y", "-5m", "1e99h"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
        assert_eq!(format_duration_ms(850), "850ms");
        assert_eq!(format_duration_ms(42_000), "42s");
        assert_eq!(format_duration_ms(312_000), "5m12s");
        assert_eq!(format_duration_ms(3 * 3_600_000 + 300_000), "3h05m");
        assert_eq!(format_duration_ms(-60_000), "-1m00s");
        assert_eq!(format_duration_ms(2 * 86_400_000 + 4 * 3_600_000), "2d4h");
    }
}
