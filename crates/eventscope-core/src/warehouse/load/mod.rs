//! Loading messages into a real database with Segment's warehouse schema: the driver. Each
//! message's rows ([`super::rows`]) are batched per table; a table is created the first time
//! it is seen (or read from the database when it is already there), a column is added
//! (`ALTER TABLE … ADD COLUMN`) the first time it appears, typed by its first value; a value
//! of another type is coerced or NULLed ([`coerce`]) and reported. Batches are written in one
//! transaction per flush through a [`Sink`]: SQLite ([`sqlite`]) or PostgreSQL ([`postgres`]).
//!
//! Idempotent: every table has `id` as its primary key. Call tables insert with `ON CONFLICT
//! (id) DO NOTHING` (the same file loaded twice adds no rows); `users` and `accounts` upsert
//! on `id`, the newer row's (by `received_at`, later in the load on a tie) non-null values
//! winning. Every table also has `received_at` (the message's, else the one the caller
//! gives: the recording frame's) and `uuid_ts` (when the row was loaded, filled by the
//! database).
//!
//! Choices where Segment's docs are silent: a message without a `messageId` gets the id
//! `es-` + the SHA-1 of its text (so a reload stays idempotent); names longer than 63 bytes
//! (PostgreSQL's limit) are cut to 63, and a name a database keeps for itself (a table
//! `sqlite_…`, a column `xmin` or `ctid`) gets a leading `_`; a table past the column limit (`[warehouse]
//! column_limit`, at most the database's own) loads no further columns, and their values are
//! counted as dropped.

pub mod capture;
mod coerce;
pub mod postgres;
pub mod sqlite;
mod summary;
mod target;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use sha1::{Digest, Sha1};

use super::{Column, Load, MAX_TABLES, Value, conflicts, rows};
use crate::model::json::Json;
pub use coerce::{Fate, coerce};
pub use summary::{ConflictNote, Summary, TableSummary};
pub use target::{Target, mask_password};

use super::ColumnType;

/// The longest table or column name a loader creates, in bytes (PostgreSQL's `NAMEDATALEN`
/// less one); longer names are cut.
pub const MAX_NAME: usize = 63;

/// Rows held across all tables before they are written: fewer, larger batches are the main
/// lever on a server's load rate (PostgreSQL: 7.5 s at 10,000, 4.9 s at 50,000 for 100,000
/// fixture messages here).
pub const DEFAULT_BATCH_ROWS: usize = 50_000;

/// Bytes of values held (about: text, plus a cell's own size) before they are written,
/// whatever the rows: a batch of wide rows of long strings stays bounded.
pub const BATCH_BYTES: usize = 64 << 20;

/// Columns every table is created with, before the columns its rows bring.
const BASE_COLUMNS: &[(&str, ColumnType)] = &[
    ("id", ColumnType::Varchar),
    ("received_at", ColumnType::Timestamp),
];

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A bad `--to` or `--schema`.
    #[error("{0}")]
    Usage(String),
    /// The database could not be reached or refused the login (the password masked).
    #[error("{0}")]
    Connect(String),
    /// The database refused a statement.
    #[error("{0}")]
    Database(String),
}

/// One table's columns as the database has them, in order.
pub type Columns = Vec<(String, ColumnType)>;

/// Where rows go: one database connection, in one schema.
pub trait Sink {
    /// The database's own limit on columns per table.
    fn max_columns(&self) -> usize;
    /// `table`'s columns and their types, `None` when there is no such table.
    fn columns(&mut self, table: &str) -> Result<Option<Columns>, LoadError>;
    fn begin(&mut self) -> Result<(), LoadError>;
    /// Creates `table` with `id` (the primary key), `columns` and `uuid_ts`.
    fn create_table(
        &mut self,
        table: &str,
        columns: &[(String, ColumnType)],
    ) -> Result<(), LoadError>;
    fn add_column(&mut self, table: &str, column: &str, ty: ColumnType) -> Result<(), LoadError>;
    /// Writes `batch`; the rows it added (inserts) or added and changed (upserts).
    fn write(&mut self, batch: &Batch) -> Result<u64, LoadError>;
    fn commit(&mut self) -> Result<(), LoadError>;
    /// Undoes an unfinished transaction after an error (best effort).
    fn rollback(&mut self);
}

