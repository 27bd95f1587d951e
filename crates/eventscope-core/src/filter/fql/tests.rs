//! FQL: every example of the reference's FQL section, errors with columns, and generated
//! cases (no panic on any input; parse → print → parse round trip).

use proptest::prelude::*;

use super::*;

/// The reference's worked-example message.
const EXAMPLE: &str = r#"{"event":"Button Clicked","type":"track","context":{"library":{"name":"analytics.js","version":"1.0"}},"properties":{"features":["discounts","dark-mode"]}}"#;

fn eval_on(text: &str, message: &str) -> Result<bool, FqlError> {
    let json = Json::parse(message).unwrap();
    Query::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .matches(&json)
}

fn holds(text: &str, message: &str) -> bool {
    eval_on(text, message).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn the_references_worked_examples_hold() {
    for (text, expected) in [
        ("event = 'Button Clicked'", true),
        ("type = 'identify' or type = 'track'", true),
        ("match( context.library.version, '1.*' )", true),
        ("!contains( context.library.name, 'js' )", false),
        ("'dark-mode' in properties.features", true),
        ("context.path.path = '/login'", false),
    ] {
        assert_eq!(holds(text, EXAMPLE), expected, "{text}");
    }
}

#[test]
fn equality_is_strict_same_type_and_equal() {
    let m = r#"{"properties":{"n":1,"s":"1","b":true,"z":null,"l":["a",1]}}"#;
    assert!(holds("properties.n = 1", m));
    assert!(!holds("properties.n = '1'", m));
    assert!(!holds("properties.s = 1", m));
    assert!(holds("properties.s != 1", m));
    assert!(holds("properties.b = true", m));
    assert!(!holds("properties.b = 'true'", m));
    assert!(holds("properties.z = null", m));
    assert!(holds("properties.missing = null", m));
    assert!(holds("properties.l = ['a', 1]", m));
    assert!(!holds("properties.l = ['a', '1']", m));
    assert!(
        !holds("event = 'button clicked'", EXAMPLE),
        "equality is case-sensitive"
    );
}

#[test]
fn numeric_comparisons_hold_only_between_numbers() {
    let m = r#"{"properties":{"total":25.5,"s":"30"}}"#;
    assert!(holds("properties.total > 10", m));
    assert!(holds("properties.total >= 25.5", m));
    assert!(holds("properties.total < 1e2", m));
    assert!(holds("properties.total <= 25.5", m));
    assert!(!holds("properties.total < -3", m));
    assert!(!holds("properties.s > 10", m), "a string is not a number");
    assert!(!holds("properties.missing < 10", m));
}

#[test]
fn in_matches_literal_lists_and_message_lists() {
    assert!(holds("type in ['page', 'track']", EXAMPLE));
    assert!(!holds("type in ['page', 'screen']", EXAMPLE));
    assert!(!holds("'light-mode' in properties.features", EXAMPLE));
    assert!(
        !holds("'x' in properties.nothing", EXAMPLE),
        "null is no list"
    );
    assert!(holds("1 in [1, 2]", EXAMPLE));
    assert!(!holds("'1' in [1, 2]", EXAMPLE), "`in` is strict too");
    assert!(
        eval_on("'x' in event", EXAMPLE).is_err(),
        "a string is no list"
    );
}

#[test]
fn and_or_not_and_parentheses() {
    assert!(holds(
        "event = 'Button Clicked' and type = 'track'",
        EXAMPLE
    ));
    assert!(!holds(
        "event = 'Button Clicked' and type = 'page'",
        EXAMPLE
    ));
    assert!(holds(
        "type = 'page' or type = 'track' and event = 'Button Clicked'",
        EXAMPLE
    ));
    assert!(!holds(
        "(type = 'page' or type = 'track') and event = 'Nope'",
        EXAMPLE
    ));
    assert!(holds("!(type = 'page')", EXAMPLE));
    assert!(
        holds("!type = 'page'", EXAMPLE),
        "`!` covers the comparison"
    );
    assert!(holds("!!(type = 'track')", EXAMPLE));
}

#[test]
fn functions_do_what_the_reference_says() {
    let m = r#"{"event":"Héllo World","properties":{"tags":["a","b","c"],"n":3,"o":{"k":1}}}"#;
    assert!(holds("contains(event, 'World')", m));
    assert!(!holds("contains(event, 'world')", m));
    assert!(holds("length(event) = 12", m), "bytes: é is two");
    assert!(holds("length(properties.tags) = 3", m));
    assert!(holds("lowercase(event) = 'héllo world'", m));
    assert!(holds("typeof(event) = 'string'", m));
    assert!(holds("typeof(properties.n) = 'number'", m));
    assert!(holds("typeof(properties.tags) = 'list'", m));
    assert!(holds("typeof(true) = 'bool'", m));
    assert!(holds("typeof(properties.o) = 'object'", m));
    assert!(holds("contains(lowercase(event), 'world')", m));
    assert!(eval_on("lowercase(properties.n) = 'x'", m).is_err());
    assert!(eval_on("length(properties.n) = 1", m).is_err());
    assert!(eval_on("contains(properties.n, 'x')", m).is_err());
    assert!(eval_on("match(event, properties.n)", m).is_err());
}

#[test]
fn the_null_rules() {
    let m = r#"{"properties":{"z":null}}"#;
    assert!(!holds("contains(properties.z, 'a')", m));
    assert!(!holds("contains(properties.missing, 'a')", m));
    assert!(holds("length(properties.z) = 0", m));
    assert!(holds("lowercase(properties.z) = null", m));
    assert!(holds("typeof(properties.z) = 'null'", m));
    assert!(holds("typeof(properties.missing) = 'null'", m));
    assert!(!holds("match(properties.z, '*')", m));
    // `and` is true only when both sides are true, `or` when one is; null is not true.
    assert!(!holds("properties.z and true", m));
    assert!(!holds("true and properties.z", m));
    assert!(holds("properties.z or true", m));
    assert!(!holds("properties.z or false", m));
    assert!(holds("!properties.z", m));
    assert!(!holds("properties.z", m));
}

#[test]
fn match_globs_are_whole_string_and_case_sensitive() {
    for (pattern, text, expected) in [
        ("1.*", "1.0", true),
        ("1.*", "11.0", false),
        ("*", "", true),
        ("*", "anything", true),
        ("Order*", "Order Completed", true),
        ("order*", "Order Completed", false),
        ("*Completed", "Order Completed", true),
        ("Completed", "Order Completed", false),
        ("*der*", "Order Completed", true),
        ("?", "a", true),
        ("?", "ab", false),
        ("?", "é", true),
        ("a?c", "abc", true),
        ("[abc]x", "bx", true),
        ("[abc]x", "dx", false),
        ("[a-z]1", "q1", true),
        ("[a-z]1", "Q1", false),
        ("[!a-z]1", "Q1", true),
        ("[^a-z]1", "q1", false),
        ("[]]", "]", true),
        ("[a-]", "-", true),
        ("\\*", "*", true),
        ("\\*", "a", false),
        ("a\\?", "a?", true),
        ("\\[x]", "[x]", true),
        ("*a*a*a*a*a*b", &"a".repeat(200), false),
    ] {
        let stmt = format!("match(event, {})", ast::Expr::Str(pattern.to_string()));
        let message = serde_json::json!({ "event": text }).to_string();
        assert_eq!(holds(&stmt, &message), expected, "{pattern} on {text:?}");
    }
}

#[test]
fn escaped_paths_reach_keys_with_any_character() {
    let m = r#"{"properties":{"product 1":{"price":5},"a.b":true,"and":1,"ü":2,"2x":3}}"#;
    assert!(holds("properties.product\\ 1.price = 5", m));
    assert!(holds("properties.a\\.b = true", m));
    assert!(
        !holds("properties.a.b = true", m),
        "an unescaped dot walks down"
    );
    assert!(holds("properties.and = 1", m));
    assert!(holds("properties.\\ü = 2", m));
    assert!(holds("properties.2x = 3", m));
    let m = r#"{"and":7,"properties":{"items":[{"sku":"a"},{"sku":"b"}]}}"#;
    assert!(holds("\\and = 7", m), "an escaped keyword is a path");
    assert!(
        holds("properties.items.1.sku = 'b'", m),
        "numbers index arrays"
    );
}

#[test]
fn invalid_statements_are_errors_that_name_the_column() {
    for (text, column, expected) in [
        ("", 1, "expected a path"),
        ("event =", 8, "expected a path, a literal"),
        ("event = 'Button", 16, "closing '"),
        ("(event = 'a'", 13, "expected `)`"),
        ("event == 'a'", 7, "no `==`"),
        ("event = 'a' 'b'", 13, "expected `and`, `or`"),
        ("foo(event)", 1, "expected a function"),
        ("contains(event)", 1, "expected 2 argument(s)"),
        ("match(event, '[a-')", 14, "match() pattern"),
        ("match(event, '[z-a]')", 14, "reversed"),
        ("event = 'a' and", 16, "expected a path"),
        ("a = b = c", 7, "expected `and`, `or`"),
        ("type in [event]", 10, "expected a literal in the list"),
        ("properties..x = 1", 12, "path segment"),
        ("event = 1x", 10, "expected an operator"),
        ("event # 1", 7, "found `#`"),
        ("event = 'é' and ë", 17, "found `ë`"),
    ] {
        let err = Query::parse(text).expect_err(text);
        assert_eq!(err.column, column, "{text}: {err}");
        assert!(err.message.contains(expected), "{text}: {err}");
        assert!(
            err.to_string().contains(&format!("column {column}")),
            "{err}"
        );
    }
}

#[test]
fn nesting_is_bounded_with_a_clear_error() {
    let deep = format!(
        "{}true{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    let err = Query::parse(&deep).unwrap_err();
    assert!(err.message.contains("levels of nesting"), "{err}");
    let ok = format!(
        "{}true{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(Query::parse(&ok).is_ok());
    assert!(Query::parse(&"!".repeat(100_000)).is_err());
    assert!(Query::parse(&"[".repeat(100_000)).is_err());
    assert!(Query::parse(&"lowercase(".repeat(100_000)).is_err());
    // Long flat chains are fine: they are one node.
    let chain = vec!["type = 'track'"; 10_000].join(" and ");
    assert!(holds(&chain, EXAMPLE));
}

#[test]
fn the_canonical_form_parses_back_equal() {
    for text in [
        "event = 'Button Clicked'",
        "type = 'identify' or type = 'track'",
        "match( context.library.version, '1.*' )",
        "!contains( context.library.name, 'js' )",
        "'dark-mode' in properties.features",
        "(a or b) or c and (d and e)",
        "!(a and b) = (!c)",
        "properties.product\\ 1.price = -1.5e-7",
        "\\and = 'it\\'s \\\\ \"x\"'",
        "x in [1, 'a', [true, null], []]",
        "(!a) = b",
    ] {
        let query = Query::parse(text).unwrap();
        let printed = query.to_string();
        assert_eq!(Query::parse(&printed).unwrap(), query, "{text} → {printed}");
    }
    assert_eq!(
        Query::parse("match( context.library.version,\"1.*\" )and(x)")
            .unwrap()
            .to_string(),
        "match(context.library.version, '1.*') and x"
    );
}

#[test]
fn a_query_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Query>();
}

// ---- generated cases ----

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("event".to_string()),
        Just("type".to_string()),
        Just("properties".to_string()),
        Just("and".to_string()),
        Just("0".to_string()),
        "[a-z0-9 ._\\\\'é-]{1,6}",
    ]
}

