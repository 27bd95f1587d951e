//! JSON values as literals of the languages whose SDKs take maps and lists (JavaScript, Python,
//! Ruby, Swift, Go), one table row per language: how null and booleans are spelled, how
//! strings are quoted, how maps, lists and keys are written. Short collections stay on one
//! line; longer ones get one member per line, with a trailing comma (all five allow it, Go
//! requires it).

use serde_json::Number;

use super::Members;
use crate::model::json::Json;

/// Lines longer than this break into one member per line.
pub(super) const WIDTH: usize = 64;

/// One level of indentation.
pub(super) const INDENT: &str = "  ";

/// A language's literal syntax.
pub(super) struct Syntax {
    pub null: &'static str,
    pub bools: [&'static str; 2],
    pub string: fn(&str) -> String,
    /// A map's key as written before its value, separator included: `'k': `, `k: `.
    pub key: fn(&str) -> String,
    pub number: fn(&Number) -> String,
    pub map: [&'static str; 2],
    pub empty_map: &'static str,
    pub list: [&'static str; 2],
    pub empty_list: &'static str,
    /// Spaces inside the brackets of a one-line map: `{ a: 1 }` in JavaScript and Ruby.
    pub padded: bool,
    /// Written after a map or list nested in another (Swift needs the type of a mixed one).
    pub nested_map: &'static str,
    pub nested_list: &'static str,
}

impl Syntax {
    /// `value` as a literal (at indent 0; continuation lines are indented from there).
    pub fn value(&self, value: &Json<'_>) -> String {
        self.write(value, false)
    }

    /// A map made of `members`.
    pub fn map_of(&self, members: &Members<'_, '_>) -> String {
        self.map_members(members, false)
    }

    fn write(&self, value: &Json<'_>, nested: bool) -> String {
        match value {
            Json::Null => self.null.to_string(),
            Json::Bool(b) => self.bools[usize::from(*b)].to_string(),
            Json::Number(n) => (self.number)(n),
            Json::String(s) => (self.string)(s),
            Json::Array(items) => {
                let items: Vec<String> = items.iter().map(|v| self.write(v, true)).collect();
                let suffix = if nested { self.nested_list } else { "" };
                if items.is_empty() {
                    return format!("{}{suffix}", self.empty_list);
                }
                format!("{}{suffix}", block(&self.list, &items, false))
            }
            Json::Object(object) => self.map_members(&super::members(object), nested),
        }
    }

    fn map_members(&self, members: &Members<'_, '_>, nested: bool) -> String {
        let suffix = if nested { self.nested_map } else { "" };
        if members.is_empty() {
            return format!("{}{suffix}", self.empty_map);
        }
        let items: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}{}", (self.key)(k), self.write(v, true)))
            .collect();
        format!("{}{suffix}", block(&self.map, &items, self.padded))
    }
}

/// `open items close` on one line when short, else one item per line with trailing commas.
pub(super) fn block(brackets: &[&str; 2], items: &[String], padded: bool) -> String {
    let [open, close] = brackets;
    if items.is_empty() {
        return format!("{open}{close}");
    }
    let inline = items.join(", ");
    if !inline.contains('\n') && inline.len() + open.len() + close.len() <= WIDTH {
        let pad = if padded { " " } else { "" };
        return format!("{open}{pad}{inline}{pad}{close}");
    }
    let mut out = format!("{open}\n");
    for item in items {
        out.push_str(INDENT);
        out.push_str(&indented(item, INDENT));
        out.push_str(",\n");
    }
    out.push_str(close);
    out
}

/// `text` with every line after the first indented by `pad` (literals never hold a raw line
/// break inside a string: every writer escapes them).
pub(super) fn indented(text: &str, pad: &str) -> String {
    text.replace('\n', &format!("\n{pad}"))
}

/// An identifier of the ASCII letters, digits and `_` (and `$` when `dollar`), not starting
/// with a digit.
pub(super) fn is_identifier(key: &str, dollar: bool) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (dollar && c == '$'))
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (dollar && c == '$'))
}

