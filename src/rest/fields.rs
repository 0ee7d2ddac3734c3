//! Schema components for the kinds of text the write bodies take, so `openapi.yaml` states
//! the same limits the service's `Checker` enforces: lengths count characters, NUL is never
//! accepted, and "blank" is Rust's `char::is_whitespace`, spelled out for JSON Schema
//! regexes. They only describe: the bodies still deserialize into plain `String`s.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// No NUL anywhere.
const NO_NUL: &str = "^[^\\u0000]*$";
/// No NUL, and at least one character that is not whitespace.
const NOT_BLANK: &str =
    "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";

macro_rules! text_kind {
    ($(#[doc = $doc:literal])* $name:ident { min: $min:expr, max: $max:expr, pattern: $pattern:expr }) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let doc = [$($doc),*].iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some(doc))
                    .min_length($min)
                    .max_length($max)
                    .pattern(Some($pattern))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_kind! {
    /// A URL slug: lowercase ASCII letters or digits in words joined by single hyphens,
    /// like `my-first-post`.
    Slug { min: Some(1), max: Some(200), pattern: "^[a-z0-9]+(-[a-z0-9]+)*$" }
}
text_kind! {
    /// A title: 1–300 characters, not blank.
    Title { min: Some(1), max: Some(300), pattern: NOT_BLANK }
}
text_kind! {
    /// A tag, category or person's name: 1–100 characters with at least one letter or digit
    /// (the slug is made from it).
    Name { min: Some(1), max: Some(100), pattern: NOT_BLANK }
}
text_kind! {
    /// An absolute http:// or https:// URL without spaces or control characters.
    WebUrl {
        min: None,
        max: Some(2048),
        pattern: "^https?://[^\\u0000-\\u0020\\u007f-\\u009f\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+$"
    }
}
text_kind! {
    /// Markdown, at most 1 MiB of UTF-8.
    Markdown { min: None, max: None, pattern: NO_NUL }
}
text_kind! {
    /// Plain text of at most 5000 characters.
    Description { min: None, max: Some(5000), pattern: NO_NUL }
}
text_kind! {
    /// Plain text of at most 1000 characters.
    ShortText { min: None, max: Some(1000), pattern: NO_NUL }
}
text_kind! {
    /// Plain text of at most 500 characters.
    SeoDescription { min: None, max: Some(500), pattern: NO_NUL }
}
text_kind! {
    /// Plain text of at most 300 characters.
    SeoTitle { min: None, max: Some(300), pattern: NO_NUL }
}
