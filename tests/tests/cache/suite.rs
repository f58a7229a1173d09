//! The behavioural tests, each an `async fn(Env)` run on every backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache::{Codec, Error, KEY_SPECS, KeyKind, KeyTtl, keys};
use serde_json::{Value, json};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::Env;

// The pub/sub tests live in their own file; the macros find every test here.
pub use super::pubsub::{
    pubsub_concurrent_publishers, pubsub_delivers_in_order, pubsub_fan_out_and_unsubscribe,
    pubsub_invalid_arguments, pubsub_prefixes_isolate,
};

const MINUTE: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn search_doc(n: usize) -> Value {
    json!({
        "query": format!("query {n}"),
        "results": (0..10).map(|i| json!({
            "content_id": format!("c{i:08}"),
            "title": format!("Document {i}"),
            "snippet": "async fn in traits lets you write ".repeat(9),
            "score": 0.9 - f64::from(i) / 100.0,
        })).collect::<Vec<_>>(),
    })
}

pub async fn get_set_delete(env: Env) {
    let c = &env.cache;
    let binary: Vec<u8> = (0..=255u8).collect();
    c.set("raw:bin", binary.clone(), MINUTE).await.expect("set");
    assert_eq!(
        c.get("raw:bin").await.expect("get").as_deref(),
        Some(&binary[..])
    );
    assert!(c.exists("raw:bin").await.expect("exists"));
    c.set("raw:bin", "second", MINUTE).await.expect("overwrite");
    assert_eq!(
        c.get("raw:bin").await.expect("get").as_deref(),
        Some(&b"second"[..])
    );
    assert!(c.delete("raw:bin").await.expect("delete"));
    assert!(!c.delete("raw:bin").await.expect("delete again"));
    assert_eq!(c.get("raw:bin").await.expect("get"), None);
    assert!(!c.exists("raw:bin").await.expect("exists"));
    assert!(matches!(
        c.set("raw:zero", "x", Duration::ZERO).await,
        Err(Error::InvalidArgument(_))
    ));
}

pub async fn ttl_expiry(env: Env) {
    let c = &env.cache;
    c.set("short", "v", ms(300)).await.expect("set");
    match c.ttl("short").await.expect("ttl") {
        KeyTtl::ExpiresIn(left) => assert!(left <= ms(300), "{left:?}"),
        other => panic!("expected a TTL, got {other:?}"),
    }
    assert!(c.exists("short").await.expect("exists"));
    tokio::time::sleep(ms(700)).await;
    assert_eq!(c.get("short").await.expect("get"), None);
    assert!(!c.exists("short").await.expect("exists"));
    assert_eq!(c.ttl("short").await.expect("ttl"), KeyTtl::Missing);

    assert!(!c.expire("missing", MINUTE).await.expect("expire missing"));
    c.set("long", "v", MINUTE).await.expect("set");
    assert!(c.expire("long", ms(200)).await.expect("expire"));
    tokio::time::sleep(ms(600)).await;
    assert_eq!(c.get("long").await.expect("get"), None);
}

