//! SQL over captured messages: an in-memory SQLite holding the warehouse tables (as
//! `eventscope warehouse` loads them, through the same [`Loader`]) and eventscope's own —
//! `messages` (one row per message), `findings` (each message's verdicts) and `deliveries`
//! (one row per message a delivery carried). `eventscope sql` fills one from a recording, the
//! viewer's `:` prompt one from its retained rows (on its own thread). A query is the user's
//! program: it runs under a time budget, and [`CaptureDb::query`] hands its rows out one by
//! one so the caller bounds them.

use std::time::{Duration, Instant};

use rusqlite::params;
use rusqlite::types::ValueRef;

use super::sqlite::SqliteSink;
use super::{LoadError, Loader};
use crate::inspect::Finding;
use crate::model::json::Json;
use crate::model::{DeliveryFrame, mask_in_text, mask_secret};

/// eventscope's own tables.
const OWN_TABLES: &str = "
CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT, type TEXT, event TEXT,
  user_id TEXT, anonymous_id TEXT, received_at TEXT, write_key TEXT, json TEXT);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE TABLE findings (seq INTEGER, rule TEXT, severity TEXT, path TEXT, message TEXT);
CREATE INDEX findings_seq ON findings (seq);
CREATE TABLE deliveries (seq INTEGER, message_id TEXT, destination TEXT, kind TEXT, at TEXT,
  ok INTEGER, status INTEGER, error TEXT, attempts INTEGER, latency_ms REAL, skipped TEXT,
  dropped TEXT);";

/// SQLite virtual-machine steps between two looks at the clock.
const STEPS_PER_CHECK: i32 = 10_000;

/// One captured message, as the database takes it.
#[derive(Debug, Clone, Copy)]
pub struct Captured<'a> {
    pub seq: u64,
    /// The message JSON as received.
    pub text: &'a str,
    /// The collector's `receivedAt` (the message's own wins when it has one).
    pub received_at: &'a str,
    /// The write key, masked already.
    pub write_key: Option<&'a str>,
}

/// One value of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl From<ValueRef<'_>> for Cell {
    fn from(value: ValueRef<'_>) -> Cell {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Cell::Text(format!("<{} bytes>", b.len())),
        }
    }
}

impl Cell {
    /// As shown: `NULL`, the number, or the text.
    pub fn text(&self) -> String {
        match self {
            Cell::Null => "NULL".to_string(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(f) => f.to_string(),
            Cell::Text(t) => t.clone(),
        }
    }
}

/// Why a query gave no (more) rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// SQLite refused or failed it (its message).
    Sql(String),
    /// It ran past its budget and was stopped.
    Budget(Duration),
    /// It would change the database, and only reading is allowed here.
    NotReadOnly,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Sql(e) => write!(f, "{e}"),
            QueryError::Budget(budget) => write!(
                f,
                "stopped after {:.1} s: the query ran past its budget",
                budget.as_secs_f64()
            ),
            QueryError::NotReadOnly => {
                f.write_str("only queries that read (SELECT, WITH, EXPLAIN) run here")
            }
        }
    }
}

/// The database: the warehouse loader on an in-memory SQLite, and the own tables beside it.
pub struct CaptureDb {
    loader: Loader<SqliteSink>,
}

impl CaptureDb {
    /// An empty database; `column_limit` as `[warehouse]` sets it.
    pub fn in_memory(column_limit: usize) -> Result<CaptureDb, LoadError> {
        let sink = SqliteSink::in_memory()?;
        sink.connection()
            .execute_batch(OWN_TABLES)
            .map_err(|e| LoadError::Database(e.to_string()))?;
        Ok(CaptureDb {
            loader: Loader::new(sink, column_limit),
        })
    }

    /// A message: its warehouse rows, its `messages` row and its `findings`. A text that does
    /// not parse as JSON adds nothing.
    pub fn add_event(&mut self, message: Captured<'_>, findings: &[Finding]) -> Result<(), String> {
        let Ok(tree) = Json::parse(message.text) else {
            return Ok(());
        };
        self.loader
            .add(message.seq, &tree, message.text, Some(message.received_at))
            .map_err(|e| e.to_string())?;
        let conn = self.loader.sink().connection();
        insert_message(conn, message, &tree).map_err(|e| e.to_string())?;
        insert_findings(conn, message.seq, findings).map_err(|e| e.to_string())
    }

