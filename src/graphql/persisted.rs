//! Automatic persisted queries (Apollo's protocol): a client sends only the SHA-256 of a
//! query it sent before, so a GET URL stays short and the same for every reader, and a CDN
//! can cache it. The first time, the server answers `PERSISTED_QUERY_NOT_FOUND` and the
//! client sends the query with its hash; the server checks the hash and keeps the text.
//! Resolved before anything else, so a persisted mutation is still refused over GET.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Queries kept, and their bytes; past either the store starts over (clients simply send
/// the text again). Without the byte bound, 10,000 queries of 32 KiB would hold 320 MB.
const CAPACITY: usize = 10_000;
const CAPACITY_BYTES: usize = 16 * 1024 * 1024;
/// Longer queries are not kept (nor run).
const MAX_QUERY: usize = super::limits::MAX_QUERY_BYTES;

#[derive(Clone, Default)]
pub struct PersistedQueries(Arc<Mutex<Store>>);

#[derive(Default)]
struct Store {
    queries: HashMap<String, String>,
    bytes: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PersistedError {
    /// The client must send the query text with its hash.
    NotFound,
    /// Anything else wrong with the `persistedQuery` extension.
    Invalid(&'static str),
}

impl PersistedQueries {
    /// Fills `query` from the store when the request carries only a hash, and stores the
    /// text of one that carries both.
    pub fn resolve(&self, params: &mut Map<String, Value>) -> Result<(), PersistedError> {
        let Some(pq) = params.get("extensions").and_then(|e| e.get("persistedQuery")) else { return Ok(()) };
        if pq.get("version").and_then(Value::as_i64) != Some(1) {
            return Err(PersistedError::Invalid("persistedQuery: only version 1 is supported"));
        }
        let Some(hash) = pq.get("sha256Hash").and_then(Value::as_str).map(str::to_ascii_lowercase) else {
            return Err(PersistedError::Invalid("persistedQuery: sha256Hash is required"));
        };
        match params.get("query").and_then(Value::as_str) {
            None | Some("") => {
                let store = self.0.lock().unwrap_or_else(|e| e.into_inner());
                let text = store.queries.get(&hash).cloned().ok_or(PersistedError::NotFound)?;
                params.insert("query".into(), Value::String(text));
                Ok(())
            }
            Some(text) => {
                if format!("{:x}", Sha256::digest(text.as_bytes())) != hash {
                    return Err(PersistedError::Invalid("persistedQuery: sha256Hash does not match the query"));
                }
                if text.len() <= MAX_QUERY {
                    let mut store = self.0.lock().unwrap_or_else(|e| e.into_inner());
                    if !store.queries.contains_key(&hash) {
                        if store.queries.len() >= CAPACITY || store.bytes + text.len() > CAPACITY_BYTES {
                            *store = Store::default();
                        }
                        store.bytes += text.len();
                        store.queries.insert(hash, text.to_string());
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_hash_alone_works_once_the_text_was_sent() {
        let store = PersistedQueries::default();
        let query = "{ site { title } }";
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let mut only_hash = params(json!({ "extensions": ext }));
        assert_eq!(store.resolve(&mut only_hash), Err(PersistedError::NotFound));
        let mut both = params(json!({ "query": query, "extensions": ext }));
        assert_eq!(store.resolve(&mut both), Ok(()));
        assert_eq!(store.resolve(&mut only_hash), Ok(()));
        assert_eq!(only_hash["query"], query);
        let mut wrong = params(json!({ "query": "{ me { id } }", "extensions": ext }));
        assert!(matches!(store.resolve(&mut wrong), Err(PersistedError::Invalid(_))));
        let mut v2 = params(json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": "x" } } }));
        assert!(matches!(store.resolve(&mut v2), Err(PersistedError::Invalid(_))));
        let mut plain = params(json!({ "query": query }));
        assert_eq!(store.resolve(&mut plain), Ok(()));
    }

    /// Sends `query` with its hash; whether a hash alone then finds it.
    fn register(store: &PersistedQueries, query: &str) -> String {
        let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        assert_eq!(store.resolve(&mut params(json!({ "query": query, "extensions": ext }))), Ok(()));
        hash
    }

    fn known(store: &PersistedQueries, hash: &str) -> bool {
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        store.resolve(&mut params(json!({ "extensions": ext }))).is_ok()
    }

    /// The README: "the server keeps up to 10,000 queries".
    #[test]
    fn keeps_up_to_10_000_queries() {
        let store = PersistedQueries::default();
        let first = register(&store, "{ site { title } } # 0");
        let mut last = first.clone();
        for i in 1..10_000 {
            last = register(&store, &format!("{{ site {{ title }} }} # {i}"));
        }
        assert!(known(&store, &first) && known(&store, &last), "all 10,000 are kept");
        let next = register(&store, "{ site { title } } # 10000");
        assert!(known(&store, &next));
        assert!(!known(&store, &first), "the 10,001st starts the store over");
    }

    /// Long queries fill the store by bytes before they reach the count.
    #[test]
    fn keeps_at_most_16_mib_of_query_text() {
        let store = PersistedQueries::default();
        let long = |i: usize| format!("{{ site {{ title }} }} # {i} {}", "x".repeat(30 * 1024));
        let first = register(&store, &long(0));
        // 540 of about 30 KiB: 16.6 MB, under 16 MiB (16.8 MB).
        for i in 1..540 {
            register(&store, &long(i));
        }
        assert!(known(&store, &first), "under 16 MiB everything is kept");
        for i in 0..10 {
            register(&store, &long(1_000 + i));
        }
        assert!(!known(&store, &first), "past 16 MiB the store starts over");
        assert!(store.0.lock().unwrap().bytes <= 16 * 1024 * 1024);
    }
}