pub async fn increment_counts(env: Env) {
    let c = &env.cache;
    assert_eq!(c.increment("hits").await.expect("incr"), 1);
    assert_eq!(c.increment("hits").await.expect("incr"), 2);
    assert_eq!(c.increment("hits").await.expect("incr"), 3);
    assert_eq!(c.increment_by("hits", -5).await.expect("incrby"), -2);
    assert_eq!(c.ttl("hits").await.expect("ttl"), KeyTtl::Persistent);
    assert_eq!(
        c.get("hits").await.expect("get").as_deref(),
        Some(&b"-2"[..])
    );

    // An existing integer string counts on and keeps its TTL.
    c.set("answer", "41", MINUTE).await.expect("set");
    assert_eq!(c.increment("answer").await.expect("incr"), 42);
    assert!(matches!(
        c.ttl("answer").await.expect("ttl"),
        KeyTtl::ExpiresIn(_)
    ));

    // Not an integer, or not a string: a backend error on both backends.
    c.set("text", "abc", MINUTE).await.expect("set");
    let err = c.increment("text").await.expect_err("not an integer");
    assert!(err.is_cache(), "{err:?}");
    c.sessions()
        .create("s-incr", &json!({"a": 1}))
        .await
        .expect("session");
    let err = c.increment("session:s-incr").await.expect_err("a hash");
    assert!(err.is_cache(), "{err:?}");
    let err = c.get("session:s-incr").await.expect_err("GET on a hash");
    assert!(err.is_cache(), "{err:?}");

    // First hit sets the window; later hits keep it.
    let (n, left) = c
        .increment_with_expiry("window", 1, Duration::from_secs(10))
        .await
        .expect("incr+expire");
    assert_eq!(n, 1);
    assert!(
        left <= Duration::from_secs(10) && left > Duration::from_secs(5),
        "{left:?}"
    );
    let (n, _) = c
        .increment_with_expiry("window", 4, Duration::from_secs(99))
        .await
        .expect("incr+expire");
    assert_eq!(n, 5);
    match c.ttl("window").await.expect("ttl") {
        KeyTtl::ExpiresIn(left) => assert!(left <= Duration::from_secs(10), "{left:?}"),
        other => panic!("{other:?}"),
    }
}

/// A counter whose pattern has a TTL (`rate_limit:api:{ip}`, `rate_limit:{id}`) gets it from the
/// increment that creates it, and later increments do not reset it.
pub async fn increment_sets_the_pattern_ttl(env: Env) {
    let c = &env.cache;
    for (key, spec_ttl) in [
        (keys::rate_limit_api("203.0.113.7"), Duration::from_secs(60)),
        (keys::rate_limit("user:42"), Duration::from_secs(60)),
    ] {
        assert_eq!(key.spec().pattern_ttl(), Some(spec_ttl));
        assert_eq!(c.increment(&key).await.expect("incr"), 1);
        match c.ttl(&key).await.expect("ttl") {
            KeyTtl::ExpiresIn(left) => assert!(
                left <= spec_ttl && left + Duration::from_secs(30) > spec_ttl,
                "{left:?}"
            ),
            other => panic!("the first increment set no TTL: {other:?}"),
        }
        // Shorten the window; further increments must keep the short TTL, not reset it.
        assert!(
            c.expire(&key, Duration::from_secs(5))
                .await
                .expect("expire")
        );
        assert_eq!(c.increment_by(&key, 2).await.expect("incr"), 3);
        assert_eq!(c.increment(&key).await.expect("incr"), 4);
        match c.ttl(&key).await.expect("ttl") {
            KeyTtl::ExpiresIn(left) => assert!(left <= Duration::from_secs(5), "{left:?}"),
            other => panic!("{other:?}"),
        }
    }
    // The same through a plain string in the pattern.
    assert_eq!(
        c.increment("rate_limit:api:198.51.100.1")
            .await
            .expect("incr"),
        1
    );
    assert!(matches!(
        c.ttl("rate_limit:api:198.51.100.1").await.expect("ttl"),
        KeyTtl::ExpiresIn(_)
    ));
    // A custom key has no pattern TTL and stays persistent.
    assert_eq!(KeyKind::Custom.spec().pattern_ttl(), None);
    assert_eq!(c.increment("visits").await.expect("incr"), 1);
    assert_eq!(c.ttl("visits").await.expect("ttl"), KeyTtl::Persistent);
}

