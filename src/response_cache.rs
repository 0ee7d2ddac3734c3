//! The in-process response cache for anonymous reads (`COLOPHON_RESPONSE_CACHE=off` turns
//! it off): GETs of the API, the feeds and GraphQL, and GraphQL queries sent by POST.
//! Correctness before hit rate: every write readers can see names the keys it changed in
//! the purge log (`content::purges`), and the entries that carry one of those keys are
//! dropped. The keys are the ones `Surrogate-Key` gives CDNs. A draft saved every few
//! seconds purges nothing.
//!
//! - Writes through this process: the log is read as their response leaves (any successful
//!   request other than GET or HEAD, except those marked [`ReadOnly`]).
//! - Writes by other processes: on PostgreSQL the log's inserts `NOTIFY colophon_changes`
//!   with their keys, and every instance LISTENs; on SQLite the log is read on the request
//!   path, at most every 2 ms.
//! - A scheduled article becomes visible at its time with no write at all: when the next
//!   publication time comes, the cache drops what that publication would (`came_due`).
//!
//! Every purge bumps a generation; an answer computed while one landed is not stored.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::DbBackend;

use crate::content::Content;
use crate::content::purges::{self, Since, keys};
use crate::http_cache::SurrogateKeys;

/// Bodies kept in memory at most; past it the cache starts over.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// A single answer larger than this is not kept.
const MAX_ENTRY: usize = 2 * 1024 * 1024;
/// SQLite: how often the purge log is read for other processes' writes, at most (µs).
const LOG_EVERY_US: u64 = 2_000;
/// Purges read from the log at once; further behind than that, the cache starts over.
const MAX_PURGES: u64 = 256;
/// A GraphQL request sent by POST is answered from the cache only up to this size (a
/// document may have 32 KiB; variables beside it). Larger ones pass straight through.
const MAX_POST: usize = 64 * 1024;

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
    /// Every kept answer shows the scheduled articles due up to this time (µs since the
    /// epoch): the next publication is looked for after it, not after "now", so one that
    /// fell due while no request came still drops what shows it.
    covered_until: AtomicI64,
    /// Reads the purge log and the next scheduled publication, and says what time it is.
    content: Content,
    /// The last purge read or heard (-1: none yet).
    seen: AtomicI64,
    /// SQLite: when the log was last read (µs after `started`), and whether a read is under
    /// way. Requests never wait for it: the one that finds the log due starts a read in the
    /// background and is answered at once, as are the others meanwhile.
    log_read_at: AtomicU64,
    log_reading: AtomicBool,
    started: Instant,
    /// Keys being computed now, and how their waiters learn it is done (the sender drops).
    inflight: std::sync::Mutex<HashMap<String, tokio::sync::watch::Receiver<()>>>,
}

