//! `ga4`: Google Analytics 4's Measurement Protocol (`/mp/collect`, or `/debug/mp/collect`
//! with `debug`), the measurement id and API secret in the query; one global host.

use std::time::Duration;

use super::kind::{Field, KindSpec, Need, Target};
use crate::forward::map;

pub(super) const SPEC: KindSpec = KindSpec {
    name: "ga4",
    fields: &[
        Field::MeasurementId,
        Field::ApiSecret,
        Field::Debug,
        Field::Endpoint,
        Field::Headers,
    ],
    needs: &[
        Need::Set(Field::MeasurementId, "G-…"),
        Need::Set(Field::ApiSecret, "a Measurement Protocol API secret"),
    ],
    target: Target::Host("https://www.google-analytics.com"),
    default_batch_size: 25,
    max_batch_size: Some(25),
    default_timeout: Duration::from_secs(10),
    mapper: &map::ga4::MAPPER,
};