pub async fn json_codec_by_key_pattern(env: Env) {
    let c = &env.cache;
    let doc = search_doc(1);

    let key = keys::search_results(&keys::hash_parts(&["query 1"]));
    c.put(&key, &doc).await.expect("put");
    let raw = c.get(&key).await.expect("get").expect("stored");
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "search results are gzip");
    let plain_len = serde_json::to_vec(&doc).expect("json").len();
    assert!(raw.len() < plain_len, "{} < {plain_len}", raw.len());
    let back: Value = c.get_json(&key).await.expect("get_json").expect("hit");
    assert_eq!(back, doc);

    // A plain string key of the same pattern gets the same codec.
    let back: Value = c
        .get_json(key.as_str())
        .await
        .expect("get_json by string")
        .expect("hit");
    assert_eq!(back, doc);

    let eval = keys::ai_evaluation("q1");
    c.put(&eval, &json!({"score": 0.9})).await.expect("put");
    let raw = c.get(&eval).await.expect("get").expect("stored");
    assert_eq!(raw[0], b'{', "AI evaluations are plain JSON");

    c.set_json("user:1:profile", &json!({"name": "Ada"}), MINUTE)
        .await
        .expect("custom key");
    let raw = c.get("user:1:profile").await.expect("get").expect("stored");
    assert_eq!(&raw[..], br#"{"name":"Ada"}"#);

    let missing: Option<Value> = c
        .get_json(&keys::search_results("none"))
        .await
        .expect("miss");
    assert_eq!(missing, None);
    let wrong: Result<Option<Vec<u32>>, _> = c.get_json(&eval).await;
    assert!(matches!(wrong, Err(Error::Codec(_))), "{wrong:?}");
}

pub async fn key_table_ttls(env: Env) {
    let c = &env.cache;
    for spec in KEY_SPECS {
        if !matches!(spec.codec, Codec::Json | Codec::GzipJson) {
            continue;
        }
        let key = cache::CacheKey::custom(format!("{}sample", spec.prefix));
        assert_eq!(key.kind(), spec.kind);
        c.put(&key, &json!({"k": spec.name})).await.expect("put");
        match c.ttl(&key).await.expect("ttl") {
            KeyTtl::ExpiresIn(left) => assert!(
                left <= spec.ttl && left + Duration::from_secs(10) > spec.ttl,
                "{}: {left:?} vs {:?}",
                spec.pattern,
                spec.ttl
            ),
            other => panic!("{}: {other:?}", spec.pattern),
        }
        let raw = c.get(&key).await.expect("get").expect("stored");
        assert_eq!(
            raw.starts_with(&[0x1f, 0x8b]),
            spec.codec == Codec::GzipJson,
            "{}",
            spec.pattern
        );
    }
    assert_eq!(KeyKind::SearchResults.spec().ttl, Duration::from_secs(3600));
    assert_eq!(KeyKind::Session.spec().ttl, Duration::from_secs(1800));
}

pub async fn corrupt_payloads(env: Env) {
    let c = &env.cache;
    let key = keys::search_results("corrupt");
    c.set(&key, "definitely not gzip", MINUTE)
        .await
        .expect("set");
    let result: Result<Option<Value>, _> = c.get_json(&key).await;
    assert!(matches!(result, Err(Error::Codec(_))), "{result:?}");

    // A truncated gzip payload.
    let good = cache::codec::to_gzip_json(&search_doc(2)).expect("encode");
    c.set(&key, good.slice(..good.len() - 10), MINUTE)
        .await
        .expect("set");
    let result: Result<Option<Value>, _> = c.get_json(&key).await;
    assert!(matches!(result, Err(Error::Codec(_))), "{result:?}");

    // Invalid JSON under a JSON pattern.
    let eval = keys::ai_evaluation("corrupt");
    c.set(&eval, "{not json", MINUTE).await.expect("set");
    let result: Result<Option<Value>, _> = c.get_json(&eval).await;
    assert!(matches!(result, Err(Error::Codec(_))), "{result:?}");

    // Cache-aside treats a corrupt entry as a miss and repairs it.
    let value: Value = c
        .get_or_set(&key, MINUTE, || async {
            Ok::<_, std::io::Error>(json!({"fresh": true}))
        })
        .await
        .expect("loader value");
    assert_eq!(value, json!({"fresh": true}));
    let repaired: Value = c.get_json(&key).await.expect("decodes").expect("hit");
    assert_eq!(repaired, json!({"fresh": true}));
}

