//! `eventscope sql FILE|- "SELECT …"`: SQL over a recording. The recording is loaded into an
//! in-memory SQLite: the warehouse tables, as `eventscope warehouse` makes them (the same
//! loader), and eventscope's own — `messages` (one row per message), `findings` (the verdicts
//! `check` gives each message: spec, plan, PII and warehouse) and `deliveries` (one row per
//! message a recorded delivery carried) — then the query runs and its rows are printed as a
//! table, CSV or one JSON array. Exits 2 on usage, input or SQL errors.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;

use super::SqlArgs;
use eventscope_core::config::Config;
use eventscope_core::inspect::Inspector;
use eventscope_core::model::json::Json;
use eventscope_core::model::{EventFrame, Frame};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader};
use eventscope_core::warehouse::load::capture::{CaptureDb, Captured, Cell, QueryError, Rows};
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
    let db = match CaptureDb::in_memory(config.warehouse.column_limit) {
        Ok(db) => db,
        Err(e) => return fail(e.to_string()),
    };
    let mut load = Load {
        db,
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
            } => load.db.add_delivery(&delivery),
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
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match query(&mut load.db, &args, &mut out) {
        Ok(()) => {}
        Err(Failure::Query(e)) => return fail(format!("{e} (in the query)")),
        Err(Failure::Io) => return ExitCode::from(2),
    }
    if out.flush().is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// What one run loads with.
struct Load<'r> {
    db: CaptureDb,
    inspector: &'r Inspector,
    schema: Schema,
    settings: &'r WarehouseSettings,
}

impl Load<'_> {
    /// An event: its warehouse rows, its `messages` row and its findings (`check`'s, and the
    /// warehouse verdicts of this run's schema).
    fn event(&mut self, event: &EventFrame) -> Result<(), String> {
        let text = event.message.get();
        let Ok(tree) = Json::parse(text) else {
            return Ok(());
        };
        let mut findings = self.inspector.inspect_json(&tree, text.len());
        let rows = eventscope_core::warehouse::rows(&tree);
        let observed = self.schema.observe(event.seq, &rows);
        findings.extend(eventscope_core::inspect::warehouse::verdicts(
            &rows,
            &observed,
            &self.schema,
            self.settings,
        ));
        let captured = Captured {
            seq: event.seq,
            text,
            received_at: &event.received_at,
            write_key: event.source.write_key.as_deref(),
        };
        self.db.add_event(captured, &findings)
    }
}

enum Failure {
    Query(QueryError),
    Io,
}

impl From<std::io::Error> for Failure {
    fn from(_: std::io::Error) -> Failure {
        Failure::Io
    }
}

/// Runs the query and prints its rows in `--format`.
fn query(db: &mut CaptureDb, args: &SqlArgs, out: &mut impl Write) -> Result<(), Failure> {
    let format = args.format;
    let mut names: Vec<String> = Vec::new();
    let mut table: Vec<Vec<Cell>> = Vec::new();
    let mut json_started = false;
    let mut written: std::io::Result<()> = Ok(());
    let ran = db.query(&args.query, args.timeout, false, |rows| {
        let step = match rows {
            Rows::Names(given) => {
                names = given.to_vec();
                match format {
                    Format::Csv => writeln!(
                        out,
                        "{}",
                        names.iter().map(|n| csv(n)).collect::<Vec<_>>().join(",")
                    ),
                    _ => Ok(()),
                }
            }
            // Aligned: every row first.
            Rows::Row(cells) if format == Format::Table => {
                table.push(cells);
                Ok(())
            }
            Rows::Row(cells) if format == Format::Csv => {
                let fields: Vec<String> = cells.iter().map(csv_cell).collect();
                writeln!(out, "{}", fields.join(","))
            }
            Rows::Row(cells) => {
                let object: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .cloned()
                    .zip(cells.iter().map(json_cell))
                    .collect();
                let start = if json_started { b",\n" } else { b"[\n" };
                json_started = true;
                out.write_all(start).and_then(|()| {
                    serde_json::to_writer(&mut *out, &object).map_err(std::io::Error::other)
                })
            }
        };
        written = step;
        written.is_ok()
    });
    written.map_err(|_| Failure::Io)?;
    ran.map_err(Failure::Query)?;
    match format {
        Format::Table => write_table(out, &names, &table)?,
        Format::Json => out.write_all(if json_started { b"\n]\n" } else { b"[]\n" })?,
        Format::Csv => {}
    }
    Ok(())
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        other => csv(&other.text()),
    }
}

fn json_cell(cell: &Cell) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Integer(i) => (*i).into(),
        Cell::Real(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Cell::Text(t) => t.clone().into(),
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
