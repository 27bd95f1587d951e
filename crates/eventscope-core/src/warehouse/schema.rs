//! The warehouse schema a stream builds, fed message by message: tables, their columns (type
//! set by the first value, the seq that introduced each), rows per table, type conflicts, and
//! families of event tables whose names differ only by digits or ids. Bounded: past a cap on
//! tables, columns (per table and in all) or name bytes, what is new is dropped and counted.
//! [`Schema::observe`] says what one message changed; the verdicts read that
//! (`inspect::warehouse`).

use std::collections::{BTreeMap, HashMap};

use super::rows::{Load, Row};
use super::value::{ColumnType, Value};

/// Tables kept; a new table past it is dropped (counted in [`Schema::dropped_tables`]).
pub const MAX_TABLES: usize = 10_000;
/// Columns kept per table: above any warehouse's own limit (BigQuery's 10,000), so
/// `warehouse/column-limit` can see a table cross the configured one.
pub const MAX_COLUMNS_PER_TABLE: usize = 10_000;
/// Columns kept in all tables together.
pub const MAX_COLUMNS: usize = 200_000;
/// Bytes of table, column and family names kept in all (a peer controls their length).
pub const MAX_NAME_BYTES: usize = 16 << 20;

/// The tables every source schema has; any other table is a track event's.
pub const FIXED_TABLES: &[&str] = &[
    "tracks",
    "identifies",
    "users",
    "pages",
    "screens",
    "groups",
    "accounts",
    "aliases",
];

/// One column as the schema knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    pub name: String,
    /// Set by the first value seen; later values of another type conflict.
    pub column_type: ColumnType,
    /// The message that introduced it.
    pub first_seq: u64,
    /// Values of another type seen since (each one a `warehouse/type-conflict`).
    pub conflicts: u64,
}

/// One table: its columns in the order they appeared (the order `ALTER TABLE` adds them).
#[derive(Debug, Clone, Default)]
pub struct TableSchema {
    name: String,
    first_seq: u64,
    rows: u64,
    columns: Vec<ColumnSchema>,
    index: HashMap<String, usize, foldhash::fast::RandomState>,
}

impl TableSchema {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The message that made the table.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Rows loaded into it (an upserted table counts every upsert).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Its columns, in the order they appeared.
    pub fn columns(&self) -> &[ColumnSchema] {
        &self.columns
    }

    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.index.get(name).map(|&i| &self.columns[i])
    }

    /// Type conflicts seen in all its columns.
    pub fn conflicts(&self) -> u64 {
        self.columns.iter().map(|c| c.conflicts).sum()
    }
}

/// A column a message added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewColumn {
    pub table: String,
    pub column: String,
}

/// A value whose type is not its column's.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub table: String,
    pub column: String,
    /// Where in the message the value was read.
    pub path: String,
    /// The column's type and the message that set it.
    pub column_type: ColumnType,
    pub first_seq: u64,
    /// The value sent (its variant is its type).
    pub value: Value,
}

/// The second member of a family of event tables whose names differ only by digits or ids
/// (`ordered_product_15`, `ordered_product_16`): said once per family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    /// The table name with digit runs and ids masked (`ordered_product_#`).
    pub pattern: String,
    /// The first member and the message that made it.
    pub first_table: String,
    pub first_seq: u64,
    /// This message's table.
    pub table: String,
}

/// What one message changed in the schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub seq: u64,
    /// Tables this message made.
    pub new_tables: Vec<String>,
    /// Columns this message added, in row order.
    pub new_columns: Vec<NewColumn>,
    pub conflicts: Vec<Conflict>,
    pub family: Option<Family>,
    /// Tables and columns the caps dropped for this message.
    pub dropped: usize,
}

impl Observed {
    /// Whether the message changed the schema's shape or broke it: a new table or column, a
    /// type conflict, or a second table of a family (the viewer's `has:drift`).
    pub fn is_drift(&self) -> bool {
        !self.new_tables.is_empty()
            || !self.new_columns.is_empty()
            || !self.conflicts.is_empty()
            || self.family.is_some()
    }
}

/// A family of event tables seen so far.
#[derive(Debug, Clone)]
struct FamilyState {
    first_table: String,
    first_seq: u64,
    told: bool,
}

/// The schema of everything observed so far.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: BTreeMap<String, TableSchema>,
    families: HashMap<String, FamilyState>,
    columns: usize,
    name_bytes: usize,
    dropped_tables: u64,
    dropped_columns: u64,
    /// Messages observed (a reader's cue that something may have changed).
    messages: u64,
}

impl Schema {
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Adds the rows of message `seq` (from [`super::rows`]) and says what changed.
    pub fn observe(&mut self, seq: u64, rows: &[Row]) -> Observed {
        self.messages += 1;
        let mut observed = Observed {
            seq,
            ..Observed::default()
        };
        for row in rows {
            self.observe_row(seq, row, &mut observed);
        }
        observed
    }

