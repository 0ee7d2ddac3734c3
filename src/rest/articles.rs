//! `/api/v1/articles`: thin handlers over `content::Content`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Auth, JsonBody, Path, QueryParams, Signed, parse_json};
use super::problem::{Problem, ReadErrors, WriteErrors};
use crate::app::AppState;
use crate::content::articles::PageArgNames;
use crate::content::groups::NeighbourLink;
use crate::content::{
    ArticleLookup, ArticleOrder, ArticlePatch, ArticleQuery, ArticleStatus, ArticleView, Card, Content, ContentError,
    NewArticle, Page, PageArgs, Viewer,
};
use crate::guard::allowance::Cost;
use crate::http_cache::keys;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Scheduled,
    Published,
    Archived,
}

impl From<ArticleStatus> for Status {
    fn from(s: ArticleStatus) -> Self {
        match s {
            ArticleStatus::Draft => Status::Draft,
            ArticleStatus::Scheduled => Status::Scheduled,
            ArticleStatus::Published => Status::Published,
            ArticleStatus::Archived => Status::Archived,
        }
    }
}

impl From<Status> for ArticleStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Draft => ArticleStatus::Draft,
            Status::Scheduled => ArticleStatus::Scheduled,
            Status::Published => ArticleStatus::Published,
            Status::Archived => ArticleStatus::Archived,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagRefDto {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRefDto {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesRefDto {
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorDto {
    pub id: String,
    pub name: String,
}

/// An article in a list: everything but its text (`body`, `html`), which is most of an
/// article's bytes; `GET /api/v1/articles/{id}` has it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleSummary {
    /// Opaque identifier.
    pub id: String,
    pub slug: String,
    pub title: String,
    /// The editor's excerpt, or one derived from the body (at most 200 characters, cut on a
    /// word boundary, ending in "…" when cut).
    pub excerpt: String,
    pub word_count: i32,
    /// Minutes at 200 words a minute, at least 1.
    pub reading_minutes: i32,
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change; send it back in `If-Match` to update safely.
    pub version: i32,
    /// In the order the editor gave them; the first is the primary tag.
    pub tags: Vec<TagRefDto>,
    pub category: Option<CategoryRefDto>,
    pub series: Option<SeriesRefDto>,
    pub series_part: Option<i32>,
    /// The published part before this one in the series, across gaps.
    pub previous_in_series: Option<ArticleLink>,
    /// The published part after this one in the series, across gaps.
    pub next_in_series: Option<ArticleLink>,
    pub author: Option<AuthorDto>,
    pub cover_image_url: Option<String>,
    pub canonical_url: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    // Not sent: the purge key of the series whose neighbours the card shows.
    #[serde(skip)]
    pub series_id: Option<i32>,
}

/// An article as REST clients see it (GraphQL's `Article`, in snake_case), with its text.
#[derive(Debug, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Markdown source.
    pub body: String,
    /// Sanitized HTML rendered from `body`.
    pub html: String,
    /// The excerpt the editor wrote; null when `excerpt` is derived from the body.
    pub custom_excerpt: Option<String>,
}

/// Enough of an article to link to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleLink {
    pub slug: String,
    pub title: String,
}

impl From<&NeighbourLink> for ArticleLink {
    fn from(l: &NeighbourLink) -> Self {
        ArticleLink { slug: l.slug.clone(), title: l.title.clone() }
    }
}

/// REST articles for service views, with series neighbours loaded for all of them at once.
pub async fn article_dtos(content: &Content, views: Vec<ArticleView>) -> Result<Vec<ArticleSummary>, ContentError> {
    let positions: Vec<(i32, i32)> =
        views.iter().filter_map(|v| Some((v.row.series_id?, v.row.series_part?))).collect();
    let neighbours = content.series_neighbour_links(&positions).await?;
    let now = content.now();
    Ok(views
        .into_iter()
        .map(|v| {
            let around = v.row.series_id.zip(v.row.series_part).and_then(|k| neighbours.get(&k));
            let mut a = ArticleSummary::new(v, now);
            if let Some((prev, next)) = around {
                a.previous_in_series = prev.as_ref().map(ArticleLink::from);
                a.next_in_series = next.as_ref().map(ArticleLink::from);
            }
            a
        })
        .collect())
}

