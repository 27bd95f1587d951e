//! What a destination kind is: [`DestinationKind`] as written in `kind = "…"` and the
//! [`KindSpec`] each kind's file declares (the fields it takes, what it needs, where it sends,
//! its batch defaults and limits, its mapper), read by the generic resolution in `mod.rs`.
//! [`DestinationKind::spec`] is the one place in `forward` that matches over kinds.

use std::time::Duration;

use serde::Deserialize;

use super::{DestinationConfig, Region, amplitude, file, ga4, mixpanel, posthog, segment, webhook};
use crate::forward::map::Mapper;

/// The kinds of destination eventscope can map messages for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    Webhook,
    Segment,
    Amplitude,
    Mixpanel,
    Ga4,
    Posthog,
    File,
}

impl DestinationKind {
    /// Every kind, in the order error messages list them.
    pub(crate) const ALL: [DestinationKind; 7] = [
        DestinationKind::Webhook,
        DestinationKind::Segment,
        DestinationKind::Amplitude,
        DestinationKind::Mixpanel,
        DestinationKind::Ga4,
        DestinationKind::Posthog,
        DestinationKind::File,
    ];

    /// The kind's table, declared in its own file.
    pub(crate) fn spec(self) -> &'static KindSpec {
        match self {
            DestinationKind::Webhook => &webhook::SPEC,
            DestinationKind::Segment => &segment::SPEC,
            DestinationKind::Amplitude => &amplitude::SPEC,
            DestinationKind::Mixpanel => &mixpanel::SPEC,
            DestinationKind::Ga4 => &ga4::SPEC,
            DestinationKind::Posthog => &posthog::SPEC,
            DestinationKind::File => &file::SPEC,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// Whether this kind's mapper carries a call type (`"track"`, `"alias"`…), for routing:
    /// amplitude takes track, page, screen and identify through HTTP V2; mixpanel (`/import`)
    /// and ga4 take track, page and screen; the others take every call.
    pub fn carries(self) -> fn(&str) -> bool {
        fn events_and_identify(call: &str) -> bool {
            matches!(call, "track" | "page" | "screen" | "identify")
        }
        fn events(call: &str) -> bool {
            matches!(call, "track" | "page" | "screen")
        }
        fn known(call: &str) -> bool {
            matches!(
                call,
                "track" | "page" | "screen" | "identify" | "group" | "alias"
            )
        }
        match self {
            DestinationKind::Amplitude => events_and_identify,
            DestinationKind::Mixpanel | DestinationKind::Ga4 => events,
            DestinationKind::Posthog => known,
            DestinationKind::Webhook | DestinationKind::Segment | DestinationKind::File => {
                crate::routing::supports_all
            }
        }
    }

    /// The catalog name Segment's integrations object uses for this kind, when it has one.
    pub fn segment_name(self) -> Option<&'static str> {
        match self {
            DestinationKind::Webhook => Some("Webhooks"),
            DestinationKind::Segment => Some("Segment"),
            DestinationKind::Amplitude => Some("Amplitude"),
            DestinationKind::Mixpanel => Some("Mixpanel"),
            DestinationKind::Ga4 => Some("Google Analytics 4"),
            DestinationKind::Posthog => Some("PostHog"),
            DestinationKind::File => None,
        }
    }

    /// Messages per request when the table does not say.
    pub fn default_batch_size(self) -> usize {
        self.spec().default_batch_size
    }

    /// The most messages the vendor takes in one request, where it documents a limit.
    pub fn max_batch_size(self) -> Option<usize> {
        self.spec().max_batch_size
    }

    /// Per attempt, when the table does not say.
    pub fn default_timeout(self) -> Duration {
        self.spec().default_timeout
    }

    /// The regions the vendor has hosts for (the first is the default).
    pub fn regions(self) -> Vec<Region> {
        self.spec().regions()
    }
}

impl std::fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kind's table: everything about it that resolving a `[[destination]]` table needs,
/// and its [`Mapper`] for the requests themselves (path, body, authentication, answers).
pub(crate) struct KindSpec {
    /// As written in `kind = "…"`, shown in messages.
    pub(crate) name: &'static str,
    /// The kind-specific fields this kind takes; any other of [`Field::ALL`] set in its table
    /// is refused. Fields every kind takes (`name`, `transform`, `batch_size`…) are not listed.
    pub(crate) fields: &'static [Field],
    /// What the table must give, checked in order (after `env:VAR` values are read).
    pub(crate) needs: &'static [Need],
    pub(crate) target: Target,
    pub(crate) default_batch_size: usize,
    pub(crate) max_batch_size: Option<usize>,
    pub(crate) default_timeout: Duration,
    /// Declared as `MAPPER` in `forward/map/<kind>.rs`.
    pub(crate) mapper: &'static Mapper,
}

/// Where a kind's requests go.
pub(crate) enum Target {
    /// Appended to the file at `path` (URL `file:///abs/path`).
    File,
    /// The table's `endpoint`, which it must give.
    Endpoint,
    /// The table's `endpoint`, else this host; no regions.
    Host(&'static str),
    /// The table's `endpoint`, else the host of its `region`; the first is the default.
    Regional(&'static [(Region, &'static str)]),
}

