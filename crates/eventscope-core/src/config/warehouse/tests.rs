use crate::config::Config;
use crate::inspect::Severity;
use crate::warehouse::DEFAULT_COLUMN_LIMIT;

fn parse(text: &str) -> Config {
    Config::parse(text, "eventscope.toml").unwrap()
}

fn error(text: &str) -> String {
    Config::parse(text, "my.toml").unwrap_err().to_string()
}

#[test]
fn no_table_is_the_defaults() {
    for text in ["theme = \"dark\"\n", "[warehouse]\n"] {
        let s = parse(text).warehouse;
        assert_eq!(s.column_limit, DEFAULT_COLUMN_LIMIT);
        assert_eq!(s.severity("type-conflict"), Some(Severity::Warning));
        assert_eq!(
            s.severity("warehouse/reserved-column"),
            Some(Severity::Warning)
        );
        assert_eq!(s.severity("column-collision"), Some(Severity::Warning));
        assert_eq!(s.severity("value-truncated"), Some(Severity::Info));
        assert_eq!(s.severity("unbounded-tables"), Some(Severity::Warning));
        assert_eq!(s.severity("column-limit"), Some(Severity::Error));
    }
}

#[test]
fn reads_the_documented_table() {
    let s = parse(
        r#"
[warehouse]
column_limit = 1000
severity = { type-conflict = "error", "value-truncated" = "off", column-limit = "warning" }
"#,
    )
    .warehouse;
    assert_eq!(s.column_limit, 1000);
    assert_eq!(s.severity("type-conflict"), Some(Severity::Error));
    assert_eq!(s.severity("value-truncated"), None);
    assert_eq!(s.severity("column-limit"), Some(Severity::Warning));
    assert_eq!(s.severity("reserved-column"), Some(Severity::Warning));
    assert_eq!(
        parse("[warehouse]\ncolumn-limit = 10000\n")
            .warehouse
            .column_limit,
        10_000
    );
}

#[test]
fn every_bad_entry_is_a_one_line_error_naming_the_key() {
    let cases = [
        (
            "column_limit = 0",
            "[warehouse] column_limit: 0: use a whole number from 1 to 10000 (default 1600",
        ),
        (
            "column_limit = \"many\"",
            "[warehouse] column_limit: \"many\": use a whole number",
        ),
        (
            "severity = { type-conflict = \"fatal\" }",
            "[warehouse] severity.type-conflict: \"fatal\": use \"error\", \"warning\", \
             \"info\" or \"off\"",
        ),
        (
            "severity = { \"type conflict\" = \"error\" }",
            "[warehouse] severity.\"type conflict\": not a warehouse rule; use one of \
             type-conflict, reserved-column, column-collision, value-truncated, \
             unbounded-tables, column-limit",
        ),
        ("colum_limit = 3", "unknown field `colum_limit`"),
    ];
    for (body, expected) in cases {
        let err = error(&format!("[warehouse]\n{body}\n"));
        assert!(err.contains(expected), "{body}: {err}");
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("my.toml"), "{err}");
    }
    let err = error("[warehouse]\ncolumn_limit = 5\n\nseverity = { x = \"error\" }\n");
    assert!(err.contains("line 4"), "{err}");
}
