//! What a viewer needs of a message at a glance — type, the name that matters, ids — found
//! once, and kept as byte spans into the message text rather than copies.

use std::borrow::Cow;

use super::lateness::Stamps;
use super::{MessageType, ObjectFields};

/// Names and ids are cut to about this many bytes (ending with `…`) where they are shown: a
/// row has no room for more, and a name made huge must not be copied whole on every frame.
pub const SHOWN_BYTES: usize = 1024;

/// A string field of a message: the span of its JSON text between the quotes. Strings with
/// escapes are rare in ids and names; their span holds the escaped form, and `display`
/// unescapes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRef {
    start: u32,
    len: u32,
}

// The viewer reads these per row per frame from another crate: the small ones are `#[inline]`
// (without it they cannot be inlined across the crate boundary; the tui bench drew ~4 % slower).
impl TextRef {
    /// The string as it appears in the JSON text (escapes not undone).
    #[inline]
    pub fn get<'a>(&self, text: &'a str) -> &'a str {
        let (start, end) = (self.start as usize, (self.start + self.len) as usize);
        text.get(start..end).unwrap_or("")
    }

    /// The string's value, escapes undone.
    pub fn display<'a>(&self, text: &'a str) -> Cow<'a, str> {
        unescape(self.get(text))
    }

    /// [`TextRef::display`] of at most about `max` bytes of the string: a longer one is cut
    /// (never inside an escape or a character) and ends with `…`.
    pub fn display_within<'a>(&self, text: &'a str, max: usize) -> Cow<'a, str> {
        let raw = self.get(text);
        if raw.len() <= max {
            return unescape(raw);
        }
        let mut end = max;
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        // An escape cut in two does not parse: step back over it (`\uXXXX\uXXXX` at most).
        let mut shown = None;
        for _ in 0..12 {
            let head = &raw[..end];
            if !head.contains('\\') {
                shown = Some(Cow::Borrowed(head));
                break;
            }
            if let Ok(value) = serde_json::from_str::<String>(&format!("\"{head}\"")) {
                shown = Some(Cow::Owned(value));
                break;
            }
            end -= 1;
            while !raw.is_char_boundary(end) {
                end -= 1;
            }
        }
        let mut shown = shown.unwrap_or(Cow::Borrowed(&raw[..end])).into_owned();
        shown.push('…');
        Cow::Owned(shown)
    }
}

/// A JSON string's inner text with escapes undone (the text as it is if they do not parse).
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    serde_json::from_str::<String>(&format!("\"{raw}\"")).map_or(Cow::Borrowed(raw), Cow::Owned)
}

/// The at-a-glance fields of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub message_type: Option<MessageType>,
    /// `type` as sent when it is not one of the six.
    pub other_type: Option<TextRef>,
    /// `event` (track), `name` (page, screen), `groupId` (group), `previousId` (alias).
    pub name: Option<TextRef>,
    pub user_id: Option<TextRef>,
    pub anonymous_id: Option<TextRef>,
    pub message_id: Option<TextRef>,
    /// `traits.email` (identify without a userId shows it).
    pub email: Option<TextRef>,
}

impl Summary {
    /// Reads the summary of `text`, a message JSON object; empty when it is not one.
    pub fn of(text: &str) -> Summary {
        Summary::with_stamps(text).0
    }

    /// [`Summary::of`], and the message's time fields from the same reading (for its
    /// [`super::Lateness`]).
    pub fn with_stamps(text: &str) -> (Summary, Stamps<'_>) {
        let Ok(fields) = ObjectFields::parse(text) else {
            return (Summary::default(), Stamps::default());
        };
        let string = |key: &str| fields.get(key).and_then(|v| text_ref(text, v.json()));
        let stamp = |key: &str| string(key).map(|r| r.get(text));
        let stamps = Stamps {
            timestamp: stamp("timestamp"),
            original_timestamp: stamp("originalTimestamp"),
            sent_at: stamp("sentAt"),
            received_at: stamp("receivedAt"),
        };
        let raw_type = string("type");
        let message_type = raw_type
            .as_ref()
            .and_then(|t| MessageType::parse(t.get(text)));
        let name_key = match message_type {
            Some(MessageType::Track) => "event",
            Some(MessageType::Group) => "groupId",
            Some(MessageType::Alias) => "previousId",
            _ => "name",
        };
        let email = match message_type {
            Some(MessageType::Identify) | Some(MessageType::Group) => fields
                .get("traits")
                .filter(|v| v.is_object())
                .and_then(|traits| {
                    let traits_text = traits.json();
                    let nested = ObjectFields::parse(traits_text).ok()?;
                    let email = nested.get("email")?.json();
                    text_ref(text, email)
                }),
            _ => None,
        };
        let summary = Summary {
            other_type: if message_type.is_none() {
                raw_type
            } else {
                None
            },
            message_type,
            name: string(name_key).or_else(|| {
                // An unknown type: whichever of the usual names it carries.
                message_type.is_none().then(|| string("event")).flatten()
            }),
            // An empty or blank id counts as absent (RudderStack's page() before identify
            // sends `userId: ""`): the user column and `user:` go by the other.
            user_id: string("userId").filter(|r| !r.display(text).trim().is_empty()),
            anonymous_id: string("anonymousId").filter(|r| !r.display(text).trim().is_empty()),
            message_id: string("messageId"),
            email,
        };
        (summary, stamps)
    }

