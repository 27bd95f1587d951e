//! Recognisers for one kind of value at a position in a string: email addresses, JWTs, API keys
//! (AWS, Stripe, GitHub, Slack), private key blocks, bearer tokens, IBANs and IPv4 addresses.
//! Each returns the byte range it found; none allocates, except a JWT header's decoding.

use base64::Engine;
use base64::alphabet;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::NO_PAD;

/// `8-4-4-4-12` hex digits: a UUID has digits but no personal data.
#[inline]
pub(super) fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A Stripe or GitHub key around the `_` at `i`.
pub(super) fn api_key_at(b: &[u8], i: usize) -> Option<(std::ops::Range<usize>, &'static str)> {
    let before = |n: usize| i.checked_sub(n).map(|s| &b[s..i]);
    let after = |t: &[u8]| b.get(i + 1..i + 1 + t.len()) == Some(t);
    if let Some(p @ (b"sk" | b"rk")) = before(2)
        && (after(b"live_") || after(b"test_"))
    {
        let r = token_at(b, i - 2, 8, 16, false, false)?;
        let what = if p == b"rk" {
            "a Stripe restricted key"
        } else {
            "a Stripe secret key"
        };
        return Some((r, what));
    }
    if let Some([b'g', b'h', b'p' | b'o' | b'u' | b's' | b'r']) = before(3) {
        return Some((token_at(b, i - 3, 4, 30, false, false)?, "a GitHub token"));
    }
    if before(6) == Some(b"github") && after(b"pat_") {
        return Some((token_at(b, i - 6, 11, 40, true, false)?, "a GitHub token"));
    }
    None
}

#[inline]
pub(super) fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// An email address around the `@` at `at` (`domain` starts after it: `at + 1`, or `at + 3`
/// for `%40`).
pub(super) fn email_at(b: &[u8], at: usize, domain: usize) -> Option<std::ops::Range<usize>> {
    let local_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'');
    let mut start = at;
    while start > 0 && local_char(b[start - 1]) && at - start < 64 {
        start -= 1;
    }
    while start < at && matches!(b[start], b'.' | b'-' | b'+' | b'%' | b'\'') {
        start += 1;
    }
    if start == at || b[at - 1] == b'.' {
        return None;
    }
    let mut end = domain;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric() || matches!(b[end], b'.' | b'-'))
        && end - domain < 253
    {
        end += 1;
    }
    while end > domain && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let host = &b[domain..end];
    if host.first().is_none_or(|&c| !c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut labels = host.split(|&c| c == b'.');
    let tld = labels.next_back()?;
    if labels.clone().count() == 0 || labels.any(<[u8]>::is_empty) {
        return None;
    }
    if tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    const FILES: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "map", "json", "html",
        "htm",
    ];
    if FILES.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(tld)) {
        return None;
    }
    Some(start..end)
}

/// Base64url without padding, as JWT segments are written (RFC 7515). Like the decoder it
/// replaced, it ignores the unused low bits of the last character; a segment of 4n+1
/// characters (never valid base64) is refused.
const JWT_SEGMENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    NO_PAD.with_decode_allow_trailing_bits(true),
);

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// A JWT starting at `at`: three base64url segments, the first decoding to a JSON object with
/// `alg`.
pub(super) fn jwt_at(b: &[u8], at: usize) -> Option<std::ops::Range<usize>> {
    if at > 0 && (is_b64url(b[at - 1]) || b[at - 1] == b'.') {
        return None;
    }
    let seg = |from: usize| {
        let mut end = from;
        while end < b.len() && is_b64url(b[end]) {
            end += 1;
        }
        end
    };
    let header_end = seg(at);
    if b.get(header_end) != Some(&b'.') || header_end - at > 2048 {
        return None;
    }
    let payload_end = seg(header_end + 1);
    if payload_end == header_end + 1 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    let mut end = seg(payload_end + 1);
    while end < b.len() && b[end] == b'=' {
        end += 1;
    }
    if b.get(end).is_some_and(|&c| c == b'.' || is_b64url(c)) {
        return None;
    }
    let header = JWT_SEGMENT.decode(&b[at..header_end]).ok()?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str()?;
    Some(at..end)
}

