//! What the service layer hands to the transports: articles with their tags, category,
//! series and author already loaded (in batches, never one query per article).

use chrono::{DateTime, Utc};

use crate::entities::{article, category, series, tag};

/// A version no article has (they start at 1): what a precondition that names none of an
/// article's versions expects, so that it fails as a version conflict.
pub const NO_VERSION: i32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 4] =
        [ArticleStatus::Draft, ArticleStatus::Scheduled, ArticleStatus::Published, ArticleStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleView {
    pub row: article::Model,
    /// In the editor's order; the first is the primary tag.
    pub tags: Vec<tag::Model>,
    pub category: Option<category::Model>,
    pub series: Option<series::Model>,
    pub author: Option<AuthorRef>,
    /// Loaded for a list: `body`, `html` and `plain_text` were left out of the row (they are
    /// most of an article's bytes); [`Content::article_texts`](super::Content::article_texts)
    /// fetches them when a client asks.
    pub summary: bool,
}

impl ArticleView {
    /// The status a reader would see now: a scheduled article whose time has come is
    /// published, even before anything rewrites its row.
    pub fn status(&self, now: DateTime<Utc>) -> ArticleStatus {
        effective_status(&self.row, now)
    }
}

pub fn effective_status(row: &article::Model, now: DateTime<Utc>) -> ArticleStatus {
    match ArticleStatus::parse(&row.status).unwrap_or(ArticleStatus::Draft) {
        ArticleStatus::Scheduled if row.published_at.is_some_and(|t| t <= now) => ArticleStatus::Published,
        other => other,
    }
}

/// Whether an anonymous reader may see this row now.
pub fn is_public(row: &article::Model, now: DateTime<Utc>) -> bool {
    row.deleted_at.is_none() && effective_status(row, now) == ArticleStatus::Published
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn start_cursor(&self) -> Option<&str> {
        self.items.first().map(|(c, _)| c.as_str())
    }
    pub fn end_cursor(&self) -> Option<&str> {
        self.items.last().map(|(c, _)| c.as_str())
    }

    /// The cursor of the next page, if there is one.
    pub fn next_cursor(&self) -> Option<String> {
        if self.has_next_page { self.end_cursor().map(str::to_string) } else { None }
    }

    /// The same page with each item made into another.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total: self.total,
        }
    }
}