    /// The type as text (`track`…, or what was sent, or empty).
    #[inline]
    pub fn type_str<'a>(&'a self, text: &'a str) -> &'a str {
        match (self.message_type, &self.other_type) {
            (Some(t), _) => t.as_str(),
            (None, Some(other)) => other.get(text),
            (None, None) => "",
        }
    }

    /// The name column: event, page/screen name, identify's userId or email, groupId,
    /// `previousId → userId` for alias; each cut at [`SHOWN_BYTES`].
    pub fn display_name(&self, text: &str) -> String {
        let get = |r: &Option<TextRef>| {
            r.as_ref()
                .map(|r| r.display_within(text, SHOWN_BYTES).into_owned())
        };
        match self.message_type {
            Some(MessageType::Identify) => get(&self.user_id)
                .or_else(|| get(&self.email))
                .unwrap_or_default(),
            Some(MessageType::Alias) => format!(
                "{} → {}",
                get(&self.name).unwrap_or_default(),
                get(&self.user_id).unwrap_or_default()
            ),
            _ => get(&self.name).unwrap_or_default(),
        }
    }

    /// The user column: userId, else anonymousId, escapes undone, cut at [`SHOWN_BYTES`].
    pub fn user<'a>(&'a self, text: &'a str) -> Cow<'a, str> {
        self.user_id
            .as_ref()
            .or(self.anonymous_id.as_ref())
            .map_or(Cow::Borrowed(""), |r| r.display_within(text, SHOWN_BYTES))
    }
}

/// A JSON string value as a reference into `text`, where `value` is a slice of `text`.
fn text_ref(text: &str, value: &str) -> Option<TextRef> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let start = (inner.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    if start + inner.len() > text.len() {
        return None;
    }
    Some(TextRef {
        start: u32::try_from(start).ok()?,
        len: u32::try_from(inner.len()).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_matter_per_type() {
        let cases = [
            (
                r#"{"type":"track","event":"Order Completed","userId":"u1"}"#,
                "track",
                "Order Completed",
                "u1",
            ),
            (
                r#"{"type":"page","name":"Pricing","anonymousId":"a1"}"#,
                "page",
                "Pricing",
                "a1",
            ),
            (
                r#"{"type":"identify","traits":{"email":"x@y.z"},"anonymousId":"a1"}"#,
                "identify",
                "x@y.z",
                "a1",
            ),
            (
                r#"{"type":"identify","userId":"u9","traits":{"email":"x@y.z"}}"#,
                "identify",
                "u9",
                "u9",
            ),
            (
                r#"{"type":"group","groupId":"g1","userId":"u1"}"#,
                "group",
                "g1",
                "u1",
            ),
            (
                r#"{"type":"alias","previousId":"a1","userId":"u1"}"#,
                "alias",
                "a1 → u1",
                "u1",
            ),
            (r#"{"type":"Track","event":"X"}"#, "Track", "X", ""),
            (
                r#"{"type":"page","name":"Home","userId":"","anonymousId":"a7"}"#,
                "page",
                "Home",
                "a7",
            ),
            (
                r#"{"type":"track","event":"E","userId":" \t","anonymousId":"a8"}"#,
                "track",
                "E",
                "a8",
            ),
        ];
        for (text, kind, name, user) in cases {
            let summary = Summary::of(text);
            assert_eq!(summary.type_str(text), kind, "{text}");
            assert_eq!(summary.display_name(text), name, "{text}");
            assert_eq!(summary.user(text), user, "{text}");
        }
    }

    #[test]
    fn escaped_strings_are_shown_unescaped() {
        let text = r#"{"type":"track","event":"Say \"hi\"","messageId":"m-1"}"#;
        let summary = Summary::of(text);
        assert_eq!(summary.display_name(text), "Say \"hi\"");
        assert_eq!(summary.message_id.unwrap().get(text), "m-1");
    }

    #[test]
    fn long_names_are_cut_never_inside_an_escape() {
        let name = format!(
            "{}\\u00e9\\\"{}",
            "a".repeat(SHOWN_BYTES - 3),
            "b".repeat(5000)
        );
        let text = format!(
            r#"{{"type":"track","event":"{name}","userId":"{}"}}"#,
            "u".repeat(9000)
        );
        let summary = Summary::of(&text);
        let shown = summary.display_name(&text);
        assert!(shown.len() <= SHOWN_BYTES + 3, "{}", shown.len());
        assert_eq!(shown, format!("{}…", "a".repeat(SHOWN_BYTES - 3)));
        for max in SHOWN_BYTES - 3..SHOWN_BYTES + 12 {
            let cut = summary.name.unwrap().display_within(&text, max);
            assert!(cut.ends_with('…') && !cut.contains('\\'), "{max}: {cut}");
        }
        let user = summary.user(&text);
        assert_eq!(user.len(), SHOWN_BYTES + '…'.len_utf8());
        let short = r#"{"type":"track","event":"E","userId":"a\"b"}"#;
        assert_eq!(Summary::of(short).user(short), "a\"b", "escapes undone");
    }

    #[test]
    fn a_summary_is_small() {
        assert!(
            std::mem::size_of::<Summary>() <= 80,
            "{}",
            std::mem::size_of::<Summary>()
        );
    }

    #[test]
    fn non_objects_give_an_empty_summary() {
        assert_eq!(Summary::of("[1]"), Summary::default());
        assert_eq!(Summary::of("{bad"), Summary::default());
    }
}
