//! The filter language's terms in one table, each with its one-line help: the viewer's help
//! lists it as is, and the tests below keep it equal to what the parser accepts (every field,
//! every `has:` value and every `pii:` class is in it, and every example parses).

use super::predicate::{Field, Flag};

/// One term of the filter language: an example and what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// How it is written, e.g. `has:violation`.
    pub syntax: &'static str,
    /// What it matches, in one line.
    pub help: &'static str,
    /// What the parser makes of it.
    pub(crate) kind: TermKind,
}

/// The parser's side of a [`Term`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermKind {
    Text,
    Field(Field),
    Has(Flag),
    Pii,
    Operator,
}

const fn term(syntax: &'static str, help: &'static str, kind: TermKind) -> Term {
    Term { syntax, help, kind }
}

/// Every term, in the order the help lists them.
pub const TERMS: &[Term] = &[
    term(
        "checkout",
        "free text: a case-insensitive substring of the JSON",
        TermKind::Text,
    ),
    term(
        "\"Order Completed\"",
        "quoted free text (\\\" and \\\\ escape inside)",
        TermKind::Text,
    ),
    term(
        "type:track",
        "message type, case-insensitive",
        TermKind::Field(Field::Type),
    ),
    term(
        "event:\"Order *\"",
        "event or page/screen name; * globs, case-insensitive",
        TermKind::Field(Field::Event),
    ),
    term(
        "user:u_42",
        "userId or anonymousId; * globs",
        TermKind::Field(Field::User),
    ),
    term(
        "person:jane@example.com",
        "every message of the person holding this id (any type), merges included, live",
        TermKind::Field(Field::Person),
    ),
    term(
        "id:8a6a63ec-*",
        "messageId; * globs",
        TermKind::Field(Field::Id),
    ),
    term(
        "key:abcd",
        "write key: the whole key, or a prefix of its mask",
        TermKind::Field(Field::Key),
    ),
    term(
        "has:rejected",
        "requests the collector refused",
        TermKind::Has(Flag::Rejected),
    ),
    term(
        "has:violation",
        "a spec, plan, identity or warehouse finding at warning or above (✗ or !)",
        TermKind::Has(Flag::Violation),
    ),
    term(
        "has:drift",
        "it changed the warehouse schema: a new table or column, a type conflict",
        TermKind::Has(Flag::Drift),
    ),
    term(
        "has:pii",
        "PII where it does not belong (●)",
        TermKind::Has(Flag::Pii),
    ),
    term(
        "has:bot",
        "a bot sent it: a crawler, a monitor, a headless browser or an HTTP library (b)",
        TermKind::Has(Flag::Bot),
    ),
    term(
        "rule:plan/type",
        "a finding's rule; * globs; rule:plan = rule:plan/*",
        TermKind::Field(Field::Rule),
    ),
    term(
        "pii:red",
        "a secret: card, password, token… (red ●)",
        TermKind::Pii,
    ),
    term(
        "pii:yellow",
        "personal data: email, phone, name… (yellow ●)",
        TermKind::Pii,
    ),
    term(
        "jq: .properties.total > 10",
        "a jq program on the message, to the end of the input",
        TermKind::Field(Field::Jq),
    ),
    term(
        "fql: type = 'track'",
        "Segment FQL (as in destination filters), to the end",
        TermKind::Field(Field::Fql),
    ),
    term(
        "routed:amplitude",
        "Segment would deliver it to this configured destination",
        TermKind::Field(Field::Routed),
    ),
    term(
        "dropped:amplitude",
        "Segment would not deliver it there (consent, integrations, filter…)",
        TermKind::Field(Field::Dropped),
    ),
    term(
        "dropped:amplitude:consent",
        "dropped for that reason: consent, integrations, filter, unsupported",
        TermKind::Field(Field::Dropped),
    ),
    term(
        "source:web",
        "the source: its label ([[source]] in the config) or masked write key; * globs",
        TermKind::Field(Field::Source),
    ),
    term(
        "late:>5m",
        "arrived over 5 minutes after its timestamp (skew-corrected); < too; ms s m h d",
        TermKind::Field(Field::Late),
    ),
    term(
        "skew:>1m",
        "the device clock was off by over a minute either way (needs sentAt)",
        TermKind::Field(Field::Skew),
    ),
    term(
        "a b",
        "both (and binds tighter than or)",
        TermKind::Operator,
    ),
    term("a or b", "either", TermKind::Operator),
    term("-a  not a", "negation", TermKind::Operator),
    term("(a or b) c", "grouping", TermKind::Operator),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Query;

    #[test]
    fn the_table_lists_every_field_has_value_and_pii_class_and_each_example_parses() {
        for field in Field::ALL {
            assert!(
                TERMS.iter().any(|t| t.kind == TermKind::Field(field)
                    || (field == Field::Has && matches!(t.kind, TermKind::Has(_)))
                    || (field == Field::Pii && t.kind == TermKind::Pii)),
                "`{}:` has no line in the help",
                field.name()
            );
        }
        for flag in Flag::ALL {
            let syntax = format!("has:{}", flag.name());
            assert!(
                TERMS
                    .iter()
                    .any(|t| t.kind == TermKind::Has(flag) && t.syntax == syntax),
                "{syntax} has no line in the help"
            );
        }
        for class in ["red", "yellow"] {
            let syntax = format!("pii:{class}");
            assert!(TERMS.iter().any(|t| t.syntax == syntax), "{syntax}");
        }
        for term in TERMS {
            assert!(!term.help.is_empty());
            for example in term.syntax.split("  ") {
                Query::parse_for(example, &["amplitude"])
                    .unwrap_or_else(|e| panic!("{example}: {e}"));
            }
            // A field term's example starts with its field's name.
            if let TermKind::Field(field) = term.kind {
                assert!(term.syntax.starts_with(&format!("{}:", field.name())));
            }
        }
    }
}
