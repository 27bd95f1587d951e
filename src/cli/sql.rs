//! `eventscope sql FILE|- "SELECT …"`: SQL over a recording. The recording is loaded into an
//! in-memory SQLite: the warehouse tables, as `eventscope warehouse` makes them (the same
//! loader), and eventscope's own — `messages` (one row per message), `findings` (the verdicts
//! `check` gives each message: spec, plan, PII and warehouse) and `deliveries` (one row per
//! message a recorded delivery carried) — then the query runs and its rows are printed as a
//! table, CSV or one JSON array. Exits 2 on usage, input or SQL errors.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

use super::SqlArgs;
use eventscope_core::config::Config;
use eventscope_core::inspect::{Finding, Inspector};
use eventscope_core::model::json::Json;
use eventscope_core::model::{DeliveryFrame, EventFrame, Frame, mask_in_text, mask_secret};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader};
use eventscope_core::warehouse::load::sqlite::SqliteSink;
use eventscope_core::warehouse::load::{LoadError, Loader};
use eventscope_core::warehouse::{Schema, WarehouseSettings};

/// `sql --help`: the tables (kept in step with the README).
pub const HELP: &str = "\
Tables:
  the warehouse tables     tracks, one per track event, identifies, users, pages, screens,
                           groups, accounts, aliases (as `eventscope warehouse` loads them)
  messages                 seq, message_id, type, event (track event, page/screen name),
                           user_id, anonymous_id, received_at, write_key (masked), json
  findings                 seq, rule, severity (error|warning|info), path, message
  deliveries               one row per message a recorded delivery carried: seq, message_id,
                           destination, kind, at, ok (0/1), status, error, attempts,
                           latency_ms, skipped, dropped (empty for a recording without any)

Example: which event names have tracking-plan errors, and how many:
  eventscope sql session.ndjson --plan plan.json \\
    \"SELECT coalesce(m.event, m.type) AS event, count(*) AS errors
     FROM findings f JOIN messages m USING (seq)
     WHERE f.rule LIKE 'plan/%' AND f.severity = 'error'
     GROUP BY 1 ORDER BY errors DESC\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns with a header, NULL shown as NULL, then the row count.
    Table,
    /// RFC 4180 CSV with a header; NULL is an empty field.
    Csv,
    /// One JSON array of objects, a key per column.
    Json,
}

/// eventscope's own tables.
const OWN_TABLES: &str = "
CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT, type TEXT, event TEXT,
  user_id TEXT, anonymous_id TEXT, received_at TEXT, write_key TEXT, json TEXT);
CREATE TABLE findings (seq INTEGER, rule TEXT, severity TEXT, path TEXT, message TEXT);
CREATE INDEX findings_seq ON findings (seq);
CREATE TABLE deliveries (seq INTEGER, message_id TEXT, destination TEXT, kind TEXT, at TEXT,
  ok INTEGER, status INTEGER, error TEXT, attempts INTEGER, latency_ms REAL, skipped TEXT,
  dropped TEXT);";

