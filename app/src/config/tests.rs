//! Unit tests of the configuration sources and their precedence.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn chat_settings_default_to_the_seed_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
    assert_eq!(config.chat.rate_limit_per_minute(), 60);
    assert_eq!(config.chat.keep_days(), 30);
    std::fs::write(
        dir.path().join("dal.toml"),
        "[chat]\nrate_limit_per_minute = 10\nkeep_days = 7\n",
    )
    .expect("write");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
    assert_eq!(config.chat.rate_limit_per_minute(), 10);
    assert_eq!(config.chat.keep_days(), 7);
    let config = Config::from_sources(
        dir.path(),
        &env(&[("DAL_CHAT_RATE_LIMIT_PER_MINUTE", "120")]),
        None,
    )
    .expect("env");
    assert_eq!(config.chat.rate_limit_per_minute(), 120);
    assert_eq!(config.chat.keep_days(), 7);
    for (name, value) in [
        ("DAL_CHAT_RATE_LIMIT_PER_MINUTE", "0"),
        ("DAL_CHAT_KEEP_DAYS", "0"),
        ("DAL_CHAT_KEEP_DAYS", "soon"),
    ] {
        let err =
            Config::from_sources(dir.path(), &env(&[(name, value)]), None).expect_err("refused");
        assert!(format!("{err:#}").contains(name), "{err:#}");
    }
    std::fs::write(dir.path().join("dal.toml"), "[chat]\nkeep_days = 0\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
    assert!(format!("{err:#}").contains("[chat] keep_days"), "{err:#}");
}

#[test]
fn docsync_purge_days_default_to_seven_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
    assert_eq!(config.docsync.purge_days(), 7);
    std::fs::write(dir.path().join("dal.toml"), "[docsync]\npurge_days = 3\n").expect("write");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
    assert_eq!(config.docsync.purge_days(), 3);
    let config = Config::from_sources(dir.path(), &env(&[("DAL_DOCSYNC_PURGE_DAYS", "14")]), None)
        .expect("env");
    assert_eq!(config.docsync.purge_days(), 14);
    for value in ["0", "a week"] {
        let err =
            Config::from_sources(dir.path(), &env(&[("DAL_DOCSYNC_PURGE_DAYS", value)]), None)
                .expect_err("refused");
        assert!(
            format!("{err:#}").contains("DAL_DOCSYNC_PURGE_DAYS"),
            "{err:#}"
        );
    }
    std::fs::write(dir.path().join("dal.toml"), "[docsync]\npurge_days = 0\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
    assert!(
        format!("{err:#}").contains("[docsync] purge_days"),
        "{err:#}"
    );
    std::fs::write(dir.path().join("dal.toml"), "[docsync]\nkeep = 1\n").expect("write");
    assert!(Config::from_sources(dir.path(), &env(&[]), None).is_err());
}

#[test]
fn assistant_settings_default_to_the_design_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
    let a = &config.assistant;
    assert_eq!(
        (
            a.query_history_days(),
            a.system_logs_days(),
            a.session_days()
        ),
        (90, 30, 30)
    );
    assert_eq!(a.delete_chunk(), 1_000);
    assert!(!a.log_sink());
    assert_eq!(a.log_sink_settings().min_level, tracing::Level::WARN);
    std::fs::write(
        dir.path().join("dal.toml"),
        "[assistant]\nquery_history_days = 120\nlog_sink = true\nlog_sink_level = \"ERROR\"\n",
    )
    .expect("write");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
    assert_eq!(config.assistant.query_history_days(), 120);
    assert!(config.assistant.log_sink());
    assert_eq!(
        config.assistant.log_sink_settings().min_level,
        tracing::Level::ERROR
    );
    let config = Config::from_sources(
        dir.path(),
        &env(&[
            ("DAL_ASSISTANT_SESSION_DAYS", "7"),
            ("DAL_ASSISTANT_LOG_SINK", "false"),
            ("DAL_ASSISTANT_LOG_SINK_CAPACITY", "50"),
        ]),
        None,
    )
    .expect("env");
    assert_eq!(config.assistant.session_days(), 7);
    assert_eq!(config.assistant.query_history_days(), 120);
    assert!(!config.assistant.log_sink());
    assert_eq!(config.assistant.log_sink_settings().capacity, 50);
    for (name, value) in [
        ("DAL_ASSISTANT_QUERY_HISTORY_DAYS", "0"),
        ("DAL_ASSISTANT_DELETE_CHUNK", "10001"),
        ("DAL_ASSISTANT_LOG_SINK", "maybe"),
        ("DAL_ASSISTANT_LOG_SINK_LEVEL", "loud"),
    ] {
        let err =
            Config::from_sources(dir.path(), &env(&[(name, value)]), None).expect_err("refused");
        assert!(format!("{err:#}").contains(name), "{err:#}");
    }
    std::fs::write(
        dir.path().join("dal.toml"),
        "[assistant]\nsession_days = 0\n",
    )
    .expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file 0");
    assert!(
        format!("{err:#}").contains("[assistant] session_days"),
        "{err:#}"
    );
}

