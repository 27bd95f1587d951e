//! Unit tests of the pretty-printer: layout, paths, ranges, folds and bounds.

use super::*;

fn texts(doc: &PrettyDoc) -> Vec<&str> {
    doc.lines.iter().map(|l| l.text.as_str()).collect()
}

fn paths(doc: &PrettyDoc) -> Vec<&str> {
    doc.lines.iter().map(|l| l.path.as_str()).collect()
}

fn reparsed(doc: &PrettyDoc) -> serde_json::Value {
    let joined: String = doc.lines.iter().map(|l| l.text.trim()).collect();
    serde_json::from_str(&joined).expect("pretty output is JSON")
}

#[test]
fn nested_objects_and_arrays() {
    let doc = pretty(r#"{"a":1,"b":{"c":[true,false,null],"d":"x"},"e":[[1,2],{"f":3}]}"#);
    assert_eq!(
        texts(&doc),
        [
            "{",
            r#"  "a": 1,"#,
            r#"  "b": {"#,
            r#"    "c": ["#,
            "      true,",
            "      false,",
            "      null",
            "    ],",
            r#"    "d": "x""#,
            "  },",
            r#"  "e": ["#,
            "    [",
            "      1,",
            "      2",
            "    ],",
            "    {",
            r#"      "f": 3"#,
            "    }",
            "  ]",
            "}",
        ]
    );
    assert_eq!(
        paths(&doc),
        [
            "", "a", "b", "b.c", "b.c[0]", "b.c[1]", "b.c[2]", "b.c", "b.d", "b", "e", "e[0]",
            "e[0][0]", "e[0][1]", "e[0]", "e[1]", "e[1].f", "e[1]", "e", "",
        ]
    );
    let depths: Vec<u16> = doc.lines.iter().map(|l| l.depth).collect();
    assert_eq!(
        depths,
        [0, 1, 1, 2, 3, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 2, 3, 2, 1, 0]
    );
}

/// Each line's fold as `(close, items, object)`.
fn folds(doc: &PrettyDoc) -> Vec<Option<(usize, usize, bool)>> {
    doc.lines
        .iter()
        .map(|l| l.fold.map(|f| (f.close, f.items, f.object)))
        .collect()
}

#[test]
fn folds_know_their_close_and_count() {
    let doc = pretty(r#"{"a":1,"b":{"c":[true,false,null],"d":"x"},"e":[[1,2],{"f":3}]}"#);
    assert_eq!(
        folds(&doc),
        [
            Some((19, 3, true)),
            None,
            Some((9, 2, true)),
            Some((7, 3, false)),
            None,
            None,
            None,
            None,
            None,
            None,
            Some((18, 2, false)),
            Some((14, 2, false)),
            None,
            None,
            None,
            Some((17, 1, true)),
            None,
            None,
            None,
            None,
        ]
    );
    // The close line carries the container's path and the opening line's depth.
    for (open, line) in doc.lines.iter().enumerate() {
        if let Some(fold) = line.fold {
            let close = &doc.lines[fold.close];
            assert_eq!(close.path, line.path);
            assert_eq!(close.depth, line.depth);
            assert!(fold.close > open);
        }
    }
}

#[test]
fn empty_containers_and_scalars_do_not_fold() {
    let doc = pretty(r#"{"a":{},"b":[],"c":[{}, []],"d":[{"x":{}}]}"#);
    assert_eq!(
        folds(&doc),
        [
            Some((12, 4, true)),
            None,
            None,
            Some((6, 2, false)),
            None,
            None,
            None,
            Some((11, 1, false)),
            Some((10, 1, true)),
            None,
            None,
            None,
            None,
        ]
    );
    assert_eq!(folds(&pretty("{}")), [None]);
    assert_eq!(folds(&pretty("42.50")), [None]);
}

#[test]
fn raw_and_cut_documents_have_no_dangling_folds() {
    for raw in ["{\"a\": [1, 2", "not json\n{\n}", "[1,]"] {
        assert!(pretty(raw).lines.iter().all(|l| l.fold.is_none()), "{raw}");
    }
    // Cut before the outer object closes: the inner array closed, the object did not.
    let (doc, cut) = pretty_within(
        r#"{"a":[1,2],"b":3,"c":4}"#,
        Bounds {
            lines: 6,
            ..Bounds::NONE
        },
    );
    assert!(cut);
    assert_eq!(
        folds(&doc),
        [None, Some((4, 2, false)), None, None, None, None]
    );
}

#[test]
fn empty_containers_stay_on_one_line() {
    let doc = pretty(r#" { "a" : { } , "b":[ ],"c":[{}, []] } "#);
    assert_eq!(
        texts(&doc),
        [
            "{",
            r#"  "a": {},"#,
            r#"  "b": [],"#,
            r#"  "c": ["#,
            "    {},",
            "    []",
            "  ]",
            "}",
        ]
    );
    assert_eq!(paths(&doc), ["", "a", "b", "c", "c[0]", "c[1]", "c", ""]);
    assert!(doc.lines.iter().all(|l| l.value.is_none()));
    assert_eq!(texts(&pretty("{}")), ["{}"]);
    assert_eq!(texts(&pretty("\n[ \t]\r\n")), ["[]"]);
}

#[test]
fn scalar_roots() {
    for text in ["0", "-1.5", "\"x\"", "true", "false", "null"] {
        let doc = pretty(text);
        assert_eq!(texts(&doc), [text]);
        assert_eq!(doc.lines[0].value, Some(0..text.len()));
        assert_eq!(doc.lines[0].path, "");
    }
    let doc = pretty("[1]");
    assert_eq!(paths(&doc), ["", "[0]", ""]);
}

#[test]
fn escapes_are_kept_byte_exact() {
    let input = r#"{"s":"say \"hi\" \\ caf\u00e9 \/ \n\t","k\"ey":"é🙂"}"#;
    let doc = pretty(input);
    assert_eq!(
        texts(&doc),
        [
            "{",
            r#"  "s": "say \"hi\" \\ caf\u00e9 \/ \n\t","#,
            r#"  "k\"ey": "é🙂""#,
            "}",
        ]
    );
    assert_eq!(paths(&doc), ["", "s", r#"["k\"ey"]"#, ""]);
    assert_eq!(
        reparsed(&doc),
        serde_json::from_str::<serde_json::Value>(input).unwrap()
    );
}

#[test]
fn key_and_value_ranges() {
    let doc = pretty(r#"{"properties":{"revenue":42.50,"tags":["a"]}}"#);
    let line = &doc.lines[2];
    assert_eq!(line.text, r#"    "revenue": 42.50,"#);
    assert_eq!(&line.text[line.key.clone().unwrap()], r#""revenue""#);
    assert_eq!(&line.text[line.value.clone().unwrap()], "42.50");
    let open = &doc.lines[1];
    assert_eq!(&open.text[open.key.clone().unwrap()], r#""properties""#);
    assert_eq!(open.value, None);
    let element = &doc.lines[4];
    assert_eq!(element.text, r#"      "a""#);
    assert_eq!(element.key, None);
    assert_eq!(&element.text[element.value.clone().unwrap()], r#""a""#);
}

#[test]
fn odd_keys_are_bracketed() {
    let doc = pretty(
        r#"{"context":{"user-agent":"x","a b":1,"ok_1":2,"1x":3,"":4,"caf\u00e9":5,"_u":6,"$set":7}}"#,
    );
    assert_eq!(
        paths(&doc),
        [
            "",
            "context",
            r#"context["user-agent"]"#,
            r#"context["a b"]"#,
            "context.ok_1",
            r#"context["1x"]"#,
            r#"context[""]"#,
            r#"context["café"]"#,
            "context._u",
            r#"context["$set"]"#,
            "context",
            "",
        ]
    );
    assert_eq!(key_path("", "user-agent"), r#"["user-agent"]"#);
    assert_eq!(key_path("", "userId"), "userId");
    assert_eq!(index_path("products", 3), "products[3]");
}

#[test]
fn numbers_are_kept_exactly() {
    let numbers = [
        "1e-7",
        "42.50",
        "-0",
        "-0.0",
        "1E+10",
        "2.5e3",
        "123456789012345678901234567890",
        "0.1000",
    ];
    let input = format!("[{}]", numbers.join(","));
    let doc = pretty(&input);
    for (i, number) in numbers.iter().enumerate() {
        let line = &doc.lines[i + 1];
        assert_eq!(&line.text[line.value.clone().unwrap()], *number);
        assert_eq!(line.path, format!("[{i}]"));
    }
}

#[test]
fn path_and_line_of() {
    let doc = pretty(
        r#"{"properties":{"revenue":42.50,"products":[{"price":1},{"price":2}]},"context":{"user-agent":"x"}}"#,
    );
    let at = |path: &str| doc.line_of(path).map(|i| doc.lines[i].text.trim());
    assert_eq!(at(""), Some("{"));
    assert_eq!(at("properties.revenue"), Some(r#""revenue": 42.50,"#));
    assert_eq!(at("properties.products"), Some(r#""products": ["#));
    assert_eq!(at("properties.products[1].price"), Some(r#""price": 2"#));
    assert_eq!(at(r#"context["user-agent"]"#), Some(r#""user-agent": "x""#));
    assert_eq!(at("properties.missing"), None);
    // The closing line of a container carries its path, after the opening line.
    let closing = doc
        .lines
        .iter()
        .rposition(|l| l.path == "properties")
        .unwrap();
    assert_eq!(doc.lines[closing].text, "  },");
    assert!(closing > doc.line_of("properties").unwrap());
}

#[test]
fn invalid_json_falls_back_to_raw_lines() {
    let cases = [
        "",
        "   ",
        "{\"a\": [1, 2",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "[1,]",
        "[1 2]",
        "{1:2}",
        "tru",
        "nul",
        "01",
        "1.",
        "1e",
        "-",
        "+1",
        ".5",
        "\"\\x\"",
        "\"\\u12g4\"",
        "\"unterminated",
        "\"tab\tinside\"",
        "{} x",
        "{}{}",
        "[1]]",
        "{\"a\":1]",
        "\u{feff}{}",
        "line one\nline two\r\n{",
    ];
    for case in cases {
        let doc = pretty(case);
        let expected: Vec<&str> = case.lines().collect();
        assert_eq!(texts(&doc), expected, "input {case:?}");
        assert!(
            doc.lines
                .iter()
                .all(|l| l.path.is_empty() && l.key.is_none() && l.value.is_none() && l.depth == 0)
        );
    }
}

#[test]
fn truncations_never_panic() {
    let input = r#"{"a":[1,{"b":"c\"\u00e9"},-2.5e+3,true,null,{}],"d":{"e":[]}}"#;
    for end in 0..input.len() {
        if input.is_char_boundary(end) {
            let _ = pretty(&input[..end]);
        }
    }
    assert_eq!(pretty(input).lines.len(), 15);
}

#[test]
fn deep_nesting_falls_back() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert_eq!(pretty(&ok).lines.len(), 2 * MAX_DEPTH - 1);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(pretty(&deep).lines.len(), 1);
}

#[test]
fn fixture_messages_round_trip() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/events.ndjson"
    );
    let fixture = std::fs::read_to_string(path).expect("fixture");
    let largest = fixture.lines().max_by_key(|l| l.len()).unwrap();
    assert!(largest.len() > 9_000);
    for line in fixture.lines() {
        let doc = pretty(line);
        assert!(doc.lines.len() > 1);
        assert_eq!(
            reparsed(&doc),
            serde_json::from_str::<serde_json::Value>(line).unwrap()
        );
        // The output is fully re-indented: keys and values sit where the ranges say.
        for l in &doc.lines {
            assert!(l.text.starts_with(&INDENT.repeat(l.depth as usize)));
            if let Some(key) = &l.key {
                assert!(l.text[key.clone()].starts_with('"'));
            }
        }
    }
    let doc = pretty(largest);
    let message: serde_json::Value = serde_json::from_str(largest).unwrap();
    // Every scalar line's path leads to the value on it.
    for l in doc.lines.iter().filter(|l| l.value.is_some()) {
        let value: serde_json::Value =
            serde_json::from_str(&l.text[l.value.clone().unwrap()]).unwrap();
        assert_eq!(lookup(&message, &l.path), Some(&value), "path {}", l.path);
    }
}

/// Follows a path made only of identifier keys and indexes (enough for the fixture).
fn lookup<'v>(value: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut current = value;
    for part in path.split('.') {
        let (name, indexes) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            current = current.get(name)?;
        }
        if !indexes.is_empty() {
            for index in indexes.trim_end_matches(']').split("][") {
                current = current.get(index.parse::<usize>().ok()?)?;
            }
        }
    }
    Some(current)
}

#[test]
fn bounds_cut_long_lines_on_a_character_boundary_and_stop_at_the_budget() {
    let json = format!(
        r#"{{"a":"{}","b":[1,2,3],"c":"é{}"}}"#,
        "x".repeat(100),
        "é".repeat(50)
    );
    let bounds = Bounds {
        lines: 100,
        line_bytes: 40,
        total_bytes: usize::MAX,
    };
    let (doc, cut) = pretty_within(&json, bounds);
    assert!(!cut);
    assert_eq!(texts(&doc), pretty_texts_cut(&json, 40));
    for line in &doc.lines {
        assert!(line.text.len() <= 40, "{:?}", line.text);
        if let Some(value) = &line.value {
            assert!(line.text.get(value.clone()).is_some());
        }
    }
    assert!(doc.lines[1].text.ends_with('…') && !doc.lines[1].text.ends_with(",…"));
    let (doc, cut) = pretty_within(
        &json,
        Bounds {
            lines: 3,
            ..Bounds::NONE
        },
    );
    assert!(cut);
    assert_eq!(doc.lines.len(), 3);
    let (doc, cut) = pretty_within(
        &json,
        Bounds {
            total_bytes: 10,
            ..Bounds::NONE
        },
    );
    assert!(cut);
    assert_eq!(doc.lines.len(), 2, "{:?}", texts(&doc));
    let (whole, cut) = pretty_within(&json, Bounds::NONE);
    assert!(!cut);
    assert_eq!(whole, pretty(&json));
}

/// `pretty`'s lines, each cut as the bounds cut it.
fn pretty_texts_cut(json: &str, max: usize) -> Vec<String> {
    pretty(json)
        .lines
        .into_iter()
        .map(|mut line| {
            line.cut(max);
            line.text
        })
        .collect()
}

#[test]
fn text_that_is_not_json_is_bounded_too() {
    let text = format!("not json\n{}\nthird\nfourth", "y".repeat(1000));
    let (doc, cut) = pretty_within(
        &text,
        Bounds {
            lines: 3,
            line_bytes: 10,
            total_bytes: usize::MAX,
        },
    );
    assert!(cut);
    assert_eq!(texts(&doc), ["not json", "yyyyyyy…", "third"]);
}
