//! Which web origins may open the stream: a page on loopback, or one named by `--allow-origin`.
//! Anything else is a web page that must not read your events.

use std::net::IpAddr;

/// `origin` is the request's `Origin` header; `allowed` the extra origins configured.
pub fn is_allowed_origin(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.trim();
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false; // "null", file://, extension origins…
    };
    let host = if let Some(bracketed) = rest.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        rest.split([':', '/']).next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_pages_are_allowed() {
        for origin in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://127.0.0.2:8443",
            "http://[::1]:8080",
            "http://app.localhost:5173",
        ] {
            assert!(is_allowed_origin(origin, &[]), "{origin}");
        }
    }

    #[test]
    fn other_web_origins_are_refused() {
        for origin in [
            "https://evil.example",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "null",
            "file://",
            "chrome-extension://abcdef",
            "http://192.168.1.10:8707",
        ] {
            assert!(!is_allowed_origin(origin, &[]), "{origin}");
        }
    }

    #[test]
    fn configured_origins_are_allowed() {
        let allowed = vec!["https://dash.example.com/".to_string()];
        assert!(is_allowed_origin("https://dash.example.com", &allowed));
        assert!(!is_allowed_origin("https://dash.example.org", &allowed));
    }
}
