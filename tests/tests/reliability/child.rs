//! The killable child process of the reliability tests: this test binary run again with
//! `--exact reliability::child::run --ignored`, told what to do by `DAL_RELIABILITY_CHILD`.

use std::collections::HashMap;

use clap::Parser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "crash-test child: started (and killed) by the reliability tests, not a test by itself"]
async fn run() {
    let role = std::env::var(super::ROLE).unwrap_or_default();
    match role.as_str() {
        "writes" => super::crash_writes::child_main().await,
        "cli" => dal().await,
        "disk" => super::disk_full::child_main().await,
        // Run by hand: fail rather than pass without testing anything.
        other => panic!("crash-test child: unknown role {other:?}; the reliability tests run it"),
    }
}

/// Run `dal ARGS…` in `DAL_RELIABILITY_DIR` with `DATABASE_URL=DAL_RELIABILITY_URL` (the args
/// separated by newlines in `DAL_RELIABILITY_ARGS`), as `main` runs it; print `STARTED` first
/// and `EXIT ok` or `EXIT error: …` at the end.
async fn dal() {
    let dir = std::env::var("DAL_RELIABILITY_DIR").expect("dir");
    let args = std::env::var("DAL_RELIABILITY_ARGS").expect("args");
    let url = std::env::var("DAL_RELIABILITY_URL").expect("url");
    let env = HashMap::from([("DATABASE_URL".to_owned(), url)]);
    let cli =
        app::cli::Cli::try_parse_from(std::iter::once("dal").chain(args.lines())).expect("args");
    println!("STARTED");
    let mut out = Vec::new();
    let result = app::cli::run(cli, std::path::Path::new(&dir), Some(&env), &mut out).await;
    match result {
        Ok(()) => println!("EXIT ok"),
        Err(error) => println!("EXIT error: {error:#}"),
    }
}