#[test]
fn nothing_set_means_sqlite_file_and_memory_cache() {
    let dir = Path::new("/srv/app");
    let config = Config::from_sources(dir, &env(&[]), None).expect("config");
    assert_eq!(config.database_url, "sqlite:///srv/app/data/dal.sqlite3");
    assert!(config.redis_url.is_none());
}

#[test]
fn environment_beats_file_and_memory_means_no_redis() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("dal.toml"),
        "database_url = \"postgres://file@db/x\"\nredis_url = \"redis://file:6379\"\n[database]\nmax_connections = 3\n",
    )
    .expect("write");
    let config = Config::from_sources(
        dir.path(),
        &env(&[
            ("DATABASE_URL", "postgres://env:pw@db/y"),
            ("REDIS_URL", "memory"),
        ]),
        None,
    )
    .expect("config");
    assert_eq!(config.database_url, "postgres://env:pw@db/y");
    assert!(config.redis_url.is_none());
    assert_eq!(config.db_config().max_connections, Some(3));
    assert_eq!(config.db_config().wal_autocheckpoint_pages, 10_000);
    let tuned = Config::from_sources(
        dir.path(),
        &env(&[("DAL_DB_WAL_AUTOCHECKPOINT_PAGES", "2000")]),
        None,
    )
    .expect("config");
    assert_eq!(tuned.db_config().wal_autocheckpoint_pages, 2_000);
    assert!(
        !format!("{config:?}").contains("pw@"),
        "Debug redacts the password"
    );
}