impl<T: Sink + ?Sized> Sink for Box<T> {
    fn max_columns(&self) -> usize {
        (**self).max_columns()
    }
    fn columns(&mut self, table: &str) -> Result<Option<Columns>, LoadError> {
        (**self).columns(table)
    }
    fn begin(&mut self) -> Result<(), LoadError> {
        (**self).begin()
    }
    fn create_table(
        &mut self,
        table: &str,
        columns: &[(String, ColumnType)],
    ) -> Result<(), LoadError> {
        (**self).create_table(table, columns)
    }
    fn add_column(&mut self, table: &str, column: &str, ty: ColumnType) -> Result<(), LoadError> {
        (**self).add_column(table, column, ty)
    }
    fn write(&mut self, batch: &Batch) -> Result<u64, LoadError> {
        (**self).write(batch)
    }
    fn commit(&mut self) -> Result<(), LoadError> {
        (**self).commit()
    }
    fn rollback(&mut self) {
        (**self).rollback()
    }
}

/// The rows of one table waiting to be written: each row's cells follow `columns` (a row
/// added before a column appeared is shorter: the rest is NULL); each cell's variant is its
/// column's type.
#[derive(Debug, Default)]
pub struct Batch {
    table: String,
    upsert: bool,
    columns: Columns,
    index: HashMap<String, usize>,
    rows: Vec<Vec<Option<Value>>>,
    /// Upserts: the row holding each id.
    by_id: HashMap<String, usize>,
}

impl Batch {
    pub fn table(&self) -> &str {
        &self.table
    }

    /// `users` or `accounts`: merged on `id`, the newer non-null values winning.
    pub fn is_upsert(&self) -> bool {
        self.upsert
    }

    pub fn columns(&self) -> &[(String, ColumnType)] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows; [`Batch::cell`] reads one cell.
    pub fn rows(&self) -> &[Vec<Option<Value>>] {
        &self.rows
    }

    /// Row `row`'s cell for column `column` (NULL past the row's end).
    pub fn cell(row: &[Option<Value>], column: usize) -> Option<&Value> {
        row.get(column).and_then(Option::as_ref)
    }

    fn column_index(&mut self, name: &str, ty: ColumnType) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.index.insert(name.to_string(), self.columns.len());
        self.columns.push((name.to_string(), ty));
        self.columns.len() - 1
    }

    /// Adds a row; an upsert of an id already here is merged into its row.
    fn push(&mut self, cells: Vec<(usize, Option<Value>)>) {
        let width = cells.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        let mut row = vec![None; width];
        for (i, cell) in cells {
            row[i] = cell;
        }
        if self.upsert {
            let id = self
                .index
                .get("id")
                .and_then(|&i| match Batch::cell(&row, i) {
                    Some(Value::Varchar(id)) => Some(id.to_string()),
                    _ => None,
                });
            if let Some(id) = id {
                if let Some(&at) = self.by_id.get(&id) {
                    let received = self.index.get("received_at").copied();
                    merge(&mut self.rows[at], row, received);
                    return;
                }
                self.by_id.insert(id, self.rows.len());
            }
        }
        self.rows.push(row);
    }
}

/// Merges a later row of the same id into `old`: the newer row's (by `received_at`; `new` on
/// a tie or when either has none) non-null cells win, the older row's fill the rest.
fn merge(old: &mut Vec<Option<Value>>, new: Vec<Option<Value>>, received: Option<usize>) {
    let stamp = |row: &[Option<Value>]| match received.and_then(|i| Batch::cell(row, i)) {
        Some(Value::Timestamp(t)) => Some(t.clone()),
        _ => None,
    };
    let new_wins = match (stamp(old), stamp(&new)) {
        (Some(o), Some(n)) => n >= o,
        _ => true,
    };
    if old.len() < new.len() {
        old.resize(new.len(), None);
    }
    for (i, cell) in new.into_iter().enumerate() {
        if cell.is_some() && (new_wins || old[i].is_none()) {
            old[i] = cell;
        }
    }
}

