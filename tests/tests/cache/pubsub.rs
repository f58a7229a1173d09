//! Pub/sub behaviour, each an `async fn(Env)` run on every backend (listed in `suite_list!` and
//! `pubsub_list!` of `mod.rs`).

use std::collections::HashMap;
use std::time::Duration;

use cache::{Error, Message, Subscription};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::Env;

/// How long a message may take to arrive (a loaded 2-core machine, a cluster bus hop).
const ARRIVAL: Duration = Duration::from_secs(10);
/// How long to wait before concluding that nothing more arrives.
const QUIET: Duration = Duration::from_millis(400);

/// The next message, or a panic after [`ARRIVAL`].
pub async fn next(sub: &mut Subscription) -> Message {
    match tokio::time::timeout(ARRIVAL, sub.recv()).await {
        Ok(Some(message)) => message,
        Ok(None) => panic!("the subscription ended"),
        Err(_) => panic!("no message within {ARRIVAL:?}"),
    }
}

/// Assert that nothing arrives within [`QUIET`].
pub async fn nothing_more(sub: &mut Subscription) {
    if let Ok(message) = tokio::time::timeout(QUIET, sub.recv()).await {
        panic!("unexpected message: {message:?}");
    }
}

fn text(message: &Message) -> &str {
    std::str::from_utf8(&message.payload).expect("utf-8 payload")
}

pub async fn pubsub_delivers_in_order(env: Env) {
    let c = &env.cache;
    let mut sub = c.subscribe(["events", "other"]).await.expect("subscribe");
    assert_eq!(sub.channels(), ["events".to_owned(), "other".to_owned()]);

    for i in 0..100 {
        c.publish("events", format!("e{i}")).await.expect("publish");
    }
    for i in 0..100 {
        let message = next(&mut sub).await;
        assert_eq!(
            message.channel, "events",
            "channel named without the prefix"
        );
        assert_eq!(text(&message), format!("e{i}"));
    }

    // Binary payloads arrive byte for byte, on the channel they were sent to.
    let binary: Vec<u8> = (0..=255u8).collect();
    c.publish("other", binary.clone()).await.expect("publish");
    let message = next(&mut sub).await;
    assert_eq!(message.channel, "other");
    assert_eq!(&message.payload[..], &binary[..]);

    // Channels not subscribed to are not received; the empty payload is a payload.
    c.publish("unrelated", "x").await.expect("publish");
    c.publish("events", "").await.expect("publish empty");
    let message = next(&mut sub).await;
    assert_eq!((message.channel.as_str(), text(&message)), ("events", ""));
    nothing_more(&mut sub).await;
    assert_eq!(sub.missed(), 0);

    // Also a Stream.
    c.publish("other", "streamed").await.expect("publish");
    let message = tokio::time::timeout(ARRIVAL, sub.next())
        .await
        .expect("in time")
        .expect("a message");
    assert_eq!(text(&message), "streamed");
}

pub async fn pubsub_fan_out_and_unsubscribe(env: Env) {
    let c = &env.cache;
    let mut first = c.subscribe(["fan"]).await.expect("subscribe");
    let mut second = c
        .subscribe(["fan", "fan"])
        .await
        .expect("duplicates collapse");
    assert_eq!(second.channels().len(), 1);
    c.publish("fan", "one").await.expect("publish");
    assert_eq!(text(&next(&mut first).await), "one");
    assert_eq!(text(&next(&mut second).await), "one");
    nothing_more(&mut second).await;

    // Dropping one subscription leaves the other subscribed.
    drop(first);
    c.publish("fan", "two").await.expect("publish");
    assert_eq!(text(&next(&mut second).await), "two");

    // A subscription starts with what is published after it was made.
    let mut late = c.subscribe(["fan"]).await.expect("subscribe");
    c.publish("fan", "three").await.expect("publish");
    assert_eq!(text(&next(&mut late).await), "three");
    assert_eq!(text(&next(&mut second).await), "three");
    drop(second);
    drop(late);

    // Subscribing again right after the last subscription went away (the unsubscribe of the
    // idle channel must never overtake the new subscribe).
    for round in 0..20 {
        let mut sub = c.subscribe(["churn"]).await.expect("subscribe");
        c.publish("churn", format!("r{round}"))
            .await
            .expect("publish");
        assert_eq!(text(&next(&mut sub).await), format!("r{round}"));
    }
}

pub async fn pubsub_prefixes_isolate(env: Env) {
    let mut mine = env.cache.subscribe(["news"]).await.expect("subscribe");
    let mut theirs = env.sibling.subscribe(["news"]).await.expect("subscribe");
    env.cache.publish("news", "a").await.expect("publish");
    env.sibling.publish("news", "b").await.expect("publish");
    env.cache.publish("news", "c").await.expect("publish");
    assert_eq!(text(&next(&mut mine).await), "a");
    assert_eq!(text(&next(&mut mine).await), "c");
    assert_eq!(text(&next(&mut theirs).await), "b");
    nothing_more(&mut mine).await;
    nothing_more(&mut theirs).await;
}

pub async fn pubsub_concurrent_publishers(env: Env) {
    const PUBLISHERS: usize = 4;
    const EACH: usize = 50;
    let mut sub = env.cache.subscribe(["busy"]).await.expect("subscribe");
    let mut tasks = JoinSet::new();
    for p in 0..PUBLISHERS {
        let cache = env.cache.clone();
        tasks.spawn(async move {
            for i in 0..EACH {
                cache
                    .publish_json("busy", &json!({"p": p, "i": i}))
                    .await
                    .expect("publish");
            }
        });
    }
    let mut last: HashMap<u64, i64> = HashMap::new();
    for _ in 0..PUBLISHERS * EACH {
        let value: Value = next(&mut sub).await.json().expect("json payload");
        let p = value["p"].as_u64().expect("p");
        let i = value["i"].as_i64().expect("i");
        let previous = last.insert(p, i).unwrap_or(-1);
        assert_eq!(i, previous + 1, "publisher {p}'s messages in order");
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("publisher");
    }
    assert!(
        last.values()
            .all(|&i| i == i64::try_from(EACH - 1).expect("small"))
    );
    nothing_more(&mut sub).await;
    assert_eq!(sub.missed(), 0);
}

pub async fn pubsub_invalid_arguments(env: Env) {
    let c = &env.cache;
    assert!(matches!(
        c.subscribe(Vec::<String>::new()).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        c.subscribe(["ok", ""]).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        c.publish("", "x").await,
        Err(Error::InvalidArgument(_))
    ));
    // Publishing where nobody listens is no error.
    c.publish("nobody-listens", "x").await.expect("publish");
    let mut sub = c.subscribe(["json"]).await.expect("subscribe");
    c.publish("json", "not json").await.expect("publish");
    assert!(matches!(
        next(&mut sub).await.json::<Value>(),
        Err(Error::Codec(_))
    ));
}
