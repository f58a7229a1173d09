//! A private PostgreSQL server for one test: `initdb` into a temporary directory, started with
//! `pg_ctl` on a free loopback port, stopped (immediate mode) and deleted on drop. The machine's
//! own server is never touched. Run as root (as CI is), the server runs as the `postgres` user,
//! since PostgreSQL refuses to run as root.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A running private server; stopped and deleted on drop.
pub struct PgServer {
    /// Its port on the loopback interface.
    pub port: u16,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    dir: tempfile::TempDir,
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the newest
/// `/usr/lib/postgresql/*/bin` (Debian), else the one `initdb` on `PATH` is in.
fn bin_dir() -> Option<PathBuf> {
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    debian.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(bin) = debian.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    })
}

/// The uid and gid of `user` from `/etc/passwd`.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user) && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

/// Whether this process runs as root (its home of `/proc/self` is owned by uid 0).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A loopback port free now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl PgServer {
    /// `initdb` a new cluster (trust authentication for the `postgres` user on the loopback
    /// network `127.0.0.0/8`), not yet started. `None` (skip) when the PostgreSQL server
    /// binaries are not installed, outside CI.
    ///
    /// # Panics
    /// In CI (`CI` set) when the binaries are missing, and when `initdb` fails.
    #[must_use]
    pub fn init() -> Option<Self> {
        let Some(bin) = bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the PostgreSQL server binaries (initdb, pg_ctl) are not installed"
            );
            eprintln!("initdb/pg_ctl not installed: skipping the private PostgreSQL server");
            return None;
        };
        let owner = if running_as_root() {
            Some(
                user_ids("postgres").expect("running as root: a `postgres` user to run the server"),
            )
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Self {
            port: free_port(),
            bin,
            owner,
            dir,
        };
        server.chown(server.dir.path());
        let status = server
            .command("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        server.append("pg_hba.conf", "host all all 127.0.0.0/8 trust\n");
        Some(server)
    }

    /// A streaming replica of `primary` (which must be started): `pg_basebackup -R -X stream`
    /// from it into a new temporary directory, on a free port, not yet started (start it with
    /// [`PgServer::start`]). `None` when the binaries are missing (see [`PgServer::init`]).
    ///
    /// # Panics
    /// When `pg_basebackup` fails.
    #[must_use]
    pub fn replica_of(primary: &Self) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = Self {
            port: free_port(),
            bin: primary.bin.clone(),
            owner: primary.owner,
            dir,
        };
        server.chown(server.dir.path());
        let out = server
            .command("pg_basebackup")
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args([
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "--no-sync",
                "-c",
                "fast",
            ])
            .arg("-D")
            .arg(server.data())
            .stdout(Stdio::null())
            .output()
            .expect("run pg_basebackup");
        assert!(
            out.status.success(),
            "pg_basebackup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(server)
    }

    /// `postgres://postgres@127.0.0.1:port/database` (trust authentication, no password).
    #[must_use]
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stop the server at once (`pg_ctl stop -m immediate`: connections are cut, as by a crash).
    pub fn kill(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Start a server stopped by [`PgServer::kill`] again, with its configuration as it was.
    ///
    /// # Panics
    /// When it does not start (its log is printed).
    pub fn restart(&self) {
        self.pg_ctl_start("restart");
    }

    /// The postmaster's data directory (its `postmaster.pid` names the process to signal).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.data()
    }

    /// The directory for this server's files (certificates, socket, log).
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.current_dir(self.dir.path());
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn chown(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to postgres");
        }
    }

    fn append(&self, file: &str, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.data().join(file))
            .expect("open server config");
        f.write_all(text.as_bytes()).expect("write server config");
    }

    /// Write `contents` to `name` in [`PgServer::dir`], owned by the server's user and readable
    /// by it alone (as PostgreSQL wants a private key); returns the path.
    pub fn write_private(&self, name: &str, contents: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        self.chown(&path);
        path
    }

    /// Start the server listening on `listen` (e.g. `127.0.0.1`) with `settings` (lines of
    /// `postgresql.conf`), and wait until it accepts connections.
    ///
    /// # Panics
    /// When it does not start (its log is printed).
    pub fn start(&self, listen: &str, settings: &[String]) {
        let mut conf = format!(
            "port = {}\nlisten_addresses = '{listen}'\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 20\n",
            self.port,
            self.dir.path().display()
        );
        for line in settings {
            conf.push_str(line);
            conf.push('\n');
        }
        self.append("postgresql.conf", &conf);
        self.pg_ctl_start("start");
    }
}

impl PgServer {
    /// `pg_ctl start`, waiting until the server accepts connections.
    ///
    /// # Panics
    /// When it does not `what` (its log is printed).
    fn pg_ctl_start(&self, what: &str) {
        let log = self.dir.path().join("server.log");
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .status()
            .expect("run pg_ctl start");
        assert!(
            status.success(),
            "private PostgreSQL did not {what}:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