/// One table as the loader knows it.
#[derive(Debug, Default)]
struct TableState {
    /// Its columns in order: those from the database first, then those added.
    columns: Columns,
    types: HashMap<String, ColumnType>,
    /// How many of `columns` the database has (the rest are added at the next flush);
    /// `None` until the table exists there.
    in_database: Option<usize>,
    summary: TableSummary,
}

/// Loads messages through a [`Sink`], batching rows and evolving the schema.
pub struct Loader<S: Sink = Box<dyn Sink>> {
    sink: S,
    column_limit: usize,
    batch_rows: usize,
    tables: BTreeMap<String, TableState>,
    pending: BTreeMap<String, Batch>,
    pending_rows: usize,
    /// About what the pending rows weigh ([`BATCH_BYTES`]).
    pending_bytes: usize,
    summary: Summary,
}

impl<S: Sink> Loader<S> {
    /// A loader writing to `sink`; a table takes at most `column_limit` columns (and never
    /// more than the database allows).
    pub fn new(sink: S, column_limit: usize) -> Loader<S> {
        let column_limit = column_limit
            .min(sink.max_columns())
            .max(BASE_COLUMNS.len() + 1);
        Loader {
            sink,
            column_limit,
            batch_rows: DEFAULT_BATCH_ROWS,
            tables: BTreeMap::new(),
            pending: BTreeMap::new(),
            pending_rows: 0,
            pending_bytes: 0,
            summary: Summary::default(),
        }
    }

    /// Rows held before a write (at least 1).
    pub fn with_batch_rows(mut self, rows: usize) -> Loader<S> {
        self.batch_rows = rows.max(1);
        self
    }

