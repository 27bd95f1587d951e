//! The PostgreSQL [`Sink`] (`--to postgres://…`), over tokio-postgres on a runtime of its
//! own (the loader is synchronous: one connection, one statement at a time). The schema is
//! created if missing. Types: `timestamptz`, `bigint`, `double precision`, `boolean`,
//! `varchar(512)` (what a Redshift user expects).
//!
//! A batch is `COPY`'d (text format) into a staging table (temporary, one per target table,
//! kept for the session and emptied after each batch), then `INSERT … SELECT … ON CONFLICT
//! (id) DO NOTHING` (or `DO UPDATE` for `users` and `accounts`) moves it in: COPY's speed,
//! and idempotent; two round trips a batch. The session commits asynchronously
//! (`synchronous_commit = off`): a server crash may lose the last batches, which a reload
//! (idempotent) restores. Every call (connecting too) is bounded by the timeout; TLS is not
//! supported (`sslmode=disable` or `prefer`).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use super::{Batch, Columns, LoadError, Sink, create_table_sql, mask_password, quote, upsert_set};
use crate::warehouse::{ColumnType, Value};

/// PostgreSQL's limit on columns per table.
const MAX_COLUMNS: usize = 1_600;

/// Bytes of COPY data sent at a time.
const COPY_CHUNK: usize = 1 << 20;

pub struct PostgresSink {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// The schema's name, quoted.
    schema: String,
    timeout: Duration,
    /// The URL with its password masked, for messages.
    name: String,
    /// Each target table's staging table.
    staging: HashMap<String, Staging>,
}

/// A temporary table a target table's batches are copied into.
struct Staging {
    /// Its name, quoted.
    name: String,
    columns: HashSet<String>,
}

impl PostgresSink {
    /// Connects to `url` (at most `timeout`) and creates `schema` if missing.
    pub fn connect(url: &str, schema: &str, timeout: Duration) -> Result<PostgresSink, LoadError> {
        let name = mask_password(url);
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| LoadError::Usage(format!("--to {name}: {e}")))?;
        config.connect_timeout(timeout);
        config.application_name("eventscope");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LoadError::Connect(format!("cannot start a runtime: {e}")))?;
        let connecting =
            runtime.block_on(async { tokio::time::timeout(timeout, config.connect(NoTls)).await });
        let (client, connection) = match connecting {
            Ok(Ok(connected)) => connected,
            Ok(Err(e)) => {
                return Err(LoadError::Connect(format!(
                    "cannot connect to {name}: {}",
                    one_line(&e)
                )));
            }
            Err(_) => {
                return Err(LoadError::Connect(format!(
                    "cannot connect to {name}: no answer in {timeout:?}"
                )));
            }
        };
        // Driven whenever the runtime runs a call (a current-thread runtime).
        runtime.spawn(async move {
            let _ = connection.await;
        });
        let sink = PostgresSink {
            runtime,
            client,
            schema: quote(schema),
            timeout,
            name,
            staging: HashMap::new(),
        };
        let create = format!(
            "CREATE SCHEMA IF NOT EXISTS {}; SET synchronous_commit TO off",
            sink.schema
        );
        sink.call("creating the schema", sink.client.batch_execute(&create))?;
        Ok(sink)
    }

    /// Runs one call, bounded by the timeout.
    fn call<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, LoadError> {
        let timeout = self.timeout;
        match self
            .runtime
            .block_on(async move { tokio::time::timeout(timeout, call).await })
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(LoadError::Database(format!(
                "{}: {what}: {}",
                self.name,
                one_line(&e)
            ))),
            Err(_) => Err(LoadError::Database(format!(
                "{}: {what}: no answer in {:?}",
                self.name, self.timeout
            ))),
        }
    }

    fn table(&self, table: &str) -> String {
        format!("{}.{}", self.schema, quote(table))
    }
}

/// An error with its cause, on one line.
fn one_line(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(db) = e.as_db_error() {
        text = format!("{} ({})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(": {detail}"));
        }
    }
    text.replace(['\n', '\r'], " ")
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Timestamp => "timestamptz",
        ColumnType::Integer => "bigint",
        ColumnType::Float => "double precision",
        ColumnType::Boolean => "boolean",
        ColumnType::Varchar => "varchar(512)",
    }
}

/// A column's type (`format_type`: `timestamp with time zone`, `character varying(512)`) as
/// a warehouse type.
fn column_type(data_type: &str) -> ColumnType {
    match data_type {
        t if t.starts_with("timestamp") || t == "date" => ColumnType::Timestamp,
        "bigint" | "integer" | "smallint" => ColumnType::Integer,
        "double precision" | "real" | "numeric" => ColumnType::Float,
        "boolean" => ColumnType::Boolean,
        _ => ColumnType::Varchar,
    }
}

