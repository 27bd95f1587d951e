//! ISO-8601 timestamps as the Segment SDKs write them.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Parses RFC 3339 / ISO-8601 with an offset or `Z`; a time without offset is taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// `2026-11-22T18:00:00.123Z`.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_sdks_send() {
        for s in [
            "2026-11-01T00:00:00.021Z",
            "2026-11-01T00:00:00.021+00:00",
            "2026-11-01T01:00:00.021+01:00",
            "2026-11-01T00:00:00.021",
        ] {
            let t = parse_timestamp(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(format_timestamp(t), "2026-11-01T00:00:00.021Z", "{s}");
        }
        assert!(parse_timestamp("yesterday").is_none());
    }
}
