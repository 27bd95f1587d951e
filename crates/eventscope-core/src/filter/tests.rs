use super::*;

/// A frame as the store would present it, built from a message's JSON.
#[derive(Debug, Default, Clone)]
struct Item {
    text: String,
    message_type: Option<String>,
    event_name: Option<String>,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    message_id: Option<String>,
    write_key: Option<String>,
    rejected: bool,
}

impl Item {
    fn message(json: &str) -> Item {
        let v: serde_json::Value = serde_json::from_str(json).expect("test JSON");
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Item {
            text: json.to_string(),
            message_type: s("type"),
            event_name: s("event").or_else(|| s("name")),
            user_id: s("userId"),
            anonymous_id: s("anonymousId"),
            message_id: s("messageId"),
            ..Item::default()
        }
    }

    fn with_key(mut self, masked: &str) -> Item {
        self.write_key = Some(masked.to_string());
        self
    }

    fn rejected(body: &str) -> Item {
        Item {
            text: body.to_string(),
            rejected: true,
            ..Item::default()
        }
    }
}

impl Filterable for Item {
    fn text(&self) -> &str {
        &self.text
    }
    fn message_type(&self) -> Option<&str> {
        self.message_type.as_deref()
    }
    fn event_name(&self) -> Option<&str> {
        self.event_name.as_deref()
    }
    fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    fn anonymous_id(&self) -> Option<&str> {
        self.anonymous_id.as_deref()
    }
    fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }
    fn write_key(&self) -> Option<&str> {
        self.write_key.as_deref()
    }
    fn is_rejected(&self) -> bool {
        self.rejected
    }
}

fn order_completed() -> Item {
    Item::message(
        r#"{"type":"track","event":"Order Completed","userId":"u_42","anonymousId":"anon-1","messageId":"msg-0001","properties":{"revenue":150.5,"total":12,"coupon":"FREESHIP"},"context":{"library":{"name":"analytics.js","version":"1.0"}}}"#,
    )
    .with_key("wk_0…cdef")
}

fn product_viewed() -> Item {
    Item::message(
        r#"{"type":"track","event":"Product Viewed","anonymousId":"anon-2","messageId":"msg-0002","properties":{"revenue":20,"total":5,"name":"Trail Runner"},"context":{"library":{"name":"analytics-python","version":"2.3"}}}"#,
    )
    .with_key("ab…yz")
}

fn page() -> Item {
    Item::message(
        r#"{"type":"page","name":"Checkout","userId":"u_7","messageId":"MSG-0003","properties":{"path":"/checkout"}}"#,
    )
}

fn identify() -> Item {
    Item::message(
        r#"{"type":"identify","userId":"u_42","messageId":"msg-0004","traits":{"email":"x@example.com","plan":"Order Completed"}}"#,
    )
}

fn rejected() -> Item {
    Item::rejected(r#"{"batch": [ {"type":"track" "event":"Broken"} ]}"#)
}

fn all_items() -> Vec<(&'static str, Item)> {
    vec![
        ("order", order_completed()),
        ("viewed", product_viewed()),
        ("page", page()),
        ("identify", identify()),
        ("rejected", rejected()),
    ]
}

/// The names of the sample items `query` matches, in sample order.
fn matching(query: &str) -> Vec<&'static str> {
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{query:?}: {e} at {}", e.position));
    all_items()
        .into_iter()
        .filter(|(_, item)| q.matches(item))
        .map(|(name, _)| name)
        .collect()
}

fn err(query: &str) -> FilterError {
    match Query::parse(query) {
        Ok(_) => panic!("{query:?} should not parse"),
        Err(e) => e,
    }
}

/// Asserts the error names the problem (`needle`) and points at `position`.
#[track_caller]
fn assert_err(query: &str, needle: &str, position: usize) {
    let e = err(query);
    assert!(
        e.message.contains(needle),
        "{query:?}: message {:?} should mention {needle:?}",
        e.message
    );
    assert_eq!(
        e.position, position,
        "{query:?}: position of {:?}",
        e.message
    );
    assert_eq!(e.to_string(), e.message);
}

const EVERYTHING: [&str; 5] = ["order", "viewed", "page", "identify", "rejected"];

#[test]
fn empty_query_matches_everything() {
    for q in ["", "   ", "\t\n"] {
        let query = Query::parse(q).unwrap();
        assert!(query.is_empty());
        assert_eq!(query.source(), q);
        assert!(query.highlights().is_empty());
        assert_eq!(matching(q), EVERYTHING);
    }
    let default = Query::default();
    assert!(default.is_empty());
    assert_eq!(default.source(), "");
    assert!(all_items().iter().all(|(_, i)| default.matches(i)));
    assert!(!Query::parse("x").unwrap().is_empty());
}