/// A requirement of a kind.
pub(crate) enum Need {
    /// `{kind} needs `{field}` ({what})`.
    Set(Field, &'static str),
    /// `{kind} needs `{field}` ({what}) or `{other}``.
    Either(Field, &'static str, Field),
}

impl Need {
    /// The message when `config` does not meet it (`segment needs …`).
    fn unmet(&self, kind: &str, config: &DestinationConfig) -> Option<String> {
        match self {
            Need::Set(field, what) => (!field.is_set(config))
                .then(|| format!("{kind} needs `{}` ({what})", field.as_str())),
            Need::Either(field, what, other) => (!field.is_set(config) && !other.is_set(config))
                .then(|| {
                    format!(
                        "{kind} needs `{}` ({what}) or `{}`",
                        field.as_str(),
                        other.as_str()
                    )
                }),
        }
    }
}

/// The fields of a `[[destination]]` table that only some kinds take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    WriteKey,
    ApiKey,
    Token,
    MeasurementId,
    ApiSecret,
    SharedSecret,
    Debug,
    Method,
    Path,
    Endpoint,
    Headers,
}

impl Field {
    /// In the order a table's misplaced fields are reported.
    pub(crate) const ALL: [Field; 11] = [
        Field::WriteKey,
        Field::ApiKey,
        Field::Token,
        Field::MeasurementId,
        Field::ApiSecret,
        Field::SharedSecret,
        Field::Debug,
        Field::Method,
        Field::Path,
        Field::Endpoint,
        Field::Headers,
    ];

    /// As messages name it (snake_case, as the issue writes the tables).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Field::WriteKey => "write_key",
            Field::ApiKey => "api_key",
            Field::Token => "token",
            Field::MeasurementId => "measurement_id",
            Field::ApiSecret => "api_secret",
            Field::SharedSecret => "shared_secret",
            Field::Debug => "debug",
            Field::Method => "method",
            Field::Path => "path",
            Field::Endpoint => "endpoint",
            Field::Headers => "headers",
        }
    }

    /// Whether `config` gives this field (`debug = false` and `headers = {}` do not).
    pub(crate) fn is_set(self, config: &DestinationConfig) -> bool {
        match self {
            Field::WriteKey => config.write_key.is_some(),
            Field::ApiKey => config.api_key.is_some(),
            Field::Token => config.token.is_some(),
            Field::MeasurementId => config.measurement_id.is_some(),
            Field::ApiSecret => config.api_secret.is_some(),
            Field::SharedSecret => config.shared_secret.is_some(),
            Field::Debug => config.debug,
            Field::Method => config.method.is_some(),
            Field::Path => config.path.is_some(),
            Field::Endpoint => config.endpoint.is_some(),
            Field::Headers => !config.headers.is_empty(),
        }
    }

    /// ` (it is for amplitude, posthog)`: which kinds take the field, for error messages.
    pub(crate) fn users(self) -> String {
        let users: Vec<&str> = DestinationKind::ALL
            .iter()
            .filter(|k| k.spec().fields.contains(&self))
            .map(|k| k.as_str())
            .collect();
        if users.is_empty() {
            String::new()
        } else {
            format!(" (it is for {})", users.join(", "))
        }
    }
}

impl KindSpec {
    /// The first kind-specific field `config` sets that this kind does not take, as a message.
    pub(crate) fn misplaced_field(&self, config: &DestinationConfig) -> Option<String> {
        Field::ALL
            .into_iter()
            .find(|field| field.is_set(config) && !self.fields.contains(field))
            .map(|field| {
                format!(
                    "`{}` is not used by {} destinations{}",
                    field.as_str(),
                    self.name,
                    field.users()
                )
            })
    }

    /// The first requirement `config` does not meet, as a message.
    pub(crate) fn unmet_need(&self, config: &DestinationConfig) -> Option<String> {
        self.needs
            .iter()
            .find_map(|need| need.unmet(self.name, config))
    }

    /// The regions the vendor has hosts for (the first is the default).
    fn regions(&self) -> Vec<Region> {
        match self.target {
            Target::Regional(hosts) => hosts.iter().map(|(region, _)| *region).collect(),
            Target::File | Target::Endpoint | Target::Host(_) => Vec::new(),
        }
    }

    /// `region` only without `endpoint`, and only one the kind has a host for.
    pub(crate) fn check_region(&self, config: &DestinationConfig) -> Result<(), String> {
        let Some(region) = config.region else {
            return Ok(());
        };
        if config.endpoint.is_some() {
            return Err(
                "set `endpoint` or `region`, not both (the endpoint decides the host)".to_string(),
            );
        }
        let regions = self.regions();
        if regions.contains(&region) {
            return Ok(());
        }
        let kind = self.name;
        let known: Vec<&str> = regions.iter().map(|r| r.as_str()).collect();
        Err(if known.is_empty() {
            format!("{kind} has no regions; use `endpoint` to choose the host")
        } else {
            format!(
                "{kind} has no region `{}` (known: {})",
                region.as_str(),
                known.join(", ")
            )
        })
    }

    /// The host a table without `endpoint` sends to (`region` already checked); empty for
    /// kinds that need their own `endpoint` or `path`, which never get here.
    pub(crate) fn default_host(&self, region: Option<Region>) -> &'static str {
        match self.target {
            Target::Host(host) => host,
            Target::Regional(hosts) => region
                .and_then(|r| hosts.iter().find(|(known, _)| *known == r))
                .or(hosts.first())
                .map_or("", |(_, host)| host),
            Target::File | Target::Endpoint => "",
        }
    }
}
