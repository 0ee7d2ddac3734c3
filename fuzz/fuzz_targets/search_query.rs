//! Any search text becomes an FTS5 query of quoted words only: nothing the reader typed
//! can be query syntax.
#![no_main]
use colophon::content::search::fts5_query;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match fts5_query(text) {
        None => assert!(!text.chars().any(char::is_alphanumeric), "{text:?}"),
        Some(q) => {
            let terms: Vec<&str> = q.split(' ').collect();
            assert!(!terms.is_empty() && terms.len() <= 32, "{q:?}");
            for t in terms {
                let inner = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).expect("quoted");
                assert!(!inner.is_empty() && inner.chars().all(char::is_alphanumeric), "{q:?}");
            }
        }
    }
});
