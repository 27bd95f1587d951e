//! The SDK call that would produce a message, for the Call tab, in the language and form of the
//! SDK that sent it (chosen by `context.library.name`): `analytics.track("Order Completed",
//! {…})` for analytics.js, `analytics.track(user_id='u', event='…')` for analytics-python, ….
//!
//! The call holds what a developer writes: the call's own fields, and for server SDKs the ids,
//! `context` and `integrations`. What an SDK or the server fills in (`messageId`, `timestamp`,
//! `sentAt`, `receivedAt`, `context.library`, `_metadata`, `writeKey`, …) is left out; Raw
//! shows the message as received. Each language's writer lives in its own file; every one
//! writes valid source for any JSON (strings escaped as that language wants).

mod go;
mod java;
mod js;
mod kotlin;
mod literal;
mod python;
mod ruby;
mod swift;
#[cfg(test)]
mod tests;

use super::json::{Json, Object};

/// The forms calls are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// analytics.js, analytics-next, RudderStack JS: `track(event, properties)`.
    Browser,
    /// analytics-node (Segment's and RudderStack's): `track({ userId, event, properties })`.
    Node,
    /// analytics-python and RudderStack's fork: keyword arguments.
    Python,
    Ruby,
    Go,
    Java,
    Swift,
    Kotlin,
}

/// `context.library.name` → the form and the object the calls are made on, as each SDK's
/// documentation writes them. Matched exactly; analytics-next also by its npm name.
const SDKS: [(&str, Form, &str); 12] = [
    ("analytics.js", Form::Browser, "analytics"),
    ("@segment/analytics-next", Form::Browser, "analytics"),
    (
        "RudderLabs JavaScript SDK",
        Form::Browser,
        "rudderanalytics",
    ),
    ("@segment/analytics-node", Form::Node, "analytics"),
    // Segment's analytics-node up to v6, and RudderStack's Node SDK (it sends the same name).
    ("analytics-node", Form::Node, "analytics"),
    ("analytics-python", Form::Python, "analytics"),
    ("rudder-analytics-python", Form::Python, "rudder_analytics"),
    ("analytics-ruby", Form::Ruby, "Analytics"),
    // Segment's and RudderStack's (a fork with the same API).
    ("analytics-go", Form::Go, "client"),
    ("analytics-java", Form::Java, "analytics"),
    ("analytics-swift", Form::Swift, "analytics"),
    ("analytics-kotlin", Form::Kotlin, "analytics"),
];

/// The form and receiver for a library name; unknown libraries get analytics.js's.
fn sdk_for(library: &str) -> (Form, &'static str) {
    SDKS.iter()
        .find(|(name, _, _)| *name == library)
        .map(|(_, form, receiver)| (*form, *receiver))
        .unwrap_or((Form::Browser, "analytics"))
}

/// One of the six calls; anything else is written as a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

impl Kind {
    fn of(message: &Object<'_>) -> Kind {
        match message.get("type").and_then(Json::as_str) {
            Some("identify") => Kind::Identify,
            Some("page") => Kind::Page,
            Some("screen") => Kind::Screen,
            Some("group") => Kind::Group,
            Some("alias") => Kind::Alias,
            _ => Kind::Track,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Track => "track",
            Kind::Identify => "identify",
            Kind::Page => "page",
            Kind::Screen => "screen",
            Kind::Group => "group",
            Kind::Alias => "alias",
        }
    }
}

/// An object's members, each key once (its last value, as JSON readers keep it), in order.
type Members<'m, 'a> = Vec<(&'m str, &'m Json<'a>)>;

fn members<'m, 'a>(object: &'m Object<'a>) -> Members<'m, 'a> {
    let mut out: Members<'m, 'a> = Vec::with_capacity(object.len());
    for (key, value) in object.iter() {
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(member) => member.1 = value,
            None => out.push((key, value)),
        }
    }
    out
}

/// What the developer passed, read from a message.
struct Parts<'m, 'a> {
    kind: Kind,
    /// Ids that are present and not blank (an empty id counts as absent).
    user_id: Option<&'m Json<'a>>,
    anonymous_id: Option<&'m Json<'a>>,
    /// `event` (track), `name` (page, screen).
    name: Option<&'m Json<'a>>,
    category: Option<&'m Json<'a>>,
    group_id: Option<&'m Json<'a>>,
    previous_id: Option<&'m Json<'a>>,
    /// `properties` (track, page, screen) or `traits` (identify, group); for identify, taken
    /// from `context.traits` when the message has none of its own (RudderStack puts them there).
    payload: Option<Members<'m, 'a>>,
    /// `context` without what the SDK fills in (`library`, and `traits` when they are the
    /// payload); `None` when nothing is left.
    context: Option<Members<'m, 'a>>,
    integrations: Option<Members<'m, 'a>>,
}

