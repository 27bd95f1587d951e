//! `[[destination]]` tables: what a destination is, its credentials and how to reach it.
//!
//! A [`DestinationConfig`] is the table as written (keys in snake_case as the issue writes
//! them; the kebab-case spelling of the rest of `eventscope.toml` is accepted too). Resolving it
//! ([`Destination::from_config`]) reads `env:VAR` credentials, applies the kind's defaults and
//! checks everything a request needs, so that a bad table is one clear line at start-up rather
//! than a failed delivery later.
//!
//! Secrets (credentials, header values read from the environment or named like a credential)
//! are collected with every form they take on the wire — as written, percent-encoded in a URL,
//! JSON-escaped in a body, inside a base64 `Basic` header — so that [`Destination::mask`] can
//! hide them in any text shown or logged.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

use super::map::{self, MapError, Mapped};
use super::{Outgoing, Request};
use crate::model::{DeliveryNote, PREVIEW_BYTES, RequestPreview, mask_secret};

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
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Segment => "segment",
            DestinationKind::Amplitude => "amplitude",
            DestinationKind::Mixpanel => "mixpanel",
            DestinationKind::Ga4 => "ga4",
            DestinationKind::Posthog => "posthog",
            DestinationKind::File => "file",
        }
    }

    /// Messages per request when the table does not say.
    pub fn default_batch_size(self) -> usize {
        match self {
            // Segment's classic webhooks send one message per request.
            DestinationKind::Webhook => 1,
            DestinationKind::Segment => 100,
            DestinationKind::Amplitude => 1000,
            DestinationKind::Mixpanel => 2000,
            DestinationKind::Ga4 => 25,
            DestinationKind::Posthog => 1000,
            DestinationKind::File => 1000,
        }
    }

    /// The most messages the vendor takes in one request, where it documents a limit.
    pub fn max_batch_size(self) -> Option<usize> {
        match self {
            // Webhooks (Actions) allow batches of up to 4000.
            DestinationKind::Webhook => Some(4000),
            // Amplitude: fewer than 2000 events, else 413.
            DestinationKind::Amplitude => Some(2000),
            DestinationKind::Mixpanel => Some(2000),
            DestinationKind::Ga4 => Some(25),
            // Segment: 500 KB per batch, so a few thousand small messages at most.
            DestinationKind::Segment => Some(2500),
            // No documented count; a bound keeps a typo from asking for a huge buffer.
            DestinationKind::Posthog | DestinationKind::File => Some(100_000),
        }
    }

    /// Per attempt, when the table does not say: webhooks must answer within 5 s at Segment.
    pub fn default_timeout(self) -> Duration {
        match self {
            DestinationKind::Webhook => Duration::from_secs(5),
            _ => Duration::from_secs(10),
        }
    }

    /// The regions the vendor has hosts for (the first is the default).
    pub fn regions(self) -> &'static [Region] {
        match self {
            DestinationKind::Segment | DestinationKind::Amplitude | DestinationKind::Posthog => {
                &[Region::Us, Region::Eu]
            }
            DestinationKind::Mixpanel => &[Region::Us, Region::Eu, Region::In],
            DestinationKind::Webhook | DestinationKind::Ga4 | DestinationKind::File => &[],
        }
    }

    const ALL: [DestinationKind; 7] = [
        DestinationKind::Webhook,
        DestinationKind::Segment,
        DestinationKind::Amplitude,
        DestinationKind::Mixpanel,
        DestinationKind::Ga4,
        DestinationKind::Posthog,
        DestinationKind::File,
    ];
}

impl std::fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// Credentials as resolved (`env:VAR` read).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) write_key: Option<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) measurement_id: Option<String>,
    pub(crate) api_secret: Option<String>,
    pub(crate) shared_secret: Option<String>,
}

