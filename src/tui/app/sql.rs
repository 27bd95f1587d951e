//! Doing what the SQL prompt (`popups::sql`) asks, and keeping its database in step with the
//! rows: opening it (`:`) starts the database; each loop turn hands the database thread the
//! next batch of new rows (a bounded copy, so the UI never waits); the database starts again
//! when the rows are cleared or when it holds more evicted rows than retained ones (so it stays
//! bounded as the store is); a query waits until every row retained when it was asked is in;
//! `Enter` on an answer row selects its message.

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::{App, Mode};
use crate::tui::popups::sql::{Outcome, SqlPrompt};
use crate::tui::sql::{Answer, Command};
use eventscope_core::entry::EntryId;

/// Rows and bytes of text handed to the database thread per loop turn.
const BATCH_ROWS: usize = 2_000;
const BATCH_BYTES: usize = 4 << 20;

/// Where the database stands against the rows.
#[derive(Debug, Default)]
pub struct SqlSync {
    /// The prompt was opened once: the database is wanted from then on.
    started: bool,
    /// Rows from this id on are not in the database yet.
    sent_to: EntryId,
    /// The oldest row the database was given.
    first: EntryId,
    /// Start the database again before sending more (the rows were cleared).
    reset: bool,
    /// Messages the database holds, as its thread last said.
    pub loaded: Option<u64>,
    /// A query waiting for the database to catch up: its generation and text.
    query: Option<(u64, String)>,
    /// Queries run, oldest first (↑/↓ in the prompt).
    history: Vec<String>,
    generation: u64,
    /// The database thread is gone.
    pub failed: bool,
}

impl SqlSync {
    /// Rows are still being copied in.
    pub fn building(&self, next: EntryId) -> bool {
        self.sent_to < next
    }
}

impl App {
    /// `:`: the prompt, with the last query; the database is built from here on.
    pub(super) fn open_sql(&mut self) {
        if !self.sql.started {
            self.sql.started = true;
            self.sql.sent_to = self.store.first_id();
            self.sql.first = self.sql.sent_to;
        }
        let text = self.sql.history.last().cloned().unwrap_or_default();
        self.mode = Mode::Sql(Box::new(SqlPrompt::open(&text)));
    }

    /// `c` dropped the rows: the database starts again.
    pub(super) fn sql_cleared(&mut self) {
        self.sql.reset = true;
    }

    /// A key typed in the prompt.
    pub fn sql_key(&mut self, key: KeyEvent) {
        let Mode::Sql(prompt) = &mut self.mode else {
            return;
        };
        match prompt.handle(key, &self.sql.history) {
            None => {}
            Some(Outcome::Close) => self.mode = Mode::Normal,
            Some(Outcome::Run(text)) => {
                self.sql.generation += 1;
                prompt.waiting = Some(self.sql.generation);
                prompt.error = None;
                let history = &mut self.sql.history;
                if history.last() != Some(&text) {
                    history.push(text.clone());
                }
                self.sql.query = Some((self.sql.generation, text));
            }
            Some(Outcome::Select(seq)) => self.select_seq(seq, "the row's message"),
        }
    }

    /// What to hand the database thread this turn: a new start, the next rows, the waiting
    /// query once every row retained is in.
    pub fn sql_work(&mut self) -> Vec<Command> {
        let sync = &mut self.sql;
        let mut work = Vec::new();
        if !sync.started || sync.failed {
            return work;
        }
        let first = self.store.first_id();
        let evicted = first.saturating_sub(sync.first);
        if sync.reset || evicted > self.store.len() as u64 {
            work.push(Command::Reset);
            (sync.reset, sync.first, sync.sent_to, sync.loaded) = (false, first, first, None);
        }
        // Rows evicted before they were copied are not asked for.
        sync.sent_to = sync.sent_to.max(first);
        let batch = self
            .store
            .entries_from(sync.sent_to, BATCH_ROWS, BATCH_BYTES);
        if let Some(last) = batch.last() {
            sync.sent_to = last.id + 1;
            work.push(Command::Add {
                entries: batch,
                inspector: Arc::clone(&self.inspector),
            });
        }
        if !sync.building(self.store.next_id())
            && let Some((generation, sql)) = sync.query.take()
        {
            work.push(Command::Query { generation, sql });
        }
        work
    }

    /// The database thread holds `messages` now.
    pub fn sql_loaded(&mut self, messages: u64) {
        self.sql.loaded = Some(messages);
    }

    /// The answer to query `generation`.
    pub fn sql_answered(&mut self, generation: u64, answer: Result<Answer, String>) {
        if let Mode::Sql(prompt) = &mut self.mode {
            prompt.answered(generation, answer);
        }
    }

    /// The database thread is gone: the prompt says so.
    pub fn sql_failed(&mut self) {
        self.sql.failed = true;
        if let Mode::Sql(prompt) = &mut self.mode {
            prompt.waiting = None;
            prompt.error = Some("the SQL database stopped: restart the viewer to query".into());
        }
    }
}