/// `AKIA`/`ASIA` and 16 upper-case letters or digits, standing alone.
pub(super) fn aws_at(b: &[u8], at: usize) -> Option<std::ops::Range<usize>> {
    let end = at + 20;
    let ok = (at == 0 || !b[at - 1].is_ascii_alphanumeric())
        && end <= b.len()
        && b[at + 4..end]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
    ok.then_some(at..end)
}

/// A prefix at `at` and at least `min` token characters (letters and digits; `_` too if
/// `underscore`, `-` if `dash`).
fn token_at(
    b: &[u8],
    at: usize,
    prefix: usize,
    min: usize,
    underscore: bool,
    dash: bool,
) -> Option<std::ops::Range<usize>> {
    if at > 0 && is_word_byte(b[at - 1]) {
        return None;
    }
    let body = at + prefix;
    let mut end = body;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric()
            || (underscore && b[end] == b'_')
            || (dash && b[end] == b'-'))
    {
        end += 1;
    }
    (end - body >= min).then_some(at..end)
}

/// `xoxb-…`: at least 10 characters after the prefix, with a digit (the team id).
pub(super) fn slack_at(b: &[u8], at: usize, prefix: usize) -> Option<std::ops::Range<usize>> {
    let r = token_at(b, at, prefix, 10, false, true)?;
    b[at + prefix..r.end]
        .iter()
        .any(u8::is_ascii_digit)
        .then_some(r)
}

/// `-----BEGIN … PRIVATE KEY-----`: the range up to the matching END line (or the header), and
/// the end of the header, which is shown.
pub(super) fn private_key_at(s: &str, at: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let label_start = at + "-----BEGIN ".len();
    let rest = &s[label_start..];
    let label_len = rest.find("-----")?;
    let label = &rest[..label_len];
    if label_len > 40
        || !label.contains("PRIVATE KEY")
        || !label
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ')
    {
        return None;
    }
    let header_end = label_start + label_len + 5;
    let end = s[header_end..]
        .find("-----END ")
        .and_then(|i| {
            let from = header_end + i + "-----END ".len();
            s[from..].find("-----").map(|j| from + j + 5)
        })
        .unwrap_or(header_end);
    Some((at..end, header_end))
}

/// `Bearer ` and a token of at least 16 characters with a digit.
pub(super) fn bearer_at(b: &[u8], at: usize, prefix: usize) -> Option<std::ops::Range<usize>> {
    if at > 0 && b[at - 1].is_ascii_alphanumeric() {
        return None;
    }
    let mut start = at + prefix;
    while start < b.len() && b[start] == b' ' {
        start += 1;
    }
    let mut end = start;
    while end < b.len()
        && (b[end].is_ascii_alphanumeric()
            || matches!(b[end], b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
    {
        end += 1;
    }
    let token = &b[start..end];
    while end < b.len() && b[end] == b'=' {
        end += 1;
    }
    (token.len() >= 16 && token.iter().any(u8::is_ascii_digit)).then_some(at..end)
}

/// An IBAN starting at `i` (country code, check digits, the country's length; groups of four
/// may be separated by single spaces), mod-97 valid. Returns its end.
pub(super) fn iban_at(b: &[u8], i: usize) -> Option<usize> {
    if !(b[i].is_ascii_uppercase()
        && b[i + 1].is_ascii_uppercase()
        && b[i + 2].is_ascii_digit()
        && b[i + 3].is_ascii_digit())
    {
        return None;
    }
    if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80) {
        return None;
    }
    let len = iban_length([b[i], b[i + 1]])?;
    let mut chars = [0u8; 34];
    let (mut n, mut pos) = (0, i);
    while n < len && pos < b.len() {
        let c = b[pos];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            chars[n] = c;
            n += 1;
            pos += 1;
        } else if c == b' ' && n % 4 == 0 && b.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric) {
            pos += 1;
        } else {
            break;
        }
    }
    if n != len
        || b.get(pos)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c >= 0x80)
    {
        return None;
    }
    let chars = &chars[..len];
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        rem = if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    (rem == 1).then_some(pos)
}

