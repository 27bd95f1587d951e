//! What a load did: tables created, columns added, rows inserted, skipped as duplicates or
//! upserted, and the values whose type was not their column's (coerced or NULLed), the first
//! few of them in full.

use super::Fate;
use crate::warehouse::{ColumnType, Value};

/// Conflicts described in full; the rest are counted.
pub const MAX_NOTES: usize = 20;

/// A value loaded into a column of another type.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictNote {
    pub seq: u64,
    pub table: String,
    pub column: String,
    pub column_type: ColumnType,
    /// The value sent (its variant is its type).
    pub sent: Value,
    /// What was loaded: the coerced value, or `None` (NULL).
    pub loaded: Option<Value>,
    pub fate: Fate,
}

/// One table's part of a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    /// Made by this load (else it was there already).
    pub created: bool,
    /// Its columns after the load (`id`, `received_at` and `uuid_ts` included).
    pub columns: usize,
    /// `ALTER TABLE … ADD COLUMN`s this load ran on it.
    pub columns_added: u64,
    pub inserted: u64,
    /// Rows whose `id` was already there (or earlier in the load): not inserted.
    pub duplicates: u64,
    /// Rows upserted into `users` or `accounts`.
    pub upserted: u64,
    pub coerced: u64,
    pub nulled: u64,
    /// Values of columns past the column limit: not loaded.
    pub values_over_limit: u64,
}

impl TableSummary {
    pub(super) fn count(&mut self, fate: Fate) {
        match fate {
            Fate::Coerced => self.coerced += 1,
            Fate::Nulled => self.nulled += 1,
            Fate::Kept => {}
        }
    }
}

/// The whole load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Messages read (each gives one or two rows, or none for an unknown type).
    pub messages: u64,
    pub tables_created: u64,
    pub columns_added: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub upserted: u64,
    pub coerced: u64,
    pub nulled: u64,
    /// Values of columns past the column limit: not loaded.
    pub values_over_limit: u64,
    /// Rows of tables past the cap on tables: not loaded.
    pub rows_dropped: u64,
    /// The first [`MAX_NOTES`] conflicts.
    pub notes: Vec<ConflictNote>,
    /// Every table the load touched, by name.
    pub tables: Vec<TableSummary>,
}

impl Summary {
    pub(super) fn conflict(&mut self, note: ConflictNote) {
        match note.fate {
            Fate::Coerced => self.coerced += 1,
            Fate::Nulled => self.nulled += 1,
            Fate::Kept => return,
        }
        if self.notes.len() < MAX_NOTES {
            self.notes.push(note);
        }
    }

    /// Rows written (inserted or upserted).
    pub fn rows(&self) -> u64 {
        self.inserted + self.upserted
    }
}
