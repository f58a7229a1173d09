//! Publish/subscribe on named channels: [`Message`], [`Subscription`] and the per-channel
//! fan-out both backends share ([`ChannelHub`]).
//!
//! Delivery is at most once, as Redis pub/sub is: a message reaches the subscriptions that exist
//! when it is published, in the order its publisher's calls completed; nothing is stored, so a
//! subscriber that is disconnected (Redis restarting) or too slow misses messages. A slow
//! subscription skips the messages it could not keep up with ([`Subscription::missed`] counts
//! them) instead of holding up the others.
//!
//! How the backends fan out:
//! - in process, [`ChannelHub`] keeps one `tokio::sync::broadcast` channel per channel name with
//!   at least one subscription; publishing sends into it;
//! - on Redis, one dedicated subscriber connection per backend (fred's `SubscriberClient`, which
//!   resubscribes after every reconnection) carries `SUBSCRIBE`s for every channel any local
//!   subscription listens on; a routing task hands each message it receives to the same
//!   [`ChannelHub`]. The last subscription of a channel going away `UNSUBSCRIBE`s it.
//!   fred completes a `SUBSCRIBE` once it is written (the server's confirmation arrives out of
//!   band), so each `SUBSCRIBE` also names a probe channel private to the backend, and
//!   `subscribe` returns only once a nonce published on the probe has come back: the server has
//!   then processed the command, and any later publish reaches the new subscription.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{BoxStream, SelectAll};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, mpsc};

use crate::error::{CacheErrorKind, Error, Result};

/// How many messages one channel buffers per subscription before a slow subscription starts
/// missing messages.
pub const CHANNEL_CAPACITY: usize = 1024;

/// One message received on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published on, as given to [`crate::CacheManager::subscribe`] (without
    /// the global key prefix).
    pub channel: String,
    /// The payload, byte for byte as published.
    pub payload: Bytes,
}

impl Message {
    /// The payload decoded as JSON (what [`crate::CacheManager::publish_json`] sends).
    ///
    /// # Errors
    /// [`Error::Codec`] when the payload is not JSON of that shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.payload).map_err(Error::codec)
    }
}

/// The messages of one or more channels, from [`crate::CacheManager::subscribe`]: call
/// [`Subscription::recv`], or use it as a [`Stream`]. Messages of one channel arrive in the order
/// they were published; channels are interleaved as messages arrive.
///
/// Dropping it unsubscribes (on Redis, the channel is unsubscribed once no subscription of this
/// manager's backend listens on it any more). The stream ends (`None`) only when the backend
/// shuts down ([`crate::CacheManager::disconnect`] on Redis).
pub struct Subscription {
    channels: Vec<String>,
    stream: SelectAll<BoxStream<'static, Message>>,
    missed: Arc<AtomicU64>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Channel names may carry identifiers: only their number is shown.
        f.debug_struct("Subscription")
            .field("channels", &self.channels.len())
            .field("missed", &self.missed())
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Merge one receiver per channel; `channels[i]` names `receivers[i]`'s messages.
    pub(crate) fn new(channels: Vec<String>, receivers: Vec<ChannelReceiver>) -> Self {
        let missed = Arc::new(AtomicU64::new(0));
        let mut stream = SelectAll::new();
        for (name, receiver) in channels.iter().cloned().zip(receivers) {
            let missed = Arc::clone(&missed);
            stream.push(
                futures::stream::unfold(
                    (receiver, name, missed),
                    |(mut receiver, name, missed)| async move {
                        loop {
                            match receiver.rx.recv().await {
                                Ok(payload) => {
                                    let message = Message {
                                        channel: name.clone(),
                                        payload,
                                    };
                                    return Some((message, (receiver, name, missed)));
                                }
                                Err(broadcast::error::RecvError::Lagged(n)) => {
                                    missed.fetch_add(n, Ordering::Relaxed);
                                    tracing::warn!(
                                        cache.missed_messages = n,
                                        "a slow subscription skipped pub/sub messages"
                                    );
                                }
                                Err(broadcast::error::RecvError::Closed) => return None,
                            }
                        }
                    },
                )
                .boxed(),
            );
        }
        Self {
            channels,
            stream,
            missed,
        }
    }

