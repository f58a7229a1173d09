//! The `dal` command line.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use repository::vector::CollectionName;

use crate::config::{Config, ConfigError, redis_url_of};
use crate::migrate::{self, Action};
use crate::{App, backup, maintenance, status, vector};
use repository::knowledge::MappingStore;

/// Set up, inspect and maintain the data & caching layer.
#[derive(Debug, Parser)]
#[command(name = "dal", version, about)]
pub struct Cli {
    /// TOML config file (default: `$DAL_CONFIG`, else `./dal.toml` when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL; overrides `DATABASE_URL` (default `sqlite://./data/dal.sqlite3`).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Redis URL, or `memory`; overrides `REDIS_URL` (default: the in-process cache).
    #[arg(long, global = true, value_name = "URL")]
    pub redis_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if missing, migrate it to the latest version, load the reference
    /// data, create the seeds' vector collections and print the status.
    Init {
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply, roll back or inspect migrations.
    Migrate {
        /// What to do with the migrations.
        #[command(subcommand)]
        action: MigrateCommand,
    },
    /// Write a backup set of the database (a consistent copy taken while writers go on, and a
    /// manifest with SHA-256 of every file and the row counts), or check one.
    Backup {
        /// `verify SET`: check a set instead of writing one.
        #[command(subcommand)]
        action: Option<BackupCommand>,
        /// The directory the set goes into (a new subdirectory per set).
        #[arg(long, value_name = "DIR", default_value = "backups")]
        to: PathBuf,
        /// Afterwards, delete all but the newest N sets in that directory.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore a verified backup set into an empty database of its backend (the configured one,
    /// or `--to`); `--force` replaces a database that has data, after backing it up.
    Restore {
        /// The set's directory.
        set: PathBuf,
        /// The database to restore into (default: the configured one).
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// Replace a database that has tables (it is backed up into ./backups first).
        #[arg(long)]
        force: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy every table of every system from one database into another, across backends
    /// (SQLite → PostgreSQL, PostgreSQL → SQLite): all or nothing, into an empty target (one
    /// without tables is migrated to the source's version first), then row counts and a
    /// checksum per table compared.
    Copy {
        /// The database to copy (default: the configured one).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The database to copy into: empty, or without tables.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Rows per INSERT (wide tables take fewer, to stay under the bind limit).
        #[arg(long, value_name = "ROWS", default_value_t = crate::copy::DEFAULT_BATCH_ROWS)]
        batch_rows: usize,
        /// Print JSON: per table rows, checksum and seconds.
        #[arg(long)]
        json: bool,
    },
    /// Backend, migration version, pool, cache, and every table with its row count.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run every system's retention job once: expired search-cache rows, chat conversations
    /// older than `chat.keep_days`, expired rate-limit rows, orphaned chunks, docsync
    /// recommendations and decisions older than `docsync.purge_days`, the assistant's schema
    /// cache, sessions, logs and query history. Each job runs under its lock `maintain:{job}`;
    /// one that fails does not stop the others, and the exit code is non-zero afterwards.
    Cleanup {
        /// Only these systems' jobs (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "SYSTEM")]
        only: Vec<maintenance::System>,
        /// Run the jobs a safety check refuses: delete the chunks linked to the vector
        /// collection even when it lists no ids at all.
        #[arg(long)]
        force: bool,
        /// Keep running, every job every INTERVAL (`30s`, `15m`, `1h`, `1d`), until Ctrl-C or
        /// SIGTERM: the same as `dal maintain --every INTERVAL`.
        #[arg(long, value_name = "INTERVAL", value_parser = crate::maintenance::parse_interval)]
        every: Option<std::time::Duration>,
        /// Rows deleted per statement (each its own short transaction).
        #[arg(long, value_name = "ROWS")]
        chunk_size: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every system's retention job at its `[maintain]` interval (default hourly) until
    /// Ctrl-C or SIGTERM, each under the distributed lock `maintain:{job}` so that two
    /// schedulers never run the same job at once; a failed job is retried at its next interval.
    Maintain {
        /// Only these systems' jobs (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "SYSTEM")]
        only: Vec<maintenance::System>,
        /// Run every job every INTERVAL (`30s`, `15m`, `1h`, `1d`), whatever `[maintain]` says.
        #[arg(long, value_name = "INTERVAL", value_parser = crate::maintenance::parse_interval)]
        every: Option<std::time::Duration>,
        /// Run every job once and exit (non-zero when any failed, after running all of them).
        #[arg(long, conflicts_with = "every")]
        once: bool,
        /// Rows deleted per statement (each its own short transaction).
        #[arg(long, value_name = "ROWS")]
        chunk_size: Option<u64>,
        /// One JSON object per run of a job, per line.
        #[arg(long)]
        json: bool,
    },
    /// Run the benchmark workload of BENCHMARK.md through the layer's public API, on a fresh
    /// SQLite file in a temporary directory unless `--database-url` names a database (PostgreSQL
    /// is rebuilt by migrations first). `DATABASE_URL` is deliberately not read. With only cache
    /// ops (`--ops cache_set,cache_get,rate_limit`) no database is used at all.
    Bench {
        /// `redis://…`, `memory` or `none` (default: local Redis when reachable, else memory).
        #[arg(long, value_name = "URL")]
        cache_url: Option<String>,
        /// Connections in the Redis pool (default: the cache's own default).
        #[arg(long, value_name = "N")]
        cache_pool_size: Option<usize>,
        /// Rows of content_metadata.
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// Only these ops (comma-separated; insert_bulk runs whenever a database op does).
        #[arg(long, value_delimiter = ',')]
        ops: Option<Vec<String>>,
        /// Multiply every op count.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Where the vector ops run: `embedded` (the benchmark's database) or a Chroma URL.
        #[arg(long, value_name = "URL", default_value = "embedded")]
        vector_url: String,
        /// A streaming replica of `--database-url` (PostgreSQL): instead of the workload,
        /// time the listings on the primary alone, then routed to the replica, and report the
        /// ratio of their throughputs.
        #[arg(long, value_name = "URL")]
        replica_url: Option<String>,
        /// One JSON object per op on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List vector collections, or show one.
    Vector {
        /// What to show.
        #[command(subcommand)]
        action: VectorCommand,
    },
    /// The docsync system (seed 002): change detection over a tree.
    Docsync {
        /// What to do.
        #[command(subcommand)]
        action: DocsyncCommand,
    },
    /// Load the reference and development data (idempotent): the knowledge system's
    /// technology mappings, the platform's development users, agents, projects and tasks.
    Seed {
        /// Only these systems' data (comma-separated; default: all).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "SYSTEM")]
        only: Vec<SeedSystem>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The platform's audit trail.
    Audit {
        /// What to do with it.
        #[command(subcommand)]
        action: AuditCommand,
    },
}

/// The systems `dal seed` loads data for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedSystem {
    /// The reference technology mappings.
    Knowledge,
    /// The development users, agents, projects and tasks.
    Platform,
}

/// `dal audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the audit rows created before DATE as JSON lines with a SHA-256 manifest.
    /// Nothing is deleted.
    Export {
        /// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        before: String,
        /// The directory to write into (default `./audit-export`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `dal docsync …`.
#[derive(Debug, Subcommand)]
pub enum DocsyncCommand {
    /// Walk DIR (skipping what `.gitignore` excludes), record every file's time, size and MD5
    /// (reading only files that are new or whose time or size moved), and report new, changed,
    /// unchanged and deleted files.
    Scan {
        /// The tree to scan.
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `dal vector …`.
#[derive(Debug, Subcommand)]
pub enum VectorCommand {
    /// Every collection with its dimension, distance and record count.
    Ls {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One collection: dimension, distance, record count and metadata.
    Info {
        /// The collection's name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `dal backup` subcommands.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Recompute every file's SHA-256 and check the database copy; exits non-zero when the set
    /// is damaged.
    Verify {
        /// The set's directory.
        set: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `dal migrate …`.
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations.
    Up {
        /// Apply only this many.
        #[arg(short = 'n', long)]
        steps: Option<u32>,
    },
    /// Roll back applied migrations (one by default).
    Down {
        /// Roll back this many.
        #[arg(short = 'n', long)]
        steps: Option<u32>,
    },
    /// List every migration and whether it is applied.
    Status,
    /// Drop every table, then apply every migration.
    Fresh,
    /// Roll back every migration, then apply them all again.
    Refresh,
    /// Roll back every migration.
    Reset,
}

/// Run `cli` in the working directory `dir` with environment `env` (`None`: the process's),
/// writing the report to `out`. `.env` in `dir` is read either way.
///
/// # Errors
/// Whatever the command failed on, with context.
pub async fn run(
    cli: Cli,
    dir: &Path,
    env: Option<&HashMap<String, String>>,
    out: &mut dyn Write,
) -> Result<()> {
    if let Command::Bench {
        cache_url,
        cache_pool_size,
        rows,
        ops,
        scale,
        vector_url,
        replica_url,
        json,
    } = cli.command
    {
        let vector = match crate::config::chroma_url_of(&vector_url, "--vector-url")? {
            None => crate::config::VectorBackend::Embedded,
            Some(url) => crate::config::VectorBackend::Chroma {
                url,
                tenant: crate::config::DEFAULT_CHROMA_TENANT.to_owned(),
                database: crate::config::DEFAULT_CHROMA_DATABASE.to_owned(),
            },
        };
        let options = crate::bench::BenchOptions {
            database_url: cli.database_url,
            cache_url,
            cache_pool_size,
            rows,
            ops,
            scale,
            json,
            vector,
            replica_url,
        };
        crate::bench::run(options, out).await?;
        return Ok(());
    }
    let config = resolve_config(&cli, dir, env)?;
    let dir_root = dir;

    match cli.command {
        Command::Init { json } => {
            crate::create_database_if_missing(&config).await?;
            let app = App::connect(config).await?;
            migrate::run(&app.conn, Action::Up(None)).await?;
            let seeded = maintenance::seed(&MappingStore::new(app.conn.clone())).await?;
            tracing::info!(
                seed.inserted = seeded.inserted,
                seed.updated = seeded.updated,
                "reference data loaded"
            );
            let collections =
                vector::ensure_seed_collections(app.vector.as_ref(), app.config.vector.dimension)
                    .await?;
            tracing::info!(
                vector.collections = collections.len(),
                "vector collections ready"
            );
            report(&app, json, out).await?;
            app.close().await
        }
        Command::Seed { only, json } => {
            let app = App::connect(config).await?;
            let runs = |system| only.is_empty() || only.contains(&system);
            let mut report = serde_json::Map::new();
            if runs(SeedSystem::Knowledge) {
                let seeded = maintenance::seed(&MappingStore::new(app.conn.clone())).await?;
                if !json {
                    writeln!(
                        out,
                        "technology_mappings: {} inserted, {} updated, {} unchanged",
                        seeded.inserted, seeded.updated, seeded.unchanged
                    )?;
                }
                report.insert("knowledge".into(), serde_json::to_value(seeded)?);
            }
            if runs(SeedSystem::Platform) {
                let seeded = repository::platform::load_dev_data(&app.conn)
                    .await
                    .context("loading the platform development data")?;
                if !json {
                    writeln!(
                        out,
                        "platform: {} inserted, {} unchanged",
                        seeded.inserted, seeded.unchanged
                    )?;
                }
                report.insert("platform".into(), serde_json::to_value(seeded)?);
            }
            if json {
                writeln!(out, "{}", serde_json::Value::Object(report))?;
            }
            app.close().await
        }
        Command::Audit {
            action:
                AuditCommand::Export {
                    before,
                    out: dir,
                    json,
                },
        } => {
            let before = crate::audit::parse_before(&before)?;
            let dir = dir.map_or_else(|| dir_of(dir_root, "audit-export"), |d| dir_of(dir_root, d));
            let app = App::connect(config).await?;
            let manifest = crate::audit::export_before(&app.conn, before, &dir).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&manifest)?)?;
            } else {
                writeln!(
                    out,
                    "audit_logs: {} rows before {} exported to {} (manifest {})",
                    manifest.rows,
                    manifest.before.to_rfc3339(),
                    dir.display(),
                    manifest.manifest
                )?;
            }
            app.close().await
        }
        Command::Cleanup {
            only,
            force,
            every,
            chunk_size,
            json,
        } => {
            let app = App::connect(config).await?;
            let scheduler = scheduler(&app, &only, force, chunk_size)?;
            let result = match every {
                Some(every) => {
                    maintain_loop(&scheduler.every(every), json, out).await;
                    Ok(())
                }
                None => {
                    let runs = scheduler
                        .run_once(maintenance::shutdown_signal(), |_| {})
                        .await;
                    let summary = maintenance::CleanupSummary::from_runs(&runs);
                    if json {
                        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
                    } else {
                        writeln!(out, "{}", summary.render())?;
                    }
                    maintenance::check_runs(&runs)
                }
            };
            app.close().await?;
            result
        }
        Command::Maintain {
            only,
            every,
            once,
            chunk_size,
            json,
        } => {
            let app = App::connect(config).await?;
            let mut scheduler = scheduler(&app, &only, false, chunk_size)?;
            if let Some(every) = every {
                scheduler = scheduler.every(every);
            }
            let result = if once {
                let runs = scheduler
                    .run_once(maintenance::shutdown_signal(), |run| {
                        print_run(run, json, out);
                    })
                    .await;
                maintenance::check_runs(&runs)
            } else {
                maintain_loop(&scheduler, json, out).await;
                Ok(())
            };
            app.close().await?;
            result
        }
        Command::Migrate { action } => {
            let app = App::connect(config).await?;
            let action = match action {
                MigrateCommand::Up { steps } => Action::Up(steps),
                MigrateCommand::Down { steps } => Action::Down(steps),
                MigrateCommand::Fresh => Action::Fresh,
                MigrateCommand::Refresh => Action::Refresh,
                MigrateCommand::Reset => Action::Reset,
                MigrateCommand::Status => {
                    for m in migrate::states(&app.conn).await? {
                        writeln!(
                            out,
                            "{}  {}",
                            if m.applied { "applied" } else { "pending" },
                            m.name
                        )?;
                    }
                    return app.close().await;
                }
            };
            if app.config.migrate.backup_first()
                && !backup::table_names(&app.conn).await?.is_empty()
            {
                let redis = !matches!(app.cache.backend_kind(), cache::BackendKind::Memory);
                let (set, _) = backup::create(
                    &app.conn,
                    &app.config.db_config(),
                    redis.then_some(&app.cache),
                    &dir.join("backups"),
                )
                .await
                .context("backing up before migrating (migrate.backup_first)")?;
                writeln!(out, "backup  {}", set.display())?;
            }
            migrate::run(&app.conn, action).await?;
            for m in migrate::states(&app.conn).await? {
                writeln!(
                    out,
                    "{}  {}",
                    if m.applied { "applied" } else { "pending" },
                    m.name
                )?;
            }
            app.close().await
        }
        Command::Backup {
            action,
            to,
            keep,
            json,
        } => backup_command(config, dir, action, &to, keep, json, out).await,
        Command::Restore {
            set,
            to,
            force,
            json,
        } => {
            let mut target = config.db_config();
            if let Some(url) = to {
                target.url = url;
            }
            // The configured cache gets the set's keys when it is Redis.
            let cache = cache::CacheManager::connect(config.cache_config()?)
                .await
                .context("starting the cache")?;
            let redis = !matches!(cache.backend_kind(), cache::BackendKind::Memory);
            let restored = backup::restore(
                &dir.join(set),
                &target,
                redis.then_some(&cache),
                force,
                &dir.join("backups"),
            )
            .await;
            if let Err(err) = cache.disconnect().await {
                tracing::warn!(error = %err, "closing the cache failed");
            }
            let restored = restored?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&restored)?)?;
            } else {
                writeln!(
                    out,
                    "restored {} into {}: {} tables, {} rows{}",
                    restored.set.display(),
                    target.redacted_url(),
                    restored.tables,
                    restored.rows,
                    restored
                        .previous
                        .as_ref()
                        .map(|p| format!(" (the previous database is in {})", p.display()))
                        .unwrap_or_default()
                )?;
            }
            Ok(())
        }
        Command::Copy {
            from,
            to,
            batch_rows,
            json,
        } => {
            if let Some(url) = &from {
                repository::config::backend_of(url).map_err(|e| ConfigError::new("--from", e))?;
            }
            repository::config::backend_of(&to).map_err(|e| ConfigError::new("--to", e))?;
            let options = crate::copy::CopyOptions {
                from: from.unwrap_or_else(|| config.database_url.clone()),
                to,
                batch_rows,
                progress: crate::progress::wanted(),
            };
            let report = crate::copy::copy(&options).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                write!(out, "{}", report.render())?;
            }
            Ok(())
        }
        Command::Status { json } => {
            let app = App::connect(config).await?;
            let status = report(&app, json, out).await?;
            app.close().await?;
            let down = status.unreachable();
            if down.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("unreachable: {}", down.join(", "))
            }
        }
        Command::Vector { action } => {
            let app = App::connect(config).await?;
            vector_command(&app, action, out).await?;
            app.close().await
        }
        Command::Docsync {
            action: DocsyncCommand::Scan { dir, json },
        } => {
            let app = App::connect(config).await?;
            let files = repository::docsync::FileMetadataStore::new(app.conn.clone());
            let report =
                crate::docsync::scan(&files, &dir, crate::docsync::progress_wanted()).await?;
            crate::docsync::print(&report, json, out)?;
            app.close().await
        }
        Command::Bench { .. } => unreachable!("handled before configuration is loaded"),
    }
}

/// The scheduler of the jobs of `only` (every system when empty) over `app`, with the
/// `[maintain]` intervals and lock time to live, its locks in `app`'s cache.
fn scheduler(
    app: &App,
    only: &[maintenance::System],
    force: bool,
    chunk_size: Option<u64>,
) -> Result<maintenance::Scheduler> {
    let jobs = maintenance::CleanupJobs::from_app(app, only, force)?;
    let list = maintenance::registry(jobs, &app.config.maintain, chunk_size);
    Ok(maintenance::Scheduler::new(
        list,
        app.cache.locks(),
        app.config.maintain.lock_ttl(),
    ))
}

/// Run `scheduler` on its intervals until Ctrl-C or SIGTERM, printing each run.
async fn maintain_loop(scheduler: &maintenance::Scheduler, json: bool, out: &mut dyn Write) {
    for job in scheduler.jobs() {
        tracing::info!(
            maintain.job = job.name(),
            maintain.interval_secs = job.interval().as_secs(),
            "maintenance job scheduled"
        );
    }
    scheduler
        .run(maintenance::shutdown_signal(), |run| {
            print_run(run, json, out)
        })
        .await;
}

/// One run's report: a JSON object on one line, or its lines for people. A closed stdout must
/// not stop the scheduler, so a failed write is only logged.
fn print_run(run: &maintenance::RunReport, json: bool, out: &mut dyn Write) {
    let text = if json {
        serde_json::to_string(run).unwrap_or_default()
    } else {
        run.render()
    };
    if let Err(err) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        tracing::warn!(error = %err, "writing a maintenance report failed");
    }
}

/// `path` under the working directory `root` unless it is absolute.
fn dir_of(root: &Path, path: impl AsRef<Path>) -> PathBuf {
    root.join(path)
}

/// The configuration `cli` runs with: [`Config`]'s sources, then the flags, which win.
/// The logging sink of the assistant system when the configuration turns it on
/// (`[assistant] log_sink = true`): its layer, to install in the process's subscriber, and its
/// handle. `None` when it is off.
///
/// # Errors
/// An unusable configuration, or a database that cannot be reached.
pub async fn log_sink_for(
    cli: &Cli,
    dir: &Path,
) -> Result<
    Option<(
        crate::log_sink::LogSinkLayer,
        crate::log_sink::LogSinkHandle,
    )>,
> {
    let config = resolve_config(cli, dir, None)?;
    if !config.assistant.log_sink() {
        return Ok(None);
    }
    let db = repository::DatabaseManager::connect_with(config.db_config())
        .await
        .context("connecting the log sink to the database")?;
    let conn = db.connection().await?;
    let repo = std::sync::Arc::new(repository::assistant::SystemLogStore::new(conn));
    Ok(Some(crate::log_sink::spawn(
        repo,
        config.assistant.log_sink_settings(),
    )))
}

fn resolve_config(cli: &Cli, dir: &Path, env: Option<&HashMap<String, String>>) -> Result<Config> {
    let mut config = match env {
        Some(env) => Config::load_with_env(dir, env, cli.config.as_deref())?,
        None => Config::load(dir, cli.config.as_deref())?,
    };
    if let Some(url) = &cli.database_url {
        repository::config::backend_of(url).map_err(|e| ConfigError::new("--database-url", e))?;
        config.database_url.clone_from(url);
    }
    if let Some(url) = &cli.redis_url {
        config.redis_url = redis_url_of(url, "--redis-url")?;
    }
    Ok(config)
}

/// `dal vector ls|info`.
async fn vector_command(app: &App, action: VectorCommand, out: &mut dyn Write) -> Result<()> {
    match action {
        VectorCommand::Ls { json } => {
            let collections = app
                .vector
                .list_collections()
                .await
                .context("listing vector collections")?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &collections)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", vector::render_list(&collections))?;
            }
        }
        VectorCommand::Info { name, json } => {
            let name = CollectionName::parse(&name)?;
            let collection = app
                .vector
                .get_collection(&name)
                .await
                .with_context(|| format!("reading vector collection {name}"))?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &collection)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", vector::render_info(&collection))?;
            }
        }
    }
    Ok(())
}

