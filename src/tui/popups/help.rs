//! The help overlay, one component: every binding of the main view with its description,
//! then one line per popup or view with keys of its own, the row glyphs' legend and every
//! filter term (the filter parser's own table, [`eventscope_core::filter::TERMS`]) — all keys
//! filled in from the key map, so a rebound key shows as bound. Its text is laid out for 80
//! columns (wrapped, never cut) and scrolls when the terminal is shorter than it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::action::{Action, Context};
use crate::tui::app::App;
use crate::tui::glyphs::LEGEND;
use crate::tui::keys::KeyMap;
use crate::tui::theme::Role;
use crate::tui::views::wrap;
use eventscope_core::filter::TERMS;

/// The popups' and the Deliveries view's keys, one line each (see [`KeyMap::hint`]).
pub const SECTIONS: [(&str, &str); 9] = [
    ("Pretty tree (detail focused)", crate::tui::tree::HELP),
    ("Forward popup", super::forward::HELP),
    ("Replay popup", super::replay::HELP),
    ("Summary", super::summary::HELP),
    ("Person view", super::person::HELP),
    ("Schema view", super::schema::HELP),
    ("Diff pane (=)", super::diff::HELP),
    ("SQL prompt (:)", super::sql::HELP),
    ("Deliveries", crate::tui::app::DELIVERIES_HELP),
];

/// Columns of text: the overlay fits an 80-column terminal (border included).
const TEXT_WIDTH: usize = 76;

/// The help overlay: how far it is scrolled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelpOverlay {
    /// First line drawn.
    pub scroll: usize,
}

impl HelpOverlay {
    /// Lines of the overlay's text.
    pub fn line_count(keys: &KeyMap) -> usize {
        help_lines(keys, &|_| Style::new()).len()
    }

    /// Scrolls for a moving action (a page is `page` lines); false for any other action.
    pub fn handle(&mut self, action: Action, page: usize, keys: &KeyMap) -> bool {
        let last = Self::line_count(keys).saturating_sub(1) as isize;
        let page = page.max(1) as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::Top => -last,
            Action::Live => last,
            _ => return false,
        };
        self.scroll = (self.scroll as isize + delta).clamp(0, last) as usize;
        true
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App) {
        let ui = &app.theme.ui;
        let t = &app.theme;
        let style = |role: Role| match role {
            Role::Base => t.fg(ui.fg),
            Role::Accent => t.style(Role::Accent).add_modifier(Modifier::BOLD),
            other => t.style(other),
        };
        let lines = help_lines(&app.keys, &style);
        let width = (lines.iter().map(Line::width).max().unwrap_or(40) as u16 + 2).min(area.width);
        let height = (lines.len() as u16 + 2).min(area.height);
        let [popup] = Layout::horizontal([Constraint::Length(width)])
            .flex(Flex::Center)
            .areas(area);
        let [popup] = Layout::vertical([Constraint::Length(height)])
            .flex(Flex::Center)
            .areas(popup);
        frame.render_widget(Clear, popup);
        let shown = height.saturating_sub(2) as usize;
        let scroll = self.scroll.min(lines.len().saturating_sub(shown));
        let mut block = Block::new()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Accent))
            .title(" Keys ")
            .style(Style::new().bg(ui.bg));
        if lines.len() > shown {
            block = block.title_bottom(
                Line::styled(
                    format!(
                        " ↑/↓ scroll · {}–{} of {} ",
                        scroll + 1,
                        scroll + shown,
                        lines.len()
                    ),
                    t.style(Role::Muted),
                )
                .right_aligned(),
            );
        }
        let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
        frame.render_widget(Paragraph::new(lines).block(block), popup);
    }
}

/// The overlay's text, each role styled by `style` (keys are [`Role::Accent`], text
/// [`Role::Base`]), wrapped to [`TEXT_WIDTH`].
fn help_lines(keys: &KeyMap, style: &dyn Fn(Role) -> Style) -> Vec<Line<'static>> {
    let key_width = keys
        .bindings(Context::Main)
        .map(|(action, _)| keys.keys_label(*action).chars().count())
        .max()
        .unwrap_or(8);
    let mut lines = Vec::new();
    let item = |lines: &mut Vec<Line<'static>>, key: String, text: String, indent: usize| {
        let first = vec![Span::styled(key, style(Role::Accent))];
        let text = vec![Span::styled(text, style(Role::Base))];
        lines.extend(wrap(first, text, indent, TEXT_WIDTH));
    };
    for (action, _) in keys.bindings(Context::Main) {
        let key = format!(" {:<key_width$}  ", keys.keys_label(*action));
        item(&mut lines, key, action.description().into(), key_width + 3);
    }
    lines.push(Line::raw(""));
    for (place, hint) in SECTIONS {
        item(&mut lines, format!(" {place}: "), keys.hint(hint), 3);
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Row marks", style(Role::Muted)));
    for (glyph, meaning) in LEGEND {
        item(&mut lines, format!("   {glyph}  "), meaning.into(), 6);
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Filter terms", style(Role::Muted)));
    let term_width = TERMS
        .iter()
        .map(|t| t.syntax.chars().count())
        .max()
        .unwrap_or(12);
    for term in TERMS {
        let key = format!("   {:<term_width$}  ", term.syntax);
        item(&mut lines, key, term.help.into(), term_width + 5);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_filter_term_and_glyph_within_80_columns() {
        let lines = help_lines(&KeyMap::default(), &|_| Style::new());
        let text: Vec<String> = lines.iter().map(Line::to_string).collect();
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        let all = words(&text.join(" "));
        for term in TERMS {
            let line = words(&format!("{} {}", term.syntax, term.help));
            assert!(all.contains(&line), "{line:?} is not in the help:\n{all}");
        }
        for (glyph, _) in LEGEND {
            assert!(text.iter().any(|l| l.starts_with(&format!("   {glyph}  "))));
        }
        for line in &lines {
            assert!(line.width() <= TEXT_WIDTH, "{line:?}");
        }
    }

    #[test]
    fn the_readme_filter_table_is_the_parsers() {
        let readme = include_str!("../../../README.md");
        let mut table = String::from("| term | matches |\n|---|---|\n");
        for term in TERMS {
            table.push_str(&format!("| `{}` | {} |\n", term.syntax, term.help));
        }
        assert!(
            readme.contains(&table),
            "README.md's filter table is out of date; it should read:\n{table}"
        );
    }
}