/// One article with its text (never from a list's summary view).
pub async fn article_dto(content: &Content, mut view: ArticleView) -> Result<Article, ContentError> {
    debug_assert!(!view.summary, "a full article from a list's view");
    let body = std::mem::take(&mut view.row.body);
    let html = std::mem::take(&mut view.row.html);
    let custom_excerpt = view.row.custom_excerpt.clone();
    let summary = article_dtos(content, vec![view]).await?.pop().expect("one article");
    Ok(Article { summary, body, html, custom_excerpt })
}

impl ArticleSummary {
    /// The summary of `v` as read at `now` (a due scheduled article shows as published).
    fn new(v: ArticleView, now: chrono::DateTime<chrono::Utc>) -> Self {
        let status = v.status(now).into();
        let r = v.row;
        ArticleSummary {
            id: r.id.to_string(),
            slug: r.slug,
            title: r.title,
            excerpt: r.excerpt,
            word_count: r.word_count,
            reading_minutes: r.reading_minutes,
            status,
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            tags: v.tags.into_iter().map(|t| TagRefDto { slug: t.slug, name: t.name }).collect(),
            category: v.category.map(|c| CategoryRefDto { slug: c.slug, name: c.name }),
            series: v.series.map(|s| SeriesRefDto { slug: s.slug, title: s.title }),
            series_part: r.series_part,
            previous_in_series: None,
            next_in_series: None,
            author: v.author.map(|a| AuthorDto { id: a.id.to_string(), name: a.name }),
            cover_image_url: r.cover_image_url,
            canonical_url: r.canonical_url,
            seo_title: r.seo_title,
            seo_description: r.seo_description,
            series_id: r.series_id,
        }
    }
}

/// A page of articles written as `ArticleList` JSON from cards (see `content::cards`): each
/// entry is the stored card with what depends on the moment of reading (its status and its
/// series neighbours) put in front, so a page is concatenated rather than serialised.
pub struct CardList {
    pub json: String,
    pub total: u64,
    /// The purge keys of what the page shows (see [`super::list_keys`]).
    pub shown: Vec<String>,
}

/// `page` as `ArticleList` JSON, its `meta.limit` being `limit`.
pub async fn card_list(content: &Content, page: Page<Card>, limit: u64) -> Result<CardList, ContentError> {
    let cards: Vec<&Card> = page.items.iter().map(|(_, c)| c).collect();
    let entries = card_entries(content, &cards).await?;
    let shown = super::list_keys([], cards.iter().copied());
    let meta = ListMeta { total: page.total, limit, next_cursor: page.next_cursor() };
    let mut json = String::with_capacity(64 + entries.iter().map(String::len).sum::<usize>());
    json.push_str("{\"data\":[");
    json.push_str(&entries.join(","));
    json.push_str("],\"meta\":");
    json.push_str(&serde_json::to_string(&meta).expect("list metadata serialises"));
    json.push('}');
    Ok(CardList { json, total: page.total, shown })
}

/// Each card as the JSON of an `ArticleSummary`, in order: the stored card with its status
/// and series neighbours (loaded for all of them at once) put in front.
pub async fn card_entries(content: &Content, cards: &[&Card]) -> Result<Vec<String>, ContentError> {
    let positions: Vec<(i32, i32)> = cards.iter().filter_map(|c| Some((c.series_id?, c.series_part?))).collect();
    let neighbours = content.series_neighbour_links(&positions).await?;
    let link = |l: &Option<NeighbourLink>| match l {
        Some(l) => serde_json::to_string(&ArticleLink::from(l)).expect("a link serialises"),
        None => "null".into(),
    };
    Ok(cards
        .iter()
        .map(|c| {
            let (prev, next) = match c.series_id.zip(c.series_part).and_then(|k| neighbours.get(&k)) {
                Some((prev, next)) => (link(prev), link(next)),
                None => ("null".into(), "null".into()),
            };
            let status = serde_json::to_string(&Status::from(c.status)).expect("a status serialises");
            // A card is a JSON object: `{` and its members.
            format!("{{\"status\":{status},\"previous_in_series\":{prev},\"next_in_series\":{next},{}", &c.json[1..])
        })
        .collect())
}

/// `{"data": head + "articles": list}`: a group's object (`head`, which must serialise as
/// an object) with its page of articles as one more member.
pub fn with_articles(head: &impl Serialize, list: &CardList) -> String {
    format!("{{\"data\":{}}}", with_member(head, "articles", &list.json))
}

