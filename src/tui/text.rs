//! Text from messages, made safe and measurable for the terminal.
//!
//! Whatever a peer sent can end up on screen: event names, ids, paths, bodies. Characters a
//! terminal would act on or hide — C0 and C1 controls and DEL, bidi embeddings, overrides,
//! isolates and marks, zero-width spaces and joiners, the byte order mark — are shown as JSON
//! escapes (`\u001b`, `\u202e`, `\u200d`): visible, unambiguous about which character it is,
//! and what the JSON panes show for the same character. Widths are display columns (wide CJK
//! and emoji count two), measured per grapheme as ratatui lays them out, and text is cut on
//! grapheme boundaries.

use std::borrow::Cow;
use std::fmt::Write as _;

use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// True for characters shown escaped.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Arabic letter mark; zero-width space, non-joiner, joiner; LRM, RLM.
            '\u{061c}' | '\u{200b}'..='\u{200f}'
            // Line and paragraph separators; LRE, RLE, PDF, LRO, RLO.
            | '\u{2028}'..='\u{202e}'
            // Word joiner and invisible operators; LRI, RLI, FSI, PDI and the deprecated
            // format characters after them.
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            // Zero-width no-break space (the byte order mark); interlinear annotations.
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
        )
}

/// `text` with every hidden character as a JSON escape (`\u001b`); borrowed when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            // Every hidden character is in the Basic Multilingual Plane: four digits.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Columns one grapheme takes, as ratatui counts them (it drops graphemes holding a control).
fn grapheme_width(grapheme: &str) -> usize {
    if grapheme.chars().any(char::is_control) {
        return 0;
    }
    if grapheme.len() == 1 {
        return 1;
    }
    // ratatui counts halfwidth sound marks, which unicode-width calls combining, as one.
    grapheme.width() + grapheme.chars().filter(|c| matches!(c, 'ﾞ' | 'ﾟ')).count()
}

/// Display width of `text` (escape it first: hidden characters count as nothing here).
pub fn width(text: &str) -> usize {
    text.graphemes(true).map(grapheme_width).sum()
}

/// `text` escaped, in at most `max` columns: cut on a grapheme boundary, ending with `…`
/// when cut.
pub fn fit(text: &str, max: usize) -> String {
    // Enough of `text` for `max` columns however many bytes a column takes (combining marks,
    // escapes): a huge name costs no more than a short one.
    let budget = max.saturating_add(1).saturating_mul(32);
    let (head, more) = if text.len() > budget {
        (&text[..floor_boundary(text, budget)], true)
    } else {
        (text, false)
    };
    let text = escape(head);
    if !more && width(&text) <= max {
        return text.into_owned();
    }
    let room = max.saturating_sub(1);
    let mut out = String::with_capacity(max.min(text.len()) + 3);
    let mut used = 0;
    for grapheme in text.graphemes(true) {
        let w = grapheme_width(grapheme);
        if used + w > room {
            break;
        }
        used += w;
        out.push_str(grapheme);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// The largest index at most `at` that is a character boundary of `text`.
pub fn floor_boundary(text: &str, at: usize) -> usize {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// `text` escaped in exactly `columns` columns: cut as [`fit`] cuts, padded with spaces.
pub fn pad(text: &str, columns: usize) -> String {
    let mut out = fit(text, columns);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', columns.saturating_sub(used)));
    out
}

/// `line` with its spans' text escaped (styles kept).
pub fn escape_line(mut line: Line<'_>) -> Line<'_> {
    for span in &mut line.spans {
        escape_span(span);
    }
    line
}

fn escape_span(span: &mut Span<'_>) {
    if let Cow::Owned(escaped) = escape(&span.content) {
        span.content = Cow::Owned(escaped);
    }
}

/// [`escape_line`] for each line.
pub fn escape_lines(lines: Vec<Line<'_>>) -> Vec<Line<'_>> {
    lines.into_iter().map(escape_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_become_json_escapes() {
        assert_eq!(escape("Order Completed"), "Order Completed");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(escape("a\u{0}b"), "a\\u0000b");
        assert_eq!(escape("\u{1b}[31mred"), "\\u001b[31mred");
        assert_eq!(escape("x\u{7f}\u{85}\u{9b}"), "x\\u007f\\u0085\\u009b");
        assert_eq!(escape("abc\u{202e}cba"), "abc\\u202ecba");
        assert_eq!(
            escape("\u{2066}\u{2069}\u{200e}\u{200f}\u{61c}"),
            "\\u2066\\u2069\\u200e\\u200f\\u061c"
        );
        assert_eq!(
            escape("a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}"),
            "a\\u200bb\\u200cc\\u200dd\\u2060e\\ufeff"
        );
        assert_eq!(escape("tab\tnew\nline"), "tab\\u0009new\\u000aline");
        // The same escapes a JSON string would use.
        let json: String =
            serde_json::from_str(&format!("\"{}\"", escape("\u{1b}\u{202e}"))).unwrap();
        assert_eq!(json, "\u{1b}\u{202e}");
    }

    #[test]
    fn wide_characters_count_two_columns() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("注文完了"), 8);
        assert_eq!(width("🎉"), 2);
        assert_eq!(width("é"), 1, "e and a combining accent");
        assert_eq!(width("👍🏽"), 2, "an emoji with a skin tone");
    }

    #[test]
    fn fit_cuts_on_columns_without_splitting_a_character() {
        assert_eq!(fit("注文完了しました", 7), "注文完…");
        assert_eq!(width(&fit("注文完了しました", 7)), 7);
        assert_eq!(
            fit("注文完了しました", 8),
            "注文完…",
            "a wide character does not fit in one column"
        );
        assert_eq!(fit("🎉🎉🎉", 4), "🎉…");
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("\u{1b}[2J", 4), "\\u0…");
        assert_eq!(fit("anything", 0), "");
        assert_eq!(fit("ab", 1), "…");
        let huge = "名".repeat(1 << 20);
        assert_eq!(fit(&huge, 5), "名名…");
    }

    #[test]
    fn pad_fills_exactly_the_columns() {
        for text in [
            "x",
            "注文",
            "🎉 party",
            "a\u{202e}b",
            "\u{0}\u{1b}",
            "a\u{200d}b",
            "é",
        ] {
            for columns in [0, 1, 2, 3, 5, 12] {
                let padded = pad(text, columns);
                assert_eq!(width(&padded), columns, "{text:?} in {columns}: {padded:?}");
                assert!(!padded.chars().any(is_hidden), "{padded:?}");
            }
        }
    }

    #[test]
    fn lines_keep_their_styles() {
        let style = ratatui::style::Style::new().fg(ratatui::style::Color::Red);
        let line = Line::from(vec![Span::raw("ok "), Span::styled("\u{1b}[2J", style)]);
        let escaped = escape_line(line);
        assert_eq!(escaped.spans[1].content, "\\u001b[2J");
        assert_eq!(escaped.spans[1].style, style);
        assert_eq!(escaped.spans[0].content, "ok ");
    }
}