    /// Adds message `seq` (its JSON `text`, parsed as `message`; `received_at`: the frame's,
    /// used when the message has none); writes when enough rows are held.
    pub fn add(
        &mut self,
        seq: u64,
        message: &Json<'_>,
        text: &str,
        received_at: Option<&str>,
    ) -> Result<(), LoadError> {
        self.summary.messages += 1;
        for row in rows(message) {
            let table = database_name(&row.table, true);
            if !self.known(&table)? {
                self.summary.rows_dropped += 1;
                continue;
            }
            let (Some(state), summary) = (self.tables.get_mut(&*table), &mut self.summary) else {
                continue;
            };
            if !self.pending.contains_key(&*table) {
                let batch = Batch {
                    table: table.to_string(),
                    upsert: row.load == Load::Upsert,
                    ..Batch::default()
                };
                self.pending.insert(table.to_string(), batch);
            }
            let Some(batch) = self.pending.get_mut(&*table) else {
                continue;
            };
            let mut place = Place {
                seq,
                table: &table,
                column_limit: self.column_limit,
                state,
                batch,
                summary,
                cells: Vec::with_capacity(row.columns.len() + 2),
                id: false,
                received_at: false,
            };
            for column in row.columns {
                let Column { name, value, .. } = column;
                let renamed = database_name(&name, false);
                place.cell(&renamed, matches!(renamed, Cow::Owned(_)), value);
            }
            if !place.id {
                let digest = Sha1::digest(text.as_bytes());
                place.cell("id", false, Value::Varchar(format!("es-{digest:x}").into()));
            }
            if !place.received_at
                && let Some(at) = received_at.and_then(coerce::timestamp)
            {
                place.cell("received_at", false, at);
            }
            let cells = std::mem::take(&mut place.cells);
            self.pending_bytes += cells.iter().map(|(_, v)| weight(v.as_ref())).sum::<usize>();
            place.batch.push(cells);
            if row.load == Load::Upsert {
                place.state.summary.upserted += 1;
                place.summary.upserted += 1;
            }
            self.pending_rows += 1;
        }
        if self.pending_rows >= self.batch_rows || self.pending_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Whether `table` can take rows: known, found in the database, or new (and under
    /// [`MAX_TABLES`]).
    fn known(&mut self, table: &str) -> Result<bool, LoadError> {
        if self.tables.contains_key(table) {
            return Ok(true);
        }
        if self.tables.len() >= MAX_TABLES {
            return Ok(false);
        }
        let mut state = TableState::default();
        match self.sink.columns(table)? {
            Some(columns) => {
                state.in_database = Some(columns.len());
                state.types = columns.iter().cloned().collect();
                state.columns = columns;
                // A table made elsewhere without `received_at`: the upsert rule needs it.
                if !state.types.contains_key("received_at") {
                    state.add("received_at", ColumnType::Timestamp);
                }
            }
            None => {
                state.summary.created = true;
                for (name, ty) in BASE_COLUMNS {
                    state.add(name, *ty);
                }
            }
        }
        self.tables.insert(table.to_string(), state);
        Ok(true)
    }

    /// Writes every held row: the schema changes first, then each table's batch, in one
    /// transaction.
    pub fn flush(&mut self) -> Result<(), LoadError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        self.pending_bytes = 0;
        self.sink.begin()?;
        let written = self.write_all(&pending);
        let done = written.and_then(|()| self.sink.commit());
        if done.is_err() {
            self.sink.rollback();
        }
        done
    }

    fn write_all(&mut self, pending: &BTreeMap<String, Batch>) -> Result<(), LoadError> {
        for (table, batch) in pending {
            let Some(state) = self.tables.get_mut(table) else {
                continue;
            };
            match state.in_database {
                None => {
                    let columns: Columns = state.columns[1..].to_vec();
                    self.sink.create_table(table, &columns)?;
                    self.summary.tables_created += 1;
                }
                Some(had) => {
                    for (name, ty) in &state.columns[had..] {
                        self.sink.add_column(table, name, *ty)?;
                        state.summary.columns_added += 1;
                        self.summary.columns_added += 1;
                    }
                }
            }
            state.in_database = Some(state.columns.len());
            let changed = self.sink.write(batch)?;
            // Upserts are counted as queued (merged rows are one write).
            if !batch.upsert {
                let duplicates = (batch.len() as u64).saturating_sub(changed);
                state.summary.inserted += changed;
                state.summary.duplicates += duplicates;
                self.summary.inserted += changed;
                self.summary.duplicates += duplicates;
            }
        }
        Ok(())
    }

    /// The sink, to write beside the loader (between flushes: not in a transaction).
    pub fn sink(&self) -> &S {
        &self.sink
    }

    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Writes what is held and returns what the load did, and the sink.
    pub fn finish(mut self) -> Result<(Summary, S), LoadError> {
        self.flush()?;
        let mut summary = self.summary;
        summary.tables = self
            .tables
            .into_iter()
            .map(|(name, state)| {
                let mut table = state.summary;
                table.name = name;
                table.columns = state.columns.len() + 1; // and uuid_ts
                table
            })
            .collect();
        Ok((summary, self.sink))
    }

    /// What the load has done so far (tables not filled in), for a progress line.
    pub fn progress(&self) -> &Summary {
        &self.summary
    }
}

/// One row being placed into its table's batch: each value coerced to its column (a new
/// column added to the table), without copying names.
struct Place<'a> {
    seq: u64,
    table: &'a str,
    column_limit: usize,
    state: &'a mut TableState,
    batch: &'a mut Batch,
    summary: &'a mut Summary,
    /// The row's cells by the batch's column index.
    cells: Vec<(usize, Option<Value>)>,
    /// Whether the row has an `id`, a `received_at`.
    id: bool,
    received_at: bool,
}

impl Place<'_> {
    /// Adds column `name`'s value; `renamed`: its name was changed (cut), so it may be one
    /// the row already has (the first keeps it).
    fn cell(&mut self, name: &str, renamed: bool, value: Value) {
        self.id |= name == "id";
        self.received_at |= name == "received_at";
        let ty = match self.state.types.get(name) {
            Some(&ty) => ty,
            None if self.state.columns.len() >= self.column_limit => {
                self.summary.values_over_limit += 1;
                self.state.summary.values_over_limit += 1;
                return;
            }
            None => {
                let ty = value.column_type();
                self.state.add(name, ty);
                ty
            }
        };
        let index = self.batch.column_index(name, ty);
        if renamed && self.cells.iter().any(|(i, _)| *i == index) {
            return;
        }
        // The value as sent, for the report: copied only when it is not its column's type.
        let sent = conflicts(ty, value.column_type()).then(|| value.clone());
        let (loaded, fate) = coerce(value, ty);
        let (cell, rejected) = match loaded {
            Ok(cell) => (Some(cell), None),
            Err(value) => (None, Some(value)),
        };
        if fate != Fate::Kept
            && let Some(sent) = sent.or(rejected)
        {
            self.state.summary.count(fate);
            self.summary.conflict(ConflictNote {
                seq: self.seq,
                table: self.table.to_string(),
                column: name.to_string(),
                column_type: ty,
                sent,
                loaded: cell.clone(),
                fate,
            });
        }
        self.cells.push((index, cell));
    }
}

