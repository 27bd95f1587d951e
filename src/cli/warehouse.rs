//! `eventscope warehouse FILE|- --to URL`: loads a recording into a real database with
//! Segment's warehouse schema ([`eventscope_core::warehouse::load`]), then prints what it did
//! (tables, rows inserted, skipped as duplicates or upserted, columns added, type conflicts
//! coerced or NULLed) on stdout. A progress line on stderr when stderr is a terminal. Lines
//! that cannot be read are reported and skipped. Exits 2 on usage, I/O or connection errors
//! (the password masked), 1 when the database refuses a write (what was committed stays).

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::WarehouseArgs;
use eventscope_core::config::Config;
use eventscope_core::model::json::Json;
use eventscope_core::model::{Frame, count, thousands};
use eventscope_core::recording::{ProblemKind, ReadItem, RecordingReader, Step};
use eventscope_core::warehouse::Value;
use eventscope_core::warehouse::load::{Fate, LoadError, Loader, Summary, Target};

/// `warehouse --help`: targets, schema, idempotence (kept in step with the README).
pub const HELP: &str = "\
Targets (--to):
  sqlite:PATH          a SQLite file, made if missing (SQLite is built in)
  postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?host=/socket/dir]
                       PostgreSQL (no TLS); the schema is created if missing

Tables and columns are made as they appear (CREATE TABLE, ALTER TABLE … ADD COLUMN), typed
by their first value: timestamp, integer (bigint), float (double precision), boolean,
varchar (varchar(512)). Every table has `id` as primary key: loading the same file twice
adds no rows. `users` and `accounts` are upserted on `id`, the newer (received_at) non-null
values winning. A value of another type than its column is coerced where it can be (42 into
a varchar column as \"42\", \"42\" into an integer column), else loaded as NULL; both are
counted and the first ones listed.

Exit codes:
  0  loaded (conflicts and skipped lines are reported, not failures)
  1  the database refused a write (what was committed before stays)
  2  usage, input or connection error";

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

pub fn run(args: WarehouseArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("eventscope warehouse: {}", super::one_line(&message));
        ExitCode::from(2)
    };
    let (config, _) = match Config::load(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e.to_string()),
    };
    let target = match Target::parse(&args.to) {
        Ok(target) => target,
        Err(e) => return fail(e.to_string()),
    };
    let mut reader = match RecordingReader::open(&args.file) {
        Ok(reader) => reader.with_max_line(args.max_line),
        Err(e) => return fail(e.to_string()),
    };
    let sink = match target.open(&args.schema, args.timeout) {
        Ok(sink) => sink,
        Err(e) => return fail(e.to_string()),
    };
    let mut loader = Loader::new(sink, config.warehouse.column_limit)
        .with_batch_rows(usize::try_from(args.batch_rows).unwrap_or(usize::MAX));
    let mut progress = Progress::new();
    let mut skipped = 0u64;
    let mut read_failed = None;
    let loaded = loop {
        let added = match reader.step() {
            Step::End => break Ok(()),
            Step::Skip => continue,
            Step::Line { line, complete } => {
                // A bare message (the common case) is parsed once, here; frames and batches
                // go the reader's way.
                let seq = reader.next_seq();
                let text = reader.text();
                match Json::parse(text) {
                    Ok(tree) if is_message(&tree) => {
                        // As the reader's frame of a bare message has it: `timestamp`.
                        let at = tree.get("timestamp").and_then(Json::as_str);
                        let added = loader.add(seq, &tree, text, at);
                        reader.take_seq();
                        added
                    }
                    _ => match reader.interpret(line, complete) {
                        Some(item) => item_into(&mut loader, item, &mut skipped, &mut read_failed),
                        None => continue,
                    },
                }
            }
            Step::Item(item) => item_into(&mut loader, item, &mut skipped, &mut read_failed),
        };
        if let Err(e) = added {
            break Err(e);
        }
        progress.tick(loader.progress());
    };
    progress.clear();
    let summary = match loaded.and_then(|()| loader.finish()) {
        Ok((summary, _)) => summary,
        Err(e) => {
            eprintln!("eventscope warehouse: {}", super::one_line(&e.to_string()));
            return ExitCode::from(match e {
                LoadError::Database(_) => 1,
                LoadError::Usage(_) | LoadError::Connect(_) => 2,
            });
        }
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let source = match args.file.display().to_string() {
        dash if dash == "-" => "standard input".to_string(),
        path => path,
    };
    let written = write_summary(
        &mut out,
        &summary,
        &source,
        &target.describe(),
        &args.schema,
        skipped,
    );
    if written.and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    if let Some(message) = read_failed {
        eprintln!(
            "eventscope warehouse: stopped early: {}",
            super::one_line(&message)
        );
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// Loads a frame from the reader; a problem is reported and counted.
fn item_into(
    loader: &mut Loader,
    item: ReadItem,
    skipped: &mut u64,
    read_failed: &mut Option<String>,
) -> Result<(), LoadError> {
    match item {
        ReadItem::Frame {
            frame: Frame::Event(event),
            ..
        } => {
            let text = event.message.get();
            match Json::parse(text) {
                Ok(tree) => loader.add(event.seq, &tree, text, Some(&event.received_at)),
                Err(_) => Ok(()),
            }
        }
        ReadItem::Frame { .. } => Ok(()),
        ReadItem::Problem {
            message,
            kind: ProblemKind::ReadFailed,
            ..
        } => {
            *read_failed = Some(message);
            Ok(())
        }
        ReadItem::Problem { message, .. } => {
            eprintln!("eventscope warehouse: {message}");
            *skipped += 1;
            Ok(())
        }
    }
}

/// A bare Segment message (not a stream frame or a batch).
fn is_message(tree: &Json<'_>) -> bool {
    matches!(
        tree.get("type").and_then(Json::as_str),
        Some("track" | "identify" | "page" | "screen" | "group" | "alias")
    )
}

/// A one-line progress count on stderr, only when it is a terminal.
struct Progress {
    on: bool,
    last: Instant,
    drawn: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
            drawn: false,
        }
    }

    fn tick(&mut self, summary: &Summary) {
        if !self.on || self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        self.drawn = true;
        eprint!(
            "\r\x1b[Kloading: {}, {} written, {} duplicates",
            count(summary.messages, "message"),
            thousands(summary.rows()),
            thousands(summary.duplicates)
        );
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[K");
        }
    }
}