/// `head` (which must serialise as a JSON object) with one more member, `name`, whose value
/// is the JSON text `raw`.
pub fn with_member(head: &impl Serialize, name: &str, raw: &str) -> String {
    let head = serde_json::to_string(head).expect("a head serialises");
    let open = head.strip_suffix('}').expect("a head is a JSON object");
    let sep = if open.len() > 1 { "," } else { "" };
    format!("{open}{sep}\"{name}\":{raw}}}")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleData {
    pub data: Article,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// How many articles match, across all pages.
    pub total: u64,
    pub limit: u64,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub data: Vec<ArticleSummary>,
    pub meta: ListMeta,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, Default)]
pub enum Sort {
    #[default]
    #[serde(rename = "-published_at")]
    PublishedDesc,
    #[serde(rename = "published_at")]
    PublishedAsc,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
    /// Best search match first; needs `q`.
    #[serde(rename = "relevance")]
    Relevance,
}

impl From<Sort> for ArticleOrder {
    fn from(s: Sort) -> Self {
        match s {
            Sort::PublishedDesc => ArticleOrder::PublishedDesc,
            Sort::PublishedAsc => ArticleOrder::PublishedAsc,
            Sort::Title => ArticleOrder::Title,
            Sort::UpdatedDesc => ArticleOrder::UpdatedDesc,
            Sort::Relevance => ArticleOrder::Relevance,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Order: `-published_at` (newest first, the default), `published_at`, `title`, `-updated_at`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Editors only: list articles in this state instead of the published ones.
    #[param(inline)]
    pub status: Option<Status>,
    /// Only articles with this tag (slug; old slugs too).
    pub tag: Option<String>,
    /// Only articles with all of these tags: slugs separated by commas.
    pub tags: Option<String>,
    /// Only articles in this category (slug) or its descendants.
    pub category: Option<String>,
    /// Only articles of this series (slug).
    pub series: Option<String>,
    /// Only articles by this author (id).
    pub author: Option<String>,
    /// Full-text search; any text is safe.
    pub q: Option<String>,
    /// Published at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "super::extract::time")]
    pub published_after: Option<DateTime<Utc>>,
    /// Published before this instant (RFC 3339).
    #[serde(default, deserialize_with = "super::extract::time")]
    pub published_before: Option<DateTime<Utc>>,
}

pub const LIST_NAMES: PageArgNames =
    PageArgNames { first: "limit", after: "cursor", last: "limit", before: "cursor", order: "sort" };

/// List articles, newest first. Readers see published articles; editors may pass `status`.
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    tag = "articles",
    params(ListParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of articles; `Link: <…>; rel=\"next\"` when there is more", body = ArticleList,
            headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The bearer token is invalid, or `status` was used without one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`status` needs an editor or admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_articles(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, Problem> {
    let sort = params.sort.unwrap_or_default();
    let query = ArticleQuery {
        status: params.status.map(Into::into),
        tag: params.tag.clone(),
        tags: params
            .tags
            .as_deref()
            .map(|t| t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        category: params.category.clone(),
        series: params.series.clone(),
        author: params.author.clone(),
        published_after: params.published_after,
        published_before: params.published_before,
        search: params.q.clone(),
        order: sort.into(),
        page: PageArgs { first: params.limit, after: params.cursor.clone(), names: LIST_NAMES, ..Default::default() },
    };
    let cost = if params.q.is_some() { Cost::SEARCH } else { Cost::READ };
    let page = state.content.article_cards(&viewer, query).await?;
    let limit = params.limit.unwrap_or(crate::content::articles::PAGE_DEFAULT as i64) as u64;
    let next_cursor = page.next_cursor();
    let mut headers = HeaderMap::new();
    if let Some(next) = &next_cursor {
        let next_params = ListParams { cursor: Some(next.clone()), limit: Some(limit as i64), ..params };
        let qs = serde_urlencoded::to_string(&next_params).unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&format!("</api/v1/articles?{qs}>; rel=\"next\"")) {
            headers.insert(header::LINK, v);
        }
    }
    let list = card_list(&state.content, page, limit).await?;
    let mut names = vec![keys::ARTICLES.to_string()];
    names.extend(list.shown);
    Ok((headers, axum::Extension(cost), super::keyed(names, super::json_text(list.json))).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetArticleParams {
    /// A preview token (from `POST /api/v1/articles/{id}/preview`): opens that article in any
    /// state. A forged or expired one opens nothing.
    pub preview: Option<String>,
}

/// One article by slug or id. An old slug answers 301 with the current URL. Readers see
/// published articles; editors (and authors, their own) every state.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old"), GetArticleParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article; `ETag` carries its version", body = ArticleData,
            headers(("ETag" = String, description = "`\"<version>.<content hash>\"`: send it in `If-Match` on PATCH, or in `If-None-Match` for a 304"))),
        (status = 301, description = "An old slug: `Location` is the article's current URL",
            headers(("Location" = String, description = "The current URL"))),
        ReadErrors,
    )
)]
pub async fn get_article(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(slug): Path<String>,
    QueryParams(params): QueryParams<GetArticleParams>,
) -> Result<Response, Problem> {
    let preview = params.preview.as_deref().and_then(|t| state.jwt.verify_preview(t));
    let lookup = ArticleLookup::Path(slug.clone());
    let Some(view) = state.content.article_with_preview(&viewer, lookup, preview).await? else {
        return Err(Problem::not_found(format!("article `{slug}` not found")));
    };
    if slug != view.row.slug && slug != view.row.id.to_string() && preview.is_none() {
        let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/articles/{}", view.row.slug)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(res);
    }
    article_response(&state.content, StatusCode::OK, view).await
}

async fn article_response(content: &Content, status: StatusCode, view: ArticleView) -> Result<Response, Problem> {
    let etag = format!("\"{}\"", view.row.version);
    // Its tags' and category's names change with a purge of the articles that show them;
    // its series neighbours change with any article of the series.
    let names = std::iter::once(keys::article(view.row.id)).chain(view.row.series_id.map(keys::series)).collect();
    let mut res = (status, super::keyed(names, axum::Json(ArticleData { data: article_dto(content, view).await? })))
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// 1–300 characters.
    #[schema(value_type = super::fields::Title)]
    pub title: String,
    /// Derived from the title when absent; must be unique.
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    /// Markdown, at most 1 MiB.
    #[schema(value_type = Option<super::fields::Markdown>)]
    pub body: Option<String>,
    /// Derived from the body when absent.
    #[schema(value_type = Option<super::fields::ShortText>)]
    pub excerpt: Option<String>,
    /// Tag names, in order; created on first use and matched by slug.
    #[schema(value_type = Option<Vec<super::fields::Name>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// Category name; created on first use.
    #[schema(value_type = Option<super::fields::Name>)]
    pub category: Option<String>,
    /// Series title; created on first use.
    #[schema(value_type = Option<super::fields::Name>)]
    pub series: Option<String>,
    /// Part number in the series (unique within it); the next free one when absent.
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "super::extract::integer")]
    pub series_part: Option<i32>,
    #[schema(value_type = Option<super::fields::WebUrl>)]
    pub cover_image_url: Option<String>,
    #[schema(value_type = Option<super::fields::WebUrl>)]
    pub canonical_url: Option<String>,
    #[schema(value_type = Option<super::fields::SeoTitle>)]
    pub seo_title: Option<String>,
    #[schema(value_type = Option<super::fields::SeoDescription>)]
    pub seo_description: Option<String>,
}

