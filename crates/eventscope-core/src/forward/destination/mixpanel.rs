//! `mixpanel`: Mixpanel's `/import` endpoint (strict mode), authenticated with an API secret
//! or the project token; US, EU or India residency hosts.

use std::time::Duration;

use super::Region;
use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "mixpanel",
    fields: &[
        Field::Token,
        Field::ApiSecret,
        Field::Endpoint,
        Field::Headers,
    ],
    needs: &[Need::Either(
        Field::Token,
        "the project token",
        Field::ApiSecret,
    )],
    target: Target::Regional(&[
        (Region::Us, "https://api.mixpanel.com"),
        (Region::Eu, "https://api-eu.mixpanel.com"),
        (Region::In, "https://api-in.mixpanel.com"),
    ]),
    default_batch_size: 2000,
    max_batch_size: Some(2000),
    default_timeout: Duration::from_secs(10),
    mapper: &map::mixpanel::MAPPER,
};
