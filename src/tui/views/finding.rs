//! One finding as the detail pane shows it: its mark, its rule, its path once (unless it sits
//! under its own line) and the problem once — the sentence without the path it starts with,
//! and what was expected and found only when the sentence does not say it already — wrapped
//! under its first line, indented, at any width.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::App;
use crate::tui::theme::Role;
use eventscope_core::inspect::{Finding, Severity};

/// `✗`, `!`, `·` and the style of a severity.
pub fn severity_mark(severity: Severity, app: &App) -> (&'static str, Style) {
    let t = &app.theme;
    match severity {
        Severity::Error => ("✗", t.style(Role::Error)),
        Severity::Warning => ("!", t.style(Role::Warning)),
        Severity::Info => ("·", t.style(Role::Muted)),
    }
}

/// The problem, said once: the message without a leading path (or a trailing ` in PATH`),
/// then `expected …, got …` unless the message names them already.
pub fn problem(finding: &Finding) -> String {
    let path = finding.path.as_str();
    let mut text = finding.message.clone();
    if !path.is_empty() {
        if let Some(rest) = text.strip_prefix(path) {
            text = rest.trim_start().to_string();
        }
        text = text.replace(&format!(" in {path}"), "");
    }
    let says = |part: &str| text.contains(part);
    let mut tail = Vec::new();
    if let Some(expected) = finding.expected.as_deref().filter(|e| !says(e)) {
        tail.push(format!("expected {expected}"));
    }
    if let Some(actual) = finding.actual.as_deref().filter(|a| !says(a)) {
        tail.push(format!("got {actual}"));
    }
    if !tail.is_empty() {
        text.push_str(" — ");
        text.push_str(&tail.join(", "));
    }
    text
}

/// The finding's spans: mark, rule, path (when `with_path`), problem.
pub fn spans(finding: &Finding, app: &App, with_path: bool) -> Vec<Span<'static>> {
    let t = &app.theme;
    let (mark, style) = severity_mark(finding.severity, app);
    let mut spans = vec![
        Span::styled(format!("{mark} "), style),
        // A merged finding names every rule it answers for (`plan/type + spec/reserved-type`).
        Span::styled(
            format!("{} ", finding.rules().collect::<Vec<_>>().join(" + ")),
            style.add_modifier(Modifier::BOLD),
        ),
    ];
    if with_path {
        let path = if finding.path.is_empty() {
            "(message)"
        } else {
            finding.path.as_str()
        };
        spans.push(Span::styled(format!("{path} "), t.style(Role::Accent)));
    }
    spans.push(Span::styled(problem(finding), t.fg(t.ui.fg)));
    spans
}

/// `spans` in lines of at most `width` columns: the first starts with `first`, the others
/// with `indent` spaces; words move whole to the next line unless longer than a line.
pub fn wrap(
    first: Vec<Span<'static>>,
    spans: Vec<Span<'static>>,
    indent: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let room = width.saturating_sub(indent).max(8);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = first;
    let mut used: usize = line.iter().map(Span::width).sum();
    let mut bound = width.max(used + 8);
    let mut push_line = |line: &mut Vec<Span<'static>>, used: &mut usize, bound: &mut usize| {
        lines.push(trimmed(std::mem::take(line)));
        line.push(Span::raw(" ".repeat(indent)));
        *used = indent;
        *bound = indent + room;
    };
    for span in spans {
        let style = span.style;
        for word in span.content.split_inclusive(' ') {
            let mut word = word.to_string();
            let w = word.trim_end().width();
            if used + w > bound && used > indent {
                push_line(&mut line, &mut used, &mut bound);
            }
            // A word longer than a line is cut where the line ends.
            while used + word.trim_end().width() > bound {
                let mut cut = 0;
                let mut taken = 0;
                for (at, c) in word.char_indices() {
                    let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    if used + taken + cw > bound {
                        break;
                    }
                    taken += cw;
                    cut = at + c.len_utf8();
                }
                if cut == 0 {
                    break;
                }
                line.push(Span::styled(word[..cut].to_string(), style));
                word = word[cut..].to_string();
                push_line(&mut line, &mut used, &mut bound);
            }
            used += word.width();
            line.push(Span::styled(word, style));
        }
    }
    lines.push(trimmed(line));
    lines
}

/// A line without the space its last word carried.
fn trimmed(mut spans: Vec<Span<'static>>) -> Line<'static> {
    if let Some(last) = spans.last_mut()
        && last.content.ends_with(' ')
    {
        last.content = last.content.trim_end().to_string().into();
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::inspect::Kind;

    #[test]
    fn the_path_and_the_value_are_said_once() {
        let finding = Finding::new(
            Kind::Plan,
            "plan/type",
            "properties.total",
            Severity::Error,
            "properties.total should be a number, got string \"42.50\" (Order Completed v1)",
        )
        .expected("number")
        .actual("string \"42.50\"");
        assert_eq!(
            problem(&finding),
            "should be a number, got string \"42.50\" (Order Completed v1)"
        );
        let pii = Finding::new(
            Kind::Pii,
            "pii/phone",
            "traits.notes",
            Severity::Warning,
            "a phone number in traits.notes",
        );
        assert_eq!(problem(&pii), "a phone number");
        let unplanned = Finding::new(
            Kind::Plan,
            "plan/unplanned-trait",
            "traits.notes",
            Severity::Warning,
            "traits.notes is not in the tracking plan for Group",
        )
        .expected("a planned trait: name")
        .actual("string \"call me\"");
        assert_eq!(
            problem(&unplanned),
            "is not in the tracking plan for Group — expected a planned trait: name, got string \"call me\""
        );
    }

    #[test]
    fn long_findings_wrap_indented_and_lose_nothing() {
        let words = "a very long finding about a value that does not fit ".repeat(4);
        let lines = wrap(
            vec![Span::raw("    ╰ ")],
            vec![Span::raw("✗ rule "), Span::raw(words.clone())],
            8,
            30,
        );
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(line.width() <= 30, "{line:?}");
        }
        for line in &lines[1..] {
            assert!(line.to_string().starts_with("        "), "{line:?}");
        }
        let joined: String = lines
            .iter()
            .map(|l| l.to_string().trim().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            joined.split_whitespace().collect::<Vec<_>>(),
            format!("╰ ✗ rule {words}")
                .split_whitespace()
                .collect::<Vec<_>>()
        );
    }
}