struct Entry {
    /// What the answer shows (its `Surrogate-Key`s); none: it may show anything.
    keys: Vec<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Entry {
    fn size(&self, key: &str) -> usize {
        self.body.len() + key.len()
    }

    /// The kept answer, or 304 to a matching `If-None-Match`. Marked [`ReadOnly`]: a query
    /// sent by POST would otherwise look like a write to the layers outside.
    fn answer(&self, if_none_match: Option<&HeaderValue>) -> Response {
        let mut res = answer(&self.headers, self.body.clone(), if_none_match, "hit");
        res.extensions_mut().insert(ReadOnly);
        res
    }

    /// Whether a purge of these keys drops it. GraphQL answers name no finer keys than
    /// `graphql`, and an answer with no keys could show anything: every purge drops both.
    fn purged_by(&self, purged: &HashSet<&str>) -> bool {
        self.keys.is_empty() || self.keys.iter().any(|k| k == keys::GRAPHQL || purged.contains(k.as_str()))
    }
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
            // Empty now: nothing kept can be older.
            covered_until: AtomicI64::new(content.now().timestamp_micros()),
            content,
            seen: AtomicI64::new(-1),
            log_read_at: AtomicU64::new(0),
            log_reading: AtomicBool::new(false),
            started: Instant::now(),
            inflight: Default::default(),
        }))
    }

    pub fn enabled(&self) -> bool {
        self.0.enabled.load(Ordering::Acquire)
    }

    /// Forget everything.
    pub fn invalidate(&self) {
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        let mut entries = self.0.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.clear();
        self.0.bytes.store(0, Ordering::Release);
    }

    /// Drops the answers that show any of `purged` (one purge's keys; see `content::purges`).
    pub fn purge<'a>(&self, purged: impl IntoIterator<Item = &'a str>) {
        let purged: HashSet<&str> = purged.into_iter().filter(|k| !k.is_empty()).collect();
        if purged.contains(keys::EVERYTHING) {
            return self.invalidate();
        }
        // Even a purge that drops nothing (a schedule moved) makes the next request ask for
        // the next publication time again.
        self.0.generation.fetch_add(1, Ordering::AcqRel);
        if purged.iter().all(|k| *k == keys::SCHEDULE) {
            return;
        }
        let mut entries = self.0.entries.write().unwrap_or_else(|e| e.into_inner());
        let mut freed = 0;
        entries.retain(|key, entry| {
            let drop = entry.purged_by(&purged);
            if drop {
                freed += entry.size(key);
            }
            !drop
        });
        self.0.bytes.fetch_sub(freed, Ordering::AcqRel);
    }

    /// Reads the purge log past the last purge seen, and drops what those purges name.
    pub async fn sync(&self) {
        let seen = self.0.seen.load(Ordering::Acquire);
        let seen = i32::try_from(seen).unwrap_or(-1);
        match purges::since(self.0.content.db(), seen, MAX_PURGES).await {
            Ok(Since::Purges(list, last)) => {
                for purge in &list {
                    self.purge(purge.split(' '));
                }
                self.0.seen.fetch_max(i64::from(last), Ordering::AcqRel);
            }
            Ok(Since::TooFar(last)) => {
                self.invalidate();
                self.0.seen.fetch_max(i64::from(last), Ordering::AcqRel);
            }
            // Unknown means "anything may have changed": keep nothing.
            Err(e) => {
                tracing::warn!(error = %e, "response cache: cannot read the purge log; emptied");
                self.invalidate();
            }
        }
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
                    Ok(mut listener) => listener.listen(migration::PURGE_CHANNEL).await.map(|()| listener),
                    Err(e) => Err(e),
                };
                match listening {
                    Ok(mut listener) => {
                        // Whatever was missed while not listening: start over from the newest.
                        cache.0.seen.store(-1, Ordering::Release);
                        cache.sync().await;
                        cache.0.enabled.store(true, Ordering::Release);
                        // `recv` would reconnect by itself and drop what was sent meanwhile;
                        // `try_recv` says when the connection was lost, and the log has it all.
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(note)) => cache.heard(note.payload()).await,
                                Ok(None) => {
                                    tracing::warn!("response cache: the LISTEN connection dropped; reading the log");
                                    cache.sync().await;
                                }
                                Err(_) => break,
                            }
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

    /// A purge announced on PostgreSQL: `<id> <keys>`. Purges arrive in commit order,
    /// which is their ids' order, so the id is the last one seen; one past the next
    /// expected means some went unheard, and the log has them.
    async fn heard(&self, payload: &str) {
        let (id, purged) = payload.split_once(' ').unwrap_or((payload, keys::EVERYTHING));
        let Ok(id) = id.parse::<i64>() else { return self.invalidate() };
        let seen = self.0.seen.load(Ordering::Acquire);
        if seen >= 0 && id > seen + 1 {
            return self.sync().await;
        }
        self.purge(purged.split(' '));
        self.0.seen.fetch_max(id, Ordering::AcqRel);
    }

    /// Hears another process's writes (SQLite; on PostgreSQL the LISTEN hears them), and
    /// drops what a scheduled article coming into view shows once its time has come.
    async fn freshen(&self) {
        if self.0.content.db().get_database_backend() == DbBackend::Sqlite {
            let now = self.0.started.elapsed().as_micros() as u64;
            let due = now.saturating_sub(self.0.log_read_at.load(Ordering::Acquire)) >= LOG_EVERY_US;
            if self.0.seen.load(Ordering::Acquire) < 0 {
                // Never read: what this request computes must come after a read, or a
                // purge from before it could be taken as heard without being applied.
                self.sync().await;
            } else if due && !self.0.log_reading.swap(true, Ordering::AcqRel) {
                self.0.log_read_at.store(now, Ordering::Release);
                // Cleared however the read ends, so reading never stops for good.
                struct Reading(ResponseCache);
                impl Drop for Reading {
                    fn drop(&mut self) {
                        self.0.0.log_reading.store(false, Ordering::Release);
                    }
                }
                let reading = Reading(self.clone());
                tokio::spawn(async move { reading.0.sync().await });
            }
        }
        let generation = self.0.generation.load(Ordering::Acquire);
        if self.0.due_generation.load(Ordering::Acquire) != generation {
            let _one_at_a_time = self.0.due_lock.lock().await;
            if self.0.due_generation.load(Ordering::Acquire) != generation {
                let covered = self.0.covered_until.load(Ordering::Acquire);
                let after = chrono::DateTime::from_timestamp_micros(covered).unwrap_or_default();
                let next = match self.0.content.next_publication(after).await {
                    Ok(next) => next.map_or(i64::MAX, |at| at.timestamp_micros()),
                    // Unknown means "could be any moment": keep nothing.
                    Err(_) => i64::MIN,
                };
                self.0.due_at.store(next, Ordering::Release);
                self.0.due_generation.store(generation, Ordering::Release);
            }
        }
        let due = self.0.due_at.load(Ordering::Acquire);
        if due <= self.0.content.now().timestamp_micros() {
            self.came_due(due).await;
        }
    }

    /// A scheduled article's time has come: drop exactly what its publication would drop.
    /// Requests that find it due wait here, so none answers from what is being dropped.
    async fn came_due(&self, due: i64) {
        let _one_at_a_time = self.0.due_lock.lock().await;
        if self.0.due_at.load(Ordering::Acquire) != due {
            return; // another request dropped it
        }
        let now = self.0.content.now();
        match chrono::DateTime::from_timestamp_micros(due) {
            Some(from) => match self.0.content.came_due(from, now).await {
                Ok(purged) => self.purge(purged.iter().map(String::as_str)),
                Err(e) => {
                    tracing::warn!(error = %e, "response cache: cannot tell what came due; emptied");
                    self.invalidate();
                }
            },
            // The next publication time could not be read: it could be any moment.
            None => self.invalidate(),
        }
        // Dropped exactly or emptied: either way nothing kept misses what is due until now.
        self.0.covered_until.fetch_max(now.timestamp_micros(), Ordering::AcqRel);
        // The purge began a new generation: the next request reads the next time again.
        self.0.due_at.store(i64::MAX, Ordering::Release);
    }

    /// The first miss of a key computes it; the others at the same moment wait for it.
    fn lead(&self, key: &str) -> Lead {
        let mut inflight = self.0.inflight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = inflight.get(key) {
            return Lead::Follow(done.clone());
        }
        let (tx, rx) = tokio::sync::watch::channel(());
        inflight.insert(key.to_string(), rx);
        Lead::First(Leading { cache: self.clone(), key: key.to_string(), _done: tx })
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.0.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).cloned()
    }

    /// Keeps an answer computed in `generation`, unless anything was purged since.
    fn put(&self, key: String, generation: u64, entry: Entry) {
        let size = entry.size(&key);
        if size > MAX_ENTRY {
            return;
        }
        let mut entries = self.0.entries.write().unwrap_or_else(|e| e.into_inner());
        // Stored only if nothing was purged while the answer was computed.
        if generation != self.0.generation.load(Ordering::Acquire) {
            return;
        }
        if self.0.bytes.load(Ordering::Acquire) + size > MAX_BYTES {
            entries.clear();
            self.0.bytes.store(0, Ordering::Release);
        }
        self.0.bytes.fetch_add(size, Ordering::AcqRel);
        if let Some(old) = entries.insert(key.clone(), Arc::new(entry)) {
            self.0.bytes.fetch_sub(old.size(&key), Ordering::AcqRel);
        }
    }
}

