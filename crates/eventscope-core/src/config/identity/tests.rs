use crate::config::Config;
use crate::identity::{ANONYMOUS_ID, EMAIL, ExtraIdentifier, Limit, Period, USER_ID};

fn parse(text: &str) -> Config {
    Config::parse(text, "eventscope.toml").unwrap()
}

fn error(text: &str) -> String {
    Config::parse(text, "my.toml").unwrap_err().to_string()
}

fn limit(count: u32, period: Option<Period>) -> Limit {
    Limit { count, period }
}

#[test]
fn no_table_is_segments_defaults() {
    let s = parse("theme = \"dark\"\n").identity;
    for blocked in ["", "000-000", "-1", "null", "anonymous"] {
        assert!(s.is_blocked(blocked), "{blocked:?}");
    }
    assert!(!s.is_blocked("abc123"));
    assert_eq!(s.limit(USER_ID), limit(1, None));
    assert_eq!(s.limit(ANONYMOUS_ID), limit(5, None));
    assert_eq!(s.priority, [USER_ID, EMAIL]);
    assert!(s.extra.is_empty());
    assert_eq!(s.max_identifiers, 1_000_000);
    assert_eq!(s.shared_identifier_users, 5);
    // An empty table is the same.
    let s = parse("[identity]\n").identity;
    assert!(s.is_blocked("null") && !s.is_blocked("abc123"));
    assert_eq!(s.priority, [USER_ID, EMAIL]);
}

#[test]
fn reads_the_documented_table() {
    let s = parse(
        r#"
[identity]
blocked = ["void", "abc123", "re:^test-.*$"]
limits = { user_id = 1, anonymous_id = "5 weekly", "ios.id" = "1 daily", email = "3", phone = "2 Monthly", ga_client_id = "10 annually" }
priority = ["user_id", "email", "phone"]
max_identifiers = 1_000
shared_identifier_users = 12

[[identity.identifier]]
type = "phone"
path = "traits.phone"

[[identity.identifier]]
type = "crm_id"
path = "context.traits.crm.id"
"#,
    )
    .identity;
    for blocked in [
        "void",
        "abc123",
        "test-",
        "test-42",
        "null",
        "0000",
        "anonymous",
    ] {
        assert!(s.is_blocked(blocked), "{blocked:?}");
    }
    for kept in ["Void", "abc1234", "a-test-1", "user-1"] {
        assert!(!s.is_blocked(kept), "{kept:?}");
    }
    assert_eq!(s.limit(USER_ID), limit(1, None));
    assert_eq!(s.limit(ANONYMOUS_ID), limit(5, Some(Period::Weekly)));
    assert_eq!(s.limit("ios.id"), limit(1, Some(Period::Daily)));
    assert_eq!(s.limit(EMAIL), limit(3, None));
    assert_eq!(s.limit("phone"), limit(2, Some(Period::Monthly)));
    assert_eq!(s.limit("ga_client_id"), limit(10, Some(Period::Annually)));
    assert_eq!(
        s.limit("android.id"),
        limit(5, None),
        "unlisted: the default"
    );
    assert_eq!(s.priority, [USER_ID, EMAIL, "phone"]);
    let mut kinds = ["ios.id", "phone", ANONYMOUS_ID, EMAIL, USER_ID, "crm_id"];
    kinds.sort_by_key(|k| s.rank(k));
    assert_eq!(
        kinds,
        [USER_ID, EMAIL, "phone", ANONYMOUS_ID, "crm_id", "ios.id"]
    );
    assert_eq!(s.max_identifiers, 1_000);
    assert_eq!(s.shared_identifier_users, 12);
    assert_eq!(
        s.extra,
        [
            ExtraIdentifier {
                kind: "phone".into(),
                path: "traits.phone".into(),
            },
            ExtraIdentifier {
                kind: "crm_id".into(),
                path: "context.traits.crm.id".into(),
            },
        ]
    );
}

#[test]
fn a_limit_overrides_only_its_type_and_priority_replaces_the_default() {
    let s =
        parse("[identity]\nlimits = { user_id = \"2 weekly\" }\npriority = [\"email\"]\n").identity;
    assert_eq!(s.limit(USER_ID), limit(2, Some(Period::Weekly)));
    assert_eq!(s.limits.len(), 1, "replaced, not added twice");
    assert_eq!(s.limit(ANONYMOUS_ID), limit(5, None));
    let mut kinds = [USER_ID, ANONYMOUS_ID, EMAIL];
    kinds.sort_by_key(|k| s.rank(k));
    assert_eq!(
        kinds,
        [EMAIL, ANONYMOUS_ID, USER_ID],
        "the rest alphabetical"
    );
}

#[test]
fn replace_default_blocked_keeps_only_the_listed_values() {
    let s = parse("[identity]\nblocked = [\"void\"]\nreplace_default_blocked = true\n").identity;
    assert!(s.is_blocked("void"));
    for now_allowed in ["null", "-1", "anonymous", "0"] {
        assert!(!s.is_blocked(now_allowed), "{now_allowed:?}");
    }
    // A pattern matches anywhere in the value unless anchored.
    let s = parse("[identity]\nblocked = [\"re:qa\", \"re:^x$\"]\n").identity;
    assert!(s.is_blocked("my-qa-user") && s.is_blocked("x") && !s.is_blocked("xx"));
    let s = parse("[identity]\nreplace-default-blocked = true\n").identity;
    assert!(s.blocked.is_empty(), "nothing blocked at all");
    let s = parse("[identity]\nblocked = [\"void\"]\nreplace_default_blocked = false\n").identity;
    assert!(s.is_blocked("void") && s.is_blocked("null"));
}

