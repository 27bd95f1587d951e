//! The borrowed message tree (`model::json::Json`) as a JSON representation `jsonschema` can
//! validate directly: a plan rule checks the very tree the other verdicts read, with no
//! `serde_json::Value` built per message.

use std::borrow::Cow;

use jsonschema::json::{Array, Json as Representation, Node, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::Value;

use crate::model::json::{Json, Object as Members};

/// The representation marker for `jsonschema::options_for::<Borrowed>()`.
pub struct Borrowed;

impl Representation for Borrowed {
    type Node<'a> = &'a Json<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    // Objects are short vectors: a scan beats building anything.
    const KEYS_PER_LOOKUP: usize = 2;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(Self::Node<'_>) -> T) -> T {
        f(&Json::String(Cow::Borrowed(string)))
    }
}

impl<'a> Node<'a, Borrowed> for &'a Json<'a> {
    type Object = &'a Members<'a>;
    type Array = &'a [Json<'a>];
    type Number = &'a serde_json::Number;

    fn as_object(&self) -> Option<&'a Members<'a>> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&'a [Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Json::String(s) => Some(Cow::Borrowed(s.as_ref())),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<&'a serde_json::Number> {
        match self {
            Json::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    fn json_type(&self) -> JsonType {
        match self {
            Json::Null => JsonType::Null,
            Json::Bool(_) => JsonType::Boolean,
            Json::Number(_) => JsonType::Number,
            Json::String(_) => JsonType::String,
            Json::Array(_) => JsonType::Array,
            Json::Object(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Json::to_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(
            std::ptr::from_ref::<Json<'a>>(self) as usize
        ))
    }
}

impl<'a> Object<'a, Borrowed> for &'a Members<'a> {
    type Node = &'a Json<'a>;
    type MemberName = &'a str;
    type MembersIter = std::iter::Map<
        std::slice::Iter<'a, (Cow<'a, str>, Json<'a>)>,
        fn(&'a (Cow<'a, str>, Json<'a>)) -> (&'a str, &'a Json<'a>),
    >;

    fn len(&self) -> usize {
        Members::len(self)
    }

    fn get(&self, key: &String) -> Option<&'a Json<'a>> {
        Members::get(self, key)
    }

    fn members(&self) -> Self::MembersIter {
        self.entries().iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Array<'a, Borrowed> for &'a [Json<'a>] {
    type Node = &'a Json<'a>;
    type ElementsIter = std::slice::Iter<'a, Json<'a>>;

    fn len(&self) -> usize {
        <[Json<'a>]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Json<'a>> {
        (*self).iter()
    }
}