/// Anonymous GETs of the API, the feeds and GraphQL; never anything asked with credentials
/// or a preview token.
fn get_key(req: &Request) -> Option<String> {
    let uri = req.uri();
    let path = uri.path();
    let api = path.starts_with("/api/v1/") && path != "/api/v1/openapi.yaml";
    if req.method() != Method::GET || !(api || path == "/graphql" || crate::feeds::is_feed_path(path)) {
        return None;
    }
    if crate::http_cache::with_credentials(req) || req.headers().contains_key(header::UPGRADE) {
        return None;
    }
    // GraphiQL (text/html) and the two JSON media types are different answers.
    Some(format!("{}\n{}", uri, accept(req.headers())))
}

fn accept(headers: &HeaderMap) -> &str {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// An anonymous GraphQL request sent by POST, small enough to read here: its key (the
/// normalised document, the operation name and the variables), and the request again with
/// its body. Anything else comes back as it was, without a key.
async fn post_key(req: Request) -> (Request, Option<String>) {
    // Known to be small: a `Content-Length` within the bound (a chunked body is not read).
    let small = axum::body::HttpBody::size_hint(req.body()).upper().is_some_and(|n| n <= MAX_POST as u64);
    if req.method() != Method::POST
        || req.uri().path() != "/graphql"
        || !small
        || crate::http_cache::with_credentials(&req)
    {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_POST).await else {
        // Shorter than it said; the handler would not have read it either.
        return (Request::from_parts(parts, Body::empty()), None);
    };
    let key = graphql_key(&bytes).map(|k| {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        format!("POST /graphql\n{}\n{content_type}\n{k}", accept(&parts.headers))
    });
    (Request::from_parts(parts, Body::from(bytes)), key)
}

/// A GraphQL request body as this cache reads it: these fields and no other.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PostParams<'a> {
    #[serde(borrow)]
    query: std::borrow::Cow<'a, str>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The normalised document, the operation name and the variables of a GraphQL request body,
/// or `None` when it is not one this cache can key: not a JSON object of those fields, or
/// carrying `extensions` (an automatic persisted query registers itself when it runs, so it
/// must). Read into a struct rather than a JSON value, and written without one: both were
/// a tenth of a cached POST's CPU.
fn graphql_key(body: &[u8]) -> Option<String> {
    use std::fmt::Write as _;
    let params: PostParams = serde_json::from_slice(body).ok()?;
    // Over the limit it is refused by its length, which its key would not show.
    if params.query.len() > crate::graphql::limits::MAX_QUERY_BYTES
        || params.extensions.as_ref().is_some_and(|e| !e.is_empty())
    {
        return None;
    }
    let document = normalise(&params.query)?;
    let variables = canonical(&serde_json::Value::Object(params.variables.unwrap_or_default()));
    // Each part after its length, so no part can run into the next; an empty name is not an
    // absent one (`-`).
    let mut key = String::with_capacity(document.len() + variables.len() + 32);
    let _ = writeln!(key, "{}:{document}", document.len());
    match params.operation_name {
        Some(name) => {
            let _ = writeln!(key, "{}:{name}", name.len());
        }
        None => key.push_str("-\n"),
    }
    key.push_str(&variables);
    Some(key)
}

/// JSON with object keys sorted, whatever order the client wrote them in.
fn canonical(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut fields: Vec<_> = map.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// A GraphQL document with its insignificant characters (whitespace, commas, comments)
/// reduced to the single spaces that keep two names or numbers apart: two documents that
/// differ only in layout get one key. Strings are kept byte for byte, and a space stays
/// wherever joining would make another token (`. . .` is not `...`, nor `- 1` `-1`), so an
/// invalid document never shares a valid one's key. `None` for a document whose strings do
/// not end (validation refuses it anyway).
fn normalise(doc: &str) -> Option<String> {
    let bytes = doc.as_bytes();
    let mut out = String::with_capacity(doc.len());
    let mut gap = false;
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                gap = true;
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                gap = true;
            }
            b'"' => {
                let start = i;
                if bytes[i..].starts_with(b"\"\"\"") {
                    // A block string ends at the first `"""` not escaped as `\"""`.
                    i += 3;
                    loop {
                        if i >= bytes.len() {
                            return None;
                        }
                        if bytes[i..].starts_with(b"\\\"\"\"") {
                            i += 4;
                        } else if bytes[i..].starts_with(b"\"\"\"") {
                            i += 3;
                            break;
                        } else {
                            i += 1;
                        }
                    }
                } else {
                    i += 1;
                    loop {
                        match bytes.get(i)? {
                            b'\\' => i += 2,
                            b'"' => {
                                i += 1;
                                break;
                            }
                            b'\n' | b'\r' => return None,
                            _ => i += 1,
                        }
                    }
                }
                out.push_str(doc.get(start..i)?);
                gap = false;
            }
            _ => {
                // The BOM is ignored like whitespace; everything else is kept.
                if doc[i..].starts_with('\u{feff}') {
                    gap = true;
                    i += 3;
                    continue;
                }
                if gap && out.as_bytes().last().is_some_and(|&l| word(l)) && word(b) {
                    out.push(' ');
                }
                gap = false;
                let len = doc[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&doc[i..i + len]);
                i += len;
            }
        }
    }
    Some(out)
}