impl From<CreateArticle> for NewArticle {
    fn from(b: CreateArticle) -> Self {
        NewArticle {
            title: b.title,
            slug: b.slug,
            body: b.body,
            excerpt: b.excerpt,
            tags: b.tags,
            category: b.category,
            series: b.series,
            series_part: b.series_part,
            cover_image_url: b.cover_image_url,
            canonical_url: b.canonical_url,
            seo_title: b.seo_title,
            seo_description: b.seo_description,
        }
    }
}

/// Create a draft article.
#[utoipa::path(
    post,
    path = "/api/v1/articles",
    tag = "articles",
    request_body = CreateArticle,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created, as a draft", body = ArticleData,
            headers(("Location" = String, description = "The new article's URL"), ("ETag" = String, description = "Its version"))),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug or series part is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateArticle>,
) -> Result<Response, Problem> {
    let view = state.content.create_article(&viewer, body.into()).await?;
    let location = format!("/api/v1/articles/{}", view.row.id);
    let mut res = article_response(&state.content, StatusCode::CREATED, view).await?;
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `Some(None)` for an explicit null, `None` (via `default`) for an absent field.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Fields to change; absent fields are kept, `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    #[schema(value_type = Option<super::fields::Title>)]
    pub title: Option<String>,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[schema(value_type = Option<super::fields::Markdown>)]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::ShortText>)]
    pub excerpt: Option<Option<String>>,
    #[schema(value_type = Option<Vec<super::fields::Name>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::Name>)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::Name>)]
    pub series: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::extract::nullable_integer")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10000)]
    pub series_part: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::WebUrl>)]
    pub cover_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::WebUrl>)]
    pub canonical_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::SeoTitle>)]
    pub seo_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::SeoDescription>)]
    pub seo_description: Option<Option<String>>,
}

impl From<UpdateArticle> for ArticlePatch {
    fn from(b: UpdateArticle) -> Self {
        ArticlePatch {
            title: b.title,
            slug: b.slug,
            body: b.body,
            excerpt: b.excerpt,
            tags: b.tags,
            category: b.category,
            series: b.series,
            series_part: b.series_part,
            cover_image_url: b.cover_image_url,
            canonical_url: b.canonical_url,
            seo_title: b.seo_title,
            seo_description: b.seo_description,
        }
    }
}

/// The version an `If-Match` header asks for: `"3"` (or `W/"3"`); `*` asks for none.
/// What `If-Match` asks for (RFC 9110 §13.1.1): nothing, any current version (`*`), or one
/// of a list of entity tags. Ours are `"3"` or `"3.<hash>"` (weak ones compare too, and a
/// bare `3` is taken as `"3"`); a well-formed tag that is not ours names no version, and so
/// cannot match: 412, not 400.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IfMatch {
    Absent,
    Any,
    /// The versions the listed tags name; empty when none names one of ours.
    Versions(Vec<i32>),
}

fn if_match(headers: &HeaderMap) -> Result<IfMatch, Problem> {
    let Some(raw) = headers.get(header::IF_MATCH) else { return Ok(IfMatch::Absent) };
    let bad = || Problem::bad_request("If-Match must be `*` or entity tags, like \"3\" (the article's ETag)");
    let raw = raw.to_str().map_err(|_| bad())?.trim();
    if raw == "*" {
        return Ok(IfMatch::Any);
    }
    // `#entity-tag`: tags separated by commas and optional white space; a tag's own
    // characters may include commas, so the list is read a tag at a time.
    let mut versions = Vec::new();
    let mut read_any = false;
    let mut rest = raw;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let unweak = rest.strip_prefix("W/").unwrap_or(rest);
        let opaque = if let Some(quoted) = unweak.strip_prefix('"') {
            let end = quoted.find('"').ok_or_else(bad)?;
            rest = &quoted[end + 1..];
            &quoted[..end]
        } else {
            // The bare version some clients send.
            let end = rest.find([' ', '\t', ',']).unwrap_or(rest.len());
            let bare = &rest[..end];
            if bare.is_empty() || bare.len() > 9 || !bare.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            rest = &rest[end..];
            bare
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t', ',']) {
            return Err(bad());
        }
        read_any = true;
        let version = opaque.split_once('.').map_or(opaque, |(version, _)| version);
        if (1..=9).contains(&version.len())
            && version.bytes().all(|b| b.is_ascii_digit())
            && let Ok(v) = version.parse::<i32>()
        {
            versions.push(v);
        }
    }
    // Zero tags (an empty header, or only commas) is almost surely a template that was not
    // filled in, and the contract's pattern refuses it: say so rather than answer 412.
    if !read_any {
        return Err(bad());
    }
    Ok(IfMatch::Versions(versions))
}

