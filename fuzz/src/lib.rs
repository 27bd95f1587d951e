//! The invariants the fuzz targets check, shared with the stable property tests
//! (`tests/properties.rs`): the one definition lives in `tests/invariants/mod.rs`.

#[path = "../../tests/invariants/mod.rs"]
mod invariants;

pub use invariants::*;