pub async fn layer(State(cache): State<ResponseCache>, req: Request, next: Next) -> Response {
    if !cache.enabled() {
        return next.run(req).await;
    }
    let (mut req, key) = match get_key(&req) {
        Some(key) => (req, Some(key)),
        None => post_key(req).await,
    };
    let method = req.method().clone();
    let Some(key) = key else {
        let res = next.run(req).await;
        // A write that readers cannot see (a draft) purges nothing, and reading the log says so.
        if may_have_written(&method, &res) {
            cache.sync().await;
        }
        return res;
    };
    cache.freshen().await;
    let if_none_match = req.headers_mut().remove(header::IF_NONE_MATCH);
    if let Some(hit) = cache.get(&key) {
        return hit.answer(if_none_match.as_ref());
    }
    // Misses of one key at once compute it once: the others wait for the first and take its
    // answer from the cache. A publication would otherwise send every reader of a page down
    // the uncached path together. Whoever finds nothing kept after waiting computes its own.
    let _leading = match cache.lead(&key) {
        Lead::First(leading) => Some(leading),
        Lead::Follow(mut done) => {
            let _ = done.changed().await;
            if let Some(hit) = cache.get(&key) {
                return hit.answer(if_none_match.as_ref());
            }
            None
        }
    };
    let generation = cache.0.generation.load(Ordering::Acquire);
    let res = next.run(req).await;
    if may_have_written(&method, &res) {
        // A mutation sent by POST without credentials (a sign-in): never kept.
        cache.sync().await;
        return res;
    }
    let keep = match method {
        Method::POST => res.extensions().get::<Shareable>().is_some(),
        _ => crate::http_cache::cacheable(&res),
    };
    if !keep {
        return res;
    }
    // Too big to keep: passed on as it is, never buffered here.
    if axum::body::HttpBody::size_hint(res.body()).upper().is_none_or(|n| n > MAX_ENTRY as u64) {
        return res;
    }
    let shows = res.extensions().get::<SurrogateKeys>().map(|k| k.0.clone()).unwrap_or_default();
    let (parts, body) = res.into_parts();
    let Ok(body) = to_bytes(body, MAX_ENTRY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large to buffer").into_response();
    };
    cache.put(key, generation, Entry { keys: shows, headers: parts.headers.clone(), body: body.clone() });
    answer(&parts.headers, body, if_none_match.as_ref(), "miss")
}

