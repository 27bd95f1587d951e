//! `file`: NDJSON appended to a local file (`path`), for capturing what would be sent.

use std::time::Duration;

use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "file",
    fields: &[Field::Path],
    needs: &[Need::Set(Field::Path, "where NDJSON is appended")],
    target: Target::File,
    default_batch_size: 1000,
    // No documented count; a bound keeps a typo from asking for a huge buffer.
    max_batch_size: Some(100_000),
    default_timeout: Duration::from_secs(10),
    mapper: &map::file::MAPPER,
};