#[test]
fn the_seed_environment_builds_urls_only_when_none_is_given() {
    let seed = [
        ("POSTGRES_HOST", "db.internal"),
        ("POSTGRES_PORT", "5433"),
        ("POSTGRES_DB", "ai_company_db"),
        ("POSTGRES_USER", "postgres"),
        ("POSTGRES_PASSWORD", "pa:ss@word#1"),
        ("REDIS_HOST", "cache.internal"),
        ("REDIS_PORT", "6380"),
        ("REDIS_PASSWORD", "r3dis/pw"),
        ("REDIS_DB", "3"),
        ("REDIS_SSL", "true"),
    ];
    let dir = tempfile::tempdir().expect("dir");
    let built = Config::from_sources(dir.path(), &env(&seed), None).expect("config");
    assert_eq!(
        built.database_url,
        "postgres://postgres:pa%3Ass%40word%231@db.internal:5433/ai_company_db"
    );
    assert_eq!(
        built.redis_url.as_deref(),
        Some("rediss://:r3dis%2Fpw@cache.internal:6380/3")
    );
    assert!(built.cache_config().is_ok());
    let shown = format!("{built:?}");
    for secret in ["pa%3Ass", "pa:ss", "r3dis"] {
        assert!(!shown.contains(secret), "{shown}");
    }

    // Explicit URLs win: the variables…
    let mut explicit = seed.to_vec();
    explicit.extend([
        ("DATABASE_URL", "postgres://env@db/explicit"),
        ("REDIS_URL", "memory"),
    ]);
    let config = Config::from_sources(dir.path(), &env(&explicit), None).expect("config");
    assert_eq!(config.database_url, "postgres://env@db/explicit");
    assert_eq!(config.redis_url, None);

    // …and the config file's keys.
    std::fs::write(
        dir.path().join("dal.toml"),
        "database_url = \"postgres://file@db/x\"\nredis_url = \"redis://file:6379\"\n",
    )
    .expect("write");
    let config = Config::from_sources(dir.path(), &env(&seed), None).expect("config");
    assert_eq!(config.database_url, "postgres://file@db/x");
    assert_eq!(config.redis_url.as_deref(), Some("redis://file:6379"));
    std::fs::remove_file(dir.path().join("dal.toml")).expect("rm");

    // The seed's `.env` (with an empty REDIS_PASSWORD) works from the file too.
    std::fs::write(
        dir.path().join(".env"),
        "POSTGRES_HOST=localhost\nPOSTGRES_DB=ai_company_db\nPOSTGRES_USER=postgres\n\
         POSTGRES_PASSWORD=yourpassword\nREDIS_HOST=localhost\nREDIS_PORT=6379\n\
         REDIS_PASSWORD=\nREDIS_DB=0\nREDIS_SSL=false\n",
    )
    .expect("write");
    let config = Config::load_with_env(dir.path(), &env(&[]), None).expect("config");
    assert_eq!(
        config.database_url,
        "postgres://postgres:yourpassword@localhost:5432/ai_company_db"
    );
    assert_eq!(
        config.redis_url.as_deref(),
        Some("redis://localhost:6379/0")
    );

    // A bad part is named, and the password is nowhere in the message.
    let err = Config::from_sources(
        Path::new("/x"),
        &env(&[("POSTGRES_PORT", "five"), ("POSTGRES_PASSWORD", "s3cret")]),
        None,
    )
    .expect_err("refused");
    assert_eq!(named(&err).name, "POSTGRES_PORT");
    assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
    let err = Config::from_sources(
        Path::new("/x"),
        &env(&[
            ("REDIS_HOST", "h"),
            ("REDIS_SSL", "sometimes"),
            ("REDIS_PASSWORD", "s3cret"),
        ]),
        None,
    )
    .expect_err("refused");
    assert_eq!(named(&err).name, "REDIS_SSL");
    assert!(!format!("{err:#}").contains("s3cret"), "{err:#}");
}

/// The `ConfigError` inside `err`, which must be one.
fn named(err: &anyhow::Error) -> &ConfigError {
    err.downcast_ref::<ConfigError>()
        .unwrap_or_else(|| panic!("not a ConfigError: {err:#}"))
}