fn literal() -> impl Strategy<Value = ast::Expr> {
    prop_oneof![
        Just(ast::Expr::Null),
        any::<bool>().prop_map(ast::Expr::Bool),
        (-1e6f64..1e6).prop_map(ast::Expr::Num),
        any::<i32>().prop_map(|n| ast::Expr::Num(n as f64)),
        "[a-zA-Z0-9 *?\\[\\]!\\\\'\"é.-]{0,8}".prop_map(ast::Expr::Str),
    ]
}

fn expr() -> impl Strategy<Value = ast::Expr> {
    use ast::{CmpOp, Col, Expr, Func};
    let leaf = prop_oneof![
        literal(),
        prop::collection::vec(segment(), 1..4).prop_map(Expr::Path),
        prop::collection::vec(literal(), 0..4).prop_map(Expr::List),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            (
                prop::sample::select(vec![
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Gt,
                    CmpOp::Ge,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::In
                ]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(op, l, r)| Expr::Cmp {
                    op,
                    left: Box::new(l),
                    right: Box::new(r),
                    col: Col(0)
                }),
            (
                prop::sample::select(Func::ALL.to_vec()),
                prop::collection::vec(inner, 2)
            )
                .prop_map(|(func, mut args)| {
                    args.truncate(func.arity());
                    Expr::Call {
                        func,
                        args,
                        glob: None,
                        col: Col(0),
                    }
                }),
        ]
    })
}