    /// The next message, waiting for one; `None` once the backend has shut down.
    pub async fn recv(&mut self) -> Option<Message> {
        self.stream.next().await
    }

    /// The channels listened on (without the global key prefix).
    #[must_use]
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    /// How many messages this subscription skipped because it fell more than
    /// [`CHANNEL_CAPACITY`] messages behind.
    #[must_use]
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

impl Stream for Subscription {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.stream.poll_next_unpin(cx)
    }
}

/// The payloads of one channel for one subscription, from [`ChannelHub::subscribe`]. Dropping it
/// releases the channel.
pub struct ChannelReceiver {
    // Declared before the lease so that it is dropped first: the release then sees the true
    // number of remaining receivers.
    rx: broadcast::Receiver<Bytes>,
    _lease: Lease,
}

impl std::fmt::Debug for ChannelReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelReceiver").finish_non_exhaustive()
    }
}

impl ChannelReceiver {
    /// The next payload, skipping any this receiver fell too far behind to get; `None` once
    /// the hub is closed.
    pub(crate) async fn recv_payload(&mut self) -> Option<Bytes> {
        loop {
            match self.rx.recv().await {
                Ok(payload) => return Some(payload),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

struct Lease {
    hub: Arc<ChannelHub>,
    channel: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.hub.release(&self.channel);
    }
}

#[derive(Default)]
struct HubState {
    senders: HashMap<String, broadcast::Sender<Bytes>>,
    closed: bool,
}

/// Per-channel fan-out to local subscriptions: one `tokio::sync::broadcast` channel per channel
/// name that has at least one receiver. The in-process backend publishes straight into it; the
/// Redis backend's routing task delivers what its subscriber connection receives.
pub struct ChannelHub {
    state: Mutex<HubState>,
    /// Where to report a channel whose last receiver went away, when someone else (the Redis
    /// backend) decides when to drop it; `None`: dropped at once.
    idle: Option<mpsc::UnboundedSender<String>>,
}

impl std::fmt::Debug for ChannelHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelHub")
            .field("channels", &self.lock().senders.len())
            .finish_non_exhaustive()
    }
}

impl ChannelHub {
    /// A hub that forgets a channel as soon as its last receiver is dropped.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(HubState::default()),
            idle: None,
        })
    }

    /// A hub that reports a channel whose last receiver was dropped on `idle` instead; the
    /// owner then calls [`ChannelHub::remove_if_idle`] (and unsubscribes upstream).
    #[must_use]
    pub fn with_idle_reports(idle: mpsc::UnboundedSender<String>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(HubState::default()),
            idle: Some(idle),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // The state stays consistent whatever panicked while holding the lock (every update
        // is a single map operation).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new receiver of `channel`'s payloads (from now on).
    ///
    /// # Errors
    /// [`Error::Cache`] (`Unavailable`) once the hub is closed.
    pub fn subscribe(self: &Arc<Self>, channel: &str) -> Result<ChannelReceiver> {
        let mut state = self.lock();
        if state.closed {
            return Err(Error::cache(
                CacheErrorKind::Unavailable,
                "the cache is disconnected",
            ));
        }
        let rx = match state.senders.get(channel) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, rx) = broadcast::channel(CHANNEL_CAPACITY);
                state.senders.insert(channel.to_owned(), sender);
                rx
            }
        };
        Ok(ChannelReceiver {
            rx,
            _lease: Lease {
                hub: Arc::clone(self),
                channel: channel.to_owned(),
            },
        })
    }

    /// Hand `payload` to every receiver of `channel`: how many there were.
    pub fn deliver(&self, channel: &str, payload: Bytes) -> usize {
        let state = self.lock();
        state
            .senders
            .get(channel)
            .map_or(0, |sender| sender.send(payload).unwrap_or(0))
    }

    /// Whether `channel` has a receiver now.
    #[must_use]
    pub fn has_receivers(&self, channel: &str) -> bool {
        self.lock()
            .senders
            .get(channel)
            .is_some_and(|s| s.receiver_count() > 0)
    }

    /// Forget `channel` if it has no receiver: whether it was forgotten.
    pub fn remove_if_idle(&self, channel: &str) -> bool {
        let mut state = self.lock();
        let idle = state
            .senders
            .get(channel)
            .is_some_and(|s| s.receiver_count() == 0);
        if idle {
            state.senders.remove(channel);
        }
        idle
    }

    /// End every receiver's stream and refuse new receivers (the backend shut down).
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.senders.clear();
    }

    fn release(&self, channel: &str) {
        match &self.idle {
            None => {
                self.remove_if_idle(channel);
            }
            Some(idle) => {
                if !self.has_receivers(channel) {
                    // The owner may be gone (backend dropped): nothing to unsubscribe then.
                    let _ = idle.send(channel.to_owned());
                }
            }
        }
    }
}

