//! The SQLite [`Sink`] (`--to sqlite:PATH`, and the in-memory database `eventscope sql`
//! queries): SQLite built into the binary (rusqlite's `bundled`), so nothing is needed on the
//! machine. The file is attached under the schema's name (`ATTACH 'PATH' AS events`): its
//! tables are plain tables in the file (`SELECT * FROM tracks` in `sqlite3 PATH`), and
//! `events.tracks` while attached.
//!
//! Types: `TIMESTAMP` (ISO-8601 text in UTC, ordered as text), `BIGINT`, `DOUBLE PRECISION`,
//! `BOOLEAN` (0 or 1), `VARCHAR(512)`. Each row is one prepared `INSERT … ON CONFLICT (id)`.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use super::{Batch, Columns, LoadError, Sink, create_table_sql, quote, upsert_set};
use crate::warehouse::{ColumnType, Value};

/// SQLite's default `SQLITE_MAX_COLUMN`.
const MAX_COLUMNS: usize = 2_000;

pub struct SqliteSink {
    conn: Connection,
    /// The attached database's name, quoted.
    schema: String,
    /// What error messages call it (`sqlite:PATH`).
    name: String,
}

impl SqliteSink {
    /// Opens (or makes) the file at `path` as schema `schema`; waits at most `timeout` for a
    /// lock another process holds.
    pub fn open(path: &Path, schema: &str, timeout: Duration) -> Result<SqliteSink, LoadError> {
        let name = format!("sqlite:{}", path.display());
        let connect = |e: rusqlite::Error| LoadError::Connect(format!("cannot open {name}: {e}"));
        let file = path.to_str().ok_or_else(|| {
            LoadError::Usage(format!("{name}: the path is not UTF-8; use another"))
        })?;
        let conn = Connection::open_in_memory().map_err(connect)?;
        conn.busy_timeout(timeout).map_err(connect)?;
        conn.execute(&format!("ATTACH DATABASE ?1 AS {}", quote(schema)), [file])
            .map_err(connect)?;
        let sink = SqliteSink {
            conn,
            schema: quote(schema),
            name: name.clone(),
        };
        // Reading the schema proves the file is a database (ATTACH opens lazily). The file's
        // journal mode is left as it is (a new file: rollback journal, which writes a bulk load
        // once where WAL writes it twice); batches are large, so commits are few.
        let q = &sink.schema;
        sink.conn
            .execute_batch(&format!(
                "SELECT count(*) FROM {q}.sqlite_master;
                 PRAGMA {q}.synchronous = NORMAL;"
            ))
            .map_err(connect)?;
        sink.conn.set_prepared_statement_cache_capacity(256);
        Ok(sink)
    }

    /// An in-memory database (schema `main`).
    pub fn in_memory() -> Result<SqliteSink, LoadError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| LoadError::Connect(format!("cannot open an in-memory SQLite: {e}")))?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(SqliteSink {
            conn,
            schema: quote("main"),
            name: "sqlite::memory:".to_string(),
        })
    }

    /// The connection, to query what was loaded.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, to set what needs it mutably (a query's progress handler).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    fn fail(&self, e: rusqlite::Error) -> LoadError {
        LoadError::Database(format!("{}: {e}", self.name))
    }

    fn table(&self, table: &str) -> String {
        format!("{}.{}", self.schema, quote(table))
    }
}

/// A column's declared type.
fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Timestamp => "TIMESTAMP",
        ColumnType::Integer => "BIGINT",
        ColumnType::Float => "DOUBLE PRECISION",
        ColumnType::Boolean => "BOOLEAN",
        ColumnType::Varchar => "VARCHAR(512)",
    }
}

/// A declared type read back (any table's, by SQLite's own affinity rules).
fn column_type(declared: &str) -> ColumnType {
    let d = declared.to_ascii_uppercase();
    if d.contains("TIMESTAMP") || d.contains("DATE") {
        ColumnType::Timestamp
    } else if d.contains("BOOL") {
        ColumnType::Boolean
    } else if d.contains("INT") {
        ColumnType::Integer
    } else if d.contains("DOUB") || d.contains("REAL") || d.contains("FLOA") {
        ColumnType::Float
    } else {
        ColumnType::Varchar
    }
}

/// A cell bound without copying.
struct Cell<'a>(Option<&'a Value>);

impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            None => ValueRef::Null,
            Some(Value::Timestamp(s) | Value::Varchar(s)) => ValueRef::Text(s.as_bytes()),
            Some(Value::Integer(i)) => ValueRef::Integer(*i),
            Some(Value::Float(f)) => ValueRef::Real(*f),
            Some(Value::Boolean(b)) => ValueRef::Integer(i64::from(*b)),
        }))
    }
}

impl Sink for SqliteSink {
    fn max_columns(&self) -> usize {
        MAX_COLUMNS
    }

    fn columns(&mut self, table: &str) -> Result<Option<Columns>, LoadError> {
        let sql = format!("PRAGMA {}.table_info({})", self.schema, quote(table));
        let mut statement = self.conn.prepare(&sql).map_err(|e| self.fail(e))?;
        let columns: Columns = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(1)?, row.get::<_, String>(2)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| LoadError::Database(format!("{}: {e}", self.name)))?
            .into_iter()
            .filter(|(name, _)| name != "uuid_ts")
            .map(|(name, declared)| (name, column_type(&declared)))
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }

    fn begin(&mut self) -> Result<(), LoadError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.fail(e))
    }

    fn create_table(
        &mut self,
        table: &str,
        columns: &[(String, ColumnType)],
    ) -> Result<(), LoadError> {
        let sql = create_table_sql(
            &self.table(table),
            "VARCHAR(512) NOT NULL PRIMARY KEY",
            columns,
            sql_type,
            "TIMESTAMP DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        );
        self.conn.execute_batch(&sql).map_err(|e| self.fail(e))
    }

    fn add_column(&mut self, table: &str, column: &str, ty: ColumnType) -> Result<(), LoadError> {
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {} {}",
            self.table(table),
            quote(column),
            sql_type(ty)
        );
        self.conn.execute_batch(&sql).map_err(|e| self.fail(e))
    }

    fn write(&mut self, batch: &Batch) -> Result<u64, LoadError> {
        let names: Vec<String> = batch.columns().iter().map(|(n, _)| quote(n)).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (\"id\") DO ",
            self.table(batch.table()),
            names.join(", "),
            marks.join(", ")
        );
        if batch.is_upsert() {
            sql.push_str(&upsert_set(batch.columns(), "", "excluded"));
        } else {
            sql.push_str("NOTHING");
        }
        let width = names.len();
        let mut statement = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| LoadError::Database(format!("{}: {e}", self.name)))?;
        let mut changed = 0u64;
        for row in batch.rows() {
            let cells = (0..width).map(|i| Cell(Batch::cell(row, i)));
            changed += statement
                .execute(rusqlite::params_from_iter(cells))
                .map_err(|e| LoadError::Database(format!("{}: {e}", self.name)))?
                as u64;
        }
        Ok(changed)
    }

    fn commit(&mut self) -> Result<(), LoadError> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.fail(e))
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}
