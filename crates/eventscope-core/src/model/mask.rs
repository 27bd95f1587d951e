//! Masking secrets (write keys, tokens) for anything a person or a log sees.

/// `abcd…wxyz` for long secrets; shorter ones keep less, and very short ones nothing.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 16 => format!(
            "{}…{}",
            chars[..4].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
        n if n >= 8 => format!(
            "{}…{}",
            chars[..2].iter().collect::<String>(),
            chars[n - 2..].iter().collect::<String>()
        ),
        _ => "…".to_string(),
    }
}

/// Replaces every occurrence of `secret` in `text` by its mask.
pub fn mask_in_text(text: &str, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        return text.to_string();
    }
    text.replace(secret, &mask_secret(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask_secret("abcdefghijklmnopqrstuvwxyz"), "abcd…wxyz");
        assert_eq!(mask_secret("abcdefghij"), "ab…ij");
        assert_eq!(mask_secret("short"), "…");
        assert_eq!(mask_secret(""), "");
    }

    #[test]
    fn masks_inside_text() {
        let key = "wk_0123456789abcdef";
        let text = format!(r#"{{"writeKey":"{key}","x":1}}"#);
        let masked = mask_in_text(&text, key);
        assert!(!masked.contains(key));
        assert!(masked.contains("wk_0…cdef"));
    }
}
