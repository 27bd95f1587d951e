//! Where each message lands in a Segment warehouse: the rows one message becomes (tables,
//! go-snakecase column names, flattened objects, stringified arrays, reserved columns, types
//! inferred from values, strings cut at 512), pure (no I/O), read from the parse the verdicts
//! use. The schema tracker, the drift verdicts and the loaders build on [`Row`].

mod naming;
mod rows;
#[cfg(test)]
mod tests;
mod value;

pub use naming::{column_name, is_column_name, table_name};
pub use rows::{
    COMMON_COLUMNS, Collision, Column, Discarded, Dropped, Load, Row, Truncated, UPSERT_COLUMNS,
    rows,
};
pub use value::{ColumnType, MAX_VARCHAR_CHARS, Value, infer, varchar};