enum Lead {
    First(Leading),
    Follow(tokio::sync::watch::Receiver<()>),
}

/// The first miss of a key, computing it. Dropped (answer kept, refused or the request
/// cancelled), it leaves the in-flight map and then drops its sender, which wakes the
/// waiters.
struct Leading {
    cache: ResponseCache,
    key: String,
    _done: tokio::sync::watch::Sender<()>,
}

impl Drop for Leading {
    fn drop(&mut self) {
        let mut inflight = self.cache.0.inflight.lock().unwrap_or_else(|e| e.into_inner());
        inflight.remove(&self.key);
    }
}

/// Marks a non-GET answer that changed nothing (a GraphQL query sent by POST).
#[derive(Clone, Copy, Debug)]
pub struct ReadOnly;

/// Whether answering this request may have committed a change: a successful request other
/// than GET or HEAD not marked [`ReadOnly`]. A refused write changed nothing.
pub fn may_have_written(method: &Method, res: &Response) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
        && res.status().is_success()
        && res.extensions().get::<ReadOnly>().is_none()
}

/// Marks a GraphQL answer to a POST that any anonymous client may be given: a query that
/// ran without errors and opened no draft.
#[derive(Clone, Copy, Debug)]
pub struct Shareable;

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
        // Through `db::connect`, as every SQLite open in this process: SQLite's process-wide
        // settings are made before it first opens a file.
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        ResponseCache::new(Content::new(db), true)
    }

    fn entry(bytes: usize, shows: &[&str]) -> Entry {
        Entry {
            keys: shows.iter().map(|k| k.to_string()).collect(),
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; bytes]),
        }
    }

    fn generation(cache: &ResponseCache) -> u64 {
        cache.0.generation.load(Ordering::Acquire)
    }

    /// The README's promise: "At most 64 MB of answers are kept."
    #[tokio::test]
    async fn holds_at_most_64_mb_of_answers() {
        const README: usize = 64 * 1024 * 1024;
        let cache = cache().await;
        let mut kept = 0;
        for i in 0..100 {
            let key = format!("/api/v1/articles?i={i}");
            cache.put(key.clone(), generation(&cache), entry(1024 * 1024, &["articles"]));
            assert!(cache.0.bytes.load(Ordering::Acquire) <= README, "over 64 MB after {i} answers");
            assert!(cache.get(&key).is_some(), "the newest answer is kept");
            kept = kept.max(cache.0.entries.read().unwrap().len());
        }
        // It fills up to the cap before starting over.
        assert!(kept >= 63, "kept at most {kept} answers of 1 MiB");
        // One answer past the size of an entry is never kept.
        cache.put("big".into(), generation(&cache), entry(MAX_ENTRY + 1, &[]));
        assert!(cache.get("big").is_none());
    }

    #[tokio::test]
    async fn a_purge_drops_what_shows_its_keys_and_counts_the_bytes_freed() {
        let cache = cache().await;
        let g = generation(&cache);
        cache.put("home".into(), g, entry(10, &["articles", "article-1"]));
        cache.put("tag-a".into(), g, entry(10, &["tag-1", "article-1"]));
        cache.put("tag-b".into(), g, entry(10, &["tag-2", "article-2"]));
        cache.put("graphql".into(), g, entry(10, &["graphql"]));
        cache.put("unkeyed".into(), g, entry(10, &[]));
        // A schedule moved: nothing dropped.
        cache.purge(["schedule"]);
        assert_eq!(cache.0.entries.read().unwrap().len(), 5);
        cache.purge(["tag-1"]);
        for (key, kept) in [("home", true), ("tag-a", false), ("tag-b", true), ("graphql", false), ("unkeyed", false)] {
            assert_eq!(cache.get(key).is_some(), kept, "{key}");
        }
        assert_eq!(cache.0.bytes.load(Ordering::Acquire), "home".len() + "tag-b".len() + 20);
        // An answer computed across a purge is not kept.
        cache.purge(["article-9"]);
        cache.put("late".into(), g, entry(10, &["tag-2"]));
        assert!(cache.get("late").is_none());
        cache.purge(["*"]);
        assert_eq!(cache.0.bytes.load(Ordering::Acquire), 0);
        assert!(cache.get("home").is_none());
    }

    #[test]
    fn documents_that_differ_only_in_layout_share_a_key() {
        let a = "query Home($n: Int) {\n  articles(first: $n) { nodes { slug, title } }\n} # trailing";
        let b = "query Home($n:Int){articles(first:$n){nodes{slug title}}}";
        assert_eq!(normalise(a), normalise(b));
        assert_eq!(normalise(b).unwrap(), b);
        // Names and numbers stay apart; strings are kept as written.
        assert_eq!(normalise("{ a(x: 1 , y: 2) @skip(if: false) }").unwrap(), "{a(x:1 y:2)@skip(if:false)}");
        assert_eq!(normalise("{ a(s: \"x,  # y\") }").unwrap(), "{a(s:\"x,  # y\")}");
        assert_eq!(normalise("{ a(s: \"\"\"b \\\"\"\" ,c\"\"\") }").unwrap(), "{a(s:\"\"\"b \\\"\"\" ,c\"\"\")}");
        assert_ne!(normalise("{ a(s: \"x y\") }"), normalise("{ a(s: \"x  y\") }"));
        assert_eq!(normalise("{ a(s: \"open) }"), None);
        assert_eq!(normalise("{ ...on A { b } }").unwrap(), "{...on A{b}}");
        assert_eq!(normalise("{ ... on A { b } }").unwrap(), "{... on A{b}}");
        assert_ne!(normalise("{ a(x: - 1) }"), normalise("{ a(x: -1) }"));
        assert_ne!(normalise("{ . . . F }"), normalise("{ ...F }"));
    }

    #[test]
    fn requests_are_keyed_by_document_name_and_variables() {
        let key = |v: serde_json::Value| graphql_key(v.to_string().as_bytes());
        let a = key(serde_json::json!({ "query": "{ a }", "variables": { "x": 1, "y": [1, { "b": 2, "a": 1 }] } }));
        let b = key(serde_json::json!({ "query": "{a}", "variables": { "y": [1, { "a": 1, "b": 2 }], "x": 1 } }));
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(a, key(serde_json::json!({ "query": "{ a }", "variables": { "x": 2 } })));
        assert_ne!(
            key(serde_json::json!({ "query": "query A { a } query B { b }", "operationName": "A" })),
            key(serde_json::json!({ "query": "query A { a } query B { b }", "operationName": "B" }))
        );
        assert_eq!(
            key(serde_json::json!({ "query": "{ a }" })),
            key(serde_json::json!({ "query": "{ a }", "variables": null, "extensions": {} }))
        );
        assert_ne!(
            key(serde_json::json!({ "query": "{ a }" })),
            key(serde_json::json!({ "query": "{ a }", "operationName": "" }))
        );
        // A name is a part of its own: a document whose text ends like one is another key.
        assert_ne!(
            key(serde_json::json!({ "query": "{ a }", "operationName": "b" })),
            key(serde_json::json!({ "query": "{ a(s: \"\"\"x\n1:b\"\"\") }" }))
        );
        for not_keyed in [
            serde_json::json!({ "query": "{ a }", "extensions": { "persistedQuery": { "version": 1 } } }),
            serde_json::json!({ "extensions": { "persistedQuery": { "version": 1 } } }),
            serde_json::json!({ "query": 1 }),
            serde_json::json!({ "query": "{ a }", "variables": [] }),
            serde_json::json!({ "query": "{ a }", "other": 1 }),
            serde_json::json!({ "query": "{ a }", "operationName": 7 }),
            serde_json::json!({ "query": "{ a }", "extensions": [] }),
            serde_json::json!([{ "query": "{ a }" }]),
        ] {
            assert_eq!(key(not_keyed.clone()), None, "{not_keyed}");
        }
    }
}
