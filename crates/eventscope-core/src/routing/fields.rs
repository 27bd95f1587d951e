//! Field paths of allow/block filters, and which fields of a message they would strip.
//!
//! A path is dotted (`properties.products.sku`); `\` escapes the next character, so
//! `properties.product\.id` names the key `product.id`. Where a path meets an array it applies
//! to every element (`properties.products.price` strips `price` from each product). Stripped
//! fields are reported by path (keys escaped as written), without indexes, once each;
//! [`strip`] removes them from a message on its way out.

use crate::model::json::Json;

/// One field path, split into keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    keys: Vec<String>,
}

impl FieldPath {
    /// Parses a dotted path; empty keys and a trailing `\` are errors.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let mut keys = Vec::new();
        let mut key = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => key.push(escaped),
                    None => return Err(format!("field path `{text}` ends with `\\`")),
                },
                '.' => {
                    if key.is_empty() {
                        return Err(format!("field path `{text}` has an empty key"));
                    }
                    keys.push(std::mem::take(&mut key));
                }
                c => key.push(c),
            }
        }
        if key.is_empty() {
            return Err(format!("field path `{text}` has an empty key"));
        }
        keys.push(key);
        Ok(FieldPath {
            text: text.to_string(),
            keys,
        })
    }

    /// The path as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

/// Adds to `stripped` each of `paths` present in `message` (a block filter).
pub(super) fn block(message: &Json<'_>, paths: &[FieldPath], stripped: &mut Vec<String>) {
    for path in paths {
        if present(message, &path.keys) && !stripped.iter().any(|s| s == &path.text) {
            stripped.push(path.text.clone());
        }
    }
}

fn present(value: &Json<'_>, keys: &[String]) -> bool {
    let Some((first, rest)) = keys.split_first() else {
        return true;
    };
    match value {
        Json::Object(object) => object.get(first).is_some_and(|v| present(v, rest)),
        Json::Array(items) => items.iter().any(|item| present(item, keys)),
        _ => false,
    }
}

/// Adds to `stripped` every field an allow filter would remove: within each top-level object
/// the paths name (`properties`, `traits`, `context`), every member no path keeps. Top-level
/// objects no path names are left alone.
pub(super) fn allow(message: &Json<'_>, paths: &[FieldPath], stripped: &mut Vec<String>) {
    let mut stack: Vec<&str> = Vec::with_capacity(4);
    for (index, path) in paths.iter().enumerate() {
        let section = path.keys[0].as_str();
        if paths[..index].iter().any(|p| p.keys[0] == section) {
            continue;
        }
        if let Some(value) = message.get(section) {
            stack.clear();
            stack.push(section);
            allow_walk(value, paths, &mut stack, stripped);
        }
    }
}

/// `stack` holds the keys from the top to `value`; some path runs through all of them.
fn allow_walk<'p>(
    value: &'p Json<'_>,
    paths: &[FieldPath],
    stack: &mut Vec<&'p str>,
    stripped: &mut Vec<String>,
) {
    let depth = stack.len();
    // A path ending here keeps the whole value.
    if paths
        .iter()
        .any(|p| p.keys.len() == depth && runs_through(p, stack))
    {
        return;
    }
    match value {
        Json::Object(object) => {
            for (key, member) in object {
                let kept = paths.iter().any(|p| {
                    p.keys.len() > depth && p.keys[depth] == key && runs_through(p, stack)
                });
                if kept {
                    stack.push(key);
                    allow_walk(member, paths, stack, stripped);
                    stack.pop();
                } else {
                    let mut text = String::new();
                    for part in stack.iter().chain([&key]) {
                        if !text.is_empty() {
                            text.push('.');
                        }
                        escape_into(part, &mut text);
                    }
                    if !stripped.contains(&text) {
                        stripped.push(text);
                    }
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                allow_walk(item, paths, stack, stripped);
            }
        }
        _ => {}
    }
}

/// Appends `key` with `.` and `\\` escaped, so that [`FieldPath::parse`] reads it back.
fn escape_into(key: &str, out: &mut String) {
    for c in key.chars() {
        if c == '.' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Removes each of `paths` (as [`super::Verdict::Routed`] lists them) from `message`, from every
/// element where a path meets an array. A path that does not parse or is absent changes nothing.
pub fn strip(message: &mut serde_json::Value, paths: &[String]) {
    for path in paths {
        if let Ok(path) = FieldPath::parse(path) {
            remove(message, &path.keys);
        }
    }
}

fn remove(value: &mut serde_json::Value, keys: &[String]) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    match value {
        serde_json::Value::Object(object) if rest.is_empty() => {
            object.remove(first);
        }
        serde_json::Value::Object(object) => {
            if let Some(member) = object.get_mut(first) {
                remove(member, rest);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                remove(item, keys);
            }
        }
        _ => {}
    }
}

/// Whether `path` starts with the keys in `stack`.
fn runs_through(path: &FieldPath, stack: &[&str]) -> bool {
    path.keys.len() >= stack.len() && path.keys.iter().zip(stack).all(|(a, b)| a == b)
}
