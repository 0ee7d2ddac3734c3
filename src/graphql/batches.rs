//! One request's loads, gathered until the request can go no further without them.
//!
//! async-graphql's `DataLoader` starts a batch 1 ms after its first key, on a timer. On a
//! busy machine a request's siblings can take longer than that to ask, and the batch splits
//! into two or three statements: a page ran a different number of statements under load
//! than at rest (`tests/api/statements.rs` met it). Here the request's own task gathers its
//! keys: [`drive`] polls the query until it cannot progress, then hands every key of a kind
//! asked for so far to the shared `DataLoader` in one call. One request's wave is never
//! split, and concurrent requests' waves still share the shared loader's batches (measured:
//! without that, GraphQL pages at 64 connections lost up to 45% of their throughput).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use async_graphql::dataloader::{DataLoader, Loader};
use tokio::sync::oneshot;

use super::loaders::{LoadError, Loaders};

type Running = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The schema's loader, which every request's batches go through.
pub type SharedLoader = Arc<DataLoader<Loaders>>;

/// The loads of one request (see the module's comment). Used through [`drive`].
pub struct Batches {
    shared: SharedLoader,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Per kind of key, the keys asked for since the last batch started.
    pending: HashMap<TypeId, Box<dyn Start>>,
    /// A request starts a few at a time: a list polled in turn is enough.
    running: Vec<Running>,
}

/// What one kind's batch answers: every key it loaded, shared by everyone who asked.
type Answer<K, V> = Result<Arc<HashMap<K, V>>, LoadError>;

struct Pending<K, V> {
    keys: Vec<K>,
    waiting: Vec<oneshot::Sender<Answer<K, V>>>,
}

trait Start: Send {
    fn start(self: Box<Self>, shared: SharedLoader) -> Running;
    fn as_any(&mut self) -> &mut dyn Any;
}

impl<K, V> Start for Pending<K, V>
where
    Loaders: Loader<K, Value = V, Error = LoadError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    fn start(self: Box<Self>, shared: SharedLoader) -> Running {
        Box::pin(async move {
            let answer = shared.load_many(self.keys).await.map(Arc::new);
            for waiter in self.waiting {
                // A waiter that is gone (its field was cancelled) needs nothing.
                let _ = waiter.send(answer.clone());
            }
        })
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl Batches {
    pub fn new(shared: SharedLoader) -> Self {
        Batches { shared, inner: Mutex::default() }
    }

    fn ask<K, V>(&self, keys: impl IntoIterator<Item = K>) -> oneshot::Receiver<Answer<K, V>>
    where
        Loaders: Loader<K, Value = V, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
        V: Send + Sync + Clone + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let pending = inner
            .pending
            .entry(TypeId::of::<K>())
            .or_insert_with(|| Box::new(Pending::<K, V> { keys: Vec::new(), waiting: Vec::new() }));
        let pending = pending.as_any().downcast_mut::<Pending<K, V>>().expect("one value type per key type");
        pending.keys.extend(keys);
        pending.waiting.push(tx);
        rx
    }

    async fn answer<K, V>(rx: oneshot::Receiver<Answer<K, V>>) -> Answer<K, V> {
        // Only a request that is being dropped drops its batches, and its fields with them.
        let dropped = || Arc::new(sea_orm::DbErr::Custom("a batch was dropped before it answered".into()).into());
        rx.await.unwrap_or_else(|_| Err(dropped()))
    }

    pub async fn load_one<K, V>(&self, key: K) -> Result<Option<V>, LoadError>
    where
        Loaders: Loader<K, Value = V, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
        V: Send + Sync + Clone + 'static,
    {
        let all = Self::answer(self.ask([key.clone()])).await?;
        Ok(all.get(&key).cloned())
    }

    pub async fn load_many<K, V>(&self, keys: impl IntoIterator<Item = K>) -> Result<HashMap<K, V>, LoadError>
    where
        Loaders: Loader<K, Value = V, Error = LoadError>,
        K: Send + Sync + Hash + Eq + Clone + 'static,
        V: Send + Sync + Clone + 'static,
    {
        let keys: Vec<K> = keys.into_iter().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let all = Self::answer(self.ask(keys.iter().cloned())).await?;
        Ok(keys.into_iter().filter_map(|k| all.get(&k).cloned().map(|v| (k, v))).collect())
    }

    /// Starts a batch for every kind of key asked for, and polls those running. True when
    /// one finished: the query may go on.
    fn poll_batches(&self, cx: &mut std::task::Context<'_>) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let started: Vec<Box<dyn Start>> = inner.pending.drain().map(|(_, p)| p).collect();
        for batch in started {
            inner.running.push(batch.start(self.shared.clone()));
        }
        let before = inner.running.len();
        inner.running.retain_mut(|batch| batch.as_mut().poll(cx).is_pending());
        inner.running.len() < before
    }
}

