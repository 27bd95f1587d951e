//! `jq:` terms: a jq program compiled once with jaq, run on each message's JSON.

use jaq_core::box_iter::box_once;
use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::native::{Fun, run, v};
use jaq_core::{Compiler, Ctx, ValT as _, Vars, data};
use jaq_json::Val;

type Data = data::JustLut<Val>;

/// At most this many outputs are looked at for a truthy one; a filter that yields more
/// (say `repeat(false)`) does not match instead of hanging the TUI.
const MAX_OUTPUTS: usize = 1024;

/// A compiled jq program.
pub(crate) struct JqFilter {
    filter: jaq_core::Filter<Data>,
    code: Box<str>,
}

/// A compile error: what is wrong and the byte offset in the jq code.
pub(crate) struct JqError {
    pub(crate) message: String,
    pub(crate) offset: usize,
}

impl JqFilter {
    /// Compiles `code` with jaq's core, standard and JSON libraries.
    pub(crate) fn compile(code: &str) -> Result<JqFilter, JqError> {
        check_size(code)?;
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs())
            .chain(jq_defs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errs| load_error(code, errs))?;
        let filter = Compiler::default()
            .with_funs(funs())
            .compile(modules)
            .map_err(|errs| {
                let first = errs.into_iter().flat_map(|(_file, errs)| errs).next();
                let Some((name, undefined)) = first else {
                    return JqError {
                        message: "cannot compile the jq program".to_string(),
                        offset: 0,
                    };
                };
                let what = match undefined {
                    jaq_core::compile::Undefined::Filter(arity) => format!("`{name}/{arity}`"),
                    _ => format!("`{name}`"),
                };
                JqError {
                    message: format!("undefined {} {what}", undefined.as_str()),
                    offset: offset_in(code, name),
                }
            })?;
        Ok(JqFilter {
            filter,
            code: code.trim().into(),
        })
    }

    /// The program's text, as compiled.
    pub(crate) fn code(&self) -> &str {
        &self.code
    }

    /// True when the program yields a truthy value (not `false` or `null`) for `json` before
    /// any error; false when `json` is not JSON, on a runtime error or with no truthy output.
    pub(crate) fn matches(&self, json: &str) -> bool {
        // Parsing dominates the cost of a jq term; serde_json builds the value about 30%
        // faster than jaq-json's own reader (numbers become i64/u64/f64, which is all a
        // filter compares).
        let Ok(input) = serde_json::from_str::<Val>(json) else {
            return false;
        };
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        for out in self.filter.id.run((ctx, input)).take(MAX_OUTPUTS) {
            match out {
                Ok(val) if val.as_bool() => return true,
                Ok(_) => {}
                // An error (or `halt`) ends the stream, as it does in jq.
                Err(_) => return false,
            }
        }
        false
    }

    /// Runs the program as a transform (the forward `transform` key): `Ok(None)` when it
    /// yields nothing or `null`, the value when it yields exactly one, an error (with jaq's
    /// message) on a runtime error, `halt`, or more than one output.
    pub(crate) fn transform(&self, json: &str) -> Result<Option<serde_json::Value>, String> {
        let input =
            serde_json::from_str::<Val>(json).map_err(|e| format!("input is not JSON: {e}"))?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input));
        let first = match outputs.next() {
            None => return Ok(None),
            Some(Ok(val)) => val,
            Some(Err(exn)) => return Err(exception_text(exn)),
        };
        match outputs.next() {
            None => {}
            Some(Ok(_)) => {
                return Err("yields more than one value; a transform must yield one message (or null/empty to drop it)".to_string());
            }
            Some(Err(exn)) => return Err(exception_text(exn)),
        }
        if matches!(first, Val::Null) {
            return Ok(None);
        }
        // jaq prints its values as JSON (byte strings and NaN aside, which then fail here).
        serde_json::from_str(&first.to_string())
            .map(Some)
            .map_err(|e| format!("output is not JSON: {e}"))
    }
}

fn exception_text(exn: jaq_core::Exn<'_, Val>) -> String {
    match exn.get_err() {
        // As jq prints it: a string error (`error("…")`, a type error) without its quotes.
        Ok(err) => {
            let text = err.into_val().to_string();
            serde_json::from_str::<String>(&text).unwrap_or(text)
        }
        Err(exn) => match exn.get_halt() {
            Ok(code) => format!("halted with exit code {code}"),
            Err(_) => "stopped unexpectedly".to_string(),
        },
    }
}

