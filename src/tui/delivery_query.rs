//! The Deliveries view's own filter (`/` inside the view): a small query of space-separated
//! terms, all of which must match — `dest:amplitude status:failed user:u-1 event:"Order
//! Completed" id:m-42 seq:13` and free text. Matching ignores case; values are substrings,
//! except `status:` (`ok`/`delivered`, `failed`, `dropped` (by routing), `skipped` (any message
//! not sent, dropped ones included), a code like `503`, or a class like `4xx`) and
//! `seq:` (exact).

use crate::tui::deliveries::Delivery;

/// The terms the filter knows, for the help and the README: (term, what it matches).
pub const TERMS: [(&str, &str); 7] = [
    ("dest:NAME", "destination name or kind"),
    (
        "status:ok|failed|dropped|skipped|503|4xx",
        "outcome (dropped: by routing; skipped: not sent), HTTP status or class",
    ),
    ("user:ID", "a carried message's userId or anonymousId"),
    ("event:NAME", "a carried message's event name or type"),
    ("id:MESSAGEID", "a carried messageId"),
    ("seq:N", "a carried message's seq"),
    ("text", "any of those, the error or the answer's body"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Destination(String),
    Status(Status),
    User(String),
    Event(String),
    MessageId(String),
    Seq(u64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Failed,
    /// Not sent because routing dropped it.
    Dropped,
    /// Not sent, for any reason (routing's drops included).
    Skipped,
    Code(u16),
    /// `4xx`: the hundreds digit.
    Class(u16),
}

/// A parsed deliveries query; the empty query matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryQuery {
    source: String,
    terms: Vec<Term>,
}

impl DeliveryQuery {
    /// Parses `text`; the error says which term is wrong and what would do.
    pub fn parse(text: &str) -> Result<DeliveryQuery, String> {
        let mut terms = Vec::new();
        for word in words(text) {
            let lower = |s: &str| s.to_lowercase();
            let term = match word.split_once(':') {
                Some(("dest" | "destination", value)) => Term::Destination(lower(value)),
                Some(("user", value)) => Term::User(lower(value)),
                Some(("event", value)) => Term::Event(lower(value)),
                Some(("id" | "messageid" | "messageId", value)) => Term::MessageId(lower(value)),
                Some(("seq", value)) => {
                    Term::Seq(value.parse().map_err(|_| {
                        format!("seq:{value}: a seq is a whole number, e.g. seq:13")
                    })?)
                }
                Some(("status", value)) => Term::Status(status(value)?),
                _ => Term::Text(lower(&word)),
            };
            terms.push(term);
        }
        Ok(DeliveryQuery {
            source: text.trim().to_string(),
            terms,
        })
    }

    /// The text it was parsed from, trimmed.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, delivery: &Delivery) -> bool {
        self.terms.iter().all(|term| term_matches(term, delivery))
    }
}

fn status(value: &str) -> Result<Status, String> {
    let value = value.to_lowercase();
    match value.as_str() {
        "ok" | "delivered" | "success" => return Ok(Status::Ok),
        "failed" | "fail" | "error" => return Ok(Status::Failed),
        "dropped" => return Ok(Status::Dropped),
        "skipped" | "not-sent" => return Ok(Status::Skipped),
        _ => {}
    }
    if let Some(class) = value.strip_suffix("xx")
        && let Ok(digit) = class.parse::<u16>()
        && (1..=5).contains(&digit)
    {
        return Ok(Status::Class(digit));
    }
    value.parse().map(Status::Code).map_err(|_| {
        format!(
            "status:{value}: use status:ok, status:failed, status:dropped, status:skipped, a code \
             (503) or a class (4xx)"
        )
    })
}

/// Space-separated words; `"…"` keeps spaces inside one (`event:"Order Completed"`).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

fn term_matches(term: &Term, delivery: &Delivery) -> bool {
    let f = &delivery.frame;
    match term {
        Term::Destination(v) => contains(&f.destination, v) || contains(&f.kind, v),
        Term::User(v) => f.users.iter().any(|u| contains(u, v)),
        Term::Event(v) => f.events.iter().any(|e| contains(e, v)),
        Term::MessageId(v) => f.message_ids.iter().any(|m| contains(m, v)),
        Term::Seq(seq) => f.for_seqs.contains(seq),
        Term::Status(Status::Ok) => f.ok,
        Term::Status(Status::Failed) => !f.ok && f.skipped.is_none(),
        Term::Status(Status::Dropped) => f.dropped.is_some(),
        Term::Status(Status::Skipped) => f.skipped.is_some(),
        Term::Status(Status::Code(code)) => f.status == Some(*code),
        Term::Status(Status::Class(digit)) => f.status.is_some_and(|s| s / 100 == *digit),
        Term::Text(v) => {
            contains(&f.destination, v)
                || contains(&f.kind, v)
                || contains(&delivery.status_text(), v)
                || f.skipped.as_ref().is_some_and(|r| contains(r, v))
                || f.users.iter().any(|u| contains(u, v))
                || f.events.iter().any(|e| contains(e, v))
                || f.message_ids.iter().any(|m| contains(m, v))
                || f.response.as_ref().is_some_and(|r| contains(&r.body, v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::deliveries::Origin;
    use eventscope_core::model::{DeliveryFrame, ResponsePreview};

    fn delivery(destination: &str, status: u16, user: &str, event: &str) -> Delivery {
        Delivery {
            id: 1,
            origin: Origin::Here,
            at_ms: 0,
            frame: DeliveryFrame {
                destination: destination.into(),
                kind: "amplitude".into(),
                status: Some(status),
                ok: status < 300,
                for_seqs: vec![13],
                message_ids: vec!["m-13".into()],
                users: vec![user.into()],
                events: vec![event.into()],
                response: Some(ResponsePreview {
                    body: r#"{"code":400,"error":"invalid_api_key"}"#.into(),
                    ..ResponsePreview::default()
                }),
                ..DeliveryFrame::default()
            },
        }
    }

    fn matches(query: &str, d: &Delivery) -> bool {
        DeliveryQuery::parse(query).unwrap().matches(d)
    }

    #[test]
    fn every_term_must_match_and_case_is_ignored() {
        let d = delivery("amp-dev", 400, "u-1", "Order Completed");
        assert!(matches("", &d));
        assert!(matches("dest:AMP status:failed user:u-1", &d));
        assert!(matches("event:\"order completed\" seq:13 id:m-13", &d));
        assert!(matches("status:4xx status:400", &d));
        assert!(!matches("status:ok", &d));
        assert!(!matches("user:u-2", &d));
        assert!(!matches("dest:mixpanel", &d));
        assert!(!matches("seq:1", &d));
        // Free text: the user, the destination, or what the destination answered.
        assert!(matches("u-1", &d));
        assert!(matches("invalid_api_key", &d));
        assert!(!matches("nothing-like-it", &d));
    }

    #[test]
    fn a_bad_term_says_what_would_do() {
        let error = DeliveryQuery::parse("status:maybe").unwrap_err();
        assert!(error.contains("status:failed"), "{error}");
        assert!(
            DeliveryQuery::parse("seq:x")
                .unwrap_err()
                .contains("seq:13")
        );
    }
}
