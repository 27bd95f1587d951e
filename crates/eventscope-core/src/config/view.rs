//! `[[view]]` tables of `eventscope.toml`: named views to open with (`--view NAME`) or pick in
//! the viewer (`v`) — a filter, the list's columns and its order — and the refusal of a
//! top-level `filter =`, which would say nothing about which view it is.

use std::ops::Range;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// One saved view, as written; its filter and columns are checked where they are known
/// (the filter in [`super::Config::parse`], the columns by the viewer), each error naming
/// [`ViewConfig::line`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewConfig {
    pub name: String,
    /// The filter (`""`: every message).
    pub filter: String,
    /// The list's columns by name, in order (empty: the default set).
    pub columns: Vec<String>,
    pub sort: ViewSort,
    /// The line of the table's `name`, for errors found after the file is read.
    pub line: usize,
    /// Where `name` is in the file (bytes), turned into `line` once the text is at hand.
    pub(crate) span: Range<usize>,
}

/// The list's order in a view. Only arrival for now: the list is a ring of up to 1M rows kept
/// in arrival order with an incremental filter index; another order would need an index of
/// its own kept in step off the UI thread, not a sort per frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ViewSort {
    #[default]
    Arrival,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewTable {
    name: toml::Spanned<String>,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default, deserialize_with = "sort")]
    sort: ViewSort,
}

/// `Config::view`: every `[[view]]` table as written ([`check`] follows, with the text).
pub(crate) fn views<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ViewConfig>, D::Error> {
    let tables = Vec::<ViewTable>::deserialize(d)?;
    Ok(tables
        .into_iter()
        .map(|table| ViewConfig {
            span: table.name.span(),
            name: table.name.into_inner(),
            filter: table.filter,
            columns: table.columns,
            sort: table.sort,
            line: 0,
        })
        .collect())
}

/// Names each view's line and checks what the table alone cannot: a name, given once, and a
/// filter that parses (`destinations` for `routed:`/`dropped:`). The error names the line.
pub(crate) fn check(
    views: &mut [ViewConfig],
    text: &str,
    destinations: &[&str],
) -> Result<(), String> {
    for index in 0..views.len() {
        let line = line_of(text, views[index].span.start);
        views[index].line = line;
        let view = &views[index];
        if view.name.trim().is_empty() {
            return Err(format!(
                "line {line}: [[view]] name is empty: name the view, e.g. name = \"checkout\""
            ));
        }
        if views[..index].iter().any(|v| v.name == view.name) {
            return Err(format!(
                "line {line}: [[view]] name = \"{}\" is there twice: each view needs its own name",
                view.name
            ));
        }
        if let Err(e) = crate::filter::Query::parse_for(&view.filter, destinations) {
            return Err(format!(
                "line {line}: [[view]] \"{}\": filter {:?}: {}",
                view.name, view.filter, e.message
            ));
        }
    }
    Ok(())
}

fn sort<'de, D: Deserializer<'de>>(d: D) -> Result<ViewSort, D::Error> {
    match String::deserialize(d)?.as_str() {
        "arrival" => Ok(ViewSort::Arrival),
        other => Err(D::Error::custom(format!(
            "[[view]] sort = \"{other}\": only \"arrival\" (the order messages came in) for now"
        ))),
    }
}

/// A top-level `filter =`: refused, pointing at `[[view]]`.
pub(crate) fn top_level_filter<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::convert::Infallible>, D::Error> {
    let _ = toml::Value::deserialize(d)?;
    Err(D::Error::custom(
        "`filter` at the top level is not read: write it in a [[view]] table (name = \"…\", \
         filter = \"…\") and open it with --view NAME or `v` in the viewer",
    ))
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = text.floor_char_boundary(offset.min(text.len()));
    text[..end].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ViewSort};

    #[test]
    fn views_are_read_with_their_line() {
        let text = "theme = \"dark\"\n\n[[view]]\nname = \"checkout\"\nfilter = \"event:Checkout* has:violation\"\ncolumns = [\"time\", \"name\"]\nsort = \"arrival\"\n\n[[view]]\nname = \"bots\"\nfilter = \"has:bot\"\n";
        let config = Config::parse(text, "t.toml").unwrap();
        assert_eq!(config.view.len(), 2);
        let checkout = &config.view[0];
        assert_eq!(checkout.name, "checkout");
        assert_eq!(checkout.filter, "event:Checkout* has:violation");
        assert_eq!(checkout.columns, ["time", "name"]);
        assert_eq!(checkout.sort, ViewSort::Arrival);
        assert_eq!(checkout.line, 4);
        assert_eq!(config.view[1].line, 10);
        assert!(config.view[1].columns.is_empty());
    }

    #[test]
    fn bad_views_and_a_top_level_filter_are_errors_naming_the_line() {
        let err = |text: &str| Config::parse(text, "t.toml").unwrap_err().to_string();
        let e = err("[[view]]\nname = \"a\"\nfilter = \"has:nothing\"\n");
        assert!(e.contains("line 2") && e.contains("[[view]] \"a\""), "{e}");
        assert!(e.contains("unknown `has:` value"), "{e}");
        let e = err("[[view]]\nname = \"a\"\n[[view]]\nname = \"a\"\n");
        assert!(e.contains("twice") && e.contains("line 4"), "{e}");
        let e = err("[[view]]\nname = \"\"\n");
        assert!(e.contains("name is empty"), "{e}");
        let e = err("[[view]]\nname = \"a\"\nsort = \"size\"\n");
        assert!(
            e.contains("only \"arrival\"") && e.contains("line 3"),
            "{e}"
        );
        let e = err("[[view]]\nname = \"a\"\nfiltr = \"x\"\n");
        assert!(e.contains("filtr") && e.contains("line 3"), "{e}");
        let e = err("[[view]]\nfilter = \"x\"\n");
        assert!(e.contains("name"), "{e}");
        let e = err("theme = \"dark\"\nfilter = \"has:bot\"\n");
        assert!(e.contains("line 2") && e.contains("[[view]]"), "{e}");
        // A destination's name is known to a view's filter.
        let ok = "[[destination]]\nname = \"hook\"\nkind = \"webhook\"\nendpoint = \"http://127.0.0.1:9/in\"\n[[view]]\nname = \"hooked\"\nfilter = \"routed:hook\"\n";
        Config::parse(ok, "t.toml").unwrap();
    }

    #[test]
    fn history_can_be_turned_off() {
        assert_eq!(Config::parse("", "t").unwrap().history, None);
        assert_eq!(
            Config::parse("history = false\n", "t").unwrap().history,
            Some(false)
        );
    }
}