/// A string between `quote`s: backslash, the quote, line breaks and tabs escaped as `\n`,
/// other control characters (and U+2028, U+2029, U+FEFF, which some compilers refuse raw)
/// written by `other`.
pub(super) fn escape(s: &str, quote: char, extra: &[char], other: fn(u32) -> String) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote || extra.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&other(u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The number as JSON writes it: valid in JavaScript, Python, Ruby and Swift.
pub(super) fn json_number(n: &Number) -> String {
    n.to_string()
}

fn js_string(s: &str) -> String {
    escape(s, '"', &[], |c| format!("\\u{c:04x}"))
}

fn js_key(key: &str) -> String {
    if is_identifier(key, true) {
        format!("{key}: ")
    } else {
        format!("{}: ", js_string(key))
    }
}

pub(super) const JAVASCRIPT: Syntax = Syntax {
    null: "null",
    bools: ["false", "true"],
    string: js_string,
    key: js_key,
    number: json_number,
    map: ["{", "}"],
    empty_map: "{}",
    list: ["[", "]"],
    empty_list: "[]",
    padded: true,
    nested_map: "",
    nested_list: "",
};

pub(super) fn python_string(s: &str) -> String {
    escape(s, '\'', &[], |c| {
        if c <= 0xff {
            format!("\\x{c:02x}")
        } else {
            format!("\\u{c:04x}")
        }
    })
}

pub(super) const PYTHON: Syntax = Syntax {
    null: "None",
    bools: ["False", "True"],
    string: python_string,
    key: |k| format!("{}: ", python_string(k)),
    number: json_number,
    map: ["{", "}"],
    empty_map: "{}",
    list: ["[", "]"],
    empty_list: "[]",
    padded: false,
    nested_map: "",
    nested_list: "",
};

/// Double quotes, with `#` escaped so that `#{…}` never interpolates.
pub(super) fn ruby_string(s: &str) -> String {
    escape(s, '"', &['#'], |c| format!("\\u{{{c:x}}}"))
}

fn ruby_key(key: &str) -> String {
    if is_identifier(key, false) {
        format!("{key}: ")
    } else {
        // `"any key": value` is a symbol key too (Ruby 2.2+).
        format!("{}: ", ruby_string(key))
    }
}

pub(super) const RUBY: Syntax = Syntax {
    null: "nil",
    bools: ["false", "true"],
    string: ruby_string,
    key: ruby_key,
    number: json_number,
    map: ["{", "}"],
    empty_map: "{}",
    list: ["[", "]"],
    empty_list: "[]",
    padded: true,
    nested_map: "",
    nested_list: "",
};

pub(super) fn swift_string(s: &str) -> String {
    escape(s, '"', &[], |c| format!("\\u{{{c:x}}}"))
}

/// Swift integer literals must fit `Int`: a larger one is written as a floating-point literal.
fn swift_number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (None, Some(big)) => format!("{big}.0"),
        _ => n.to_string(),
    }
}

pub(super) const SWIFT: Syntax = Syntax {
    null: "NSNull()",
    bools: ["false", "true"],
    string: swift_string,
    key: |k| format!("{}: ", swift_string(k)),
    number: swift_number,
    map: ["[", "]"],
    empty_map: "[:]",
    list: ["[", "]"],
    empty_list: "[]",
    padded: false,
    nested_map: " as [String: Any]",
    nested_list: " as [Any]",
};

pub(super) fn go_string(s: &str) -> String {
    // `\x` writes a byte in Go: only ASCII may use it.
    escape(s, '"', &[], |c| {
        if c < 0x80 {
            format!("\\x{c:02x}")
        } else {
            format!("\\u{c:04x}")
        }
    })
}

/// An untyped Go constant becomes an `int` in an `interface{}`: a larger one needs `uint64`.
fn go_number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (None, Some(big)) => format!("uint64({big})"),
        _ => n.to_string(),
    }
}

pub(super) const GO: Syntax = Syntax {
    null: "nil",
    bools: ["false", "true"],
    string: go_string,
    key: |k| format!("{}: ", go_string(k)),
    number: go_number,
    map: ["map[string]interface{}{", "}"],
    empty_map: "map[string]interface{}{}",
    list: ["[]interface{}{", "}"],
    empty_list: "[]interface{}{}",
    padded: false,
    nested_map: "",
    nested_list: "",
};
