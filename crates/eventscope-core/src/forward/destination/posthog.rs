//! `posthog`: PostHog's `/batch/` endpoint, the project API key in the body; US or EU cloud
//! hosts.

use std::time::Duration;

use super::Region;
use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "posthog",
    fields: &[Field::ApiKey, Field::Endpoint, Field::Headers],
    needs: &[Need::Set(Field::ApiKey, "the project API key, phc_…")],
    target: Target::Regional(&[
        (Region::Us, "https://us.i.posthog.com"),
        (Region::Eu, "https://eu.i.posthog.com"),
    ]),
    default_batch_size: 1000,
    // No documented count; a bound keeps a typo from asking for a huge buffer.
    max_batch_size: Some(100_000),
    default_timeout: Duration::from_secs(10),
    mapper: &map::posthog::MAPPER,
};
