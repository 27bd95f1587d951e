//! `[[destination]]` tables: what a destination is, its credentials and how to reach it.
//!
//! A [`DestinationConfig`] is the table as written (keys in snake_case as the issue writes
//! them; the kebab-case spelling of the rest of `eventscope.toml` is accepted too). Resolving it
//! ([`Destination::from_config`]) reads `env:VAR` credentials, applies the kind's defaults and
//! checks everything a request needs, so that a bad table is one clear line at start-up rather
//! than a failed delivery later.
//!
//! - `kind`: [`DestinationKind`] and the shape of a kind's table (`KindSpec`).
//! - one file per kind (`webhook`, `segment`, `amplitude`, `mixpanel`, `ga4`, `posthog`,
//!   `file`): the keys it takes, what it needs, its hosts, batch defaults and limits, and its
//!   mapper (declared in `forward::map::<kind>`). Adding a kind is a file here, a file there
//!   and a variant with its arm in `DestinationKind::spec`.
//! - `secrets`: `env:VAR` values and every form a secret takes on the wire, so that
//!   [`Destination::mask`] can hide them in any text shown or logged.
//! - this file: the table, the resolved [`Destination`], and the generic resolution.

mod amplitude;
mod file;
mod ga4;
mod kind;
mod mixpanel;
mod posthog;
mod secrets;
mod segment;
mod webhook;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

pub use self::kind::DestinationKind;
use self::kind::Target;
pub(crate) use self::secrets::Credentials;
use self::secrets::{Headers, collect_secrets};
use super::map::{self, MapError, Mapped};
use super::{Outgoing, Request};
use crate::config;
use crate::model::{DeliveryNote, PREVIEW_BYTES, RequestPreview, mask_secret};

/// Where a vendor with data residency keeps the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
    In,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::In => "in",
        }
    }
}

/// HTTP methods a webhook may use (Webhooks (Actions) allow these three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    #[serde(alias = "post")]
    Post,
    #[serde(alias = "put")]
    Put,
    #[serde(alias = "patch")]
    Patch,
}

impl WebhookMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookMethod::Post => "POST",
            WebhookMethod::Put => "PUT",
            WebhookMethod::Patch => "PATCH",
        }
    }
}

/// One `[[destination]]` table as written in `eventscope.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// How `--to`, the forward popup and deliveries name it; unique.
    pub name: String,
    pub kind: DestinationKind,
    /// The URL: a webhook's full URL; for the vendors, the base (scheme, host, optional
    /// prefix) the kind's path is appended to — so tests can point at `http://127.0.0.1:PORT`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `us`, `eu` or `in`, where the vendor has regional hosts.
    #[serde(default)]
    pub region: Option<Region>,
    #[serde(default, alias = "write-key")]
    pub write_key: Option<String>,
    #[serde(default, alias = "api-key")]
    pub api_key: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default, alias = "measurement-id")]
    pub measurement_id: Option<String>,
    #[serde(default, alias = "api-secret")]
    pub api_secret: Option<String>,
    #[serde(default, alias = "shared-secret")]
    pub shared_secret: Option<String>,
    /// Extra headers, name → value (`env:VAR` allowed).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A jq program run on each message before mapping; `null` or no output drops it.
    #[serde(default)]
    pub transform: Option<String>,
    /// Mask the values the PII matchers find before mapping.
    #[serde(default, alias = "redact-pii")]
    pub redact_pii: bool,
    #[serde(default, alias = "batch-size")]
    pub batch_size: Option<usize>,
    /// Per attempt: seconds (`5`, `0.5`) or a string (`"5s"`, `"500ms"`, `"1m"`).
    #[serde(default, deserialize_with = "deserialize_timeout")]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub concurrency: Option<usize>,
    #[serde(default, alias = "max-attempts")]
    pub max_attempts: Option<u32>,
    /// GA4: send to `/debug/mp/collect` and report its validation messages.
    #[serde(default)]
    pub debug: bool,
    /// Webhook: `POST` (default), `PUT` or `PATCH`.
    #[serde(default)]
    pub method: Option<WebhookMethod>,
    /// File: where NDJSON is appended (relative to the working directory).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The catalog name the integrations object uses for it; see [`Self::segment_name`].
    #[serde(
        default,
        alias = "segment-name",
        deserialize_with = "config::non_empty_name"
    )]
    pub segment_name: Option<String>,
    /// The consent categories it is mapped to (`consent = ["Analytics"]`); empty: unmapped.
    #[serde(default, deserialize_with = "config::consent_categories")]
    pub consent: Vec<String>,
    /// `[[destination.filter]]` tables, applied in order.
    #[serde(default)]
    pub filter: Vec<config::FilterConfig>,
}