impl TableState {
    fn add(&mut self, name: &str, ty: ColumnType) {
        self.types.insert(name.to_string(), ty);
        self.columns.push((name.to_string(), ty));
    }
}

/// Column names PostgreSQL keeps for itself (its system columns).
const SYSTEM_COLUMNS: &[&str] = &["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid"];

/// `name` as the database gets it: cut to [`MAX_NAME`] bytes, and with a leading `_` when the
/// database keeps it for itself (a table `sqlite_…`, a column `xmin`): go-snakecase never
/// starts a name with `_`, so no other name becomes the same. Borrowed when unchanged.
fn database_name(name: &str, table: bool) -> Cow<'_, str> {
    let reserved = if table {
        name.starts_with("sqlite_")
    } else {
        SYSTEM_COLUMNS.contains(&name)
    };
    if !reserved && name.len() <= MAX_NAME {
        return Cow::Borrowed(name);
    }
    let name = if reserved {
        format!("_{name}")
    } else {
        name.to_string()
    };
    let mut end = name.len().min(MAX_NAME);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(name.get(..end).unwrap_or(&name).to_string())
}

/// `name` quoted as an SQL identifier (both dialects).
/// `CREATE TABLE IF NOT EXISTS` for `table` (already qualified and quoted): `id` declared as
/// `id` says, the columns in the sink's types, then `uuid_ts` as `uuid_ts` says.
pub fn create_table_sql(
    table: &str,
    id: &str,
    columns: &[(String, ColumnType)],
    sql_type: fn(ColumnType) -> &'static str,
    uuid_ts: &str,
) -> String {
    let mut sql = format!("CREATE TABLE IF NOT EXISTS {table} (\"id\" {id}");
    for (name, ty) in columns {
        sql.push_str(&format!(", {} {}", quote(name), sql_type(*ty)));
    }
    sql.push_str(&format!(", \"uuid_ts\" {uuid_ts})"));
    sql
}

pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The `UPDATE SET …` of an upsert on `id`: each of `columns` (but `id`) takes the newer
/// row's value when it is not NULL and keeps the older one's otherwise; newer by
/// `received_at`, the incoming row on a tie or when either has none. `old` qualifies the
/// stored row's columns (`t.`, or empty), `new` names the incoming row (`excluded`).
pub fn upsert_set(columns: &[(String, ColumnType)], old: &str, new: &str) -> String {
    let at = quote("received_at");
    let newer = format!("({old}{at} IS NULL OR {new}.{at} IS NULL OR {new}.{at} >= {old}{at})");
    let mut sets = vec![format!(
        "{at} = CASE WHEN {old}{at} IS NULL OR {new}.{at} > {old}{at} \
         THEN COALESCE({new}.{at}, {old}{at}) ELSE {old}{at} END"
    )];
    for (name, _) in columns {
        if name == "id" || name == "received_at" {
            continue;
        }
        let c = quote(name);
        sets.push(format!(
            "{c} = CASE WHEN {newer} THEN COALESCE({new}.{c}, {old}{c}) \
             ELSE COALESCE({old}{c}, {new}.{c}) END"
        ));
    }
    format!("UPDATE SET {}", sets.join(", "))
}

/// About what a held cell weighs: its text and the cell itself.
fn weight(value: Option<&Value>) -> usize {
    let text = match value {
        Some(Value::Timestamp(s) | Value::Varchar(s)) => s.len(),
        _ => 0,
    };
    text + std::mem::size_of::<(usize, Option<Value>)>()
}
