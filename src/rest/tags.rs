//! `/api/v1/tags`: tag pages and editors' tag management.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleList, CardList, LIST_NAMES, ListMeta, card_list, nullable, with_articles};
use super::extract::{Auth, JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use crate::app::AppState;
use crate::content::groups::{Group, Grouping};
use crate::content::lookup::GroupKey;
use crate::content::tags::{NewTag, TagOrder, TagPatch};
use crate::content::{ArticleOrder, Content, ContentError, PageArgs};
use crate::entities::tag;
use crate::http_cache::keys;

/// A tag with its count of published articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tag {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub article_count: u64,
}

fn tag_dto(t: tag::Model, article_count: u64) -> Tag {
    Tag { id: t.id.to_string(), slug: t.slug, name: t.name, description: t.description, article_count }
}

async fn with_count(content: &Content, t: tag::Model) -> Result<Tag, ContentError> {
    let counts = content.group_counts(Grouping::Tag, &[Group { id: t.id, keys: vec![t.id] }]).await?;
    let n = counts.get(&t.id).copied().unwrap_or(0);
    Ok(tag_dto(t, n))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub data: Vec<Tag>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagData {
    pub data: Tag,
}

/// A tag page: the tag and a page of its published articles, newest first.
// Schema only: `get_tag` writes this shape from cards (`articles::with_articles`).
#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct TagPage {
    pub data: TagWithArticles,
}

#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct TagWithArticles {
    #[serde(flatten)]
    pub tag: Tag,
    pub articles: ArticleList,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, Default)]
pub enum TagSort {
    #[default]
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-article_count")]
    ArticleCountDesc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagListParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name` (default) or `-article_count` (most articles first).
    #[param(inline)]
    pub sort: Option<TagSort>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size of the embedded articles, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `articles.meta.next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Tags by name or by article count. Readers see tags with published articles.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    tag = "tags",
    params(TagListParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "A page of tags", body = TagList), ReadErrors)
)]
pub async fn list_tags(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    QueryParams(params): QueryParams<TagListParams>,
) -> Result<Response, Problem> {
    let order = match params.sort.unwrap_or_default() {
        TagSort::Name => TagOrder::Name,
        TagSort::ArticleCountDesc => TagOrder::ArticleCount,
    };
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.tags(&viewer, order, &page).await?;
    let next_cursor = result.next_cursor();
    Ok(super::keyed(
        vec![keys::TAXONOMY.to_string()],
        axum::Json(TagList {
            meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
            data: result.items.into_iter().map(|(_, (t, n))| tag_dto(t, n)).collect(),
        }),
    ))
}

/// A page of published articles for one group (a tag, category or series), from cards.
pub async fn group_page(
    content: &Content,
    grouping: Grouping,
    group: Group,
    order: ArticleOrder,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<CardList, ContentError> {
    let id = group.id;
    let page = PageArgs { first: limit, after: cursor, names: LIST_NAMES, ..Default::default() };
    let mut pages = content.grouped_cards(grouping, &[group], order, &page).await?;
    let p = pages.remove(&id).expect("the group's page");
    card_list(content, p, limit.unwrap_or(20) as u64).await
}

/// A tag page: the tag (old slugs keep working) and its published articles, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/tags/{slug}",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's id (digits only) or its slug, current or old"), PageParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The tag and a page of its articles", body = TagPage), ReadErrors)
)]
pub async fn get_tag(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(slug): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Response, Problem> {
    let Some(t) = state.content.tag(&viewer, GroupKey::Path(&slug)).await? else {
        return Err(Problem::not_found(format!("tag `{slug}` not found")));
    };
    let group = Group { id: t.id, keys: vec![t.id] };
    let articles =
        group_page(&state.content, Grouping::Tag, group, ArticleOrder::PublishedDesc, params.limit, params.cursor)
            .await?;
    let mut names = vec![keys::tag(t.id)];
    let body = with_articles(&tag_dto(t, articles.total), &articles);
    names.extend(articles.shown);
    Ok(super::keyed(names, super::json_text(body)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    #[schema(value_type = super::fields::Name)]
    pub name: String,
    /// Derived from the name when absent.
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<String>,
}

/// Absent fields are kept; the slug stays unless given, and an old slug keeps resolving.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    #[schema(value_type = Option<super::fields::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeTag {
    /// The tag (slug or id) that takes over this tag's articles.
    pub into: String,
}

pub fn created(location: String, body: impl Serialize) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Create a tag.
#[utoipa::path(
    post,
    path = "/api/v1/tags",
    tag = "tags",
    request_body = CreateTag,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = TagData,
        headers(("Location" = String, description = "The new tag's URL"))), WriteErrors)
)]
pub async fn create_tag(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateTag>,
) -> Result<Response, Problem> {
    let input = NewTag { name: body.name, slug: body.slug, description: body.description };
    let t = state.content.create_tag(&viewer, input).await?;
    let location = format!("/api/v1/tags/{}", t.slug);
    Ok(created(location, TagData { data: with_count(&state.content, t).await? }))
}

/// Rename or describe a tag.
#[utoipa::path(
    patch,
    path = "/api/v1/tags/{slug}",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's id (digits only) or its slug, current or old")),
    request_body = UpdateTag,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated tag", body = TagData), WriteErrors)
)]
pub async fn update_tag(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<UpdateTag>,
) -> Result<axum::Json<TagData>, Problem> {
    let patch = TagPatch { name: body.name, slug: body.slug, description: body.description };
    let t = state.content.update_tag(&viewer, &slug, patch).await?;
    Ok(axum::Json(TagData { data: with_count(&state.content, t).await? }))
}

/// Delete a tag; it is unlinked from its articles.
#[utoipa::path(
    delete,
    path = "/api/v1/tags/{slug}",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), WriteErrors)
)]
pub async fn delete_tag(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
) -> Result<StatusCode, Problem> {
    state.content.delete_tag(&viewer, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merge this tag into another: its articles move over, it is deleted, and its slug keeps
/// resolving to the other tag.
#[utoipa::path(
    post,
    path = "/api/v1/tags/{slug}/merge",
    tag = "tags",
    params(("slug" = String, Path, description = "The tag to merge away: its id (digits only) or its slug")),
    request_body = MergeTag,
    security(("bearer" = [])),
    responses((status = 200, description = "The tag that remains", body = TagData), WriteErrors)
)]
pub async fn merge_tag(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<MergeTag>,
) -> Result<axum::Json<TagData>, Problem> {
    let t = state.content.merge_tags(&viewer, &slug, &body.into).await.map_err(|e| match e {
        ContentError::Validation(mut errs) => {
            errs.iter_mut().filter(|f| f.field == "target_id").for_each(|f| f.field = "into".into());
            ContentError::Validation(errs)
        }
        other => other,
    })?;
    Ok(axum::Json(TagData { data: with_count(&state.content, t).await? }))
}