/// Never prints a credential, even in `{:?}`.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_deref().map(mask_secret);
        f.debug_struct("Credentials")
            .field("write_key", &shown(&self.write_key))
            .field("api_key", &shown(&self.api_key))
            .field("token", &shown(&self.token))
            .field("measurement_id", &self.measurement_id)
            .field("api_secret", &shown(&self.api_secret))
            .field("shared_secret", &shown(&self.shared_secret))
            .finish()
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

    /// [`Destination::from_config`] with the environment given.
    pub fn from_config_with(
        config: &DestinationConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Destination, DestinationError> {
        let name = config.name.trim().to_string();
        let kind = config.kind;
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

        // Fields the kind does not use are mistakes worth a line, not silence.
        let used = |field: &str| -> bool {
            match field {
                "write_key" => kind == DestinationKind::Segment,
                "api_key" => matches!(kind, DestinationKind::Amplitude | DestinationKind::Posthog),
                "token" => kind == DestinationKind::Mixpanel,
                "measurement_id" => kind == DestinationKind::Ga4,
                "api_secret" => matches!(kind, DestinationKind::Ga4 | DestinationKind::Mixpanel),
                "shared_secret" => kind == DestinationKind::Webhook,
                "debug" => kind == DestinationKind::Ga4,
                "method" => kind == DestinationKind::Webhook,
                "path" => kind == DestinationKind::File,
                "endpoint" | "headers" => kind != DestinationKind::File,
                _ => true,
            }
        };
        let set_fields = [
            ("write_key", config.write_key.is_some()),
            ("api_key", config.api_key.is_some()),
            ("token", config.token.is_some()),
            ("measurement_id", config.measurement_id.is_some()),
            ("api_secret", config.api_secret.is_some()),
            ("shared_secret", config.shared_secret.is_some()),
            ("debug", config.debug),
            ("method", config.method.is_some()),
            ("path", config.path.is_some()),
            ("endpoint", config.endpoint.is_some()),
            ("headers", !config.headers.is_empty()),
        ];
        for (field, set) in set_fields {
            if set && !used(field) {
                return Err(invalid(format!(
                    "`{field}` is not used by {kind} destinations{}",
                    users_of(field)
                )));
            }
        }

        let resolve =
            |field: &str, value: &Option<String>| -> Result<Option<String>, DestinationError> {
                let Some(value) = value else {
                    return Ok(None);
                };
                let resolved = resolve_value(value, env).map_err(|var| {
                    invalid(format!(
                        "`{field}` reads env:{var}, but the environment variable {var} is not set"
                    ))
                })?;
                if resolved.trim().is_empty() {
                    return Err(invalid(format!("`{field}` is empty")));
                }
                Ok(Some(resolved))
            };
        let credentials = Credentials {
            write_key: resolve("write_key", &config.write_key)?,
            api_key: resolve("api_key", &config.api_key)?,
            token: resolve("token", &config.token)?,
            measurement_id: resolve("measurement_id", &config.measurement_id)?,
            api_secret: resolve("api_secret", &config.api_secret)?,
            shared_secret: resolve("shared_secret", &config.shared_secret)?,
        };
        let require = |field: &str, value: &Option<String>, what: &str| {
            if value.is_none() {
                Err(invalid(format!("{kind} needs `{field}` ({what})")))
            } else {
                Ok(())
            }
        };
        match kind {
            DestinationKind::Segment => require(
                "write_key",
                &credentials.write_key,
                "the source's write key",
            )?,
            DestinationKind::Amplitude => {
                require("api_key", &credentials.api_key, "the project's API key")?
            }
            DestinationKind::Posthog => require(
                "api_key",
                &credentials.api_key,
                "the project API key, phc_…",
            )?,
            DestinationKind::Ga4 => {
                require("measurement_id", &credentials.measurement_id, "G-…")?;
                require(
                    "api_secret",
                    &credentials.api_secret,
                    "a Measurement Protocol API secret",
                )?;
            }
            DestinationKind::Mixpanel => {
                if credentials.token.is_none() && credentials.api_secret.is_none() {
                    return Err(invalid(
                        "mixpanel needs `token` (the project token) or `api_secret`".to_string(),
                    ));
                }
            }
            DestinationKind::Webhook => {
                if config.endpoint.is_none() {
                    return Err(invalid(
                        "webhook needs `endpoint` (the URL to send to)".to_string(),
                    ));
                }
            }
            DestinationKind::File => {
                if config.path.is_none() {
                    return Err(invalid(
                        "file needs `path` (where NDJSON is appended)".to_string(),
                    ));
                }
            }
        }

        if let Some(region) = config.region {
            if config.endpoint.is_some() {
                return Err(invalid(
                    "set `endpoint` or `region`, not both (the endpoint decides the host)"
                        .to_string(),
                ));
            }
            if !kind.regions().contains(&region) {
                let known: Vec<&str> = kind.regions().iter().map(|r| r.as_str()).collect();
                return Err(invalid(if known.is_empty() {
                    format!("{kind} has no regions; use `endpoint` to choose the host")
                } else {
                    format!(
                        "{kind} has no region `{}` (known: {})",
                        region.as_str(),
                        known.join(", ")
                    )
                }));
            }
        }

        let (url, file) = match kind {
            DestinationKind::File => {
                let path = config.path.clone().unwrap_or_default();
                let absolute = std::path::absolute(&path)
                    .map_err(|e| invalid(format!("`path` {}: {e}", path.display())))?;
                let url = reqwest::Url::from_file_path(&absolute).map_err(|()| {
                    invalid(format!("`path` {} is not a file path", path.display()))
                })?;
                (url.to_string(), Some(absolute))
            }
            _ => {
                let base = match &config.endpoint {
                    Some(endpoint) => {
                        let endpoint = endpoint.trim();
                        let parsed = reqwest::Url::parse(endpoint).map_err(|e| {
                            invalid(format!("`endpoint` {endpoint:?} is not a URL: {e}"))
                        })?;
                        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                            return Err(invalid(format!(
                                "`endpoint` {endpoint:?} must be an http:// or https:// URL"
                            )));
                        }
                        // Credentials in the URL would be shown wherever the URL is: they
                        // belong in the credential fields or `headers`, which are masked.
                        if !parsed.username().is_empty() || parsed.password().is_some() {
                            return Err(invalid(
                                "`endpoint` must not carry a user or password; put credentials \
                                 in `headers` (e.g. Authorization = \"env:HOOK_AUTH\")"
                                    .to_string(),
                            ));
                        }
                        endpoint.to_string()
                    }
                    None => default_host(kind, config.region.unwrap_or(Region::Us)).to_string(),
                };
                (
                    map::request_url(kind, &base, &credentials, config.debug),
                    None,
                )
            }
        };

        let mut headers = Vec::with_capacity(config.headers.len());
        let mut header_secrets = Vec::new();
        for (header, value) in &config.headers {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(invalid(format!(
                    "header name {header:?} is not a valid HTTP header name"
                )));
            }
            let resolved = resolve_value(value, env).map_err(|var| {
                invalid(format!(
                    "header `{header}` reads env:{var}, but the environment variable {var} is not set"
                ))
            })?;
            if reqwest::header::HeaderValue::from_str(&resolved).is_err() {
                return Err(invalid(format!(
                    "header `{header}` has a value that is not valid in HTTP (control characters?)"
                )));
            }
            if value.starts_with("env:") || is_credential_header(header) {
                header_secrets.push(resolved.clone());
            }
            headers.push((header.clone(), resolved));
        }

        if let Some(code) = &config.transform
            && let Err(e) = crate::filter::jq::JqFilter::compile(code)
        {
            return Err(invalid(format!(
                "`transform`: {} (at byte {})",
                e.message, e.offset
            )));
        }

        let batch_size = config.batch_size.unwrap_or(kind.default_batch_size());
        if batch_size == 0 {
            return Err(invalid("`batch_size` must be at least 1".to_string()));
        }
        if let Some(max) = kind.max_batch_size()
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

        let mut destination = Destination {
            name,
            kind,
            batch_size,
            timeout: config.timeout.unwrap_or(kind.default_timeout()),
            concurrency,
            max_attempts,
            file,
            secrets: Vec::new(),
            url,
            credentials,
            headers,
            transform: config.transform.clone(),
            redact_pii: config.redact_pii,
            debug: config.debug,
            method: config.method.unwrap_or(WebhookMethod::Post),
        };
        destination.secrets = collect_secrets(&destination, header_secrets);
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

