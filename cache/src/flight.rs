//! Single-flight: when many tasks miss the same key at once, one (the leader) runs the loader and
//! the others wait for its encoded result.
//!
//! In-flight loads live in a map split into shards by key hash; a shard's mutex is held only to
//! look up or insert an entry (never across an `await`), and only on a cache miss. Each load is
//! a `watch` channel: the leader publishes the encoded value (or the error) once, and every
//! waiter decodes it. A leader that is cancelled (its future dropped) closes the channel without
//! a value; its waiters then race again and one of them becomes the new leader.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::watch;

use crate::error::Error;

/// What a finished load hands to its waiters.
pub(crate) type Outcome = Result<Bytes, Error>;
type Channel = Arc<watch::Sender<Option<Outcome>>>;

const SHARDS: usize = 16;

/// The in-flight loads of one manager.
pub(crate) struct Flights {
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<String, Channel>>]>,
}

/// The caller's part in a load.
pub(crate) enum Role<'a> {
    /// Run the loader and [`Leader::finish`].
    Leader(Leader<'a>),
    /// Wait for the leader with [`wait`].
    Waiter(watch::Receiver<Option<Outcome>>),
}

impl Flights {
    pub(crate) fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, HashMap<String, Channel>> {
        let index = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        // A poisoned shard only means a panic elsewhere while holding it; the map stays valid.
        self.shards[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Join the load of `key`: lead it if none is in flight, else wait on it.
    pub(crate) fn join(&self, key: &str) -> Role<'_> {
        let mut shard = self.shard(key);
        if let Some(channel) = shard.get(key) {
            return Role::Waiter(channel.subscribe());
        }
        let (sender, _) = watch::channel(None);
        let channel = Arc::new(sender);
        shard.insert(key.to_owned(), Arc::clone(&channel));
        Role::Leader(Leader {
            flights: self,
            key: key.to_owned(),
            channel,
        })
    }

    /// Loads in flight (for tests and diagnostics).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .len()
            })
            .sum()
    }
}

/// The leader of one load; dropping it (finished or cancelled) ends the load.
pub(crate) struct Leader<'a> {
    flights: &'a Flights,
    key: String,
    channel: Channel,
}

impl Leader<'_> {
    /// Hand the outcome to every waiter.
    pub(crate) fn finish(self, outcome: Outcome) {
        self.channel.send_replace(Some(outcome));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let mut shard = self.flights.shard(&self.key);
        if shard
            .get(&self.key)
            .is_some_and(|current| Arc::ptr_eq(current, &self.channel))
        {
            shard.remove(&self.key);
        }
    }
}

/// Wait for the leader: its outcome, or `None` if it was cancelled before finishing.
pub(crate) async fn wait(mut receiver: watch::Receiver<Option<Outcome>>) -> Option<Outcome> {
    match receiver.wait_for(Option::is_some).await {
        Ok(value) => value.clone(),
        Err(_) => None,
    }
}