pub fn run(args: SqlArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope sql: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let (config, _) = match Config::load(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let inspector = match super::check::inspector(&config, args.plan.as_deref()) {
        Ok(inspector) => inspector,
        Err(e) => return fail(e),
    };
    let reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let sink = match SqliteSink::in_memory() {
        Ok(sink) => sink,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(e) = sink.connection().execute_batch(OWN_TABLES) {
        return fail(e.to_string());
    }
    let mut load = Load {
        loader: Loader::new(sink, config.warehouse.column_limit),
        inspector: &inspector,
        schema: Schema::new(),
        settings: &config.warehouse,
    };
    for item in reader {
        let done = match item {
            ReadItem::Frame {
                frame: Frame::Event(event),
                ..
            } => load.event(&event),
            ReadItem::Frame {
                frame: Frame::Delivery(delivery),
                ..
            } => load.delivery(&delivery),
            ReadItem::Frame { .. } => Ok(()),
            ReadItem::Problem {
                message,
                kind: ProblemKind::ReadFailed,
                ..
            } => return fail(message),
            ReadItem::Problem { message, .. } => {
                eprintln!("eventscope sql: {message}");
                Ok(())
            }
        };
        if let Err(e) = done {
            return fail(e.to_string());
        }
    }
    let sink = match load.loader.finish() {
        Ok((_, sink)) => sink,
        Err(e) => return fail(e.to_string()),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match query(sink.connection(), &args.query, args.format, &mut out) {
        Ok(()) => {}
        Err(Failure::Sql(e)) => return fail(format!("{e} (in the query)")),
        Err(Failure::Io) => return ExitCode::from(2),
    }
    if out.flush().is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// What one run loads with.
struct Load<'r> {
    loader: Loader<SqliteSink>,
    inspector: &'r Inspector,
    schema: Schema,
    settings: &'r WarehouseSettings,
}

impl Load<'_> {
    /// An event: its warehouse rows, its `messages` row and its findings.
    fn event(&mut self, event: &EventFrame) -> Result<(), String> {
        let text = event.message.get();
        let Ok(tree) = Json::parse(text) else {
            return Ok(());
        };
        self.loader
            .add(event.seq, &tree, text, Some(&event.received_at))
            .map_err(|e: LoadError| e.to_string())?;
        let mut findings = self.inspector.inspect_json(&tree, text.len());
        let rows = eventscope_core::warehouse::rows(&tree);
        let observed = self.schema.observe(event.seq, &rows);
        findings.extend(eventscope_core::inspect::warehouse::verdicts(
            &rows,
            &observed,
            &self.schema,
            self.settings,
        ));
        let conn = self.loader.sink().connection();
        insert_message(conn, event, &tree, text).map_err(|e| e.to_string())?;
        insert_findings(conn, event.seq, &findings).map_err(|e| e.to_string())
    }

    /// A delivery: one `deliveries` row per message it carried (one row when it names none).
    fn delivery(&mut self, d: &DeliveryFrame) -> Result<(), String> {
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
}

fn insert_message(
    conn: &Connection,
    event: &EventFrame,
    tree: &Json<'_>,
    text: &str,
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
    let write_key = event
        .source
        .write_key
        .clone()
        .or_else(|| body_key.map(mask_secret));
    let json = match body_key {
        Some(key) => mask_in_text(text, key),
        None => text.to_string(),
    };
    let received_at = field("receivedAt").unwrap_or(&event.received_at);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO messages VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        event.seq as i64,
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

fn insert_findings(conn: &Connection, seq: u64, findings: &[Finding]) -> rusqlite::Result<()> {
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

enum Failure {
    Sql(rusqlite::Error),
    Io,
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Failure {
        Failure::Sql(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(_: std::io::Error) -> Failure {
        Failure::Io
    }
}

/// Runs `sql` and prints its rows in `format`.
fn query(
    conn: &Connection,
    sql: &str,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let mut statement = conn.prepare(sql)?;
    let names: Vec<String> = statement.column_names().map(str::to_string).collect();
    let mut rows = statement.query([])?;
    let mut table: Vec<Vec<Cell>> = Vec::new();
    let mut json_started = false;
    if format == Format::Csv {
        writeln!(
            out,
            "{}",
            names.iter().map(|n| csv(n)).collect::<Vec<_>>().join(",")
        )?;
    }
    while let Some(row) = rows.next()? {
        let cells: Vec<Cell> = (0..names.len())
            .map(|i| row.get_ref(i).map(Cell::from))
            .collect::<Result<_, _>>()?;
        match format {
            // Aligned: every row first.
            Format::Table => table.push(cells),
            Format::Csv => {
                let fields: Vec<String> = cells.iter().map(|c| c.csv()).collect();
                writeln!(out, "{}", fields.join(","))?;
            }
            Format::Json => {
                out.write_all(if json_started { b",\n" } else { b"[\n" })?;
                json_started = true;
                let object: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(Cell::json))
                    .collect();
                serde_json::to_writer(&mut *out, &object).map_err(|_| Failure::Io)?;
            }
        }
    }
    match format {
        Format::Table => write_table(out, &names, &table)?,
        Format::Json => out.write_all(if json_started { b"\n]\n" } else { b"[]\n" })?,
        Format::Csv => {}
    }
    Ok(())
}

/// One value of a result.
enum Cell {
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
    fn text(&self) -> String {
        match self {
            Cell::Null => "NULL".to_string(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(f) => f.to_string(),
            Cell::Text(t) => t.clone(),
        }
    }

    fn csv(&self) -> String {
        match self {
            Cell::Null => String::new(),
            other => csv(&other.text()),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Integer(i) => (*i).into(),
            Cell::Real(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            Cell::Text(t) => t.clone().into(),
        }
    }
}

fn csv(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Aligned columns (numbers to the right), cells on one line each, then `(N rows)`.
fn write_table(out: &mut impl Write, names: &[String], rows: &[Vec<Cell>]) -> std::io::Result<()> {
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.text().replace(['\n', '\r', '\t'], " "))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..names.len())
        .map(|i| {
            texts
                .iter()
                .map(|r| r[i].chars().count())
                .chain([names[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| cells.join("  ").trim_end().to_string();
    writeln!(
        out,
        "{}",
        line(
            names
                .iter()
                .zip(&widths)
                .map(|(n, w)| format!("{n:<w$}"))
                .collect()
        )
    )?;
    writeln!(
        out,
        "{}",
        line(widths.iter().map(|w| "-".repeat(*w)).collect())
    )?;
    for (row, cells) in texts.iter().zip(rows) {
        let shown = row
            .iter()
            .zip(cells)
            .zip(&widths)
            .map(|((text, cell), w)| match cell {
                Cell::Integer(_) | Cell::Real(_) => format!("{text:>w$}"),
                _ => format!("{text:<w$}"),
            })
            .collect();
        writeln!(out, "{}", line(shown))?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )
}