    fn observe_row(&mut self, seq: u64, row: &Row, observed: &mut Observed) {
        if !self.tables.contains_key(&*row.table) {
            if self.tables.len() >= MAX_TABLES || !self.room_for(row.table.len()) {
                self.dropped_tables += 1;
                observed.dropped += 1;
                return;
            }
            if is_event_table(row) {
                observed.family = observed.family.take().or_else(|| self.family(seq, row));
            }
            self.name_bytes += row.table.len();
            self.tables.insert(
                row.table.to_string(),
                TableSchema {
                    name: row.table.to_string(),
                    first_seq: seq,
                    ..TableSchema::default()
                },
            );
            observed.new_tables.push(row.table.to_string());
        }
        let Some(table) = self.tables.get_mut(&*row.table) else {
            return;
        };
        table.rows += 1;
        for column in &row.columns {
            let now = column.column_type();
            if let Some(&i) = table.index.get(&*column.name) {
                let known = &mut table.columns[i];
                if conflicts(known.column_type, now) {
                    known.conflicts += 1;
                    observed.conflicts.push(Conflict {
                        table: row.table.to_string(),
                        column: column.name.to_string(),
                        path: column.path.to_string(),
                        column_type: known.column_type,
                        first_seq: known.first_seq,
                        value: column.value.clone(),
                    });
                }
                continue;
            }
            let room = table.columns.len() < MAX_COLUMNS_PER_TABLE
                && self.columns < MAX_COLUMNS
                && self.name_bytes + column.name.len() <= MAX_NAME_BYTES;
            if !room {
                self.dropped_columns += 1;
                observed.dropped += 1;
                continue;
            }
            self.columns += 1;
            self.name_bytes += column.name.len();
            table
                .index
                .insert(column.name.to_string(), table.columns.len());
            table.columns.push(ColumnSchema {
                name: column.name.to_string(),
                column_type: now,
                first_seq: seq,
                conflicts: 0,
            });
            observed.new_columns.push(NewColumn {
                table: row.table.to_string(),
                column: column.name.to_string(),
            });
        }
    }

    fn room_for(&self, bytes: usize) -> bool {
        self.name_bytes + bytes <= MAX_NAME_BYTES
    }

    /// A new event table's family: `Some` when it is the family's second member.
    fn family(&mut self, seq: u64, row: &Row) -> Option<Family> {
        let pattern = mask(&row.table)?;
        match self.families.get_mut(&pattern) {
            Some(state) if !state.told => {
                state.told = true;
                Some(Family {
                    pattern,
                    first_table: state.first_table.clone(),
                    first_seq: state.first_seq,
                    table: row.table.to_string(),
                })
            }
            Some(_) => None,
            None => {
                if self.families.len() < MAX_TABLES && self.room_for(pattern.len()) {
                    self.name_bytes += pattern.len();
                    self.families.insert(
                        pattern,
                        FamilyState {
                            first_table: row.table.to_string(),
                            first_seq: seq,
                            told: false,
                        },
                    );
                }
                None
            }
        }
    }

    /// The tables, sorted by name.
    pub fn tables(&self) -> impl Iterator<Item = &TableSchema> {
        self.tables.values()
    }

    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.get(name)
    }

    /// Messages observed so far: unchanged, nothing in the schema has changed.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Columns kept in all tables.
    pub fn column_count(&self) -> usize {
        self.columns
    }

    /// New tables the caps refused (each time one was seen).
    pub fn dropped_tables(&self) -> u64 {
        self.dropped_tables
    }

    /// New columns the caps refused (each time one was seen).
    pub fn dropped_columns(&self) -> u64 {
        self.dropped_columns
    }
}

/// Whether a value of type `now` in a column of type `column` is a conflict: any other type,
/// except an integer in a float column (it widens losslessly). A float in an integer column
/// is one: an integer column keeps no decimals.
pub fn conflicts(column: ColumnType, now: ColumnType) -> bool {
    column != now && !(column == ColumnType::Float && now == ColumnType::Integer)
}

/// A track event's table (not one of [`FIXED_TABLES`]).
fn is_event_table(row: &Row) -> bool {
    row.load == Load::Insert && !FIXED_TABLES.contains(&&*row.table)
}

/// `name` with each id-like word (between `_`s: only hex digits, at least one a digit — a
/// uuid's parts, an object id) and each other run of digits masked as `#`
/// (`ordered_product_15` → `ordered_product_#`); `None` for a name without digits (no family).
pub fn mask(name: &str) -> Option<String> {
    if !name.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    for (i, word) in name.split('_').enumerate() {
        if i > 0 {
            out.push('_');
        }
        let hex_id =
            word.bytes().all(|b| b.is_ascii_hexdigit()) && word.bytes().any(|b| b.is_ascii_digit());
        if hex_id {
            out.push('#');
            continue;
        }
        let mut in_digits = false;
        for c in word.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
    }
    Some(out)
}
