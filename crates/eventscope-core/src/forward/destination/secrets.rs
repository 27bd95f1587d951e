//! Secrets: reading `env:VAR` values (credentials and header values) and collecting every form
//! a secret takes on the wire — as written, percent-encoded in a URL, JSON-escaped in a body,
//! inside a base64 `Basic` header — so that [`Destination::mask`] can hide them in any text.

use base64::Engine as _;

use super::{Destination, DestinationConfig};
use crate::forward::map;
use crate::model::mask_secret;

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

impl Credentials {
    /// Reads the table's credentials (`env:VAR` resolved), in a fixed order; the message names
    /// the first key that reads an unset variable or is empty.
    pub(crate) fn resolve(
        config: &DestinationConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Credentials, String> {
        let resolve = |field: &str, value: &Option<String>| -> Result<Option<String>, String> {
            let Some(value) = value else {
                return Ok(None);
            };
            let resolved = resolve_value(value, env).map_err(|var| {
                format!("`{field}` reads env:{var}, but the environment variable {var} is not set")
            })?;
            if resolved.trim().is_empty() {
                return Err(format!("`{field}` is empty"));
            }
            Ok(Some(resolved))
        };
        Ok(Credentials {
            write_key: resolve("write_key", &config.write_key)?,
            api_key: resolve("api_key", &config.api_key)?,
            token: resolve("token", &config.token)?,
            measurement_id: resolve("measurement_id", &config.measurement_id)?,
            api_secret: resolve("api_secret", &config.api_secret)?,
            shared_secret: resolve("shared_secret", &config.shared_secret)?,
        })
    }
}

/// The table's extra headers, values resolved, in name order, and the values that are
/// secrets (read from the environment, or under a credential-like name).
pub(super) struct Headers {
    pub(super) headers: Vec<(String, String)>,
    pub(super) secrets: Vec<String>,
}

impl Headers {
    /// Checks each name and value; the message names the first bad header.
    pub(super) fn resolve(
        config: &DestinationConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Headers, String> {
        let mut headers = Vec::with_capacity(config.headers.len());
        let mut secrets = Vec::new();
        for (header, value) in &config.headers {
            if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(format!(
                    "header name {header:?} is not a valid HTTP header name"
                ));
            }
            let resolved = resolve_value(value, env).map_err(|var| {
                format!(
                    "header `{header}` reads env:{var}, but the environment variable {var} is not set"
                )
            })?;
            if reqwest::header::HeaderValue::from_str(&resolved).is_err() {
                return Err(format!(
                    "header `{header}` has a value that is not valid in HTTP (control characters?)"
                ));
            }
            if value.starts_with("env:") || is_credential_header(header) {
                secrets.push(resolved.clone());
            }
            headers.push((header.clone(), resolved));
        }
        Ok(Headers { headers, secrets })
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
pub(super) fn collect_secrets(
    destination: &Destination,
    header_secrets: Vec<String>,
) -> Vec<String> {
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