/// The version a write must find, given `If-Match`: `None` for any; `NO_VERSION` when the
/// header names none the article has. A list naming several is read against the current
/// version (the write then checks that it is still current).
async fn expected_version(state: &AppState, viewer: &Viewer, id: &str, want: IfMatch) -> Result<Option<i32>, Problem> {
    Ok(match want {
        IfMatch::Absent | IfMatch::Any => None,
        IfMatch::Versions(v) if v.is_empty() => Some(crate::content::model::NO_VERSION),
        IfMatch::Versions(v) if v.len() == 1 => Some(v[0]),
        IfMatch::Versions(v) => {
            let current =
                state.content.article(viewer, ArticleLookup::Id(id.to_string())).await?.map(|a| a.row.version);
            Some(current.filter(|c| v.contains(c)).unwrap_or(crate::content::model::NO_VERSION))
        }
    })
}

/// Change an article. With `If-Match`, the change applies only to that version.
#[utoipa::path(
    patch,
    path = "/api/v1/articles/{id}",
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id (digits only) or its slug, current or old"),
        ("If-Match" = Option<String>, Header, nullable = false,
            pattern = r#"^(\*|((W/)?"[!#-~]*"|[0-9]{1,9})(\s*,\s*((W/)?"[!#-~]*"|[0-9]{1,9}))*)$"#,
            description = "The ETag (version) the change is based on, like `\"3\"`; `*`, or a list of entity tags, \
            any of which may be current"),
    ),
    request_body = UpdateArticle,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated article", body = ArticleData, headers(("ETag" = String, description = "Its new version"))),
        (status = 400, description = "The body is not valid JSON, or If-Match is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug or series part is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names no current version of the article", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UpdateArticle>,
) -> Result<Response, Problem> {
    let want = if_match(&headers)?;
    let id = state.content.article_id_at(&id).await?;
    let expected = expected_version(&state, &viewer, &id, want).await?;
    let view = state.content.update_article(&viewer, &id, body.into(), expected).await?;
    article_response(&state.content, StatusCode::OK, view).await
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishArticle {
    /// When to publish: a past time back-dates, a future time schedules. Default: now.
    #[serde(default, deserialize_with = "super::extract::time")]
    pub published_at: Option<DateTime<Utc>>,
}

/// Publish now, back-date, or schedule for a future time.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/publish",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    request_body(content = Option<PublishArticle>, description = "Optional; an empty body publishes now"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published or scheduled", body = ArticleData),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not publish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The article changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let input: PublishArticle = if body.iter().all(u8::is_ascii_whitespace) {
        PublishArticle::default()
    } else if !super::extract::is_json(&headers) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "the body must be JSON, sent with `Content-Type: application/json`",
        ));
    } else {
        // `null` says "no options", as the schema allows.
        parse_json::<Option<PublishArticle>>(&body)?.unwrap_or_default()
    };
    let view =
        state.content.publish_article(&viewer, &state.content.article_id_at(&id).await?, input.published_at).await?;
    article_response(&state.content, StatusCode::OK, view).await
}

