//! GraphQL object types: thin views over the service's `ArticleView`.

use async_graphql::{
    ComplexObject, Enum, ID, InputObject, InputValueError, Object, Scalar, ScalarType, SimpleObject, Value,
};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::content::{self, ArticleOrder as Order, ArticleView, Page};

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
}

impl From<ArticleOrder> for Order {
    fn from(o: ArticleOrder) -> Self {
        match o {
            ArticleOrder::PublishedDesc => Order::PublishedDesc,
            ArticleOrder::PublishedAsc => Order::PublishedAsc,
            ArticleOrder::Title => Order::Title,
            ArticleOrder::UpdatedDesc => Order::UpdatedDesc,
        }
    }
}

#[derive(InputObject, Default, Debug)]
pub struct ArticleFilter {
    /// Editors only: articles in this state instead of the published ones.
    pub status: Option<ArticleStatus>,
    /// Only articles with this tag (slug).
    pub tag: Option<String>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Tag {
    pub slug: String,
    pub name: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Category {
    pub slug: String,
    pub name: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Series {
    pub slug: String,
    pub title: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Author {
    pub id: ID,
    pub name: String,
}

pub struct Article(pub ArticleView);

#[Object]
impl Article {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.row.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.row.slug
    }
    async fn title(&self) -> &str {
        &self.0.row.title
    }
    /// The editor's excerpt, or one derived from the body (at most 200 characters, cut on a
    /// word boundary, ending in "…" when cut).
    async fn excerpt(&self) -> &str {
        &self.0.row.excerpt
    }
    /// Markdown source.
    async fn body(&self) -> &str {
        &self.0.row.body
    }
    /// Sanitized HTML rendered from `body`.
    async fn html(&self) -> &str {
        &self.0.row.html
    }
    async fn word_count(&self) -> i32 {
        self.0.row.word_count
    }
    /// Minutes at 200 words a minute, at least 1.
    async fn reading_minutes(&self) -> i32 {
        self.0.row.reading_minutes
    }
    async fn status(&self) -> ArticleStatus {
        self.0.status(content::now()).into()
    }
    async fn published_at(&self) -> Option<DateTimeUtc> {
        self.0.row.published_at.map(DateTimeUtc)
    }
    async fn created_at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.row.created_at)
    }
    async fn updated_at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.row.updated_at)
    }
    /// Increases with every change; pass it as `expectedVersion` to update safely.
    async fn version(&self) -> i32 {
        self.0.row.version
    }
    /// In the order the editor gave them; the first is the primary tag.
    async fn tags(&self) -> Vec<Tag> {
        self.0.tags.iter().map(|t| Tag { slug: t.slug.clone(), name: t.name.clone() }).collect()
    }
    async fn category(&self) -> Option<Category> {
        self.0.category.as_ref().map(|c| Category { slug: c.slug.clone(), name: c.name.clone() })
    }
    async fn series(&self) -> Option<Series> {
        self.0.series.as_ref().map(|s| Series { slug: s.slug.clone(), title: s.title.clone() })
    }
    async fn series_part(&self) -> Option<i32> {
        self.0.row.series_part
    }
    async fn author(&self) -> Option<Author> {
        self.0.author.as_ref().map(|a| Author { id: ID(a.id.to_string()), name: a.name.clone() })
    }
    async fn cover_image_url(&self) -> Option<&str> {
        self.0.row.cover_image_url.as_deref()
    }
    async fn canonical_url(&self) -> Option<&str> {
        self.0.row.canonical_url.as_deref()
    }
    async fn seo_title(&self) -> Option<&str> {
        self.0.row.seo_title.as_deref()
    }
    async fn seo_description(&self) -> Option<&str> {
        self.0.row.seo_description.as_deref()
    }
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct ArticleEdge {
    pub cursor: String,
    pub node: Article,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ArticleConnection {
    pub edges: Vec<ArticleEdge>,
    pub page_info: PageInfo,
    /// How many articles match, across all pages.
    pub total_count: u64,
}

#[ComplexObject]
impl ArticleConnection {
    /// The articles of this page, without cursors.
    async fn nodes(&self) -> Vec<Article> {
        self.edges.iter().map(|e| Article(e.node.0.clone())).collect()
    }
}

impl From<Page<ArticleView>> for ArticleConnection {
    fn from(page: Page<ArticleView>) -> Self {
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.start_cursor().map(str::to_string),
            end_cursor: page.end_cursor().map(str::to_string),
        };
        ArticleConnection {
            edges: page.items.into_iter().map(|(cursor, v)| ArticleEdge { cursor, node: Article(v) }).collect(),
            page_info,
            total_count: page.total,
        }
    }
}

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