/// The summary: totals, one line per table, the first conflicts.
fn write_summary(
    out: &mut impl Write,
    summary: &Summary,
    source: &str,
    target: &str,
    schema: &str,
    skipped: u64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "loaded {source} into {target} (schema {schema}): {}",
        count(summary.messages, "message")
    )?;
    writeln!(
        out,
        "  tables: {} ({} created); columns added: {}",
        thousands(summary.tables.len() as u64),
        thousands(summary.tables_created),
        thousands(summary.columns_added)
    )?;
    writeln!(
        out,
        "  rows: {} inserted, {} skipped as duplicates, {} upserted",
        thousands(summary.inserted),
        thousands(summary.duplicates),
        thousands(summary.upserted)
    )?;
    writeln!(
        out,
        "  type conflicts: {} coerced, {} loaded as NULL",
        thousands(summary.coerced),
        thousands(summary.nulled)
    )?;
    if summary.values_over_limit > 0 || summary.rows_dropped > 0 {
        writeln!(
            out,
            "  not loaded: {} values past the column limit, {} rows past the table limit",
            thousands(summary.values_over_limit),
            thousands(summary.rows_dropped)
        )?;
    }
    writeln!(out, "  lines skipped: {}", thousands(skipped))?;
    let width = summary
        .tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("table".len());
    writeln!(
        out,
        "\n{:<width$}  {:>7}  {:>8}  {:>10}  {:>8}  {:>7}  {:>6}",
        "table", "columns", "inserted", "duplicates", "upserted", "coerced", "nulled"
    )?;
    for t in &summary.tables {
        writeln!(
            out,
            "{:<width$}  {:>7}  {:>8}  {:>10}  {:>8}  {:>7}  {:>6}{}",
            t.name,
            t.columns,
            thousands(t.inserted),
            thousands(t.duplicates),
            thousands(t.upserted),
            thousands(t.coerced),
            thousands(t.nulled),
            if t.created { "  (created)" } else { "" }
        )?;
    }
    if !summary.notes.is_empty() {
        let total = summary.coerced + summary.nulled;
        writeln!(
            out,
            "\ntype conflicts (the first {} of {}):",
            summary.notes.len(),
            thousands(total)
        )?;
        for note in &summary.notes {
            let loaded = match (&note.loaded, note.fate) {
                (Some(value), Fate::Coerced) => show(value),
                _ => "NULL".to_string(),
            };
            writeln!(
                out,
                "  seq {}: {}.{} is {}; sent {} {} → {loaded}",
                note.seq,
                note.table,
                note.column,
                note.column_type,
                note.sent.column_type(),
                show(&note.sent)
            )?;
        }
    }
    Ok(())
}

/// A value as a person reads it: strings quoted, cut after 60 characters.
fn show(value: &Value) -> String {
    match value {
        Value::Timestamp(s) | Value::Varchar(s) => {
            let cut: String = s.chars().take(60).collect();
            let quoted = serde_json::to_string(&cut).unwrap_or(cut);
            if s.chars().nth(60).is_some() {
                format!("{quoted}…")
            } else {
                quoted
            }
        }
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
    }
}