/// Take an article back to draft.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/unpublish",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Back to draft", body = ArticleData),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not unpublish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The article changed meanwhile", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unpublish_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let view = state.content.unpublish_article(&viewer, &state.content.article_id_at(&id).await?).await?;
    article_response(&state.content, StatusCode::OK, view).await
}

/// Archive an article: readers no longer see it; publishing brings it back.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/archive",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 200, description = "Archived", body = ArticleData), WriteErrors)
)]
pub async fn archive_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let view = state.content.archive_article(&viewer, &state.content.article_id_at(&id).await?).await?;
    article_response(&state.content, StatusCode::OK, view).await
}

/// Delete an article (it moves to the trash and disappears from every read).
#[utoipa::path(
    delete,
    path = "/api/v1/articles/{id}",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not delete", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.content.delete_article(&viewer, &state.content.article_id_at(&id).await?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RelatedParams {
    /// How many, 1–50 (default 5).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleArray {
    pub data: Vec<ArticleSummary>,
}

/// Published articles sharing the most tags with this one, then the newest, among the 200
/// newest articles of each of its tags.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}/related",
    tag = "articles",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old"), RelatedParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Related articles, best first", body = ArticleArray), ReadErrors)
)]
pub async fn related_articles(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<RelatedParams>,
) -> Result<Response, Problem> {
    let limit = crate::content::groups::related_limit(params.limit, "limit")?;
    let Some(view) = state.content.article(&viewer, ArticleLookup::Path(id.clone())).await? else {
        return Err(Problem::not_found(format!("article `{id}` not found")));
    };
    let mut related = state.content.related(&[view.row.id], limit).await?;
    let views = related.remove(&view.row.id).unwrap_or_default();
    let data = article_dtos(&state.content, views).await?;
    let names = super::list_keys([keys::ARTICLES.to_string(), keys::article(view.row.id)], &data);
    Ok(super::keyed(names, axum::Json(ArticleArray { data })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Result<IfMatch, u16> {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(value).unwrap());
        if_match(&headers).map_err(|p| p.status)
    }

    #[test]
    fn if_match_reads_entity_tag_lists() {
        assert_eq!(read("*"), Ok(IfMatch::Any));
        assert_eq!(read("\"3\""), Ok(IfMatch::Versions(vec![3])));
        assert_eq!(read("W/\"3.abc\", 4"), Ok(IfMatch::Versions(vec![3, 4])));
        // A tag may hold commas; tags that are not ours name no version.
        assert_eq!(read("W/\"M,\"\t,\t\"\", 27 ,\"x\""), Ok(IfMatch::Versions(vec![27])));
        assert_eq!(read("\"stale\""), Ok(IfMatch::Versions(vec![])));
        for bad in ["null", "\"open", "\"a\"b", "3x", "W/3", "", " , ,"] {
            assert_eq!(read(bad), Err(400), "{bad}");
        }
    }
}
