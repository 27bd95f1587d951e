//! A viewer's server-side narrowing (`?types=track,identify`, `?sample=10`, `?source=SRC`), as
//! the one
//! `filter_subject` a JetStream consumer takes, plus what the relay checks itself.
//!
//! Debian's nats-server 2.9.10 ignores `filter_subjects` (several filters) silently, so a
//! consumer gets one subject filter: one type and a sample fit in it; several types are
//! filtered by the relay on each message's subject.

use serde::Deserialize;

use super::subject;

/// `?sample=10`'s people: those whose first digit is this.
const SAMPLE_D1: &str = "3";
/// `?sample=1`'s people: those whose digits are [`SAMPLE_D1`] and this.
const SAMPLE_D2: &str = "7";

/// The query parameters that narrow a relay's stream.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NarrowingQuery {
    /// Comma-separated subject types: `track`, `identify`, `page`, `screen`, `group`, `alias`,
    /// `other`, `rejected`, `delivery`.
    pub types: Option<String>,
    /// Percent of people, consistent on every connection: 100, 10 or 1.
    pub sample: Option<u8>,
    /// One source: its subject token (10 hex digits of SHA-1 of the write key, or `nokey`).
    pub source: Option<String>,
}

/// What a viewer reads: every frame, or a cut of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Narrowing {
    /// The types kept, sorted; empty for all.
    pub types: Vec<String>,
    /// Percent of people kept: 100, 10 or 1.
    pub sample: u8,
    /// The one source kept (its subject token), or all.
    pub source: Option<String>,
}

impl Default for Narrowing {
    fn default() -> Self {
        Narrowing {
            types: Vec::new(),
            sample: 100,
            source: None,
        }
    }
}

impl Narrowing {
    /// Parses the query; a clear message for anything else.
    pub fn parse(query: &NarrowingQuery) -> Result<Narrowing, String> {
        let mut types = Vec::new();
        if let Some(list) = &query.types {
            for name in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if !subject::TYPES.contains(&name) {
                    return Err(format!(
                        "?types={list}: {name:?} is not a type; use any of {}",
                        subject::TYPES.join(",")
                    ));
                }
                types.push(name.to_string());
            }
        }
        types.sort();
        types.dedup();
        let sample = query.sample.unwrap_or(100);
        if ![100, 10, 1].contains(&sample) {
            return Err(format!("?sample={sample}: use 10 or 1 (percent of people)"));
        }
        let source = match query.source.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(token) if is_source_token(token) => Some(token.to_ascii_lowercase()),
            Some(other) => {
                return Err(format!(
                    "?source={other}: use the source's subject token, the first 10 hex digits \
                     of SHA-1 of its write key (printf %s KEY | sha1sum | cut -c1-10), or {}",
                    subject::NO_KEY
                ));
            }
        };
        Ok(Narrowing {
            types,
            sample,
            source,
        })
    }

    pub fn is_everything(&self) -> bool {
        self.types.is_empty() && self.sample == 100 && self.source.is_none()
    }

    /// The consumer's one `filter_subject` (`evs.*.track.3.*`), or none for everything.
    pub fn filter_subject(&self) -> Option<String> {
        if self.is_everything() {
            return None;
        }
        let kind = match self.types.as_slice() {
            [one] => one.as_str(),
            _ => "*",
        };
        let digits = match self.sample {
            10 => format!("{SAMPLE_D1}.*"),
            1 => format!("{SAMPLE_D1}.{SAMPLE_D2}"),
            _ => "*.*".to_string(),
        };
        let source = self.source.as_deref().unwrap_or("*");
        Some(format!("{}.{source}.{kind}.{digits}", subject::PREFIX))
    }

    /// Whether a message on `subject_name` is kept (what the filter subject cannot say: one
    /// of several types).
    pub fn keeps(&self, subject_name: &str) -> bool {
        if self.types.len() < 2 {
            return true;
        }
        let kind = subject_name.split('.').nth(2).unwrap_or("");
        self.types.iter().any(|t| t == kind)
    }
}

/// `all`, or what is kept: `types=identify,track sample=10% source=0a1b2c3d4e`.
impl std::fmt::Display for Narrowing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_everything() {
            return f.write_str("all");
        }
        let mut parts = Vec::new();
        if !self.types.is_empty() {
            parts.push(format!("types={}", self.types.join(",")));
        }
        if self.sample != 100 {
            parts.push(format!("sample={}%", self.sample));
        }
        if let Some(source) = &self.source {
            parts.push(format!("source={source}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// A subject's `src` token: 10 hex digits, or `nokey` (never a wildcard).
fn is_source_token(token: &str) -> bool {
    token == subject::NO_KEY || (token.len() == 10 && token.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn narrowing(types: Option<&str>, sample: Option<u8>) -> Result<Narrowing, String> {
        Narrowing::parse(&NarrowingQuery {
            types: types.map(str::to_string),
            sample,
            source: None,
        })
    }

    #[test]
    fn a_source_is_its_subject_token() {
        let src = subject::source_token(Some("wk_live_1"));
        let query = |source: &str| NarrowingQuery {
            types: Some("track".into()),
            source: Some(source.into()),
            ..NarrowingQuery::default()
        };
        let one = Narrowing::parse(&query(&src)).unwrap();
        assert_eq!(
            one.filter_subject().unwrap(),
            format!("evs.{src}.track.*.*")
        );
        let none = Narrowing::parse(&NarrowingQuery {
            source: Some("nokey".into()),
            ..NarrowingQuery::default()
        })
        .unwrap();
        assert_eq!(none.filter_subject().unwrap(), "evs.nokey.*.*.*");
        for bad in ["*", ">", "wk_live_1", "abc", "0123456789a"] {
            assert!(Narrowing::parse(&query(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_filter_subject_per_narrowing() {
        let all = narrowing(None, None).unwrap();
        assert!(all.is_everything());
        assert_eq!(all.filter_subject(), None);
        let f = |t, s| narrowing(t, s).unwrap().filter_subject();
        assert_eq!(f(Some("track"), None).unwrap(), "evs.*.track.*.*");
        assert_eq!(f(None, Some(10)).unwrap(), "evs.*.*.3.*");
        assert_eq!(f(None, Some(1)).unwrap(), "evs.*.*.3.7");
        assert_eq!(f(Some("identify"), Some(10)).unwrap(), "evs.*.identify.3.*");
        // Several types: one wildcard filter, and the relay checks the type.
        assert_eq!(f(Some("track,identify"), None).unwrap(), "evs.*.*.*.*");
        let two = narrowing(Some("track, identify,track"), None).unwrap();
        assert_eq!(two.types, ["identify", "track"]);
        assert!(two.keeps("evs.abc.track.1.2") && two.keeps("evs.abc.identify.x.x"));
        assert!(!two.keeps("evs.abc.page.1.2"));
        assert_eq!(all.to_string(), "all");
        assert_eq!(
            narrowing(Some("track,identify"), Some(10))
                .unwrap()
                .to_string(),
            "types=identify,track sample=10%"
        );
    }

    #[test]
    fn unknown_types_and_samples_are_refused() {
        assert!(
            narrowing(Some("track,Order Completed"), None)
                .unwrap_err()
                .contains("not a type")
        );
        assert!(narrowing(Some(">"), None).is_err());
        assert!(narrowing(None, Some(50)).unwrap_err().contains("10 or 1"));
        assert_eq!(narrowing(None, Some(100)).unwrap(), Narrowing::default());
    }
}
