//! Inputs to article commands and their validation. Field names in errors are the REST
//! (snake_case) names; the GraphQL face renames them.

use super::text::is_valid_slug;
use super::{ContentError, FieldError, Result};

pub const TITLE_MAX: usize = 300;
pub const BODY_MAX_BYTES: usize = 1024 * 1024;
pub const EXCERPT_MAX: usize = 1000;
pub const NAME_MAX: usize = 100;
pub const URL_MAX: usize = 2048;
pub const SEO_TITLE_MAX: usize = 300;
pub const SEO_DESCRIPTION_MAX: usize = 500;
pub const TAGS_MAX: usize = 20;
pub const SERIES_PART_MAX: i32 = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewArticle {
    pub title: String,
    pub slug: Option<String>,
    pub body: Option<String>,
    pub excerpt: Option<String>,
    pub tags: Option<Vec<String>>,
    pub category: Option<String>,
    pub series: Option<String>,
    pub series_part: Option<i32>,
    pub cover_image_url: Option<String>,
    pub canonical_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

/// A partial update. `None` keeps a field; `Some(None)` clears a clearable one.
#[derive(Debug, Clone, Default)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub body: Option<String>,
    pub excerpt: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub category: Option<Option<String>>,
    pub series: Option<Option<String>>,
    pub series_part: Option<Option<i32>>,
    pub cover_image_url: Option<Option<String>>,
    pub canonical_url: Option<Option<String>>,
    pub seo_title: Option<Option<String>>,
    pub seo_description: Option<Option<String>>,
}

/// Collects every problem with an input before answering, so a client fixes them at once.
#[derive(Default)]
pub struct Checker(Vec<FieldError>);

impl Checker {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// NUL cannot be stored in PostgreSQL text, and no editor means to send one.
    fn no_nul(&mut self, field: &str, s: &str) -> bool {
        if s.contains('\0') {
            self.push(field, "must not contain NUL characters");
            return false;
        }
        true
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(ContentError::Validation(self.0)) }
    }

    pub fn title(&mut self, field: &str, title: &str) {
        if !self.no_nul(field, title) {
            return;
        }
        // Blank means empty; the limit counts every character, as JSON Schema's maxLength does.
        let n = title.chars().count();
        if title.trim().is_empty() {
            self.push(field, "must not be empty");
        } else if n > TITLE_MAX {
            self.push(field, format!("must be at most {TITLE_MAX} characters (got {n})"));
        }
    }

    pub fn slug(&mut self, field: &str, slug: &str) {
        if !is_valid_slug(slug) {
            self.push(
                field,
                "must be 1-200 lowercase ASCII letters or digits in words joined by single hyphens, like `my-first-post`",
            );
        } else if super::text::is_id_like(slug) {
            self.push(field, "must not be digits only: a path of digits names an id (try `2024-review`)");
        }
    }

    pub fn body(&mut self, field: &str, body: &str) {
        if !self.no_nul(field, body) {
            return;
        }
        if body.len() > BODY_MAX_BYTES {
            self.push(field, format!("must be at most {BODY_MAX_BYTES} bytes (1 MiB); got {}", body.len()));
        }
    }

    pub fn text(&mut self, field: &str, text: &str, max: usize) {
        if !self.no_nul(field, text) {
            return;
        }
        let n = text.chars().count();
        if n > max {
            self.push(field, format!("must be at most {max} characters (got {n})"));
        }
    }

    pub fn name(&mut self, field: &str, name: &str) {
        if !self.no_nul(field, name) {
            return;
        }
        let n = name.chars().count();
        if name.trim().is_empty() {
            self.push(field, "must not be empty");
        } else if n > NAME_MAX {
            self.push(field, format!("must be at most {NAME_MAX} characters (got {n})"));
        } else if super::text::slugify(name).is_empty() {
            self.push(field, "must contain at least one letter or digit");
        }
    }

    /// An absolute http(s) URL (the scheme in any case, as RFC 3986 allows); whether it is.
    pub fn url(&mut self, field: &str, url: &str) -> bool {
        if !self.no_nul(field, url) {
            return false;
        }
        let scheme_end = url.find("://").unwrap_or(0);
        let rest = match url[..scheme_end].to_ascii_lowercase().as_str() {
            "http" | "https" => Some(&url[scheme_end + 3..]),
            _ => None,
        };
        if url.chars().count() > URL_MAX {
            self.push(field, format!("must be at most {URL_MAX} characters"));
            false
        } else if rest.is_none_or(|r| r.is_empty() || r.chars().any(|c| c.is_whitespace() || c.is_control())) {
            self.push(field, "must be an absolute http:// or https:// URL");
            false
        } else {
            true
        }
    }

    pub fn tags(&mut self, field: &str, tags: &[String]) {
        if tags.len() > TAGS_MAX {
            self.push(field, format!("must list at most {TAGS_MAX} tags (got {})", tags.len()));
        }
        for (i, tag) in tags.iter().enumerate() {
            self.name(&format!("{field}[{i}]"), tag);
        }
    }

    pub fn series_part(&mut self, field: &str, part: i32) {
        if !(1..=SERIES_PART_MAX).contains(&part) {
            self.push(field, format!("must be between 1 and {SERIES_PART_MAX}"));
        }
    }
}