/// IBAN lengths by country (SWIFT IBAN registry).
fn iban_length(cc: [u8; 2]) -> Option<usize> {
    Some(match &cc {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" | b"FK" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" | b"MN" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" | b"OM" | b"SO" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" | b"BI" | b"DJ" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" | b"HN"
        | b"NI" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    })
}

/// Four dotted octets (0–255, no leading zeros) at `i`, standing alone.
pub(super) fn ipv4_at(b: &[u8], i: usize) -> Option<(usize, [u8; 4])> {
    let mut octets = [0u8; 4];
    let mut pos = i;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let start = pos;
        let mut v = 0u32;
        while pos < b.len() && b[pos].is_ascii_digit() && pos - start < 3 {
            v = v * 10 + u32::from(b[pos] - b'0');
            pos += 1;
        }
        let len = pos - start;
        if len == 0 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *octet = v as u8;
    }
    let right_ok = match b.get(pos) {
        None => true,
        Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80 => false,
        Some(b'.') => !b.get(pos + 1).is_some_and(u8::is_ascii_alphanumeric),
        Some(_) => true,
    };
    right_ok.then_some((pos, octets))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use proptest::prelude::*;

    use super::{JWT_SEGMENT, jwt_at};

    /// The hand-written decoder `JWT_SEGMENT` replaced, kept as the reference it must agree with.
    fn reference_decode(text: &[u8]) -> Option<Vec<u8>> {
        let value = |c: u8| -> Option<u32> {
            Some(u32::from(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return None,
            }))
        };
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for &c in text {
            acc = (acc << 6) | value(c)?;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    fn is_jwt(text: &str) -> bool {
        jwt_at(text.as_bytes(), 0) == Some(0..text.len())
    }

    proptest! {
        /// Header segments only ever hold base64url characters (the segment ends at any other).
        /// On them the crate decodes as the old decoder did, except that a 4n+1-character
        /// segment, which the old one read by dropping its last character, is refused.
        #[test]
        fn jwt_segments_decode_as_before(text in "[A-Za-z0-9_-]{0,64}") {
            let new = JWT_SEGMENT.decode(&text).ok();
            if text.len() % 4 == 1 {
                prop_assert_eq!(new, None);
            } else {
                prop_assert_eq!(new, reference_decode(text.as_bytes()));
            }
        }
    }

    #[test]
    fn jwt_headers_decode_strictly_where_it_matters() {
        // `{"alg":"HS256"}`, `{"alg":"none"}`: 4n and 4n+3 characters.
        assert!(is_jwt("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"));
        assert!(is_jwt("eyJhbGciOiJub25lIn0.e30.c2lnbmF0dXJl"));
        // Unused low bits set in the last character (`1` for `0`): still read, as before.
        assert!(is_jwt("eyJhbGciOiJub25lIn1.e30.c2lnbmF0dXJl"));
        // Padding on the signature is part of the token.
        assert!(is_jwt("eyJhbGciOiJub25lIn0.e30.c2lnbmF0dXJlcw=="));
        // Padding or standard-alphabet characters in the header end it: not a JWT.
        assert!(!is_jwt("eyJhbGciOiJIUzI1NiJ9=.e30.c2lnbmF0dXJl"));
        assert_eq!(jwt_at(b"eyJhbGciOiJub25lIn0=.e30.c2lnbmF0dXJl", 0), None);
        assert_eq!(jwt_at(b"eyJhbGciOiJIUzI1NiJ9+.e30.c2lnbmF0dXJl", 0), None);
        assert_eq!(jwt_at(b"eyJhbGciOiJIUzI1/NiJ9.e30.c2lnbmF0dXJl", 0), None);
        // A stray 21st character after a valid header: the old decoder dropped it and
        // accepted the token; a 4n+1-character segment is not base64, so it is refused now.
        assert_eq!(
            reference_decode(b"eyJhbGciOiJIUzI1NiJ9A").map(|h| h.len()),
            Some(15)
        );
        assert_eq!(jwt_at(b"eyJhbGciOiJIUzI1NiJ9A.e30.c2lnbmF0dXJl", 0), None);
    }
}
