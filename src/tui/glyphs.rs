//! The row glyphs of the message list — which mark a row's verdict gets — and their legend,
//! shown in the help overlay and once in the footer the first time a glyph shows; and the
//! marks of the Routing tab.

use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::filter::{PII_RED, PII_YELLOW};
use eventscope_core::inspect::Severity;

/// What a row's verdict column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    /// `✗`: an error (or a rejected request).
    Error,
    /// `!`: a warning.
    Warning,
    /// `·`: only notes (info findings of the spec or the plan).
    Note,
    /// `b`: a bot sent it (a `traffic/bot` finding at info), and nothing worse was found.
    Bot,
}

impl Glyph {
    pub fn symbol(self) -> &'static str {
        match self {
            Glyph::Error => "✗",
            Glyph::Warning => "!",
            Glyph::Note => "·",
            Glyph::Bot => "b",
        }
    }
}

/// The Routing tab's mark: `✓` Segment would deliver it, `✗` it would not.
pub fn route_mark(routed: bool) -> &'static str {
    if routed { "✓" } else { "✗" }
}

/// The PII column: `●` in the class's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiGlyph {
    Red,
    Yellow,
}

/// The verdict glyph of `entry`. PII found only in its expected place (info) gets none: the
/// Findings tab still lists it.
pub fn verdict_glyph(entry: &Entry) -> Option<Glyph> {
    if entry.rejection().is_some() {
        return Some(Glyph::Error);
    }
    match entry.verdict.worst? {
        Severity::Error => Some(Glyph::Error),
        Severity::Warning => Some(Glyph::Warning),
        Severity::Info if entry.verdict.bot => Some(Glyph::Bot),
        Severity::Info => entry.verdict.notes.then_some(Glyph::Note),
    }
}

/// The PII glyph of `entry`: PII at warning or above, Red over Yellow.
pub fn pii_glyph(entry: &Entry) -> Option<PiiGlyph> {
    let pii = entry.verdict.pii;
    if pii & PII_RED != 0 {
        Some(PiiGlyph::Red)
    } else if pii & PII_YELLOW != 0 {
        Some(PiiGlyph::Yellow)
    } else {
        None
    }
}

/// Whether an event row shows any glyph (what the one-time footer hint waits for).
pub fn has_glyph(entry: &Entry) -> bool {
    matches!(entry.kind, EntryKind::Event)
        && (verdict_glyph(entry).is_some() || pii_glyph(entry).is_some())
}

/// The legend, one entry per glyph: the help overlay lists it, the footer hint joins it.
pub const LEGEND: [(&str, &str); 6] = [
    ("✗", "error (or a rejected request)"),
    ("!", "warning"),
    (
        "●",
        "PII where it does not belong (red: a secret, yellow: personal data)",
    ),
    ("·", "notes only (info findings)"),
    (
        "b",
        "a bot sent it: crawler, monitor, headless browser, HTTP library (has:bot)",
    ),
    (
        " ",
        "nothing to say (PII in its expected place is listed in Findings)",
    ),
];

/// The footer's one-time hint.
pub fn hint(help_key: &str) -> String {
    format!("row marks: ✗ error · ! warning · ● PII · · note — {help_key} explains")
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::entry::{EntryBuilder, Verdict};
    use eventscope_core::inspect::{Finding, Kind, PiiClass};
    use eventscope_core::model::{EventFrame, Frame};

    fn entry(findings: &[Finding]) -> Entry {
        let message =
            serde_json::value::RawValue::from_string(r#"{"type":"track"}"#.into()).unwrap();
        let mut entry = EntryBuilder::default()
            .build(Frame::Event(EventFrame::from_plain(1, message, "t")))
            .unwrap();
        entry.verdict = Verdict::of(findings);
        entry
    }

    #[test]
    fn pii_in_its_expected_place_gets_no_glyph_and_notes_a_dot() {
        let mut email = Finding::new(
            Kind::Pii,
            "pii/email",
            "traits.email",
            Severity::Info,
            "an email",
        );
        email.pii = Some(PiiClass::Yellow);
        let expected = entry(std::slice::from_ref(&email));
        assert_eq!(verdict_glyph(&expected), None);
        assert_eq!(pii_glyph(&expected), None);
        assert!(!has_glyph(&expected));

        let note = Finding::new(Kind::Plan, "plan/version", "", Severity::Info, "a note");
        assert_eq!(
            verdict_glyph(&entry(&[email.clone(), note])),
            Some(Glyph::Note)
        );

        email.severity = Severity::Warning;
        let misplaced = entry(&[email]);
        assert_eq!(verdict_glyph(&misplaced), Some(Glyph::Warning));
        assert_eq!(pii_glyph(&misplaced), Some(PiiGlyph::Yellow));
        assert!(has_glyph(&misplaced));
    }

    #[test]
    fn a_bot_gets_its_glyph_over_notes_and_under_warnings() {
        let bot = Finding::new(
            Kind::Traffic,
            "traffic/bot",
            "context.userAgent",
            Severity::Info,
            "sent by a crawler",
        );
        let note = Finding::new(Kind::Plan, "plan/version", "", Severity::Info, "a note");
        assert_eq!(
            verdict_glyph(&entry(std::slice::from_ref(&bot))),
            Some(Glyph::Bot)
        );
        assert_eq!(
            verdict_glyph(&entry(&[bot.clone(), note])),
            Some(Glyph::Bot)
        );
        let warning = Finding::new(Kind::Spec, "spec/x", "", Severity::Warning, "w");
        assert_eq!(verdict_glyph(&entry(&[bot, warning])), Some(Glyph::Warning));
    }
}
