//! Per-op figures and their output: one JSON object per line (`--json`), or a table.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

/// One op's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct OpReport {
    /// Op name.
    pub op: String,
    /// Operations (rows for `insert_bulk`, deleted rows for `cleanup_expired`).
    pub n: u64,
    /// Wall time.
    pub secs: f64,
    /// `n / secs`.
    pub ops_per_sec: f64,
    /// Median per-operation latency in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_us: Option<f64>,
    /// 99th-percentile per-operation latency in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_us: Option<f64>,
    /// `cache_set`: bytes of one value as plain JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_bytes: Option<u64>,
    /// `cache_set`: bytes of the same value as stored (gzip JSON, the key pattern's codec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_bytes: Option<u64>,
}

impl OpReport {
    /// The figures of `n` operations in `elapsed`, with per-operation `latencies` (ns) when the
    /// op times each one.
    pub(crate) fn new(
        op: &str,
        n: u64,
        elapsed: Duration,
        mut latencies: Option<Vec<u64>>,
    ) -> Self {
        let secs = elapsed.as_secs_f64();
        let (p50_us, p99_us) = match latencies.as_mut() {
            Some(l) => {
                l.sort_unstable();
                (percentile_us(l, 50.0), percentile_us(l, 99.0))
            }
            None => (None, None),
        };
        Self {
            op: op.to_owned(),
            n,
            secs: (secs * 1e6).round() / 1e6,
            ops_per_sec: if secs > 0.0 {
                ((n as f64 / secs) * 10.0).round() / 10.0
            } else {
                0.0
            },
            p50_us: p50_us.map(|v| (v * 10.0).round() / 10.0),
            p99_us: p99_us.map(|v| (v * 10.0).round() / 10.0),
            payload_bytes: None,
            stored_bytes: None,
        }
    }
}

/// The `p`-th percentile (nearest rank) of `sorted_ns`, in microseconds.
fn percentile_us(sorted_ns: &[u64], p: f64) -> Option<f64> {
    if sorted_ns.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted_ns.len()) - 1;
    Some(sorted_ns[idx] as f64 / 1000.0)
}

/// Peak resident memory of this process in MB (`VmHWM`), where the OS reports it.
pub(crate) fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// One op's JSON line.
pub(crate) fn write_json_line(report: &OpReport, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(&mut *out, report)?;
    writeln!(out)?;
    Ok(())
}

/// The closing JSON line: the process's peak memory.
pub(crate) fn write_json_peak(peak: Option<f64>, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer(
        &mut *out,
        &serde_json::json!({"op": "peak_rss", "peak_rss_mb": peak}),
    )?;
    writeln!(out)?;
    Ok(())
}

/// Every op as a table row, then the cache payload sizes and the peak memory.
pub(crate) fn write_table(
    reports: &[OpReport],
    peak: Option<f64>,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(
        out,
        "{:<16} {:>9} {:>10} {:>12} {:>10} {:>10}",
        "op", "n", "secs", "ops/s", "p50 µs", "p99 µs"
    )?;
    for r in reports {
        let us = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        writeln!(
            out,
            "{:<16} {:>9} {:>10.3} {:>12.1} {:>10} {:>10}",
            r.op,
            r.n,
            r.secs,
            r.ops_per_sec,
            us(r.p50_us),
            us(r.p99_us)
        )?;
    }
    for r in reports {
        if let (Some(plain), Some(stored)) = (r.payload_bytes, r.stored_bytes) {
            writeln!(
                out,
                "{} value: {plain} bytes of JSON, {stored} bytes stored",
                r.op
            )?;
        }
    }
    if let Some(mb) = peak {
        writeln!(out, "peak RSS {mb:.1} MB")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let l: Vec<u64> = (1..=100).map(|v| v * 1000).collect();
        assert_eq!(percentile_us(&l, 50.0), Some(50.0));
        assert_eq!(percentile_us(&l, 99.0), Some(99.0));
        assert_eq!(percentile_us(&[], 99.0), None);
    }

    #[test]
    fn table_lists_every_op_and_the_payload() {
        let mut set = OpReport::new(
            "cache_set",
            10,
            Duration::from_millis(10),
            Some(vec![5; 10]),
        );
        set.payload_bytes = Some(4000);
        set.stored_bytes = Some(900);
        let reports = [
            OpReport::new("insert_bulk", 100, Duration::from_millis(50), None),
            set,
        ];
        let mut out = Vec::new();
        write_table(&reports, Some(12.5), &mut out).expect("table");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("insert_bulk"), "{text}");
        assert!(
            text.contains("cache_set value: 4000 bytes of JSON, 900 bytes stored"),
            "{text}"
        );
        assert!(text.ends_with("peak RSS 12.5 MB\n"), "{text}");
    }
}
