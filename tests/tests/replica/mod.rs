//! Read replicas on a real streaming replica: a private primary and its replica
//! (`initdb`, `pg_basebackup -R -X stream`, `pg_ctl`) on free loopback ports, never the machine's
//! own server. The routing tests share one pair (a fresh database each); the failover tests
//! start their own, since they stop the replica or pause its replay.
//!
//! Where a read ran is read from the servers' own counters: `pg_stat_user_tables` of each
//! server counts the scans its own sessions made.
//!
//! Ignored (with the reason) when the server binaries are missing and `CI` is not set; in CI
//! they run, and fail loudly without the binaries.

mod failover;
mod routing;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use repository::knowledge::{ContentStore, NewContent};
use repository::{ContentHash, DatabaseManager, DbConfig, DbRouter};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use tests::pg_server::PgServer;

/// A primary and its streaming replica, both started.
pub struct Cluster {
    /// The primary: writes, transactions, and reads no replica can serve.
    pub primary: PgServer,
    /// The streaming replica (hot standby).
    pub replica: PgServer,
}

/// `postgresql.conf` lines of both servers.
fn settings() -> Vec<String> {
    [
        "max_connections = 100",
        "wal_level = replica",
        "max_wal_senders = 10",
        "hot_standby = on",
        "hot_standby_feedback = on",
        "wal_receiver_status_interval = 1s",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

impl Cluster {
    /// Start a primary and a replica of it.
    ///
    /// # Panics
    /// When the server binaries are missing (these tests are then ignored outside CI) or a
    /// server does not start.
    pub fn start() -> Self {
        let started = Instant::now();
        let primary = PgServer::init().expect(
            "the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are needed by the \
             replica tests",
        );
        primary.start("127.0.0.1", &settings());
        let replica = PgServer::replica_of(&primary).expect("the server binaries");
        replica.start("127.0.0.1", &settings());
        eprintln!(
            "primary on port {} and streaming replica on port {} started in {} ms",
            primary.port,
            replica.port,
            started.elapsed().as_millis()
        );
        Self { primary, replica }
    }
}

/// The pair the routing tests share. A static is never dropped, so a watcher process stops
/// both servers (SIGQUIT to each postmaster: immediate shutdown) and deletes their directories
/// once this test process is gone.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = Cluster::start();
        let mut script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 0.5; done;",
            std::process::id()
        );
        for server in [&cluster.primary, &cluster.replica] {
            script.push_str(&format!(
                " kill -QUIT $(head -n 1 '{}/postmaster.pid') 2>/dev/null;",
                server.data_dir().display()
            ));
        }
        script.push_str(" sleep 2;");
        for server in [&cluster.primary, &cluster.replica] {
            script.push_str(&format!(" rm -rf '{}';", server.dir().display()));
        }
        // The outer shell puts the watcher in the background and returns at once.
        let detached = std::process::Command::new("sh")
            .args(["-c", &format!("( {script} ) >/dev/null 2>&1 &")])
            .stdin(std::process::Stdio::null())
            .status()
            .expect("start the watcher that stops the shared servers");
        assert!(detached.success(), "the watcher did not start");
        cluster
    })
}

/// A fresh migrated database on a cluster, with a manager routing to its replica.
pub struct ReplicaDb {
    /// The manager: primary plus one replica.
    pub manager: DatabaseManager,
    /// The router of `manager`.
    pub router: DbRouter,
    /// A direct connection to the database on the primary (counters, checks).
    pub on_primary: DatabaseConnection,
    /// A direct connection to the database on the replica (counters, checks).
    pub on_replica: DatabaseConnection,
}