async fn backup_command(
    config: Config,
    dir: &Path,
    action: Option<BackupCommand>,
    to: &Path,
    keep: Option<usize>,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    if let Some(BackupCommand::Verify { set, json }) = action {
        let report = backup::verify(&dir.join(set)).await?;
        if json {
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
        } else if report.is_ok() {
            writeln!(
                out,
                "{}: {} files ok",
                report.set.display(),
                report.files_ok
            )?;
        } else {
            for problem in &report.problems {
                writeln!(out, "{problem}")?;
            }
        }
        if !report.is_ok() {
            anyhow::bail!("backup set {} is damaged", report.set.display());
        }
        return Ok(());
    }
    let app = App::connect(config).await?;
    let target = dir.join(to);
    let redis = !matches!(app.cache.backend_kind(), cache::BackendKind::Memory);
    let written = backup::create(
        &app.conn,
        &app.config.db_config(),
        redis.then_some(&app.cache),
        &target,
    )
    .await;
    app.close().await?;
    let (set, manifest) = written?;
    let pruned = match keep {
        Some(keep) => backup::prune(&target, keep)?,
        None => Vec::new(),
    };
    if json {
        let line = serde_json::json!({
            "set": set,
            "manifest": manifest,
            "pruned": pruned,
        });
        writeln!(out, "{line}")?;
    } else {
        let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
        let rows: i64 = manifest.tables.values().sum();
        writeln!(
            out,
            "{}: {} files, {} bytes, {} tables, {} rows",
            set.display(),
            manifest.files.len(),
            bytes,
            manifest.tables.len(),
            rows
        )?;
        for old in &pruned {
            writeln!(out, "pruned {}", old.display())?;
        }
    }
    Ok(())
}