/// The vendors' hosts.
fn default_host(kind: DestinationKind, region: Region) -> &'static str {
    match (kind, region) {
        (DestinationKind::Segment, Region::Eu) => "https://events.eu1.segmentapis.com",
        (DestinationKind::Segment, _) => "https://api.segment.io",
        (DestinationKind::Amplitude, Region::Eu) => "https://api.eu.amplitude.com",
        (DestinationKind::Amplitude, _) => "https://api2.amplitude.com",
        (DestinationKind::Mixpanel, Region::Eu) => "https://api-eu.mixpanel.com",
        (DestinationKind::Mixpanel, Region::In) => "https://api-in.mixpanel.com",
        (DestinationKind::Mixpanel, _) => "https://api.mixpanel.com",
        (DestinationKind::Ga4, _) => "https://www.google-analytics.com",
        (DestinationKind::Posthog, Region::Eu) => "https://eu.i.posthog.com",
        (DestinationKind::Posthog, _) => "https://us.i.posthog.com",
        // Both need their own `endpoint`/`path`; never reached.
        (DestinationKind::Webhook | DestinationKind::File, _) => "",
    }
}

/// ` (it is for amplitude, posthog)`: which kinds use a field, for error messages.
fn users_of(field: &str) -> String {
    let users: Vec<&str> = DestinationKind::ALL
        .iter()
        .filter(|k| match field {
            "write_key" => **k == DestinationKind::Segment,
            "api_key" => matches!(k, DestinationKind::Amplitude | DestinationKind::Posthog),
            "token" => **k == DestinationKind::Mixpanel,
            "measurement_id" | "debug" => **k == DestinationKind::Ga4,
            "api_secret" => matches!(k, DestinationKind::Ga4 | DestinationKind::Mixpanel),
            "shared_secret" | "method" => **k == DestinationKind::Webhook,
            "path" => **k == DestinationKind::File,
            "endpoint" | "headers" => **k != DestinationKind::File,
            _ => false,
        })
        .map(|k| k.as_str())
        .collect();
    if users.is_empty() {
        String::new()
    } else {
        format!(" (it is for {})", users.join(", "))
    }
}

