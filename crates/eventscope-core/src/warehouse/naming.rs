//! Column and table names as Segment's warehouses make them: `go-snakecase`
//! (github.com/segmentio/go-snakecase), byte for byte.
//!
//! The `snakecase` crate's `ascii::to_snakecase` is a port of go-snakecase's current algorithm
//! (the pass that keeps an upper-case run whole after a digit or an underscore prefix, so
//! `5TEst` → `5test`) and carries go-snakecase's own test table, so we use it rather than
//! write it again. `heck` is not go-snakecase: it splits acronyms (`HTTPServer` →
//! `http_server`, go: `httpserver`; `CStringRef` → `c_string_ref`, go: `cstring_ref`;
//! `ABTest` → `ab_test`, go: `abtest`), splits after a leading digit (`5TEst` → `5t_est`) and
//! keeps non-ASCII letters (`café` → `café`, go: `caf`).
//!
//! What go-snakecase does (its `snake_test.go` cases are in this module's tests): every byte
//! that is not an ASCII letter or digit is a separator (spaces, `-`, `.`, `$`, `:`, newlines,
//! and each byte of a non-ASCII character); runs of separators become one `_`, leading and
//! trailing ones vanish; a lower-case letter or digit followed by an upper-case one starts a
//! word (`sampleText` → `sample_text`, `v2Name` → `v2_name`); a run of capitals and digits is
//! one word with the lower-case letters after it (`SAMPLE 2 TEXT` → `sample_2_text`,
//! `userID` → `user_id`, `HTTPServer` → `httpserver`); digits stay where they are
//! (`address2`, `2FA Enabled` → `2fa_enabled`). The output alphabet is `[a-z0-9_]`, never
//! starting or ending with `_` nor holding `__`; it may start with a digit and may be empty
//! (a name of only punctuation or non-ASCII letters).

use std::borrow::Cow;

/// A property, trait or context path's column name (`accountType` → `account_type`).
/// Nested keys are joined with `_` before the conversion (`address.zipCode` → `address_zip_code`).
pub fn column_name(raw: &str) -> Cow<'_, str> {
    snakecase::ascii::to_snakecase(raw)
}

/// A track event's table: its slug (`Order Completed` → `order_completed`).
pub fn table_name(event: &str) -> Cow<'_, str> {
    snakecase::ascii::to_snakecase(event)
}

/// Whether `name` is something go-snakecase can produce and a usable identifier: non-empty,
/// `[a-z0-9_]` only, no leading, trailing or doubled `_`.
pub fn is_column_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with('_')
        && !name.ends_with('_')
        && !name.contains("__")
}
