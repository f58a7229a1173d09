//! Chroma down (a closed port) or hung (accepts connections, never answers): the store is built
//! without the server, every call fails within its timeout with a `Vector` error that shows no
//! secret, and `health` reports the outage instead of failing. No Chroma server is needed.

use std::future::Future;
use std::time::{Duration, Instant};

use repository::vector::{
    ChromaConfig, ChromaTimeouts, ChromaVectorStore, CollectionName, Distance, Filter,
    NewCollection, RecordId, VectorRecord, VectorStore,
};
use repository::{Error, Page};

const TIMEOUT: Duration = Duration::from_millis(300);
/// Generous slack over the configured timeout for a loaded 2-core machine.
const SLACK: Duration = Duration::from_secs(2);
const SECRET: &str = "s3cret-pass";

fn config(port: u16) -> ChromaConfig {
    ChromaConfig::new(format!("http://dal:{SECRET}@127.0.0.1:{port}"))
        .with_token("token-s3cret")
        .with_timeouts(ChromaTimeouts {
            connect: TIMEOUT,
            request: TIMEOUT,
            health: TIMEOUT,
        })
}

/// Run `call`; assert it failed with a `Vector` error within the timeout (+ slack), naming no
/// secret.
async fn fails_fast<T: std::fmt::Debug>(
    what: &str,
    call: impl Future<Output = repository::Result<T>>,
) {
    let start = Instant::now();
    let result = call.await;
    let took = start.elapsed();
    assert!(took < TIMEOUT + SLACK, "{what} took {took:?}");
    match result {
        Err(error @ Error::Vector(_)) => {
            let text = format!("{error} {error:?}");
            assert!(
                !text.contains(SECRET) && !text.contains("token-s3cret"),
                "{text}"
            );
        }
        other => panic!("{what}: expected a Vector error, got {other:?}"),
    }
}

async fn every_call_fails_fast(store: &ChromaVectorStore) {
    let name = CollectionName::parse("unreachable").expect("name");
    let id = RecordId::parse("a").expect("id");
    let record = VectorRecord::new(id.clone(), vec![1.0, 2.0]);
    let filter = Filter::Eq("k".into(), 1.into());
    fails_fast(
        "create_collection",
        store.create_collection(NewCollection::new(name.clone(), 2, Distance::L2)),
    )
    .await;
    fails_fast("get_collection", store.get_collection(&name)).await;
    fails_fast("list_collections", store.list_collections()).await;
    fails_fast("delete_collection", store.delete_collection(&name)).await;
    fails_fast("upsert", store.upsert(&name, vec![record])).await;
    fails_fast("get", store.get(&name, std::slice::from_ref(&id))).await;
    fails_fast("delete", store.delete(&name, std::slice::from_ref(&id))).await;
    fails_fast("delete_where", store.delete_where(&name, &filter)).await;
    fails_fast("list_ids", store.list_ids(&name, Page::first(10))).await;
    fails_fast("count", store.count(&name)).await;
    fails_fast("query", store.query(&name, &[vec![1.0, 2.0]], 3, None)).await;

    let start = Instant::now();
    let health = store.health().await;
    assert!(
        start.elapsed() < 2 * TIMEOUT + SLACK,
        "health took {:?}",
        start.elapsed()
    );
    assert!(!health.reachable, "{health:?}");
    assert_eq!(health.backend, "chroma");
    assert!(health.round_trip_ms.is_none());
    assert!(health.collections.is_empty());
    let error = health.error.expect("the cause");
    assert!(!error.contains(SECRET), "{error}");
    assert!(!health.target.contains(SECRET), "{}", health.target);
    assert!(!format!("{store:?}").contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_fails_every_call_fast() {
    tests::init_tracing();
    let config = config(1);
    assert!(!format!("{config:?}").contains(SECRET));
    assert!(!format!("{config:?}").contains("token-s3cret"));
    let store = ChromaVectorStore::new(&config).expect("built without the server");
    every_call_fails_fast(&store).await;
    let error = store.health().await.error.expect("cause");
    assert!(error.contains("connect"), "{error}");
    fails_fast("connect", ChromaVectorStore::connect(&config)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_does_not_hang_calls() {
    tests::init_tracing();
    // Accepts connections, reads everything, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            held.push(tokio::spawn(async move {
                let mut sink = tokio::io::sink();
                let _ = tokio::io::copy(&mut socket, &mut sink).await;
            }));
        }
    });
    let config = config(port);
    let store = ChromaVectorStore::new(&config).expect("built without the server");
    every_call_fails_fast(&store).await;
    let error = store.health().await.error.expect("cause");
    assert!(error.contains("did not answer"), "{error}");
    fails_fast("connect", ChromaVectorStore::connect(&config)).await;
    silent.abort();
}

#[test]
fn unusable_configurations_are_refused_without_secrets() {
    for url in [
        "ftp://dal:s3cret-pass@127.0.0.1:8000",
        "127.0.0.1:8000",
        "http://dal:s3cret-pass@127.0.0.1:8000/?x=1",
    ] {
        match ChromaVectorStore::new(&ChromaConfig::new(url)) {
            Err(error @ Error::Config(_)) => {
                assert!(!error.to_string().contains(SECRET), "{error}");
            }
            other => panic!("{url}: expected a Config error, got {other:?}"),
        }
    }
    let empty = ChromaConfig::new("http://127.0.0.1:8000").with_database(" ");
    assert!(matches!(
        ChromaVectorStore::new(&empty),
        Err(Error::Config(_))
    ));
}