/// `env:VAR` → the variable's value (Err(VAR) when unset); anything else as written.
fn resolve_value(value: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    match value.strip_prefix("env:") {
        Some(var) => {
            let var = var.trim();
            env(var).ok_or_else(|| var.to_string())
        }
        None => Ok(value.to_string()),
    }
}

/// Header names whose values are credentials even when written in the file.
fn is_credential_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "authorization"
        || lower == "proxy-authorization"
        || lower == "cookie"
        || ["key", "token", "secret", "auth", "signature", "password"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Every form each secret takes in a request, longest first, without duplicates.
fn collect_secrets(destination: &Destination, header_secrets: Vec<String>) -> Vec<String> {
    let c = &destination.credentials;
    let mut raw: Vec<String> = [
        &c.write_key,
        &c.api_key,
        &c.token,
        &c.api_secret,
        &c.shared_secret,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    raw.extend(header_secrets);
    let mut all = Vec::new();
    for secret in &raw {
        all.push(secret.clone());
        // In a URL query (GA4's api_secret).
        let encoded: String =
            reqwest::Url::parse_with_params("http://x/", [("s", secret.as_str())])
                .ok()
                .and_then(|u| u.query().map(|q| q.trim_start_matches("s=").to_string()))
                .unwrap_or_default();
        all.push(encoded);
        // In a JSON body (Amplitude's and PostHog's api_key).
        if let Ok(json) = serde_json::to_string(secret) {
            all.push(json.trim_matches('"').to_string());
        }
        // In a Basic header: `user:` and `user:password` forms.
        all.push(base64::engine::general_purpose::STANDARD.encode(format!("{secret}:")));
    }
    if let Some(user) = map::basic_user(destination) {
        all.push(base64::engine::general_purpose::STANDARD.encode(format!("{user}:")));
    }
    // A secret too short to mask meaningfully still gets masked; empty strings never match.
    all.retain(|s| !s.is_empty());
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> DestinationConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn env(var: &str) -> Option<String> {
        match var {
            "SEGMENT_KEY" => Some("wk_0123456789abcdef".to_string()),
            "HOOK_SECRET" => Some("hook-secret-value-42".to_string()),
            "TEAM_TOKEN" => Some("tt_abcdefghijklmnop".to_string()),
            _ => None,
        }
    }

    fn resolve(toml_text: &str) -> Result<Destination, DestinationError> {
        Destination::from_config_with(&config(toml_text), &env)
    }

    fn error(toml_text: &str) -> String {
        resolve(toml_text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_per_kind() {
        let d =
            resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:SEGMENT_KEY\"").unwrap();
        assert_eq!(d.url, "https://api.segment.io/v1/batch");
        assert_eq!(
            (d.batch_size, d.timeout, d.concurrency, d.max_attempts),
            (100, Duration::from_secs(10), 4, 4)
        );
        let d = resolve("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://127.0.0.1:9/hook\"")
            .unwrap();
        assert_eq!((d.batch_size, d.timeout), (1, Duration::from_secs(5)));
        assert_eq!(d.url, "http://127.0.0.1:9/hook");
        let d = resolve("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nregion = \"eu\"")
            .unwrap();
        assert_eq!(d.url, "https://api.eu.amplitude.com/2/httpapi");
        assert_eq!(d.batch_size, 1000);
        let d =
            resolve("name = \"m\"\nkind = \"mixpanel\"\ntoken = \"t\"\nregion = \"in\"").unwrap();
        assert_eq!(d.url, "https://api-in.mixpanel.com/import?strict=1");
        assert_eq!(d.batch_size, 2000);
        let d = resolve("name = \"p\"\nkind = \"posthog\"\napi_key = \"phc\"\nregion = \"eu\"")
            .unwrap();
        assert_eq!(d.url, "https://eu.i.posthog.com/batch/");
        let d = resolve(
            "name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"\napi_secret = \"a b&c\"\ndebug = true",
        )
        .unwrap();
        assert_eq!(
            d.url,
            "https://www.google-analytics.com/debug/mp/collect?measurement_id=G-1&api_secret=a+b%26c"
        );
        assert_eq!(d.batch_size, 25);
    }

    #[test]
    fn endpoint_replaces_the_host_and_keeps_a_full_path() {
        let d = resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"k\"\nendpoint = \"http://127.0.0.1:8707/\"").unwrap();
        assert_eq!(d.url, "http://127.0.0.1:8707/v1/batch");
        let d = resolve("name = \"s\"\nkind = \"segment\"\nwrite_key = \"k\"\nendpoint = \"http://127.0.0.1:8707/v1/batch\"").unwrap();
        assert_eq!(d.url, "http://127.0.0.1:8707/v1/batch");
        let d = resolve("name = \"m\"\nkind = \"mixpanel\"\napi_secret = \"x\"\nendpoint = \"http://127.0.0.1:1\"").unwrap();
        assert_eq!(d.url, "http://127.0.0.1:1/import?strict=1");
    }

    #[test]
    fn missing_credentials_name_destination_and_field() {
        assert_eq!(
            error("name = \"s\"\nkind = \"segment\""),
            "destination `s`: segment needs `write_key` (the source's write key)"
        );
        assert!(
            error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"")
                .contains("`api_secret`")
        );
        assert!(error("name = \"m\"\nkind = \"mixpanel\"").contains("`token`"));
        assert!(error("name = \"w\"\nkind = \"webhook\"").contains("`endpoint`"));
        assert!(error("name = \"f\"\nkind = \"file\"").contains("`path`"));
        assert_eq!(
            error("name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:NOPE\""),
            "destination `s`: `write_key` reads env:NOPE, but the environment variable NOPE is not set"
        );
        assert!(error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\nheaders = { Authorization = \"env:NOPE\" }")
            .contains("header `Authorization` reads env:NOPE"));
    }

    #[test]
    fn misplaced_and_bad_values_are_refused() {
        assert_eq!(
            error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\nwrite_key = \"k\""),
            "destination `w`: `write_key` is not used by webhook destinations (it is for segment)"
        );
        assert!(
            error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"ftp://x/\"")
                .contains("http:// or https://")
        );
        assert!(
            error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"not a url\"")
                .contains("is not a URL")
        );
        assert!(error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G\"\napi_secret = \"s\"\nregion = \"eu\"").contains("ga4 has no regions"));
        assert!(
            error("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nregion = \"in\"")
                .contains("no region `in`")
        );
        assert!(
            error("name = \"a\"\nkind = \"amplitude\"\napi_key = \"k\"\nbatch_size = 5000")
                .contains("limit of 2000")
        );
        assert!(error("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G\"\napi_secret = \"s\"\nbatch_size = 26").contains("limit of 25"));
        // Credentials in a URL would be shown wherever the URL is; huge numbers are typos.
        let hook = "name = \"h\"\nkind = \"webhook\"\n";
        assert!(
            error(&format!("{hook}endpoint = \"http://u:p@127.0.0.1:9/\""))
                .contains("user or password")
        );
        assert!(
            error(&format!(
                "{hook}endpoint = \"http://127.0.0.1:9/\"\nconcurrency = 100000"
            ))
            .contains("between 1 and 256")
        );
        assert!(
            error("name = \"f\"\nkind = \"file\"\npath = \"x.ndjson\"\nbatch_size = 1000000")
                .contains("limit of 100000")
        );
        assert!(
            error("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\ntransform = \"{\"")
                .contains("`transform`")
        );
        assert!(
            error("name = \" \"\nkind = \"webhook\"\nendpoint = \"http://x/\"")
                .contains("`name` is empty")
        );
    }

    /// Pins every kind's table: what it needs, which keys it takes, its regions and hosts, its
    /// defaults and limits.
    #[test]
    fn every_kind_names_what_it_needs() {
        let cases = [
            (
                "segment",
                "",
                "segment needs `write_key` (the source's write key)",
            ),
            (
                "amplitude",
                "",
                "amplitude needs `api_key` (the project's API key)",
            ),
            (
                "posthog",
                "",
                "posthog needs `api_key` (the project API key, phc_…)",
            ),
            ("ga4", "", "ga4 needs `measurement_id` (G-…)"),
            (
                "ga4",
                "measurement_id = \"G-1\"\n",
                "ga4 needs `api_secret` (a Measurement Protocol API secret)",
            ),
            (
                "mixpanel",
                "",
                "mixpanel needs `token` (the project token) or `api_secret`",
            ),
            (
                "webhook",
                "",
                "webhook needs `endpoint` (the URL to send to)",
            ),
            ("file", "", "file needs `path` (where NDJSON is appended)"),
        ];
        for (kind, extra, message) in cases {
            assert_eq!(
                error(&format!("name = \"x\"\nkind = \"{kind}\"\n{extra}")),
                format!("destination `x`: {message}")
            );
        }
    }

    #[test]
    fn every_kind_refuses_the_keys_of_others() {
        let all_but_file = "webhook, segment, amplitude, mixpanel, ga4, posthog";
        let keys = [
            ("write_key", "write_key = \"k\"", "segment"),
            ("api_key", "api_key = \"k\"", "amplitude, posthog"),
            ("token", "token = \"k\"", "mixpanel"),
            ("measurement_id", "measurement_id = \"G-1\"", "ga4"),
            ("api_secret", "api_secret = \"k\"", "mixpanel, ga4"),
            ("shared_secret", "shared_secret = \"k\"", "webhook"),
            ("debug", "debug = true", "ga4"),
            ("method", "method = \"PUT\"", "webhook"),
            ("path", "path = \"out.ndjson\"", "file"),
            (
                "endpoint",
                "endpoint = \"http://127.0.0.1:9/\"",
                all_but_file,
            ),
            ("headers", "headers = { X-A = \"b\" }", all_but_file),
        ];
        for kind in DestinationKind::ALL {
            for (key, line, users) in keys {
                let got = resolve(&format!("name = \"x\"\nkind = \"{kind}\"\n{line}"))
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                let refused = format!(
                    "destination `x`: `{key}` is not used by {kind} destinations (it is for {users})"
                );
                if users.split(", ").any(|u| u == kind.as_str()) {
                    assert!(!got.contains("is not used"), "{kind} {key}: {got}");
                } else {
                    assert_eq!(got, refused, "{kind} {key}");
                }
            }
        }
        // Misplaced keys are reported in one fixed order, before anything else.
        assert_eq!(
            error(
                "name = \"f\"\nkind = \"file\"\nendpoint = \"http://x/\"\nwrite_key = \"env:NOPE\""
            ),
            "destination `f`: `write_key` is not used by file destinations (it is for segment)"
        );
    }

    #[test]
    fn every_kind_knows_its_regions_and_hosts() {
        let creds = |kind: &str| match kind {
            "segment" => "write_key = \"k\"",
            "amplitude" | "posthog" => "api_key = \"k\"",
            "mixpanel" => "token = \"k\"",
            "ga4" => "measurement_id = \"G-1\"\napi_secret = \"s\"",
            "webhook" => "endpoint = \"http://127.0.0.1:9/\"",
            _ => "path = \"out.ndjson\"",
        };
        let hosts = [
            ("segment", None, "https://api.segment.io/v1/batch"),
            ("segment", Some("us"), "https://api.segment.io/v1/batch"),
            (
                "segment",
                Some("eu"),
                "https://events.eu1.segmentapis.com/v1/batch",
            ),
            ("amplitude", None, "https://api2.amplitude.com/2/httpapi"),
            (
                "amplitude",
                Some("us"),
                "https://api2.amplitude.com/2/httpapi",
            ),
            (
                "amplitude",
                Some("eu"),
                "https://api.eu.amplitude.com/2/httpapi",
            ),
            ("mixpanel", None, "https://api.mixpanel.com/import?strict=1"),
            (
                "mixpanel",
                Some("us"),
                "https://api.mixpanel.com/import?strict=1",
            ),
            (
                "mixpanel",
                Some("eu"),
                "https://api-eu.mixpanel.com/import?strict=1",
            ),
            (
                "mixpanel",
                Some("in"),
                "https://api-in.mixpanel.com/import?strict=1",
            ),
            ("posthog", None, "https://us.i.posthog.com/batch/"),
            ("posthog", Some("us"), "https://us.i.posthog.com/batch/"),
            ("posthog", Some("eu"), "https://eu.i.posthog.com/batch/"),
            (
                "ga4",
                None,
                "https://www.google-analytics.com/mp/collect?measurement_id=G-1&api_secret=s",
            ),
            ("webhook", None, "http://127.0.0.1:9/"),
        ];
        for (kind, region, url) in hosts {
            let region = region
                .map(|r| format!("region = \"{r}\"\n"))
                .unwrap_or_default();
            let d = resolve(&format!(
                "name = \"x\"\nkind = \"{kind}\"\n{region}{}",
                creds(kind)
            ))
            .unwrap();
            assert_eq!(d.url, url, "{kind} {region}");
        }
        let refused = [
            (
                "segment",
                "in",
                "segment has no region `in` (known: us, eu)",
            ),
            (
                "amplitude",
                "in",
                "amplitude has no region `in` (known: us, eu)",
            ),
            (
                "posthog",
                "in",
                "posthog has no region `in` (known: us, eu)",
            ),
            (
                "ga4",
                "us",
                "ga4 has no regions; use `endpoint` to choose the host",
            ),
            (
                "file",
                "eu",
                "file has no regions; use `endpoint` to choose the host",
            ),
        ];
        for (kind, region, message) in refused {
            assert_eq!(
                error(&format!(
                    "name = \"x\"\nkind = \"{kind}\"\nregion = \"{region}\"\n{}",
                    creds(kind)
                )),
                format!("destination `x`: {message}")
            );
        }
        assert_eq!(
            error(
                "name = \"x\"\nkind = \"webhook\"\nregion = \"us\"\nendpoint = \"http://127.0.0.1:9/\""
            ),
            "destination `x`: set `endpoint` or `region`, not both (the endpoint decides the host)"
        );
    }

    #[test]
    fn every_kind_has_its_defaults_and_limits() {
        use DestinationKind as K;
        let secs = Duration::from_secs;
        let table = [
            (K::Webhook, "webhook", 1, Some(4000), secs(5), vec![]),
            (
                K::Segment,
                "segment",
                100,
                Some(2500),
                secs(10),
                vec![Region::Us, Region::Eu],
            ),
            (
                K::Amplitude,
                "amplitude",
                1000,
                Some(2000),
                secs(10),
                vec![Region::Us, Region::Eu],
            ),
            (
                K::Mixpanel,
                "mixpanel",
                2000,
                Some(2000),
                secs(10),
                vec![Region::Us, Region::Eu, Region::In],
            ),
            (K::Ga4, "ga4", 25, Some(25), secs(10), vec![]),
            (
                K::Posthog,
                "posthog",
                1000,
                Some(100_000),
                secs(10),
                vec![Region::Us, Region::Eu],
            ),
            (K::File, "file", 1000, Some(100_000), secs(10), vec![]),
        ];
        assert_eq!(DestinationKind::ALL.len(), table.len());
        for (kind, (expected, name, batch, max, timeout, regions)) in
            DestinationKind::ALL.into_iter().zip(table)
        {
            assert_eq!(kind, expected);
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.to_string(), name);
            let parsed: DestinationKind =
                serde_json::from_value(serde_json::Value::String(name.to_string())).unwrap();
            assert_eq!(parsed, kind);
            assert_eq!(kind.default_batch_size(), batch, "{kind}");
            assert_eq!(kind.max_batch_size(), max, "{kind}");
            assert_eq!(kind.default_timeout(), timeout, "{kind}");
            assert_eq!(kind.regions().to_vec(), regions, "{kind}");
        }
    }

    #[test]
    fn timeouts_read_numbers_and_units() {
        assert_eq!(parse_timeout("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_timeout("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_timeout("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("0"), None);
        assert_eq!(parse_timeout("-1s"), None);
        assert_eq!(parse_timeout("soon"), None);
        let d =
            resolve("name = \"w\"\nkind = \"webhook\"\nendpoint = \"http://x/\"\ntimeout = 0.25")
                .unwrap();
        assert_eq!(d.timeout, Duration::from_millis(250));
    }

    #[test]
    fn duplicates_and_lookups() {
        let a = config("name = \"a\"\nkind = \"webhook\"\nendpoint = \"http://x/\"");
        let b = config("name = \"b\"\nkind = \"file\"\npath = \"out.ndjson\"");
        let err = resolve_all_with(&[a.clone(), b.clone(), a.clone()], &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "destination `a` is configured twice; names must be unique"
        );
        let all = resolve_all_with(&[a, b], &env).unwrap();
        assert_eq!(find(&all, "b").unwrap().kind, DestinationKind::File);
        assert_eq!(
            find(&all, "x").unwrap_err().to_string(),
            "no destination `x`; configured: a, b"
        );
        assert!(
            find(&[], "x")
                .unwrap_err()
                .to_string()
                .contains("none is configured")
        );
        let file = find(&all, "b").unwrap();
        assert!(file.file.as_ref().unwrap().is_absolute());
        assert!(
            file.url.starts_with("file:///") && file.url.ends_with("/out.ndjson"),
            "{}",
            file.url
        );
    }

    #[test]
    fn every_secret_form_is_masked() {
        let d = resolve(
            "name = \"s\"\nkind = \"segment\"\nwrite_key = \"env:SEGMENT_KEY\"\nheaders = { X-Team = \"env:TEAM_TOKEN\", X-Plain = \"visible\" }",
        )
        .unwrap();
        let key = "wk_0123456789abcdef";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{key}:"));
        let text = format!("key={key} auth=Basic {basic} team=tt_abcdefghijklmnop plain=visible");
        let masked = d.mask(&text);
        assert!(!masked.contains(key), "{masked}");
        assert!(!masked.contains(&basic), "{masked}");
        assert!(!masked.contains("tt_abcdefghijklmnop"), "{masked}");
        assert!(
            masked.contains("wk_0…cdef") && masked.contains("plain=visible"),
            "{masked}"
        );
        // Debug output never shows a credential either.
        let debug = format!("{d:?}");
        assert!(!debug.contains(key), "{debug}");

        let g = resolve("name = \"g\"\nkind = \"ga4\"\nmeasurement_id = \"G-1\"\napi_secret = \"sec ret/+=value\"").unwrap();
        let masked = g.mask(&g.url);
        assert!(
            !masked.contains("sec+ret") && !masked.contains("sec%20ret"),
            "{masked}"
        );
        assert!(masked.contains("measurement_id=G-1"), "{masked}");
    }

    #[test]
    fn preview_masks_and_cuts() {
        let d = resolve("name = \"a\"\nkind = \"amplitude\"\napi_key = \"amp_key_0123456789\"")
            .unwrap();
        let big = "x".repeat(PREVIEW_BYTES * 2);
        let body = format!("{{\"api_key\":\"amp_key_0123456789\",\"pad\":\"{big}\"}}");
        let request = Request {
            method: "POST".into(),
            url: d.url.clone(),
            headers: vec![("X-Key".into(), "amp_key_0123456789".into())],
            body: body.clone().into_bytes(),
            carries: Vec::new(),
        };
        let preview = d.preview(&request);
        assert_eq!(preview.body_bytes, body.len() as u64);
        assert!(preview.body.len() <= PREVIEW_BYTES);
        assert!(!preview.body.contains("amp_key_0123456789"));
        assert!(
            preview.body.starts_with("{\"api_key\":\"amp_…6789\""),
            "{}",
            &preview.body[..40]
        );
        assert_eq!(preview.headers[0].1, "amp_…6789");
    }
}