/// Check a subscription's channel list: at least one, none empty, duplicates removed (first
/// occurrence kept).
pub(crate) fn checked_channels<I, S>(channels: I) -> Result<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut names: Vec<String> = Vec::new();
    for channel in channels {
        let channel = channel.as_ref();
        check_channel(channel)?;
        if !names.iter().any(|n| n == channel) {
            names.push(channel.to_owned());
        }
    }
    if names.is_empty() {
        return Err(Error::InvalidArgument(
            "subscribe needs at least one channel".into(),
        ));
    }
    Ok(names)
}

/// A channel name must not be empty.
pub(crate) fn check_channel(channel: &str) -> Result<()> {
    if channel.is_empty() {
        Err(Error::InvalidArgument("empty channel name".into()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_channel_is_forgotten_with_its_last_receiver() {
        let hub = ChannelHub::new();
        let a = hub.subscribe("c").expect("subscribe");
        let b = hub.subscribe("c").expect("subscribe");
        assert_eq!(hub.deliver("c", Bytes::from_static(b"x")), 2);
        drop(a);
        assert!(hub.has_receivers("c"));
        drop(b);
        assert!(!hub.has_receivers("c"));
        assert_eq!(hub.lock().senders.len(), 0);
        assert_eq!(hub.deliver("c", Bytes::from_static(b"x")), 0);
    }

    #[tokio::test]
    async fn idle_channels_are_reported_not_dropped() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let hub = ChannelHub::with_idle_reports(tx);
        let a = hub.subscribe("c").expect("subscribe");
        drop(a);
        assert_eq!(rx.recv().await.as_deref(), Some("c"));
        assert!(hub.remove_if_idle("c"));
        assert!(!hub.remove_if_idle("c"));
    }

    #[tokio::test]
    async fn lagging_subscriptions_count_what_they_missed() {
        let hub = ChannelHub::new();
        let receiver = hub.subscribe("c").expect("subscribe");
        let mut sub = Subscription::new(vec!["c".into()], vec![receiver]);
        let extra = 10;
        for i in 0..CHANNEL_CAPACITY + extra {
            hub.deliver("c", Bytes::from(i.to_string()));
        }
        let first = sub.recv().await.expect("message");
        assert_eq!(first.payload, Bytes::from(extra.to_string()));
        assert_eq!(sub.missed(), extra as u64);
    }

    #[tokio::test]
    async fn closing_ends_every_stream() {
        let hub = ChannelHub::new();
        let receiver = hub.subscribe("c").expect("subscribe");
        let mut sub = Subscription::new(vec!["c".into()], vec![receiver]);
        hub.close();
        assert_eq!(sub.recv().await, None);
        assert!(hub.subscribe("c").is_err());
    }

    #[test]
    fn channel_lists_are_checked() {
        assert!(checked_channels(Vec::<String>::new()).is_err());
        assert!(checked_channels(["a", ""]).is_err());
        assert_eq!(
            checked_channels(["a", "b", "a"]).expect("ok"),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }
}