#[test]
fn cache_settings_defaults_file_dotenv_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let cache = |vars: &[(&str, &str)]| {
        Config::load_with_env(dir.path(), &env(vars), None)
            .expect("config")
            .cache_config()
            .expect("cache config")
    };

    // Defaults: the cache crate's.
    let defaults = cache(&[]);
    assert_eq!(defaults.pool_size, CacheConfig::DEFAULT_POOL_SIZE);
    assert_eq!(
        defaults.command_timeout,
        CacheConfig::DEFAULT_COMMAND_TIMEOUT
    );
    assert_eq!(
        defaults.connect_timeout,
        CacheConfig::DEFAULT_CONNECT_TIMEOUT
    );
    assert_eq!(
        defaults.memory_max_capacity,
        CacheConfig::DEFAULT_MEMORY_MAX_CAPACITY
    );

    // dal.toml beats the defaults.
    std::fs::write(
        dir.path().join("dal.toml"),
        "redis_url = \"rediss-cluster://file:7000\"\n[cache]\npool_size = 4\ncommand_timeout_ms = 1500\nconnect_timeout_ms = 2500\nmemory_max_capacity_mb = 16\n",
    )
    .expect("write");
    let file = cache(&[]);
    assert_eq!(
        file.target,
        CacheTarget::Redis("rediss-cluster://file:7000".into())
    );
    assert_eq!(file.pool_size, 4);
    assert_eq!(file.command_timeout, Duration::from_millis(1500));
    assert_eq!(file.connect_timeout, Duration::from_millis(2500));
    assert_eq!(file.memory_max_capacity, 16 * 1024 * 1024);

    // .env beats dal.toml, key by key.
    std::fs::write(
        dir.path().join(".env"),
        "DAL_CACHE_POOL_SIZE=5\nDAL_CACHE_COMMAND_TIMEOUT_MS=1600\nREDIS_URL=valkey://dotenv:6379\n",
    )
    .expect("write");
    let dotenv = cache(&[]);
    assert_eq!(
        dotenv.target,
        CacheTarget::Redis("valkey://dotenv:6379".into())
    );
    assert_eq!(dotenv.pool_size, 5);
    assert_eq!(dotenv.command_timeout, Duration::from_millis(1600));
    assert_eq!(dotenv.connect_timeout, Duration::from_millis(2500));

    // The environment beats .env.
    let environment = cache(&[
        ("DAL_CACHE_POOL_SIZE", "6"),
        ("DAL_CACHE_CONNECT_TIMEOUT_MS", "700"),
        ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "1"),
        ("REDIS_URL", "memory"),
    ]);
    assert_eq!(environment.target, CacheTarget::Memory);
    assert_eq!(environment.pool_size, 6);
    assert_eq!(environment.command_timeout, Duration::from_millis(1600));
    assert_eq!(environment.connect_timeout, Duration::from_millis(700));
    assert_eq!(environment.memory_max_capacity, 1024 * 1024);
}

#[test]
fn redis_url_takes_every_scheme_of_the_cache_crate() {
    for scheme in ::cache::REDIS_URL_SCHEMES {
        let url = format!("{scheme}://127.0.0.1:6379");
        let config = Config::from_sources(Path::new("/x"), &env(&[("REDIS_URL", &url)]), None)
            .expect("accepted");
        assert_eq!(config.redis_url.as_deref(), Some(url.as_str()));
        assert!(config.cache_config().is_ok());
    }
    for text in ["http://u:s3cret@h", "redis://u:pa#ss@h:6379"] {
        let err = Config::from_sources(Path::new("/x"), &env(&[("REDIS_URL", text)]), None)
            .expect_err("refused");
        assert_eq!(named(&err).name, "REDIS_URL");
        let shown = format!("{err:#}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("pa#ss"),
            "{shown}"
        );
    }
}

