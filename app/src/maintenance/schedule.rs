//! The intervals `--every` and `[maintain]` accept.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Parse `30s`, `15m`, `1h`, `1d` (or a bare number of seconds).
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_interval(text: &str) -> Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .with_context(|| format!("interval {text:?}: expected e.g. 30s, 15m, 1h or 1d"))?;
    let scale: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("interval {text:?}: unit must be s, m, h or d"),
    };
    let secs = n
        .checked_mul(scale)
        .with_context(|| format!("interval {text:?}: too long"))?;
    if secs == 0 {
        bail!("interval {text:?}: must be at least one second");
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("1h").expect("1h"), Duration::from_secs(3600));
        assert_eq!(parse_interval("90").expect("90"), Duration::from_secs(90));
        assert_eq!(
            parse_interval("15m").expect("15m"),
            Duration::from_secs(900)
        );
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("1w").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