/// Runs `query` (an execution that loads through `batches`) to its end, starting each batch
/// when the query waits on nothing else it could advance first.
///
/// A query that answers `Pending` may only be yielding: futures' `FuturesUnordered` wakes
/// itself and returns after polling each of its futures once, and async-graphql resolves a
/// list over 30 items and every object's fields through one. So the query is polled again
/// at once while it woke itself during its poll (up to [`MAX_REPOLLS`] times), and batches
/// start only when it is really waiting. Without that, a list of 40 articles asked each
/// one's related articles in some 40 batches (`tests/api/statements.rs`).
pub async fn drive<F: Future>(batches: &Batches, query: F) -> F::Output {
    let mut query = pin!(query);
    let woke = Arc::new(SelfWake::default());
    std::future::poll_fn(|cx| {
        woke.update(cx.waker());
        let waker = std::task::Waker::from(woke.clone());
        let mut inner_cx = std::task::Context::from_waker(&waker);
        loop {
            let mut repolls = 0;
            loop {
                woke.woken.store(false, Ordering::Release);
                if let Poll::Ready(out) = query.as_mut().poll(&mut inner_cx) {
                    return Poll::Ready(out);
                }
                if !woke.woken.load(Ordering::Acquire) || repolls == MAX_REPOLLS {
                    break;
                }
                repolls += 1;
            }
            if !batches.poll_batches(&mut inner_cx) {
                return Poll::Pending;
            }
        }
    })
    .await
}

/// Enough for every level of a deep query to yield once; past it, batches start anyway
/// (tokio's budget can make a query yield on every poll until the task returns).
const MAX_REPOLLS: usize = 64;

/// The task's waker, noting whether it was woken (by the query itself, or by anything else
/// meanwhile) since the flag was last cleared.
#[derive(Default)]
struct SelfWake {
    woken: AtomicBool,
    task: Mutex<Option<std::task::Waker>>,
}

impl SelfWake {
    fn update(&self, waker: &std::task::Waker) {
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if !task.as_ref().is_some_and(|t| t.will_wake(waker)) {
            *task = Some(waker.clone());
        }
    }
}

impl std::task::Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            task.wake_by_ref();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::content::Content;
    use crate::content::groups::Grouping;
    use crate::graphql::loaders::CountKey;

    /// Two siblings asked for in one pass, the second only after more than a millisecond of
    /// work (a loaded machine): one batch, as when they ask at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn siblings_slower_than_a_timer_still_share_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("batches.db").display());
        let mut db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let statements = Arc::new(AtomicUsize::new(0));
        let counted = statements.clone();
        db.set_metric_callback(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let shared = Arc::new(DataLoader::new(Loaders { content: Content::new(db) }, tokio::spawn));
        let batches = Batches::new(shared);
        let key = |id| CountKey { grouping: Grouping::Tag, id, include_descendants: false };

        drive(&batches, batches.load_many([key(1), key(2)])).await.unwrap();
        let at_once = statements.swap(0, Ordering::SeqCst);
        assert!(at_once > 0);

        let slow = async {
            std::thread::sleep(std::time::Duration::from_millis(5));
            batches.load_one(key(2)).await
        };
        let (first, second) = drive(&batches, async { tokio::join!(batches.load_one(key(1)), slow) }).await;
        assert_eq!((first.unwrap(), second.unwrap()), (Some(0), Some(0)));
        assert_eq!(statements.load(Ordering::SeqCst), at_once, "the batch split");
    }
}
