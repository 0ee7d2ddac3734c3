//! Automatic persisted queries (Apollo's protocol): a client sends only the SHA-256 of a
//! query it sent before, so a GET URL stays short and the same for every reader, and a CDN
//! can cache it. The first time, the server answers `PERSISTED_QUERY_NOT_FOUND` and the
//! client sends the query with its hash; the server checks the hash and keeps the text.
//! Resolved before anything else, so a persisted mutation is still refused over GET.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Queries kept; past it the store starts over (clients simply send the text again).
const CAPACITY: usize = 10_000;
/// Longer queries are not kept.
const MAX_QUERY: usize = 64 * 1024;

#[derive(Clone, Default)]
pub struct PersistedQueries(Arc<Mutex<HashMap<String, String>>>);

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
                let text = store.get(&hash).cloned().ok_or(PersistedError::NotFound)?;
                params.insert("query".into(), Value::String(text));
                Ok(())
            }
            Some(text) => {
                if format!("{:x}", Sha256::digest(text.as_bytes())) != hash {
                    return Err(PersistedError::Invalid("persistedQuery: sha256Hash does not match the query"));
                }
                if text.len() <= MAX_QUERY {
                    let mut store = self.0.lock().unwrap_or_else(|e| e.into_inner());
                    if store.len() >= CAPACITY {
                        store.clear();
                    }
                    store.insert(hash, text.to_string());
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
}
