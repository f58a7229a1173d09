//! The whole behavioural suite on a private three-primary Redis Cluster (started here on free
//! loopback ports when `redis-server` is installed), reached by a `redis-cluster://` URL.

use std::time::{Duration, Instant};

use super::server::{self, RedisServer};

struct Cluster {
    nodes: Vec<RedisServer>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut nodes = Vec::new();
        for _ in 0..3 {
            let port = server::free_port();
            let conf = format!("nodes-{port}.conf");
            nodes.push(RedisServer::start(
                port,
                dir.path(),
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &conf,
                    "--cluster-node-timeout",
                    "5000",
                ],
            ));
        }
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let mut args = vec!["--cluster", "create"];
        args.extend(addresses.iter().map(String::as_str));
        args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
        nodes[0].cli(&args).expect("redis-cli --cluster create");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ok = nodes.iter().all(|n| {
                n.cli(&["cluster", "info"])
                    .is_some_and(|info| info.contains("cluster_state:ok"))
            });
            if ok {
                return Self { nodes, _dir: dir };
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the test cluster did not become ready");
    }

    fn url(&self) -> String {
        let first = self.nodes[0].port;
        let others: Vec<String> = self.nodes[1..]
            .iter()
            .map(|n| format!("node=127.0.0.1:{}", n.port))
            .collect();
        format!("redis-cluster://127.0.0.1:{first}?{}", others.join("&"))
    }
}

macro_rules! run_on_cluster {
    ($url:expr; $($name:ident),* $(,)?) => {
        $(
            eprintln!("cluster: {}", stringify!($name));
            let env = super::redis_env_at($url).await;
            assert_eq!(env.cache.backend_kind(), cache::BackendKind::RedisCluster);
            super::run(env, super::suite::$name).await;
        )*
    };
}

macro_rules! cluster_suite {
    ($($name:ident),* $(,)?) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(not(dal_redis), ignore = "DAL_TEST_REDIS_URL not set")]
        async fn whole_suite_on_redis_cluster() {
            tests::init_tracing();
            server::require();
            let cluster = tokio::task::spawn_blocking(Cluster::start).await.expect("start cluster");
            let url = cluster.url();
            run_on_cluster!(&url; $($name),*);
            drop(cluster);
        }
    };
}

super::suite_list!(cluster_suite);
