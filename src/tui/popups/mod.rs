//! Popups (and the filter bar) as components, one file each (after gitui's `src/popups/*.rs`):
//! its state, what it answers (`handle`), the key hints it shows (its `HELP`, filled in from
//! the key map) and `draw`. `App::mode` holds the open one; `App::update` hands it its
//! actions (the filter bar reads text, through `App::filter_key`).

pub mod confirm;
pub mod diff;
pub mod filter;
pub mod forward;
pub mod help;
pub mod jump;
pub mod person;
pub mod replay;
pub mod schema;
pub mod sql;
pub mod summary;
mod summary_routing;
pub mod views;
pub mod write;

pub use filter::FilterBar;
pub use forward::ForwardPopup;
pub use help::HelpOverlay;
pub use person::PersonView;
pub use replay::ReplayPopup;
pub use schema::SchemaView;
pub use summary::SummaryView;
pub use write::WritePrompt;

/// Where a whole-screen view (the Summary, a person) draws over `area`, cleared: wide terminals
/// keep a frame of the list around it; narrow ones give it every cell.
pub fn whole_screen(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
) -> ratatui::layout::Rect {
    let popup = if area.width >= 100 {
        area.inner(ratatui::layout::Margin::new(2, 1))
    } else {
        area
    };
    frame.render_widget(ratatui::widgets::Clear, popup);
    popup
}

/// A whole-screen view's frame ([`whole_screen`]): an accent border with `title` on top and
/// the key hints of `hint` (a [`KeyMap::hint`](crate::tui::keys::KeyMap::hint) template) at
/// the bottom right; returns the area inside it.
pub fn framed(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    app: &crate::tui::app::App,
    title: &str,
    hint: &str,
) -> ratatui::layout::Rect {
    use crate::tui::text::fit;
    use crate::tui::theme::Role;
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Borders};
    let t = &app.theme;
    let popup = whole_screen(frame, area);
    let hint = app.keys.hint(hint);
    let width = popup.width.saturating_sub(2) as usize;
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Accent))
        .title(fit(title, width))
        .title_bottom(Line::styled(fit(&hint, width), t.style(Role::Muted)).right_aligned())
        .style(t.style(Role::Base));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    inner
}

/// A box of `width` × `height` cells (at most `area`'s) in the middle of `area`, cleared: where
/// a small prompt (write, confirm) draws.
pub fn centered(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    width: u16,
    height: u16,
) -> ratatui::layout::Rect {
    use ratatui::layout::{Constraint, Flex, Layout};
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(popup);
    frame.render_widget(ratatui::widgets::Clear, popup);
    popup
}
