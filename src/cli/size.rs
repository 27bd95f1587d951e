//! Sizes on the command line (`--buffer-bytes 512MiB`): one syntax for every flag that takes
//! an amount of memory or data.

/// Parses a size: a whole or decimal number of bytes, optionally followed by a unit —
/// `B`; `KB`, `MB`, `GB`, `TB` (powers of 1000); `KiB`, `MiB`, `GiB`, `TiB` and the bare `K`,
/// `M`, `G`, `T` (powers of 1024, as in `sort -S`). Units ignore case; a space may separate
/// them from the number. `512MiB`, `64MB`, `1.5GiB`, `1048576`.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let bad = |why: &str| {
        format!("`{text}` is not a size: {why}; use bytes or a unit, e.g. 512MiB, 64MB, 1048576")
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(bad("no number"));
    }
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        other => return Err(bad(&format!("unknown unit `{other}`"))),
    };
    let too_large = || bad("too large");
    match number.split_once('.') {
        None => number
            .parse::<u64>()
            .map_err(|_| too_large())?
            .checked_mul(multiplier)
            .ok_or_else(too_large),
        Some((whole, fraction)) => {
            if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
                return Err(bad("not a number"));
            }
            let value: f64 = number.parse().map_err(|_| bad("not a number"))?;
            let bytes = (value * multiplier as f64).round();
            // 2^64 is the first f64 past u64::MAX.
            if !bytes.is_finite() || bytes >= 18_446_744_073_709_551_616.0 {
                return Err(too_large());
            }
            Ok(bytes as u64)
        }
    }
}

/// `--buffer-bytes`, `--max-line`: a size of at least one byte.
pub fn parse_nonzero_size(text: &str) -> Result<u64, String> {
    match parse_byte_size(text)? {
        0 => Err(format!("`{text}`: the budget must be at least one byte")),
        bytes => Ok(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bytes_and_units() {
        let ok = |t: &str| parse_byte_size(t).unwrap();
        assert_eq!(ok("1048576"), 1 << 20);
        assert_eq!(ok("512MiB"), 512 << 20);
        assert_eq!(ok("512mib"), 512 << 20);
        assert_eq!(ok("64MB"), 64_000_000);
        assert_eq!(ok("64 MB"), 64_000_000);
        assert_eq!(ok(" 2G "), 2 << 30);
        assert_eq!(ok("1.5GiB"), 3 << 29);
        assert_eq!(ok("0.5k"), 512);
        assert_eq!(ok("10B"), 10);
        assert_eq!(ok("1TiB"), 1 << 40);
        assert_eq!(ok("0"), 0);
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for bad in [
            "",
            "MiB",
            "-1",
            "12XB",
            "1.2.3",
            ".",
            "18446744073709551616",
            "17179869184GiB",
            "1e3",
        ] {
            let error = parse_byte_size(bad).unwrap_err();
            assert!(error.contains("is not a size"), "{bad}: {error}");
        }
        assert!(parse_nonzero_size("0").is_err());
        assert_eq!(parse_nonzero_size("1"), Ok(1));
    }
}