/// Each bad entry: (the table's lines, what the one-line error says, its line).
#[test]
fn every_bad_entry_is_a_one_line_error_naming_the_key() {
    let cases = [
        (
            "limits = { anonymous_id = \"5 fortnightly\" }",
            "[identity] limits.anonymous_id: \"5 fortnightly\": use N or \
             \"N daily|weekly|monthly|annually\"",
        ),
        (
            "limits = { user_id = 0 }",
            "[identity] limits.user_id: 0: use N",
        ),
        (
            "limits = { \"ios.id\" = \"0 daily\" }",
            "[identity] limits.\"ios.id\": \"0 daily\": use N",
        ),
        (
            "limits = { email = -3 }",
            "[identity] limits.email: -3: use N",
        ),
        (
            "limits = { email = \"five\" }",
            "limits.email: \"five\": use N",
        ),
        (
            "limits = { email = \"5 weekly x\" }",
            "\"5 weekly x\": use N",
        ),
        ("limits = { email = 2.5 }", "limits.email: 2.5: use N"),
        ("limits = { email = true }", "limits.email: true: use N"),
        ("limits = { \"\" = 1 }", "an empty identifier type"),
        (
            "limits = { ios.id = \"1 daily\" }",
            "[identity] limits.ios: a table: quote a type that has a dot, e.g. \"ios.id\" = 1",
        ),
        (
            "blocked = [\"re:(unclosed\"]",
            "[identity] blocked: \"re:(unclosed\": bad regex: regex parse error: (unclosed ^ \
             error: unclosed group",
        ),
        (
            "blocked = [\"re:\"]",
            "an empty pattern would block every value",
        ),
        ("blocked = \"void\"", "expected a sequence"),
        (
            "priority = [\"user_id\", \"email\", \"user_id\"]",
            "[identity] priority: \"user_id\" is listed twice",
        ),
        (
            "priority = [\"\"]",
            "[identity] priority: an empty identifier type",
        ),
        (
            "max_identifiers = 0",
            "[identity] max_identifiers: 0: use a whole number of at least 1",
        ),
        (
            "max_identifiers = \"lots\"",
            "max_identifiers: \"lots\": use a whole number",
        ),
        (
            "shared_identifier_users = 0",
            "[identity] shared_identifier_users: 0: use a whole number from 1 to 999 (default 5)",
        ),
        (
            "shared_identifier_users = 1000",
            "[identity] shared_identifier_users: 1000: use a whole number from 1 to 999",
        ),
        (
            "shared_identifier_users = \"many\"",
            "shared_identifier_users: \"many\": use a whole number",
        ),
        (
            "replace_default_blocked = \"yes\"",
            "invalid type: string \"yes\", expected a boolean",
        ),
        (
            "blocked_values = [\"void\"]",
            "unknown field `blocked_values`",
        ),
        (
            "[[identity.identifier]]\ntype = \"email\"\npath = \"traits.mail\"",
            "[[identity.identifier]] type = \"email\": a built-in identifier type (user_id, \
             anonymous_id, email,",
        ),
        (
            "[[identity.identifier]]\ntype = \"ios.id\"\npath = \"context.device.id\"",
            "type = \"ios.id\": a built-in identifier type",
        ),
        (
            "[[identity.identifier]]\ntype = \"phone\"\npath = \"traits.phone\"\n\
             [[identity.identifier]]\ntype = \"phone\"\npath = \"context.traits.phone\"",
            "[[identity.identifier]] type = \"phone\": defined twice",
        ),
        (
            "[[identity.identifier]]\ntype = \"phone\"\npath = \"traits..phone\"",
            "type = \"phone\": path \"traits..phone\": use a dot path",
        ),
        (
            "[[identity.identifier]]\ntype = \"phone\"\npath = \"\"",
            "path \"\": use a dot path",
        ),
        (
            "[[identity.identifier]]\ntype = \"\"\npath = \"x\"",
            "name the identifier type",
        ),
        (
            "[[identity.identifier]]\ntype = \"phone\"",
            "missing field `path`",
        ),
        (
            "[[identity.identifier]]\ntype = \"phone\"\npath = \"traits.phone\"\nfrom = \"x\"",
            "unknown field `from`",
        ),
    ];
    for (table, message) in cases {
        let (head, body) = if table.starts_with("[[") {
            ("", table.to_string())
        } else {
            ("[identity]\n", table.to_string())
        };
        let err = error(&format!("theme = \"dark\"\n{head}{body}\n"));
        assert!(err.starts_with("my.toml: "), "{table}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(
            err.contains(message),
            "{table}:\n  {err}\n  wants {message}"
        );
        assert!(err.contains("line "), "names the line: {err}");
    }
}

#[test]
fn an_error_names_the_line_of_its_key() {
    let err = error("[identity]\nblocked = [\"void\"]\nlimits = { anonymous_id = \"5 often\" }\n");
    assert!(err.contains("line 3"), "{err}");
    let err = error("[identity]\n\n\npriority = [\"email\", \"email\"]\n");
    assert!(err.contains("line 4"), "{err}");
}