/// jaq parses, compiles and runs recursively: a pasted expression nested thousands deep
/// would overflow the stack and abort the process. Filter-bar expressions are short; with
/// these limits the worst shapes tried (`1+1+…`, `-----1`, `[[[…]]]`, `.|.|…`) run on a 2 MiB
/// thread in release builds (debug builds, with bigger frames, can still overflow on some).
const MAX_LEN: usize = 1024;
/// Deepest nesting of `(`, `[` and `{` outside string literals.
const MAX_NESTING: usize = 32;

fn check_size(code: &str) -> Result<(), JqError> {
    if code.len() > MAX_LEN {
        return Err(JqError {
            message: format!("too long ({} bytes; at most {MAX_LEN})", code.len()),
            offset: code.floor_char_boundary(MAX_LEN),
        });
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in code.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '(' | '[' | '{' if !in_string => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(JqError {
                        message: format!("nested too deeply (at most {MAX_NESTING} levels)"),
                        offset: i,
                    });
                }
            }
            ')' | ']' | '}' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Definitions that replace jaq's where jq's differ (later definitions shadow earlier ones).
/// With the patched `jaq-json` (vendor/jaq-json/PATCHED.md) updates through missing paths
/// build them as jq does; these make deleting a missing path leave the value as it is
/// (`del(.properties.email)` on an identify), where jaq's `f |= empty` would build the path.
const JQ_DEFS: &str = r#"
def _es_has_path($p):
  if $p == [] then true
  else $p[0] as $k
  | if type == "object" and ($k | type) == "string" then has($k) and (.[$k] | _es_has_path($p[1:]))
    elif type == "array" and ($k | type) == "number" then
      ($k < length and $k >= -length) and (.[$k] | _es_has_path($p[1:]))
    elif type == "array" and ($k | type) == "object" then true
    else false end
  end;
def delpaths($paths):
  reduce ($paths | unique | reverse)[] as $p (.; if _es_has_path($p) then getpath($p) |= empty else . end);
def del(f): delpaths([path(f)]);
"#;

fn jq_defs() -> impl Iterator<Item = load::parse::Def<&'static str>> {
    // A constant that parses (a unit test compiles programs using it): nothing to report.
    load::parse(JQ_DEFS, |p| p.defs())
        .unwrap_or_default()
        .into_iter()
}

/// The standard library without its side effects: `debug`/`stderr` would log on every
/// evaluated message, and `env` would expose the environment. They stay defined (so
/// programs using them compile) as harmless stand-ins.
fn funs() -> impl Iterator<Item = Fun<Data>> {
    const REPLACED: [&str; 3] = ["debug_empty", "stderr_empty", "env"];
    let quiet: [Fun<Data>; 3] = [
        run(("debug_empty", v(0), |_| Box::new(core::iter::empty()))),
        run(("stderr_empty", v(0), |_| Box::new(core::iter::empty()))),
        run(("env", v(0), |_| {
            box_once(Val::from_map([]).map_err(Into::into))
        })),
    ];
    jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, _, _)| !REPLACED.contains(name))
        .chain(quiet)
}

/// The byte offset of `part` in `code` when it is a slice of it, else 0.
fn offset_in(code: &str, part: &str) -> usize {
    let (start, p) = (code.as_ptr() as usize, part.as_ptr() as usize);
    if p >= start && p + part.len() <= start + code.len() {
        load::span(code, part).start
    } else {
        0
    }
}

fn load_error(code: &str, errs: load::Errors<&str, ()>) -> JqError {
    let fallback = JqError {
        message: "cannot load the jq program".to_string(),
        offset: 0,
    };
    let Some((_file, err)) = errs.into_iter().next() else {
        return fallback;
    };
    match err {
        load::Error::Lex(errs) => errs.first().map_or(fallback, |(expect, at)| {
            use load::lex::Expect;
            match expect {
                Expect::Delim(open) => JqError {
                    message: format!("`{open}` is never closed: expected {}", expect.as_str()),
                    offset: offset_in(code, open),
                },
                Expect::Token => JqError {
                    message: format!(
                        "unexpected character `{}`",
                        at.chars().next().unwrap_or(' ')
                    ),
                    offset: offset_in(code, at),
                },
                _ => JqError {
                    message: format!("expected {}", expect.as_str()),
                    offset: offset_in(code, at),
                },
            }
        }),
        load::Error::Parse(errs) => errs.first().map_or(fallback, |(expect, found)| {
            let found_text = if found.is_empty() {
                "end of input".to_string()
            } else {
                format!("`{found}`")
            };
            JqError {
                message: format!("expected {}, found {found_text}", expect.as_str()),
                offset: offset_in(code, found),
            }
        }),
        load::Error::Io(errs) => errs.first().map_or(fallback, |(path, why)| JqError {
            message: format!("cannot import `{path}`: {why}"),
            offset: offset_in(code, path),
        }),
    }
}