impl DestinationConfig {
    /// The catalog name the integrations object uses: `segment_name`, else the kind's default
    /// ("Amplitude", "Webhooks", …); none for `file`, which Segment has no destination for.
    pub fn segment_name(&self) -> Option<&str> {
        self.segment_name
            .as_deref()
            .or_else(|| self.kind.segment_name())
    }
}

/// `5`, `0.5`, `"5s"`, `"500ms"`, `"1m"` → a positive duration.
pub fn parse_timeout(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    seconds_to_duration(value * scale)
}

fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    // A day is far beyond any useful timeout; it also keeps the conversion finite.
    (seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0)
        .then(|| Duration::from_secs_f64(seconds))
}

fn deserialize_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let bad = |shown: String| {
        serde::de::Error::custom(format!(
            "invalid timeout {shown}: expected seconds (5, 0.5) or a duration such as \"5s\" or \"500ms\""
        ))
    };
    match Raw::deserialize(d)? {
        Raw::Int(n) => seconds_to_duration(n as f64)
            .map(Some)
            .ok_or_else(|| bad(n.to_string())),
        Raw::Float(f) => seconds_to_duration(f)
            .map(Some)
            .ok_or_else(|| bad(f.to_string())),
        Raw::Text(s) => parse_timeout(&s)
            .map(Some)
            .ok_or_else(|| bad(format!("\"{s}\""))),
    }
}

/// A configured destination, credentials resolved (`env:VAR` read), ready to map and send.
#[derive(Clone)]
pub struct Destination {
    pub name: String,
    pub kind: DestinationKind,
    /// Messages per request (1 for kinds without batches).
    pub batch_size: usize,
    /// Per attempt.
    pub timeout: Duration,
    /// Requests in flight at once to this destination.
    pub concurrency: usize,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// For `file`: where NDJSON is appended (absolute).
    pub file: Option<PathBuf>,
    /// Every secret value, in every form it takes on the wire (URL-encoded, JSON-escaped,
    /// base64 `Basic` credentials), longest first: mask them wherever text is shown.
    pub secrets: Vec<String>,
    /// The URL requests go to (file: `file:///abs/path`).
    pub(crate) url: String,
    pub(crate) credentials: Credentials,
    /// Extra headers, values resolved; they replace a default header of the same name.
    pub(crate) headers: Vec<(String, String)>,
    /// The jq program, compiled per [`Destination::requests`] call (jaq's compiled programs
    /// share reference-counted values and cannot cross threads; the engine shares a
    /// `Destination` between tasks). Checked to compile when the table is resolved.
    pub(crate) transform: Option<String>,
    pub(crate) redact_pii: bool,
    pub(crate) debug: bool,
    pub(crate) method: WebhookMethod,
    /// `segment`: the batch carries the time of mapping as its `sentAt` (Segment's clock-skew
    /// correction). Off for replays into a collector, which must take `timestamp` as sent.
    pub stamp_sent_at: bool,
    /// Would Segment deliver a message here, and what would it strip: consent, the integrations
    /// object, the `[[destination.filter]]` tables, the calls the kind carries.
    pub routing: std::sync::Arc<crate::routing::Destination>,
    /// Send what routing drops, unstripped (`--ignore-routing`, the forward popup's toggle).
    pub ignore_routing: bool,
}

/// Secrets stay masked even in debug output.
impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.mask(&self.url))
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("max_attempts", &self.max_attempts)
            .field("file", &self.file)
            .field("credentials", &self.credentials)
            .field("transform", &self.transform)
            .field("redact_pii", &self.redact_pii)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("destination `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error("destination `{name}` is configured twice; names must be unique")]
    Duplicate { name: String },
    #[error("{}", not_found_text(.name, .configured))]
    NotFound {
        name: String,
        configured: Vec<String>,
    },
}

fn not_found_text(name: &str, configured: &[String]) -> String {
    if configured.is_empty() {
        format!(
            "no destination `{name}`: none is configured (add a [[destination]] table to eventscope.toml)"
        )
    } else {
        format!(
            "no destination `{name}`; configured: {}",
            configured.join(", ")
        )
    }
}

/// The destination called `name`, or an error listing the configured names.
pub fn find<'a>(
    destinations: &'a [Destination],
    name: &str,
) -> Result<&'a Destination, DestinationError> {
    destinations
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| DestinationError::NotFound {
            name: name.to_string(),
            configured: names(destinations),
        })
}