impl ReplicaDb {
    /// Create a database on `cluster`'s primary, migrate it, wait until the replica has
    /// replayed it, and connect a manager with the replica, checked every 100 ms; `tune`
    /// adjusts the configuration first.
    pub async fn create(cluster: &Cluster, tune: impl FnOnce(&mut DbConfig)) -> Self {
        tests::init_tracing();
        let name = tests::unique_name();
        let admin = Database::connect(cluster.primary.url("postgres"))
            .await
            .expect("connect to the private primary");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the test database");
        admin.close().await.ok();

        let mut config = DbConfig::new(cluster.primary.url(&name));
        config.replicas = vec![cluster.replica.url(&name)];
        config.replica_check_interval = Duration::from_millis(100);
        config.acquire_timeout = Duration::from_secs(3);
        config.connect_timeout = Duration::from_secs(3);
        tune(&mut config);
        let on_primary = Database::connect(cluster.primary.url(&name))
            .await
            .expect("connect to the database on the primary");
        Migrator::up(&on_primary, None).await.expect("migrate");
        let on_replica = wait_for_database(&cluster.replica.url(&name)).await;
        let manager = DatabaseManager::connect_with(config)
            .await
            .expect("connect the manager");
        let router = manager.router().await.expect("router");
        let db = Self {
            manager,
            router,
            on_primary,
            on_replica,
        };
        db.caught_up().await;
        db.wait_in_rotation(true).await;
        db
    }

    /// A content store on the router (its listings are replica-safe reads).
    pub fn contents(&self) -> ContentStore<DbRouter> {
        ContentStore::new(self.router.clone())
    }

    /// Wait (up to 20 s) until the replica has replayed everything the primary has written.
    pub async fn caught_up(&self) {
        let lsn = scalar_text(&self.on_primary, "SELECT pg_current_wal_lsn()::text AS v").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let row = self
                .on_replica
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done",
                    [lsn.clone().into()],
                ))
                .await
                .ok()
                .flatten();
            if row.and_then(|r| r.try_get::<bool>("", "done").ok()) == Some(true) {
                return;
            }
            assert!(Instant::now() < deadline, "the replica did not catch up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait (up to 20 s) until the replica is in the rotation (or out of it).
    pub async fn wait_in_rotation(&self, wanted: bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let nodes = self.router.nodes().await;
            if nodes[1].in_rotation == wanted {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica did not go {} the rotation: {nodes:?}",
                if wanted { "into" } else { "out of" }
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Connect to `url`, retrying (up to 20 s) until its database exists there (a database
/// created on the primary reaches the replica when the replica replays it).
async fn wait_for_database(url: &str) -> DatabaseConnection {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match Database::connect(url).await {
            Ok(conn) => return conn,
            Err(err) => {
                assert!(
                    Instant::now() < deadline,
                    "the replica has no database: {err}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn scalar_text(conn: &DatabaseConnection, sql: &str) -> String {
    conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("query")
        .and_then(|r| r.try_get::<String>("", "v").ok())
        .expect("a value")
}

/// Scans of `content_metadata` the server of `conn` counted (its own sessions' reads).
pub async fn content_scans(conn: &DatabaseConnection) -> i64 {
    conn.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT (COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0))::int8 AS n \
         FROM pg_stat_user_tables WHERE relname = 'content_metadata'",
    ))
    .await
    .expect("pg_stat_user_tables")
    .and_then(|r| r.try_get::<i64>("", "n").ok())
    .unwrap_or(0)
}

/// Wait (up to 10 s: a server publishes a session's counters within a second of it going idle)
/// until `conn`'s server has counted at least `at_least` scans of `content_metadata`; the count.
pub async fn wait_for_scans(conn: &DatabaseConnection, at_least: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = content_scans(conn).await;
        if n >= at_least || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Document `i`.
pub fn doc(i: u32) -> NewContent {
    let hash: ContentHash = format!("{i:064x}").parse().expect("a valid hash");
    NewContent::new(
        format!("r{i:08}"),
        format!("Replicated {i}"),
        format!("https://docs.example.org/replica/{i}")
            .parse()
            .expect("a valid URL"),
        "rust",
        hash,
    )
}
