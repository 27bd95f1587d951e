//! Walking a message: which top-level fields are looked at, what `context` and `traits` change
//! about the places below them, and how a match becomes a finding (severity, message, path).

use std::borrow::Cow;

use super::PiiMatchers;
use super::keys::Words;
use super::place::{Place, RESERVED_TRAITS, THING_LISTS};
use crate::inspect::{Finding, Kind, PiiClass, Severity};
use crate::model::json::{Json as Value, Object as Map};
use crate::model::path::PathNode;

/// Maximum nesting followed (serde_json refuses deeper documents anyway).
const MAX_DEPTH: usize = 128;

/// One walk over one message, appending findings to `out`.
pub(super) struct Scan<'m, 'o> {
    pub(super) m: &'m PiiMatchers,
    pub(super) out: &'o mut Vec<Finding>,
}

impl<'a> Scan<'_, '_> {
    /// Looks at the fields personal data may be in: `properties`, `traits`, `context` and the
    /// identity fields.
    pub(super) fn message(&mut self, message: &'a Map<'a>) {
        // Keys come sorted: `traits` before `type`, so traits wait for the type.
        let mut traits = None;
        let mut reserved_traits = false;
        for (key, value) in message {
            let node = PathNode::Key(&PathNode::Root, key);
            let place = Place::root(key);
            match key {
                "properties" => self.visit(value, &node, place, 1),
                "traits" => traits = Some((key, value)),
                "type" => {
                    reserved_traits = matches!(value.as_str(), Some("identify" | "group"));
                }
                "context" => self.context(value, &node, place),
                "userId" | "anonymousId" | "previousId" | "groupId" => {
                    let place = Place {
                        expected: true,
                        key_names: false,
                        ..place
                    };
                    self.visit(value, &node, place, 1);
                }
                _ => {}
            }
        }
        if let Some((key, value)) = traits {
            let node = PathNode::Key(&PathNode::Root, key);
            self.traits(value, &node, Place::root(key), reserved_traits);
        }
    }

    fn traits(&mut self, value: &'a Value, node: &PathNode<'_>, place: Place<'a>, reserved: bool) {
        let Value::Object(map) = value else {
            return self.visit(value, node, place, 1);
        };
        for (key, child) in map {
            let mut child_place = place.member(key);
            child_place.expected = place.expected
                || reserved && {
                    let words = Words::of(key);
                    RESERVED_TRAITS.iter().any(|seq| words.equals(seq))
                };
            let holder = Place {
                person_root: true,
                ..place
            };
            self.member(key, child, node, holder, child_place, 1);
        }
    }

    fn context(&mut self, value: &'a Value, node: &PathNode<'_>, place: Place<'a>) {
        let Value::Object(map) = value else {
            return self.visit(value, node, place, 1);
        };
        for (key, child) in map {
            let mut child_place = place.member(key);
            // The spec's own keys are not matched by name: what they hold is known.
            let mut holder = Place {
                key_names: false,
                ..place
            };
            match key {
                "traits" => {
                    let child_node = PathNode::Key(node, key);
                    let traits = Place {
                        expected: true,
                        ..child_place
                    };
                    // `context.traits.*` is expected as a whole.
                    self.traits(child, &child_node, traits, false);
                    continue;
                }
                "ip" | "device" | "location" | "groupId" => child_place.expected = true,
                // Facts the SDK fills in, in fixed formats.
                "library" | "os" | "screen" | "network" | "locale" | "timezone" | "active" => {
                    continue;
                }
                "app" | "userAgent" | "userAgentData" => {
                    child_place.numeric = false;
                    child_place.key_names = false;
                }
                "page" | "referrer" | "campaign" => child_place.key_names = false,
                _ => holder.key_names = true,
            }
            self.member(key, child, node, holder, child_place, 1);
        }
    }

    /// Visits member `key` of the object at `node`; `holder` is the object's place (whose
    /// `key_names` and `person_root` decide whether the key is matched), `place` the member's.
    fn member(
        &mut self,
        key: &'a str,
        value: &'a Value,
        node: &PathNode<'_>,
        holder: Place<'a>,
        mut place: Place<'a>,
        depth: usize,
    ) {
        let node = PathNode::Key(node, key);
        let rule = if holder.key_names {
            let lookup = Place {
                person_root: holder.person_root,
                ..place
            };
            self.m.key_rule(key, &lookup)
        } else {
            None
        };
        let customs = match &self.m.custom_key_set {
            Some(_) => self.custom_key_hits(key),
            None => Vec::new(),
        };
        let is_container = matches!(value, Value::Array(_) | Value::Object(_));
        if is_container && THING_LISTS.iter().any(|t| t.eq_ignore_ascii_case(key)) {
            place.key_names = false;
        }

        if is_container {
            if let Some((rule, class)) = rule
                && rule.takes.accepts(value)
            {
                self.key_finding(rule, class, value, &node, place);
                place.key_names = false;
            }
            if !customs.is_empty() {
                self.custom_key_findings(customs, value, &node, place);
            }
            self.visit(value, &node, place, depth);
            return;
        }

        let before = self.out.len();
        self.visit(value, &node, place, depth);
        if let Some((rule, class)) = rule
            && rule.takes.accepts(value)
        {
            let covered = self.out[before..]
                .iter()
                .any(|f| f.pii.is_some_and(|c| c >= class));
            if !covered {
                self.key_finding(rule, class, value, &node, place);
            }
        }
        if !customs.is_empty() {
            self.custom_key_findings(customs, value, &node, place);
        }
    }

    pub(super) fn visit(
        &mut self,
        value: &'a Value,
        node: &PathNode<'_>,
        place: Place<'a>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::String(s) => self.string(s, node, place),
            Value::Number(n) => self.number(n, node, place),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let node = PathNode::Index(node, i);
                    self.visit(item, &node, place, depth + 1);
                }
            }
            Value::Object(map) => self.object(map, node, place, depth),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn object(&mut self, map: &'a Map<'a>, node: &PathNode<'_>, place: Place<'a>, depth: usize) {
        for (key, child) in map {
            self.member(key, child, node, place, place.member(key), depth + 1);
        }
    }

    /// Records one finding at `node`: its severity from the class and the place, its message,
    /// and its path, written out only now.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        rule: Cow<'static, str>,
        class: PiiClass,
        what: &str,
        node: &PathNode<'_>,
        expected: bool,
        by_key: bool,
        actual: Option<String>,
    ) {
        let listed = self.m.configured_expected(node);
        let severity = if listed || (expected && class == PiiClass::Yellow) {
            Severity::Info
        } else if class == PiiClass::Red {
            Severity::Error
        } else {
            Severity::Warning
        };
        let path = node.render();
        let place = if listed {
            "a place listed in pii.expected"
        } else if severity == Severity::Info {
            "an expected place"
        } else {
            ""
        };
        let mut message = String::with_capacity(what.len() + path.len() + 48);
        message.push_str(what);
        message.push_str(" in ");
        message.push_str(&path);
        match (by_key, place) {
            (false, "") => {}
            (true, "") => message.push_str(" (going by its key)"),
            (false, place) => {
                message.push_str(" (");
                message.push_str(place);
                message.push(')');
            }
            (true, place) => {
                message.push_str(" (going by its key; ");
                message.push_str(place);
                message.push(')');
            }
        }
        let mut finding = Finding::new(Kind::Pii, rule, path, severity, message);
        finding.actual = actual;
        finding.pii = Some(class);
        self.out.push(finding);
    }
}