async fn report(app: &App, json: bool, out: &mut dyn Write) -> Result<status::Status> {
    let status = status::gather(
        &app.router,
        &app.config.db_config(),
        &app.cache,
        app.vector.as_ref(),
    )
    .await?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &status)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", status.render())?;
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("dal").chain(args.iter().copied())).expect("args")
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn flags_beat_the_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let vars = env(&[
            ("REDIS_URL", "redis://env:6379"),
            ("DATABASE_URL", "postgres://env@db/x"),
        ]);
        let config = resolve_config(
            &parse(&[
                "--redis-url",
                "valkey://flag:6379",
                "--database-url",
                "postgres://flag@db/y",
                "status",
            ]),
            dir.path(),
            Some(&vars),
        )
        .expect("config");
        assert_eq!(config.redis_url.as_deref(), Some("valkey://flag:6379"));
        assert_eq!(config.database_url, "postgres://flag@db/y");

        let config = resolve_config(
            &parse(&["--redis-url", "memory", "status"]),
            dir.path(),
            Some(&vars),
        )
        .expect("config");
        assert_eq!(config.redis_url, None);
    }

    #[test]
    fn bad_flags_are_named_and_redacted() {
        let dir = tempfile::tempdir().expect("dir");
        let err = resolve_config(
            &parse(&["--redis-url", "http://u:s3cret@h", "status"]),
            dir.path(),
            Some(&env(&[])),
        )
        .expect_err("refused");
        let named = err.downcast_ref::<ConfigError>().expect("typed");
        assert_eq!(named.name, "--redis-url");
        assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");

        let err = resolve_config(
            &parse(&["--database-url", "mysql://u:s3cret@h/db", "status"]),
            dir.path(),
            Some(&env(&[])),
        )
        .expect_err("refused");
        assert_eq!(
            err.downcast_ref::<ConfigError>().map(|e| e.name.as_str()),
            Some("--database-url")
        );
    }
}
