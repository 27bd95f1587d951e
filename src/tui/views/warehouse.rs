//! The detail pane's Warehouse tab: the rows the selected message becomes in Segment's
//! warehouse — each table (and whether it is inserted or upserted), then its columns with
//! their type and value (cut to fit), new columns and type conflicts marked (a conflict names
//! the type and the seq that set the column, and what the warehouse makes of the value), then
//! what did not make it (a property discarded for a reserved name, two paths on one column,
//! a string cut at 512). The rows are worked out once per selected message
//! (`DetailPane::warehouse`); a frame builds only the visible lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Focus};
use crate::tui::text::{escape_line, fit, pad, width};
use crate::tui::theme::Role;
use crate::tui::warehouse::{Line as Item, Mark, WarehouseRows};
use eventscope_core::inspect::warehouse::Fate;
use eventscope_core::model::{count, thousands};
use eventscope_core::warehouse::{ColumnType, Dropped, Load, MAX_VARCHAR_CHARS, Value};

/// Columns given to a type (`timestamp` is the longest).
const TYPE_W: usize = 9;
/// Columns a column's mark takes (`+ new column`); a conflict says the rest on the line
/// below.
const MARK_W: usize = 12;

/// Draws the tab's visible lines into `area`; returns it.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) -> Rect {
    let t = &app.theme;
    let rows = app
        .detail
        .warehouse
        .as_deref()
        .filter(|w| Some(w.id) == app.selected);
    let Some(rows) = rows else {
        let text = "Not a message object: it lands in no warehouse table.";
        frame.render_widget(
            Paragraph::new(Line::styled(text, t.style(Role::Muted))),
            area,
        );
        return area;
    };
    let w = usize::from(area.width);
    let widths = Widths::of(rows, w);
    let height = usize::from(area.height);
    let lines: Vec<Line> = (app.detail.scroll..app.detail.scroll + height)
        .filter_map(|i| {
            let line = escape_line(line(rows, rows.line(i)?, &widths, app));
            Some(if app.focus == Focus::Detail && i == app.detail.cursor {
                line.patch_style(t.style(Role::Selected))
            } else {
                line
            })
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
    area
}

/// The columns' widths at `w` columns: name, value (as wide as the widest, up to a third of
/// what is left), and the mark gets the rest.
struct Widths {
    name: usize,
    value: usize,
    width: usize,
}

impl Widths {
    fn of(rows: &WarehouseRows, w: usize) -> Widths {
        let name = rows
            .rows
            .iter()
            .flat_map(|l| l.row.columns.iter())
            .map(|c| width(&c.name))
            .max()
            .unwrap_or(6)
            .clamp(6, 32);
        let rest = w.saturating_sub(2 + name + 1 + TYPE_W + 1);
        let widest = rows
            .rows
            .iter()
            .flat_map(|l| l.row.columns.iter())
            .map(|c| width(&shown(&c.value)))
            .max()
            .unwrap_or(5);
        Widths {
            name,
            value: widest.min(rest.saturating_sub(MARK_W + 1)).clamp(5, 40),
            width: w,
        }
    }
}

fn line(rows: &WarehouseRows, item: Item, widths: &Widths, app: &App) -> Line<'static> {
    let t = &app.theme;
    let w = widths.width;
    let warning = t.style(Role::Warning);
    match item {
        Item::Heading => {
            let mut text = format!(
                "Segment would load {} (seq {})",
                count(rows.rows.len() as u64, "row"),
                rows.seq
            );
            if rows.rows.is_empty() {
                text = "No warehouse rows: warehouses load track, identify, page, screen, group \
                        and alias calls."
                    .to_string();
            } else if rows.new_columns + rows.conflicts > 0 {
                text.push_str(&format!(
                    ": {}, {}.",
                    count(rows.new_columns as u64, "new column"),
                    count(rows.conflicts as u64, "conflict")
                ));
            } else {
                text.push_str(": no new column, no conflict.");
            }
            Line::styled(fit(&text, w), t.style(Role::Muted))
        }
        Item::Blank => Line::raw(""),
        Item::Table(r) => {
            let landed = &rows.rows[r];
            let load = match landed.row.load {
                Load::Insert => "insert",
                Load::Upsert => "upsert (one row per id, the latest values win)",
            };
            let mut spans = vec![
                Span::styled(
                    landed.row.table.to_string(),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!(" · {load}"), t.style(Role::Muted)),
            ];
            if landed.new_table {
                spans.push(Span::styled(" · + new table", t.style(Role::Live)));
            }
            fitted(spans, w, t.fg(t.ui.fg))
        }
        Item::Header => Line::styled(
            fit(
                &format!(
                    "  {} {} {} ",
                    pad("column", widths.name),
                    pad("type", TYPE_W),
                    pad("value", widths.value)
                ),
                w,
            ),
            t.style(Role::Muted).add_modifier(Modifier::BOLD),
        ),
        Item::Column(r, c) => {
            let landed = &rows.rows[r];
            let column = &landed.row.columns[c];
            let (mark, style) = match &landed.marks[c] {
                Mark::Known => (String::new(), t.style(Role::Muted)),
                Mark::New => ("+ new column".to_string(), t.style(Role::Live)),
                Mark::Conflict { .. } => ("✗ conflict".to_string(), warning),
                Mark::NotKept => (
                    "not in the schema (past its caps)".to_string(),
                    t.style(Role::Muted),
                ),
            };
            let spans = vec![
                Span::styled(
                    format!("  {} ", pad(&fit(&column.name, widths.name), widths.name)),
                    t.fg(t.ui.fg),
                ),
                Span::styled(
                    format!("{} ", pad(column.column_type().as_str(), TYPE_W)),
                    t.style(Role::Accent),
                ),
                Span::styled(
                    format!(
                        "{} ",
                        pad(&fit(&shown(&column.value), widths.value), widths.value)
                    ),
                    t.fg(t.ui.fg),
                ),
                Span::styled(mark, style),
            ];
            fitted(spans, w, t.fg(t.ui.fg))
        }
        Item::Fate(r, c) => {
            let landed = &rows.rows[r];
            let column = &landed.row.columns[c];
            let Mark::Conflict {
                column_type,
                first_seq,
                fate,
            } = &landed.marks[c]
            else {
                return Line::raw("");
            };
            let now = column.column_type();
            let what = match fate {
                Fate::Coerced(text) if now == ColumnType::Float => {
                    format!("loads as {text}: the decimals are lost")
                }
                Fate::Coerced(text) => format!("coerced: loads as {text}"),
                Fate::Lost => format!("lost: {} there loads as NULL", a(now)),
            };
            Line::styled(
                fit(
                    &format!("    ↳ conflict: first {column_type} at seq {first_seq} · {what}"),
                    w,
                ),
                warning,
            )
        }
        Item::Discarded(r, i) => {
            let discarded = &rows.rows[r].row.discarded[i];
            let why = match discarded.why {
                Dropped::Reserved => format!("{} is a reserved column", discarded.column),
                Dropped::EmptyName => "its name makes no column name".to_string(),
            };
            Line::styled(
                fit(&format!("  ✗ discarded: {} ({why})", discarded.path), w),
                warning,
            )
        }
        Item::Collision(r, i) => {
            let collision = &rows.rows[r].row.collisions[i];
            Line::styled(
                fit(
                    &format!(
                        "  ✗ collision: {} keeps {}; {} is lost",
                        collision.column, collision.kept, collision.lost
                    ),
                    w,
                ),
                warning,
            )
        }
        Item::Truncated(r, i) => {
            let cut = &rows.rows[r].row.truncated[i];
            Line::styled(
                fit(
                    &format!(
                        "  ! cut: {} is {} characters; column {} keeps {MAX_VARCHAR_CHARS}",
                        cut.path,
                        thousands(cut.chars as u64),
                        cut.column
                    ),
                    w,
                ),
                warning,
            )
        }
    }
}

/// "a varchar", "an integer".
fn a(column_type: ColumnType) -> String {
    match column_type {
        ColumnType::Integer => format!("an {column_type}"),
        _ => format!("a {column_type}"),
    }
}

/// A value as the tab shows it: strings quoted as JSON, the rest as loaded.
fn shown(value: &Value) -> String {
    match value {
        Value::Timestamp(s) | Value::Varchar(s) => {
            serde_json::to_string(&**s).unwrap_or_else(|_| s.to_string())
        }
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    }
}

/// `spans` as one line, or, when wider than `w`, their text cut to fit in `style`.
fn fitted(spans: Vec<Span<'static>>, w: usize, style: Style) -> Line<'static> {
    let line = Line::from(spans);
    if line.width() <= w {
        return line;
    }
    // Cut the last span (the mark) rather than restyle the whole line.
    let mut spans = line.spans;
    let before: usize = spans
        .iter()
        .take(spans.len().saturating_sub(1))
        .map(Span::width)
        .sum();
    match spans.last_mut() {
        Some(last) if before < w => {
            let text = fit(&last.content, w - before);
            last.content = text.into();
            Line::from(spans)
        }
        _ => {
            let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
            Line::styled(fit(&text, w), style)
        }
    }
}
