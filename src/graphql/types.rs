//! GraphQL object types: thin views over the service's `ArticleView`.

use async_graphql::{Enum, ID, InputObject, InputValueError, Scalar, ScalarType, Value};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::content::{self, ArticleOrder as Order};

/// An RFC 3339 instant, written in UTC with `Z` (the same text the REST API sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTimeUtc(pub DateTime<Utc>);

/// An RFC 3339 date-time, always answered in UTC (`2025-06-11T08:30:00Z`); any offset is
/// accepted on input.
#[Scalar(name = "DateTime")]
impl ScalarType for DateTimeUtc {
    fn parse(value: Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| DateTimeUtc(t.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom(format!("`{s}` is not an RFC 3339 date-time"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::content::ArticleStatus")]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
    Archived,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ArticleOrder {
    /// Newest first (the default).
    #[default]
    PublishedDesc,
    PublishedAsc,
    Title,
    /// Most recently changed first.
    UpdatedDesc,
    /// Best match first; needs `filter.search`.
    Relevance,
}

impl From<ArticleOrder> for Order {
    fn from(o: ArticleOrder) -> Self {
        match o {
            ArticleOrder::PublishedDesc => Order::PublishedDesc,
            ArticleOrder::PublishedAsc => Order::PublishedAsc,
            ArticleOrder::Title => Order::Title,
            ArticleOrder::UpdatedDesc => Order::UpdatedDesc,
            ArticleOrder::Relevance => Order::Relevance,
        }
    }
}

#[derive(InputObject, Default, Debug)]
pub struct ArticleFilter {
    /// Editors only: articles in this state instead of the published ones.
    pub status: Option<ArticleStatus>,
    /// Only articles with this tag (slug; old slugs too).
    pub tag: Option<String>,
    /// Only articles with all of these tags (slugs).
    pub tags: Option<Vec<String>>,
    /// Only articles in this category (slug) or its descendants.
    pub category: Option<String>,
    /// Only articles of this series (slug).
    pub series: Option<String>,
    /// Only articles by this author (id).
    pub author: Option<ID>,
    /// Published at or after this instant.
    pub published_after: Option<DateTimeUtc>,
    /// Published before this instant.
    pub published_before: Option<DateTimeUtc>,
    /// Full-text search; any text is safe.
    pub search: Option<String>,
}

// Objects live in `objects.rs`; this file holds scalars, enums and inputs.

#[derive(InputObject, Debug)]
pub struct CreateArticleInput {
    /// 1–300 characters.
    pub title: String,
    /// Derived from the title when absent; must be unique.
    pub slug: Option<String>,
    /// Markdown, at most 1 MiB.
    pub body: Option<String>,
    /// Derived from the body when absent.
    pub excerpt: Option<String>,
    /// Tag names, in order; created on first use and matched by slug.
    pub tags: Option<Vec<String>>,
    /// Category name; created on first use.
    pub category: Option<String>,
    /// Series title; created on first use.
    pub series: Option<String>,
    /// Part number in the series (unique within it); the next free one when absent.
    pub series_part: Option<i32>,
    pub cover_image_url: Option<String>,
    pub canonical_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

impl From<CreateArticleInput> for content::NewArticle {
    fn from(i: CreateArticleInput) -> Self {
        content::NewArticle {
            title: i.title,
            slug: i.slug,
            body: i.body,
            excerpt: i.excerpt,
            tags: i.tags,
            category: i.category,
            series: i.series,
            series_part: i.series_part,
            cover_image_url: i.cover_image_url,
            canonical_url: i.canonical_url,
            seo_title: i.seo_title,
            seo_description: i.seo_description,
        }
    }
}

/// Fields to change; omitted fields are kept, `null` clears an optional one.
#[derive(InputObject, Debug, Default)]
pub struct UpdateArticleInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub body: Option<String>,
    pub excerpt: async_graphql::MaybeUndefined<String>,
    pub tags: Option<Vec<String>>,
    pub category: async_graphql::MaybeUndefined<String>,
    pub series: async_graphql::MaybeUndefined<String>,
    pub series_part: async_graphql::MaybeUndefined<i32>,
    pub cover_image_url: async_graphql::MaybeUndefined<String>,
    pub canonical_url: async_graphql::MaybeUndefined<String>,
    pub seo_title: async_graphql::MaybeUndefined<String>,
    pub seo_description: async_graphql::MaybeUndefined<String>,
}

fn patch<T>(v: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

impl From<UpdateArticleInput> for content::ArticlePatch {
    fn from(i: UpdateArticleInput) -> Self {
        content::ArticlePatch {
            title: i.title,
            slug: i.slug,
            body: i.body,
            excerpt: patch(i.excerpt),
            tags: i.tags,
            category: patch(i.category),
            series: patch(i.series),
            series_part: patch(i.series_part),
            cover_image_url: patch(i.cover_image_url),
            canonical_url: patch(i.canonical_url),
            seo_title: patch(i.seo_title),
            seo_description: patch(i.seo_description),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum TagOrder {
    /// By name (the default).
    #[default]
    Name,
    /// Most published articles first.
    ArticleCount,
}

impl From<TagOrder> for content::tags::TagOrder {
    fn from(o: TagOrder) -> Self {
        match o {
            TagOrder::Name => content::tags::TagOrder::Name,
            TagOrder::ArticleCount => content::tags::TagOrder::ArticleCount,
        }
    }
}

#[derive(InputObject, Debug)]
pub struct CreateTagInput {
    pub name: String,
    /// Derived from the name when absent.
    pub slug: Option<String>,
    pub description: Option<String>,
}

/// Omitted fields are kept; the slug stays unless given, and an old slug keeps resolving.
#[derive(InputObject, Debug)]
pub struct UpdateTagInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
}

#[derive(InputObject, Debug)]
pub struct CreateCategoryInput {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// The parent category's id or slug; a root category without one.
    pub parent: Option<String>,
    /// Order among siblings, ascending (-1000000 to 1000000); after the last sibling when absent.
    pub position: Option<i32>,
}

#[derive(InputObject, Debug)]
pub struct UpdateCategoryInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
    /// The new parent's id or slug; `null` makes it a root. Never itself or a descendant.
    pub parent: async_graphql::MaybeUndefined<String>,
    /// Order among siblings, ascending (-1000000 to 1000000).
    pub position: Option<i32>,
}

#[derive(InputObject, Debug)]
pub struct CreateSeriesInput {
    pub title: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(InputObject, Debug)]
pub struct UpdateSeriesInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
}

#[derive(InputObject, Debug)]
pub struct UpdateSiteInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
}

pub fn maybe<T>(v: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    patch(v)
}
