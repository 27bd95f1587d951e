//! The `:` prompt's database, kept off the UI task: one thread owns a [`CaptureDb`] of the
//! retained rows — built on first use, then fed each new batch of rows in id order, so a query
//! sees every row sent before it — runs queries under [`BUDGET`] with their answers capped in
//! rows and bytes, and sends what it did back to the event loop. Only reading queries run: the
//! database must stay a copy of the rows. What to send (and when to start again after `c` or
//! eviction) is the app's (`app::sql`).

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use eventscope_core::entry::{Entry, EntryKind};
use eventscope_core::inspect::Inspector;
use eventscope_core::model::format_timestamp;
use eventscope_core::warehouse::load::capture::{CaptureDb, Captured, Cell, Rows};

/// How long one query may run.
pub const BUDGET: Duration = Duration::from_secs(5);
/// Rows of an answer kept (the rest are counted as cut).
pub const MAX_ROWS: usize = 10_000;
/// Bytes of an answer's text kept.
pub const MAX_BYTES: usize = 8 << 20;

/// What the app asks of the thread.
pub enum Command {
    /// More rows, in id order, judged by `inspector` for the `findings` table.
    Add {
        entries: Vec<Entry>,
        inspector: Arc<Inspector>,
    },
    /// Start again, empty (the rows were cleared or the database outgrew them).
    Reset,
    Query {
        generation: u64,
        sql: String,
    },
}

/// A query's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Each row's message, when it has a `seq` column or a `message_id`/`id` one the
    /// `messages` table knows: what `Enter` selects.
    pub seqs: Vec<Option<u64>>,
    /// Rows past [`MAX_ROWS`] or [`MAX_BYTES`] were not kept.
    pub cut: bool,
    pub took: Duration,
}

/// What the thread reports.
#[derive(Debug)]
pub enum SqlOutcome {
    /// The database now holds this many messages.
    Loaded { messages: u64 },
    Answered {
        generation: u64,
        answer: Result<Answer, String>,
    },
}

/// The handle the event loop keeps; the thread ends when it is dropped.
pub struct SqlRunner {
    commands: std_mpsc::Sender<Command>,
}

impl SqlRunner {
    /// Starts the thread; its database is made at the first command. `column_limit` as
    /// `[warehouse]` sets it.
    pub fn spawn(column_limit: usize, outcomes: mpsc::UnboundedSender<SqlOutcome>) -> SqlRunner {
        let (commands, inbox) = std_mpsc::channel();
        // A thread that cannot start drops `inbox`: `send` says so, and the prompt with it.
        let _ = std::thread::Builder::new()
            .name("eventscope-sql".into())
            .spawn(move || serve(column_limit, &inbox, &outcomes));
        SqlRunner { commands }
    }

    /// False when the thread is gone.
    pub fn send(&self, command: Command) -> bool {
        self.commands.send(command).is_ok()
    }
}

fn serve(
    column_limit: usize,
    inbox: &std_mpsc::Receiver<Command>,
    outcomes: &mpsc::UnboundedSender<SqlOutcome>,
) {
    let mut db: Option<CaptureDb> = None;
    let mut messages = 0u64;
    let mut broken: Option<String> = None;
    while let Ok(command) = inbox.recv() {
        let database = match db.as_mut() {
            Some(db) => Ok(db),
            None => match CaptureDb::in_memory(column_limit) {
                Ok(made) => Ok(db.insert(made)),
                Err(e) => Err(format!("cannot make the database: {e}")),
            },
        };
        let sent = match (command, database) {
            (Command::Reset, _) => {
                db = None;
                messages = 0;
                broken = None;
                outcomes.send(SqlOutcome::Loaded { messages })
            }
            (Command::Add { entries, inspector }, Ok(db)) => {
                for entry in &entries {
                    match add(db, entry, &inspector) {
                        Ok(true) => messages += 1,
                        Ok(false) => {}
                        Err(e) => broken = Some(e),
                    }
                }
                outcomes.send(SqlOutcome::Loaded { messages })
            }
            (Command::Add { .. }, Err(e)) => {
                broken = Some(e);
                Ok(())
            }
            (Command::Query { generation, sql }, database) => {
                let answer = match (database, &broken) {
                    (_, Some(e)) => Err(format!("the database is incomplete: {e}")),
                    (Err(e), None) => Err(e),
                    (Ok(db), None) => query(db, &sql),
                };
                outcomes.send(SqlOutcome::Answered { generation, answer })
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// One row into the database; false for what is not a message (a rejection, a gap).
fn add(db: &mut CaptureDb, entry: &Entry, inspector: &Inspector) -> Result<bool, String> {
    let (EntryKind::Event, Some(seq)) = (&entry.kind, entry.seq) else {
        return Ok(false);
    };
    let received_at = chrono::DateTime::from_timestamp_millis(entry.received_ms)
        .map(format_timestamp)
        .unwrap_or_default();
    let captured = Captured {
        seq,
        text: &entry.text,
        received_at: &received_at,
        write_key: entry.source.write_key.as_deref(),
    };
    db.add_event(captured, &entry.findings(inspector))?;
    Ok(true)
}

/// Runs `sql` read-only under the budget, keeping at most [`MAX_ROWS`] rows and
/// [`MAX_BYTES`] of their text.
fn query(db: &mut CaptureDb, sql: &str) -> Result<Answer, String> {
    let start = Instant::now();
    let mut answer = Answer::default();
    let mut bytes = 0;
    db.query(sql, BUDGET, true, |rows| match rows {
        Rows::Names(names) => {
            answer.columns = names.to_vec();
            true
        }
        Rows::Row(cells) => {
            bytes += cells.iter().map(|c| c.text().len()).sum::<usize>();
            if answer.rows.len() == MAX_ROWS || bytes > MAX_BYTES {
                answer.cut = true;
                return false;
            }
            answer.rows.push(cells);
            true
        }
    })
    .map_err(|e| e.to_string())?;
    answer.seqs = seqs(db, &answer);
    answer.took = start.elapsed();
    Ok(answer)
}

/// Each row's message: its `seq` column, else its `message_id` (or `id`) looked up.
fn seqs(db: &CaptureDb, answer: &Answer) -> Vec<Option<u64>> {
    let column = |name: &str| {
        answer
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    };
    if let Some(i) = column("seq") {
        return answer
            .rows
            .iter()
            .map(|row| match row.get(i) {
                Some(Cell::Integer(seq)) => u64::try_from(*seq).ok(),
                _ => None,
            })
            .collect();
    }
    let Some(i) = column("message_id").or_else(|| column("id")) else {
        return vec![None; answer.rows.len()];
    };
    answer
        .rows
        .iter()
        .map(|row| match row.get(i) {
            Some(Cell::Text(id)) => db.seq_of(id),
            _ => None,
        })
        .collect()
}
