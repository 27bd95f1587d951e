//! Where each message lands in a Segment warehouse: the rows one message becomes (tables,
//! go-snakecase column names, flattened objects, stringified arrays, reserved columns, types
//! inferred from values, strings cut at 512), pure (no I/O), read from the parse the verdicts
//! use; the schema a stream of them builds ([`Schema`]), and the `[warehouse]` settings the
//! drift verdicts (`inspect::warehouse`) read. The loaders ([`load`]: SQLite, PostgreSQL) build
//! on [`Row`] and are the only part that does I/O.

pub mod load;
mod names;
mod naming;
mod rows;
mod schema;
#[cfg(test)]
mod schema_tests;
mod settings;
#[cfg(test)]
mod tests;
mod value;

pub use naming::{column_name, is_column_name, table_name};
pub use rows::{
    COMMON_COLUMNS, Collision, Column, Discarded, Dropped, Load, Row, Truncated, UPSERT_COLUMNS,
    rows,
};
pub use schema::{
    ColumnSchema, Conflict, FIXED_TABLES, Family, MAX_COLUMNS, MAX_COLUMNS_PER_TABLE,
    MAX_NAME_BYTES, MAX_TABLES, NewColumn, Observed, Schema, TableSchema, conflicts, mask,
};
pub use settings::{DEFAULT_COLUMN_LIMIT, RULES, WarehouseSettings};
pub use value::{ColumnType, MAX_VARCHAR_CHARS, Value, infer, varchar};

/// A schema fed by one task (the viewer's feed) and read by another (the UI): each holds the
/// lock only for one message or one read.
pub type SharedSchema = std::sync::Arc<std::sync::Mutex<Schema>>;

/// The schema behind `shared`, even if a holder panicked (it is only ever left between whole
/// messages).
pub fn lock(shared: &SharedSchema) -> std::sync::MutexGuard<'_, Schema> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
