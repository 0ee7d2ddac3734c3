//! The in-process response cache for anonymous reads (`COLOPHON_RESPONSE_CACHE=off` turns
//! it off). Correctness before hit rate: it empties whenever the public epoch moves, and
//! the database moves that on every change readers can see, and only then (migration
//! 0012): a draft saved every few seconds leaves it alone.
//!
//! - Writes through this process: the epoch is read as their response leaves (any
//!   successful request other than GET or HEAD, except those marked [`ReadOnly`]).
//! - Writes by other processes: on PostgreSQL the epoch's triggers `NOTIFY colophon_changes`
//!   and every instance LISTENs; on SQLite the epoch is read on the request path, at most
//!   every 2 ms.
//! - A scheduled article becomes visible at its time with no write at all, so the cache also
//!   empties when the next publication time comes.
//!
//! Entries carry the generation they were made in; emptying bumps the generation. An
//! answer computed while a write landed is not stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{ConnectionTrait, DbBackend};

use crate::content::Content;

/// Bodies kept in memory at most; past it the cache starts over.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// A single answer larger than this is not kept.
const MAX_ENTRY: usize = 2 * 1024 * 1024;

#[derive(Clone)]
pub struct ResponseCache(Arc<Inner>);

struct Inner {
    enabled: AtomicBool,
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    bytes: AtomicUsize,
    /// The generation `due_at` was computed for (`u64::MAX`: not yet), and the next
    /// scheduled publication then, in µs since the epoch (`i64::MAX`: none). Read on every
    /// request without a lock; `due_lock` keeps two requests from computing it at once.
    due_generation: AtomicU64,
    due_at: AtomicI64,
    due_lock: tokio::sync::Mutex<()>,
    /// Reads the epoch and the next scheduled publication, and says what time it is.
    content: Content,
    /// The public epoch last seen (`i64::MIN`: not yet read), and when it was read.
    epoch: AtomicI64,
    epoch_read: tokio::sync::Mutex<Option<Instant>>,
}

struct Entry {
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
}

impl ResponseCache {
    pub fn new(content: Content, enabled: bool) -> Self {
        ResponseCache(Arc::new(Inner {
            enabled: AtomicBool::new(enabled),
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            due_generation: AtomicU64::new(u64::MAX),
            due_at: AtomicI64::new(i64::MAX),
            due_lock: tokio::sync::Mutex::new(()),
            content,
            epoch: AtomicI64::new(i64::MIN),
            epoch_read: tokio::sync::Mutex::new(None),
        }))
    }

    pub fn enabled(&self) -> bool {
        self.0.enabled.load(Ordering::Acquire)
    }

    /// Forget everything: content changed.
    pub fn invalidate(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        let mut entries = self.0.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.clear();
        self.0.bytes.store(0, Ordering::Release);
    }

