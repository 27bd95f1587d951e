//! `segment`: Segment's HTTP Tracking API (`/v1/batch`), authenticated with the source's write
//! key; US or EU workspace hosts.

use std::time::Duration;

use super::Region;
use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "segment",
    fields: &[Field::WriteKey, Field::Endpoint, Field::Headers],
    needs: &[Need::Set(Field::WriteKey, "the source's write key")],
    target: Target::Regional(&[
        (Region::Us, "https://api.segment.io"),
        (Region::Eu, "https://events.eu1.segmentapis.com"),
    ]),
    default_batch_size: 100,
    // 500 KB per batch, so a few thousand small messages at most.
    max_batch_size: Some(2500),
    default_timeout: Duration::from_secs(10),
    mapper: &map::segment::MAPPER,
};
