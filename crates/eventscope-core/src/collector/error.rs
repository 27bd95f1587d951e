//! Why a request was refused: an HTTP status, a stable code and a sentence for a person.

use axum::http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    pub status: StatusCode,
    /// Stable, machine-readable; part of the HTTP contract.
    pub code: &'static str,
    pub message: String,
    /// For 405: the methods the path takes (the `Allow` header).
    pub allow: Option<&'static str>,
    /// For 503: seconds after which the SDK may send again (the `Retry-After` header).
    pub retry_after: Option<u32>,
}

impl IngestError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        IngestError {
            status,
            code,
            message: message.into(),
            allow: None,
            retry_after: None,
        }
    }

    /// 405 for a path that takes only `allow`.
    pub fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> Self {
        IngestError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                message,
            )
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn too_large(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
    }

    /// The JSON body of the error response.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({"success": false, "code": self.code, "message": self.message})
    }
}

/// Human-readable byte sizes for error messages: `40,123 bytes (limit 32,768)`.
pub fn bytes_over(size: usize, limit: usize) -> String {
    format!(
        "{} bytes (the limit is {})",
        thousands(size as u64),
        thousands(limit as u64)
    )
}

pub use crate::model::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(32768), "32,768");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