    /// Hears other processes' writes for as long as the server runs: LISTEN on PostgreSQL
    /// (while the listener is down the cache is off, so nothing stale is served).
    pub fn watch(&self) {
        if !self.enabled() || self.0.content.db().get_database_backend() != DbBackend::Postgres {
            return;
        }
        // Until the LISTEN is up, other instances' writes would go unheard.
        self.0.enabled.store(false, Ordering::Release);
        let cache = self.clone();
        tokio::spawn(async move {
            let pool = cache.0.content.db().get_postgres_connection_pool().clone();
            loop {
                let listening = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(mut listener) => listener.listen("colophon_changes").await.map(|()| listener),
                    Err(e) => Err(e),
                };
                match listening {
                    Ok(mut listener) => {
                        cache.invalidate();
                        cache.0.enabled.store(true, Ordering::Release);
                        while listener.recv().await.is_ok() {
                            cache.invalidate();
                        }
                        tracing::warn!("response cache: lost the LISTEN connection; caching paused");
                    }
                    Err(e) => tracing::warn!(error = %e, "response cache: cannot LISTEN; caching paused"),
                }
                cache.0.enabled.store(false, Ordering::Release);
                cache.invalidate();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Empties the cache when another process made a change readers can see (SQLite; on
    /// PostgreSQL the LISTEN hears it), or when a scheduled article's time has come since
    /// the cache was filled.
    async fn freshen(&self) {
        if self.0.content.db().get_database_backend() == DbBackend::Sqlite {
            let mut read = self.0.epoch_read.lock().await;
            if read.is_none_or(|at| at.elapsed() >= Duration::from_millis(2)) {
                *read = Some(Instant::now());
                self.check_epoch().await;
            }
        }
        let generation = self.0.generation.load(Ordering::Acquire);
        if self.0.due_generation.load(Ordering::Acquire) != generation {
            let _one_at_a_time = self.0.due_lock.lock().await;
            if self.0.due_generation.load(Ordering::Acquire) != generation {
                let next = match self.0.content.next_publication().await {
                    Ok(next) => next.map_or(i64::MAX, |at| at.timestamp_micros()),
                    // Unknown means "could be any moment": keep nothing.
                    Err(_) => i64::MIN,
                };
                self.0.due_at.store(next, Ordering::Release);
                self.0.due_generation.store(generation, Ordering::Release);
            }
        }
        if self.0.due_at.load(Ordering::Acquire) <= self.0.content.now().timestamp_micros() {
            // A new generation: the next request computes the next publication time again.
            self.invalidate();
        }
    }

    /// Reads the public epoch and empties the cache if it moved (or cannot be read).
    pub async fn check_epoch(&self) {
        let db = self.0.content.db();
        let backend = db.get_database_backend();
        let sql = migration::public_epoch::read(backend);
        let epoch = match db.query_one_raw(sea_orm::Statement::from_string(backend, sql)).await {
            Ok(Some(row)) => row.try_get::<i64>("", "epoch").ok(),
            _ => None,
        };
        match epoch {
            Some(e) if self.0.epoch.swap(e, Ordering::AcqRel) == e => {}
            Some(_) => self.invalidate(),
            None => {
                self.0.epoch.store(i64::MIN, Ordering::Release);
                self.invalidate();
            }
        }
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let generation = self.0.generation.load(Ordering::Acquire);
        let entries = self.0.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|e| e.generation == generation).cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let size = entry.body.len() + key.len();
        if size > MAX_ENTRY {
            return;
        }
        let mut entries = self.0.entries.write().unwrap_or_else(|e| e.into_inner());
        // Stored only if nothing was written while the answer was computed.
        if entry.generation != self.0.generation.load(Ordering::Acquire) {
            return;
        }
        if self.0.bytes.load(Ordering::Acquire) + size > MAX_BYTES {
            entries.clear();
            self.0.bytes.store(0, Ordering::Release);
        }
        self.0.bytes.fetch_add(size, Ordering::AcqRel);
        entries.insert(key, Arc::new(entry));
    }
}

/// Anonymous GETs of the API; never anything answered with credentials or a preview token.
fn cache_key(req: &Request) -> Option<String> {
    let uri = req.uri();
    let path = uri.path();
    let api = path.starts_with("/api/v1/") && path != "/api/v1/openapi.yaml";
    if req.method() != Method::GET || !(api || path == "/graphql" || crate::feeds::is_feed_path(path)) {
        return None;
    }
    if crate::http_cache::with_credentials(req) || req.headers().contains_key(header::UPGRADE) {
        return None;
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    // GraphiQL (text/html) and the two JSON media types are different answers.
    Some(format!("{}\n{accept}", uri))
}

pub async fn layer(State(cache): State<ResponseCache>, mut req: Request, next: Next) -> Response {
    if !cache.enabled() {
        return next.run(req).await;
    }
    let Some(key) = cache_key(&req) else {
        let write = req.method() != Method::GET && req.method() != Method::HEAD;
        let res = next.run(req).await;
        // A refused write changed nothing; a GraphQL query sent by POST says so. A write that
        // readers cannot see (a draft) leaves the epoch, and so the cache, alone.
        if write && res.status().is_success() && res.extensions().get::<ReadOnly>().is_none() {
            cache.check_epoch().await;
        }
        return res;
    };
    cache.freshen().await;
    let if_none_match = req.headers_mut().remove(header::IF_NONE_MATCH);
    if let Some(hit) = cache.get(&key) {
        return answer(&hit.headers, hit.body.clone(), if_none_match.as_ref(), "hit");
    }
    let generation = cache.0.generation.load(Ordering::Acquire);
    let res = next.run(req).await;
    if !crate::http_cache::cacheable(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let Ok(body) = to_bytes(body, MAX_ENTRY * 4).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large to buffer").into_response();
    };
    cache.put(key, Entry { generation, headers: parts.headers.clone(), body: body.clone() });
    answer(&parts.headers, body, if_none_match.as_ref(), "miss")
}

/// Marks a non-GET answer that changed nothing (a GraphQL query sent by POST).
#[derive(Clone, Copy, Debug)]
pub struct ReadOnly;

fn answer(headers: &HeaderMap, body: Bytes, if_none_match: Option<&HeaderValue>, state: &'static str) -> Response {
    let not_modified = match (if_none_match, headers.get(header::ETAG)) {
        (Some(inm), Some(etag)) => crate::http_cache::matches_etag(inm, etag),
        _ => false,
    };
    let mut res = if not_modified { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
    *res.headers_mut() = headers.clone();
    if not_modified {
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        res.headers_mut().remove(header::CONTENT_LENGTH);
    }
    res.headers_mut().insert("x-cache", HeaderValue::from_static(state));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn cache() -> ResponseCache {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        ResponseCache::new(Content::new(db), true)
    }

    fn entry(cache: &ResponseCache, bytes: usize) -> Entry {
        Entry {
            generation: cache.0.generation.load(Ordering::Acquire),
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; bytes]),
        }
    }

    /// The README's promise: "At most 64 MB of answers are kept."
    #[tokio::test]
    async fn holds_at_most_64_mb_of_answers() {
        const README: usize = 64 * 1024 * 1024;
        let cache = cache().await;
        let mut kept = 0;
        for i in 0..100 {
            let key = format!("/api/v1/articles?i={i}");
            cache.put(key.clone(), entry(&cache, 1024 * 1024));
            assert!(cache.0.bytes.load(Ordering::Acquire) <= README, "over 64 MB after {i} answers");
            assert!(cache.get(&key).is_some(), "the newest answer is kept");
            kept = kept.max(cache.0.entries.read().unwrap().len());
        }
        // It fills up to the cap before starting over.
        assert!(kept >= 63, "kept at most {kept} answers of 1 MiB");
        // One answer past the size of an entry is never kept.
        cache.put("big".into(), entry(&cache, MAX_ENTRY + 1));
        assert!(cache.get("big").is_none());
    }
}