impl NewArticle {
    pub fn validate(&self) -> Result<()> {
        let mut c = Checker::default();
        c.title("title", &self.title);
        if let Some(s) = &self.slug {
            c.slug("slug", s);
        }
        if let Some(b) = &self.body {
            c.body("body", b);
        }
        if let Some(e) = &self.excerpt {
            c.text("excerpt", e, EXCERPT_MAX);
        }
        if let Some(t) = &self.tags {
            c.tags("tags", t);
        }
        if let Some(cat) = &self.category {
            c.name("category", cat);
        }
        if let Some(s) = &self.series {
            c.name("series", s);
        }
        if let Some(p) = self.series_part {
            c.series_part("series_part", p);
            if self.series.is_none() {
                c.push("series_part", "needs a series");
            }
        }
        check_optional_fields(
            &mut c,
            [&self.cover_image_url, &self.canonical_url],
            [&self.seo_title, &self.seo_description],
        );
        c.finish()
    }
}

impl ArticlePatch {
    pub fn validate(&self) -> Result<()> {
        let mut c = Checker::default();
        if let Some(t) = &self.title {
            c.title("title", t);
        }
        if let Some(s) = &self.slug {
            c.slug("slug", s);
        }
        if let Some(b) = &self.body {
            c.body("body", b);
        }
        if let Some(Some(e)) = &self.excerpt {
            c.text("excerpt", e, EXCERPT_MAX);
        }
        if let Some(t) = &self.tags {
            c.tags("tags", t);
        }
        if let Some(Some(cat)) = &self.category {
            c.name("category", cat);
        }
        if let Some(Some(s)) = &self.series {
            c.name("series", s);
        }
        if let Some(Some(p)) = self.series_part {
            c.series_part("series_part", p);
        }
        check_optional_fields(
            &mut c,
            [&self.cover_image_url.clone().flatten(), &self.canonical_url.clone().flatten()],
            [&self.seo_title.clone().flatten(), &self.seo_description.clone().flatten()],
        );
        c.finish()
    }
}

fn check_optional_fields(c: &mut Checker, urls: [&Option<String>; 2], seo: [&Option<String>; 2]) {
    for (field, value) in ["cover_image_url", "canonical_url"].into_iter().zip(urls) {
        if let Some(v) = value {
            c.url(field, v);
        }
    }
    for ((field, max), value) in
        [("seo_title", SEO_TITLE_MAX), ("seo_description", SEO_DESCRIPTION_MAX)].into_iter().zip(seo)
    {
        if let Some(v) = value {
            c.text(field, v, max);
        }
    }
}

/// Empty strings in optional text mean "none": editors clearing a form field send "".
pub fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<()>) -> Vec<String> {
        match r {
            Err(ContentError::Validation(e)) => e.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn reports_every_bad_field() {
        let input = NewArticle {
            title: " ".into(),
            slug: Some("Bad Slug".into()),
            body: Some("x".repeat(BODY_MAX_BYTES + 1)),
            tags: Some(vec!["ok".into(), "".into()]),
            series_part: Some(0),
            cover_image_url: Some("javascript:alert(1)".into()),
            seo_title: Some("t".repeat(SEO_TITLE_MAX + 1)),
            ..Default::default()
        };
        assert_eq!(
            fields(input.validate()),
            ["title", "slug", "body", "tags[1]", "series_part", "series_part", "cover_image_url", "seo_title"]
        );
    }

    #[test]
    fn accepts_a_full_valid_input() {
        let input = NewArticle {
            title: "t".repeat(TITLE_MAX),
            slug: Some("a-b-1".into()),
            tags: Some(vec!["C#".into(), "Node.js".into()]),
            series: Some("Backend".into()),
            series_part: Some(3),
            canonical_url: Some("https://example.com/a".into()),
            ..Default::default()
        };
        input.validate().unwrap();
        let too_long = NewArticle { title: "t".repeat(TITLE_MAX + 1), ..Default::default() };
        assert_eq!(fields(too_long.validate()), ["title"]);
        let symbols_only = NewArticle { title: "x".into(), category: Some("!!!".into()), ..Default::default() };
        assert_eq!(fields(symbols_only.validate()), ["category"]);
    }
}
