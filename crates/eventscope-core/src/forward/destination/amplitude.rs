//! `amplitude`: Amplitude's HTTP V2 API (`/2/httpapi`), the project's API key in the body;
//! US or EU residency hosts.

use std::time::Duration;

use super::Region;
use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "amplitude",
    fields: &[Field::ApiKey, Field::Endpoint, Field::Headers],
    needs: &[Need::Set(Field::ApiKey, "the project's API key")],
    target: Target::Regional(&[
        (Region::Us, "https://api2.amplitude.com"),
        (Region::Eu, "https://api.eu.amplitude.com"),
    ]),
    default_batch_size: 1000,
    // Fewer than 2000 events, else 413.
    max_batch_size: Some(2000),
    default_timeout: Duration::from_secs(10),
    mapper: &map::amplitude::MAPPER,
};
