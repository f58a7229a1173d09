//! Running a job on a schedule, and the intervals `--every` accepts.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Run `job` now and then every `every`, until `stop` completes, handing each result to
/// `report`. A failed run is logged and the schedule goes on. Returns how many runs succeeded.
pub async fn run_every<T, J, JF, S, R>(every: Duration, stop: S, mut job: J, mut report: R) -> u64
where
    J: FnMut() -> JF,
    JF: Future<Output = Result<T>>,
    S: Future<Output = ()>,
    R: FnMut(T),
{
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ok = 0;
    loop {
        tokio::select! {
            () = &mut stop => return ok,
            _ = ticks.tick() => match job().await {
                Ok(value) => {
                    ok += 1;
                    report(value);
                }
                Err(err) => tracing::warn!(error = %format!("{err:#}"), "scheduled job failed; retrying at the next tick"),
            },
        }
    }
}

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
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!("interval {text:?}: unit must be s, m, h or d"),
    };
    if secs == 0 {
        bail!("interval {text:?}: must be at least one second");
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_schedule_repeats_until_stopped_and_survives_failures() {
        let runs = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&runs);
        let mut reported = Vec::new();
        let ok = run_every(
            Duration::from_secs(3600),
            tokio::time::sleep(Duration::from_secs(3 * 3600 + 1)),
            move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move { if n == 1 { bail!("transient") } else { Ok(n) } }
            },
            |n| reported.push(n),
        )
        .await;
        assert_eq!(reported, [0, 2, 3]);
        assert_eq!(runs.load(Ordering::SeqCst), 4, "at 0h, 1h, 2h and 3h");
        assert_eq!(
            ok, 3,
            "the failed run is not counted, and the schedule went on"
        );
    }

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
