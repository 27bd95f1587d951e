//! The Warehouse tab's model: the rows the selected message becomes (`warehouse::rows`), each
//! column marked against the schema the feeds built — new with this message, a type conflict
//! (with the type and the seq that set the column, and what the warehouse makes of the
//! value), or not in the schema (past its caps) — and what did not make it as sent
//! (discarded, collapsed, cut). Worked out once per selected message (the schema is read
//! under its lock, briefly), never per frame; the tab draws only its visible lines
//! ([`WarehouseRows::line`]).
//!
//! The marks need no record of what the schema said at the time: the message was observed in
//! seq order, so a column whose first seq is this message's is new with it, and a column of
//! an older seq whose type is not this value's is a conflict.

use eventscope_core::entry::EntryId;
use eventscope_core::inspect::warehouse::{Fate, fate};
use eventscope_core::model::json::Json;
use eventscope_core::warehouse::{self, ColumnType, Row, SharedSchema, conflicts};

/// What the schema says of one column of the message's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// Known before this message, of this value's type.
    Known,
    /// Added by this message.
    New,
    /// The column was created `column_type` at `first_seq`; this value is another type.
    Conflict {
        column_type: ColumnType,
        first_seq: u64,
        fate: Fate,
    },
    /// Not in the schema: its caps refused the table or the column.
    NotKept,
}

/// One row of the message, as the tab shows it.
#[derive(Debug, Clone)]
pub struct Landed {
    pub row: Row,
    /// This message made the table.
    pub new_table: bool,
    /// One per column of `row`.
    pub marks: Vec<Mark>,
}

/// One line of the tab (drawn from the model by index: only the visible ones are built).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// "Segment would load N rows …".
    Heading,
    Blank,
    /// A row's table and how it is loaded.
    Table(usize),
    /// The column headings under a table.
    Header,
    /// Row, column.
    Column(usize, usize),
    /// Under a conflicting column (row, column): what the warehouse does with the value.
    Fate(usize, usize),
    /// Row, index into its `discarded`.
    Discarded(usize, usize),
    /// Row, index into its `collisions`.
    Collision(usize, usize),
    /// Row, index into its `truncated`.
    Truncated(usize, usize),
}

/// The selected message's warehouse rows.
#[derive(Debug, Clone)]
pub struct WarehouseRows {
    /// The row (in the viewer's store) it is about.
    pub id: EntryId,
    pub seq: u64,
    pub rows: Vec<Landed>,
    /// New columns and conflicts, over all rows.
    pub new_columns: usize,
    pub conflicts: usize,
    lines: Vec<Line>,
}

impl WarehouseRows {
    /// The rows of message `seq` (row `id`, JSON `text`), marked against `schema`; `None` for
    /// text that is not JSON.
    pub fn of(id: EntryId, seq: u64, text: &str, schema: &SharedSchema) -> Option<WarehouseRows> {
        let message = Json::parse(text).ok()?;
        let rows = warehouse::rows(&message);
        let schema = warehouse::lock(schema);
        let mut landed = Vec::with_capacity(rows.len());
        for row in rows {
            let table = schema.table(&row.table);
            let new_table = table.is_some_and(|t| t.first_seq() == seq);
            let marks = row
                .columns
                .iter()
                .map(|column| {
                    let known = table.and_then(|t| t.column(&column.name));
                    match known {
                        None => Mark::NotKept,
                        Some(c) if c.first_seq == seq => Mark::New,
                        // Created after this message: this one's was refused by the caps (or the
                        // server restarted its seqs).
                        Some(c) if c.first_seq > seq => Mark::NotKept,
                        Some(c) if conflicts(c.column_type, column.column_type()) => {
                            Mark::Conflict {
                                column_type: c.column_type,
                                first_seq: c.first_seq,
                                fate: fate(c.column_type, &column.value),
                            }
                        }
                        Some(_) => Mark::Known,
                    }
                })
                .collect();
            landed.push(Landed {
                row,
                new_table,
                marks,
            });
        }
        drop(schema);
        let count = |wanted: fn(&Mark) -> bool| {
            landed
                .iter()
                .flat_map(|l| l.marks.iter())
                .filter(|m| wanted(m))
                .count()
        };
        let new_columns = count(|m| *m == Mark::New);
        let conflicts = count(|m| matches!(m, Mark::Conflict { .. }));
        let lines = lines(&landed);
        Some(WarehouseRows {
            id,
            seq,
            rows: landed,
            new_columns,
            conflicts,
            lines,
        })
    }