pub async fn clear_pattern_many_pages(env: Env) {
    let c = &env.cache;
    const BULK: usize = 2500; // more than two SCAN pages of 1000
    let mut tasks = JoinSet::new();
    for chunk in 0..25 {
        let c = c.clone();
        tasks.spawn(async move {
            for i in chunk * 100..(chunk + 1) * 100 {
                c.set(&format!("bulk:{i}"), "x", MINUTE).await.expect("set");
            }
        });
    }
    tasks.join_all().await;
    for i in 0..10 {
        c.set(&format!("keep:{i}"), "y", MINUTE).await.expect("set");
    }
    c.set("keep:10", "y", MINUTE).await.expect("set");

    assert_eq!(c.clear_pattern("bulk:*").await.expect("clear"), BULK as u64);
    assert!(!c.exists("bulk:7").await.expect("exists"));
    assert!(!c.exists("bulk:2499").await.expect("exists"));
    for i in 0..=10 {
        assert!(
            c.exists(&format!("keep:{i}")).await.expect("exists"),
            "keep:{i}"
        );
    }
    assert_eq!(c.clear_pattern("bulk:*").await.expect("clear again"), 0);
    // `?` matches exactly one character: keep:0..keep:9, not keep:10.
    assert_eq!(c.clear_pattern("keep:?").await.expect("clear ?"), 10);
    assert!(c.exists("keep:10").await.expect("exists"));
    assert!(matches!(
        c.clear_pattern("").await,
        Err(Error::InvalidArgument(_))
    ));
}

pub async fn prefixes_isolate(env: Env) {
    let (a, b) = (&env.cache, &env.sibling);
    a.set("shared", "a", MINUTE).await.expect("set a");
    assert_eq!(b.get("shared").await.expect("get b"), None);
    b.set("shared", "b", MINUTE).await.expect("set b");
    assert_eq!(a.clear_pattern("*").await.expect("clear a"), 1);
    assert_eq!(
        b.get("shared").await.expect("get b").as_deref(),
        Some(&b"b"[..])
    );
    assert_eq!(a.get("shared").await.expect("get a"), None);
}

pub async fn single_flight(env: Env) {
    let c = &env.cache;
    const TASKS: usize = 50;
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(TASKS));
    let key = keys::query_result("popular");
    let mut tasks = JoinSet::new();
    for _ in 0..TASKS {
        let (c, calls, barrier, key) = (c.clone(), calls.clone(), barrier.clone(), key.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            c.get_or_set(&key, MINUTE, || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(ms(300)).await;
                Ok::<_, std::io::Error>(search_doc(7))
            })
            .await
            .expect("get_or_set")
        });
    }
    let results: Vec<Value> = tasks.join_all().await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the loader ran once for {TASKS} misses"
    );
    assert_eq!(results.len(), TASKS);
    assert!(results.iter().all(|v| *v == search_doc(7)));
    assert_eq!(c.loads_in_flight(), 0);

    // Now a hit: the loader does not run.
    let again: Value = c
        .get_or_set(&key, MINUTE, || async {
            Err::<Value, _>(std::io::Error::other("must not run"))
        })
        .await
        .expect("hit");
    assert_eq!(again, search_doc(7));
    let stored: Value = c.get_json(&key).await.expect("get").expect("stored");
    assert_eq!(stored, search_doc(7));
}