    /// A delivery: one `deliveries` row per message it carried (one row when it names none).
    pub fn add_delivery(&mut self, d: &DeliveryFrame) -> Result<(), String> {
        let conn = self.loader.sink().connection();
        let mut statement = conn
            .prepare_cached(
                "INSERT INTO deliveries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(|e| e.to_string())?;
        let carried = d.for_seqs.len().max(d.message_ids.len()).max(1);
        for i in 0..carried {
            statement
                .execute(params![
                    d.for_seqs.get(i).map(|s| *s as i64),
                    d.message_ids.get(i),
                    d.destination,
                    d.kind,
                    d.at,
                    d.ok,
                    d.status,
                    d.error,
                    d.attempts,
                    d.latency_ms,
                    d.skipped,
                    d.dropped,
                ])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Runs `sql` for at most `budget`: hands `each` the column names once, then every row
    /// until `each` returns false. `read_only` refuses a statement that would write.
    pub fn query(
        &mut self,
        sql: &str,
        budget: Duration,
        read_only: bool,
        mut each: impl FnMut(Rows<'_>) -> bool,
    ) -> Result<(), QueryError> {
        self.loader
            .flush()
            .map_err(|e| QueryError::Sql(e.to_string()))?;
        let conn = self.loader.sink_mut().connection_mut();
        let sql_error = |e: rusqlite::Error| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                QueryError::Budget(budget)
            }
            e => QueryError::Sql(e.to_string()),
        };
        let deadline = Instant::now() + budget;
        // No budget, no query: a handler that cannot be set refuses the query.
        conn.progress_handler(STEPS_PER_CHECK, Some(move || Instant::now() > deadline))
            .map_err(|e| QueryError::Sql(e.to_string()))?;
        let result = (|| {
            let mut statement = conn.prepare(sql).map_err(sql_error)?;
            if read_only && !statement.readonly() {
                return Err(QueryError::NotReadOnly);
            }
            let names: Vec<String> = statement.column_names().map(str::to_string).collect();
            if !each(Rows::Names(&names)) {
                return Ok(());
            }
            let mut rows = statement.query([]).map_err(sql_error)?;
            while let Some(row) = rows.next().map_err(sql_error)? {
                let cells: Vec<Cell> = (0..names.len())
                    .map(|i| row.get_ref(i).map(Cell::from))
                    .collect::<Result<_, _>>()
                    .map_err(sql_error)?;
                if !each(Rows::Row(cells)) {
                    break;
                }
            }
            Ok(())
        })();
        // Removing it cannot fail in a way that matters: the next query sets its own.
        let _ = conn.progress_handler(0, None::<fn() -> bool>);
        result
    }

    /// The seq of the message with this `messageId`, when the database holds it.
    pub fn seq_of(&self, message_id: &str) -> Option<u64> {
        self.loader
            .sink()
            .connection()
            .query_row(
                "SELECT seq FROM messages WHERE message_id = ?1 LIMIT 1",
                [message_id],
                |row| row.get::<_, i64>(0),
            )
            .ok()
            .and_then(|seq| u64::try_from(seq).ok())
    }
}

/// What [`CaptureDb::query`] hands out: the names first, then each row.
#[derive(Debug)]
pub enum Rows<'a> {
    Names(&'a [String]),
    Row(Vec<Cell>),
}

fn insert_message(
    conn: &rusqlite::Connection,
    message: Captured<'_>,
    tree: &Json<'_>,
) -> rusqlite::Result<()> {
    let field = |key: &str| tree.get(key).and_then(Json::as_str);
    let event_name = match field("type") {
        Some("track") => field("event"),
        Some("page" | "screen") => field("name"),
        _ => None,
    }
    .filter(|name| !name.is_empty());
    // The frame's key is masked already; a key in the body is masked in the text too.
    let body_key = field("writeKey").filter(|k| !k.is_empty());
    let write_key = message
        .write_key
        .map(str::to_string)
        .or_else(|| body_key.map(mask_secret));
    let json = match body_key {
        Some(key) => mask_in_text(message.text, key),
        None => message.text.to_string(),
    };
    let received_at = field("receivedAt").unwrap_or(message.received_at);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO messages VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        message.seq as i64,
        field("messageId"),
        field("type"),
        event_name,
        field("userId"),
        field("anonymousId"),
        received_at,
        write_key,
        json,
    ])?;
    Ok(())
}

fn insert_findings(
    conn: &rusqlite::Connection,
    seq: u64,
    findings: &[Finding],
) -> rusqlite::Result<()> {
    let mut statement = conn.prepare_cached("INSERT INTO findings VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for f in findings {
        statement.execute(params![
            seq as i64,
            &*f.rule,
            f.severity.as_str(),
            f.path,
            f.message
        ])?;
    }
    Ok(())
}
