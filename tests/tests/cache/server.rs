//! Private `redis-server` processes on free loopback ports, for the recovery and Cluster tests.
//! They never touch the shared Redis of `DAL_TEST_REDIS_URL`, and are killed on drop.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Check that `redis-server` and `redis-cli` can be run. The tests that start private servers are
/// Redis tests: ignored unless `DAL_TEST_REDIS_URL` (or `CI`) was set when they were built, and
/// then they need the binaries.
///
/// # Panics
/// When either is missing.
pub fn require() {
    let ok = ["redis-server", "redis-cli"].iter().all(|bin| {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(
        ok,
        "redis-server and redis-cli are needed by the Redis tests that start private servers \
         (`bash scripts/test` installs them)"
    );
}

/// A loopback port that is free now, and whose cluster bus port (+10000) is free too.
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = listener.local_addr().map(|a| a.port()) else {
            continue;
        };
        if port > 55_000 {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
    panic!("no free port pair found");
}

/// A running `redis-server`; killed on drop.
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
}

impl RedisServer {
    /// Start `redis-server` on `port` without persistence, in `dir`, with `extra` arguments, and
    /// wait (up to 10 s) until it answers `PING`.
    pub fn start(port: u16, dir: &Path, extra: &[&str]) -> Self {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .arg("--dir")
            .arg(dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server
                .cli(&["ping"])
                .is_some_and(|out| out.trim() == "PONG")
            {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server on port {port} did not start");
    }

    /// Run `redis-cli -p port args…`: its standard output, if it succeeded.
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