pub async fn single_flight_errors_and_cancellation(env: Env) {
    let c = &env.cache;
    // A failing loader runs once and every waiter gets its error; nothing is cached.
    let calls = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = JoinSet::new();
    for _ in 0..20 {
        let (c, calls, barrier) = (c.clone(), calls.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            c.get_or_set("flaky", MINUTE, || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(ms(1000)).await;
                Err::<Value, _>(std::io::Error::other("upstream down"))
            })
            .await
        });
    }
    for result in tasks.join_all().await {
        match result {
            Err(Error::Loader(e)) => assert!(e.to_string().contains("upstream down")),
            other => panic!("expected the loader's error, got {other:?}"),
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!c.exists("flaky").await.expect("exists"));

    // A cancelled leader hands over: its waiter becomes the leader and loads.
    let leader = {
        let c = c.clone();
        tokio::spawn(async move {
            c.get_or_set("handover", MINUTE, || async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok::<_, std::io::Error>(json!("from the leader"))
            })
            .await
        })
    };
    tokio::time::sleep(ms(500)).await;
    let waiter = {
        let c = c.clone();
        tokio::spawn(async move {
            c.get_or_set("handover", MINUTE, || async {
                Ok::<_, std::io::Error>(json!("from the waiter"))
            })
            .await
        })
    };
    tokio::time::sleep(ms(500)).await;
    assert!(
        !waiter.is_finished(),
        "the second caller waits on the first"
    );
    leader.abort();
    let value = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiter does not hang")
        .expect("task")
        .expect("value");
    assert_eq!(value, json!("from the waiter"));
    assert_eq!(c.loads_in_flight(), 0);
}

pub async fn rate_limiter_exact_under_concurrency(env: Env) {
    let limiter = env.cache.rate_limiter();
    const TASKS: usize = 50;
    const PER_TASK: usize = 4;
    const MAX: u64 = 120;
    let barrier = Arc::new(Barrier::new(TASKS));
    let mut tasks = JoinSet::new();
    for _ in 0..TASKS {
        let (limiter, barrier) = (limiter.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let mut out = Vec::with_capacity(PER_TASK);
            for _ in 0..PER_TASK {
                out.push(limiter.check("user:123", MAX, MINUTE).await.expect("check"));
            }
            out
        });
    }
    let decisions: Vec<_> = tasks.join_all().await.into_iter().flatten().collect();
    let total = (TASKS * PER_TASK) as u64;
    assert_eq!(decisions.iter().filter(|d| d.allowed).count() as u64, MAX);
    let mut counts: Vec<u64> = decisions.iter().map(|d| d.count).collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=total).collect::<Vec<_>>(),
        "every count exactly once"
    );
    assert!(decisions.iter().all(|d| d.allowed == (d.count <= MAX)));
    assert!(decisions.iter().all(|d| d.reset_after <= MINUTE));

    assert_eq!(
        limiter
            .get_remaining("user:123", MAX)
            .await
            .expect("remaining"),
        0
    );
    assert_eq!(
        limiter
            .get_remaining("user:123", 500)
            .await
            .expect("remaining"),
        500 - total
    );
    assert!(
        !limiter
            .is_allowed("user:123", MAX, MINUTE)
            .await
            .expect("is_allowed")
    );
    assert!(limiter.reset("user:123").await.expect("reset"));
    assert_eq!(
        limiter
            .get_remaining("user:123", MAX)
            .await
            .expect("remaining"),
        MAX
    );
    assert!(
        limiter
            .is_allowed("user:123", MAX, MINUTE)
            .await
            .expect("is_allowed")
    );

    // Seed 000's per-IP counter: rate_limit:api:{ip}, 60 s window.
    let first = limiter
        .check_ip("203.0.113.9", 100)
        .await
        .expect("check_ip");
    assert_eq!((first.count, first.remaining, first.allowed), (1, 99, true));
    assert!(first.reset_after <= MINUTE && first.reset_after > Duration::from_secs(50));
    let raw = env
        .cache
        .get(&keys::rate_limit_api("203.0.113.9"))
        .await
        .expect("get")
        .expect("counter");
    assert_eq!(&raw[..], b"1");
}

pub async fn rate_limiter_window(env: Env) {
    let limiter = env.cache.rate_limiter();
    // Long enough that three calls land in one window even on a loaded machine.
    let window = Duration::from_secs(2);
    let first: Vec<bool> = [
        limiter.is_allowed("burst", 2, window).await.expect("1"),
        limiter.is_allowed("burst", 2, window).await.expect("2"),
        limiter.is_allowed("burst", 2, window).await.expect("3"),
    ]
    .into();
    assert_eq!(first, [true, true, false]);
    tokio::time::sleep(ms(2600)).await;
    let fresh = limiter.check("burst", 2, window).await.expect("new window");
    assert!(fresh.allowed);
    assert_eq!(fresh.count, 1);
}