/// The configured names, in config order.
pub fn names(destinations: &[Destination]) -> Vec<String> {
    destinations.iter().map(|d| d.name.clone()).collect()
}

/// Resolves every table, refusing duplicate names.
pub fn resolve_all(configs: &[DestinationConfig]) -> Result<Vec<Destination>, DestinationError> {
    resolve_all_with(configs, &|var| std::env::var(var).ok())
}

/// [`resolve_all`] with the environment given (tests, embedding).
pub fn resolve_all_with(
    configs: &[DestinationConfig],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Destination>, DestinationError> {
    let mut out: Vec<Destination> = Vec::with_capacity(configs.len());
    for config in configs {
        if out.iter().any(|d| d.name == config.name.trim()) {
            return Err(DestinationError::Duplicate {
                name: config.name.trim().to_string(),
            });
        }
        out.push(Destination::from_config_with(config, env)?);
    }
    Ok(out)
}

impl Destination {
    /// Resolves a table: reads `env:VAR` values, applies the kind's defaults, checks the
    /// credentials the kind needs.
    pub fn from_config(config: &DestinationConfig) -> Result<Destination, DestinationError> {
        Destination::from_config_with(config, &|var| std::env::var(var).ok())
    }

    /// [`Destination::from_config`] with the environment given. The checks run in a fixed
    /// order and the first failure is the error: misplaced fields, credentials, the kind's
    /// needs, region, endpoint or path, headers, transform, limits.
    pub fn from_config_with(
        config: &DestinationConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Destination, DestinationError> {
        let name = config.name.trim().to_string();
        let kind = config.kind;
        let spec = kind.spec();
        if name.is_empty() {
            return Err(DestinationError::Invalid {
                name: config.name.clone(),
                message: "`name` is empty".to_string(),
            });
        }
        let invalid = |message: String| DestinationError::Invalid {
            name: name.clone(),
            message,
        };

        // Fields the kind does not take are mistakes worth a line, not silence.
        if let Some(message) = spec.misplaced_field(config) {
            return Err(invalid(message));
        }
        let credentials = Credentials::resolve(config, env).map_err(invalid)?;
        if let Some(message) = spec.unmet_need(config) {
            return Err(invalid(message));
        }
        spec.check_region(config).map_err(invalid)?;
        let (url, file) = match spec.target {
            Target::File => {
                let (url, absolute) = file_target(config).map_err(invalid)?;
                (url, Some(absolute))
            }
            Target::Endpoint | Target::Host(_) | Target::Regional(_) => {
                let base = match &config.endpoint {
                    Some(endpoint) => checked_endpoint(endpoint).map_err(invalid)?,
                    None => spec.default_host(config.region).to_string(),
                };
                (spec.mapper.url(&base, &credentials, config.debug), None)
            }
        };
        let headers = Headers::resolve(config, env).map_err(invalid)?;

        if let Some(code) = &config.transform
            && let Err(e) = crate::filter::jq::JqFilter::compile(code)
        {
            return Err(invalid(format!(
                "`transform`: {} (at byte {})",
                e.message, e.offset
            )));
        }

        let batch_size = config.batch_size.unwrap_or(spec.default_batch_size);
        if batch_size == 0 {
            return Err(invalid("`batch_size` must be at least 1".to_string()));
        }
        if let Some(max) = spec.max_batch_size
            && batch_size > max
        {
            return Err(invalid(format!(
                "`batch_size` {batch_size} is over {kind}'s limit of {max} per request"
            )));
        }
        let concurrency = config.concurrency.unwrap_or(4);
        if !(1..=256).contains(&concurrency) {
            return Err(invalid(
                "`concurrency` must be between 1 and 256".to_string(),
            ));
        }
        let max_attempts = config.max_attempts.unwrap_or(4);
        if !(1..=100).contains(&max_attempts) {
            return Err(invalid(
                "`max_attempts` must be between 1 and 100".to_string(),
            ));
        }

        let routing = crate::routing::Destination::from_config(config, &crate::routing::fql)
            .map_err(invalid)?;
        let mut destination = Destination {
            name,
            kind,
            batch_size,
            timeout: config.timeout.unwrap_or(spec.default_timeout),
            concurrency,
            max_attempts,
            file,
            secrets: Vec::new(),
            url,
            credentials,
            headers: headers.headers,
            transform: config.transform.clone(),
            redact_pii: config.redact_pii,
            debug: config.debug,
            method: config.method.unwrap_or(WebhookMethod::Post),
            stamp_sent_at: true,
            routing: std::sync::Arc::new(routing),
            ignore_routing: false,
        };
        destination.secrets = collect_secrets(&destination, headers.secrets);
        Ok(destination)
    }

    /// The URL requests go to, secrets masked.
    pub fn url_masked(&self) -> String {
        self.mask(&self.url)
    }

    /// `text` with every secret of this destination masked (`abcd…wxyz`); safe to show or log.
    pub fn mask(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_string();
        }
        let mut out = text.to_string();
        // Longest first: a secret's base64 or escaped form may contain a shorter secret.
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), &mask_secret(secret));
            }
        }
        out
    }

    /// The request as shown before sending and kept in deliveries: URL and headers masked,
    /// the body masked and cut at [`PREVIEW_BYTES`].
    pub fn preview(&self, request: &Request) -> RequestPreview {
        // Mask only what is kept (plus room for a secret across the cut), then cut: a 20 MB
        // batch is not scanned whole, and a secret is never shown in part.
        let text = request.body_text();
        let body = self.mask(crate::model::cut_to(&text, 2 * PREVIEW_BYTES));
        RequestPreview {
            method: request.method.clone(),
            url: self.mask(&request.url),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), self.mask(value)))
                .collect(),
            body: crate::model::cut_to(&body, PREVIEW_BYTES).to_string(),
            body_bytes: request.body.len() as u64,
        }
    }

    /// Maps messages to the requests this destination gets: transform, redact PII, batch,
    /// map. Messages the kind cannot carry (or the transform dropped) come back in
    /// [`Mapped::skipped`] with the reason. `inspector` supplies the PII matchers for
    /// `redact_pii` (the built-in ones when `None`).
    pub fn requests(
        &self,
        messages: &[Outgoing],
        inspector: Option<&crate::inspect::Inspector>,
    ) -> Result<Mapped, MapError> {
        self.requests_at(messages, inspector, chrono::Utc::now())
    }

    /// [`Destination::requests`] with the clock given: `now` fills `sentAt` (segment), so
    /// tests get fixed bodies.
    pub fn requests_at(
        &self,
        messages: &[Outgoing],
        inspector: Option<&crate::inspect::Inspector>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Mapped, MapError> {
        map::map(self, messages, inspector, now)
    }

    /// Whether requests are appended to [`Destination::file`] rather than sent (the kind's
    /// target, whatever URL a request carries).
    pub(crate) fn appends_to_file(&self) -> bool {
        matches!(self.kind.spec().target, Target::File)
    }

    /// Judges an answer: delivered (`true` for a 2xx without reported errors) and what the
    /// destination said about the payload, one note per problem (GA4 debug
    /// `validationMessages`, Mixpanel `failed_records`, Amplitude error fields…).
    pub fn read_answer(&self, status: u16, body: &[u8]) -> (bool, Vec<DeliveryNote>) {
        let (ok, notes) = map::read_answer(self, status, body);
        let notes = notes
            .into_iter()
            .map(|n| DeliveryNote {
                path: self.mask(&n.path),
                code: self.mask(&n.code),
                message: self.mask(&n.message),
            })
            .collect();
        (ok, notes)
    }
}