#[test]
fn free_text_is_a_case_insensitive_substring_of_the_json() {
    assert_eq!(matching("freeship"), ["order"]);
    assert_eq!(matching("FreeShip"), ["order"]);
    assert_eq!(matching("analytics"), ["order", "viewed"]);
    assert_eq!(matching("u_42"), ["order", "identify"]);
    assert_eq!(matching("broken"), ["rejected"]);
    assert_eq!(matching("nowhere-to-be-found"), Vec::<&str>::new());
    // It searches the raw JSON, keys and punctuation included.
    assert_err(r#""type":"page""#, "after a closing quote", 6);
    assert_eq!(matching(r#""\"type\":\"page\"""#), ["page"]);
    assert_eq!(matching("traits"), ["identify"]);
}

#[test]
fn quoted_text_keeps_spaces_and_keywords() {
    assert_eq!(matching(r#""order completed""#), ["order", "identify"]);
    assert_eq!(matching("order completed"), ["order", "identify"]);
    // Unquoted, these are two ANDed words; quoted, one phrase.
    assert_eq!(matching("viewed product"), ["viewed"]);
    assert_eq!(matching(r#""viewed product""#), Vec::<&str>::new());
    // Quoted keywords are text.
    let q = Query::parse(r#""or""#).unwrap();
    assert!(q.matches(&Item::rejected("to be or not")));
    assert!(!q.matches(&Item::rejected("to be")));
    let q = Query::parse(r#"-"not""#).unwrap();
    assert!(q.matches(&Item::rejected("to be")));
    // A backslash before anything but `"` or `\` stays.
    let q = Query::parse(r#""a\nb""#).unwrap();
    assert!(q.matches(&Item::rejected(r#"{"x":"a\nb"}"#)));
    let q = Query::parse(r#""a\\b""#).unwrap();
    assert!(q.matches(&Item::rejected(r"a\b")));
    assert!(!q.matches(&Item::rejected(r"a\\b")));
}

#[test]
fn urls_and_times_are_text_not_fields() {
    let q = Query::parse("https://shop.example.com/cart").unwrap();
    assert!(q.matches(&Item::rejected(
        r#"{"url":"https://shop.example.com/cart"}"#
    )));
    assert!(!q.matches(&Item::rejected(r#"{"url":"https://shop.example.com/"}"#)));
    let q = Query::parse("10:30").unwrap();
    assert!(q.matches(&Item::rejected("at 10:30 sharp")));
}

#[test]
fn type_is_exact_and_case_insensitive() {
    assert_eq!(matching("type:track"), ["order", "viewed"]);
    assert_eq!(matching("type:TRACK"), ["order", "viewed"]);
    assert_eq!(
        matching("Type:Page"),
        ["page"],
        "field names are case-insensitive too"
    );
    assert_eq!(matching("type:identify"), ["identify"]);
    assert_eq!(matching("type:trac"), Vec::<&str>::new());
    assert_eq!(
        matching("type:track*"),
        Vec::<&str>::new(),
        "no globs for type"
    );
}

#[test]
fn event_matches_exactly_or_by_glob() {
    assert_eq!(matching(r#"event:"Order Completed""#), ["order"]);
    assert_eq!(
        matching(r#"event:"order completed""#),
        ["order"],
        "case-insensitive"
    );
    assert_eq!(
        matching("event:Order"),
        Vec::<&str>::new(),
        "exact, not substring"
    );
    assert_eq!(matching("event:Order*"), ["order"]);
    assert_eq!(matching("event:*Viewed"), ["viewed"]);
    assert_eq!(matching("event:*o*"), ["order", "viewed", "page"]);
    assert_eq!(
        matching("event:Checkout"),
        ["page"],
        "page and screen names"
    );
    assert_eq!(matching(r#"event:"* Viewed""#), ["viewed"]);
    // The identify's traits mention "Order Completed", but it has no event.
    assert_eq!(matching("event:*"), ["order", "viewed", "page"]);
}

#[test]
fn user_matches_user_id_or_anonymous_id() {
    assert_eq!(matching("user:u_42"), ["order", "identify"]);
    assert_eq!(matching("user:anon-2"), ["viewed"]);
    assert_eq!(
        matching("user:anon-1"),
        ["order"],
        "anonymousId of a known user"
    );
    assert_eq!(matching("user:anon-*"), ["order", "viewed"]);
    assert_eq!(matching("user:u_*"), ["order", "page", "identify"]);
    assert_eq!(matching("user:U_42"), Vec::<&str>::new(), "case-sensitive");
    assert_eq!(
        matching("user:u_4"),
        Vec::<&str>::new(),
        "exact, not substring"
    );
}

#[test]
fn id_matches_message_id() {
    assert_eq!(matching("id:msg-0002"), ["viewed"]);
    assert_eq!(matching("id:msg-*"), ["order", "viewed", "identify"]);
    assert_eq!(matching("id:MSG-*"), ["page"], "case-sensitive");
    assert_eq!(matching("id:*3"), ["page"]);
    assert_eq!(matching("id:msg-000"), Vec::<&str>::new());
}

#[test]
fn key_matches_the_full_key_or_a_masked_prefix() {
    // The order carries the masked form of `wk_0123456789abcdef` (19 chars).
    assert_eq!(matching("key:wk_0123456789abcdef"), ["order"]);
    assert_eq!(matching("key:wk_0XXXXXXXXXXcdef"), ["order"], "same mask");
    assert_eq!(matching("key:wk_0123456789abcdeF"), Vec::<&str>::new());
    assert_eq!(matching("key:wk_0…cdef"), ["order"], "the mask as shown");
    assert_eq!(matching("key:wk_0...cdef"), ["order"], "`...` for `…`");
    assert_eq!(matching("key:wk_0"), ["order"], "a prefix of the mask");
    assert_eq!(matching("key:wk_0…"), ["order"]);
    assert_eq!(matching("key:wk"), ["order"]);
    assert_eq!(matching("key:WK_0"), Vec::<&str>::new(), "case-sensitive");
    // 8–15 characters keep two on each side.
    assert_eq!(matching("key:abcdefghxyz"), ["viewed"], "same mask");
    assert_eq!(matching("key:abcdefghxyq"), Vec::<&str>::new());
    assert_eq!(matching("key:ab123456yz"), ["viewed"]);
    assert_eq!(matching("key:ab…yz"), ["viewed"]);
    assert_eq!(matching("key:ab…y"), ["viewed"]);
    assert_eq!(matching("key:a"), ["viewed"]);
    // Frames without a key never match.
    assert_eq!(matching("key:…"), Vec::<&str>::new());
    // Short keys are masked to nothing but `…`.
    let short = Item::rejected("x").with_key("…");
    assert!(Query::parse("key:abc").unwrap().matches(&short));
    assert!(!Query::parse("key:abcdefgh").unwrap().matches(&short));
}

#[test]
fn has_rejected() {
    assert_eq!(matching("has:rejected"), ["rejected"]);
    assert_eq!(matching("has:Rejected"), ["rejected"]);
    assert_eq!(
        matching("-has:rejected"),
        ["order", "viewed", "page", "identify"]
    );
}

#[test]
fn terms_are_anded() {
    assert_eq!(matching("type:track analytics.js"), ["order"]);
    assert_eq!(matching("user:u_42 type:identify"), ["identify"]);
    assert_eq!(matching("type:track type:page"), Vec::<&str>::new());
}

#[test]
fn or_binds_looser_than_and() {
    // (type:page) or (type:track freeship)
    assert_eq!(
        matching("type:page or type:track freeship"),
        ["order", "page"]
    );
    // (type:track freeship) or (type:page)
    assert_eq!(
        matching("type:track freeship or type:page"),
        ["order", "page"]
    );
    // Parentheses change it: type:track and (freeship or type:page).
    assert_eq!(matching("type:track (freeship or type:page)"), ["order"]);
    // (type:page or type:track) freeship
    assert_eq!(matching("(type:page or type:track) freeship"), ["order"]);
    assert_eq!(
        matching("type:page OR has:rejected Or type:identify"),
        ["page", "identify", "rejected"]
    );
}

#[test]
fn negation() {
    assert_eq!(matching("-type:track"), ["page", "identify", "rejected"]);
    assert_eq!(matching("not type:track"), ["page", "identify", "rejected"]);
    assert_eq!(matching("NOT type:track"), ["page", "identify", "rejected"]);
    assert_eq!(matching("type:track -freeship"), ["viewed"]);
    assert_eq!(matching("type:track not freeship"), ["viewed"]);
    assert_eq!(
        matching("-(type:track or type:page)"),
        ["identify", "rejected"]
    );
    assert_eq!(
        matching("not (type:track or has:rejected)"),
        ["page", "identify"]
    );
    assert_eq!(matching("not not type:page"), ["page"]);
    assert_eq!(matching("--type:page"), ["page"]);
    assert_eq!(
        matching(r#"-"order completed""#),
        ["viewed", "page", "rejected"]
    );
    assert_eq!(
        matching("-event:Order*"),
        ["viewed", "page", "identify", "rejected"]
    );
    // Negation applies to one term, not to the rest of the AND.
    assert_eq!(matching("-type:track user:u_42"), ["identify"]);
    // `-` inside a word is literal.
    assert_eq!(matching("anon-2"), ["viewed"]);
}

#[test]
fn nested_parentheses() {
    assert_eq!(
        matching("((type:track (event:Product* or freeship)) or (type:page -user:u_42))"),
        ["order", "viewed", "page"]
    );
    assert_eq!(matching("(type:track)(freeship)"), ["order"]);
    assert_eq!(matching("( ( has:rejected ) )"), ["rejected"]);
}

#[test]
fn jq_truthy_outputs_match() {
    assert_eq!(matching("jq: .properties.revenue > 100"), ["order"]);
    assert_eq!(matching("jq:.properties.revenue > 100"), ["order"]);
    assert_eq!(
        matching(r#"jq: .context.library.name | startswith("analytics")"#),
        ["order", "viewed"]
    );
    // Any truthy value, not only `true`.
    assert_eq!(matching("jq: .traits.email"), ["identify"]);
    assert_eq!(matching("jq: .properties.total"), ["order", "viewed"]);
    assert_eq!(
        matching("jq: .properties.total == 0 or .type == \"page\""),
        ["page"]
    );
    // At least one truthy output among many.
    assert_eq!(matching("jq: false, null, .userId == \"u_7\""), ["page"]);
    assert_eq!(
        matching("jq: .properties[]? | numbers | . > 100"),
        ["order"]
    );
    // Standard library definitions are available.
    assert_eq!(
        matching("jq: .properties | keys | any(. == \"coupon\")"),
        ["order"]
    );
    assert_eq!(matching(r#"jq: .messageId | test("^MSG")"#), ["page"]);
}

#[test]
fn jq_falsy_empty_and_errors_do_not_match() {
    assert_eq!(matching("jq: false"), Vec::<&str>::new());
    assert_eq!(matching("jq: null"), Vec::<&str>::new());
    assert_eq!(matching("jq: empty"), Vec::<&str>::new());
    assert_eq!(matching("jq: .missing"), Vec::<&str>::new());
    assert_eq!(matching("jq: .properties.missing"), Vec::<&str>::new());
    // Runtime errors: `.type` is a string, and the rejected body is not JSON.
    assert_eq!(matching("jq: .type.x"), Vec::<&str>::new());
    assert_eq!(
        matching("jq: true"),
        ["order", "viewed", "page", "identify"]
    );
    assert_eq!(matching(r#"jq: error("boom")"#), Vec::<&str>::new());
    // An error ends the outputs, as in jq: the later `true` is never reached.
    assert_eq!(matching(r#"jq: error("boom"), true"#), Vec::<&str>::new());
    assert_eq!(
        matching("jq: false, true"),
        ["order", "viewed", "page", "identify"]
    );
    // Negating a failing jq term matches.
    assert_eq!(matching("-jq: .type.x"), EVERYTHING);
}

#[test]
fn jq_has_no_side_effects_and_cannot_hang_on_many_outputs() {
    // `halt` would exit the process through jaq's usual error handling; here it is a no-match.
    assert_eq!(matching("jq: halt"), Vec::<&str>::new());
    assert_eq!(matching("jq: halt_error"), Vec::<&str>::new());
    // `debug` and `stderr` pass their input through without logging.
    assert_eq!(matching("jq: .userId == \"u_7\" | debug"), ["page"]);
    assert_eq!(matching("jq: .userId == \"u_7\" | stderr"), ["page"]);
    // `env` does not expose the environment.
    assert_eq!(
        matching("jq: env == {}"),
        ["order", "viewed", "page", "identify"]
    );
    // No inputs beyond the message.
    assert!(
        err("jq: input")
            .message
            .contains("undefined filter `input/0`")
    );
    // Endless falsy outputs give up.
    assert_eq!(matching("jq: repeat(false)"), Vec::<&str>::new());
    assert_eq!(matching("jq: repeat(false), true"), Vec::<&str>::new());
    assert_eq!(matching("jq: range(5000) | . == 10"), EVERYTHING[..4]);
    assert_eq!(matching("jq: range(5000) | . == 4000"), Vec::<&str>::new());
}

#[test]
fn jq_after_other_terms_is_anded_and_takes_the_rest() {
    assert_eq!(matching("type:track jq: .properties.total > 10"), ["order"]);
    assert_eq!(
        matching("type:page jq: .properties.total > 10"),
        Vec::<&str>::new()
    );
    assert_eq!(matching("-freeship jq: .properties.total > 1"), ["viewed"]);
    // The rest of the input belongs to jq, keywords and parentheses included.
    assert_eq!(
        matching(r#"type:track jq: (.properties.total > 10) or (.event | test("View"))"#),
        ["order", "viewed"]
    );
    // An `or` before it binds looser: type:page or (has:rejected-free jq).
    assert_eq!(
        matching("type:page or type:track jq: .properties.revenue < 100"),
        ["viewed", "page"]
    );
    assert_eq!(
        matching("(type:page or type:identify) jq: .userId == \"u_42\""),
        ["identify"]
    );
    assert_eq!(matching("not jq: .userId"), ["viewed", "rejected"]);
}

#[test]
fn highlights_are_positive_terms_and_literal_values() {
    let q = Query::parse(
        r#"FreeShip -secret event:Order* user:u_1 not id:m1 type:track key:abcd has:rejected jq: .x"#,
    )
    .unwrap();
    assert_eq!(q.highlights(), ["freeship", "order", "u_1"]);
    let q = Query::parse(r#""Order Completed" or event:"order completed" or not -abc"#).unwrap();
    assert_eq!(
        q.highlights(),
        ["order completed", "abc"],
        "deduplicated, even negations kept"
    );
    let q = Query::parse("-(a or (b -c)) id:*X*Y*").unwrap();
    assert_eq!(q.highlights(), ["c", "x", "y"]);
    assert!(Query::parse("jq: .a").unwrap().highlights().is_empty());
}

#[test]
fn query_is_cheap_to_share_across_threads() {
    fn send_sync<T: Send + Sync + Clone>(_: &T) {}
    let q = Query::parse("type:track freeship jq: .properties.total > 10").unwrap();
    send_sync(&q);
    let copy = q.clone();
    let handle = std::thread::spawn(move || copy.matches(&order_completed()));
    assert!(handle.join().unwrap());
    assert!(format!("{q:?}").contains("freeship"));
}

/// Checked against an independent reading of the 600 fixture messages.
#[test]
fn fixture_counts_agree_with_serde() {
    let fixture = include_str!("../../../../tests/fixtures/events.ndjson");
    let items: Vec<Item> = fixture.lines().map(Item::message).collect();
    let values: Vec<serde_json::Value> = fixture
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(items.len(), 600);
    let count = |query: &str| {
        let q = Query::parse(query).unwrap();
        items.iter().filter(|i| q.matches(*i)).count()
    };
    let expect = |f: &dyn Fn(&serde_json::Value) -> bool| values.iter().filter(|v| f(v)).count();
    let str_of =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);

    let tracks = expect(&|v| str_of(v, "type").as_deref() == Some("track"));
    assert!(tracks > 100);
    assert_eq!(count("type:track"), tracks);
    assert_eq!(count(r#"jq: .type == "track""#), tracks);
    assert_eq!(count("-type:track"), 600 - tracks);

    let orders = expect(&|v| {
        str_of(v, "type").as_deref() == Some("track")
            && str_of(v, "event").is_some_and(|e| e.to_lowercase().starts_with("order"))
    });
    assert!(orders > 0);
    assert_eq!(count("type:track event:Order*"), orders);

    let viewed = expect(&|v| {
        str_of(v, "event")
            .or_else(|| str_of(v, "name"))
            .is_some_and(|e| e.to_lowercase().ends_with("viewed"))
    });
    assert!(viewed > 0);
    assert_eq!(count("event:*viewed"), viewed);

    let needle = "product";
    let text = expect(&|v| v.to_string().to_lowercase().contains(needle));
    assert_eq!(count("PRODUCT"), text);

    let big = expect(&|v| {
        v.pointer("/properties/total")
            .and_then(|t| t.as_f64())
            .is_some_and(|t| t > 100.0)
    });
    assert!(big > 0);
    assert_eq!(count("jq: .properties.total > 100"), big);
    assert_eq!(count("type:track jq: .properties.total > 100"), big);
}

#[test]
fn error_unknown_field() {
    let e = err("foo:x");
    assert_eq!(
        e.message,
        "unknown field `foo`; fields: type, event, user, person, id, key, has, rule, pii, jq, fql, routed, \
         dropped, source, late, skew"
    );
    assert_eq!(e.position, 0);
    assert_err("type:track bar:baz", "unknown field `bar`", 11);
    assert_err("(a or Colour:x)", "unknown field `Colour`", 6);
    assert_err("x:", "unknown field `x`", 0);
}

#[test]
fn error_unterminated_quote() {
    assert_err(r#"abc "def"#, "unterminated quote", 4);
    assert_err(r#"event:"Order Completed"#, "unterminated quote", 6);
    assert_err(r#""a\""#, "unterminated quote", 0);
    assert_err(r#""a"b"#, "after a closing quote", 3);
    assert_err(r#"event:"a"b"#, "after a closing quote", 9);
}

#[test]
fn error_dangling_or() {
    assert_err("or a", "dangling `or`", 0);
    assert_err("a or", "dangling `or`", 2);
    assert_err("a OR or b", "dangling `or`", 2);
    assert_err("(a or) b", "dangling `or`", 3);
    assert_err("(or a)", "dangling `or`", 1);
    assert_err("a or )", "unbalanced parenthesis", 5);
}

#[test]
fn error_dangling_not_and_minus() {
    assert_err("a not", "dangling `not`", 2);
    assert_err("not or a", "dangling `not`", 0);
    assert_err("(a not)", "dangling `not`", 3);
    assert_err("a -", "dangling `-`", 2);
    assert_err("- a", "dangling `-`", 0);
    assert_err("-or a", "dangling `-`", 0);
    assert_err("(a -)", "dangling `-`", 3);
}

#[test]
fn error_empty_value() {
    assert_err("type:", "empty value after `type:`", 5);
    assert_err("a event: b", "empty value after `event:`", 8);
    assert_err(r#"user:"""#, "empty value after `user:`", 5);
    assert_err("(id:)", "empty value after `id:`", 4);
    assert_err("jq:", "empty value after `jq:`", 3);
    assert_err("type:track jq:   ", "empty value after `jq:`", 14);
    assert_err(r#"a """#, "empty value", 2);
}

#[test]
fn error_unbalanced_parentheses() {
    assert_err("(a", "unbalanced parenthesis: `(` is never closed", 0);
    assert_err("((a)", "unbalanced parenthesis: `(` is never closed", 0);
    assert_err("(a) (b", "unbalanced parenthesis: `(` is never closed", 4);
    assert_err(
        "a)",
        "unbalanced parenthesis: `)` without a matching `(`",
        1,
    );
    assert_err(
        "(a))",
        "unbalanced parenthesis: `)` without a matching `(`",
        3,
    );
    assert_err("()", "empty parentheses", 0);
    assert_err("a (  )", "empty parentheses", 2);
    // `jq:` swallows the closing parenthesis; the error says why.
    let e = err("(type:track jq: .x > 1)");
    assert_eq!(e.position, 0);
    assert!(e.message.contains("never closed") && e.message.contains("`jq:` takes the rest"));
}

#[test]
fn error_unknown_has_value() {
    let e = err("has:broken");
    assert_eq!(
        e.message,
        "unknown `has:` value `broken`; values: rejected, violation, pii, drift, bot"
    );
    assert_eq!(e.position, 4);
    assert_err(
        "type:track -has:nothing",
        "unknown `has:` value `nothing`",
        16,
    );
    assert_err("pii:green", "unknown `pii:` class `green`", 4);
}

/// An item with verdicts, as the TUI's rows give them.
struct Judged {
    rules: &'static str,
    violation: bool,
    pii: u8,
    drift: bool,
}

impl Filterable for Judged {
    fn text(&self) -> &str {
        "{}"
    }
    fn message_type(&self) -> Option<&str> {
        Some("track")
    }
    fn event_name(&self) -> Option<&str> {
        None
    }
    fn user_id(&self) -> Option<&str> {
        None
    }
    fn anonymous_id(&self) -> Option<&str> {
        None
    }
    fn message_id(&self) -> Option<&str> {
        None
    }
    fn write_key(&self) -> Option<&str> {
        None
    }
    fn is_rejected(&self) -> bool {
        false
    }
    fn rules(&self) -> &str {
        self.rules
    }
    fn has_violation(&self) -> bool {
        self.violation
    }
    fn pii_classes(&self) -> u8 {
        self.pii
    }
    fn has_drift(&self) -> bool {
        self.drift
    }
}

#[test]
fn verdict_terms() {
    let bad = Judged {
        rules: "plan/type pii/phone warehouse/type-conflict",
        violation: true,
        pii: super::PII_YELLOW,
        drift: true,
    };
    let clean = Judged {
        rules: "",
        violation: false,
        pii: 0,
        drift: false,
    };
    let matches = |q: &str, item: &Judged| Query::parse(q).unwrap().matches(item);
    for q in [
        "has:violation",
        "has:pii",
        "has:drift",
        "rule:warehouse/type-conflict",
        "rule:warehouse",
        "rule:plan/type",
        "rule:plan/*",
        "rule:pii/phone",
        "pii:yellow",
    ] {
        assert!(matches(q, &bad), "{q}");
        assert!(!matches(q, &clean), "{q}");
    }
    assert!(!matches("pii:red", &bad));
    assert!(matches("rule:plan", &bad), "rule:plan is rule:plan/*");
    assert!(matches("rule:pii", &bad));
    assert!(!matches("rule:plan", &clean));
    assert!(!matches("rule:spec", &bad));
    assert!(
        !matches("rule:plan/typ", &bad),
        "a code with `/` matches whole"
    );
    assert!(matches("-has:violation", &clean));
    assert!(matches("-has:drift", &clean));
}

#[test]
fn error_jq_compile_errors_point_into_the_expression() {
    // Parse error at the end of input.
    let q = "jq: .a +";
    assert_err(
        q,
        "invalid jq expression: expected term, found end of input",
        q.len(),
    );
    // Undefined filter, at its name.
    assert_err(
        "jq: foo(1)",
        "invalid jq expression: undefined filter `foo/1`",
        4,
    );
    assert_err(
        "type:track jq: .a | nosuch",
        "undefined filter `nosuch/0`",
        20,
    );
    assert_err("jq: $nope", "undefined variable", 4);
    // Unclosed delimiters point at the opener.
    assert_err("jq: .a | (.b", "`(` is never closed", 9);
    assert_err(r#"jq: "abc"#, "`\"` is never closed", 4);
    // An unexpected character.
    assert_err("jq: .a & .b", "unexpected character `&`", 7);
    assert_err("jq: .a )", "unexpected character `)`", 7);
    // An unexpected token.
    assert_err(
        "jq: if . then 1",
        "expected else or end, found end of input",
        15,
    );
    assert_err("jq: .a as 1", "expected pattern, found `1`", 10);
    // Imports are not available.
    assert_err(r#"jq: import "x" as x; ."#, "cannot import `x`", 12);
}

#[test]
fn error_too_deeply_nested() {
    let deep = format!("{}a{}", "(".repeat(65), ")".repeat(65));
    assert_err(&deep, "too deeply nested", 64);
    let ok = format!("{}type:page{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(matching(&ok), ["page"]);
    let nots = format!("{}type:page", "not ".repeat(64));
    assert_eq!(matching(&nots), ["page"]);
    assert_err(&format!("{}a", "-".repeat(100)), "too deeply nested", 64);
}

#[test]
fn matches_trait_objects() {
    let q = Query::parse("type:page").unwrap();
    let item: &dyn Filterable = &page();
    assert!(q.matches(item));
}

#[test]
fn error_jq_too_big_to_compile_safely() {
    let deep = format!("jq: {}1{}", "[".repeat(40), "]".repeat(40));
    assert_err(&deep, "invalid jq expression: nested too deeply", 4 + 32);
    let fine = format!(
        "jq: {}.type{} | flatten | .[0] == \"page\"",
        "[".repeat(32),
        "]".repeat(32)
    );
    assert_eq!(matching(&fine), ["page"], "32 levels compile");
    // Brackets inside strings do not count.
    let q = format!(r#"jq: .type | test("{}") | not"#, r"\\[".repeat(40));
    assert!(Query::parse(&q).is_ok(), "{q}");
    let long = format!("jq: true{}", " and true".repeat(200));
    assert_err(&long, "invalid jq expression: too long", 3 + 1024);
    let chain = format!("jq: 1{} > 0", " + 1".repeat(200));
    assert_eq!(matching(&chain), EVERYTHING[..4]);
}

#[test]
fn decided_without_jq_or_given_its_answer_the_result_is_the_same() {
    let queries = [
        "type:track",
        "jq: .properties.total > 10",
        "type:track jq: .properties.total > 10",
        "type:page jq: .properties.total > 10",
        "-freeship jq: .properties.total > 1",
        "type:page or type:track jq: .properties.revenue < 100",
        "(type:page or type:identify) jq: .userId == \"u_42\"",
        "not jq: .userId",
        "-jq: .type.x",
        "jq: error(\"boom\"), true",
    ];
    for query in queries {
        let q = Query::parse(query).unwrap();
        let jq = q
            .jq_code()
            .map(|code| jq::JqFilter::compile(code).unwrap_or_else(|e| panic!("{}", e.message)));
        for (name, item) in all_items() {
            let decided = match q.decide(&item) {
                Some(decided) => decided,
                None => {
                    let jq = jq.as_ref().expect("undecided only with a jq term");
                    q.matches_given(&item, jq.matches(item.text()))
                }
            };
            assert_eq!(decided, q.matches(&item), "{query:?} on {name}");
        }
    }
    // Without a jq term everything is decided; with one, cheap terms decide what they can.
    let q = Query::parse("type:page jq: .properties.total > 10").unwrap();
    assert_eq!(q.jq_code(), Some(".properties.total > 10"));
    assert_eq!(q.decide(&order_completed()), Some(false));
    assert_eq!(q.decide(&page()), None);
    assert_eq!(Query::parse("type:page").unwrap().jq_code(), None);
    assert!(all_items().iter().all(|(_, item)| {
        Query::parse("type:page or id:msg*")
            .unwrap()
            .decide(item)
            .is_some()
    }));
}

#[test]
fn fql_terms_run_segments_filter_query_language_on_the_message() {
    // Pasted from a workspace's destination filter, to the end of the input.
    assert_eq!(matching("fql: event = 'Order Completed'"), ["order"]);
    assert_eq!(
        matching("fql: type = 'identify' or properties.revenue > 100"),
        ["order", "identify"]
    );
    assert_eq!(
        matching(
            "fql: match(context.library.name, 'analytics*') and !contains(context.library.name, 'python')"
        ),
        ["order"]
    );
    assert_eq!(
        matching("fql: typeof(traits.email) = 'string'"),
        ["identify"]
    );
    // Combined with the viewer's own terms before it; the rejected body is not a message.
    assert_eq!(
        matching("u_42 fql: type in ['track', 'identify']"),
        ["order", "identify"]
    );
    assert_eq!(
        matching("fql: length(event) >= 0"),
        ["order", "viewed", "page", "identify"]
    );
    // A message the statement cannot be evaluated on does not match (Segment drops it).
    assert_eq!(
        matching("fql: lowercase(properties.total) = '12'"),
        Vec::<&str>::new()
    );
    assert_eq!(
        matching("-fql: event = 'Order Completed'"),
        ["viewed", "page", "identify", "rejected"]
    );
}

#[test]
fn fql_errors_point_into_the_statement() {
    assert_err("fql:", "expected an FQL condition", 4);
    assert_err("fql: event == 'x'", "no `==`", 11);
    assert_err(
        "type:track fql: event = 'é",
        "invalid FQL: expected a closing '",
        27,
    );
    assert_err(
        "(fql: event = 'x')",
        "`fql:` takes the rest of the input",
        0,
    );
}

/// Rows built with two configured destinations: `amp` (Analytics consent, drops Test Event)
/// and `mix` (Mixpanel).
fn routed_rows() -> Vec<(&'static str, crate::entry::Entry)> {
    let config = crate::config::Config::parse(
        r#"
[[destination]]
name = "amp"
kind = "amplitude"
api_key = "k"
consent = ["Analytics"]

[[destination.filter]]
if = "event = 'Test Event'"
action = "drop"

[[destination]]
name = "mix"
kind = "mixpanel"
token = "t"
"#,
        "eventscope.toml",
    )
    .unwrap();
    let (named, problems) = crate::routing::Named::all(&config.destination);
    assert!(problems.is_empty(), "{problems:?}");
    let mut builder = crate::entry::EntryBuilder::default();
    builder.set_routing(named.into());
    let consented = r#""context":{"consent":{"categoryPreferences":{"Analytics":true}}}"#;
    [
        (
            "both",
            format!(r#"{{"type":"track","event":"Signup",{consented}}}"#),
        ),
        (
            "no-consent",
            r#"{"type":"track","event":"Signup","context":{"consent":{"categoryPreferences":{"Analytics":false}}}}"#
                .to_string(),
        ),
        (
            "test",
            format!(r#"{{"type":"track","event":"Test Event",{consented}}}"#),
        ),
        (
            "off",
            format!(
                r#"{{"type":"track","event":"Signup","integrations":{{"Mixpanel":false}},{consented}}}"#
            ),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        let row = builder.event(
            1,
            "2026-12-05T08:00:00.000Z",
            crate::model::Source::default(),
            None,
            None,
            text.into(),
        );
        (name, row)
    })
    .collect()
}

fn routed_matching(query: &str) -> Vec<&'static str> {
    let q = Query::parse_for(query, &["amp", "mix"]).unwrap_or_else(|e| panic!("{query}: {e}"));
    routed_rows()
        .into_iter()
        .filter(|(_, row)| q.matches(row))
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn routed_and_dropped_terms_follow_each_destinations_verdict_and_reason() {
    assert_eq!(routed_matching("routed:amp"), ["both", "off"]);
    assert_eq!(routed_matching("dropped:amp"), ["no-consent", "test"]);
    assert_eq!(routed_matching("dropped:amp:consent"), ["no-consent"]);
    assert_eq!(routed_matching("dropped:amp:filter"), ["test"]);
    assert_eq!(routed_matching("dropped:AMP:Filter"), ["test"]);
    assert_eq!(
        routed_matching("dropped:amp:integrations"),
        Vec::<&str>::new()
    );
    assert_eq!(routed_matching("dropped:mix:integrations"), ["off"]);
    assert_eq!(
        routed_matching("routed:mix -routed:amp"),
        ["no-consent", "test"]
    );
    assert_eq!(
        routed_matching("dropped:mix or dropped:amp:consent"),
        ["no-consent", "off"]
    );
}

#[test]
fn an_unknown_destination_or_reason_is_an_error_naming_the_configured_ones() {
    let e = Query::parse_for("type:track dropped:ampl", &["amp", "mix"]).unwrap_err();
    assert_eq!(
        e.message,
        "unknown destination `ampl`; destinations: amp, mix"
    );
    assert_eq!(e.position, 19);
    let e = Query::parse_for("routed:amp:consent", &["amp"]).unwrap_err();
    assert!(
        e.message.contains("unknown destination `amp:consent`"),
        "{e}"
    );
    let e = Query::parse_for("dropped:amp:later", &["amp"]).unwrap_err();
    assert!(
        e.message
            .contains("unknown reason `later` in `dropped:`; reasons: consent, integrations"),
        "{e}"
    );
    assert_eq!(e.position, 12);
    let many: Vec<String> = (1..=22).map(|i| format!("d{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(Query::parse_for("routed:d21", &many).is_ok());
    let e = Query::parse_for("routed:d22", &many).unwrap_err();
    assert!(e.message.contains("only the first 21 are routed"), "{e}");
    let e = Query::parse("routed:amp").unwrap_err();
    assert!(e.message.contains("none is configured"), "{e}");
    // Rows built without destinations match neither.
    let q = Query::parse_for("routed:amp or dropped:amp", &["amp"]).unwrap();
    assert!(!q.matches(&order_completed()));
}

/// `has:bot` finds the rows a bot sent, as the viewer's rows are built (judged by an
/// inspector); `-has:bot` the people; with `[traffic] bot = "off"`, none.
#[test]
fn has_bot_finds_the_rows_a_bot_sent() {
    use crate::entry::EntryBuilder;
    use crate::inspect::Inspector;
    use crate::model::Source;
    use std::sync::Arc;
    let page = |user_agent: &str| {
        format!(
            r#"{{"type":"page","name":"Home","anonymousId":"a1","context":{{"userAgent":"{user_agent}"}}}}"#
        )
    };
    let googlebot =
        page("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
    let curl = page("curl/8.4.0");
    let person = page(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    );
    let rows = |inspector: Inspector| {
        let mut builder = EntryBuilder::judging(Arc::new(inspector));
        [&googlebot, &curl, &person]
            .into_iter()
            .enumerate()
            .map(|(seq, text)| {
                builder.event(
                    seq as u64,
                    "2026-12-05T12:00:00.000Z",
                    Source::default(),
                    None,
                    None,
                    text.as_str().into(),
                )
            })
            .collect::<Vec<_>>()
    };
    let matching = |q: &str, rows: &[crate::entry::Entry]| -> Vec<u64> {
        let query = Query::parse(q).unwrap();
        rows.iter()
            .filter(|row| query.matches(*row))
            .filter_map(|row| row.seq)
            .collect()
    };
    let judged = rows(Inspector::default());
    assert_eq!(matching("has:bot", &judged), [0, 1]);
    assert_eq!(matching("-has:bot", &judged), [2]);
    assert_eq!(matching("has:bot curl", &judged), [1]);
    assert_eq!(matching("HAS:BOT", &judged), [0, 1]);
    // A bot at info is no violation.
    assert_eq!(matching("has:violation", &judged), Vec::<u64>::new());
    let mut off = Inspector::default();
    off.traffic.bot = None;
    assert_eq!(matching("has:bot", &rows(off)), Vec::<u64>::new());
}

/// Rows as the viewer builds them: `[[source]]` labels and lateness from the time fields.
mod sources_and_lateness {
    use std::sync::Arc;

    use crate::entry::{Entry, EntryBuilder};
    use crate::filter::Query;
    use crate::model::{Source, SourceLabels, mask_secret};

    const WEB_KEY: &str = "wk_live_web_0123456789";
    const IOS_KEY: &str = "wk_live_ios_9876543210";

    fn row(key: &str, times: &str) -> Entry {
        let mut builder = EntryBuilder::default();
        builder.set_sources(Arc::new(SourceLabels::new([(WEB_KEY, "web")])));
        let text = format!(r#"{{"type":"track","event":"A","userId":"u1"{times}}}"#);
        builder.event(
            1,
            "2026-11-22T12:00:00.000Z",
            Source {
                write_key: Some(mask_secret(key)),
                ..Source::default()
            },
            None,
            None,
            text.into(),
        )
    }

    fn matches(filter: &str, entry: &Entry) -> bool {
        Query::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(entry)
    }

    #[test]
    fn source_matches_the_label_or_the_key_with_globs() {
        let web = row(WEB_KEY, "");
        let ios = row(IOS_KEY, "");
        assert_eq!(web.source.label.as_deref(), Some("web"));
        assert_eq!(ios.source.label, None);
        assert!(matches("source:web", &web) && !matches("source:web", &ios));
        assert!(matches("source:WE*", &web), "label globs, any case");
        // The key: its mask, a prefix of it, or the whole key as `key:` reads it.
        let ios_mask = mask_secret(IOS_KEY);
        assert!(matches(&format!("source:\"{ios_mask}\""), &ios));
        assert!(matches("source:wk_l*", &ios) && matches("source:wk_l*", &web));
        assert!(matches(&format!("source:{IOS_KEY}"), &ios));
        assert!(!matches(&format!("source:{IOS_KEY}"), &web));
        assert!(matches("-source:web", &ios));
    }

    #[test]
    fn late_and_skew_compare_durations_in_any_unit() {
        // Received 12:00:00, stamped 09:00 without sentAt: 3 hours late, skew unknown.
        let backdated = row(WEB_KEY, r#","timestamp":"2026-11-22T09:00:00.000Z""#);
        // The device clock 2 minutes ahead; sent 2 s after it happened.
        let skewed = row(
            WEB_KEY,
            r#","timestamp":"2026-11-22T12:01:58.000Z","sentAt":"2026-11-22T12:02:00.000Z""#,
        );
        let prompt = row(WEB_KEY, r#","timestamp":"2026-11-22T11:59:59.000Z""#);
        let none = row(WEB_KEY, "");
        assert!(matches("late:>5m", &backdated));
        assert!(matches("late:>2h", &backdated) && !matches("late:>3h", &backdated));
        assert!(matches("late:>179m", &backdated) && matches("late:>10799s", &backdated));
        assert!(!matches("late:>5m", &skewed), "the skew is corrected out");
        assert!(matches("late:<5s", &skewed) && matches("late:<5s", &prompt));
        assert!(!matches("late:<5s", &none) && !matches("late:>5s", &none));
        assert!(matches("skew:>1m", &skewed) && !matches("skew:>3m", &skewed));
        assert!(!matches("skew:>1m", &backdated), "no sentAt, no skew");
        assert!(matches(
            "late:>1d",
            &row(WEB_KEY, r#","timestamp":"2026-11-20T12:00:00Z""#)
        ));
        for bad in ["late:soon", "late:>5", "skew:>5y", "late:"] {
            let err = Query::parse(bad).err();
            assert!(
                err.as_ref().is_some_and(|e| e.message.contains("duration")
                    || e.message.contains("empty")
                    || e.message.contains("value")),
                "{bad}: {err:?}"
            );
        }
    }
}