    /// Lines of the tab.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The tab's line `i`.
    pub fn line(&self, i: usize) -> Option<Line> {
        self.lines.get(i).copied()
    }
}

/// The tab's lines: a heading, then per row its table, the column headings, its columns and
/// what did not make it, and a blank line.
fn lines(rows: &[Landed]) -> Vec<Line> {
    let mut out = vec![Line::Heading, Line::Blank];
    for (r, landed) in rows.iter().enumerate() {
        let row = &landed.row;
        out.push(Line::Table(r));
        out.push(Line::Header);
        for (c, mark) in landed.marks.iter().enumerate() {
            out.push(Line::Column(r, c));
            if matches!(mark, Mark::Conflict { .. }) {
                out.push(Line::Fate(r, c));
            }
        }
        out.extend((0..row.discarded.len()).map(|i| Line::Discarded(r, i)));
        out.extend((0..row.collisions.len()).map(|i| Line::Collision(r, i)));
        out.extend((0..row.truncated.len()).map(|i| Line::Truncated(r, i)));
        out.push(Line::Blank);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventscope_core::entry::EntryBuilder;
    use eventscope_core::model::Source;

    fn observe(schema: &SharedSchema, seq: u64, text: &str) {
        let mut builder = EntryBuilder::default();
        builder.set_schema(std::sync::Arc::clone(schema));
        builder.event(seq, "", Source::default(), None, None, text.into());
    }

    #[test]
    fn columns_are_new_with_their_first_message_and_a_later_type_is_a_conflict() {
        let schema = SharedSchema::default();
        let first = r#"{"type":"track","event":"Order Completed","messageId":"m-12","properties":{"total":42}}"#;
        let second = r#"{"type":"track","event":"Order Completed","messageId":"m-13","properties":{"total":"42.50","coupon":"X","user_id":"u"}}"#;
        observe(&schema, 12, first);
        observe(&schema, 13, second);

        let at_first = WarehouseRows::of(1, 12, first, &schema).unwrap();
        let tables: Vec<&str> = at_first.rows.iter().map(|l| &*l.row.table).collect();
        assert_eq!(tables, ["tracks", "order_completed"]);
        assert!(at_first.rows.iter().all(|l| l.new_table));
        assert!(at_first.rows[1].marks.iter().all(|m| *m == Mark::New));

        let at_second = WarehouseRows::of(2, 13, second, &schema).unwrap();
        let event = &at_second.rows[1];
        assert!(!event.new_table);
        let mark = |name: &str| {
            let i = event
                .row
                .columns
                .iter()
                .position(|c| &*c.name == name)
                .unwrap();
            event.marks[i].clone()
        };
        assert_eq!(mark("id"), Mark::Known);
        assert_eq!(mark("coupon"), Mark::New);
        assert_eq!(
            mark("total"),
            Mark::Conflict {
                column_type: ColumnType::Integer,
                first_seq: 12,
                fate: Fate::Lost,
            }
        );
        assert_eq!((at_second.new_columns, at_second.conflicts), (1, 1));
        assert_eq!(event.row.discarded[0].path, "properties.user_id");
        assert!(at_second.len() > event.row.columns.len() + 4);
        assert_eq!(at_second.line(0), Some(Line::Heading));
    }

    #[test]
    fn a_message_the_schema_never_saw_is_not_kept_and_text_that_is_not_json_has_no_rows() {
        let schema = SharedSchema::default();
        let text = r#"{"type":"identify","userId":"u1","traits":{"plan":"pro"}}"#;
        let rows = WarehouseRows::of(1, 5, text, &schema).unwrap();
        assert_eq!(rows.rows.len(), 2, "identifies and users");
        assert!(
            rows.rows
                .iter()
                .all(|l| l.marks.iter().all(|m| *m == Mark::NotKept))
        );
        assert!(WarehouseRows::of(1, 5, "{not json", &schema).is_none());
    }
}
