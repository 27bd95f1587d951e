//! What a `userId` should not be: an email or a phone number (PII as the id, and it changes
//! when the person's does) or a placeholder a developer left in (`abc123`, `test`, and what a
//! JavaScript bug sends: `undefined`, `[object Object]`).

use crate::inspect::spec::looks_like_email;

/// Placeholders and bug values seen as userIds, compared without case.
const PLACEHOLDERS: [&str; 22] = [
    "abc123",
    "test",
    "testuser",
    "test-user",
    "test_user",
    "user",
    "userid",
    "user_id",
    "undefined",
    "[object object]",
    "nan",
    "nil",
    "none",
    "null",
    "anonymous",
    "unknown",
    "guest",
    "123",
    "1234",
    "12345",
    "123456",
    "-1",
];

/// What `user_id` looks like when it is not a real id: "an email", "a phone number" or "a
/// placeholder"; `None` for an ordinary id.
pub fn problem(user_id: &str) -> Option<&'static str> {
    let id = user_id.trim();
    if looks_like_email(id) {
        Some("an email")
    } else if looks_like_phone(id) {
        Some("a phone number")
    } else if PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(id)) {
        Some("a placeholder")
    } else {
        None
    }
}

/// `+44 20 7946 0958`, `(555) 123-4567`, `555-123-4567`, `+15551234567`. A bare run of digits
/// is a database id, not a phone, unless it starts with `+`.
fn looks_like_phone(id: &str) -> bool {
    let (plus, rest) = match id.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, id),
    };
    if rest.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
    {
        return false;
    }
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let separated = rest.chars().any(|c| !c.is_ascii_digit());
    if plus {
        (8..=15).contains(&digits)
    } else {
        separated && (10..=15).contains(&digits)
    }
}