#[test]
fn bad_cache_values_are_named() {
    for (name, value) in [
        ("DAL_CACHE_POOL_SIZE", "0"),
        ("DAL_CACHE_POOL_SIZE", "1000"),
        ("DAL_CACHE_POOL_SIZE", "many"),
        ("DAL_CACHE_COMMAND_TIMEOUT_MS", "0"),
        ("DAL_CACHE_COMMAND_TIMEOUT_MS", "-5"),
        ("DAL_CACHE_CONNECT_TIMEOUT_MS", "0"),
        ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "0"),
        ("DAL_CACHE_MEMORY_MAX_CAPACITY_MB", "99999999999999999"),
    ] {
        let err = Config::from_sources(Path::new("/x"), &env(&[(name, value)]), None)
            .expect_err("refused");
        assert_eq!(named(&err).name, name, "{err:#}");
        // The cause is printed once.
        let shown = format!("{err:#}");
        assert_eq!(shown.matches(name).count(), 1, "{shown}");
    }

    let dir = tempfile::tempdir().expect("dir");
    let toml = dir.path().join("dal.toml");
    std::fs::write(&toml, "[cache]\npool_size = 0\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
    assert_eq!(
        named(&err).name,
        format!("[cache] pool_size in {}", toml.display())
    );
    // The environment is checked on its own: a good variable does not hide a bad file.
    let err = Config::from_sources(dir.path(), &env(&[("DAL_CACHE_POOL_SIZE", "3")]), None)
        .expect_err("refused");
    assert!(named(&err).name.starts_with("[cache] pool_size"));
    std::fs::write(&toml, "[cache]\npool_size = \"big\"\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
    assert!(format!("{err:#}").contains("pool_size"), "{err:#}");
    std::fs::write(&toml, "[cache]\npool_sise = 3\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
    assert!(format!("{err:#}").contains("pool_sise"), "{err:#}");
}

#[test]
fn vector_defaults_file_and_environment() {
    let config = Config::from_sources(Path::new("/x"), &env(&[]), None).expect("config");
    assert_eq!(config.vector, VectorConfig::default());
    assert_eq!(config.vector.dimension, 384);

    let dir = tempfile::tempdir().expect("dir");
    let toml = dir.path().join("dal.toml");
    std::fs::write(
        &toml,
        "[vector]\nurl = \"http://chroma.internal:8000\"\ntenant = \"t\"\ndimension = 768\n",
    )
    .expect("write");
    let file = Config::from_sources(dir.path(), &env(&[]), None).expect("config");
    assert_eq!(
        file.vector.backend,
        VectorBackend::Chroma {
            url: "http://chroma.internal:8000".into(),
            tenant: "t".into(),
            database: DEFAULT_CHROMA_DATABASE.into(),
        }
    );
    assert_eq!(file.vector.dimension, 768);

    let environment = Config::from_sources(
        dir.path(),
        &env(&[
            ("CHROMA_URL", "https://u:s3cret@chroma.example:443"),
            ("CHROMA_DATABASE", "db"),
            ("DAL_VECTOR_DIMENSION", "16"),
        ]),
        None,
    )
    .expect("config");
    assert!(matches!(
        &environment.vector.backend,
        VectorBackend::Chroma { tenant, database, .. } if tenant == "t" && database == "db"
    ));
    assert_eq!(environment.vector.dimension, 16);
    assert!(
        !format!("{environment:?}").contains("s3cret"),
        "Debug redacts"
    );

    let embedded = Config::from_sources(dir.path(), &env(&[("CHROMA_URL", "embedded")]), None)
        .expect("config");
    assert_eq!(embedded.vector.backend, VectorBackend::Embedded);

    for (name, value) in [
        ("CHROMA_URL", "redis://h:6379"),
        ("CHROMA_URL", "not a url"),
        ("DAL_VECTOR_DIMENSION", "0"),
        ("DAL_VECTOR_DIMENSION", "many"),
    ] {
        let err =
            Config::from_sources(dir.path(), &env(&[(name, value)]), None).expect_err("refused");
        assert_eq!(named(&err).name, name, "{err:#}");
    }
    std::fs::write(&toml, "[vector]\ndimension = 0\n").expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("refused");
    assert!(
        named(&err).name.starts_with("[vector] dimension"),
        "{err:#}"
    );
}

#[test]
fn bad_values_are_named() {
    let err = Config::from_sources(
        Path::new("/x"),
        &env(&[("DAL_DB_MAX_CONNECTIONS", "many")]),
        None,
    )
    .expect_err("invalid");
    assert!(format!("{err:#}").contains("DAL_DB_MAX_CONNECTIONS"));
    let err = Config::from_sources(
        Path::new("/x"),
        &env(&[("DATABASE_URL", "mysql://x")]),
        None,
    )
    .expect_err("invalid");
    assert!(format!("{err:#}").contains("DATABASE_URL"));
}

#[test]
fn maintain_intervals_default_to_hourly_and_the_environment_wins() {
    use crate::maintenance::System;
    let hour = Duration::from_secs(3600);
    let dir = tempfile::tempdir().expect("dir");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("defaults");
    for system in System::ALL {
        assert_eq!(config.maintain.interval_of(system), hour);
    }
    assert_eq!(config.maintain.lock_ttl(), Duration::from_secs(600));
    std::fs::write(
        dir.path().join("dal.toml"),
        "[maintain]\ninterval = \"2h\"\nchat_interval = \"15m\"\nlock_ttl = \"30s\"\n",
    )
    .expect("write");
    let config = Config::from_sources(dir.path(), &env(&[]), None).expect("file");
    assert_eq!(config.maintain.interval_of(System::Chat), hour / 4);
    assert_eq!(config.maintain.interval_of(System::Docsync), 2 * hour);
    assert_eq!(config.maintain.lock_ttl(), Duration::from_secs(30));
    let config = Config::from_sources(
        dir.path(),
        &env(&[
            ("DAL_MAINTAIN_DOCSYNC_INTERVAL", "1d"),
            ("DAL_MAINTAIN_CHAT_INTERVAL", "90"),
        ]),
        None,
    )
    .expect("env");
    assert_eq!(config.maintain.interval_of(System::Docsync), 24 * hour);
    assert_eq!(
        config.maintain.interval_of(System::Chat),
        Duration::from_secs(90)
    );
    assert_eq!(config.maintain.interval_of(System::Knowledge), 2 * hour);
    for (name, value) in [
        ("DAL_MAINTAIN_INTERVAL", "0s"),
        ("DAL_MAINTAIN_ASSISTANT_INTERVAL", "weekly"),
        ("DAL_MAINTAIN_LOCK_TTL", "1w"),
    ] {
        let err =
            Config::from_sources(dir.path(), &env(&[(name, value)]), None).expect_err("refused");
        let named = err.downcast_ref::<ConfigError>().expect("typed");
        assert_eq!(named.name, name);
    }
    std::fs::write(
        dir.path().join("dal.toml"),
        "[maintain]\nknowledge_interval = \"soon\"\n",
    )
    .expect("write");
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("file");
    assert!(
        format!("{err:#}").contains("[maintain] knowledge_interval"),
        "{err:#}"
    );
    std::fs::write(dir.path().join("dal.toml"), "[maintain]\nkeep_days = 1\n").expect("write");
    assert!(
        Config::from_sources(dir.path(), &env(&[]), None).is_err(),
        "windows live in their system's section"
    );
}

#[test]
fn replicas_come_from_the_file_or_the_environment_and_must_be_postgres() {
    let dir = tempfile::tempdir().expect("dir");
    let primary = ("DATABASE_URL", "postgres://dal:pw@127.0.0.1:5432/dal");
    let config = Config::from_sources(dir.path(), &env(&[primary]), None).expect("none");
    assert!(config.db_config().replicas.is_empty());
    assert_eq!(
        config.db_config().max_replica_lag,
        Duration::from_secs(5),
        "default lag"
    );
    std::fs::write(
        dir.path().join("dal.toml"),
        "[database]\nreplicas = [\"postgres://dal:s3cret@10.0.0.2/dal\"]\nmax_replica_lag_ms = 250\nreplica_check_interval_ms = 100\n",
    )
    .expect("write");
    let config = Config::from_sources(dir.path(), &env(&[primary]), None).expect("file");
    let db = config.db_config();
    assert_eq!(db.replicas, vec!["postgres://dal:s3cret@10.0.0.2/dal"]);
    assert_eq!(db.max_replica_lag, Duration::from_millis(250));
    assert_eq!(db.replica_check_interval, Duration::from_millis(100));
    assert!(!format!("{config:?}").contains("s3cret"), "{config:?}");
    let config = Config::from_sources(
        dir.path(),
        &env(&[
            primary,
            (
                "DATABASE_REPLICA_URLS",
                "postgres://a@10.0.0.3/dal, ,postgres://b@10.0.0.4/dal",
            ),
        ]),
        None,
    )
    .expect("env wins");
    assert_eq!(
        config.db_config().replicas,
        vec!["postgres://a@10.0.0.3/dal", "postgres://b@10.0.0.4/dal"]
    );
    let err = Config::from_sources(
        dir.path(),
        &env(&[primary, ("DATABASE_REPLICA_URLS", "sqlite://x.db")]),
        None,
    )
    .expect_err("not postgres");
    assert!(
        format!("{err:#}").contains("DATABASE_REPLICA_URLS"),
        "{err:#}"
    );
    let err = Config::from_sources(dir.path(), &env(&[]), None).expect_err("SQLite primary");
    assert!(
        format!("{err:#}").contains("PostgreSQL DATABASE_URL"),
        "{err:#}"
    );
}
