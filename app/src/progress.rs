//! Progress on stderr for the long commands (`dal copy`, `dal backup`): drawn only when stderr
//! is a terminal, so that logs, pipes and CI output stay clean.

use std::io::IsTerminal as _;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Whether progress should be drawn: stderr is a terminal.
#[must_use]
pub fn wanted() -> bool {
    std::io::stderr().is_terminal()
}

/// `dal copy`'s progress: a bar of tables done and, under it, a bar of the current table's rows
/// (removed when the table is done, so the display stays two lines high); hidden unless asked.
#[derive(Debug)]
pub struct TableBars(Option<(MultiProgress, ProgressBar)>);

impl TableBars {
    /// Bars for `tables` tables, drawn when `show` is set (see [`wanted`]), else hidden.
    #[must_use]
    pub fn new(tables: u64, show: bool) -> Self {
        Self(show.then(|| {
            let multi = MultiProgress::new();
            let overall = multi.add(ProgressBar::new(tables));
            overall.set_style(
                ProgressStyle::with_template(
                    "{prefix:>28} [{bar:30}] {pos}/{len} tables {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            overall.set_prefix("copy");
            (multi, overall)
        }))
    }

    /// A bar for `total` rows of `table`; [`TableBars::done`] it when the table is copied.
    #[must_use]
    pub fn table(&self, table: &str, total: u64) -> ProgressBar {
        let Some((multi, _)) = &self.0 else {
            return ProgressBar::hidden();
        };
        let bar = multi.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>28} [{bar:30}] {pos}/{len} rows {per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(table.to_owned());
        bar
    }

    /// One table is done: its bar goes, the tables bar moves on.
    pub fn done(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        if let Some((multi, overall)) = &self.0 {
            multi.remove(bar);
            overall.inc(1);
        }
    }

    /// Remove the bars from the terminal.
    pub fn finish(&self) {
        if let Some((multi, overall)) = &self.0 {
            overall.finish_and_clear();
            multi.clear().ok();
        }
    }
}

/// A spinner naming the step under way out of a known number (`dal backup`); hidden unless
/// stderr is a terminal. Cleared when dropped.
#[derive(Debug)]
pub struct Steps {
    bar: ProgressBar,
    done: u64,
}

impl Steps {
    /// A spinner for `total` steps, drawn when `show` is set.
    #[must_use]
    pub fn new(total: u64, show: bool) -> Self {
        let bar = if show {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Self { bar, done: 0 }
    }

    /// Start the next step, named `what`.
    pub fn step(&mut self, what: &str) {
        self.bar.set_position(self.done);
        self.done += 1;
        self.bar.set_message(what.to_owned());
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
