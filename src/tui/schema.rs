//! The schema view's model: the warehouse schema the feeds build, as the view draws it —
//! its tables (rows loaded, columns, the seq that made each, type conflicts), each expandable
//! to its columns (type, the seq that added it, conflicts). Copied from the schema under its
//! lock only when the schema has observed messages since the last copy (so at most once a
//! frame, however fast they arrive), and only the expanded tables' columns; rows are indexed,
//! so a frame draws only its visible slice and reads no lock.

use std::collections::BTreeMap;

use eventscope_core::warehouse::{ColumnSchema, Schema, SharedSchema, lock};

/// One table, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    /// Rows loaded into it (each upsert counts).
    pub rows: u64,
    pub columns: usize,
    /// The message that made it.
    pub first_seq: u64,
    /// Type conflicts in all its columns.
    pub conflicts: u64,
}

/// One row of the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SchemaRow<'a> {
    Table {
        table: &'a TableSummary,
        expanded: bool,
    },
    Column {
        table: &'a TableSummary,
        column: &'a ColumnSchema,
    },
}

/// What identifies a row across refreshes (its index moves as tables arrive): the table, and
/// the column for a column row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    pub table: String,
    pub column: Option<String>,
}

/// The schema, as drawn.
#[derive(Debug, Default)]
pub struct SchemaModel {
    /// Tables by name.
    pub tables: Vec<TableSummary>,
    /// Columns kept in all tables.
    pub columns: usize,
    /// Type conflicts in all tables.
    pub conflicts: u64,
    /// New tables and columns the schema's caps refused.
    pub dropped_tables: u64,
    pub dropped_columns: u64,
    /// The expanded tables' columns, by table name.
    expanded: BTreeMap<String, Vec<ColumnSchema>>,
    /// Each row: the table's index, and the column's within its expanded columns.
    rows: Vec<(usize, Option<usize>)>,
    /// The schema's count of messages at the last copy.
    mark: Option<u64>,
}

impl SchemaModel {
    /// The schema as it is now.
    pub fn open(schema: &SharedSchema) -> SchemaModel {
        let mut model = SchemaModel::default();
        model.refresh(schema);
        model
    }

    /// Copies the schema again if it has observed messages since the last copy; true when it
    /// had.
    pub fn refresh(&mut self, shared: &SharedSchema) -> bool {
        let schema = lock(shared);
        if self.mark == Some(schema.messages()) {
            return false;
        }
        self.copy(&schema);
        true
    }

    fn copy(&mut self, schema: &Schema) {
        self.mark = Some(schema.messages());
        self.tables = schema
            .tables()
            .map(|t| TableSummary {
                name: t.name().to_string(),
                rows: t.rows(),
                columns: t.columns().len(),
                first_seq: t.first_seq(),
                conflicts: t.conflicts(),
            })
            .collect();
        self.columns = schema.column_count();
        self.conflicts = self.tables.iter().map(|t| t.conflicts).sum();
        self.dropped_tables = schema.dropped_tables();
        self.dropped_columns = schema.dropped_columns();
        for (name, columns) in &mut self.expanded {
            if let Some(table) = schema.table(name) {
                columns.clear();
                columns.extend_from_slice(table.columns());
            }
        }
        self.index();
    }

    /// Expands the table `name`, or collapses it.
    pub fn toggle(&mut self, name: &str, shared: &SharedSchema) {
        if self.expanded.remove(name).is_none() {
            let schema = lock(shared);
            let columns = schema
                .table(name)
                .map(|t| t.columns().to_vec())
                .unwrap_or_default();
            self.expanded.insert(name.to_string(), columns);
        }
        self.index();
    }

    fn index(&mut self) {
        self.rows.clear();
        for (t, table) in self.tables.iter().enumerate() {
            self.rows.push((t, None));
            if let Some(columns) = self.expanded.get(&table.name) {
                self.rows.extend((0..columns.len()).map(|c| (t, Some(c))));
            }
        }
    }

    /// The widest name a row shows, in columns (a column's indented under its table).
    pub fn longest_name(&self) -> usize {
        let tables = self
            .tables
            .iter()
            .map(|t| 2 + crate::tui::text::width(&t.name));
        let columns = self
            .expanded
            .values()
            .flatten()
            .map(|c| 4 + crate::tui::text::width(&c.name));
        tables.chain(columns).max().unwrap_or(0)
    }

    /// Rows of the view: the tables and the expanded tables' columns.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, i: usize) -> Option<SchemaRow<'_>> {
        let (t, column) = *self.rows.get(i)?;
        let table = self.tables.get(t)?;
        Some(match column {
            None => SchemaRow::Table {
                table,
                expanded: self.expanded.contains_key(&table.name),
            },
            Some(c) => SchemaRow::Column {
                table,
                column: self.expanded.get(&table.name)?.get(c)?,
            },
        })
    }

    pub fn key(&self, i: usize) -> Option<RowKey> {
        Some(match self.row(i)? {
            SchemaRow::Table { table, .. } => RowKey {
                table: table.name.clone(),
                column: None,
            },
            SchemaRow::Column { table, column } => RowKey {
                table: table.name.clone(),
                column: Some(column.name.clone()),
            },
        })
    }

    /// The row of `key` now (its table's when the column is gone; 0 when the table is).
    pub fn index_of(&self, key: &RowKey) -> usize {
        let Some(t) = self.tables.iter().position(|t| t.name == key.table) else {
            return 0;
        };
        let table_row = self.rows.partition_point(|(i, _)| *i < t);
        let column = key.column.as_deref().and_then(|name| {
            self.expanded
                .get(&key.table)?
                .iter()
                .position(|c| c.name == name)
        });
        table_row + column.map_or(0, |c| c + 1)
    }
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
    fn tables_expand_to_their_columns_and_follow_the_schema_live() {
        let schema = SharedSchema::default();
        observe(
            &schema,
            1,
            r#"{"type":"track","event":"Signed Up","messageId":"m-1","properties":{"plan":"pro"}}"#,
        );
        let mut model = SchemaModel::open(&schema);
        let names: Vec<&str> = model.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["signed_up", "tracks"]);
        assert_eq!(model.len(), 2);
        assert!(!model.refresh(&schema), "nothing observed since");

        model.toggle("signed_up", &schema);
        let plan = (0..model.len())
            .find_map(|i| match model.row(i)? {
                SchemaRow::Column { column, .. } if column.name == "plan" => Some(i),
                _ => None,
            })
            .expect("the expanded table lists its columns");
        let key = model.key(plan).unwrap();

        // A conflict and a new table arrive: the copy follows, the cursor's row is found again.
        observe(
            &schema,
            2,
            r#"{"type":"track","event":"Signed Up","messageId":"m-2","properties":{"plan":3}}"#,
        );
        observe(
            &schema,
            3,
            r#"{"type":"track","event":"Added Card","messageId":"m-3"}"#,
        );
        assert!(model.refresh(&schema));
        assert_eq!(model.tables[0].name, "added_card");
        assert_eq!(model.index_of(&key), plan + 1);
        let Some(SchemaRow::Column { table, column }) = model.row(plan + 1) else {
            panic!("the plan column")
        };
        assert_eq!((table.rows, table.conflicts), (2, 1));
        assert_eq!((column.first_seq, column.conflicts), (1, 1));
        assert_eq!(model.conflicts, 1);

        model.toggle("signed_up", &schema);
        assert_eq!(model.len(), 3);
        assert_eq!(model.index_of(&key), 1, "the column's table");
    }
}
