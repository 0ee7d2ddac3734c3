//! Slugs of any name: valid or empty, and slugging a slug changes nothing.
#![no_main]
use colophon::content::text::{is_valid_slug, slugify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|name: &str| {
    let slug = slugify(name);
    assert!(slug.is_empty() || is_valid_slug(&slug), "{name:?} -> {slug:?}");
    assert_eq!(slugify(&slug), slug, "{name:?}");
});
