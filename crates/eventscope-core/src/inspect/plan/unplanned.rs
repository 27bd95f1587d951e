//! Unplanned properties and traits: what each schema declares, collected at load, and one walk
//! over the message that reports the names no rule lists.

use std::fmt::Write as _;

use serde_json::Value;

use super::near::nearest;
use super::{FastMap, plan};
use crate::inspect::{Finding, Severity, describe};
use crate::model::json::Json;
use crate::model::path::PathNode;

/// An unplanned property or trait.
#[allow(clippy::too_many_arguments)]
pub(super) fn unplanned(
    is_trait: bool,
    path: String,
    severity: Severity,
    label: &str,
    why: &str,
    planned: &[&str],
    name: &str,
    actual: String,
) -> Finding {
    let (code, noun) = if is_trait {
        ("plan/unplanned-trait", "trait")
    } else {
        ("plan/unplanned-property", "property")
    };
    let mut text = format!("{path} is not in the tracking plan for {label}{why}");
    if let Some(near) = nearest(name, planned.iter().copied()) {
        let _ = write!(text, "; did you mean {near}?");
    }
    let mut names: Vec<&str> = planned.to_vec();
    names.sort_unstable();
    const SHOWN: usize = 8;
    let mut expected = format!("a planned {noun}");
    if !names.is_empty() {
        let _ = write!(expected, ": {}", names[..names.len().min(SHOWN)].join(", "));
        if names.len() > SHOWN {
            let _ = write!(expected, ", … ({} in all)", names.len());
        }
    }
    plan(code, path, severity, text)
        .expected(expected)
        .actual(actual)
}

/// What a schema declares about an object's members and an array's items, pre-collected at load
/// so a message is checked by walking it once, without validating again.
#[derive(Debug)]
pub(super) struct Shape {
    members: Option<Members>,
    items: Option<Box<Shape>>,
}

#[derive(Debug)]
struct Members {
    /// The names under `properties`, with what each declares in turn (when anything).
    names: FastMap<Box<str>, Option<Box<Shape>>>,
    /// Unlisted names are planned too: `patternProperties` or a permissive
    /// `additionalProperties`.
    open: bool,
    /// `additionalProperties: false`: jsonschema reports unlisted names.
    closed: bool,
}

impl Shape {
    /// `None` when the schema declares nothing to check.
    pub(super) fn of(schema: &Value) -> Option<Shape> {
        let s = schema.as_object()?;
        let additional = s.get("additionalProperties");
        let members = s
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| Members {
                names: props
                    .iter()
                    .map(|(name, sub)| (name.as_str().into(), Shape::of(sub).map(Box::new)))
                    .collect(),
                open: s.contains_key("patternProperties")
                    || additional.is_some_and(|a| a != &Value::Bool(false)),
                closed: additional == Some(&Value::Bool(false)),
            });
        let items = s
            .get("items")
            .filter(|items| items.is_object())
            .and_then(Shape::of)
            .map(Box::new);
        if members.is_none() && items.is_none() {
            return None;
        }
        Some(Shape { members, items })
    }
}

pub(super) struct Walk<'a> {
    pub(super) label: &'a str,
    /// What an unplanned name is (the policy's verdict; the walk is skipped when allowed).
    pub(super) severity: Severity,
    pub(super) traits: bool,
    pub(super) out: &'a mut Vec<Finding>,
}

impl Walk<'_> {
    /// Walks `value` with what the matched rule (`a`) and the common rule (`b`) declare there.
    pub(super) fn object(
        &mut self,
        a: Option<&Shape>,
        b: Option<&Shape>,
        value: &Json<'_>,
        at: &PathNode<'_>,
    ) {
        match value {
            Json::Object(object) => {
                let am = a.and_then(|s| s.members.as_ref());
                let bm = b.and_then(|s| s.members.as_ref());
                if am.is_none() && bm.is_none() {
                    return;
                }
                let report = ![am, bm].into_iter().flatten().any(|m| m.open || m.closed);
                for (name, member) in object {
                    let ca = am.and_then(|m| m.names.get(name));
                    let cb = bm.and_then(|m| m.names.get(name));
                    if ca.is_none() && cb.is_none() {
                        if report {
                            self.unplanned(am, bm, name, member, at);
                        }
                        continue;
                    }
                    let sa = ca.and_then(|c| c.as_deref());
                    let sb = cb.and_then(|c| c.as_deref());
                    if sa.is_some() || sb.is_some() {
                        self.object(sa, sb, member, &PathNode::Key(at, name));
                    }
                }
            }
            Json::Array(items) => {
                let ia = a.and_then(|s| s.items.as_deref());
                let ib = b.and_then(|s| s.items.as_deref());
                if ia.is_none() && ib.is_none() {
                    return;
                }
                for (i, item) in items.iter().enumerate() {
                    self.object(ia, ib, item, &PathNode::Index(at, i));
                }
            }
            _ => {}
        }
    }

    #[cold]
    fn unplanned(
        &mut self,
        am: Option<&Members>,
        bm: Option<&Members>,
        name: &str,
        value: &Json<'_>,
        at: &PathNode<'_>,
    ) {
        let planned: Vec<&str> = [am, bm]
            .into_iter()
            .flatten()
            .flat_map(|m| m.names.keys().map(AsRef::as_ref))
            .collect();
        let path = PathNode::Key(at, name).render();
        self.out.push(unplanned(
            self.traits,
            path,
            self.severity,
            self.label,
            "",
            &planned,
            name,
            describe(value),
        ));
    }
}
