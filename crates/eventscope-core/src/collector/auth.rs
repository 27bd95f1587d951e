//! Write keys: from `Authorization: Basic b64(key:)`, the `writeKey` query parameter
//! (RudderStack's beacon transport) or the body's `writeKey`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::IngestError;
use crate::model::mask_secret;

/// The write key in a Basic `Authorization` header (the user name; the password is empty).
pub fn basic_write_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
    (!user.is_empty()).then(|| user.to_string())
}

/// The `writeKey` query parameter (percent-decoded; `+` is a space), when not empty.
pub fn query_write_key(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        if name != "writeKey" {
            return None;
        }
        let value = value.replace('+', " ");
        let key = percent_encoding::percent_decode_str(&value)
            .decode_utf8()
            .ok()?
            .into_owned();
        (!key.is_empty()).then_some(key)
    })
}

/// Checks `key` against the `--write-key` allow-list (empty list: any key, or none).
pub fn check_write_key(allowed: &[String], key: Option<&str>) -> Result<(), IngestError> {
    if allowed.is_empty() {
        return Ok(());
    }
    match key {
        None => Err(IngestError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "missing_write_key",
            "Missing writeKey: send it as the Basic auth user name, as \"writeKey\" in the body or as the writeKey query parameter",
        )),
        Some(key) if !allowed.iter().any(|k| k == key) => Err(IngestError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_write_key",
            format!(
                "Invalid writeKey {}: this collector accepts only the keys given with --write-key",
                mask_secret(key)
            ),
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn reads_the_basic_user_name() {
        let b64 = STANDARD.encode("wk_123:");
        assert_eq!(
            basic_write_key(&headers(&format!("Basic {b64}"))).as_deref(),
            Some("wk_123")
        );
        let no_colon = STANDARD.encode("wk_123");
        assert_eq!(
            basic_write_key(&headers(&format!("basic {no_colon}"))).as_deref(),
            Some("wk_123")
        );
        assert_eq!(basic_write_key(&headers("Bearer abc")), None);
        assert_eq!(basic_write_key(&headers("Basic !!!")), None);
    }

    #[test]
    fn reads_the_write_key_query_parameter() {
        assert_eq!(
            query_write_key(Some("writeKey=wk_123")).as_deref(),
            Some("wk_123")
        );
        assert_eq!(
            query_write_key(Some("a=1&writeKey=wk%2F1+2&b")).as_deref(),
            Some("wk/1 2")
        );
        assert_eq!(query_write_key(Some("writeKey=")), None);
        assert_eq!(query_write_key(Some("writekey=x&key=y")), None);
        assert_eq!(query_write_key(Some("writeKey=%FF")), None);
        assert_eq!(query_write_key(None), None);
    }

    #[test]
    fn allow_list_refuses_other_and_missing_keys() {
        let allowed = vec!["good".to_string()];
        assert!(check_write_key(&[], None).is_ok());
        assert!(check_write_key(&allowed, Some("good")).is_ok());
        assert_eq!(
            check_write_key(&allowed, Some("bad")).unwrap_err().code,
            "invalid_write_key"
        );
        assert_eq!(
            check_write_key(&allowed, None).unwrap_err().code,
            "missing_write_key"
        );
    }
}
