//! `webhook`: any HTTP endpoint, as Segment's Webhooks (Actions) call it — the table gives
//! the full URL, an optional `shared_secret` to sign with and the method.

use std::time::Duration;

use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "webhook",
    fields: &[
        Field::SharedSecret,
        Field::Method,
        Field::Endpoint,
        Field::Headers,
    ],
    needs: &[Need::Set(Field::Endpoint, "the URL to send to")],
    target: Target::Endpoint,
    // Segment's classic webhooks send one message per request.
    default_batch_size: 1,
    // Webhooks (Actions) allow batches of up to 4000.
    max_batch_size: Some(4000),
    // Webhooks must answer within 5 s at Segment.
    default_timeout: Duration::from_secs(5),
    mapper: &map::webhook::MAPPER,
};