/// One cell in COPY's text format.
fn encode(out: &mut Vec<u8>, cell: Option<&Value>) {
    match cell {
        None => out.extend_from_slice(b"\\N"),
        Some(Value::Timestamp(s) | Value::Varchar(s)) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b => out.push(b),
                }
            }
        }
        Some(Value::Integer(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Value::Float(f)) => {
            let _ = write!(out, "{f}");
        }
        Some(Value::Boolean(b)) => out.push(if *b { b't' } else { b'f' }),
    }
}

impl Sink for PostgresSink {
    fn max_columns(&self) -> usize {
        MAX_COLUMNS
    }

    fn columns(&mut self, table: &str) -> Result<Option<Columns>, LoadError> {
        let qualified = self.table(table);
        let rows = self.call(
            "reading the table's columns",
            self.client.query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum",
                &[&qualified],
            ),
        )?;
        let columns: Columns = rows
            .iter()
            .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)))
            .filter(|(name, _)| name != "uuid_ts")
            .map(|(name, data_type)| (name, column_type(&data_type)))
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }

    fn begin(&mut self) -> Result<(), LoadError> {
        self.call("BEGIN", self.client.batch_execute("BEGIN"))
    }

    fn create_table(
        &mut self,
        table: &str,
        columns: &[(String, ColumnType)],
    ) -> Result<(), LoadError> {
        let sql = create_table_sql(
            &self.table(table),
            "varchar(512) PRIMARY KEY",
            columns,
            sql_type,
            "timestamptz DEFAULT now()",
        );
        self.call(
            &format!("creating {table}"),
            self.client.batch_execute(&sql),
        )
    }

    fn add_column(&mut self, table: &str, column: &str, ty: ColumnType) -> Result<(), LoadError> {
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
            self.table(table),
            quote(column),
            sql_type(ty)
        );
        self.call(
            &format!("adding {table}.{column}"),
            self.client.batch_execute(&sql),
        )
    }

    fn write(&mut self, batch: &Batch) -> Result<u64, LoadError> {
        let names: Vec<String> = batch.columns().iter().map(|(n, _)| quote(n)).collect();
        let list = names.join(", ");
        // The staging table: made on first use, given the columns it lacks.
        let count = self.staging.len();
        let staging = self
            .staging
            .entry(batch.table().to_string())
            .or_insert_with(|| Staging {
                name: quote(&format!("eventscope_staging_{count}")),
                columns: HashSet::new(),
            });
        let missing: Vec<String> = batch
            .columns()
            .iter()
            .filter(|(n, _)| !staging.columns.contains(n))
            .map(|(n, ty)| format!("{} {}", quote(n), sql_type(*ty)))
            .collect();
        let prepare = match (staging.columns.is_empty(), missing.is_empty()) {
            (_, true) => String::new(),
            (true, false) => format!(
                "CREATE TEMP TABLE {} ({})",
                staging.name,
                missing.join(", ")
            ),
            (false, false) => format!(
                "ALTER TABLE {} {}",
                staging.name,
                missing
                    .iter()
                    .map(|c| format!("ADD COLUMN {c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        staging
            .columns
            .extend(batch.columns().iter().map(|(n, _)| n.clone()));
        let staging = staging.name.clone();
        let copy = format!("COPY {staging} ({list}) FROM STDIN");
        let mut insert = format!(
            "INSERT INTO {} AS t ({list}) SELECT {list} FROM {staging} ON CONFLICT (\"id\") DO ",
            self.table(batch.table())
        );
        if batch.is_upsert() {
            insert.push_str(&upsert_set(batch.columns(), "t.", "EXCLUDED"));
        } else {
            insert.push_str("NOTHING");
        }
        insert.push_str(&format!("; TRUNCATE {staging}"));
        let width = names.len();
        let mut chunks = Vec::new();
        let mut data = Vec::with_capacity(COPY_CHUNK + 4096);
        for row in batch.rows() {
            for i in 0..width {
                if i > 0 {
                    data.push(b'\t');
                }
                encode(&mut data, Batch::cell(row, i));
            }
            data.push(b'\n');
            if data.len() >= COPY_CHUNK {
                chunks.push(Bytes::from(std::mem::take(&mut data)));
            }
        }
        chunks.push(Bytes::from(data));
        let client = &self.client;
        let work = async move {
            if !prepare.is_empty() {
                client.batch_execute(&prepare).await?;
            }
            let sink = client.copy_in::<_, Bytes>(&copy).await?;
            futures_util::pin_mut!(sink);
            for chunk in chunks {
                sink.send(chunk).await?;
            }
            sink.finish().await?;
            // The INSERT's count comes first, then the TRUNCATE's.
            let done = client.simple_query(&insert).await?;
            Ok(done
                .iter()
                .find_map(|m| match m {
                    SimpleQueryMessage::CommandComplete(n) => Some(*n),
                    _ => None,
                })
                .unwrap_or(0))
        };
        self.call(&format!("writing {}", batch.table()), work)
    }

    fn commit(&mut self) -> Result<(), LoadError> {
        self.call("COMMIT", self.client.batch_execute("COMMIT"))
    }

    fn rollback(&mut self) {
        let _ = self.call("ROLLBACK", self.client.batch_execute("ROLLBACK"));
    }
}
