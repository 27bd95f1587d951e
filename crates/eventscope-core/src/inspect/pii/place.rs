//! Where a value sits: what the walk knows about a value's place (its key, its parent, whether
//! personal data is expected there), the built-in lists that decide it, and the expected places
//! a user lists in `[pii] expected`.

use super::PiiMatchers;
use crate::model::path::PathNode;

/// What the walk knows about the place of a value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place<'a> {
    /// The value's key; for an array element, the array's key.
    pub(super) key: Option<&'a str>,
    /// The key of the object holding the value (for `recipient.name`).
    pub(super) parent: Option<&'a str>,
    /// Personal data belongs here: Yellow matches are `info`.
    pub(super) expected: bool,
    /// Run the digit-based value matchers (phone, card, SSN, IBAN, IP).
    pub(super) numeric: bool,
    /// Match the built-in key rules on member keys.
    pub(super) key_names: bool,
    /// Members are a person's fields: a bare `name` is a person's name.
    pub(super) person_root: bool,
}

impl<'a> Place<'a> {
    #[inline]
    pub(super) fn root(key: &'a str) -> Place<'a> {
        Place {
            key: Some(key),
            parent: None,
            expected: false,
            numeric: true,
            key_names: true,
            person_root: false,
        }
    }

    #[inline]
    pub(super) fn member(&self, key: &'a str) -> Place<'a> {
        Place {
            key: Some(key),
            parent: self.key,
            person_root: false,
            ..*self
        }
    }
}

/// Arrays of things that are not people: their members' keys (`name`, `photo`, `serial`…)
/// describe a product, not a person.
pub(super) const THING_LISTS: &[&str] = &[
    "products",
    "product",
    "items",
    "item",
    "line_items",
    "lineItems",
    "cart_items",
    "variants",
    "promotions",
    "filters",
    "sorts",
];

/// Reserved identify and group traits: personal data is expected in them (and below them:
/// `traits.address.city`).
pub(super) const RESERVED_TRAITS: &[&[&str]] = &[
    &["email"],
    &["name"],
    &["first", "name"],
    &["firstname"],
    &["last", "name"],
    &["lastname"],
    &["phone"],
    &["birthday"],
    &["gender"],
    &["username"],
    &["user", "name"],
    &["avatar"],
    &["title"],
    &["website"],
    &["age"],
    &["description"],
    &["id"],
    &["created", "at"],
    &["employees"],
    &["industry"],
    &["plan"],
    &["address"],
    &["company"],
];

impl PiiMatchers {
    /// Whether the configured `expected` places cover this node: a place is a prefix of its
    /// path (compared from the root down, without writing the path out).
    pub(super) fn configured_expected(&self, node: &PathNode<'_>) -> bool {
        if self.expected.is_empty() {
            return false;
        }
        let depth = node.depth();
        self.expected.iter().any(|place| {
            // The node's ancestor at the place's depth, and the nodes above it, deepest first.
            place.len() <= depth
                && (node.ancestors().skip(depth - place.len()))
                    .zip(place.iter().rev())
                    .all(|(n, p)| match (p, n) {
                        (PlaceSeg::Any, _) => true,
                        (PlaceSeg::Key(k), PathNode::Key(_, s)) => k == s,
                        (PlaceSeg::Index(i), PathNode::Index(_, j)) => i == j,
                        _ => false,
                    })
        })
    }
}

/// One step of a place in `[pii] expected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PlaceSeg {
    Key(String),
    Index(usize),
    Any,
}

/// Parses `properties.products[*].email`, `context["user-agent"]`, `traits.*`.
pub(super) fn parse_place(path: &str) -> Result<Vec<PlaceSeg>, &'static str> {
    let b = path.as_bytes();
    if b.is_empty() {
        return Err("an empty path");
    }
    let mut segs = Vec::new();
    let mut i = 0;
    loop {
        if b[i] == b'[' {
            let close = match b.get(i + 1) {
                Some(b'*') => {
                    segs.push(PlaceSeg::Any);
                    i + 2
                }
                Some(b'0'..=b'9') => {
                    let mut e = i + 1;
                    while e < b.len() && b[e].is_ascii_digit() {
                        e += 1;
                    }
                    segs.push(PlaceSeg::Index(
                        path[i + 1..e].parse().map_err(|_| "an index too large")?,
                    ));
                    e
                }
                Some(b'"') => {
                    let mut e = i + 2;
                    while e < b.len() && b[e] != b'"' {
                        e += if b[e] == b'\\' { 2 } else { 1 };
                    }
                    if e >= b.len() {
                        return Err("an unterminated quoted key");
                    }
                    let key: String =
                        serde_json::from_str(&path[i + 1..=e]).map_err(|_| "a bad quoted key")?;
                    segs.push(PlaceSeg::Key(key));
                    e + 1
                }
                _ => return Err("`[` must be followed by an index, `*` or a quoted key"),
            };
            if b.get(close) != Some(&b']') {
                return Err("a missing `]`");
            }
            i = close + 1;
        } else {
            let start = i;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            match &path[start..i] {
                "" => return Err("an empty key"),
                "*" => segs.push(PlaceSeg::Any),
                key => segs.push(PlaceSeg::Key(key.to_string())),
            }
        }
        match b.get(i) {
            None => return Ok(segs),
            Some(b'.') => {
                i += 1;
                if i == b.len() || b[i] == b'[' || b[i] == b'.' {
                    return Err("an empty key after `.`");
                }
            }
            Some(b'[') => {}
            Some(_) => return Err("`.` or `[` expected after `]`"),
        }
    }
}