/// Tidies a generated tree into one the parser could produce: lists hold literals only, and
/// a literal `match()` pattern is compiled (or replaced when invalid).
fn normalize(e: ast::Expr) -> ast::Expr {
    use ast::{Expr, Func};
    match e {
        Expr::List(items) => Expr::List(
            items
                .into_iter()
                .map(|i| match i {
                    Expr::Path(_) => Expr::Null,
                    other => normalize(other),
                })
                .collect(),
        ),
        Expr::Not(inner) => Expr::Not(Box::new(normalize(*inner))),
        Expr::And(items) => Expr::And(items.into_iter().map(normalize).collect()),
        Expr::Or(items) => Expr::Or(items.into_iter().map(normalize).collect()),
        Expr::Cmp {
            op,
            left,
            right,
            col,
        } => Expr::Cmp {
            op,
            left: Box::new(normalize(*left)),
            right: Box::new(normalize(*right)),
            col,
        },
        Expr::Call {
            func, args, col, ..
        } => {
            let mut args: Vec<Expr> = args.into_iter().map(normalize).collect();
            let mut glob = None;
            if let (Func::Match, Some(Expr::Str(pattern))) = (func, args.get(1)) {
                match glob::Glob::compile(pattern) {
                    Ok(g) => glob = Some(g),
                    Err(_) => {
                        args[1] = Expr::Str("*".into());
                        glob = glob::Glob::compile("*").ok();
                    }
                }
            }
            Expr::Call {
                func,
                args,
                glob,
                col,
            }
        }
        other => other,
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "[a-z0-9 *?é.-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(segment(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_text_parses_or_errors_without_panicking(text in "[a-z0-9 ()\\[\\]!=<>,.'\"\\\\*?é-]{0,40}") {
        if let Ok(query) = Query::parse(&text) {
            let printed = query.to_string();
            prop_assert_eq!(Query::parse(&printed), Ok(query), "{} → {}", text, printed);
        } else if let Err(err) = Query::parse(&text) {
            prop_assert!(err.column >= 1 && err.column <= text.chars().count() + 1, "{}", err);
        }
    }

    #[test]
    fn printed_trees_parse_back_equal(e in expr()) {
        let query = Query { expr: normalize(e) };
        let printed = query.to_string();
        let parsed = Query::parse(&printed);
        prop_assert_eq!(parsed, Ok(query), "{}", printed);
    }

    #[test]
    fn random_expressions_over_random_messages_never_panic(e in expr(), message in json_value()) {
        let query = Query { expr: normalize(e) };
        let json = Json::from_value(&message);
        let _ = query.matches(&json);
        let reparsed = Query::parse(&query.to_string());
        prop_assert!(reparsed.is_ok());
        if let Ok(reparsed) = reparsed {
            let message_of = |r: Result<bool, FqlError>| r.map_err(|e| e.message);
            prop_assert_eq!(message_of(reparsed.matches(&json)), message_of(query.matches(&json)));
        }
    }
}
