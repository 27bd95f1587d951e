//! Sizes on the command line: `64MiB`, `1MB`, `512KiB`, `2G`, or plain bytes.

/// Parses a size in bytes: a number, optionally with a decimal part, and an optional unit —
/// `B`; `KB`, `MB`, `GB` (powers of 1000); `KiB`, `MiB`, `GiB` and the short `K`, `M`, `G`
/// (powers of 1024). Case and a space before the unit do not matter. Zero is refused.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(bad(text)),
    };
    let bytes = if let Ok(whole) = number.parse::<u64>() {
        whole.checked_mul(factor).ok_or_else(|| bad(text))?
    } else {
        let amount: f64 = number.parse().map_err(|_| bad(text))?;
        let bytes = (amount * factor as f64).round();
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(bad(text));
        }
        bytes as u64
    };
    if bytes == 0 {
        return Err(format!("`{text}`: a size must be at least 1 byte"));
    }
    Ok(bytes)
}

fn bad(text: &str) -> String {
    format!("`{text}` is not a size: write e.g. `64MiB`, `1MB`, `512KiB` or a number of bytes")
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_in_bytes_decimal_and_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mib"), Ok(64 << 20));
        assert_eq!(parse_size("1MB"), Ok(1_000_000));
        assert_eq!(parse_size("1 KB"), Ok(1_000));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("1.5MiB"), Ok(3 << 19));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("10B"), Ok(10));
    }

    #[test]
    fn nonsense_zero_and_overflow_are_refused() {
        for text in [
            "",
            "MiB",
            "12 parsecs",
            "-1",
            "0",
            "0MiB",
            "1.2.3",
            "99999999999999999999GiB",
        ] {
            assert!(parse_size(text).is_err(), "{text}");
        }
    }
}
