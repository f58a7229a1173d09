//! `dal`: set up, inspect and maintain the data & caching layer.

use clap::Parser;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = app::cli::Cli::parse();
    let dir = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(err) => {
            eprintln!("error: cannot read the working directory: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };

    let filter = tracing_subscriber::EnvFilter::try_from_env("DAL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,fred=error"));
    // The assistant system's logging sink, when `[assistant] log_sink` turns it on.
    let (sink, sink_handle) = match app::cli::log_sink_for(&cli, &dir).await {
        Ok(Some((layer, handle))) => (Some(layer), Some(handle)),
        Ok(None) => (None, None),
        Err(err) => {
            eprintln!("warning: the log sink is off: {err:#}");
            (None, None)
        }
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(sink)
        .init();

    let mut stdout = std::io::stdout().lock();
    let code = match app::cli::run(cli, &dir, None, &mut stdout).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    };
    if let Some(handle) = sink_handle {
        handle.flush(std::time::Duration::from_secs(5)).await;
    }
    code
}