/// A `file` table's `file:///abs/path` URL and absolute path (relative to the working
/// directory).
fn file_target(config: &DestinationConfig) -> Result<(String, PathBuf), String> {
    let path = config.path.clone().unwrap_or_default();
    let absolute =
        std::path::absolute(&path).map_err(|e| format!("`path` {}: {e}", path.display()))?;
    let url = reqwest::Url::from_file_path(&absolute)
        .map_err(|()| format!("`path` {} is not a file path", path.display()))?;
    Ok((url.to_string(), absolute))
}

/// `endpoint` trimmed, once it is an http(s) URL with a host and no user or password.
fn checked_endpoint(endpoint: &str) -> Result<String, String> {
    let endpoint = endpoint.trim();
    let parsed = reqwest::Url::parse(endpoint)
        .map_err(|e| format!("`endpoint` {endpoint:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(format!(
            "`endpoint` {endpoint:?} must be an http:// or https:// URL"
        ));
    }
    // Credentials in the URL would be shown wherever the URL is: they belong in the
    // credential fields or `headers`, which are masked.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "`endpoint` must not carry a user or password; put credentials \
                    in `headers` (e.g. Authorization = \"env:HOOK_AUTH\")"
                .to_string(),
        );
    }
    Ok(endpoint.to_string())
}

#[cfg(test)]
mod tests;