pub async fn lock_ownership(env: Env) {
    let locks = env.cache.locks();
    let held = locks
        .acquire("deploy-production", MINUTE)
        .await
        .expect("acquire")
        .expect("free lock");
    assert!(
        locks
            .is_locked("deploy-production")
            .await
            .expect("is_locked")
    );
    assert!(
        locks
            .acquire("deploy-production", MINUTE)
            .await
            .expect("second")
            .is_none()
    );

    // A second holder (another token) can neither release nor extend.
    let intruder = "0123456789abcdef0123456789abcdef";
    assert!(
        !locks
            .release("deploy-production", intruder)
            .await
            .expect("release")
    );
    assert!(
        !locks
            .extend("deploy-production", intruder, MINUTE)
            .await
            .expect("extend")
    );
    assert!(
        locks
            .is_locked("deploy-production")
            .await
            .expect("still locked")
    );

    // The holder can.
    assert!(held.extend(Duration::from_secs(120)).await.expect("extend"));
    match env
        .cache
        .ttl(&keys::lock("deploy-production"))
        .await
        .expect("ttl")
    {
        KeyTtl::ExpiresIn(left) => assert!(left > MINUTE, "{left:?}"),
        other => panic!("{other:?}"),
    }
    let token = held.token().to_owned();
    assert_eq!(token.len(), 32);
    assert!(held.release().await.expect("release"));
    assert!(
        !locks
            .is_locked("deploy-production")
            .await
            .expect("is_locked")
    );
    assert!(
        !locks
            .release("deploy-production", &token)
            .await
            .expect("twice")
    );

    let next = locks
        .acquire("deploy-production", MINUTE)
        .await
        .expect("acquire")
        .expect("free again");
    assert_ne!(next.token(), token, "a new token per holder");
    // Keep it past the guard, release by token.
    let kept = next.into_token();
    assert!(
        locks
            .is_locked("deploy-production")
            .await
            .expect("is_locked")
    );
    assert!(
        locks
            .release("deploy-production", &kept)
            .await
            .expect("release by token")
    );
    assert!(matches!(
        locks.acquire("", MINUTE).await,
        Err(Error::InvalidArgument(_))
    ));
}

pub async fn lock_expiry_wait_and_drop(env: Env) {
    let locks = env.cache.locks();
    // An expired holder cannot release or extend its successor's lock.
    let first = locks
        .acquire("job", ms(300))
        .await
        .expect("acquire")
        .expect("free");
    tokio::time::sleep(ms(700)).await;
    let second = locks
        .acquire("job", MINUTE)
        .await
        .expect("acquire")
        .expect("expired");
    assert!(!first.extend(MINUTE).await.expect("extend"));
    assert!(!first.release().await.expect("release"));
    assert!(
        locks
            .is_locked("job")
            .await
            .expect("still held by the second")
    );

    // Waiting: gives up at the deadline while held, succeeds once the holder lets go.
    assert!(
        locks
            .acquire_wait("job", MINUTE, ms(200))
            .await
            .expect("wait")
            .is_none()
    );
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(ms(300)).await;
        second.release().await.expect("release")
    });
    let third = locks
        .acquire_wait("job", MINUTE, Duration::from_secs(10))
        .await
        .expect("wait")
        .expect("acquired after the release");
    assert!(releaser.await.expect("task"));

    // Dropping the guard releases the lock (in the background).
    drop(third);
    let mut released = false;
    for _ in 0..250 {
        if !locks.is_locked("job").await.expect("is_locked") {
            released = true;
            break;
        }
        tokio::time::sleep(ms(20)).await;
    }
    assert!(released, "a dropped guard releases its lock");
}

