//! Excerpts of any text: at most the limit, whitespace collapsed, and the text's own words
//! in order (the last one cut only when a single word is longer than the limit).
#![no_main]
use colophon::content::text::{EXCERPT_MAX_CHARS, excerpt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|plain: &str| {
    let e = excerpt(plain);
    assert!(e.chars().count() <= EXCERPT_MAX_CHARS, "{} chars", e.chars().count());
    assert!(!e.contains("  ") && !e.starts_with(char::is_whitespace), "{e:?}");
    let kept = e.strip_suffix('…').unwrap_or(&e);
    let words: Vec<&str> = plain.split_whitespace().collect();
    let kept_words: Vec<&str> = kept.split_whitespace().collect();
    assert!(kept_words.len() <= words.len());
    if let Some((last, whole)) = kept_words.split_last() {
        assert_eq!(whole, &words[..whole.len()], "{e:?}");
        assert!(words[whole.len()].starts_with(last), "{e:?}");
    }
});