/// An id or name that is present: not null and not a blank string.
fn present<'m, 'a>(message: &'m Object<'a>, key: &str) -> Option<&'m Json<'a>> {
    message
        .get(key)
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

fn non_empty_object<'m, 'a>(value: Option<&'m Json<'a>>) -> Option<Members<'m, 'a>> {
    value
        .and_then(Json::as_object)
        .map(members)
        .filter(|m| !m.is_empty())
}

impl<'m, 'a> Parts<'m, 'a> {
    fn of(message: &'m Object<'a>) -> Parts<'m, 'a> {
        let kind = Kind::of(message);
        let context = message.get("context").and_then(Json::as_object);
        let context_traits = context.and_then(|c| c.get("traits"));
        let own_key = match kind {
            Kind::Identify | Kind::Group => "traits",
            _ => "properties",
        };
        let own = message.get(own_key).filter(|v| v.is_object());
        let payload_value = match (kind, own) {
            (Kind::Identify, None) => context_traits.filter(|v| v.is_object()),
            (_, own) => own,
        };
        let traits_are_payload =
            kind == Kind::Identify && context_traits.is_some() && context_traits == payload_value;
        let context = context
            .map(|c| {
                members(c)
                    .into_iter()
                    .filter(|(k, _)| *k != "library" && !(*k == "traits" && traits_are_payload))
                    .collect::<Members<'m, 'a>>()
            })
            .filter(|c| !c.is_empty());
        Parts {
            kind,
            user_id: present(message, "userId"),
            anonymous_id: present(message, "anonymousId"),
            name: match kind {
                Kind::Track => message.get("event"),
                Kind::Page | Kind::Screen => present(message, "name"),
                _ => None,
            },
            category: present(message, "category"),
            group_id: message.get("groupId"),
            previous_id: message.get("previousId"),
            payload: payload_value.and_then(Json::as_object).map(members),
            context,
            integrations: non_empty_object(message.get("integrations")),
        }
    }
}

/// The call as source in the sending SDK's language, or `None` when `text` is not a message
/// object.
pub fn sdk_call(text: &str) -> Option<String> {
    let message = Json::parse(text).ok()?;
    let message = message.as_object()?;
    let library = message
        .get("context")
        .and_then(|c| c.get("library"))
        .and_then(|l| l.get("name"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let (form, receiver) = sdk_for(library);
    let parts = Parts::of(message);
    let call = match form {
        Form::Browser => None,
        Form::Node => Some(js::object_form(receiver, &parts)),
        Form::Python => Some(python::call(receiver, &parts)),
        Form::Ruby => Some(ruby::call(receiver, &parts)),
        Form::Go => Some(go::call(receiver, &parts)),
        Form::Java => Some(java::call(receiver, &parts)),
        Form::Swift => swift::call(receiver, &parts),
        Form::Kotlin => kotlin::call(receiver, &parts),
    };
    // A call the SDK has no method for (a page from a mobile SDK) is shown as analytics.js's.
    Some(call.unwrap_or_else(|| {
        let receiver = if form == Form::Browser {
            receiver
        } else {
            "analytics"
        };
        js::positional(receiver, &parts)
    }))
}

/// `head(arg, arg)` on one line when it fits, else one argument per line; `trailing` adds a
/// comma after the last one there (languages that allow it).
fn call_args(head: &str, args: &[String], close: &str, trailing: bool) -> String {
    let inline = args.join(", ");
    if !inline.contains('\n') && head.len() + inline.len() + close.len() <= literal::WIDTH {
        return format!("{head}{inline}{close}");
    }
    // The last argument may open on the head's line when it alone spans lines: `f("a", {`.
    if let Some((last, rest)) = args.split_last()
        && !rest.iter().any(|a| a.contains('\n'))
        && last.contains('\n')
        && head.len() + rest.iter().map(|a| a.len() + 2).sum::<usize>() <= literal::WIDTH
    {
        let mut out = format!("{head}{}", rest.join(", "));
        if !rest.is_empty() {
            out.push_str(", ");
        }
        out.push_str(last);
        out.push_str(close);
        return out;
    }
    let mut out = format!("{head}\n");
    for (i, arg) in args.iter().enumerate() {
        out.push_str(literal::INDENT);
        out.push_str(&literal::indented(arg, literal::INDENT));
        if i + 1 < args.len() || trailing {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str(close);
    out
}

/// The call's arguments by their snake_case names (analytics-python's and analytics-ruby's
/// keywords), each written with `syntax`, in the order the SDKs' docs list them.
fn snake_arguments(parts: &Parts<'_, '_>, syntax: &literal::Syntax) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut arg = |key: &'static str, value: Option<&Json<'_>>| {
        if let Some(value) = value {
            out.push((key, syntax.value(value)));
        }
    };
    if parts.kind == Kind::Alias {
        arg("previous_id", parts.previous_id);
    }
    arg("user_id", parts.user_id);
    arg("anonymous_id", parts.anonymous_id);
    match parts.kind {
        Kind::Track => arg("event", parts.name),
        Kind::Page | Kind::Screen => {
            arg("category", parts.category);
            arg("name", parts.name);
        }
        Kind::Group => arg("group_id", parts.group_id),
        Kind::Identify | Kind::Alias => {}
    }
    let payload_key = match parts.kind {
        Kind::Identify | Kind::Group => "traits",
        _ => "properties",
    };
    if let Some(payload) = parts.payload.as_ref().filter(|_| parts.kind != Kind::Alias) {
        out.push((payload_key, syntax.map_of(payload)));
    }
    if let Some(context) = &parts.context {
        out.push(("context", syntax.map_of(context)));
    }
    if let Some(integrations) = &parts.integrations {
        out.push(("integrations", syntax.map_of(integrations)));
    }
    out
}