pub async fn sessions(env: Env) {
    let sessions = env.cache.sessions();
    let data = json!({"user_id": "user:123", "permissions": ["read", "write"], "n": 1});
    sessions.create("sess_abc123", &data).await.expect("create");
    let back: Value = sessions
        .get("sess_abc123")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(back, data);
    match sessions.ttl("sess_abc123").await.expect("ttl") {
        KeyTtl::ExpiresIn(left) => {
            assert!(
                left <= Duration::from_secs(1800) && left > Duration::from_secs(1790),
                "{left:?}"
            );
        }
        other => panic!("{other:?}"),
    }

    assert!(
        sessions
            .update("sess_abc123", &json!({"theme": "dark", "n": 2}))
            .await
            .expect("update")
    );
    let back: Value = sessions
        .get("sess_abc123")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        back,
        json!({"user_id": "user:123", "permissions": ["read", "write"], "n": 2, "theme": "dark"})
    );
    assert!(
        sessions
            .ttl("sess_abc123")
            .await
            .expect("ttl")
            .remaining()
            .expect("expires")
            <= Duration::from_secs(1800),
        "update keeps the TTL"
    );

    assert!(
        sessions
            .refresh("sess_abc123", Duration::from_secs(7200))
            .await
            .expect("refresh")
    );
    let left = sessions
        .ttl("sess_abc123")
        .await
        .expect("ttl")
        .remaining()
        .expect("expires");
    assert!(left > Duration::from_secs(7100), "{left:?}");

    // Re-creating replaces the whole session.
    sessions
        .create("sess_abc123", &json!({"only": true}))
        .await
        .expect("recreate");
    let back: Value = sessions
        .get("sess_abc123")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(back, json!({"only": true}));

    assert!(sessions.delete("sess_abc123").await.expect("delete"));
    assert_eq!(
        sessions.get::<Value>("sess_abc123").await.expect("get"),
        None
    );
    assert!(!sessions.delete("sess_abc123").await.expect("delete again"));
    assert!(
        !sessions
            .update("sess_abc123", &json!({"a": 1}))
            .await
            .expect("update missing")
    );
    assert!(
        !sessions
            .refresh("sess_abc123", MINUTE)
            .await
            .expect("refresh missing")
    );

    // An empty session exists; data that is not an object is refused.
    sessions.create("empty", &json!({})).await.expect("empty");
    assert_eq!(
        sessions.get::<Value>("empty").await.expect("get"),
        Some(json!({}))
    );
    assert!(matches!(
        sessions.create("bad", &json!([1, 2])).await,
        Err(Error::Codec(_))
    ));
    assert!(matches!(
        sessions.create("", &json!({})).await,
        Err(Error::InvalidArgument(_))
    ));
    // Typed reads of the wrong shape are codec errors.
    sessions
        .create("typed", &json!({"a": "text"}))
        .await
        .expect("create");
    let wrong: Result<Option<std::collections::HashMap<String, u32>>, _> =
        sessions.get("typed").await;
    assert!(matches!(wrong, Err(Error::Codec(_))), "{wrong:?}");
}

pub async fn session_expiry(env: Env) {
    let sessions = env.cache.sessions();
    sessions
        .create_with_ttl("brief", &json!({"a": 1}), ms(1000))
        .await
        .expect("create");
    assert!(sessions.get::<Value>("brief").await.expect("get").is_some());
    // Refresh extends it past its first deadline.
    assert!(sessions.refresh("brief", ms(3000)).await.expect("refresh"));
    tokio::time::sleep(ms(1500)).await;
    assert!(
        sessions.get::<Value>("brief").await.expect("get").is_some(),
        "refreshed"
    );
    tokio::time::sleep(ms(2500)).await;
    assert_eq!(sessions.get::<Value>("brief").await.expect("get"), None);
}

pub async fn health(env: Env) {
    let health = env.cache.health().await;
    assert!(health.reachable, "{health:?}");
    assert_eq!(health.error, None);
    assert_eq!(health.backend, env.cache.backend_kind());
    env.cache.ping().await.expect("ping");
}
